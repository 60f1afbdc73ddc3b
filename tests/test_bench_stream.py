"""Benchmark: from a trade-balance change at WhiteBIT to the sensor's new state, push vs polling.

BENCH_CHANGES changes each way (scripts/bench: 100; the suite: 5). Push runs in real time
against the simulator's /ws, which batches updates once a second as WhiteBIT does; each change
falls at a random moment of that second. Polling runs on Home Assistant's own schedule in
frozen time (five minutes between polls), each change at a random moment of the interval; the
latency is the simulated time until the state changed. Also counted: the entry's balance
requests per hour, stream up against polling alone. A benchmark, not a timed test: it prints
the numbers and asserts only that every change arrived, and by which path.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
import os
import random
import statistics
from typing import TYPE_CHECKING

from homeassistant.const import EVENT_STATE_CHANGED
import pytest

from simulator import (
    DEMO_KEY,
    MAIN_BALANCE_PATH,
    TRADE_BALANCE_PATH,
    WEBSOCKET_TOKEN_PATH,
)

from .common import tick

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import Event, HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from simulator import WhiteBitSimulator

# Out of scripts/test's time: scripts/bench, scripts/soak and `scripts/test --bench` run it.
pytestmark = pytest.mark.bench

CHANGES = int(os.environ.get("BENCH_CHANGES", "5"))
SENSOR = "sensor.whitebit_127_0_0_1_btc_total"
INTERVAL_S = 300
POLLS_PER_HOUR = 3600 // INTERVAL_S
RESULTS: dict[str, list[float]] = {}


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _amount(i: int) -> str:
    # BTC: 0.51234567 main + (available i + 1, in orders 0.02).
    return f"{i + 1}.5"


def _total(i: int) -> str:
    return f"{i + 1.5 + 0.51234567 + 0.02:.8f}"


@pytest.mark.stream
async def test_push_latency(
    hass: HomeAssistant, init_full: MockConfigEntry, simulator: WhiteBitSimulator
) -> None:
    """Each change, at a random moment, until the sensor's state_changed event: real time."""
    loop = asyncio.get_running_loop()
    stream = init_full.runtime_data.stream
    assert stream is not None
    async with asyncio.timeout(10):
        while not stream.synced:  # noqa: ASYNC110 - a state, not an event
            await asyncio.sleep(0.01)
    seen: dict[str, float] = {}

    def record(event: Event) -> None:
        if event.data["entity_id"] == SENSOR and event.data["new_state"] is not None:
            seen.setdefault(event.data["new_state"].state, loop.time())

    unsubscribe = hass.bus.async_listen(EVENT_STATE_CHANGED, record)
    trade_polls = simulator.stats.requests[TRADE_BALANCE_PATH]
    rng = random.Random(13)  # noqa: S311 - moments to change at, not secrets
    latencies = []
    for i in range(CHANGES):
        await asyncio.sleep(rng.uniform(0, 1))
        simulator.accounts[DEMO_KEY].trade["BTC"] = (_amount(i), "0.02")
        changed = loop.time()
        async with asyncio.timeout(5):
            while _total(i) not in seen:  # noqa: ASYNC110 - a state, not an event
                await asyncio.sleep(0.001)
        latencies.append(seen[_total(i)] - changed)
    unsubscribe()
    # Every change came by the stream: no trade-account request was made meanwhile.
    assert simulator.stats.requests[TRADE_BALANCE_PATH] == trade_polls
    assert stream.status.reconnects == 0
    RESULTS["push"] = latencies

    # An hour of polls with the stream up: the poll's requests, counted at the simulator.
    before = dict(simulator.stats.requests)
    for _ in range(POLLS_PER_HOUR):
        await init_full.runtime_data.async_refresh()
    hour = {path: simulator.stats.requests[path] - before.get(path, 0) for path in before}
    # The entry's own requests, as below; the token is one per connection, which lasts hours.
    RESULTS["push_requests"] = [float(hour[MAIN_BALANCE_PATH] + hour[TRADE_BALANCE_PATH])]
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
    rng = random.Random(13)  # noqa: S311 - moments to change at, not secrets
    latencies = []
    before = dict(simulator.stats.requests)
    waited = 0
    for i in range(CHANGES):
        offset = rng.randrange(INTERVAL_S)
        await tick(hass, freezer, timedelta(seconds=offset))
        simulator.accounts[DEMO_KEY].trade["BTC"] = (_amount(i), "0.02")
        seconds = 0
        while hass.states.get(SENSOR).state != _total(i):
            await tick(hass, freezer, timedelta(seconds=1))
            seconds += 1
        latencies.append(float(seconds))
        waited += offset + seconds
    polls = simulator.stats.requests[MAIN_BALANCE_PATH] - before[MAIN_BALANCE_PATH]
    assert polls == waited // INTERVAL_S
    RESULTS["polling"] = latencies
    # The entry's own requests: both accounts. (The server's shared ticker, 12 an hour, is the
    # same with the stream or without.)
    per_poll = sum(
        simulator.stats.requests[path] - before[path]
        for path in (MAIN_BALANCE_PATH, TRADE_BALANCE_PATH)
    )
    RESULTS["polling_requests"] = [per_poll / polls * POLLS_PER_HOUR]
    assert simulator.stats.requests.get(WEBSOCKET_TOKEN_PATH, 0) == 0
    _report()


def _report() -> None:
    if not {"push", "polling"} <= RESULTS.keys():
        return
    rows = [
        f"{CHANGES} changes each; latency from the change to the sensor's state",
        "| path | p50 (s) | p95 (s) | max (s) | balance requests per hour |",
        "|---|---:|---:|---:|---:|",
    ]
    for name in ("push", "polling"):
        samples = RESULTS[name]
        requests = RESULTS[f"{name}_requests"][0]
        rows.append(
            f"| {name} | {statistics.median(samples):.2f} | {_percentile(samples, 0.95):.2f} "
            f"| {max(samples):.2f} | {requests:.0f} |"
        )
    print("\n" + "\n".join(rows))  # noqa: T201 - the benchmark's report
