"""Shared by the stream's library tests: scaled-down timing, a recorder, and hostile servers.

Tokens come from the simulator (the stream's REST side); the WebSocket is a loopback server
of the test's own, which answers what WhiteBIT would and then sends what the test wants.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
import contextlib
from dataclasses import dataclass, field
import json
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from custom_components.whitebit.pywhitebit import (
    BALANCE_SPOT,
    Balances,
    Channel,
    StreamLimits,
    StreamTiming,
    TradeBalance,
    WhiteBitClient,
    WhiteBitStream,
)
from simulator import DEMO_KEY, DEMO_SECRET

if TYPE_CHECKING:
    from aiohttp import ClientSession

    from tests.conftest import Serve

# WhiteBIT's intervals, scaled down: pings every 0.1 s, deliveries every 50 ms, waits from 10 ms.
# A pong may queue behind a burst of frames: 0.3 s for it.
FAST = StreamTiming(
    ping_interval=0.1,
    pong_timeout=0.3,
    reply_timeout=1.0,
    backoff_first=0.01,
    backoff_max=0.05,
    stable_after=60.0,
    deliver_every=0.05,
)


async def until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    """Wait until `condition` holds; fail after `seconds`."""
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110 - the conditions are states, not events
            await asyncio.sleep(0.005)


@dataclass
class Recorder:
    """What a subscriber received, and when (event-loop time)."""

    values: list[Balances[TradeBalance]] = field(default_factory=list)
    times: list[float] = field(default_factory=list)

    def __call__(self, value: Balances[TradeBalance]) -> None:
        """Keep `value` and the time it came."""
        self.values.append(value)
        self.times.append(asyncio.get_running_loop().time())


def update(balances: dict[str, Any]) -> str:
    """A balanceSpot_update frame as WhiteBIT writes it."""
    return json.dumps({"id": None, "method": "balanceSpot_update", "params": [balances]})


def amounts(value: Balances[TradeBalance]) -> dict[str, str]:
    """Available amounts as text, for short assertions."""
    return {name: str(balance.available) for name, balance in value.amounts.items()}


@dataclass
class Hostile:
    """A WebSocket server: answers authorize, request, subscribe and ping, then sends frames."""

    frames: Callable[[], Iterable[str | bytes]] = list
    snapshot: object = field(default_factory=dict)
    answer_pings: bool = True
    # Methods answered with an error frame instead.
    refuse: frozenset[str] = frozenset()
    # Methods answered only after 0.1 s, and frames sent before each answer.
    slow: frozenset[str] = frozenset()
    early: tuple[str, ...] = ()
    # After the answer to which methods `frames` are sent.
    send_after: frozenset[str] = frozenset({"balanceSpot_subscribe"})
    methods: list[str] = field(default_factory=list)
    connections: int = 0

    async def handler(self, request: web.Request) -> web.StreamResponse:
        """Serve one connection."""
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        self.connections += 1
        async for message in ws:
            if message.type is not WSMsgType.TEXT:
                break
            frame = json.loads(message.data)
            method, request_id = frame["method"], frame["id"]
            self.methods.append(method)
            if method in self.slow:
                await asyncio.sleep(0.1)
            for sent in self.early:
                await ws.send_str(sent)
            if method in self.refuse:
                error = {"code": 1, "message": "invalid argument"}
                await ws.send_json({"id": request_id, "result": None, "error": error})
            elif method == "ping":
                if self.answer_pings:
                    await ws.send_json({"id": request_id, "result": "pong", "error": None})
            elif method == "balanceSpot_request":
                await ws.send_json({"id": request_id, "result": self.snapshot, "error": None})
            else:
                await ws.send_json({"id": request_id, "result": {"status": "success"}})
            if method in self.send_after:
                await self._send_all(ws)
        return ws

    async def _send_all(self, ws: web.WebSocketResponse) -> None:
        with contextlib.suppress(ConnectionError):
            for sent in self.frames():
                if isinstance(sent, bytes):
                    await ws.send_bytes(sent)
                else:
                    await ws.send_str(sent)


@contextlib.asynccontextmanager
async def running(
    session: ClientSession,
    sim_url: str,
    url: str | None = None,
    *,
    channel: Channel[Balances[TradeBalance]] = BALANCE_SPOT,
    timing: StreamTiming = FAST,
    limits: StreamLimits | None = None,
    on_stopped: Callable[[Any], None] | None = None,
) -> AsyncIterator[tuple[WhiteBitStream, Recorder]]:
    """A stream of the demo key subscribed to `channel`, running until the block ends."""
    client = WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, sim_url)
    stream = WhiteBitStream(
        client, session, url=url, on_stopped=on_stopped, timing=timing, limits=limits
    )
    recorder = Recorder()
    stream.subscribe(channel, recorder)
    task = asyncio.create_task(stream.run())
    try:
        yield stream, recorder
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def hostile(serve: Serve, server: Hostile) -> str:
    """Start `server` on loopback; return its WebSocket URL."""
    return await serve(server.handler) + "/ws"
