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

# When a currency has no market with the quote currency, it is valued through one intermediate.
# Several usually qualify; the deepest markets come first, so the price is the most reliable
# one and the choice does not depend on the order WhiteBIT lists markets in.
PREFERRED_BRIDGES: Final = ("USDT", "USDC", "BTC", "ETH", "USD", "EUR")
VALUE_EXPONENT: Final = Decimal("1e-8")
# No market pays this much for anything: a value at or past it comes from prices no real market
# gives (a hostile ticker can list 40-digit prices, and a bridge multiplies two), and is not a
# value. Far enough below DECIMAL_DIGITS that the quantize cannot fail (it raised InvalidOperation
# past 100 digits) and a sum of values stays exact.
MAX_VALUE: Final = Decimal("1e60")


class PriceBook:
    """Rates between currencies, from the markets that trade.

    A market BASE_QUOTE at price p gives BASE -> QUOTE at p and QUOTE -> BASE at 1/p. Frozen
    markets and those at a price of zero give no rate: valuing with a price nobody can trade at
    would show a number that is not real.
    """

    def __init__(self, markets: Mapping[str, Market], quote: str) -> None:
        """Index the usable markets by currency."""
        self.quote = quote
        self._rates: dict[str, dict[str, Decimal]] = {}
        with localcontext(prec=DECIMAL_DIGITS):
            for market in markets.values():
                if market.frozen or not market.last_price:
                    continue
                # A direct market wins over the inverse of another one for the same pair.
                self._rates.setdefault(market.base, {})[market.quote] = market.last_price
                inverse = self._rates.setdefault(market.quote, {})
                inverse.setdefault(market.base, 1 / market.last_price)

    def price(self, currency: str) -> Decimal | None:
        """Return one unit of `currency` in the quote currency, or None if no market gives it."""
        if currency == self.quote:
            return Decimal(1)
        rates = self._rates.get(currency, {})
        if self.quote in rates:
            return rates[self.quote]
        bridges: list[str] = [b for b in PREFERRED_BRIDGES if b in rates]
        bridges += sorted(set(rates) - set(PREFERRED_BRIDGES))
        for bridge in bridges:
            onward = self._rates.get(bridge, {}).get(self.quote)
            if onward is not None:
                with localcontext(prec=DECIMAL_DIGITS):
                    return rates[bridge] * onward
        return None

    def trades(self, currency: str) -> bool:
        """Whether any usable market has `currency` on either side."""
        return currency in self._rates


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

    Nor when Earn is unknown: every total lacks it, so no sum of them is the portfolio. Prices
    can fail on their own; that must not make the balances, which did arrive, unavailable too.
    """
    if book is None or not data.earn_known:
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
