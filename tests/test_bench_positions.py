"""Benchmark: from a position's change at WhiteBIT to its sensor's new state, push vs polling.

As test_bench_stream does for trade balances, with the same loop (tests/latency.py):
BENCH_CHANGES changes each way (scripts/bench: 100; `scripts/test --bench`: 3). Push in real
time against the simulator's /ws, which sends every position once a second as WhiteBIT does;
polling in frozen time on Home Assistant's schedule (five minutes). Also timed by push: a
collateral balance change (the issue: within 3 s, as a PnL change; the simulator sends
balanceMargin each second, WhiteBIT every 1.5 s), and a close until the position's entities are
gone (within 5 s). Also counted: the collateral account's requests per hour, stream up against
polling alone. It prints the numbers and asserts that every change arrived, by which path, and
each pushed one within the issue's bound.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

from custom_components.whitebit.const import CONF_ACCOUNTS
from simulator import COLLATERAL_BALANCE_PATH, DEMO_KEY
from simulator.margin import COLLATERAL_SUMMARY_PATH, OPEN_POSITIONS_PATH

from .latency import INTERVAL_S, POLLS_PER_HOUR, polling_latencies, push_latencies, report
from .pywhitebit.stream_servers import until

if TYPE_CHECKING:
    from collections.abc import Callable

    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from simulator import WhiteBitSimulator

# Out of scripts/test's time: scripts/bench and `scripts/test --bench` run it.
pytestmark = pytest.mark.bench

CHANGES = int(os.environ.get("BENCH_CHANGES", "3"))
SENSOR = "sensor.whitebit_127_0_0_1_btc_usdt_long_pnl"
BALANCE = "sensor.whitebit_127_0_0_1_usdt_collateral"
PATHS = (COLLATERAL_BALANCE_PATH, COLLATERAL_SUMMARY_PATH, OPEN_POSITIONS_PATH)
RESULTS: dict[str, list[float]] = {}
REQUESTS: dict[str, str] = {}
POSITION = {
    "market": "BTC_USDT",
    "side": "LONG",
    "amount": "0.1",
    "base_price": "90000",
    "pnl": "0",
    "liq_price": "81000",
    "margin": "900",
}


def _pnl(i: int) -> str:
    return f"{i + 1}.25"


def _balance(i: int) -> str:
    return f"{1001 + i}"


def _move(simulator: WhiteBitSimulator) -> Callable[[int], None]:
    def move(i: int) -> None:
        simulator.accounts[DEMO_KEY].margin.control({"market": "BTC_USDT", "pnl": _pnl(i)})

    return move


async def _margin_entry(
    hass: HomeAssistant, entry: MockConfigEntry, simulator: WhiteBitSimulator
) -> None:
    simulator.accounts[DEMO_KEY].collateral = {"USDT": "1000"}
    simulator.accounts[DEMO_KEY].margin.control(POSITION)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry, options={**entry.options, CONF_ACCOUNTS: ["collateral"]}
    )
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


def _requests(simulator: WhiteBitSimulator, before: dict[str, int]) -> int:
    return sum(simulator.stats.requests.get(p, 0) - before.get(p, 0) for p in PATHS)


@pytest.mark.stream
async def test_push_latency(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, simulator: WhiteBitSimulator
) -> None:
    """Each PnL change, and each close, at a random moment, until the sensor's state changed."""
    await _margin_entry(hass, mock_config_entry, simulator)
    coordinator = mock_config_entry.runtime_data
    stream = coordinator.stream
    assert stream is not None
    await until(lambda: stream.synced, seconds=10)
    before = dict(simulator.stats.requests)
    # The bounds: a pushed PnL change or collateral balance within 3 s, a close 5 s.
    RESULTS["push"] = await push_latencies(hass, SENSOR, CHANGES, _move(simulator), _pnl, within=3)
    account = simulator.accounts[DEMO_KEY]

    def deposit(i: int) -> None:
        account.collateral["USDT"] = _balance(i)

    RESULTS["collateral balance (push)"] = await push_latencies(
        hass, BALANCE, CHANGES, deposit, _balance, within=3
    )
    margin = account.margin

    async def reopen(_: int) -> None:
        margin.control(POSITION)
        await until(lambda: hass.states.get(SENSOR) is not None)

    def close(_: int) -> None:
        margin.control({"market": "BTC_USDT", "close": True})

    # A close: until the entity is removed (the entry's choice; None in push_latencies).
    RESULTS["close (push)"] = await push_latencies(
        hass, SENSOR, CHANGES, close, lambda _: None, within=5, before=reopen
    )
    assert _requests(simulator, before) == 0  # every change came by the stream
    before = dict(simulator.stats.requests)
    for _ in range(POLLS_PER_HOUR):
        await coordinator.async_refresh()
    # One resync an hour: the balance, the summary and the positions.
    assert _requests(simulator, before) == len(PATHS)
    REQUESTS["push"] = f"{len(PATHS)}"
    _report()


async def test_polling_latency(
    hass: HomeAssistant,
    simulator: WhiteBitSimulator,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Each change at a random moment of the 5-minute interval, until the next poll shows it."""
    freezer.move_to("2026-11-25 12:00:00+00:00")
    await _margin_entry(hass, mock_config_entry, simulator)
    before = dict(simulator.stats.requests)
    RESULTS["polling"], waited = await polling_latencies(
        hass, freezer, SENSOR, CHANGES, _move(simulator), _pnl
    )
    polls = waited // INTERVAL_S
    REQUESTS["polling"] = f"{_requests(simulator, before) / polls * POLLS_PER_HOUR:.0f}"
    _report()


def _report() -> None:
    if {"push", "polling"} <= RESULTS.keys():
        title = f"{CHANGES} position changes each; latency from the change to the sensor's state"
        report(title, RESULTS, REQUESTS)
