"""Benchmark: from an order filled at WhiteBIT to the Order filled event, push vs polling alone.

As test_bench_stream does for balances: BENCH_CHANGES fills each way (scripts/bench: 100; the
suite's --bench run: 5). Push in real time against the simulator's /ws, which sends each fill
the moment it happens (ordersExecuted is real-time at WhiteBIT); each fill at a random moment
of a second. Polling alone (the stream closed) in frozen time on Home Assistant's schedule, a
fill at a random moment of the five-minute interval, until the poll's history read fires it.
Also counted: the requests events add to a poll. It prints the numbers and asserts only that
every fill fired once, by the path measured.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
import os
import random
from typing import TYPE_CHECKING

import pytest

from simulator import DEMO_KEY
from simulator.orders import OPEN_ORDERS_PATH, ORDER_HISTORY_PATH, TRANSFER_HISTORY_PATH

from .common import tick
from .latency import INTERVAL_S, POLLS_PER_HOUR, report
from .pywhitebit.stream_servers import until
from .test_events import BUY, FILLED, _setup, watch
from .test_events_stream import _fill

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from simulator import WhiteBitSimulator

pytestmark = [pytest.mark.bench, pytest.mark.events]

CHANGES = int(os.environ.get("BENCH_CHANGES", "5"))
EVENT_PATHS = (ORDER_HISTORY_PATH, OPEN_ORDERS_PATH, TRANSFER_HISTORY_PATH)
RESULTS: dict[str, list[float]] = {}


@pytest.mark.stream
async def test_push_latency(
    hass: HomeAssistant, simulator: WhiteBitSimulator, full_config_entry: MockConfigEntry
) -> None:
    """Each fill, at a random moment, until its event's state_changed."""
    simulator.accounts[DEMO_KEY].orders.place(BUY)  # BTC_USDT is traded: it is followed
    await _setup(hass, full_config_entry, ["main", "trade"])
    stream = full_config_entry.runtime_data.stream
    assert stream is not None
    events = full_config_entry.runtime_data.events
    await until(lambda: stream.synced and events.markets == ("BTC_USDT",), seconds=10)
    await asyncio.sleep(0.5)  # the subscription's answer
    fired = watch(hass, FILLED)
    loop = asyncio.get_running_loop()
    seen: dict[int, float] = {}
    before = dict(simulator.stats.requests)
    rng = random.Random(13)  # noqa: S311 - moments to fill at, not secrets
    latencies = []
    for i in range(CHANGES):
        await asyncio.sleep(rng.uniform(0, 1))
        order = await _fill(simulator)
        filled = loop.time()
        await until(lambda i=i: len(fired) > i, seconds=5)
        seen[order.id] = loop.time()
        latencies.append(seen[order.id] - filled)
    assert [a["order_id"] for _, a in fired] == list(seen)
    assert simulator.stats.requests == before  # every fill came by the stream
    RESULTS["push"] = latencies
    _report()


async def test_polling_latency(
    hass: HomeAssistant,
    simulator: WhiteBitSimulator,
    full_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Each fill at a random moment of the 5-minute interval, until the next poll fires it."""
    freezer.move_to("2026-11-25 12:00:00+00:00")
    await _setup(hass, full_config_entry, ["main", "trade"])
    fired = watch(hass, FILLED)
    orders = simulator.accounts[DEMO_KEY].orders
    rng = random.Random(13)  # noqa: S311 - moments to fill at, not secrets
    latencies = []
    before = dict(simulator.stats.requests)
    waited = 0
    for i in range(CHANGES):
        offset = rng.randrange(INTERVAL_S)
        await tick(hass, freezer, timedelta(seconds=offset))
        orders.fill(BUY)
        seconds = 0
        while len(fired) <= i:
            await tick(hass, freezer, timedelta(seconds=1))
            seconds += 1
        latencies.append(float(seconds))
        waited += offset + seconds
    assert len(fired) == CHANGES
    polls = waited // INTERVAL_S
    added = sum(simulator.stats.requests.get(p, 0) - before.get(p, 0) for p in EVENT_PATHS)
    RESULTS["polling"] = latencies
    RESULTS["requests_per_poll"] = [added / polls]
    _report()


def _report() -> None:
    if not {"push", "polling"} <= RESULTS.keys():
        return
    per_poll = RESULTS["requests_per_poll"][0]
    report(
        f"{CHANGES} fills each; latency from the fill to the Order filled event",
        {"push": RESULTS["push"], "polling": RESULTS["polling"]},
        # What events add: the history reads of every poll, the safety net, pushed or not.
        dict.fromkeys(("push", "polling"), f"{per_poll * POLLS_PER_HOUR:.0f}"),
    )
