"""The typed results the client returns: balances, trade balances and markets."""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class TradeBalance:
    """One currency on the trade account: free to trade, and held by open orders."""

    available: Decimal
    freeze: Decimal

    @property
    def total(self) -> Decimal:
        """Everything on the trade account, in orders or not."""
        return self.available + self.freeze


@dataclass(frozen=True, slots=True)
class Balances[T]:
    """One account's answer, read currency by currency.

    `invalid` holds currencies whose entry was wrong (a negative or non-numeric amount, a
    missing field): their amount is unknown, which is neither zero nor a reason to drop every
    other currency. `rejected` holds names that cannot be currencies, escaped for a log line.
    """

    amounts: Mapping[str, T]
    invalid: frozenset[str] = frozenset()
    rejected: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Market:
    """One market of the public ticker: BASE_QUOTE, its last price, and whether it trades."""

    base: str
    quote: str
    last_price: Decimal
    frozen: bool
    # The change over 24 hours, in percent; None when the ticker's figure is not a number.
    change: Decimal | None = None


def merge_balances[T](old: Balances[T], changes: Balances[T]) -> Balances[T]:
    """An account's balances after `changes`, which name only the currencies that changed."""
    changed = set(changes.amounts) | changes.invalid
    amounts = {t: a for t, a in old.amounts.items() if t not in changed} | dict(changes.amounts)
    return Balances(
        MappingProxyType(amounts),
        (old.invalid - changed) | changes.invalid,
        old.rejected | changes.rejected,
    )
