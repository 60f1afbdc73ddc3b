"""What a server's answers hold is logged once per change, however often they come."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
import json
import logging
from typing import TYPE_CHECKING

import pytest

from custom_components.whitebit.pywhitebit.models import Balances, TradeBalance
from simulator import Fault

from .common import warning_lines

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from simulator import WhiteBitSimulator

WRONG = "not a non-negative decimal for BTC"
MENDED = "has sent valid amounts for BTC for an hour"


def _info_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]


@pytest.mark.usefixtures("freeze_first")
async def test_a_flipping_amount_is_logged_once(
    hass: HomeAssistant,
    init_full: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """BTC's trade amount flips between wrong and right at every pushed update, 100 times.

    It was a warning and an info line at every flip. Now: one warning the first time; quiet
    while it keeps flipping; one line once it has been right for an hour; and only then does a
    new wrong amount warn again.
    """
    coordinator = init_full.runtime_data
    wrong = Balances[TradeBalance]({}, invalid=frozenset({"BTC"}))
    right = Balances({"BTC": TradeBalance(Decimal(1), Decimal(0))})
    for flip in range(100):
        coordinator.async_stream_trade(wrong if flip % 2 == 0 else right)
        freezer.tick(timedelta(seconds=1))
    await hass.async_block_till_done()
    assert sum(WRONG in line for line in warning_lines(caplog)) == 1
    assert not any(MENDED in line for line in _info_lines(caplog))

    # Right for 59 minutes: still quiet, and a wrong amount then is not news either.
    freezer.tick(timedelta(minutes=59))
    coordinator.async_stream_trade(right)
    coordinator.async_stream_trade(wrong)
    coordinator.async_stream_trade(right)
    assert sum(WRONG in line for line in warning_lines(caplog)) == 1
    # Right for an hour: said once; the next wrong amount is news again.
    freezer.tick(timedelta(hours=1))
    coordinator.async_stream_trade(right)
    coordinator.async_stream_trade(right)
    assert sum(MENDED in line for line in _info_lines(caplog)) == 1
    coordinator.async_stream_trade(wrong)
    assert sum(WRONG in line for line in warning_lines(caplog)) == 2
    assert hass.states.get("sensor.whitebit_127_0_0_1_btc_total").state == "unavailable"


@pytest.mark.usefixtures("freeze_first")
async def test_flipping_names_and_amounts_are_reported_in_short_lines_once(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: WhiteBitSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An impossible name that comes and goes is reported once, not at each return.

    It was reported whenever the answer before had not listed it: every other poll, forever.
    And an hour after 9,999 wrong amounts were mended, the line saying so named every one.
    """
    coordinator = init_integration.runtime_data
    hostile = {"BAD NAME": {"main_balance": "1"}}
    hostile |= {f"C{n:05d}": {"main_balance": "-1"} for n in range(9_999)}
    for poll in range(6):
        if poll % 2 == 0:
            simulator.inject(Fault(200, json.dumps(hostile)))
        await coordinator.async_refresh()
        freezer.tick(timedelta(minutes=5))
    assert sum("cannot be currencies" in line for line in warning_lines(caplog)) == 1
    freezer.tick(timedelta(hours=1))
    await coordinator.async_refresh()
    [mended] = [line for line in _info_lines(caplog) if "valid amounts" in line]
    assert len(mended) < 500
    assert "C00004 and 9994 more for an hour" in mended
