"""Sub-accounts: the main account's list of them, and each one's balances.

The list is paginated like Earn (see .earn): a page is at most MAX_PAGE_BYTES and holds no more
records than were asked for, each an object with a usable id, or it is refused whole (a list
missing one sub-account would pass it off as deleted). Reading stops at the first page that is
not full or that brings no sub-account not seen already (a server ignoring `offset`). At most
MAX_SUBACCOUNTS are followed: past that the list is cut, in WhiteBIT's order, and says so.

What is kept of a record is what an integration needs: id, alias, status and the two transfer
permissions. The e-mail address, the user id, the KYC state and the colour are dropped as they
are read: they are personal data nobody asked for.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
import re
from typing import Final

from .amounts import InvalidAmountError, number_amount
from .errors import (
    WhiteBitRequestError,
    WhiteBitSubAccountInactiveError,
    WhiteBitSubAccountNotConfirmedError,
    WhiteBitSubAccountNotFoundError,
)
from .models import Balances
from .parse import MAX_CURRENCIES, PagedList, parse_balances
from .text import safe_text

LIST_PATH: Final = "/api/v4/sub-account/list"
BALANCES_PATH: Final = "/api/v4/sub-account/balances"
# WhiteBIT's largest page (its default is 30).
PAGE: Final = 100
# Sub-accounts followed: a poll then costs at most 2 list pages and MAX_SUBACCOUNTS balance
# requests, a tenth of WhiteBIT's 1,000 per 10 s on either endpoint, every poll.
MAX_SUBACCOUNTS: Final = 100
# A server answering with pages shorter than asked (a smaller `limit` of its own) still ends:
# 10 pages is MAX_SUBACCOUNTS + 1 at a `limit` of 11 or more.
MAX_PAGES: Final = 10
# WhiteBIT's documented record is 330 bytes compact, about 450 indented: a page of 100 is
# 45 KB. 512 KiB is ten times that, as for Earn's pages.
MAX_PAGE_BYTES: Final = 512 * 1024
# One sub-account's balances: every currency (about a thousand, ~60 bytes each) fits 1 MiB
# many times over, as the main account's balance does.
BALANCES_MAX_BYTES: Final = 1024 * 1024
# A device name's worth: longer aliases are cut (WhiteBIT documents no bound of its own).
MAX_ALIAS: Final = 64
# What a status may be, escaped: WhiteBIT documents "active" and no other value.
_MAX_STATUS: Final = 32
# WhiteBIT's ids are UUIDs; nothing outside this set can become a device identifier.
_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}")
# The texts WhiteBIT refuses one sub-account's balances with (kyc-url documents the second).
_NOT_CONFIRMED: Final = "account is not confirmed"
_INACTIVE: Final = "sub-account is not active"

type Record = dict[str, object]


@dataclass(frozen=True, slots=True)
class SubAccount:
    """One sub-account as the list gives it: only what an integration shows or needs.

    `alias` is escaped and bounded (None when WhiteBIT gives none), `status` too ("" when
    missing). The permissions are None where the record does not say.
    """

    id: str
    alias: str | None
    status: str
    spot_enabled: bool | None = None
    collateral_enabled: bool | None = None

    @property
    def active(self) -> bool:
        """Whether WhiteBIT calls it active: a blocked or unconfirmed one is not."""
        return self.status.casefold() == "active"

    @property
    def name(self) -> str:
        """What to call it: its alias, or its id when it has none."""
        return self.alias or self.id


@dataclass(frozen=True, slots=True)
class SubAccounts:
    """The sub-accounts followed, in WhiteBIT's order, each once.

    `truncated` is True when WhiteBIT has more than these (more than MAX_SUBACCOUNTS, or more
    pages than MAX_PAGES): one that is missing may exist still, so it is not to be removed.
    """

    accounts: tuple[SubAccount, ...]
    truncated: bool = False


@dataclass(frozen=True, slots=True)
class SubAccountBalance:
    """One currency of one sub-account: on its main, trade (spot) and collateral accounts."""

    main: Decimal
    spot: Decimal
    collateral: Decimal

    @property
    def total(self) -> Decimal:
        """Everything the sub-account holds of the currency."""
        return self.main + self.spot + self.collateral


class SubAccountPages:
    """The list read so far, each sub-account once, by its id."""

    def __init__(self) -> None:
        """Start before the first page."""
        self._accounts: dict[str, SubAccount] = {}
        self._offset = 0
        self._pages = 0
        self._truncated = False

    def params(self) -> dict[str, object]:
        """The next page's request: PAGE sub-accounts from where we are."""
        return {"limit": PAGE, "offset": self._offset}

    def add(self, data: object) -> bool:
        """Read one page; return whether the next one should be asked for.

        Raises WhiteBitResponseError for a page not in the documented shape: the list would
        be partial, and a missing sub-account would pass for a deleted one.
        """
        records = _LIST.records(data)
        new = False
        for record in records:
            if (account := _sub_account(record)).id not in self._accounts:
                self._accounts[account.id] = account
                new = True
        self._pages += 1
        self._offset += len(records)
        if len(records) < _page_size(data) or not new:
            return False
        if len(self._accounts) > MAX_SUBACCOUNTS or self._pages >= MAX_PAGES:
            self._truncated = True
            return False
        return True

    def result(self) -> SubAccounts:
        """The sub-accounts followed: the first MAX_SUBACCOUNTS, and whether more exist."""
        accounts = tuple(self._accounts.values())
        return SubAccounts(
            accounts[:MAX_SUBACCOUNTS], self._truncated or len(accounts) > MAX_SUBACCOUNTS
        )


def _page_size(data: object) -> int:
    """The page's size: what was asked for, or less if the answer says it gave less."""
    limit = data.get("limit") if isinstance(data, dict) else None
    return limit if type(limit) is int and 1 <= limit < PAGE else PAGE


def _usable_id(value: object) -> bool:
    # Documented as a string (a UUID); it becomes part of device identifiers as it is.
    return isinstance(value, str) and _ID.fullmatch(value) is not None


_LIST: Final = PagedList(
    "data", PAGE, "sub-account list", "sub-accounts", "a sub-account", _usable_id
)


def _sub_account(record: Record) -> SubAccount:
    """The parts of a record worth keeping, read defensively; the id was checked."""
    alias = record.get("alias")
    status = record.get("status")
    permissions = record.get("permissions")
    permissions = permissions if isinstance(permissions, dict) else {}
    return SubAccount(
        id=str(record["id"]),
        alias=(safe_text(alias.strip(), MAX_ALIAS) or None) if isinstance(alias, str) else None,
        status=safe_text(status.strip(), _MAX_STATUS) if isinstance(status, str) else "",
        spot_enabled=_flag(permissions, "spotEnabled"),
        collateral_enabled=_flag(permissions, "collateralEnabled"),
    )


def _flag(permissions: Mapping[object, object], name: str) -> bool | None:
    value = permissions.get(name)
    return value if isinstance(value, bool) else None


def parse_sub_account_balances(data: object) -> Balances[SubAccountBalance]:
    """Read `{"USDC": [{"main": "42", "spot": "10", "collateral": "14"}]}`.

    WhiteBIT documents a list of one object per currency; a bare object is taken too. An empty
    list is no balance (the currency is left out); a list of several is not read as a guess:
    its currency is invalid, as is one with a field missing or not a sane amount. Amounts are
    strings as documented, or JSON numbers (exactly), as the collateral account sends them.
    """
    if isinstance(data, dict) and len(data) <= MAX_CURRENCIES:
        data = {ticker: entry for ticker, entry in data.items() if entry != []}
    return parse_balances(data, _balance)


def _balance(entry: object) -> SubAccountBalance:
    if isinstance(entry, list):
        if len(entry) != 1:
            raise InvalidAmountError
        entry = entry[0]
    if not isinstance(entry, dict):
        raise InvalidAmountError
    return SubAccountBalance(
        number_amount(entry.get("main")),
        number_amount(entry.get("spot")),
        number_amount(entry.get("collateral")),
    )


def refusal(err: WhiteBitRequestError) -> WhiteBitRequestError:
    """The typed error for WhiteBIT refusing one sub-account's balances, by its reason."""
    reason = err.reason.strip().casefold()
    kind: type[WhiteBitRequestError] | None = None
    if reason.startswith(_NOT_CONFIRMED):
        kind = WhiteBitSubAccountNotConfirmedError
    elif reason.startswith(_INACTIVE):
        kind = WhiteBitSubAccountInactiveError
    elif "id" in err.errors:
        kind = WhiteBitSubAccountNotFoundError
    if kind is None:
        return err
    return kind(str(err), err.errors, err.reason)
