"""Deposits and withdrawals: `/api/v4/main-account/history`, newest first, read page by page.

WhiteBIT has no stream for them. A record's status code says where it is; the codes differ
between deposits (`method` 1) and withdrawals (2), and are read into three stages: pending,
completed (successful 3 and 7, and a withdrawal's partial success 18) and failed (cancelled,
uncredited). Everything else (unconfirmed, AML or Travel Rule checks, processing) is pending,
which is what it is to the user: not there yet. Text a record carries (network, transaction
hash) is escaped and bounded; a record that cannot be read is counted, not guessed at.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from .amounts import InvalidAmountError, number_amount
from .errors import WhiteBitResponseError
from .orders import PAGE, HistoryPages, read_time
from .parse import MAX_RECORD_ID, is_record_id
from .text import is_currency, safe_text

TRANSFER_HISTORY_PATH: Final = "/api/v4/main-account/history"
# WhiteBIT's example record is about 700 bytes: a page of 100 is 70 KB. Seven times that.
TRANSFERS_MAX_BYTES: Final = 512 * 1024
DEPOSIT: Final = "deposit"
WITHDRAWAL: Final = "withdrawal"
PENDING: Final = "pending"
COMPLETED: Final = "completed"
FAILED: Final = "failed"
STAGES: Final = (PENDING, COMPLETED, FAILED)
_KINDS: Final[dict[object, str]] = {1: DEPOSIT, 2: WITHDRAWAL}
_COMPLETED: Final = {DEPOSIT: frozenset({3, 7}), WITHDRAWAL: frozenset({3, 7, 18})}
_FAILED: Final = {DEPOSIT: frozenset({4, 9, 22}), WITHDRAWAL: frozenset({4})}
_MAX_HASH: Final = 128
_MAX_NETWORK: Final = 32


@dataclass(frozen=True, slots=True)
class Transfer:
    """One deposit or withdrawal, where it stands now."""

    # The kind and WhiteBIT's id of it (`deposit:5e112b38-…`): what fires once per stage.
    key: str
    kind: str
    stage: str
    status: int
    currency: str
    amount: Decimal
    fee: Decimal
    network: str | None
    transaction_hash: str | None
    created: float | None


@dataclass(frozen=True, slots=True)
class TransferHistory:
    """What a poll read: transfers, newest first; unreadable records; whether it was cut."""

    transfers: tuple[Transfer, ...]
    invalid: int = 0
    truncated: bool = False


def _text(value: object, limit: int) -> str | None:
    return safe_text(value, limit) if isinstance(value, str) and value else None


def _record_id(record: dict[str, object]) -> str | None:
    """WhiteBIT's transaction id (a UUID), else its unique_id; None when it has neither."""
    for name in ("transaction_id", "unique_id"):
        value = record.get(name)
        if is_record_id(value):
            return safe_text(str(value), MAX_RECORD_ID)
    return None


def read_transfer(record: dict[str, object]) -> Transfer:
    """One history record; raises InvalidAmountError when it is not as documented."""
    kind = _KINDS.get(record["method"]) if type(record.get("method")) is int else None
    status, currency = record.get("status"), record.get("ticker")
    record_id = _record_id(record)
    if kind is None or record_id is None or type(status) is not int:
        raise InvalidAmountError
    if not isinstance(currency, str) or not is_currency(currency):
        raise InvalidAmountError
    stage = (
        COMPLETED if status in _COMPLETED[kind] else FAILED if status in _FAILED[kind] else PENDING
    )
    return Transfer(
        key=f"{kind}:{record_id}",
        kind=kind,
        stage=stage,
        status=status,
        currency=currency,
        amount=number_amount(record.get("amount")),
        fee=number_amount(record.get("fee", "0")),
        network=_text(record.get("network"), _MAX_NETWORK),
        transaction_hash=_text(record.get("transactionHash"), _MAX_HASH),
        created=read_time(record.get("createdAt")),
    )


class Transfers(HistoryPages):
    """The history read so far, page by page, each record once (as OrderHistory reads)."""

    def __init__(self, since: float | None) -> None:
        """Read back to `since` (a Unix time of creation), or one page."""
        super().__init__(since)
        self._transfers: list[Transfer] = []
        self._seen: set[str] = set()

    def add(self, data: object) -> bool:
        """Read one page; return whether the next one should be asked for."""
        records = data.get("records") if isinstance(data, dict) else None
        if not isinstance(records, list) or len(records) > PAGE:
            msg = "WhiteBIT's deposit and withdrawal history is not a page of records"
            raise WhiteBitResponseError(msg)
        new, older = False, False
        for record in records:
            if not isinstance(record, dict):
                self._invalid += 1
                continue
            try:
                transfer = read_transfer(record)
            except InvalidAmountError:
                self._invalid += 1
                continue
            if transfer.key in self._seen:
                continue
            self._seen.add(transfer.key)
            new = True
            older = older or self._older(transfer.created)
            self._transfers.append(transfer)
        return self._read(len(records), new=new, older=older)

    def result(self) -> TransferHistory:
        """Everything read."""
        return TransferHistory(tuple(self._transfers), self._invalid, self._truncated)
