"""WhiteBIT's private WebSocket (/ws), as its documentation describes it, for the simulator.

JSON-RPC frames; `authorize` with a token from POST /api/v4/profile/websocket_token (valid for a
while, then refused); the spot (= trade account) balance: `balanceSpot_request`, `_subscribe`,
`_unsubscribe`, and `balanceSpot_update` frames with the changed assets only, at most once per
update interval; the collateral account: `positionsMargin_subscribe []` (every position, each
interval, no request) and `balanceMargin_request`/`_subscribe` (the changed assets, `a B b av
ab`). The server closes a connection after `idle_timeout` seconds without a client
message, and at once on invalid JSON; subscriptions belong to a connection and die with it.
Error codes: 1 invalid argument, 4 method not found, 6 require authentication, 7 too many requests.

Hostile modes, for tests and the benchmark: `redirect_to` answers the handshake with a redirect
elsewhere; `flood` sends a bounded burst of frames as fast as asked once a client subscribes.
"""

import asyncio
from collections import deque
from collections.abc import Callable, Mapping
import contextlib
from dataclasses import dataclass, field
import json
import secrets
import time
from typing import Any, Final, Literal, get_args

from aiohttp import WSCloseCode, WSMsgType, web

from .margin import SimMargin
from .orders import ORDER_METHODS, subscription_error

# An account's collateral balances and positions, or None for a key that no longer exists.
type MarginOf = Callable[[str], tuple[Mapping[str, str], SimMargin] | None]

# WhiteBIT closes a connection 60 s after the client's last message.
IDLE_TIMEOUT: Final = 60.0
# Spot balance updates: at most one a second.
UPDATE_INTERVAL: Final = 1.0
# WhiteBIT calls its tokens short-lived; how short is not documented.
TOKEN_TTL: Final = 300.0
# Requests per connection per minute.
REQUESTS_PER_MINUTE: Final = 200
_MINUTE: Final = 60.0
MAX_FRAME: Final = 64 * 1024

type StreamFault = Literal["drop", "silence", "garbage", "error"]
STREAM_FAULTS: Final = get_args(StreamFault.__value__)

_ERRORS: Final = {
    1: "invalid argument",
    4: "method not found",
    6: "require authentication",
    7: "too many requests",
}


@dataclass
class StreamStats:
    """What the stream saw: connections, tokens, and frames each way."""

    connections: int = 0
    tokens: int = 0
    received: int = 0
    sent: int = 0
    updates: int = 0

    def as_dict(self) -> dict[str, int]:
        """For the control API's state."""
        return {
            "connections": self.connections,
            "tokens": self.tokens,
            "received": self.received,
            "sent": self.sent,
            "updates": self.updates,
        }


@dataclass
class Flood:
    """A bounded burst: `count` frames in all, `per_second` (None: as fast as the client reads).

    `frame(i)` gives the i-th frame's text. It starts when a client subscribes to the spot
    balance, goes on across reconnects until `count` frames went out, and stops by itself.
    """

    frame: Callable[[int], str]
    count: int
    per_second: float | None = None
    sent: int = 0
    started: float | None = None
    finished: float | None = None


@dataclass(eq=False)
class _Connection:
    request: web.Request
    ws: web.WebSocketResponse
    api_key: str | None = None
    # None: not subscribed; empty: every asset.
    subscribed: frozenset[str] | None = None
    sent_state: dict[str, tuple[str, str]] = field(default_factory=dict)
    requests: deque[float] = field(default_factory=deque)
    positions: bool = False
    # balanceMargin: None not subscribed; empty: every asset. What was last sent of it.
    margin_assets: frozenset[str] | None = None
    margin_sent: dict[str, str] = field(default_factory=dict)
    # ordersExecuted and deals: the subscribed markets of each.
    order_markets: dict[str, frozenset[str]] = field(default_factory=dict)
    silent: bool = False
    tasks: set[asyncio.Task[None]] = field(default_factory=set)


class StreamHub:
    """Tokens and connections of the simulated private WebSocket.

    `trade_of(api_key)` gives an account's trade balances (ticker -> (available, freeze)) or
    None for a key that no longer exists; changes to it are found by comparison once per
    update interval, so every way of changing a balance is streamed.
    """

    def __init__(
        self,
        trade_of: Callable[[str], Mapping[str, tuple[str, str]] | None],
        margin_of: MarginOf,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Serve the accounts `trade_of` knows; their collateral accounts from `margin_of`."""
        self._trade_of = trade_of
        self._margin_of = margin_of
        self._clock = clock
        self.idle_timeout = IDLE_TIMEOUT
        self.update_interval = UPDATE_INTERVAL
        self.token_ttl = TOKEN_TTL
        self.stats = StreamStats()
        self._tokens: dict[str, tuple[str, float]] = {}
        self._connections: set[_Connection] = set()
        self._closing = False
        # Hostile modes: a redirect for the handshake, a burst of frames after subscribing.
        self.redirect_to: str | None = None
        self.flood: Flood | None = None

    @property
    def issued_tokens(self) -> list[str]:
        """The tokens issued and not yet expired."""
        return list(self._tokens)

    @property
    def open_connections(self) -> int:
        """How many clients are connected now."""
        return len(self._connections)

    def issue_token(self, api_key: str) -> str:
        """A new token for `api_key`, valid for token_ttl seconds."""
        now = self._clock()
        self._tokens = {t: v for t, v in self._tokens.items() if v[1] > now}
        token = secrets.token_hex(24)
        self._tokens[token] = (api_key, now + self.token_ttl)
        self.stats.tokens += 1
        return token

    async def inject(self, fault: StreamFault) -> None:
        """Misbehave on every open connection.

        drop: cut the connection without a close frame; silence: stop answering its pings;
        garbage: send a frame that is not JSON; error: send an error frame (code 2).
        """
        for connection in list(self._connections):
            match fault:
                case "drop":
                    if (transport := connection.request.transport) is not None:
                        transport.abort()
                case "silence":
                    connection.silent = True
                case "garbage":
                    await self._send_raw(connection, "\x00{not json")
                case "error":
                    await self._send(connection, _error(None, 2, "internal error"))

    async def publish(
        self, api_key: str, market: str, frames: Mapping[str, dict[str, Any]]
    ) -> None:
        """Push `frames` (by channel) to the key's subscribers of `market`, at once."""
        for connection in list(self._connections):
            if connection.api_key != api_key:
                continue
            for channel, frame in frames.items():
                if market in connection.order_markets.get(channel, ()):
                    self.stats.updates += 1
                    await self._send(connection, frame)

    async def close_all(self, _app: web.Application | None = None) -> None:
        """Close every connection, as a server shutting down does (an app's on_shutdown)."""
        self._closing = True
        for connection in list(self._connections):
            await connection.ws.close(code=WSCloseCode.GOING_AWAY, message=b"Server shutdown")

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Serve one WebSocket connection until either side ends it."""
        if self.redirect_to is not None:
            raise web.HTTPTemporaryRedirect(self.redirect_to)
        ws = web.WebSocketResponse(max_msg_size=MAX_FRAME)
        await ws.prepare(request)
        if self._closing:
            # Accepted just before the server began to shut down.
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"Server shutdown")
            return ws
        connection = _Connection(request, ws)
        self._connections.add(connection)
        self.stats.connections += 1
        pusher = asyncio.create_task(self._push(connection))
        try:
            await self._read(connection)
        finally:
            # Not awaited: a handler being cancelled must end, not wait on its helpers.
            pusher.cancel()
            for task in connection.tasks:
                task.cancel()
            self._connections.discard(connection)
        await ws.close()
        return ws

    async def _read(self, connection: _Connection) -> None:
        ws = connection.ws
        while True:
            try:
                message = await ws.receive(timeout=self.idle_timeout)
            except TimeoutError:
                return  # 60 s without a client message
            if message.type is not WSMsgType.TEXT:
                return
            self.stats.received += 1
            try:
                frame = json.loads(message.data)
            except ValueError:
                return  # invalid JSON closes the connection
            if not isinstance(frame, dict):
                return
            await self._answer(connection, frame)

    async def _answer(self, connection: _Connection, frame: dict[str, Any]) -> None:
        request_id = frame.get("id")
        method = frame.get("method")
        params = frame.get("params")
        now = self._clock()
        while connection.requests and now - connection.requests[0] >= _MINUTE:
            connection.requests.popleft()
        if len(connection.requests) >= REQUESTS_PER_MINUTE:
            await self._send(connection, _error(request_id, 7))
            return
        connection.requests.append(now)
        if not isinstance(params, list):
            await self._send(connection, _error(request_id, 1))
            return
        match method:
            case "ping":
                if not connection.silent:
                    await self._send(connection, _result(request_id, "pong"))
            case "authorize":
                await self._authorize(connection, request_id, params)
            case "balanceSpot_request" | "balanceSpot_subscribe" | "balanceSpot_unsubscribe":
                await self._balance(connection, request_id, method, params)
            case (
                "positionsMargin_subscribe"
                | "positionsMargin_unsubscribe"
                | "balanceMargin_request"
                | "balanceMargin_subscribe"
                | "balanceMargin_unsubscribe"
            ):
                await self._margin(connection, request_id, method, params)
            case _:
                await self._orders(connection, request_id, method, params)

    async def _orders(
        self, connection: _Connection, request_id: object, method: object, params: list[Any]
    ) -> None:
        """OrdersExecuted and deals (un)subscriptions; any other method is not found."""
        code: int | None = 4
        if method in ORDER_METHODS and isinstance(method, str):
            code = subscription_error(connection.order_markets, method, params)
            code = 6 if connection.api_key is None else code
        reply = _result(request_id, {"status": "success"})
        await self._send(connection, reply if code is None else _error(request_id, code))

    async def _authorize(
        self, connection: _Connection, request_id: object, params: list[Any]
    ) -> None:
        token = params[0] if params else None
        entry = self._tokens.get(token) if isinstance(token, str) else None
        valid = (
            entry is not None
            and entry[1] > self._clock()
            and params[1:] == ["public"]
            and self._trade_of(entry[0]) is not None
        )
        if not valid or entry is None:
            await self._send(connection, _error(request_id, 1))
            return
        connection.api_key = entry[0]
        await self._send(connection, _result(request_id, {"status": "success"}))

    async def _balance(
        self, connection: _Connection, request_id: object, method: str, params: list[Any]
    ) -> None:
        trade = self._trade_of(connection.api_key) if connection.api_key else None
        if trade is None:
            await self._send(connection, _error(request_id, 6))
            return
        if not all(isinstance(p, str) for p in params):
            await self._send(connection, _error(request_id, 1))
            return
        wanted = frozenset(params)
        if method == "balanceSpot_request":
            await self._send(connection, _result(request_id, _entries(trade, wanted)))
            return
        if method == "balanceSpot_subscribe":
            # Repeating a subscription replaces it; what it sends is changes from now on.
            connection.subscribed = wanted
            connection.sent_state = dict(_state(trade, wanted))
        else:
            connection.subscribed = None
        await self._send(connection, _result(request_id, {"status": "success"}))
        if method == "balanceSpot_subscribe" and self.flood is not None:
            connection.tasks.add(asyncio.create_task(self._flood(connection, self.flood)))

    async def _margin(
        self, connection: _Connection, request_id: object, method: str, params: list[Any]
    ) -> None:
        margin = self._margin_of(connection.api_key) if connection.api_key else None
        if margin is None:
            await self._send(connection, _error(request_id, 6))
            return
        if not all(isinstance(p, str) for p in params):
            await self._send(connection, _error(request_id, 1))
            return
        collateral, wanted = margin[0], frozenset(params)
        balances = {t: a for t, a in collateral.items() if not wanted or t in wanted}
        result: object = {"status": "success"}
        match method:
            case "positionsMargin_subscribe" | "positionsMargin_unsubscribe":
                connection.positions = method == "positionsMargin_subscribe"
            case "balanceMargin_request":
                result = {t: _margin_entry(a) for t, a in sorted(balances.items())}
            case "balanceMargin_subscribe":
                connection.margin_assets, connection.margin_sent = wanted, balances
            case _:
                connection.margin_assets = None
        await self._send(connection, _result(request_id, result))

    async def _flood(self, connection: _Connection, flood: Flood) -> None:
        """Send the flood's frames on this connection until it is done or the connection ends."""
        loop = asyncio.get_running_loop()
        if flood.started is None:
            flood.started = loop.time()
        # Paced in slices of 10 ms: the rate holds without a timer per frame.
        while flood.sent < flood.count and not connection.ws.closed:
            slice_start = loop.time()
            batch = flood.count - flood.sent
            if flood.per_second is not None:
                due = round((slice_start - flood.started + 0.01) * flood.per_second)
                batch = min(batch, max(due - flood.sent, 0))
            for _ in range(min(batch, 1000)):
                await self._send_raw(connection, flood.frame(flood.sent))
                flood.sent += 1
            await asyncio.sleep(max(0.0, slice_start + 0.01 - loop.time()))
        if flood.sent >= flood.count and flood.finished is None:
            flood.finished = loop.time()

    async def _push(self, connection: _Connection) -> None:
        """Each update interval: the changed spot and collateral balances, every position."""
        while True:
            await asyncio.sleep(self.update_interval)
            if connection.api_key is None:
                continue
            await self._push_spot(connection, connection.api_key)
            await self._push_margin(connection, connection.api_key)

    async def _push_margin(self, connection: _Connection, api_key: str) -> None:
        """Every position (however few), and the collateral balances that changed."""
        if (margin := self._margin_of(api_key)) is None:
            return
        collateral, positions = margin
        if connection.positions:
            self.stats.updates += 1
            await self._send(connection, positions.update(collateral))
        if (wanted := connection.margin_assets) is None:
            return
        now = {t: a for t, a in collateral.items() if not wanted or t in wanted}
        changed = sorted(
            t
            for t in set(now) | set(connection.margin_sent)
            if now.get(t, "0") != connection.margin_sent.get(t, "0")
        )
        connection.margin_sent = now
        if changed:
            self.stats.updates += 1
            params = [{"a": t, **_margin_entry(now.get(t, "0"), short=True)} for t in changed]
            await self._send(
                connection, {"id": None, "method": "balanceMargin_update", "params": params}
            )

    async def _push_spot(self, connection: _Connection, api_key: str) -> None:
        """The subscribed spot balances that changed."""
        if connection.subscribed is None:
            return
        trade = self._trade_of(api_key)
        if trade is None:
            return
        now = _state(trade, connection.subscribed)
        changed = {
            ticker: now.get(ticker, ("0", "0"))
            for ticker in set(now) | set(connection.sent_state)
            if now.get(ticker, ("0", "0")) != connection.sent_state.get(ticker, ("0", "0"))
        }
        connection.sent_state = dict(now)
        if changed:
            self.stats.updates += 1
            update = {
                "id": None,
                "method": "balanceSpot_update",
                "params": [
                    {t: {"available": a, "freeze": f} for t, (a, f) in sorted(changed.items())}
                ],
            }
            await self._send(connection, update)

    async def _send(self, connection: _Connection, frame: dict[str, Any]) -> None:
        await self._send_raw(connection, json.dumps(frame, separators=(",", ":")))

    async def _send_raw(self, connection: _Connection, text: str) -> None:
        if connection.ws.closed:
            return
        self.stats.sent += 1
        with contextlib.suppress(ConnectionError):
            await connection.ws.send_str(text)


def _state(
    trade: Mapping[str, tuple[str, str]], wanted: frozenset[str]
) -> dict[str, tuple[str, str]]:
    return {t: v for t, v in trade.items() if not wanted or t in wanted}


def _entries(
    trade: Mapping[str, tuple[str, str]], wanted: frozenset[str]
) -> dict[str, dict[str, str]]:
    tickers = wanted or frozenset(trade)
    return {
        t: {"available": trade.get(t, ("0", "0"))[0], "freeze": trade.get(t, ("0", "0"))[1]}
        for t in sorted(tickers)
    }


def _margin_entry(amount: str, *, short: bool = False) -> dict[str, str]:
    """A collateral balance without borrowing: as balanceMargin_request, or its update's keys."""
    if short:
        return {"B": amount, "b": "0", "av": amount, "ab": amount}
    return {
        "balance": amount,
        "borrow": "0",
        "available_without_borrow": amount,
        "available_with_borrow": amount,
    }


def _result(request_id: object, result: object) -> dict[str, Any]:
    return {"id": request_id, "result": result, "error": None}


def _error(request_id: object, code: int, message: str | None = None) -> dict[str, Any]:
    return {
        "id": request_id,
        "result": None,
        "error": {"code": code, "message": message or _ERRORS[code]},
    }
