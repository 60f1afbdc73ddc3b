"""Benchmark: a hostile stream's flood through a real Home Assistant, for one code root.

Run by scripts/bench-flood, once per code root (this tree, and an older one for comparison):
the integration comes from that root, the simulator (with its flood) from this tree. WhiteBIT's
real intervals; nothing of the integration is patched except, where the code has one, the
stream's frame bound, lifted for the capacity run so what is measured is what the code can
absorb. Prints one JSON line of results, which scripts/bench-flood puts side by side.

- capacity: frames as fast as the client reads them, for CAPACITY_S seconds: frames absorbed a
  second, state writes a second of the busiest entity, CPU, and the worst event-loop stall.
- paced: 2,000 frames a second for PACED_S seconds, with the code's own bounds.
- memory: six frames of 50,000 new names each (tracemalloc): what is kept, and the peak.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
import dataclasses
import gc
import json
import os
import time
import tracemalloc
from typing import TYPE_CHECKING, Any

from aiohttp.test_utils import TestServer
from homeassistant.const import CONF_API_KEY, CONF_URL, EVENT_STATE_CHANGED
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.whitebit import const
from custom_components.whitebit.identity import entry_unique_id
from simulator import DEMO_KEY, DEMO_SECRET, WhiteBitSimulator, demo_simulator
from simulator.stream import Flood

if TYPE_CHECKING:
    from homeassistant.core import Event, HomeAssistant

CAPACITY_S = float(os.environ.get("BENCH_CAPACITY_S", "4"))
PACED_S = float(os.environ.get("BENCH_PACED_S", "4"))
BTC = "sensor.whitebit_127_0_0_1_btc_total"
RESULTS: dict[str, Any] = {}


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Load custom_components/ from the code root under test."""


@pytest.fixture
def simulator() -> WhiteBitSimulator:
    """The demo exchange; its /ws floods when told to."""
    return demo_simulator()


@pytest.fixture
async def entry(
    hass: HomeAssistant,
    simulator: WhiteBitSimulator,
    socket_enabled: None,  # noqa: ARG001 - a listening socket on loopback
) -> AsyncGenerator[MockConfigEntry]:
    """The demo account's entry, both accounts and values in USDT, set up and streaming."""
    server = TestServer(simulator.app(), host="127.0.0.1")
    await server.start_server(access_log=None)
    url = str(server.make_url("")).rstrip("/")
    config_entry = MockConfigEntry(
        domain=const.DOMAIN,
        title="WhiteBIT (127.0.0.1)",
        version=1,
        minor_version=3,
        unique_id=entry_unique_id(url, DEMO_KEY),
        data={CONF_URL: url, CONF_API_KEY: DEMO_KEY, const.CONF_API_SECRET: DEMO_SECRET},
        options={
            const.CONF_ACCOUNTS: ["main", "trade"],
            const.CONF_TICKERS: ["BTC", "DOGE", "ETH", "SOL", "TON", "USDT"],
            const.CONF_AUTO_TRACK: False,
            const.CONF_ZERO_BALANCE: "remove",
            const.CONF_QUOTE: "usdt",
        },
    )
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    stream = config_entry.runtime_data.stream
    async with asyncio.timeout(10):
        while not stream.synced:  # noqa: ASYNC110 - a state, not an event
            await asyncio.sleep(0.01)
    yield config_entry
    await hass.config_entries.async_unload(config_entry.entry_id)
    await server.close()


def _update(balances: dict[str, Any]) -> str:
    return json.dumps({"id": None, "method": "balanceSpot_update", "params": [balances]})


def _lift_bounds(monkeypatch: pytest.MonkeyPatch, stream: object) -> None:
    """Lift the frame bound, where the code has one: capacity is what is measured."""
    limits = getattr(stream, "limits", None)
    if limits is not None:
        monkeypatch.setattr(
            stream, "limits", dataclasses.replace(limits, max_frames=10**9, max_bytes=10**12)
        )


async def _flood(
    hass: HomeAssistant, simulator: WhiteBitSimulator, flood: Flood, seconds: float
) -> dict[str, float]:
    """Run `flood` for `seconds` (or until it is done); measure writes, CPU and stalls."""
    loop = asyncio.get_running_loop()
    writes: list[float] = []

    def count(event: Event) -> None:
        if event.data["entity_id"] == BTC:
            writes.append(loop.time())

    unsubscribe = hass.bus.async_listen(EVENT_STATE_CHANGED, count)
    simulator.stream.flood = flood
    await simulator.stream.inject("drop")  # the next connection's subscription starts it
    while flood.started is None:  # noqa: ASYNC110 - a state, not an event
        await asyncio.sleep(0.01)
    started, cpu, sent = loop.time(), time.process_time(), flood.sent
    worst = 0.0
    while loop.time() - started < seconds and flood.finished is None:
        before = loop.time()
        await asyncio.sleep(0.01)
        worst = max(worst, loop.time() - before - 0.01)
    elapsed = loop.time() - started
    frames = flood.sent - sent
    cpu_share = (time.process_time() - cpu) / elapsed
    flood.count = flood.sent  # stop it
    await asyncio.sleep(1.2)
    unsubscribe()
    simulator.stream.flood = None
    return {
        "frames_per_s": frames / elapsed,
        "writes_per_s": len([t for t in writes if t <= started + elapsed]) / elapsed,
        "cpu_percent": 100 * cpu_share,
        "worst_stall_s": worst,
    }


async def test_capacity(
    hass: HomeAssistant,
    simulator: WhiteBitSimulator,
    entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As fast as the client reads: how many frames a second the integration absorbs."""
    _lift_bounds(monkeypatch, entry.runtime_data.stream)
    frames = [_update({"BTC": {"available": f"{i}.5", "freeze": "0"}}) for i in range(1000)]
    flood = Flood(lambda i: frames[i % len(frames)], count=10**9)
    RESULTS["capacity"] = await _flood(hass, simulator, flood, CAPACITY_S)


async def test_paced(
    hass: HomeAssistant, simulator: WhiteBitSimulator, entry: MockConfigEntry
) -> None:
    """2,000 frames a second, with the code's own bounds."""
    frames = [_update({"BTC": {"available": f"{i}.5", "freeze": "0"}}) for i in range(1000)]
    flood = Flood(lambda i: frames[i % len(frames)], count=10**9, per_second=2000)
    stream = entry.runtime_data.stream
    reconnects = stream.status.reconnects
    RESULTS["paced"] = await _flood(hass, simulator, flood, PACED_S)
    RESULTS["paced"]["reconnects"] = stream.status.reconnects - reconnects - 1


async def test_memory(
    hass: HomeAssistant,
    simulator: WhiteBitSimulator,
    entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Six frames of 50,000 new names each; then a marker frame, awaited on an entity."""
    _lift_bounds(monkeypatch, entry.runtime_data.stream)
    names = 50_000
    frames = [
        _update({f"N{i}X{j}": {"available": "1", "freeze": "0"} for j in range(names)})
        for i in range(6)
    ]
    frames.append(_update({"BTC": {"available": "7", "freeze": "0"}}))
    flood = Flood(frames.__getitem__, count=len(frames))
    done: Callable[[], bool] = lambda: hass.states.get(BTC).state == "7.51234567"  # noqa: E731
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        started = time.perf_counter()
        simulator.stream.flood = flood
        await simulator.stream.inject("drop")
        async with asyncio.timeout(120):
            while not done():  # noqa: ASYNC110 - a state, not an event
                await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - started
        await hass.async_block_till_done()
        peak = tracemalloc.get_traced_memory()[1]
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    trade = entry.runtime_data.data.trade
    RESULTS["memory"] = {
        "kept_mib": (kept - before) / 2**20,
        "peak_mib": (peak - before) / 2**20,
        "trade_assets": len(trade or {}),
        "seconds": elapsed,
    }
    print("\nBENCH_FLOOD " + json.dumps(RESULTS))
