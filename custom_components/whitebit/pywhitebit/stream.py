"""Trade balances pushed by WhiteBIT's private WebSocket; polling covers everything else.

WhiteBIT streams the spot (= trade) account only: the main account has no stream. One
connection per entry: a token from a signed request, `authorize`, the full state with
`balanceSpot_request`, then `balanceSpot_subscribe` to every asset, whose updates carry the
changed assets only. Any fault ends the connection; the next one starts over with a fresh token
(subscriptions do not survive a reconnect) after a jittered, growing wait.

Nothing received is logged: frames carry amounts, and the authorize frame carries the token.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
import json
import logging
import random
from typing import Any, Final, Protocol

import aiohttp

from .client import WhiteBitClient
from .errors import (
    WhiteBitAuthenticationError,
    WhiteBitError,
    WhiteBitPermissionError,
    WhiteBitRateLimitError,
)
from .models import Balances, TradeBalance
from .parse import parse_trade_balances
from .text import safe_text
from .transport import MAX_ANSWER_BYTES

# WhiteBIT closes a connection 60 s after the client's last message.
PING_INTERVAL: Final = 50.0
# WhiteBIT's advice: reconnect when no pong came within 10 s of a ping.
PONG_TIMEOUT: Final = 10.0
# For the handshake and each answer to a request.
REPLY_TIMEOUT: Final = 10.0
BACKOFF_FIRST: Final = 1.0
BACKOFF_MAX: Final = 300.0
# A connection that stayed up this long was not a failed attempt: the next wait starts small.
STABLE_AFTER: Final = 60.0
_PING_ID: Final = 0
LOGGER = logging.getLogger(__name__)


class TradeSink(Protocol):
    """Takes the trade account's balances: the full state, or only the assets that changed."""

    def __call__(self, balances: Balances[TradeBalance], *, full: bool) -> None:
        """Apply `balances`."""


class StreamState(StrEnum):
    """Where the stream is; shown in diagnostics."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    WAITING = "waiting"
    # The two that end it: polling alone from then on.
    NO_PERMISSION = "no_permission"
    AUTH_FAILED = "auth_failed"


class StreamError(Exception):
    """The connection ended, or the server sent what WhiteBIT would not."""


def backoff_delay(attempt: int, rand: Callable[[], float] = random.random) -> float:
    """Seconds to wait before attempt `attempt` (0 first): doubling from 1 s up to 300 s.

    Jittered between half and all of that, so entries that lost WhiteBIT together do not come
    back together; the first waits also keep token requests under WhiteBIT's 10 a minute.
    """
    ceiling: float = min(BACKOFF_MAX, BACKOFF_FIRST * 2.0 ** min(attempt, 16))
    return ceiling * (0.5 + rand() / 2)


@dataclass
class StreamStatus:
    """What diagnostics show: no token, no amounts."""

    state: StreamState = StreamState.CONNECTING
    # Connections lost or refused since the first attempt.
    reconnects: int = 0
    connected_since: float | None = None
    last_message: float | None = None


class WhiteBitStream:
    """One entry's connection to the private WebSocket, kept up until the task is cancelled."""

    def __init__(
        self,
        client: WhiteBitClient,
        session: aiohttp.ClientSession,
        url: str,
        apply: TradeSink,
        reauth: Callable[[], None],
    ) -> None:
        """Stream to `apply(balances, full)`; call `reauth` when WhiteBIT refuses the key."""
        self._client = client
        self._session = session
        self.url = url
        self._apply = apply
        self._reauth = reauth
        self.status = StreamStatus()
        self._next_id = _PING_ID
        self._loop = asyncio.get_running_loop()

    @property
    def synced(self) -> bool:
        """Whether the trade balances are the stream's: full state taken, updates subscribed."""
        return self.status.state is StreamState.CONNECTED

    def diagnostics(self) -> dict[str, Any]:
        """The stream's state, and ages in seconds rather than clock readings."""
        now = self._loop.time()
        status = self.status
        return {
            "state": status.state.value,
            "reconnects": status.reconnects,
            "connected_for": _age(now, status.connected_since),
            "last_message_age": _age(now, status.last_message),
        }

    async def run(self) -> None:
        """Connect, and reconnect after each fault, until cancelled or WhiteBIT says no."""
        attempt = 0
        while True:
            wait_at_least = 0.0
            try:
                await self._connection()
            except WhiteBitAuthenticationError:
                # The poll will meet the same refusal; either way it is the same reauth flow.
                self._end(StreamState.AUTH_FAILED)
                self._reauth()
                return
            except WhiteBitPermissionError:
                self._end(StreamState.NO_PERMISSION)
                LOGGER.warning(
                    "The API key may not open WhiteBIT's WebSocket, so trade balances are polled "
                    "every 5 minutes instead of pushed. To have them pushed, allow the key the "
                    "WebSocket token endpoint in WhiteBIT's API settings and reload the entry"
                )
                return
            except WhiteBitRateLimitError as err:
                wait_at_least = err.retry_after
                self._lost(err)
            except (WhiteBitError, StreamError, aiohttp.ClientError, TimeoutError) as err:
                self._lost(err)
            since = self.status.connected_since
            stable = since is not None and self._loop.time() - since >= STABLE_AFTER
            attempt = 0 if stable else attempt + 1
            self.status.connected_since = None
            self.status.state = StreamState.WAITING
            self.status.reconnects += 1
            await asyncio.sleep(max(backoff_delay(attempt), wait_at_least))

    def _end(self, state: StreamState) -> None:
        self.status.state = state
        self.status.connected_since = None

    def _lost(self, err: Exception) -> None:
        reason = safe_text(str(err) or type(err).__name__)
        if self.status.state is StreamState.CONNECTED:
            LOGGER.info("WhiteBIT's stream ended (%s); polling until it is back", reason)
        else:
            LOGGER.debug("WhiteBIT's stream could not be opened: %s", reason)

    async def _connection(self) -> None:
        """One connection, from token to its end; it only ever ends by raising."""
        self.status.state = StreamState.CONNECTING
        token = await self._client.websocket_token()
        async with asyncio.timeout(REPLY_TIMEOUT):
            ws = await self._session.ws_connect(
                self.url, max_msg_size=MAX_ANSWER_BYTES, autoclose=True, autoping=True
            )
        async with ws:
            await self._call(ws, "authorize", [token, "public"])
            state = await self._call(ws, "balanceSpot_request", [])
            self._apply(parse_trade_balances(state), full=True)
            await self._call(ws, "balanceSpot_subscribe", [])
            if self.status.reconnects:
                LOGGER.info("WhiteBIT's stream is back: trade balances are pushed again")
            self.status.state = StreamState.CONNECTED
            self.status.connected_since = self._loop.time()
            await self._listen(ws)

    async def _call(
        self, ws: aiohttp.ClientWebSocketResponse, method: str, params: list[str]
    ) -> object:
        """Send one request and return its result; updates that come first are applied."""
        self._next_id += 1
        request_id = self._next_id
        await ws.send_str(json.dumps({"id": request_id, "method": method, "params": params}))
        deadline = self._loop.time() + REPLY_TIMEOUT
        while True:
            frame = await self._receive(ws, deadline - self._loop.time())
            if frame is None:
                msg = f"no answer to {method} within {REPLY_TIMEOUT:g} s"
                raise StreamError(msg)
            if frame.get("id") == request_id:
                _raise_for_error(frame, method)
                return frame.get("result")
            self._handle(frame)

    async def _listen(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Apply updates, and ping every PING_INTERVAL; a missing pong ends the connection."""
        next_ping = self._loop.time() + PING_INTERVAL
        pong_due: float | None = None
        while True:
            wake = next_ping if pong_due is None else min(next_ping, pong_due)
            frame = await self._receive(ws, wake - self._loop.time())
            now = self._loop.time()
            if frame is not None:
                if frame.get("id") == _PING_ID and frame.get("result") == "pong":
                    pong_due = None
                else:
                    self._handle(frame)
                continue
            if pong_due is not None and now >= pong_due:
                msg = f"no pong within {PONG_TIMEOUT:g} s"
                raise StreamError(msg)
            # A timer may fire a hair early; a ping a hair early is harmless.
            await ws.send_str(json.dumps({"id": _PING_ID, "method": "ping", "params": []}))
            pong_due = now + PONG_TIMEOUT if pong_due is None else pong_due
            next_ping = now + PING_INTERVAL

    async def _receive(
        self, ws: aiohttp.ClientWebSocketResponse, seconds: float
    ) -> dict[str, Any] | None:
        """The next frame as a JSON object; None when `seconds` passed first."""
        try:
            message = await ws.receive(timeout=max(seconds, 0.001))
        except TimeoutError:
            return None
        if message.type is not aiohttp.WSMsgType.TEXT:
            msg = f"connection closed ({message.type.name}, code {ws.close_code})"
            raise StreamError(msg)
        self.status.last_message = self._loop.time()
        try:
            frame = json.loads(message.data)
        except ValueError, RecursionError:
            frame = None
        if not isinstance(frame, dict):
            msg = "WhiteBIT sent a frame that is not a JSON object"
            raise StreamError(msg)
        return frame

    def _handle(self, frame: dict[str, Any]) -> None:
        """Apply a balance update; an error frame ends the connection; the rest is ignored."""
        _raise_for_error(frame, "the stream")
        if frame.get("method") != "balanceSpot_update":
            return
        params = frame.get("params")
        if not isinstance(params, list) or not params:
            msg = "WhiteBIT sent a balance update without balances"
            raise StreamError(msg)
        try:
            changes = parse_trade_balances(params[0])
        except WhiteBitError as err:
            raise StreamError(str(err)) from err
        self._apply(changes, full=False)


def _raise_for_error(frame: dict[str, Any], what: str) -> None:
    error = frame.get("error")
    if error is None:
        return
    code = error.get("code") if isinstance(error, dict) else None
    text = error.get("message") if isinstance(error, dict) else None
    shown = safe_text(text, 80) if isinstance(text, str) else "no message"
    msg = f"WhiteBIT refused {what}: code {safe_text(str(code), 20)}, {shown}"
    raise StreamError(msg)


def _age(now: float, since: float | None) -> float | None:
    return None if since is None else round(now - since, 1)
