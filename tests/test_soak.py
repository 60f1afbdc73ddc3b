"""Soak: thousands of polls through the real coordinator and sensors, one in five faulty.

SOAK_POLLS sets the length (scripts/soak runs 10,000; the test suite a short run). Between
polls balances change at random. After every good poll the sensors must equal the simulator's
balances; nothing may raise out of a poll, no log line may hold the secret, and the process's
memory must stay flat. The numbers are printed for the README.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
import gc
import logging
import os
from pathlib import Path
import random
import time
from typing import TYPE_CHECKING
from unittest.mock import patch

from homeassistant.const import STATE_UNAVAILABLE
import pytest

from custom_components.whitebit.pywhitebit.client import WhiteBitClient
from simulator import DEMO_KEY, DEMO_SECRET, Fault, WhiteBitSimulator

from .conftest import SELECTED
from .test_faults import CASES

if TYPE_CHECKING:
    from collections.abc import Generator

    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

# Out of scripts/test's time: scripts/bench, scripts/soak and `scripts/test --bench` run it.
pytestmark = pytest.mark.bench

POLLS = int(os.environ.get("SOAK_POLLS", "400"))
FAULT_RATE = 0.2
TIMEOUT = 0.3  # short, since some requests are timed out, but far above a normal poll
# Every fault of the matrix that fails the whole poll (one wrong currency does not: the matrix
# covers those); the timeout one with real, short delays, since no time is frozen.
FAULTS = [
    case.fault for case in CASES.values() if not case.fault.delay and case.outcome != "currency"
] + [Fault(delay=2 * TIMEOUT)]
# Allowed growth of the resident set over the measured part of the run.
MAX_GROWTH_BYTES = 8 * 2**20


def _rss_bytes() -> int:
    pages = int(Path("/proc/self/statm").read_text(encoding="ascii").split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


def _entity_id(ticker: str) -> str:
    return f"sensor.whitebit_127_0_0_1_{ticker.lower()}_main"


EXPECTED_ERRORS = ("Error fetching WhiteBIT", "Authentication failed while fetching WhiteBIT")


@pytest.fixture
def short_timeout() -> Generator[None]:
    """A short request timeout: the soak runs on real time, and times some requests out."""
    with patch(
        "custom_components.whitebit.WhiteBitClient",
        lambda *args, **kwargs: WhiteBitClient(*args, **kwargs, timeout=TIMEOUT),
    ):
        yield


class LogScanner(logging.Handler):
    """Checks every record as it is emitted and keeps none of them.

    The run replaces the root logger's handlers with this one: pytest's capture keeps every
    record's text for its report, which would grow memory by itself and hide what the
    integration does.
    """

    def __init__(self) -> None:
        """Start with nothing seen."""
        super().__init__(level=logging.DEBUG)
        self.records = 0
        self.unexpected: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Fail on the secret; note errors other than a failed poll's own line."""
        self.records += 1
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            text += repr(record.exc_info[1])
        assert DEMO_SECRET not in text
        # A failed poll logs one expected error line (and its traceback at debug level);
        # anything else at error level, like "Unexpected error fetching", escaped handling.
        if record.levelno >= logging.ERROR and not text.startswith(EXPECTED_ERRORS):
            self.unexpected.append(text[:300])


@dataclass
class Soak:
    """One soak run's state and tallies."""

    hass: HomeAssistant
    entry: MockConfigEntry
    simulator: WhiteBitSimulator
    rng: random.Random = field(default_factory=lambda: random.Random(20261125))  # noqa: S311
    faults: int = 0
    good: int = 0

    def states(self) -> dict[str, str]:
        """The sensors' states, by ticker."""
        return {t: self.hass.states.get(_entity_id(t)).state for t in SELECTED}

    async def poll(self) -> None:
        """Change some balances, maybe inject a fault, poll, and check the outcome."""
        account = self.simulator.accounts[DEMO_KEY]
        for ticker in self.rng.sample(SELECTED, k=self.rng.randint(0, 2)):
            whole, fraction = self.rng.randint(0, 10**12), self.rng.randint(0, 10**8)
            account.balances[ticker] = f"{whole}.{fraction:08d}"
        faulty = self.rng.random() < FAULT_RATE
        if faulty:
            self.simulator.inject(self.rng.choice(FAULTS))
            self.faults += 1
        coordinator = self.entry.runtime_data
        await coordinator.async_refresh()
        await self.hass.async_block_till_done()
        if coordinator.last_update_success:
            self.good += 1
            # The same numbers; the states drop the trailing zeros the random fractions have.
            assert {t: Decimal(s) for t, s in self.states().items()} == {
                t: Decimal(account.balances[t]) for t in SELECTED
            }
        else:
            assert faulty, f"a poll failed without an injected fault: {coordinator.last_exception}"
            assert set(self.states().values()) == {STATE_UNAVAILABLE}


@pytest.mark.usefixtures("short_timeout")
async def test_soak(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: WhiteBitSimulator
) -> None:
    """POLLS polls with 20 % faults: no escaped error, exact states, no secret, flat memory."""
    soak = Soak(hass, init_integration, simulator)
    # Polls here come milliseconds apart, not minutes: WhiteBIT's 1,000 per 10 s would be hit
    # for real, which is not a fault this run injects.
    simulator.set_rate_limit(10**9)
    scanner = LogScanner()
    root = logging.getLogger()
    saved_handlers = root.handlers[:]
    root.handlers = [scanner]
    # Past the warm-up: the first polls grow the allocator's arenas and the caches once.
    warm_at = max(POLLS // 4, 1)
    warm_rss = 0
    started = time.perf_counter()
    try:
        for poll in range(1, POLLS + 1):
            await soak.poll()
            if poll == warm_at:
                gc.collect()
                warm_rss = _rss_bytes()
        # The last word is WhiteBIT's: one clean poll brings back every exact balance.
        simulator.faults.clear()
        await init_integration.runtime_data.async_refresh()
        await hass.async_block_till_done()
        gc.collect()
        growth = _rss_bytes() - warm_rss
    finally:
        root.handlers = saved_handlers
    account = simulator.accounts[DEMO_KEY]
    # The same numbers: a state drops the trailing zeros a random fraction may have.
    assert {t: Decimal(s) for t, s in soak.states().items()} == {
        t: Decimal(account.balances[t]) for t in SELECTED
    }
    print(  # noqa: T201 - the soak's report
        f"\nsoak: {POLLS} polls ({soak.faults} faulty, {soak.good} good) in "
        f"{time.perf_counter() - started:.1f} s; {scanner.records} log records; "
        f"RSS growth after poll {warm_at}: {growth / 2**20:+.2f} MiB; "
        f"unexpected errors: {len(scanner.unexpected)}"
    )
    assert not scanner.unexpected, scanner.unexpected[:5]
    assert growth < MAX_GROWTH_BYTES
