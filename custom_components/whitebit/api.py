"""Asynchronous client for WhiteBIT's API v4: the private balance endpoints and the public ticker.

Kept free of Home Assistant imports so it can be tested, fuzzed and benchmarked on its own. The
secret is only ever used as an HMAC key: it is never sent, logged, or put in an exception.
"""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass
from decimal import Decimal
import hashlib
import hmac
from http import HTTPStatus
import json
import re
import threading
import time
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, cast
import weakref

import aiohttp

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

MAIN_BALANCE_PATH: Final = "/api/v4/main-account/balance"
TRADE_BALANCE_PATH: Final = "/api/v4/trade-account/balance"
PUBLIC_TICKER_PATH: Final = "/api/v4/public/ticker"
DEFAULT_TIMEOUT: Final = 10.0
# WhiteBIT counts requests per 10-second window; with no Retry-After header a client that waits
# one whole window is certain to be past the limit.
DEFAULT_RETRY_AFTER: Final = 10.0

# A balance is a plain decimal string. Exponent notation, signs, NaN and Infinity are not what
# WhiteBIT documents, and accepting them would put a number in a sensor that nobody has.
# [0-9], not \d: \d (and Decimal) also take other scripts' digits, which WhiteBIT never sends.
_AMOUNT: Final = re.compile(r"[0-9]{1,40}(?:\.[0-9]{1,40})?")
_MAX_ERROR_TEXT: Final = 200
_NOT_JSON: Final = object()


class WhiteBitError(Exception):
    """Base class for every error this client raises."""


class WhiteBitConnectionError(WhiteBitError):
    """WhiteBIT could not be reached, timed out, or answered with a server error."""


class WhiteBitResponseError(WhiteBitError):
    """WhiteBIT answered, but not in the documented shape."""


class WhiteBitAuthenticationError(WhiteBitError):
    """The key, the signature, or the key's state (disabled, IP not allowed) was rejected."""


class WhiteBitPermissionError(WhiteBitError):
    """The key is valid but may not use this endpoint."""


class WhiteBitRateLimitError(WhiteBitError):
    """Too many requests, or a nonce WhiteBIT did not accept."""

    def __init__(self, message: str, retry_after: float) -> None:
        """Keep how long to wait before the next request."""
        super().__init__(message)
        self.retry_after = retry_after


class WhiteBitValidationError(WhiteBitError):
    """WhiteBIT rejected the request's parameters (HTTP 422)."""

    def __init__(self, message: str, errors: Mapping[str, Any]) -> None:
        """Keep the per-field errors WhiteBIT returned."""
        super().__init__(message)
        self.errors = dict(errors)


class NonceSource:
    """Strictly increasing millisecond nonces per API key.

    WhiteBIT rejects a nonce that is not larger than the last one it saw for a key. Two config
    entries may hold the same key, and the wall clock may step back (NTP), so the last nonce is
    kept per key for the whole process and the next one is never below it.
    """

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        """Use `clock` (seconds since the epoch) as the time source."""
        self._clock = clock
        self._lock = threading.Lock()
        self._last: dict[str, int] = {}

    def next(self, key_id: str) -> int:
        """Return a nonce larger than every earlier one for this key."""
        now = int(self._clock() * 1000)
        with self._lock:
            nonce = max(now, self._last.get(key_id, 0) + 1)
            self._last[key_id] = nonce
        return nonce


_NONCES: Final = NonceSource()
# A nonce only helps if requests reach WhiteBIT in nonce order: two concurrent requests for one
# key could overtake each other and the smaller nonce would be refused. One lock per key (and per
# event loop, since asyncio locks belong to one) serialises sign-and-send.
_SEND_LOCKS: Final[
    weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]]
] = weakref.WeakKeyDictionary()


def _send_lock(key_id: str) -> asyncio.Lock:
    locks = _SEND_LOCKS.setdefault(asyncio.get_running_loop(), {})
    return locks.setdefault(key_id, asyncio.Lock())


def key_fingerprint(api_key: str) -> str:
    """Return a stable identifier for a key that does not reveal it."""
    return hashlib.sha256(api_key.encode()).hexdigest()


def sign(secret: str, body: bytes) -> tuple[str, str]:
    """Return the X-TXC-PAYLOAD and X-TXC-SIGNATURE headers for a request body."""
    payload = base64.b64encode(body).decode("ascii")
    signature = hmac.new(secret.encode(), payload.encode("ascii"), hashlib.sha512).hexdigest()
    return payload, signature


def encode_body(request: str, nonce: int, **params: str | int | bool) -> bytes:
    """Serialise a request body the way it is signed: compact JSON."""
    body = {"request": request, "nonce": nonce, **params}
    return json.dumps(body, separators=(",", ":")).encode()


def parse_amount(ticker: str, value: object) -> Decimal:
    """Parse one balance string into an exact Decimal."""
    if not isinstance(value, str) or not _AMOUNT.fullmatch(value):
        # The type, not the value: error texts reach logs and diagnostics, which keep amounts out.
        kind = (
            "a string that is not a plain decimal"
            if isinstance(value, str)
            else type(value).__name__
        )
        msg = f"WhiteBIT returned an invalid amount for {_excerpt(ticker)}: {kind}"
        raise WhiteBitResponseError(msg)
    return Decimal(value)


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
class Market:
    """One market of the public ticker: BASE_QUOTE, its last price, and whether it trades."""

    base: str
    quote: str
    last_price: Decimal
    frozen: bool


def _balance_entries(data: object, fields: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """Check the shape shared by both balance answers: ticker -> {field: amount, ...}."""
    if not isinstance(data, dict):
        msg = f"WhiteBIT returned {type(data).__name__} where balances were expected"
        raise WhiteBitResponseError(msg)
    for ticker, entry in data.items():
        if not isinstance(entry, dict) or any(name not in entry for name in fields):
            msg = f"WhiteBIT returned no {'/'.join(fields)} for {_excerpt(ticker)}"
            raise WhiteBitResponseError(msg)
    return data


def parse_main_balances(data: object) -> dict[str, Decimal]:
    """Parse the main-account balance answer into ticker -> amount."""
    return {
        ticker: parse_amount(ticker, entry["main_balance"])
        for ticker, entry in _balance_entries(data, ("main_balance",)).items()
    }


def parse_trade_balances(data: object) -> dict[str, TradeBalance]:
    """Parse the trade-account balance answer; it lists only currencies with a balance."""
    return {
        ticker: TradeBalance(
            available=parse_amount(ticker, entry["available"]),
            freeze=parse_amount(ticker, entry["freeze"]),
        )
        for ticker, entry in _balance_entries(data, ("available", "freeze")).items()
    }


def parse_markets(data: object) -> dict[str, Market]:
    """Parse the public ticker into market name -> Market.

    The answer lists hundreds of markets. One that is not in the documented shape (a name that
    is not BASE_QUOTE, a price that is not a plain decimal) is left out rather than failing the
    rest: a currency only it could value is then reported as unvalued, which the user sees.
    """
    if not isinstance(data, dict):
        msg = f"WhiteBIT returned {type(data).__name__} where markets were expected"
        raise WhiteBitResponseError(msg)
    markets: dict[str, Market] = {}
    for name, entry in data.items():
        base, _, quote = name.partition("_")
        if not base or not quote or "_" in quote or not isinstance(entry, dict):
            continue
        price, frozen = entry.get("last_price"), entry.get("isFrozen")
        if not isinstance(price, str) or not _AMOUNT.fullmatch(price):
            continue
        if not isinstance(frozen, bool):
            continue
        markets[name] = Market(base, quote, Decimal(price), frozen)
    return markets


def _excerpt(text: str) -> str:
    return text if len(text) <= _MAX_ERROR_TEXT else f"{text[:_MAX_ERROR_TEXT]}…"


class WhiteBitClient:
    """A client for one API key on one WhiteBIT server."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        api_key: str,
        api_secret: str,
        base_url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        nonces: NonceSource = _NONCES,
    ) -> None:
        """Bind the client to a session owned by the caller."""
        self._session = session
        self._api_key = api_key
        self._api_secret = api_secret
        self._base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._nonces = nonces
        self._key_id = key_fingerprint(api_key)
        # Per path, the last successful answer's text and what it parsed to.
        self._last: dict[str, tuple[str, Mapping[str, Any]]] = {}

    def __repr__(self) -> str:
        """Name the server only: the default repr would not show the secret, but be explicit."""
        return f"WhiteBitClient({self._base_url!r})"

    @property
    def base_url(self) -> str:
        """The server this client talks to."""
        return self._base_url

    async def main_balances(self) -> Mapping[str, Decimal]:
        """Return every listed currency's main-account balance, in one request."""
        return await self._private(MAIN_BALANCE_PATH, parse_main_balances)

    async def trade_balances(self) -> Mapping[str, TradeBalance]:
        """Return the trade-account balance of every currency that has one, in one request."""
        return await self._private(TRADE_BALANCE_PATH, parse_trade_balances)

    async def markets(self) -> Mapping[str, Market]:
        """Return every market's last price from the public ticker (unsigned, no key sent)."""
        status, text, retry_after = await self._send("GET", PUBLIC_TICKER_PATH)
        return MappingProxyType(parse_markets(_interpret(status, text, retry_after)))

    async def _private[T](
        self, path: str, parse: Callable[[object], dict[str, T]]
    ) -> Mapping[str, T]:
        """Fetch and parse one private answer.

        Balances rarely change between polls, so an answer identical to the last one is not
        parsed again: its result is reused, read-only.
        """
        status, text, retry_after = await self._signed_post(path)
        last = self._last.get(path)
        if status == HTTPStatus.OK and last is not None and last[0] == text:
            return cast("Mapping[str, T]", last[1])
        result = MappingProxyType(parse(_interpret(status, text, retry_after)))
        self._last[path] = (text, result)
        return result

    async def _signed_post(
        self, path: str, **params: str | int | bool
    ) -> tuple[int, str, str | None]:
        """Sign and send one private request; return the status, the body and any Retry-After."""
        async with _send_lock(self._key_id):
            body = encode_body(path, self._nonces.next(self._key_id), **params)
            payload, signature = sign(self._api_secret, body)
            headers = {
                "Content-Type": "application/json",
                "X-TXC-APIKEY": self._api_key,
                "X-TXC-PAYLOAD": payload,
                "X-TXC-SIGNATURE": signature,
            }
            return await self._send("POST", path, body, headers)

    async def _send(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, str, str | None]:
        """Send one request; return the status, the body and any Retry-After."""
        try:
            async with (
                asyncio.timeout(self._timeout),
                self._session.request(
                    method, self._base_url + path, data=body, headers=headers
                ) as response,
            ):
                text = await response.text()
                return response.status, text, response.headers.get("Retry-After")
        except TimeoutError as err:
            msg = f"Timed out after {self._timeout:g} s waiting for WhiteBIT"
            raise WhiteBitConnectionError(msg) from err
        except aiohttp.ClientError as err:
            msg = f"Error talking to WhiteBIT: {err.__class__.__name__}: {err}"
            raise WhiteBitConnectionError(msg) from err


def _interpret(status: int, text: str, retry_after: str | None) -> object:
    """Turn a status and body into data or the typed error they describe."""
    try:
        data = json.loads(text)
    except ValueError:
        data = _NOT_JSON

    error = _classify_error(status, data)
    if error is None and status >= 400:  # noqa: PLR2004 - any other HTTP error
        error = WhiteBitConnectionError
    if error is WhiteBitRateLimitError:
        msg = f"WhiteBIT rate limit or nonce rejection: {_message(data, text)}"
        raise WhiteBitRateLimitError(msg, _retry_after_seconds(retry_after))
    if error is WhiteBitValidationError:
        errors = data.get("errors") if isinstance(data, dict) else None
        msg = f"WhiteBIT rejected the request: {_message(data, text)}"
        raise WhiteBitValidationError(msg, errors if isinstance(errors, dict) else {})
    if error is not None:
        msg = f"WhiteBIT answered HTTP {status}: {_message(data, text)}"
        raise error(msg)
    if data is _NOT_JSON:
        # No excerpt: a successful answer cut short is a list of balances, and amounts stay
        # out of logs. Error pages above are quoted, since they hold no balances.
        msg = f"WhiteBIT answered with something that is not JSON ({len(text)} characters)"
        raise WhiteBitResponseError(msg)
    return data


def _classify_error(status: int, data: object) -> type[WhiteBitError] | None:
    """Pick the error class from the status and, where WhiteBIT sends one, the body.

    WhiteBIT documents 401 for authentication failures, but bodies with code 10 or the
    "unauthorized" message have been seen with other statuses, so the body counts too.
    """
    code = data.get("code") if isinstance(data, dict) else None
    message = data.get("message") if isinstance(data, dict) else None
    message = message.lower() if isinstance(message, str) else ""
    if status == 401 or code == 10 or "unauthorized" in message:  # noqa: PLR2004
        return WhiteBitAuthenticationError
    if status == 403 or "permission" in message:  # noqa: PLR2004
        return WhiteBitPermissionError
    if status == 429 or "too many requests" in message:  # noqa: PLR2004
        return WhiteBitRateLimitError
    if status == 422:  # noqa: PLR2004
        return WhiteBitValidationError
    if status >= 500:  # noqa: PLR2004
        return WhiteBitConnectionError
    return None


def _message(data: object, text: str) -> str:
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return _excerpt(data["message"])
    return _excerpt(text.strip()) or "(empty body)"


def _retry_after_seconds(header: str | None) -> float:
    try:
        seconds = float(header) if header is not None else DEFAULT_RETRY_AFTER
    except ValueError:
        return DEFAULT_RETRY_AFTER
    # An absurd or negative header must neither stall polling for hours nor cause a busy loop.
    return min(max(seconds, 1.0), 300.0)
