"""What an account is called on dashboards: its entry's title, device name and entity IDs.

A new account is named in the flow ("WhiteBIT" unless the person types another name), so a
tile reads "WhiteBIT BTC main" and its entity is sensor.whitebit_btc_main; a second account on
the same server gets its key's end by default. Entries made by earlier versions keep their
names and entity IDs. The unique ID is a hash of the key, never the name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_API_KEY, CONF_NAME, CONF_URL
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest

from custom_components.whitebit.const import (
    CONF_API_SECRET,
    CONF_QUOTE,
    CONF_SERVER,
    CONF_TICKERS,
    DOMAIN,
    SERVER_EU,
    SERVER_GLOBAL,
)
from custom_components.whitebit.identity import entry_unique_id
from custom_components.whitebit.pywhitebit import WHITEBIT_EU, WHITEBIT_GLOBAL

from .conftest import TEST_SECRETS

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.data_entry_flow import FlowResult
    from pytest_homeassistant_custom_component.common import MockConfigEntry

SECOND_KEY = "second-key-1111111111111111111111"


def _device(device_registry: dr.DeviceRegistry, entry: MockConfigEntry) -> dr.DeviceEntry:
    (device,) = dr.async_entries_for_config_entry(device_registry, entry.entry_id)
    return device


async def _add(hass: HomeAssistant, server: str, name: str | None = None) -> FlowResult:
    """Add an account with SECOND_KEY through the flow, tracking BTC; `name` typed or not."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_SERVER: server, CONF_API_KEY: SECOND_KEY, CONF_API_SECRET: TEST_SECRETS[1]},
    )
    suggested = next(
        (key.description or {}).get("suggested_value")
        for key in result["data_schema"].schema
        if key == CONF_NAME
    )
    form = {CONF_TICKERS: ["BTC"], CONF_QUOTE: "none", CONF_NAME: name or suggested}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], form)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    return result


@pytest.mark.parametrize(
    ("server", "url", "name", "entity_id"),
    [
        # Beside the existing account on Global: the key's end tells the two apart.
        (SERVER_GLOBAL, WHITEBIT_GLOBAL, "WhiteBIT …1111", "sensor.whitebit_1111_btc_main"),
        # Alone on its server: plain WhiteBIT.
        (SERVER_EU, WHITEBIT_EU, "WhiteBIT", "sensor.whitebit_btc_main"),
    ],
)
async def test_second_account_default_name(
    hass: HomeAssistant,
    init_global: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    *,
    server: str,
    url: str,
    name: str,
    entity_id: str,
) -> None:
    """The default name, on the device, the tiles and the entity IDs; the first stays."""
    result = await _add(hass, server)
    entry = result["result"]
    assert entry.title == name
    assert entry.unique_id == entry_unique_id(url, SECOND_KEY)
    state = hass.states.get(entity_id)
    assert state.name == f"{name} BTC main"
    device = _device(device_registry, entry)
    assert device.name == name
    # The account there was keeps its title, device name and entity IDs.
    assert init_global.title == "WhiteBIT Global (key …0000)"
    first = hass.states.get("sensor.whitebit_global_key_0000_btc_main")
    assert first.name == "WhiteBIT Global (key …0000) BTC main"


async def test_a_typed_name(
    hass: HomeAssistant, init_global: MockConfigEntry, device_registry: dr.DeviceRegistry
) -> None:
    """A name the person types is the title, the device's name and the entity IDs' start."""
    entry = (await _add(hass, SERVER_GLOBAL, "  Savings ")).get("result")
    assert entry.title == "Savings"
    assert hass.states.get("sensor.savings_btc_main").name == "Savings BTC main"
    device = _device(device_registry, entry)
    assert device.name == "Savings"
    assert "Savings" not in entry.unique_id
    assert init_global.title == "WhiteBIT Global (key …0000)"


@pytest.mark.usefixtures("mock_whitebit_client")
async def test_an_earlier_entry_keeps_its_names(
    hass: HomeAssistant,
    global_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """The upgrade: an entry, device and entities made by an earlier version stay as named.

    Its sensor was registered under the entity ID of two versions ago (…_btc_main_balance);
    set up by this version, it keeps that ID, its title and its device's name.
    """
    global_entry.add_to_hass(hass)
    old_id = "sensor.whitebit_global_key_0000_btc_main_balance"
    entity_registry.async_get_or_create(
        "sensor",
        DOMAIN,
        f"{global_entry.entry_id}_main_balance_BTC",
        config_entry=global_entry,
        suggested_object_id=old_id.removeprefix("sensor."),
    )
    assert await hass.config_entries.async_setup(global_entry.entry_id)
    await hass.async_block_till_done()
    assert global_entry.title == "WhiteBIT Global (key …0000)"
    assert hass.states.get(old_id).name == "WhiteBIT Global (key …0000) BTC main"
    assert hass.states.get("sensor.whitebit_btc_main") is None
    device = _device(device_registry, global_entry)
    assert device.name == "WhiteBIT Global (key …0000)"
    assert global_entry.unique_id == entry_unique_id(
        WHITEBIT_GLOBAL, global_entry.data[CONF_API_KEY]
    )
    assert global_entry.data[CONF_URL] == WHITEBIT_GLOBAL
