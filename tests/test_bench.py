"""Benchmark: what a poll costs, side by side with a bare signed request, for N tickers.

BENCH_NS lists the ticker counts (scripts/bench: 1,10,100,1000; the test suite: 1,10), and
BENCH_PLOT names a PNG to draw time against N. It is a benchmark, not a timed test: it prints
the numbers and asserts only the counts (one request per poll, no state written by an
unchanged poll, exactly k by k changes).
"""

from __future__ import annotations

from dataclasses import dataclass
import gc
import json
import math
import os
from pathlib import Path
import statistics
import time
import tracemalloc
from typing import TYPE_CHECKING

from homeassistant.const import CONF_API_KEY, CONF_URL, EVENT_STATE_CHANGED
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from PIL import Image, ImageDraw
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.whitebit.const import CONF_API_SECRET, CONF_TICKERS, DOMAIN
from custom_components.whitebit.pywhitebit.signing import encode_body, sign
from simulator import DEMO_KEY, DEMO_SECRET, MAIN_BALANCE_PATH, WhiteBitSimulator

if TYPE_CHECKING:
    from homeassistant.core import Event, HomeAssistant

# Out of scripts/test's time: scripts/bench, scripts/soak and `scripts/test --bench` run it.
pytestmark = pytest.mark.bench

NS = [int(n) for n in os.environ.get("BENCH_NS", "1,10").split(",")]
PLOT = os.environ.get("BENCH_PLOT")
CHANGED = 5
# The bare requests use a key of their own: nonces are per key, and sharing the integration's
# would have WhiteBIT refuse one side's.
BARE_KEY, BARE_SECRET = "bench-bare-key", "bench-bare-secret"


@dataclass
class Row:
    """One ticker count's measurements."""

    n: int
    requests_per_poll: float
    bare_ms: float
    refresh_ms: float
    refresh_all_changed_ms: float
    unchanged_events: int
    changed_events: int
    setup_ms: float
    setup_bytes: int

    @property
    def ratio(self) -> float:
        """An unchanged poll's cost over the bare request's."""
        return self.refresh_ms / self.bare_ms


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def _entry(sim_url: str, tickers: list[str], number: int) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        entry_id=f"bench{number:04d}",
        title="WhiteBIT (127.0.0.1)",
        unique_id=f"bench-{number}",
        data={CONF_URL: sim_url, CONF_API_KEY: DEMO_KEY, CONF_API_SECRET: DEMO_SECRET},
        options={CONF_TICKERS: tickers},
    )


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> float:
    entry.add_to_hass(hass)
    started = time.perf_counter()
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return time.perf_counter() - started


async def _remove(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()


async def _bare_request(hass: HomeAssistant, sim_url: str, nonce: int) -> None:
    """Sign, post and parse, with nothing of the integration but its signing helpers."""
    body = encode_body(MAIN_BALANCE_PATH, nonce)
    payload, signature = sign(BARE_SECRET, body)
    headers = {"X-TXC-APIKEY": BARE_KEY, "X-TXC-PAYLOAD": payload, "X-TXC-SIGNATURE": signature}
    session = async_get_clientsession(hass)
    async with session.post(sim_url + MAIN_BALANCE_PATH, data=body, headers=headers) as answer:
        assert answer.status == 200
        json.loads(await answer.text())


async def _measure(
    hass: HomeAssistant, simulator: WhiteBitSimulator, sim_url: str, n: int, number: int
) -> Row:
    tickers = [f"C{i:04d}" for i in range(n)]
    account = simulator.accounts[DEMO_KEY]
    account.balances = dict.fromkeys(tickers, "1.5")
    simulator.currencies = list(tickers)
    simulator.add_account(BARE_KEY, BARE_SECRET, account.balances)
    repeats = 30 if n <= 100 else 10

    entry = _entry(sim_url, tickers, 2 * number)
    setup = await _setup(hass, entry)
    coordinator = entry.runtime_data
    events: list[Event] = []
    unsubscribe = hass.bus.async_listen(EVENT_STATE_CHANGED, events.append)

    bare, refresh, refresh_changed = [], [], []
    nonce = 0
    before = simulator.stats.requests.get(MAIN_BALANCE_PATH, 0)
    for _ in range(repeats):
        # Side by side, alternating, so both see the same machine.
        started = time.perf_counter()
        # A nonceWindow nonce, as the client sends: WhiteBIT's clock time, never repeated.
        nonce = max(int(time.time() * 1000), nonce + 1)
        await _bare_request(hass, sim_url, nonce)
        bare.append(time.perf_counter() - started)
        started = time.perf_counter()
        await coordinator.async_refresh()
        await hass.async_block_till_done()
        refresh.append(time.perf_counter() - started)
        assert coordinator.last_update_success
    polls = simulator.stats.requests.get(MAIN_BALANCE_PATH, 0) - before - repeats
    unchanged_events = len(events)

    for ticker in tickers[:CHANGED]:
        account.balances[ticker] = "2.5"
    events.clear()
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    changed_events = len(events)

    for round_ in range(repeats):
        account.balances = dict.fromkeys(tickers, f"{round_}.25")
        started = time.perf_counter()
        await coordinator.async_refresh()
        await hass.async_block_till_done()
        refresh_changed.append(time.perf_counter() - started)
        assert coordinator.last_update_success
    unsubscribe()
    await _remove(hass, entry)

    # Memory: a second, fresh entry, set up under tracemalloc (which would skew the timing).
    entry = _entry(sim_url, tickers, 2 * number + 1)
    gc.collect()
    tracemalloc.start()
    start_bytes = tracemalloc.get_traced_memory()[0]
    await _setup(hass, entry)
    gc.collect()
    setup_bytes = tracemalloc.get_traced_memory()[0] - start_bytes
    tracemalloc.stop()
    await _remove(hass, entry)

    return Row(
        n=n,
        requests_per_poll=polls / repeats,
        bare_ms=_median_ms(bare),
        refresh_ms=_median_ms(refresh),
        refresh_all_changed_ms=_median_ms(refresh_changed),
        unchanged_events=unchanged_events,
        changed_events=changed_events,
        setup_ms=setup * 1000,
        setup_bytes=setup_bytes,
    )


def _table(rows: list[Row]) -> str:
    lines = [
        (
            "| N | requests/poll | bare request (ms) | unchanged poll (ms) | ratio "
            "| all changed (ms) | state_changed unchanged | state_changed, k=5 "
            "| setup (ms) | memory/sensor (KiB) |"
        ),
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    first = rows[0]
    for row in rows:
        per_sensor = (
            f"{(row.setup_bytes - first.setup_bytes) / (row.n - first.n) / 1024:.1f}"
            if row.n > first.n
            else "-"
        )
        lines.append(
            f"| {row.n} | {row.requests_per_poll:g} | {row.bare_ms:.2f} | {row.refresh_ms:.2f} "
            f"| {row.ratio:.2f} | {row.refresh_all_changed_ms:.1f} | {row.unchanged_events} "
            f"| {row.changed_events} | {row.setup_ms:.0f} | {per_sensor} |"
        )
    return "\n".join(lines)


def _plot(rows: list[Row], path: Path) -> None:
    """Time against N on log-log axes, drawn with Pillow (no plotting library needed)."""
    width, height, margin = 720, 420, 70
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    series = {
        "bare signed request": ([r.bare_ms for r in rows], (120, 120, 120)),
        "poll, nothing changed": ([r.refresh_ms for r in rows], (0, 110, 200)),
        "poll, every balance changed": ([r.refresh_all_changed_ms for r in rows], (220, 90, 0)),
    }
    values = [v for data, _ in series.values() for v in data]
    low, high = min(values) / 1.5, max(values) * 1.5
    ns = [r.n for r in rows]

    def x(n: int) -> float:
        span = max(ns) / min(ns) if max(ns) > min(ns) else 10
        return margin + (width - 2 * margin) * math.log10(n / min(ns)) / math.log10(span)

    def y(ms: float) -> float:
        return (
            height - margin - (height - 2 * margin) * math.log10(ms / low) / math.log10(high / low)
        )

    draw.rectangle([margin, margin, width - margin, height - margin], outline="black")
    for n in ns:
        draw.line([x(n), height - margin, x(n), height - margin + 5], fill="black")
        draw.text((x(n) - 10, height - margin + 8), str(n), fill="black")
    tick = 10 ** math.floor(math.log10(low))
    while tick <= high:
        if tick >= low:
            draw.line([margin - 5, y(tick), margin, y(tick)], fill="black")
            draw.text((8, y(tick) - 6), f"{tick:g} ms", fill="black")
        tick *= 10
    draw.text((width / 2 - 60, height - 30), "selected tickers (N)", fill="black")
    draw.text((margin, 20), "Time per poll, median, loopback (log-log)", fill="black")
    for index, (label, (data, colour)) in enumerate(series.items()):
        points = [(x(n), y(v)) for n, v in zip(ns, data, strict=True)]
        if len(points) > 1:
            draw.line(points, fill=colour, width=3)
        for px, py in points:
            draw.ellipse([px - 4, py - 4, px + 4, py + 4], fill=colour)
        draw.text((margin + 10, margin + 10 + 16 * index), label, fill=colour)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)


async def test_bench(hass: HomeAssistant, simulator: WhiteBitSimulator, sim_url: str) -> None:
    """Measure each N; assert the counts only."""
    # Hundreds of requests in a few seconds: WhiteBIT's limit is not what is measured here.
    simulator.set_rate_limit(10**9)
    # The test harness runs the loop in asyncio debug mode, which records a stack trace for
    # every task created: half of a 1000-sensor setup's time. Home Assistant does not.
    debug = hass.loop.get_debug()
    hass.loop.set_debug(False)
    try:
        rows = [await _measure(hass, simulator, sim_url, n, i) for i, n in enumerate(NS)]
    finally:
        hass.loop.set_debug(debug)
    print("\n" + _table(rows))  # noqa: T201 - the benchmark's report
    if PLOT:
        _plot(rows, Path(PLOT))
    for row in rows:
        assert row.requests_per_poll == 1
        assert row.unchanged_events == 0
        assert row.changed_events == min(CHANGED, row.n)
