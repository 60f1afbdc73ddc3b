"""What an entry tracks: its options, and the currencies automatic tracking follows.

Automatic tracking is bounded in count (MAX_AUTO_TRACKED) and in rate: at most
ADDITIONS_PER_HOUR currencies start being followed per hour, after the first set, which is
free. Every currency followed gets sensors, and one that goes to zero loses them: a server
(or a stream) that zeroes a hundred currencies and lists a hundred new ones each second would
otherwise write a hundred deleted entities to the registry on disk every second. Bounding the
additions bounds the removals too, since a currency can only be removed once per addition. An
account's own sensor of a followed currency is added the first time that account holds it, at
most once per account while the currency is followed: bounded by the same additions. A
real user never notices: buying or receiving more than ADDITIONS_PER_HOUR new currencies
within one hour does not happen to a person, and a currency held back is added later in the
hour, not lost.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from homeassistant.util import dt as dt_util

from .const import (
    ACCOUNT_SUBACCOUNTS,
    CONF_ACCOUNTS,
    CONF_AUTO_TRACK,
    CONF_MARKETS,
    CONF_QUOTE,
    CONF_TICKERS,
    CONF_ZERO_BALANCE,
    LOGGER,
    MAX_AUTO_TRACKED,
    quote_ticker,
)

# Currencies automatic tracking may start following per hour, after its first set.
ADDITIONS_PER_HOUR: Final = 20
_HOUR: Final = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Tracking:
    """What an entry tracks, read once from its options."""

    accounts: frozenset[str]
    tickers: frozenset[str]
    auto_track: bool
    zero_balance: str
    quote: str | None
    markets: tuple[str, ...] = ()
    # Sub-accounts are followed apart (subaccounts.py): never one of `accounts`.
    sub_accounts: bool = False

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> Tracking:
        """Read the options as the current minor version writes them."""
        accounts = frozenset(options[CONF_ACCOUNTS])
        return cls(
            accounts=accounts - {ACCOUNT_SUBACCOUNTS},
            tickers=frozenset(options[CONF_TICKERS]),
            auto_track=options[CONF_AUTO_TRACK],
            zero_balance=options[CONF_ZERO_BALANCE],
            quote=quote_ticker(options[CONF_QUOTE]),
            markets=tuple(options.get(CONF_MARKETS, ())),
            sub_accounts=ACCOUNT_SUBACCOUNTS in accounts,
        )


class AutoTracker:
    """The currencies automatic tracking follows, from those holding a balance.

    Past either bound, currencies followed already keep their place and new ones wait, in
    name order. The user is warned when something starts being held back, at most once an
    hour: a server turning the same currencies on and off would otherwise make a warning of
    each return.
    """

    def __init__(self) -> None:
        """Follow nothing yet; the first set is taken whole (up to MAX_AUTO_TRACKED)."""
        self._tracked: frozenset[str] = frozenset()
        self._budget = float(ADDITIONS_PER_HOUR)
        self._since: datetime | None = None
        self._holding_back = False
        self._warned_at: datetime | None = None

    def follow(self, held: frozenset[str]) -> frozenset[str]:
        """The currencies to follow now, given those that hold a balance."""
        kept = self._tracked & held
        new = sorted(held - kept)
        room = MAX_AUTO_TRACKED - len(kept)
        allowed = room
        now = dt_util.utcnow()
        if self._since is not None:
            hours = (now - self._since) / _HOUR
            self._budget = min(ADDITIONS_PER_HOUR, self._budget + hours * ADDITIONS_PER_HOUR)
            allowed = min(room, int(self._budget))
            self._budget -= min(allowed, len(new))
        self._since = now
        self._tracked = kept | frozenset(new[:allowed])
        self._warn(held, len(new) - allowed, now, by_rate=allowed < min(room, len(new)))
        return self._tracked

    def _warn(self, held: frozenset[str], waiting: int, now: datetime, *, by_rate: bool) -> None:
        starts = waiting > 0 and not self._holding_back
        if starts and (self._warned_at is None or now - self._warned_at >= _HOUR):
            self._warned_at = now
            if by_rate:
                LOGGER.warning(
                    "%d currencies that began holding a balance wait: automatic tracking adds "
                    "at most %d an hour, so that entities do not churn. They follow within "
                    "the hour",
                    waiting,
                    ADDITIONS_PER_HOUR,
                )
            else:
                LOGGER.warning(
                    "%d currencies hold a balance; automatic tracking follows %d of them. "
                    "Select the currencies you want in the options instead",
                    len(held),
                    MAX_AUTO_TRACKED,
                )
        self._holding_back = waiting > 0
