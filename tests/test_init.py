"""Setting up and unloading an entry."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_SCAN_INTERVAL
import pytest

from custom_components.whitebit import async_migrate_entry
from custom_components.whitebit.const import CONF_QUOTE, CONF_TICKERS, DOMAIN, LEGACY_OPTIONS
from simulator import MAIN_BALANCE_PATH

from .conftest import FULL_OPTIONS, SELECTED

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from simulator import WhiteBitSimulator


async def test_setup_and_unload(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """A working key loads the entry; unloading leaves it unloaded."""
    assert init_integration.state is ConfigEntryState.LOADED
    assert hass.states.get("sensor.whitebit_127_0_0_1_btc_main") is not None

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


async def test_entry_from_before_trade_and_valuation_is_migrated(
    hass: HomeAssistant, simulator: WhiteBitSimulator, legacy_config_entry: MockConfigEntry
) -> None:
    """A 1.1 entry keeps doing what it did: main balances, no valuation, no new request."""
    assert (legacy_config_entry.version, legacy_config_entry.minor_version) == (1, 1)
    legacy_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(legacy_config_entry.entry_id)
    await hass.async_block_till_done()

    assert legacy_config_entry.state is ConfigEntryState.LOADED
    assert legacy_config_entry.minor_version == 3
    # The interval it stored is gone: polling is Home Assistant's to switch off.
    assert legacy_config_entry.options == {**LEGACY_OPTIONS, CONF_TICKERS: SELECTED}
    assert simulator.stats.requests == {MAIN_BALANCE_PATH: 1}
    assert hass.states.get("sensor.whitebit_127_0_0_1_portfolio_value") is None


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
    assert full_config_entry.minor_version == 3
    assert full_config_entry.options == {**FULL_OPTIONS, CONF_QUOTE: migrated}


async def test_current_entry_is_left_as_it_is(
    hass: HomeAssistant, full_config_entry: MockConfigEntry
) -> None:
    """A 1.3 entry passes through unchanged.

    Home Assistant only calls it on a version mismatch, so this reaches it directly, as a
    future 1.4 would for a 1.3 entry.
    """
    full_config_entry.add_to_hass(hass)
    options = dict(full_config_entry.options)
    assert await async_migrate_entry(hass, full_config_entry)
    assert full_config_entry.options == options
    assert full_config_entry.minor_version == 3
