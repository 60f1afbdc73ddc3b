"""The latency loop the push-against-polling benchmarks share.

A change at WhiteBIT, timed to the sensor's new state: pushed in real time, or polled in frozen
time on Home Assistant's schedule; and the table they print.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
import random
import statistics
from typing import TYPE_CHECKING, Final

from homeassistant.const import EVENT_STATE_CHANGED

from .common import tick
from .pywhitebit.stream_servers import until

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import Event, HomeAssistant

INTERVAL_S: Final = 300
POLLS_PER_HOUR: Final = 3600 // INTERVAL_S


def _rng() -> random.Random:
    # The same moments on every run, push and polling alike: the numbers compare.
    return random.Random(13)  # noqa: S311 - moments to change at, not secrets


async def push_latencies(
    hass: HomeAssistant,
    entity_id: str,
    changes: int,
    change: Callable[[int], None],
    expected: Callable[[int], str | None],
    *,
    within: float,
    before: Callable[[int], Awaitable[None]] | None = None,
) -> list[float]:
    """Each change at a random moment of a second, until `entity_id` shows `expected(i)`.

    Real time, from the change to the state_changed event (None: the entity removed). WhiteBIT
    pushes once a second; the random moment spreads the changes over that second. A change not
    shown `within` seconds fails the benchmark. `before(i)` sets a change up, untimed.
    """
    loop = asyncio.get_running_loop()
    seen: dict[str | None, float] = {}

    def record(event: Event) -> None:
        if event.data["entity_id"] == entity_id:
            new_state = event.data["new_state"]
            seen.setdefault(None if new_state is None else new_state.state, loop.time())

    unsubscribe = hass.bus.async_listen(EVENT_STATE_CHANGED, record)
    rng = _rng()
    latencies: list[float] = []
    try:
        for i in range(changes):
            if before is not None:
                await before(i)
            await asyncio.sleep(rng.uniform(0, 1))
            seen.clear()
            change(i)
            changed = loop.time()
            await until(lambda i=i: expected(i) in seen, seconds=within)
            latencies.append(seen[expected(i)] - changed)
    finally:
        unsubscribe()
    return latencies


async def polling_latencies(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entity_id: str,
    changes: int,
    change: Callable[[int], None],
    expected: Callable[[int], str],
) -> tuple[list[float], int]:
    """Each change at a random moment of the 5-minute interval, until the next poll shows it.

    Frozen time on Home Assistant's own schedule. Returns the latencies and the seconds waited
    in all, to count the polls made meanwhile.
    """
    rng = _rng()
    latencies: list[float] = []
    waited = 0
    for i in range(changes):
        offset = rng.randrange(INTERVAL_S)
        await tick(hass, freezer, timedelta(seconds=offset))
        change(i)
        seconds = 0
        while (state := hass.states.get(entity_id)) is None or state.state != expected(i):
            await tick(hass, freezer, timedelta(seconds=1))
            seconds += 1
        latencies.append(float(seconds))
        waited += offset + seconds
    return latencies, waited


def percentile(samples: list[float], fraction: float) -> float:
    """The sample at `fraction` of the sorted samples (nearest rank)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def report(title: str, rows: dict[str, list[float]], requests: dict[str, str]) -> None:
    """Print the Markdown table: p50, p95 and max per path, and its requests per hour."""
    lines = [
        title,
        "| path | p50 (s) | p95 (s) | max (s) | requests per hour |",
        "|---|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {name} | {statistics.median(samples):.2f} | {percentile(samples, 0.95):.2f} "
        f"| {max(samples):.2f} | {requests.get(name, '')} |"
        for name, samples in rows.items()
    ]
    print("\n" + "\n".join(lines))  # noqa: T201 - the benchmark's report
