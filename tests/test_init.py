"""Setting up, unloading and migrating an entry.

Setup runs on the mocked client. The migration tests go through the simulator on purpose:
what they assert is the requests a migrated entry makes (none for the migration itself).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_SCAN_INTERVAL
from homeassistant.helpers import entity_registry as er
import pytest

from custom_components.whitebit import async_migrate_entry
from custom_components.whitebit.const import CONF_QUOTE, CONF_TICKERS, DOMAIN, LEGACY_OPTIONS
from custom_components.whitebit.pywhitebit import (
    WhiteBitAuthenticationError,
    WhiteBitClockError,
    WhiteBitConnectionError,
    WhiteBitPermissionError,
    WhiteBitRateLimitError,
    WhiteBitResponseError,
)
from simulator import MAIN_BALANCE_PATH

from .conftest import FULL_OPTIONS, SELECTED

if TYPE_CHECKING:
    from unittest.mock import MagicMock

    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from simulator import WhiteBitSimulator


async def test_setup_and_unload(hass: HomeAssistant, init_global: MockConfigEntry) -> None:
    """A working key loads the entry; unloading leaves it unloaded."""
    assert init_global.state is ConfigEntryState.LOADED
    assert hass.states.get("sensor.whitebit_global_key_0000_btc_main").state == "0.51234567"

    await hass.config_entries.async_unload(init_global.entry_id)
    await hass.async_block_till_done()
    assert init_global.state is ConfigEntryState.NOT_LOADED


@pytest.mark.parametrize(
    ("exception", "state", "reauth"),
    [
        # A revoked key, or one without the balance permission: a new key is the fix.
        (WhiteBitAuthenticationError("rejected"), ConfigEntryState.SETUP_ERROR, True),
        (WhiteBitPermissionError("not allowed"), ConfigEntryState.SETUP_ERROR, True),
        # Nothing answering, a rate limit, a clock refused: temporary, setup is retried.
        (WhiteBitConnectionError("unreachable"), ConfigEntryState.SETUP_RETRY, False),
        (WhiteBitRateLimitError("Too many requests.", 10), ConfigEntryState.SETUP_RETRY, False),
        (WhiteBitClockError("refused", None), ConfigEntryState.SETUP_RETRY, False),
        (WhiteBitResponseError("not JSON"), ConfigEntryState.SETUP_RETRY, False),
    ],
)
async def test_setup_failures(
    hass: HomeAssistant,
    global_entry: MockConfigEntry,
    mock_whitebit_client: MagicMock,
    exception: Exception,
    state: ConfigEntryState,
    reauth: bool,  # noqa: FBT001 - a parameter of the case, not a switch
) -> None:
    """A key refused asks the user for a new one; anything else is retried on its own."""
    mock_whitebit_client.main_balances.side_effect = exception
    global_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(global_entry.entry_id)
    await hass.async_block_till_done()

    assert global_entry.state is state
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [(flow["context"]["source"], flow["context"]["entry_id"]) for flow in flows] == (
        [(SOURCE_REAUTH, global_entry.entry_id)] if reauth else []
    )


async def test_entry_from_before_trade_and_valuation_is_migrated(
    hass: HomeAssistant, simulator: WhiteBitSimulator, legacy_config_entry: MockConfigEntry
) -> None:
    """A 1.1 entry keeps doing what it did: main balances, no valuation, no new request."""
    assert (legacy_config_entry.version, legacy_config_entry.minor_version) == (1, 1)
    legacy_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(legacy_config_entry.entry_id)
    await hass.async_block_till_done()

    assert legacy_config_entry.state is ConfigEntryState.LOADED
    assert legacy_config_entry.minor_version == 4
    # The interval it stored is gone: polling is Home Assistant's to switch off.
    assert legacy_config_entry.options == {**LEGACY_OPTIONS, CONF_TICKERS: SELECTED}
    assert simulator.stats.requests == {MAIN_BALANCE_PATH: 1}
    assert hass.states.get("sensor.whitebit_127_0_0_1_portfolio_value_usdt") is None


async def test_entry_from_a_newer_version_is_not_touched(
    hass: HomeAssistant, full_config_entry: MockConfigEntry
) -> None:
    """A downgrade cannot know what a newer version stored: the entry is left alone.

    Home Assistant refuses such an entry itself since 2026.10, but not before: the migration
    says no too, on every supported release.
    """
    full_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(full_config_entry, version=2)
    options = dict(full_config_entry.options)
    assert not await async_migrate_entry(hass, full_config_entry)
    assert full_config_entry.options == options
    await hass.config_entries.async_setup(full_config_entry.entry_id)
    await hass.async_block_till_done()
    assert full_config_entry.state is ConfigEntryState.MIGRATION_ERROR


@pytest.mark.parametrize(
    ("stored", "migrated"), [("USDT", "usdt"), ("UAH", "uah"), ("none", "none")]
)
async def test_entry_with_a_ticker_and_an_interval_is_migrated(
    hass: HomeAssistant,
    simulator: WhiteBitSimulator,
    full_config_entry: MockConfigEntry,
    stored: str,
    migrated: str,
) -> None:
    """A 1.2 entry keeps its quote currency as the selector's key, and loses its interval.

    No request is made for it: the first one is the first poll of the migrated entry.
    """
    full_config_entry.add_to_hass(hass)
    options = {**full_config_entry.options, CONF_QUOTE: stored, CONF_SCAN_INTERVAL: 60}
    hass.config_entries.async_update_entry(full_config_entry, options=options, minor_version=2)
    assert await async_migrate_entry(hass, full_config_entry)
    assert simulator.stats.requests == {}
    assert full_config_entry.minor_version == 4
    assert full_config_entry.options == {**FULL_OPTIONS, CONF_QUOTE: migrated}


async def test_current_entry_is_left_as_it_is(
    hass: HomeAssistant, full_config_entry: MockConfigEntry
) -> None:
    """A 1.4 entry passes through unchanged.

    Home Assistant only calls it on a version mismatch, so this reaches it directly, as a
    future 1.5 would for a 1.4 entry.
    """
    full_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(full_config_entry, minor_version=4)
    options = dict(full_config_entry.options)
    assert await async_migrate_entry(hass, full_config_entry)
    assert full_config_entry.options == options
    assert full_config_entry.minor_version == 4


async def test_a_new_valuation_currency_is_a_new_sensor_and_old_entries_keep_theirs(
    hass: HomeAssistant,
    full_config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """USDT -> EUR: a new portfolio sensor; the USDT one, and its history, stay USDT's.

    The entry is a 1.3 one whose USDT sensors were registered under the unique IDs of before:
    after the upgrade they keep their entity IDs. One sensor going from USDT to EUR showed
    USDT history on an EUR axis and made Home Assistant stop its statistics.
    """
    entry_id = full_config_entry.entry_id
    full_config_entry.add_to_hass(hass)
    registered = (
        ("portfolio_value", "portfolio"),
        ("value_BTC", "btc_value"),
        ("main_balance_BTC", "btc_main_balance"),
    )
    for unique_id, object_id in registered:
        entity_registry.async_get_or_create(
            "sensor",
            DOMAIN,
            f"{entry_id}_{unique_id}",
            config_entry=full_config_entry,
            suggested_object_id=f"whitebit_{object_id}",
        )
    await hass.config_entries.async_setup(entry_id)
    await hass.async_block_till_done()
    assert full_config_entry.minor_version == 4
    old = hass.states.get("sensor.whitebit_portfolio")
    assert old.attributes["unit_of_measurement"] == "USDT"
    assert float(old.state) > 0
    assert entity_registry.async_get_entity_id("sensor", DOMAIN, f"{entry_id}_value_USDT_BTC")
    # A balance is in no currency but its own: left as it was.
    assert hass.states.get("sensor.whitebit_btc_main_balance").state == "0.51234567"

    options = {**full_config_entry.options, CONF_QUOTE: "eur"}
    hass.config_entries.async_update_entry(full_config_entry, options=options)
    await hass.config_entries.async_reload(entry_id)
    await hass.async_block_till_done()
    new = hass.states.get("sensor.whitebit_127_0_0_1_portfolio_value_eur")
    assert new.attributes["unit_of_measurement"] == "EUR"
    # The USDT sensor is not turned into an EUR one: its entity ID is not reused.
    assert hass.states.get("sensor.whitebit_portfolio") is None

    # Back to USDT: the same sensor as before, under its old entity ID, continues its series.
    options = {**full_config_entry.options, CONF_QUOTE: "usdt"}
    hass.config_entries.async_update_entry(full_config_entry, options=options)
    await hass.config_entries.async_reload(entry_id)
    await hass.async_block_till_done()
    assert hass.states.get("sensor.whitebit_portfolio").attributes["unit_of_measurement"] == "USDT"
    assert hass.states.get("sensor.whitebit_127_0_0_1_portfolio_value_eur") is None
