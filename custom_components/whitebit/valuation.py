"""Prices currencies in a quote currency from WhiteBIT's public markets.

Free of Home Assistant imports, like the client: it is plain arithmetic on Decimals.
"""

from collections.abc import Iterable, Mapping
from decimal import Decimal, localcontext
from typing import Final

from .pywhitebit import Market

# When a currency has no market with the quote currency, it is valued through one intermediate.
# Several usually qualify; the deepest markets come first, so the price is the most reliable
# one and the choice does not depend on the order WhiteBIT lists markets in.
PREFERRED_BRIDGES: Final = ("USDT", "USDC", "BTC", "ETH", "USD", "EUR")
# Enough digits for any product of a 40-digit amount and a price, so nothing is rounded before
# the final quantize.
_PRECISION: Final = 100
VALUE_EXPONENT: Final = Decimal("1e-8")


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
        with localcontext(prec=_PRECISION):
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
                with localcontext(prec=_PRECISION):
                    return rates[bridge] * onward
        return None

    def trades(self, currency: str) -> bool:
        """Whether any usable market has `currency` on either side."""
        return currency in self._rates


def sum_values(values: Iterable[Decimal]) -> Decimal:
    """Add values exactly, however many digits they have."""
    with localcontext(prec=_PRECISION):
        return sum(values, Decimal(0))


def value_of(amount: Decimal, price: Decimal | None) -> Decimal | None:
    """Value `amount` at `price`, to 8 decimals; zero is worth zero even without a price."""
    if not amount:
        return Decimal(0).quantize(VALUE_EXPONENT)
    if price is None:
        return None
    with localcontext(prec=_PRECISION):
        return (amount * price).quantize(VALUE_EXPONENT)
