"""Crypto lending ("Earn"): active flex and fixed investments, summed per currency.

Both lists are paginated, at most PAGE records a page. Whatever a server sends, the work is
bounded before any record is read: a page is at most MAX_PAGE_BYTES, holds no more records than
were asked for, each an object with an id; a poll reads at most MAX_PAGES pages of each kind,
and stops at the first page that is not full (one request each for almost everyone) or that
brings no investment not seen already (a server ignoring `offset`). Each investment counts once,
by its id, however often it is sent.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, localcontext
from types import MappingProxyType
from typing import Final

from .amounts import InvalidAmountError, parse_amount
from .errors import WhiteBitResponseError
from .models import Balances
from .parse import PagedList, is_record_id
from .text import is_currency, safe_text

FLEX_PATH: Final = "/api/v4/main-account/smart-flex/investments"
FIXED_PATH: Final = "/api/v4/main-account/smart/investments"
PAGE: Final = 100
# 1,000 active investments of each kind: past that, the sum would be partial, so none is given.
MAX_PAGES: Final = 10
# WhiteBIT's documented fixed record is 390 bytes of compact JSON, 544 indented (a flex record
# 217 and 266): a page of 100 is 55 KB at most. 512 KiB leaves ten times that, and bounds what
# a hostile page costs to parse (2 million bare zeros in 4 MiB took 5 s and 160 MB a page).
MAX_PAGE_BYTES: Final = 512 * 1024
# Digits enough to add MAX_PAGES * PAGE amounts of up to 80 digits each exactly.
_SUM_DIGITS: Final = 100

type Holding = tuple[object, object]
type Record = dict[str, object]


def _fixed_holding(record: Record) -> Holding:
    """(currency, amount) of a fixed investment: its plan names the currency."""
    plan = record.get("plan")
    return (plan.get("ticker") if isinstance(plan, dict) else None, record.get("amount"))


@dataclass(frozen=True, slots=True)
class Kind:
    """One list of investments: where it is, how it is asked for, and how a record reads."""

    path: str
    status_param: str
    key: str
    holding: Callable[[Record], Holding]


FLEX: Final = Kind(
    FLEX_PATH,
    "investmentStatus",
    "data",
    lambda record: (record.get("currency"), record.get("invested")),
)
FIXED: Final = Kind(FIXED_PATH, "status", "records", _fixed_holding)


class Investments:
    """The active investments of one kind read so far, each once, by its id."""

    def __init__(self, kind: Kind) -> None:
        """Start before the first page."""
        self.kind = kind
        self._list = PagedList(
            kind.key, PAGE, "investments answer", "investments", "an investment", is_record_id
        )
        self.holdings: list[Holding] = []
        self._seen: set[object] = set()
        self._pages = 0

    def params(self) -> dict[str, object]:
        """The next page's request: active investments, PAGE of them, from where we are."""
        return {self.kind.status_param: 1, "limit": PAGE, "offset": self._pages * PAGE}

    def add(self, data: object) -> bool:
        """Read one page; return whether the next one should be asked for.

        Raises WhiteBitResponseError for a page not in the documented shape (then the sum would
        be partial), and past MAX_PAGES full pages.
        """
        records = self._list.records(data)
        new = False
        for record in records:
            if (record_id := record["id"]) in self._seen:
                continue
            self._seen.add(record_id)
            new = True
            if _active(record.get("status")):
                self.holdings.append(self.kind.holding(record))
        self._pages += 1
        if len(records) < PAGE or not new:
            return False
        if self._pages >= MAX_PAGES:
            msg = f"{MAX_PAGES * PAGE} or more active investments of one kind: not summed"
            raise WhiteBitResponseError(msg)
        return True


def _active(status: object) -> bool:
    """Status 1, as a number or a string; WhiteBIT's docs show the number but do not pin it.

    Not True, though True == 1 in Python, nor 1.0; and a record without a status is not active.
    """
    return status == "1" or (type(status) is int and status == 1)


def sum_holdings(holdings: Iterable[Holding]) -> Balances[Decimal]:
    """Sum per currency, exactly; a currency with one wrong amount is unknown, not partly summed.

    Names and amounts pass the same rules as every balance: a name that cannot be a currency is
    rejected (reported escaped, or by its type), an amount that is not a sane decimal is invalid.
    """
    amounts: dict[str, Decimal] = {}
    invalid: set[str] = set()
    rejected: set[str] = set()
    with localcontext(prec=_SUM_DIGITS):
        for currency, amount in holdings:
            if not isinstance(currency, str):
                rejected.add(f"({type(currency).__name__})")
                continue
            if not is_currency(currency):
                rejected.add(safe_text(currency, 40))
                continue
            try:
                amounts[currency] = amounts.get(currency, Decimal(0)) + parse_amount(amount)
            except InvalidAmountError:
                invalid.add(currency)
    for currency in invalid:
        amounts.pop(currency, None)
    return Balances(MappingProxyType(amounts), frozenset(invalid), frozenset(rejected))
