"""Statuses and bodies into data or typed errors; Retry-After and Date headers into numbers.

Everything here reads text a server controls: any byte sequence ends in data or a
`WhiteBitError`, and server text reaching a message is escaped and bounded.
"""

from datetime import UTC
from decimal import Decimal
from email.utils import parsedate_to_datetime
from http import HTTPStatus
import json
import math
import re
from typing import Final

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
from .text import MAX_TEXT, safe_text

# WhiteBIT counts requests per 10-second window; with no usable Retry-After a client that waits
# one whole window is past the limit. Any header is kept within these bounds.
DEFAULT_RETRY_AFTER: Final = 10.0
MIN_RETRY_AFTER: Final = 1.0
MAX_RETRY_AFTER: Final = 300.0
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
        raise WhiteBitRequestError(msg, errors if isinstance(errors, dict) else None, message)
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
        # WhiteBIT's own refusal is JSON with a message. A 403 page that is not (a CDN's or a
        # proxy's block page) says nothing about the key: it falls through to a transient fault.
        (
            (status == HTTPStatus.FORBIDDEN and bool(text)) or text.startswith(_PERMISSION_TEXT),
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
