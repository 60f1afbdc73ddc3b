"""WhiteBIT's private WebSocket: one connection per key, serving every subscribed channel.

Each connection: a token from a signed request, `authorize`, then for each channel its full
state (`<name>_request`) and its subscription (`<name>_subscribe`, whose updates carry changes
only). Frames are folded into each channel's state as they arrive; subscribers get the result at
most once per `deliver_every` (1 s), however fast the server sends. Any fault, a subscriber's own
exception included, ends the connection: it is counted, logged once, shown in the status, and
the next connection starts over (subscriptions do not survive a reconnect) after a jittered,
growing wait. Only a refused key or a key without the WebSocket permission stops the stream.
"""

import asyncio
from collections.abc import Callable
import json
import logging
from typing import Any, Final

import aiohttp

from . import stream_settings
from .channels import Channel
from .client import WhiteBitClient
from .connection import FrameBudget, decode, open_websocket, pause, raise_for_error, receive
from .errors import (
    WhiteBitAuthenticationError,
    WhiteBitError,
    WhiteBitPermissionError,
    WhiteBitRateLimitError,
)
from .servers import stream_url
from .stream_settings import (
    FINAL_STATES,
    StreamError,
    StreamLimits,
    StreamState,
    StreamStatus,
    StreamTiming,
)
from .subscriptions import Subscriptions
from .text import safe_text

_PING_ID: Final = 0
# Faults of the connection itself; anything else is a bug (ours or a subscriber's).
_EXPECTED: Final = (WhiteBitError, StreamError, aiohttp.ClientError, OSError, TimeoutError)
LOGGER = logging.getLogger(__name__)


class WhiteBitStream:
    """One key's connection to the private WebSocket, kept up until `run` is cancelled."""

    def __init__(
        self,
        client: WhiteBitClient,
        session: aiohttp.ClientSession,
        *,
        url: str | None = None,
        on_stopped: Callable[[StreamState], None] | None = None,
        timing: StreamTiming | None = None,
        limits: StreamLimits | None = None,
    ) -> None:
        """Stream for `client`'s key; `on_stopped` hears when WhiteBIT refuses it for good."""
        self._client = client
        self._session = session
        self.url = url or stream_url(client.base_url)
        self._on_stopped = on_stopped
        self.timing = timing or stream_settings.TIMING
        self.limits = limits or stream_settings.LIMITS
        self.status = StreamStatus()
        self._loop = asyncio.get_running_loop()
        self._subscriptions = Subscriptions(self.timing.deliver_every, self._resubscribe)
        # What the current connection has subscribed, by update method.
        self._live: dict[str, Channel[Any]] = {}
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._next_id = _PING_ID
        # Answers to requests sent while connected, by id: a subscription made meanwhile.
        self._answers: dict[int, Callable[[dict[str, Any]], None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._budget = FrameBudget(self.limits, self._loop.time())
        self._logged: str | None = None

    @property
    def synced(self) -> bool:
        """Whether every subscribed channel's state is WhiteBIT's: taken in full and subscribed."""
        return self.status.state is StreamState.CONNECTED

    def subscribe[V](
        self, channel: Channel[V], callback: Callable[[V], None]
    ) -> Callable[[], None]:
        """Call `callback` with `channel`'s value at most once per second; return unsubscribe.

        On a connection already up, the channel is requested and subscribed at once; otherwise
        by the next connection, as every channel is after a reconnect.
        """
        return self._subscriptions.add(channel, callback)

    def diagnostics(self) -> dict[str, Any]:
        """The stream's status, with ages in seconds rather than clock readings."""
        now = self._loop.time()
        status = self.status
        return {
            "state": status.state.value,
            "channels": sorted(channel.name for channel in self._subscriptions.channels),
            "reconnects": status.reconnects,
            "errors": status.errors,
            "last_error": status.last_error,
            "connected_for": _age(now, status.connected_since),
            "last_message_age": _age(now, status.last_message),
            "frames": status.frames,
            "deliveries": status.deliveries,
            "refused_names": status.refused_names,
        }

    async def run(self) -> None:
        """Connect, and reconnect after each fault, until cancelled or WhiteBIT says no."""
        attempt = 0
        try:
            while True:
                wait_at_least = 0.0
                try:
                    await self._connection()
                except WhiteBitAuthenticationError:
                    self._stop(StreamState.AUTH_FAILED)
                    return
                except WhiteBitPermissionError:
                    self._stop(StreamState.NO_PERMISSION)
                    return
                except WhiteBitRateLimitError as err:
                    wait_at_least = err.retry_after
                    self._fault(err)
                except Exception as err:  # noqa: BLE001 - nothing may end the stream silently
                    self._fault(err)
                since = self.status.connected_since
                if since is not None and self._loop.time() - since >= self.timing.stable_after:
                    attempt, self._logged = 0, None
                else:
                    attempt += 1
                self.status.connected_since = None
                self.status.state = StreamState.WAITING
                self.status.reconnects += 1
                await asyncio.sleep(max(self.timing.backoff(attempt), wait_at_least))
        finally:
            if self.status.state not in FINAL_STATES:
                self._set_down(StreamState.STOPPED)

    def _set_down(self, state: StreamState) -> None:
        self.status.state = state
        self.status.connected_since = None

    def _stop(self, state: StreamState) -> None:
        self._set_down(state)
        if self._on_stopped is not None:
            try:
                self._on_stopped(state)
            except Exception as err:  # noqa: BLE001 - the caller's bug must not hide the stop
                self._fault(err)
                self._set_down(state)

    def _fault(self, err: BaseException) -> None:
        """Count a fault and say so: once per kind of fault, never per frame or attempt."""
        text = safe_text(f"{type(err).__name__}: {err}", 160)
        was_connected = self.status.state is StreamState.CONNECTED
        # connected_since stays until run() has seen how long the connection lasted.
        self.status.state = StreamState.WAITING
        self.status.errors += 1
        self.status.last_error = text
        if not isinstance(err, _EXPECTED):
            # A bug, here or in a subscriber: the user sees it once, without a traceback
            # (which would carry frame data); the stream goes on.
            if text != self._logged:
                LOGGER.warning("WhiteBIT's stream failed (%s); it reconnects after a pause", text)
            self._logged = text
        elif was_connected:
            LOGGER.info("WhiteBIT's stream ended (%s); reconnecting", text)
        else:
            LOGGER.debug("WhiteBIT's stream could not be opened: %s", text)

    async def _connection(self) -> None:
        """One connection, from token to its end; it only ever ends by raising."""
        self.status.state = StreamState.CONNECTING
        token = await self._client.websocket_token()
        async with asyncio.timeout(self.timing.reply_timeout):
            ws = await open_websocket(self._session, self.url, self.limits)
        self._budget = FrameBudget(self.limits, self._loop.time())
        try:
            async with ws:
                await self._call(ws, "authorize", [token, "public"])
                for channel in self._subscriptions.channels:
                    await self._open(ws, channel)
                if self.status.reconnects:
                    LOGGER.info("WhiteBIT's stream is back")
                self.status.state = StreamState.CONNECTED
                self.status.connected_since = self._loop.time()
                self._ws = ws
                # A channel added (or dropped) while this connection was opening the others.
                self._resubscribe()
                await self._listen(ws)
        finally:
            # A subscription still being sent fails on the closed connection, and ends.
            self._ws = None
            self._live.clear()
            self._answers.clear()

    async def _open(self, ws: aiohttp.ClientWebSocketResponse, channel: Channel[Any]) -> None:
        """Take a channel's full state, then subscribe to its changes."""
        if channel.has_snapshot:
            result = await self._call(ws, channel.request, list(channel.params))
            self._subscriptions.snapshot(channel, result, self._loop.time())
        await self._call(ws, channel.subscribe, list(channel.params))
        self._live[channel.update] = channel

    async def _call(
        self, ws: aiohttp.ClientWebSocketResponse, method: str, params: list[Any]
    ) -> object:
        """Send one request and return its result; frames that come first are handled."""
        request_id = await self._send(ws, method, params)
        deadline = self._loop.time() + self.timing.reply_timeout
        while True:
            frame = await self._receive(ws, deadline - self._loop.time())
            if frame is None:
                msg = f"no answer to {method} within {self.timing.reply_timeout:g} s"
                raise StreamError(msg)
            if frame.get("id") == request_id:
                raise_for_error(frame, method)
                return frame.get("result")
            self._handle(frame)

    async def _send(
        self,
        ws: aiohttp.ClientWebSocketResponse,
        method: str,
        params: list[Any],
        answer: Callable[[dict[str, Any]], None] | None = None,
    ) -> int:
        """Send a request; `answer`, if given, handles its answer whenever the reader meets it."""
        self._next_id += 1
        request_id = self._next_id
        if answer is not None:
            # Before sending: the answer may be read while the send is still awaiting a drain.
            self._answers[request_id] = answer
        await ws.send_str(json.dumps({"id": request_id, "method": method, "params": params}))
        return request_id

    async def _listen(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Handle frames, deliver what is due, ping every ping_interval; pong or end.

        The timers are checked after every frame too: a server sending without pause must not
        keep the pings from going out (WhiteBIT closes after 60 s without a client message).
        """
        timing = self.timing
        next_ping = self._loop.time() + timing.ping_interval
        pong_due: float | None = None
        while True:
            now = self._loop.time()
            self._deliver_due(now)
            if pong_due is not None and now >= pong_due:
                msg = f"no pong within {timing.pong_timeout:g} s"
                raise StreamError(msg)
            if now >= next_ping:
                await ws.send_str(json.dumps({"id": _PING_ID, "method": "ping", "params": []}))
                pong_due = now + timing.pong_timeout if pong_due is None else pong_due
                next_ping = now + timing.ping_interval
            due = self._subscriptions.next_due()
            wake = min(
                next_ping,
                next_ping if pong_due is None else pong_due,
                next_ping if due is None else due,
            )
            frame = await self._receive(ws, wake - now)
            if frame is None:
                continue
            if frame.get("id") == _PING_ID and frame.get("result") == "pong":
                pong_due = None
            else:
                self._handle(frame)
            # Frames already buffered are read without a pause: give the loop its turn.
            await pause()

    async def _receive(
        self, ws: aiohttp.ClientWebSocketResponse, seconds: float
    ) -> dict[str, Any] | None:
        message = await receive(ws, seconds)
        if message is None:
            return None
        frame, size = decode(message, ws.close_code)
        now = self._loop.time()
        self.status.last_message = now
        self.status.frames += 1
        self._budget.spend(size, now)
        return frame

    def _handle(self, frame: dict[str, Any]) -> None:
        """Fold an update into its channel; answer a request; an error frame ends it all."""
        request_id = frame.get("id")
        if isinstance(request_id, int) and (answer := self._answers.pop(request_id, None)):
            answer(frame)
            return
        raise_for_error(frame, "the stream")
        method = frame.get("method")
        channel = self._live.get(method) if isinstance(method, str) else None
        if channel is not None:  # else an answer to nothing asked, or a channel not subscribed
            self._subscriptions.update(channel, frame.get("params"), self._loop.time())

    def _deliver_due(self, now: float) -> None:
        try:
            self._subscriptions.deliver_due(now)
        finally:
            self.status.deliveries = self._subscriptions.deliveries
            self.status.refused_names = self._subscriptions.refused

    def _resubscribe(self) -> None:
        """Bring a live connection's subscriptions in line with the subscribed channels."""
        ws = self._ws
        if ws is None or self.status.state is not StreamState.CONNECTED:
            return  # the next connection subscribes every channel
        task = self._loop.create_task(self._sync_subscriptions(ws))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _sync_subscriptions(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        try:
            for method, channel in list(self._live.items()):
                if channel not in self._subscriptions:
                    del self._live[method]
                    await self._send(ws, channel.unsubscribe, [])
            for channel in self._subscriptions.channels:
                if channel.update in self._live:
                    continue
                self._live[channel.update] = channel
                params = list(channel.params)
                if channel.has_snapshot:
                    answer = self._answer(channel, channel.request)
                    await self._send(ws, channel.request, params, answer)
                await self._send(
                    ws, channel.subscribe, params, self._answer(channel, channel.subscribe)
                )
        except Exception:  # noqa: BLE001 - the reader sees the connection end and reports it
            await ws.close()

    def _answer(self, channel: Channel[Any], method: str) -> Callable[[dict[str, Any]], None]:
        """What to do with the answer to `method`, sent on a live connection for `channel`."""

        def handle(frame: dict[str, Any]) -> None:
            raise_for_error(frame, method)
            if method == channel.request:
                self._subscriptions.snapshot(channel, frame.get("result"), self._loop.time())

        return handle


def _age(now: float, since: float | None) -> float | None:
    return None if since is None else round(now - since, 1)
