"""Values an account's balances in a quote currency, from WhiteBIT's public markets.

Free of Home Assistant imports, like the client: it is plain arithmetic on Decimals.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, localcontext
from types import MappingProxyType
from typing import Final

from .const import DECIMAL_DIGITS
from .holdings import Portfolio, WhiteBitData
from .pywhitebit import Market

# A currency without a market in the quote currency is valued along a chain of markets, at most
# MAX_PATH_MARKETS long (SOL -> USDT -> EUR is two; a third allows two intermediates, which is
# what WhiteBIT's listing needs for a coin quoted only against a minor currency). Every price
# along a longer chain is one more rate nobody trades the whole way at, so the bound stays small.
MAX_PATH_MARKETS: Final = 3
# Of the chains of the shortest length, the one through the deepest markets wins: these come
# first, in this order, then any other currency in name order. The choice never depends on the
# order WhiteBIT lists markets in.
PREFERRED_BRIDGES: Final = ("USDT", "USDC", "BTC", "ETH", "USD", "EUR")
VALUE_EXPONENT: Final = Decimal("1e-8")
# No market pays this much for anything: a value at or past it comes from prices no real market
# gives (a hostile ticker can list 40-digit prices, and a chain multiplies three), and is not a
# value. Far enough below DECIMAL_DIGITS that the quantize cannot fail (it raised InvalidOperation
# past 100 digits) and a sum of values stays exact.
MAX_VALUE: Final = Decimal("1e60")


def _rank(currency: str) -> tuple[int, str]:
    """Order of preference of a currency as an intermediate."""
    if currency in PREFERRED_BRIDGES:
        return PREFERRED_BRIDGES.index(currency), ""
    return len(PREFERRED_BRIDGES), currency


class PriceBook:
    """Prices of every currency in one quote currency, from the markets that trade.

    A market BASE_QUOTE at price p gives BASE -> QUOTE at p and QUOTE -> BASE at 1/p. Frozen
    markets and those at a price of zero give no rate: valuing with a price nobody can trade at
    would show a number that is not real.

    Built once per price update and quote currency, in one breadth-first pass out of the quote
    currency over at most MAX_PATH_MARKETS markets: each market is looked at a bounded number of
    times, so a thousand markets take about a millisecond (tests/test_valuation.py measures it).
    Each currency gets the price of its shortest chain; among chains of that length, the one
    whose last intermediate ranks first (PREFERRED_BRIDGES, then by name).
    """

    def __init__(self, markets: Mapping[str, Market], quote: str) -> None:
        """Index the usable markets by currency, and price everything they reach."""
        self.quote = quote
        rates: dict[str, dict[str, Decimal]] = {}
        self._prices: dict[str, Decimal] = {quote: Decimal(1)}
        with localcontext(prec=DECIMAL_DIGITS):
            for market in markets.values():
                if market.frozen or not market.last_price:
                    continue
                # A direct market wins over the inverse of another one for the same pair.
                rates.setdefault(market.base, {})[market.quote] = market.last_price
                inverse = rates.setdefault(market.quote, {})
                inverse.setdefault(market.base, 1 / market.last_price)
            frontier = [quote]
            for _ in range(MAX_PATH_MARKETS):
                reached: list[str] = []
                # Processed in rank order: the first intermediate to reach a currency prices it.
                for via in sorted(frontier, key=_rank):
                    for currency in rates.get(via, {}):
                        if currency not in self._prices:
                            self._prices[currency] = rates[currency][via] * self._prices[via]
                            reached.append(currency)
                frontier = reached
        self._traded = frozenset(rates)

    def price(self, currency: str) -> Decimal | None:
        """Return one unit of `currency` in the quote currency, or None if no market gives it."""
        return self._prices.get(currency)

    def trades(self, currency: str) -> bool:
        """Whether any usable market has `currency` on either side."""
        return currency in self._traded


def sum_values(values: Iterable[Decimal]) -> Decimal:
    """Add values exactly, however many digits they have."""
    with localcontext(prec=DECIMAL_DIGITS):
        return sum(values, Decimal(0))


def value_of(amount: Decimal, price: Decimal | None) -> Decimal | None:
    """Value `amount` at `price`, to 8 decimals; zero is worth zero even without a price.

    None, unvalued, without a price or when the value is past MAX_VALUE.
    """
    if not amount:
        return Decimal(0).quantize(VALUE_EXPONENT)
    if price is None:
        return None
    with localcontext(prec=DECIMAL_DIGITS):
        value = amount * price
        # Below MAX_VALUE, the quantize has digits to spare: it cannot raise InvalidOperation.
        return None if value >= MAX_VALUE else value.quantize(VALUE_EXPONENT)


@dataclass(frozen=True, slots=True)
class Prices:
    """One update of a server's prices: its markets, and the price books made from them.

    A book is made once per quote currency and price update, the first time one is asked for;
    balance updates between price updates (pushed ones come every second) reuse it.
    """

    markets: Mapping[str, Market]
    _books: dict[str, PriceBook] = field(default_factory=dict, init=False, compare=False)

    def book(self, quote: str) -> PriceBook:
        """The price book of these markets in `quote`."""
        if (book := self._books.get(quote)) is None:
            book = self._books[quote] = PriceBook(self.markets, quote)
        return book


def value_holdings(data: WhiteBitData, book: PriceBook | None) -> WhiteBitData:
    """Add the values of the tracked currencies; without prices, leave values out.

    Prices can fail on their own; that must not make the balances, which did arrive, unavailable
    too. A currency whose total is not known (Earn unread while it held some) is not valued,
    and listed as such, like one without a price.
    """
    if book is None:
        return replace(data, values=None, portfolio=None)
    values: dict[str, Decimal | None] = {}
    for ticker in sorted(data.tickers):
        total = data.total(ticker)
        if total is None:
            values[ticker] = None  # the amount itself is unknown
        else:
            # A zero is worth zero in any currency: no price needed, none looked up.
            values[ticker] = value_of(total, book.price(ticker) if total else None)
    value = sum_values(v for v in values.values() if v is not None)
    # Listed rather than counted as zero: a partial sum must not pass for the whole.
    unvalued = tuple(ticker for ticker, v in values.items() if v is None)
    return replace(data, values=MappingProxyType(values), portfolio=Portfolio(value, unvalued))
