"""Warnings about what a server's answers hold: logged once per change, never once per answer.

Balances arrive at every poll and, pushed, up to every second; a currency flipping between a
wrong amount and a right one must not write a line each time. The rule: a currency is warned
about the first time its amount is wrong; after that it is quiet until it has sent valid
amounts for QUIET_FOR without a break, which is logged once, and only then does a new wrong
amount warn again. An impossible currency name is logged once, and again only after it has
been absent for QUIET_FOR: a name that comes and goes is not news each time it comes back.
"""

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Final

from homeassistant.util import dt as dt_util

from .const import LOGGER
from .holdings import WhiteBitData

QUIET_FOR: Final = timedelta(hours=1)
# Currency names quoted in one warning, at most.
_MAX_NAMES_LOGGED: Final = 5


class AnswerWarnings:
    """Remembers what was said about one entry's answers, so nothing is said twice."""

    def __init__(self) -> None:
        """Nothing said yet."""
        # Each currency warned about, and when its amount was last seen wrong.
        self._wrong_at: dict[str, datetime] = {}
        # Each impossible name reported, and when it was last listed.
        self._rejected_at: dict[str, datetime] = {}

    def report(self, data: WhiteBitData) -> None:
        """Log what changed in `data` since the answers before it."""
        now = dt_util.utcnow()
        if broken := data.invalid - self._wrong_at.keys():
            LOGGER.warning(
                "WhiteBIT sent an amount that is not a non-negative decimal for %s; its sensors "
                "are unavailable until WhiteBIT sends a valid one",
                _names(broken),
            )
        self._wrong_at |= dict.fromkeys(data.invalid, now)
        if mended := {t for t, at in self._wrong_at.items() if now - at >= QUIET_FOR}:
            LOGGER.info("WhiteBIT has sent valid amounts for %s for an hour", _names(mended))
            for ticker in mended:
                del self._wrong_at[ticker]
        if rejected := data.rejected - self._rejected_at.keys():
            LOGGER.warning(
                "WhiteBIT listed %d names that cannot be currencies; they are skipped: %s",
                len(rejected),
                _names(rejected),
            )
        self._rejected_at |= dict.fromkeys(data.rejected, now)
        self._rejected_at = {n: at for n, at in self._rejected_at.items() if now - at < QUIET_FOR}


def _names(names: Collection[str]) -> str:
    """The first few names, in order: a server can send thousands of them in one answer."""
    shown = ", ".join(sorted(names)[:_MAX_NAMES_LOGGED])
    more = len(names) - _MAX_NAMES_LOGGED
    return f"{shown} and {more} more" if more > 0 else shown
