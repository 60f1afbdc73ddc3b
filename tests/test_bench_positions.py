"""Benchmark: from a position's PnL change at WhiteBIT to its sensor's new state, push vs polling.

As test_bench_stream does for trade balances: BENCH_CHANGES changes each way (scripts/bench:
100; the suite: 3). Push in real time against the simulator's /ws, which sends every position
once a second as WhiteBIT does; polling in frozen time on Home Assistant's schedule (five
minutes). Also counted: the collateral account's requests per hour, stream up against polling
alone. It prints the numbers and asserts only that every change arrived, and by which path.
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

from custom_components.whitebit.const import CONF_ACCOUNTS
from simulator import COLLATERAL_BALANCE_PATH, DEMO_KEY
from simulator.margin import COLLATERAL_SUMMARY_PATH, OPEN_POSITIONS_PATH

from .common import tick
from .pywhitebit.stream_servers import until

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import Event, HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from simulator import WhiteBitSimulator

CHANGES = int(os.environ.get("BENCH_CHANGES", "3"))
SENSOR = "sensor.whitebit_127_0_0_1_btc_usdt_long_pnl"
INTERVAL_S = 300
POLLS_PER_HOUR = 3600 // INTERVAL_S
PATHS = (COLLATERAL_BALANCE_PATH, COLLATERAL_SUMMARY_PATH, OPEN_POSITIONS_PATH)
RESULTS: dict[str, list[float]] = {}
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
    """Each PnL change, at a random moment, until the sensor's state_changed event."""
    await _margin_entry(hass, mock_config_entry, simulator)
    coordinator = mock_config_entry.runtime_data
    stream = coordinator.stream
    assert stream is not None
    await until(lambda: stream.synced, seconds=10)
    loop = asyncio.get_running_loop()
    seen: dict[str, float] = {}

    def record(event: Event) -> None:
        if event.data["entity_id"] == SENSOR and event.data["new_state"] is not None:
            seen.setdefault(event.data["new_state"].state, loop.time())

    unsubscribe = hass.bus.async_listen(EVENT_STATE_CHANGED, record)
    before = dict(simulator.stats.requests)
    rng = random.Random(13)  # noqa: S311 - moments to change at, not secrets
    latencies = []
    for i in range(CHANGES):
        await asyncio.sleep(rng.uniform(0, 1))
        simulator.accounts[DEMO_KEY].margin.control({"market": "BTC_USDT", "pnl": _pnl(i)})
        changed = loop.time()
        await until(lambda i=i: _pnl(i) in seen, seconds=5)
        latencies.append(seen[_pnl(i)] - changed)
    unsubscribe()
    assert _requests(simulator, before) == 0  # every change came by the stream
    RESULTS["push"] = latencies
    before = dict(simulator.stats.requests)
    for _ in range(POLLS_PER_HOUR):
        await coordinator.async_refresh()
    # One resync an hour: the balance, the summary and the positions.
    RESULTS["push_requests"] = [float(_requests(simulator, before))]
    assert RESULTS["push_requests"] == [3.0]
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
    rng = random.Random(13)  # noqa: S311 - moments to change at, not secrets
    latencies = []
    before = dict(simulator.stats.requests)
    waited = 0
    for i in range(CHANGES):
        offset = rng.randrange(INTERVAL_S)
        await tick(hass, freezer, timedelta(seconds=offset))
        simulator.accounts[DEMO_KEY].margin.control({"market": "BTC_USDT", "pnl": _pnl(i)})
        seconds = 0
        while hass.states.get(SENSOR).state != _pnl(i):
            await tick(hass, freezer, timedelta(seconds=1))
            seconds += 1
        latencies.append(float(seconds))
        waited += offset + seconds
    polls = waited // INTERVAL_S
    RESULTS["polling"] = latencies
    RESULTS["polling_requests"] = [_requests(simulator, before) / polls * POLLS_PER_HOUR]
    _report()


def _report() -> None:
    if not {"push", "polling"} <= RESULTS.keys():
        return
    rows = [
        f"{CHANGES} position PnL changes each; latency from the change to the sensor's state",
        "| path | p50 (s) | p95 (s) | max (s) | collateral requests per hour |",
        "|---|---:|---:|---:|---:|",
    ]
    for name in ("push", "polling"):
        samples = sorted(RESULTS[name])
        p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
        rows.append(
            f"| {name} | {statistics.median(samples):.2f} | {p95:.2f} "
            f"| {max(samples):.2f} | {RESULTS[f'{name}_requests'][0]:.0f} |"
        )
    print("\n" + "\n".join(rows))  # noqa: T201 - the benchmark's report
