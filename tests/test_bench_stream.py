"""Benchmark: from a trade-balance change at WhiteBIT to the sensor's new state, push vs polling.

BENCH_CHANGES changes each way (scripts/bench: 100; `scripts/test --bench`: 5), timed by the
loop in tests/latency.py. Push runs in real time against the simulator's /ws, which batches
updates once a second as WhiteBIT does; each change falls at a random moment of that second.
Polling runs on Home Assistant's own schedule in frozen time (five minutes between polls), each
change at a random moment of the interval; the latency is the simulated time until the state
changed. Also counted: the entry's balance requests per hour, stream up against polling alone.
A benchmark, not a timed test: it prints the numbers and asserts only that every change
arrived, and by which path.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

from simulator import (
    DEMO_KEY,
    MAIN_BALANCE_PATH,
    TRADE_BALANCE_PATH,
    WEBSOCKET_TOKEN_PATH,
)

from .latency import INTERVAL_S, POLLS_PER_HOUR, polling_latencies, push_latencies, report
from .pywhitebit.stream_servers import until

if TYPE_CHECKING:
    from collections.abc import Callable

    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from simulator import WhiteBitSimulator

# Out of scripts/test's time: scripts/bench, scripts/soak and `scripts/test --bench` run it.
pytestmark = pytest.mark.bench

CHANGES = int(os.environ.get("BENCH_CHANGES", "5"))
SENSOR = "sensor.whitebit_127_0_0_1_btc_total"
RESULTS: dict[str, list[float]] = {}
REQUESTS: dict[str, str] = {}


def _amount(i: int) -> str:
    # BTC: 0.51234567 main + (available i + 1, in orders 0.02).
    return f"{i + 1}.5"


def _total(i: int) -> str:
    return f"{i + 1.5 + 0.51234567 + 0.02:.8f}"


def _change(simulator: WhiteBitSimulator) -> Callable[[int], None]:
    def change(i: int) -> None:
        simulator.accounts[DEMO_KEY].trade["BTC"] = (_amount(i), "0.02")

    return change


@pytest.mark.stream
async def test_push_latency(
    hass: HomeAssistant, init_full: MockConfigEntry, simulator: WhiteBitSimulator
) -> None:
    """Each change, at a random moment, until the sensor's state_changed event: real time."""
    stream = init_full.runtime_data.stream
    assert stream is not None
    await until(lambda: stream.synced, seconds=10)
    trade_polls = simulator.stats.requests[TRADE_BALANCE_PATH]
    RESULTS["push"] = await push_latencies(
        hass, SENSOR, CHANGES, _change(simulator), _total, within=5
    )
    # Every change came by the stream: no trade-account request was made meanwhile.
    assert simulator.stats.requests[TRADE_BALANCE_PATH] == trade_polls
    assert stream.status.reconnects == 0

    # An hour of polls with the stream up: the poll's requests, counted at the simulator.
    before = dict(simulator.stats.requests)
    for _ in range(POLLS_PER_HOUR):
        await init_full.runtime_data.async_refresh()
    hour = {path: simulator.stats.requests[path] - before.get(path, 0) for path in before}
    # The entry's own requests, as below; the token is one per connection, which lasts hours.
    REQUESTS["push"] = f"{hour[MAIN_BALANCE_PATH] + hour[TRADE_BALANCE_PATH]}"
    assert hour[MAIN_BALANCE_PATH] == POLLS_PER_HOUR
    assert hour[TRADE_BALANCE_PATH] == 1
    _report()


async def test_polling_latency(
    hass: HomeAssistant,
    simulator: WhiteBitSimulator,
    full_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Each change at a random moment of the 5-minute interval, until the next poll shows it."""
    freezer.move_to("2026-11-25 12:00:00+00:00")
    full_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(full_config_entry.entry_id)
    await hass.async_block_till_done()
    before = dict(simulator.stats.requests)
    RESULTS["polling"], waited = await polling_latencies(
        hass, freezer, SENSOR, CHANGES, _change(simulator), _total
    )
    polls = simulator.stats.requests[MAIN_BALANCE_PATH] - before[MAIN_BALANCE_PATH]
    assert polls == waited // INTERVAL_S
    # The entry's own requests: both accounts. (The server's shared ticker, 12 an hour, is the
    # same with the stream or without.)
    per_poll = sum(
        simulator.stats.requests[path] - before[path]
        for path in (MAIN_BALANCE_PATH, TRADE_BALANCE_PATH)
    )
    REQUESTS["polling"] = f"{per_poll / polls * POLLS_PER_HOUR:.0f}"
    assert simulator.stats.requests.get(WEBSOCKET_TOKEN_PATH, 0) == 0
    _report()


def _report() -> None:
    if {"push", "polling"} <= RESULTS.keys():
        title = f"{CHANGES} trade-balance changes each; latency from the change to the state"
        report(title, RESULTS, REQUESTS)
