"""Helpers shared by the tests that let time pass."""

from __future__ import annotations

from datetime import timedelta
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_homeassistant_custom_component.common import async_fire_time_changed

from simulator import MAIN_BALANCE_PATH

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    import pytest

    from simulator import WhiteBitSimulator

BTC = "sensor.whitebit_127_0_0_1_btc_main"
INTERVAL = timedelta(seconds=300)
# The blueprints users import, as the repository ships them.
BLUEPRINTS = Path(__file__).resolve().parent.parent / "blueprints" / "automation" / "whitebit"


async def tick(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    delta: timedelta,
    *,
    wait_for_polls: bool = True,
) -> None:
    """Let `delta` pass in steps, so timers fire in the order they would in real time.

    One jump would fire the poll and the client pool's 15 s idle-connection cleanup in the same
    pass, closing the connection the poll had just taken; in real time the pool closes it long
    before the next poll. Without `wait_for_polls`, a poll still waiting on a timer (a request
    timing out) is left running while time moves on, which is what makes that timer fire.
    """
    step = timedelta(seconds=5)
    while delta > timedelta(0):
        freezer.tick(min(step, delta))
        delta -= min(step, delta)
        async_fire_time_changed(hass)
        # Polls run as background tasks; let each finish before time moves on.
        await hass.async_block_till_done(wait_background_tasks=wait_for_polls)


def requests_seen(simulator: WhiteBitSimulator) -> int:
    """How many balance requests the simulator has answered so far."""
    return simulator.stats.requests.get(MAIN_BALANCE_PATH, 0)


def error_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The integration's log lines at error level or above, in order."""
    return _lines(caplog, logging.ERROR, logging.CRITICAL)


def warning_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The integration's warning lines, in order."""
    return _lines(caplog, logging.WARNING, logging.WARNING)


def _lines(caplog: pytest.LogCaptureFixture, lowest: int, highest: int) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if lowest <= record.levelno <= highest
        and record.name.startswith("custom_components.whitebit")
    ]
