"""Crypto lending ("Earn"): active flex and fixed investments, summed per currency.

Kept free of Home Assistant imports, like the client. Both lists are paginated (at most 100 a
page); a poll reads at most MAX_PAGES pages of each, so at most twice MAX_PAGES requests, and
stops at the first page that is not full (one request each for almost everyone).
"""

from collections.abc import Iterable
from decimal import Decimal
from types import MappingProxyType
from typing import Final

from .amounts import InvalidAmountError, parse_amount
from .errors import WhiteBitResponseError
from .models import Balances
from .text import is_currency, safe_text

FLEX_PATH: Final = "/api/v4/main-account/smart-flex/investments"
FIXED_PATH: Final = "/api/v4/main-account/smart/investments"
PAGE: Final = 100
# 1,000 active investments of each kind: past that, the sum would be partial, so none is given.
MAX_PAGES: Final = 10
_ACTIVE: Final = 1

type Holding = tuple[object, object]


def flex_page(data: object) -> list[Holding]:
    """(currency, invested) of each active flex investment on one page."""
    return [
        (entry.get("currency"), entry.get("invested"))
        for entry in _records(data, "data")
        if entry.get("status", _ACTIVE) == _ACTIVE
    ]


def fixed_page(data: object) -> list[Holding]:
    """(currency, amount) of each active fixed investment on one page; the plan names it."""
    holdings: list[Holding] = []
    for entry in _records(data, "records"):
        if entry.get("status") != _ACTIVE:
            continue
        plan = entry.get("plan")
        holdings.append(
            (plan.get("ticker") if isinstance(plan, dict) else None, entry.get("amount"))
        )
    return holdings


def _records(data: object, key: str) -> list[dict[str, object]]:
    records = data.get(key) if isinstance(data, dict) else None
    if not isinstance(records, list):
        msg = f"WhiteBIT's investments answer has no {key} list"
        raise WhiteBitResponseError(msg)
    # An entry that is not an object counts as a page entry (for pagination) but holds nothing.
    return [entry if isinstance(entry, dict) else {} for entry in records]


def page_size(data: object, key: str) -> int:
    """How many records a page held, to know whether another may follow."""
    return len(_records(data, key))


def sum_holdings(holdings: Iterable[Holding]) -> Balances[Decimal]:
    """Sum per currency; a currency with one wrong amount is unknown, not partly summed."""
    amounts: dict[str, Decimal] = {}
    invalid: set[str] = set()
    rejected: set[str] = set()
    for currency, amount in holdings:
        if not is_currency(currency) or not isinstance(currency, str):
            rejected.add(safe_text(str(currency), 40))
            continue
        try:
            amounts[currency] = amounts.get(currency, Decimal(0)) + parse_amount(amount)
        except InvalidAmountError:
            invalid.add(currency)
    for currency in invalid:
        amounts.pop(currency, None)
    return Balances(MappingProxyType(amounts), frozenset(invalid), frozenset(rejected))
