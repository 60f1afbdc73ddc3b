"""Amounts as WhiteBIT writes them, read as exact Decimals within sane bounds."""

from decimal import Decimal
import re
from typing import TYPE_CHECKING, Final

# A finite, non-negative decimal in any notation WhiteBIT has used: plain ("0.5", "12.") or with
# an exponent ("9.5e-07", seen in balance updates). [0-9], not \d, which takes other scripts'
# digits too. The exponent has at most three digits, so the fixed-point form stays small.
_AMOUNT: Final = re.compile(r"(?=\.?[0-9])[0-9]{0,80}(?:\.[0-9]{0,80})?(?:[eE][+-]?[0-9]{1,3})?")
# Digits an amount may have on either side of the point, in fixed-point form.
_MAX_DIGITS: Final = 40


class InvalidAmountError(ValueError):
    """An amount that is not a finite, non-negative decimal in a string."""


def parse_amount(value: object) -> Decimal:
    """Return a balance or price string as that exact Decimal.

    Raises InvalidAmountError for a number type (WhiteBIT documents strings), a sign, NaN,
    Infinity, anything that is not a decimal, and absurd magnitudes.
    """
    if not isinstance(value, str) or not _AMOUNT.fullmatch(value):
        raise InvalidAmountError
    amount = Decimal(value)
    _sign, digits, exponent = amount.as_tuple()
    if TYPE_CHECKING:
        assert isinstance(exponent, int)  # the pattern admits finite numbers only
    if len(digits) + exponent > _MAX_DIGITS or -exponent > _MAX_DIGITS:
        raise InvalidAmountError
    return amount


def number_amount(value: object) -> Decimal:
    """Return a JSON number (int or the Decimal of its text) or a string as that exact amount."""
    if isinstance(value, bool):
        raise InvalidAmountError
    if isinstance(value, int | Decimal):
        amount = Decimal(value)
        # Checked before it is written out: 1e999999999 would be a billion digits.
        if not amount.is_finite() or abs(amount.adjusted()) > _MAX_DIGITS:
            raise InvalidAmountError
        return parse_amount(f"{amount:f}")
    return parse_amount(value)


def signed_amount(value: object) -> Decimal | None:
    """A signed decimal such as "-1.25", or None: a bad change never costs the market."""
    negative = isinstance(value, str) and value.startswith("-")
    try:
        amount = parse_amount(value[1:] if negative and isinstance(value, str) else value)
    except InvalidAmountError:
        return None
    return -amount if negative else amount


def signed_number_amount(value: object) -> Decimal:
    """A signed amount ("-0.47", a JSON number): for figures that may be below zero.

    The same bounds as number_amount; raises InvalidAmountError like it.
    """
    if isinstance(value, str) and value.startswith("-"):
        return -number_amount(value[1:])
    if isinstance(value, int | Decimal) and not isinstance(value, bool) and value < 0:
        return -number_amount(-value)
    return number_amount(value)
