"""Balance sensors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.helpers import device_registry as dr, entity_registry as er
from pytest_homeassistant_custom_component.common import snapshot_platform

from custom_components.whitebit.const import DOMAIN
from simulator import DEMO_KEY

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from syrupy.assertion import SnapshotAssertion

    from simulator import WhiteBitSimulator

PREFIX = "sensor.whitebit_127_0_0_1"


async def test_sensors(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """One sensor per selected ticker: names, units, state class, precision, states."""
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)


async def test_states_are_exact(
    hass: HomeAssistant, simulator: WhiteBitSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """Amounts reach the state digit for digit, tiny ones without exponent notation."""
    simulator.accounts[DEMO_KEY].balances.update(
        {"BTC": "0.00000001", "ETH": "0.000000000000000001"}
    )
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert hass.states.get(f"{PREFIX}_btc_main_balance").state == "0.00000001"
    assert hass.states.get(f"{PREFIX}_eth_main_balance").state == "0.000000000000000001"
    assert hass.states.get(f"{PREFIX}_doge_main_balance").state == "12345.123456789012345678"
    assert hass.states.get(f"{PREFIX}_usdt_main_balance").state == "1234.56"


async def test_one_service_device_per_account(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
    sim_url: str,
) -> None:
    """Every sensor of the entry hangs off one service device named after the entry."""
    device = device_registry.async_get_device_by_identifier(
        (DOMAIN, init_integration.entry_id), init_integration.entry_id
    )
    assert device is not None
    assert device.entry_type is dr.DeviceEntryType.SERVICE
    assert device.name == init_integration.title
    assert device.manufacturer == "WhiteBIT"
    assert device.configuration_url == f"{sim_url}/settings/api"
    entities = er.async_entries_for_config_entry(entity_registry, init_integration.entry_id)
    assert {entity.device_id for entity in entities} == {device.id}


async def test_currency_delisted_makes_its_sensor_unavailable(
    hass: HomeAssistant, simulator: WhiteBitSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """A selected ticker WhiteBIT no longer reports is unavailable, not zero."""
    simulator.currencies.remove("ETH")
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(f"{PREFIX}_eth_main_balance").state == STATE_UNAVAILABLE
    assert hass.states.get(f"{PREFIX}_btc_main_balance").state == "0.51234567"
