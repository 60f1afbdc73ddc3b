"""Setting up and unloading an entry."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState

from custom_components.whitebit.const import DOMAIN

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from simulator import WhiteBitSimulator


async def test_setup_and_unload(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """A working key loads the entry; unloading leaves it unloaded."""
    assert init_integration.state is ConfigEntryState.LOADED
    assert hass.states.get("sensor.whitebit_127_0_0_1_btc_main_balance") is not None

    await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.NOT_LOADED


async def test_rejected_key_starts_reauth(
    hass: HomeAssistant, simulator: WhiteBitSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """A revoked key fails setup and asks the user for a new one."""
    simulator.accounts.clear()
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert flows[0]["context"]["entry_id"] == mock_config_entry.entry_id


async def test_missing_permission_starts_reauth(
    hass: HomeAssistant, simulator: WhiteBitSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """A key without the balance permission needs a different key: reauth."""
    next(iter(simulator.accounts.values())).permissions.clear()
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN)


async def test_unreachable_server_retries_setup(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, closed_url: str
) -> None:
    """Nothing answering is temporary: setup is retried, no reauth is started."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, data={**mock_config_entry.data, "url": closed_url}
    )
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
