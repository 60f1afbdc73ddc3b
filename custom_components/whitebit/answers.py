"""What WhiteBIT's answers mean: bodies into balances and prices, statuses into typed errors.

Everything here reads text a server controls, so nothing here trusts it: any byte sequence ends
in data or a `WhiteBitError`, a currency name that cannot be one is dropped, one wrong amount
takes down only its own currency, and server text reaching a message is escaped and bounded.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC
from decimal import Decimal
from email.utils import parsedate_to_datetime
from http import HTTPStatus
import json
import math
import re
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

from .errors import (
    WhiteBitAuthenticationError,
    WhiteBitClockError,
    WhiteBitConnectionError,
    WhiteBitError,
    WhiteBitPermissionError,
    WhiteBitRateLimitError,
    WhiteBitRequestError,
    WhiteBitResponseError,
)

# What may stand in a message taken from a server, after escaping.
MAX_TEXT: Final = 200
# WhiteBIT counts requests per 10-second window; with no usable Retry-After a client that waits
# one whole window is past the limit. Any header is kept within these bounds.
DEFAULT_RETRY_AFTER: Final = 10.0
MIN_RETRY_AFTER: Final = 1.0
MAX_RETRY_AFTER: Final = 300.0

# Every currency WhiteBIT lists is ASCII letters and digits (1INCH, 0G, USDT); its asset list
# also has payment-provider keys such as EUR_SEPA_BCB. Nothing else can be a currency: no
# control character, space, bidirectional override or megabyte-long name becomes an entity.
_CURRENCY: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")
# A finite, non-negative decimal in any notation WhiteBIT has used: plain ("0.5", "12.") or with
# an exponent ("9.5e-07", seen in balance updates). [0-9], not \d, which takes other scripts'
# digits too. The exponent has at most three digits, so the fixed-point form stays small.
_AMOUNT: Final = re.compile(r"(?=\.?[0-9])[0-9]{0,80}(?:\.[0-9]{0,80})?(?:[eE][+-]?[0-9]{1,3})?")
# Digits an amount may have on either side of the point, in fixed-point form.
_MAX_DIGITS: Final = 40
# A WebSocket token: WhiteBIT documents no format; printable ASCII, no space, up to 1 KiB.
_TOKEN: Final = re.compile(r"[!-~]{1,1024}")
# Auth failures, by WhiteBIT's exact texts. Code 10 alone proves nothing: it also means "Market
# not found or disabled" and "Not enough balance." on other endpoints.
_AUTH_TEXTS: Final = frozenset(
    {"unauthorized request.", "this action is unauthorized. enable your key in api settings"}
)
_PERMISSION_TEXT: Final = "you don't have permission to use this endpoint"
_TOO_MANY_TEXT: Final = "too many requests."
_WINDOW_TEXT: Final = "your nonce is more than 5 seconds"
_NOT_JSON: Final = object()
# Longer than any HTTP date ("Wed, 25 Nov 2026 12:00:00 GMT" is 29 characters).
_MAX_DATE_TEXT: Final = 64


def safe_text(text: str, limit: int = MAX_TEXT) -> str:
    r"""Return server text fit for one log line: control characters escaped, length bounded.

    Newlines, ANSI escapes and bidirectional overrides would let a server forge log lines or
    turn text around; they are written as escapes (`\\n`, `\\x1b`, `\\u202e`) instead.
    """
    out: list[str] = []
    size = 0
    for char in text:
        piece = char if char.isprintable() else char.encode("unicode_escape").decode("ascii")
        size += len(piece)
        if size > limit:
            out.append("…")
            break
        out.append(piece)
    return "".join(out)


def is_currency(name: object) -> bool:
    """Whether `name` can be a WhiteBIT currency."""
    return isinstance(name, str) and _CURRENCY.fullmatch(name) is not None


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


def _parse_balances[T](data: object, read: Callable[[object], T]) -> Balances[T]:
    """Read ticker -> entry, with `read` raising for an entry that is not as documented."""
    if not isinstance(data, dict):
        msg = f"WhiteBIT returned {type(data).__name__} where balances were expected"
        raise WhiteBitResponseError(msg)
    amounts: dict[str, T] = {}
    invalid: set[str] = set()
    rejected: set[str] = set()
    for ticker, entry in data.items():
        if not is_currency(ticker):
            rejected.add(safe_text(ticker, 40))
            continue
        try:
            amounts[ticker] = read(entry)
        except InvalidAmountError:
            invalid.add(ticker)
    return Balances(MappingProxyType(amounts), frozenset(invalid), frozenset(rejected))


def _field(entry: object, name: str) -> object:
    """A field of a balance entry; raises for an entry that is not an object or lacks it."""
    if not isinstance(entry, dict) or name not in entry:
        raise InvalidAmountError
    return entry[name]


def parse_main_balances(data: object) -> Balances[Decimal]:
    """Parse the main-account answer: `{"BTC": {"main_balance": "0.5"}, ...}`."""
    return _parse_balances(data, lambda entry: parse_amount(_field(entry, "main_balance")))


def parse_trade_balances(data: object) -> Balances[TradeBalance]:
    """Parse the trade-account answer; it lists only currencies with a balance."""
    return _parse_balances(
        data,
        lambda entry: TradeBalance(
            available=parse_amount(_field(entry, "available")),
            freeze=parse_amount(_field(entry, "freeze")),
        ),
    )


def parse_collateral_balances(data: object) -> Balances[Decimal]:
    """Parse the collateral answer, `{"BTC": 1, "USDT": "1000.5"}`: numbers or strings.

    WhiteBIT documents numbers and its Go SDK reads strings; both are taken exactly. A number
    arrives as the Decimal of its JSON text (the decoder never makes it a float).
    """
    return _parse_balances(data, _collateral_amount)


def _collateral_amount(value: object) -> Decimal:
    if isinstance(value, bool):
        raise InvalidAmountError
    if isinstance(value, int | Decimal):
        amount = Decimal(value)
        # Checked before it is written out: 1e999999999 would be a billion digits.
        if not amount.is_finite() or abs(amount.adjusted()) > _MAX_DIGITS:
            raise InvalidAmountError
        return parse_amount(f"{amount:f}")
    return parse_amount(value)


def merge_balances[T](old: Balances[T], changes: Balances[T]) -> Balances[T]:
    """An account's balances after `changes`, which name only the currencies that changed."""
    changed = set(changes.amounts) | changes.invalid
    amounts = {t: a for t, a in old.amounts.items() if t not in changed} | dict(changes.amounts)
    return Balances(
        MappingProxyType(amounts),
        (old.invalid - changed) | changes.invalid,
        old.rejected | changes.rejected,
    )


def parse_websocket_token(data: object) -> str:
    """Read `{"websocket_token": "…"}`; a token is printable ASCII of a sane length."""
    token = data.get("websocket_token") if isinstance(data, dict) else None
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        msg = "WhiteBIT's answer holds no usable WebSocket token"
        raise WhiteBitResponseError(msg)
    return token


def parse_markets(data: object) -> dict[str, Market]:
    """Parse the public ticker into market name -> Market.

    The answer lists hundreds of markets. One that is not in the documented shape (a name that
    is not BASE_QUOTE of two currencies, a price that is not a decimal, a frozen flag that is
    not a bool) is left out rather than failing the rest: a currency only it could value is then
    reported as unvalued, which the user sees.
    """
    if not isinstance(data, dict):
        msg = f"WhiteBIT returned {type(data).__name__} where markets were expected"
        raise WhiteBitResponseError(msg)
    markets: dict[str, Market] = {}
    for name, entry in data.items():
        base, _, quote = name.partition("_")
        if not (is_currency(base) and is_currency(quote)) or "_" in quote:
            continue
        if not isinstance(entry, dict) or not isinstance(frozen := entry.get("isFrozen"), bool):
            continue
        try:
            price = parse_amount(entry.get("last_price"))
        except InvalidAmountError:
            continue
        markets[name] = Market(base, quote, price, frozen, _signed(entry.get("change")))
    return markets


def _signed(value: object) -> Decimal | None:
    """A signed decimal such as "-1.25", or None: a bad change never costs the market."""
    negative = isinstance(value, str) and value.startswith("-")
    try:
        amount = parse_amount(value[1:] if negative and isinstance(value, str) else value)
    except InvalidAmountError:
        return None
    return -amount if negative else amount


def retry_after_seconds(header: str | None, now: float) -> float:
    """Read a Retry-After header (seconds or an HTTP date) as a finite wait within bounds.

    NaN, infinities, negative and huge values, dates and garbage all end in a number between
    MIN_RETRY_AFTER and MAX_RETRY_AFTER: a NaN here once stalled Home Assistant's timers.
    """
    text = (header or "").strip()
    seconds = DEFAULT_RETRY_AFTER
    if re.fullmatch(r"[0-9]{1,9}(?:\.[0-9]{1,6})?", text):
        seconds = float(text)
    elif (date := http_date(text)) is not None:
        seconds = date - now
    if not math.isfinite(seconds):  # pragma: no cover - both branches give finite numbers
        seconds = DEFAULT_RETRY_AFTER
    return min(max(seconds, MIN_RETRY_AFTER), MAX_RETRY_AFTER)


def http_date(text: str | None) -> float | None:
    """Return an HTTP date header as seconds since the epoch, or None if it is not one."""
    if not text or len(text) > _MAX_DATE_TEXT:
        return None
    try:
        date = parsedate_to_datetime(text)
    except TypeError, ValueError, IndexError, OverflowError:
        return None
    if date.tzinfo is None:
        date = date.replace(tzinfo=UTC)
    return date.timestamp()


def decode(body: bytes) -> object:
    """Parse a body as JSON; anything that is not (bad bytes, too deep, too big) is _NOT_JSON."""
    try:
        # Decimal, not float, for numbers with a fraction: the collateral answer sends amounts
        # as JSON numbers, and 0.1 must stay 0.1. Where WhiteBIT documents strings, a number is
        # still refused as an amount.
        return json.loads(body, parse_float=Decimal)
    except ValueError, RecursionError:
        # ValueError includes UnicodeDecodeError and json's own errors; 100,000 nested "["
        # exhaust the parser's recursion instead.
        return _NOT_JSON


def interpret(status: int, body: bytes, retry_after: float) -> object:
    """Turn a status and body into data, or raise the typed error they describe."""
    data = decode(body)
    error = _classify(status, data)
    if error is None:
        if data is _NOT_JSON:
            # No excerpt: a successful answer cut short is a list of balances, and amounts stay
            # out of logs. Error pages are quoted below, since they hold no balances.
            msg = f"WhiteBIT answered with something that is not JSON ({len(body)} bytes)"
            raise WhiteBitResponseError(msg)
        return data
    message = _message(data, body)
    if error is WhiteBitRateLimitError:
        msg = (
            f"WhiteBIT answered HTTP {status} ({message}): too many requests, or a nonce it did "
            "not accept; WhiteBIT sends the same answer for both"
        )
        raise WhiteBitRateLimitError(msg, retry_after)
    if error is WhiteBitRequestError:
        errors = data.get("errors") if isinstance(data, dict) else None
        msg = f"WhiteBIT refused the request (HTTP {status}): {message}"
        raise WhiteBitRequestError(msg, errors if isinstance(errors, dict) else None)
    if error is WhiteBitClockError:
        msg = f"WhiteBIT refused the request's time (HTTP {status}): {message}"
        raise WhiteBitClockError(msg, None)
    msg = f"WhiteBIT answered HTTP {status}: {message}"
    raise error(msg)


def _classify(status: int, data: object) -> type[WhiteBitError] | None:
    """Pick the error class from the status and, where WhiteBIT sends one, the exact message."""
    message = data.get("message") if isinstance(data, dict) else None
    text = message.strip().lower() if isinstance(message, str) else ""
    # In this order: the first that holds decides.
    rules: tuple[tuple[bool, type[WhiteBitError]], ...] = (
        (status == HTTPStatus.UNAUTHORIZED or text in _AUTH_TEXTS, WhiteBitAuthenticationError),
        (
            status == HTTPStatus.FORBIDDEN or text.startswith(_PERMISSION_TEXT),
            WhiteBitPermissionError,
        ),
        (text.startswith(_WINDOW_TEXT), WhiteBitClockError),
        (status == HTTPStatus.TOO_MANY_REQUESTS or text == _TOO_MANY_TEXT, WhiteBitRateLimitError),
        # "Invalid payload.", "Inner validation failed", "Validation failed": the request is
        # what is wrong, and sending it again changes nothing.
        (status in {HTTPStatus.BAD_REQUEST, HTTPStatus.UNPROCESSABLE_ENTITY}, WhiteBitRequestError),
        (status >= HTTPStatus.BAD_REQUEST, WhiteBitConnectionError),
        # WhiteBIT's error envelope on a success status: not balances named "code" and "message".
        (
            isinstance(data, dict) and isinstance(data.get("code"), int) and bool(text),
            WhiteBitResponseError,
        ),
    )
    return next((error for holds, error in rules if holds), None)


def _message(data: object, body: bytes) -> str:
    if isinstance(data, dict) and isinstance(message := data.get("message"), str):
        return safe_text(message)
    # An error page: quote its start, decoded leniently (it may not be UTF-8 at all).
    return safe_text(body[: MAX_TEXT * 4].decode("utf-8", "replace").strip()) or "(empty body)"
