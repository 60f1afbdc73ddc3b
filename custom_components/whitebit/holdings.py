"""What an account's answers mean: its balances per account and their totals.

No I/O but async_fetch_balances, the one fetch path, which makes one request per account; no
Home Assistant state. The coordinator polls with it, and the config flow checks a key with it.
"""

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Any, Final

from .const import (
    ACCOUNT_COLLATERAL,
    ACCOUNT_EARN,
    ACCOUNT_MAIN,
    ACCOUNT_TRADE,
    DECIMAL_DIGITS,
)
from .pywhitebit import (
    Balances,
    CollateralSummary,
    Positions,
    TradeBalance,
    WhiteBitClient,
    WhiteBitConnectionError,
    WhiteBitEarnPermissionError,
    WhiteBitError,
    WhiteBitResponseError,
)

_NO_TRADE: Final = TradeBalance(available=Decimal(0), freeze=Decimal(0))


@dataclass(frozen=True, slots=True)
class Portfolio:
    """The value of every tracked balance, and the currencies that could not be valued."""

    value: Decimal
    unvalued: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class WhiteBitData:
    """One poll's result.

    Balances cover every currency WhiteBIT reported, tracked or not: they come in the same
    answer, and they let the options flow offer the full list without another request. `main`
    or `trade` is None when that account is not tracked.
    """

    main: Mapping[str, Decimal] | None = None
    trade: Mapping[str, TradeBalance] | None = None
    collateral: Mapping[str, Decimal] | None = None
    earn: Mapping[str, Decimal] | None = None
    # False while Earn is tracked but WhiteBIT would not say (no access, or a failed request).
    earn_known: bool = True
    # The currencies that have held something in Earn: while Earn is not known, their totals
    # are unknown too; the others had nothing there, and their totals go on.
    earn_held: frozenset[str] = frozenset()
    # Currencies whose entry was wrong on a tracked account: amount unknown, sensors unavailable.
    invalid: frozenset[str] = frozenset()
    # Names that cannot be currencies, escaped: skipped, and reported once.
    rejected: frozenset[str] = frozenset()
    # The currencies tracked this poll: the selected ones, or those holding a balance.
    tickers: frozenset[str] = frozenset()
    # Filled only when valuation is on and the prices could be fetched.
    values: Mapping[str, Decimal | None] | None = None
    portfolio: Portfolio | None = None
    # The collateral account's summary and open positions; None while not known.
    summary: CollateralSummary | None = None
    positions: Positions | None = None

    def listed(self) -> set[str]:
        """Every currency WhiteBIT reported on a tracked account, valid or not."""
        accounts = (self.main, self.trade, self.collateral, self.earn)
        return set[str]().union(*(account or () for account in accounts)) | self.invalid

    def main_balance(self, ticker: str) -> Decimal | None:
        """The main balance; None when not tracked, not listed, or not a valid amount."""
        return None if self.main is None else self.main.get(ticker)

    def collateral_balance(self, ticker: str) -> Decimal | None:
        """The collateral balance; an asset the answer leaves out holds zero, as on trade."""
        if self.collateral is None or ticker in self.invalid:
            return None
        return self.collateral.get(ticker, Decimal(0))

    def earn_balance(self, ticker: str) -> Decimal | None:
        """What is placed in Earn; None when not tracked or not known this poll."""
        if self.earn is None or not self.earn_known or ticker in self.invalid:
            return None
        return self.earn.get(ticker, Decimal(0))

    def trade_balance(self, ticker: str) -> TradeBalance | None:
        """The trade balance; the answer leaves out currencies without one, which hold zero."""
        if self.trade is None or ticker in self.invalid:
            return None
        return self.trade.get(ticker, _NO_TRADE)

    def total(self, ticker: str) -> Decimal | None:
        """Main plus trade (available and frozen) plus collateral, over the tracked accounts.

        None when an amount is unknown: the main account no longer lists the currency, or an
        account sent something that is not an amount. Unknown is not the same as zero.
        """
        if ticker in self.invalid:
            return None
        parts: list[Decimal] = []
        if self.main is not None:
            if ticker not in self.main:
                return None
            parts.append(self.main[ticker])
        if (trade := self.trade_balance(ticker)) is not None:
            parts += (trade.available, trade.freeze)
        if (collateral := self.collateral_balance(ticker)) is not None:
            parts.append(collateral)
        if self.earn is not None:
            if (earn := self.earn_balance(ticker)) is not None:
                parts.append(earn)
            elif ticker in self.earn_held:
                return None  # a total without what is in Earn would pass for the whole
        with localcontext(prec=DECIMAL_DIGITS):
            return sum(parts, Decimal(0))

    def held(self) -> frozenset[str]:
        """The currencies with a balance on a tracked account, or an amount not known.

        A currency whose amount stopped making sense may still hold money: its sensors stay,
        unavailable, rather than being taken for a zero and removed.
        """
        return frozenset(t for t in self.listed() if t in self.invalid or self.total(t))


@dataclass(frozen=True, slots=True)
class Answers:
    """The accounts' answers to one fetch: None for an account not asked."""

    main: Balances[Decimal] | None = None
    trade: Balances[TradeBalance] | None = None
    collateral: Balances[Decimal] | None = None
    earn: Balances[Decimal] | None = None
    # Why Earn has no answer, when the fetch kept its failure apart from the other accounts'.
    earn_error: WhiteBitError | None = None

    def data(self) -> WhiteBitData:
        """What the answers mean, as a flow shows them: Earn unknown if it failed."""
        return combine(
            self.main, self.trade, self.collateral, self.earn, earn_known=self.earn_error is None
        )


async def async_fetch_balances(
    client: WhiteBitClient, accounts: Collection[str], *, earn_apart: bool = False
) -> Answers:
    """Fetch the balances of `accounts`: one request per account, never one per currency.

    The one fetch path, for the config flow's check and for every poll. With `earn_apart`
    (polling), a failure of Earn alone is returned rather than raised: lending access is
    granted apart from every other permission, and the other accounts go on without it. A
    refused key, a rate limit or a clock refusal concern every account and are raised anyway.
    """
    main = await client.main_balances() if ACCOUNT_MAIN in accounts else None
    trade = await client.trade_balances() if ACCOUNT_TRADE in accounts else None
    collateral = await client.collateral_balances() if ACCOUNT_COLLATERAL in accounts else None
    earn: Balances[Decimal] | None = None
    earn_error: WhiteBitError | None = None
    if ACCOUNT_EARN in accounts:
        try:
            earn = await client.earn_balances()
        except (
            WhiteBitEarnPermissionError,
            WhiteBitConnectionError,
            WhiteBitResponseError,
        ) as err:
            if not earn_apart:
                raise
            earn_error = err
    return Answers(main, trade, collateral, earn, earn_error)


def holders(answer: Balances[Decimal] | None) -> frozenset[str]:
    """The currencies an answer gives a balance other than zero."""
    return frozenset(() if answer is None else (t for t, a in answer.amounts.items() if a))


def combine(
    main: Balances[Decimal] | None,
    trade: Balances[TradeBalance] | None,
    collateral: Balances[Decimal] | None = None,
    earn: Balances[Decimal] | None = None,
    *,
    earn_known: bool = True,
    earn_held: frozenset[str] = frozenset(),
) -> WhiteBitData:
    """The data of the accounts' answers, None for an account not tracked.

    `earn_held`: the currencies known to have held something in Earn before these answers.
    """
    answers: list[Balances[Any]] = [a for a in (main, trade, collateral, earn) if a is not None]
    return WhiteBitData(
        main=None if main is None else main.amounts,
        trade=None if trade is None else trade.amounts,
        collateral=None if collateral is None else collateral.amounts,
        earn=None if earn is None else earn.amounts,
        earn_known=earn_known,
        earn_held=earn_held | holders(earn),
        invalid=frozenset().union(*(answer.invalid for answer in answers)),
        rejected=frozenset().union(*(answer.rejected for answer in answers)),
    )
