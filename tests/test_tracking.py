"""Automatic tracking under a stream of changes: entity churn bounded in rate, not only count.

Updates are pushed through coordinator.async_stream_trade, as the stream applies them.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from homeassistant.helpers import entity_registry as er
import pytest

from custom_components.whitebit.const import (
    CONF_ACCOUNTS,
    CONF_AUTO_TRACK,
    CONF_QUOTE,
    CONF_TICKERS,
    DOMAIN,
    MAX_AUTO_TRACKED,
)
from custom_components.whitebit.pywhitebit.models import Balances, TradeBalance
from custom_components.whitebit.tracking import ADDITIONS_PER_HOUR
from simulator import DEMO_KEY

from .common import warning_lines

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from custom_components.whitebit.coordinator import WhiteBitCoordinator
    from simulator import WhiteBitSimulator

ONE = TradeBalance(Decimal(1), Decimal(0))
ZERO = TradeBalance(Decimal(0), Decimal(0))
# The demo trade account: what the first poll follows, all at once.
DEMO_HELD = {"BTC", "SOL", "TON", "USDT"}
# Sensors per currency of an entry on the trade account alone: available, in orders, total.
SENSORS_EACH = 3
PREFIX = "sensor.whitebit_127_0_0_1"


async def _setup_trade_only(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entry.add_to_hass(hass)
    options = {
        CONF_ACCOUNTS: ["trade"],
        CONF_AUTO_TRACK: True,
        CONF_TICKERS: [],
        CONF_QUOTE: "none",
    }
    hass.config_entries.async_update_entry(entry, options={**entry.options, **options})
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


def _push(coordinator: WhiteBitCoordinator, changes: dict[str, TradeBalance]) -> None:
    """Push the trade account as the stream delivers it: whole, with `changes` applied."""
    coordinator.async_stream_trade(Balances({**(coordinator.data.trade or {}), **changes}))


def _tracked(registry: er.EntityRegistry, entry: MockConfigEntry) -> set[str]:
    return {
        e.unique_id.rsplit("_", 1)[-1]
        for e in er.async_entries_for_config_entry(registry, entry.entry_id)
    }


@pytest.mark.usefixtures("freeze_first")
async def test_churning_updates_are_bounded_in_rate(
    hass: HomeAssistant,
    simulator: WhiteBitSimulator,
    full_config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Each update zeroes 100 currencies and lists 100 new ones, ten times over.

    Unbounded, that was 100 new currencies (300 entities) an update, and 300 deleted entities
    written to the registry at each. Now the first set is taken whole and, after it, at most
    ADDITIONS_PER_HOUR currencies an hour: what waits comes later, with one warning.
    """
    await _setup_trade_only(hass, full_config_entry)
    assert _tracked(entity_registry, full_config_entry) == DEMO_HELD
    coordinator = full_config_entry.runtime_data
    previous: list[str] = []
    for update in range(10):
        names = [f"C{update}X{i:03}" for i in range(MAX_AUTO_TRACKED)]
        changes = dict.fromkeys(names, ONE) | dict.fromkeys(previous, ZERO)
        _push(coordinator, changes)
        await hass.async_block_till_done()
        previous = names
    # The first update's first twenty in name order came; they went when zeroed, and nothing
    # new came since: the hour's additions were spent.
    assert _tracked(entity_registry, full_config_entry) == DEMO_HELD
    assert len(entity_registry.deleted_entities) == SENSORS_EACH * ADDITIONS_PER_HOUR
    waits = [line for line in warning_lines(caplog) if "automatic tracking adds" in line]
    assert len(waits) == 1

    # An hour on, the next twenty of what still holds a balance are followed.
    freezer.tick(timedelta(hours=1))
    _push(coordinator, {"BTC": ONE})
    await hass.async_block_till_done()
    added = _tracked(entity_registry, full_config_entry) - DEMO_HELD
    assert added == {f"C9X{i:03}" for i in range(ADDITIONS_PER_HOUR)}
    assert len(warning_lines(caplog)) == 1


@pytest.mark.usefixtures("freeze_first")
async def test_a_few_new_currencies_come_at_once(
    hass: HomeAssistant,
    simulator: WhiteBitSimulator,
    full_config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """What a person does (a few new coins now and then) is never held back or warned about."""
    await _setup_trade_only(hass, full_config_entry)
    coordinator = full_config_entry.runtime_data
    for coin in ("ADA", "DOT", "XLM"):
        _push(coordinator, {coin: ONE})
        await hass.async_block_till_done()
    _push(coordinator, {"ADA": ZERO})
    await hass.async_block_till_done()
    assert _tracked(entity_registry, full_config_entry) == DEMO_HELD | {"DOT", "XLM"}
    assert not warning_lines(caplog)


@pytest.mark.usefixtures("freeze_first")
async def test_holding_back_on_and_off_is_warned_about_once_an_hour(
    hass: HomeAssistant,
    simulator: WhiteBitSimulator,
    full_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Updates alternate between 120 new currencies held and none: one warning, not one each.

    The warning came each time something started being held back, after an update where
    nothing was: every other update, for as long as a server kept it up.
    """
    await _setup_trade_only(hass, full_config_entry)
    coordinator = full_config_entry.runtime_data
    held = Balances(dict.fromkeys((f"C{i:03}" for i in range(120)), ONE))
    for update in range(20):
        coordinator.async_stream_trade(held if update % 2 == 0 else Balances({}))
        freezer.tick(timedelta(seconds=10))
    await hass.async_block_till_done()
    assert len(warning_lines(caplog)) == 1
    # An hour on, still held back: said again, once.
    freezer.tick(timedelta(hours=1))
    for update in range(4):
        coordinator.async_stream_trade(Balances({}) if update % 2 else held)
    assert len(warning_lines(caplog)) == 2


async def test_an_account_row_only_where_the_account_holds_or_held_the_currency(
    hass: HomeAssistant,
    simulator: WhiteBitSimulator,
    full_config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """Every account ticked, every demo currency: no "UAH 0" rows, but every total.

    Before, each currency had a row per account, at zero too (UAH: four of them). A row that
    held and went to zero stays (its history is the user's), one held later is added without
    a reload, and one registered by an earlier version keeps working.
    """
    simulator.accounts[DEMO_KEY].collateral = {"USDT": "5000"}
    simulator.accounts[DEMO_KEY].flex = [("USDT", "1.5")]
    simulator.accounts[DEMO_KEY].fixed = []
    entry_id = full_config_entry.entry_id
    full_config_entry.add_to_hass(hass)
    # A row an earlier version made for ETH at zero.
    entity_registry.async_get_or_create(
        "sensor",
        DOMAIN,
        f"{entry_id}_collateral_ETH",
        config_entry=full_config_entry,
        suggested_object_id="whitebit_127_0_0_1_eth_collateral",
    )
    options = {
        CONF_ACCOUNTS: ["main", "trade", "collateral", "earn"],
        CONF_TICKERS: ["BTC", "ETH", "UAH", "USDT"],
    }
    hass.config_entries.async_update_entry(
        full_config_entry, options={**full_config_entry.options, **options}
    )
    await hass.config_entries.async_setup(entry_id)
    await hass.async_block_till_done()
    rows = {
        e.entity_id.removeprefix("sensor.whitebit_127_0_0_1_")
        for e in er.async_entries_for_config_entry(entity_registry, entry_id)
        if e.domain == "sensor"
    }
    assert {row for row in rows if row.startswith(("uah", "eth"))} == {
        "uah_total",
        "uah_value_usdt",
        "eth_total",
        "eth_value_usdt",
        "eth_collateral",
    }
    assert hass.states.get(f"{PREFIX}_eth_collateral").state == "0"
    assert {"usdt_main", "usdt_available", "usdt_collateral", "usdt_in_earn"} <= rows
    assert "btc_collateral" not in rows
    assert "btc_in_earn" not in rows

    coordinator = full_config_entry.runtime_data
    _push(coordinator, {"BTC": ZERO, "UAH": ONE})
    await hass.async_block_till_done()
    # BTC held on trade and went to zero: its row stays, at zero; UAH's comes, no reload.
    assert entity_registry.async_get(f"{PREFIX}_btc_available") is not None
    assert entity_registry.async_get(f"{PREFIX}_uah_available") is not None
    assert hass.states.get(f"{PREFIX}_uah_total").state == "1"
    assert full_config_entry.runtime_data is coordinator
