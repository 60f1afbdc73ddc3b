"""WhiteBitStream against servers that misbehave on purpose, and subscribers that fail.

Each case ends the same way: what the server sent is bounded, the fault is counted and named in
the status (escaped), logged once, and a new connection follows; nothing dies silently.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from decimal import InvalidOperation
import json
from typing import TYPE_CHECKING

from aiohttp import ClientSession, web
import pytest

from custom_components.whitebit.pywhitebit import (
    BALANCE_SPOT,
    MAX_ASSETS,
    Balances,
    StreamLimits,
    StreamState,
    TradeBalance,
    WhiteBitClient,
    WhiteBitStream,
    balance_spot,
)
from simulator import DEMO_KEY, DEMO_SECRET
from tests.common import warning_lines

from .stream_servers import FAST, Hostile, amounts, hostile, running, until, update

if TYPE_CHECKING:
    from tests.conftest import Serve

pytestmark = pytest.mark.stream


@pytest.mark.parametrize(
    "frame",
    [
        "[1, 2]",
        "null",
        "not json",
        b"\x00\xff binary",
        "[" * 100_000,
        '{"id": null, "method": "balanceSpot_update", "params": []}',
        '{"id": null, "method": "balanceSpot_update", "params": [[1]]}',
        '{"id": null, "result": null, "error": {"code": "\\u001b[31m", "message": 5}}',
        '{"id": null, "method": "balanceSpot_update", "params": [{"B": "'
        + "x" * 5_000_000
        + '"}]}',
    ],
    ids=[
        "array",
        "null",
        "not-json",
        "binary",
        "deep",
        "no-balances",
        "not-an-object",
        "odd-error",
        "over-4-MiB",
    ],
)
async def test_hostile_frames_end_the_connection(
    serve: Serve,
    session: ClientSession,
    sim_url: str,
    frame: str | bytes,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Whatever the frame, the connection ends and a new one starts; nothing of it is applied."""
    server = Hostile(lambda: [frame])
    async with running(session, sim_url, await hostile(serve, server)) as (stream, got):
        await until(lambda: stream.status.reconnects >= 2)
    assert all(amounts(value) == {} for value in got.values)
    assert stream.status.last_error is not None
    assert "\x1b" not in caplog.text + stream.status.last_error


async def test_a_silent_server_and_frames_to_ignore(
    serve: Serve, session: ClientSession, sim_url: str
) -> None:
    """No answer to authorize ends the attempt; answers to nothing asked are ignored."""

    async def silent(request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for _ in ws:
            pass
        return ws

    timing = replace(FAST, reply_timeout=0.2)
    async with running(session, sim_url, await serve(silent) + "/ws", timing=timing) as (
        stream,
        _got,
    ):
        await until(lambda: stream.status.reconnects >= 1)
    assert stream.status.last_error == "StreamError: no answer to authorize within 0.2 s"

    frames = [
        '{"id": 99, "result": "late", "error": null}',
        '{"id": [1], "method": 5}',
        '{"id": null, "method": "balanceMargin_update", "params": [{"a": "BTC"}]}',
        update({"BTC": {"available": "2", "freeze": "0"}}),
    ]
    server = Hostile(lambda: frames)
    async with running(session, sim_url, await hostile(serve, server)) as (stream, got):
        await until(lambda: len(got.values) == 2)
    assert amounts(got.values[1]) == {"BTC": "2"}
    assert stream.status.reconnects == 0


async def test_a_missing_pong_ends_the_connection(
    serve: Serve, session: ClientSession, sim_url: str
) -> None:
    """WhiteBIT's advice: no pong within 10 s (here 0.3 s) of a ping, reconnect."""
    server = Hostile(answer_pings=False)
    async with running(session, sim_url, await hostile(serve, server)) as (stream, _got):
        await until(lambda: stream.status.reconnects >= 1)
    assert stream.status.last_error == "StreamError: no pong within 0.3 s"


async def test_a_redirected_handshake_is_refused_before_anything_is_sent(
    serve: Serve, session: ClientSession, sim_url: str
) -> None:
    """/ws redirects to another server: that server is never contacted, so no token reaches it."""
    received: list[str] = []

    async def sink(request: web.Request) -> web.StreamResponse:
        received.append(request.path)
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        received.extend([message.data async for message in ws])
        return ws

    sink_url = await serve(sink)

    async def redirect(request: web.Request) -> web.StreamResponse:
        # http://, which aiohttp follows for a WebSocket (it refuses a ws:// Location itself).
        raise web.HTTPTemporaryRedirect(sink_url + "/ws")

    async with running(session, sim_url, await serve(redirect) + "/ws") as (stream, got):
        await until(lambda: stream.status.reconnects >= 2)
        assert stream.status.state is not StreamState.CONNECTED
    assert received == []
    assert got.values == []
    assert stream.status.last_error == (
        "WhiteBitRedirectError: WhiteBIT answered HTTP 307, a redirect, which is not followed"
    )


async def test_a_flood_past_the_frame_bound_ends_the_connection(
    serve: Serve, session: ClientSession, sim_url: str
) -> None:
    """More frames in a window than the bound: the connection ends, and the next resyncs."""
    frames = [update({"BTC": {"available": str(i), "freeze": "0"}}) for i in range(300)]
    server = Hostile(lambda: frames)
    limits = StreamLimits(window=10.0, max_frames=100)
    async with running(session, sim_url, await hostile(serve, server), limits=limits) as (
        stream,
        _got,
    ):
        await until(lambda: stream.status.reconnects >= 1)
    assert stream.status.last_error == (
        "StreamError: the server sent more than 100 frames or 16 MiB within 10 s"
    )


async def test_new_names_past_the_cap_are_refused_and_counted(
    serve: Serve, session: ClientSession, sim_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Ten new names a frame, against a cap of 25: 25 kept, the rest counted, one warning."""
    frames = [
        update({f"N{i}X{j}": {"available": "1", "freeze": "0"} for j in range(10)})
        for i in range(5)
    ] + [update({"N0X0": {"available": "7", "freeze": "0"}})]
    server = Hostile(lambda: frames)
    channel = balance_spot(max_assets=25)
    timing = replace(FAST, deliver_every=0.2)
    async with running(
        session, sim_url, await hostile(serve, server), channel=channel, timing=timing
    ) as (stream, got):
        await until(lambda: len(got.values) == 2)
    assert len(got.values[-1].amounts) == 25
    assert got.values[-1].amounts["N0X0"].available == 7
    assert stream.diagnostics()["refused_names"] == 25
    assert [line for line in warning_lines(caplog) if "assets" in line] == [
        (
            "WhiteBIT's balanceSpot named more assets than a stream keeps; new names are "
            "refused (counted in diagnostics)"
        )
    ]
    assert MAX_ASSETS >= 1000  # WhiteBIT lists under 1,000 assets: none is ever refused


async def test_names_that_cannot_be_currencies_are_kept_to_a_few(
    serve: Serve, session: ClientSession, sim_url: str
) -> None:
    """A frame of 1,000 impossible names: a hundred kept (escaped) for one log line."""
    frame = update({f"bad name {i}\n": {"available": "1", "freeze": "0"} for i in range(1000)})
    server = Hostile(lambda: [frame])
    async with running(session, sim_url, await hostile(serve, server)) as (_stream, got):
        await until(lambda: len(got.values) == 2)
    assert got.values[1].amounts == {}
    assert len(got.values[1].rejected) == 100
    assert all("\\n" in name and "\n" not in name for name in got.values[1].rejected)


async def test_a_failing_subscriber_is_logged_once_and_the_stream_goes_on(
    serve: Serve, session: ClientSession, sim_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A subscriber raising InvalidOperation (a valuation overflow) on every delivery.

    Counted, named in the status, one warning without a traceback, a reconnect each time
    with a growing wait; once the subscriber copes, the stream is connected again.
    """
    failing = True
    seen: list[Balances[TradeBalance]] = []

    def subscriber(value: Balances[TradeBalance]) -> None:
        seen.append(value)
        if failing:
            raise InvalidOperation([InvalidOperation])

    server = Hostile(snapshot={"BTC": {"available": "1", "freeze": "0"}})
    async with running(session, sim_url, await hostile(serve, server)) as (stream, _got):
        stream.subscribe(BALANCE_SPOT, subscriber)
        await until(lambda: stream.status.errors >= 3)
        assert stream.status.state is not StreamState.CONNECTED or not failing
        failing = False
        await until(lambda: stream.synced and stream.status.errors >= 3)
        errors = stream.status.errors
        await asyncio.sleep(0.1)
        assert stream.synced
        assert stream.status.errors == errors
    assert stream.status.last_error == ("InvalidOperation: [<class 'decimal.InvalidOperation'>]")
    assert [line for line in warning_lines(caplog) if "failed" in line] == [
        (
            "WhiteBIT's stream failed (InvalidOperation: [<class 'decimal.InvalidOperation'>]); "
            "it reconnects after a pause"
        )
    ]
    assert not [record for record in caplog.records if record.exc_info or record.exc_text]
    assert json.dumps(stream.diagnostics())


async def test_frames_within_the_bound_pass_window_after_window(
    serve: Serve, session: ClientSession, sim_url: str
) -> None:
    """300 frames against 100 a window: fine when each window is over before the next frame."""
    frames = [update({"BTC": {"available": str(i), "freeze": "0"}}) for i in range(300)]
    server = Hostile(lambda: frames)
    limits = StreamLimits(window=0.0, max_frames=100)
    async with running(session, sim_url, await hostile(serve, server), limits=limits) as (
        stream,
        got,
    ):
        await until(lambda: bool(got.values) and amounts(got.values[-1]) == {"BTC": "299"})
    assert stream.status.reconnects == 0


async def test_a_closed_session_is_a_fault_to_retry(
    serve: Serve, session: ClientSession, sim_url: str
) -> None:
    """The caller closed the HTTP session the stream connects with: named, retried, no crash."""
    closed = ClientSession()
    await closed.close()
    client = WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, sim_url)
    stream = WhiteBitStream(client, closed, url=await hostile(serve, Hostile()), timing=FAST)
    task = asyncio.create_task(stream.run())
    try:
        await until(lambda: stream.status.reconnects >= 2)
    finally:
        task.cancel()
    assert stream.status.last_error == "StreamError: the HTTP session is closed"


async def test_a_fault_after_a_stable_connection_is_logged_again(
    serve: Serve, session: ClientSession, sim_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A subscriber failing after a connection that lasted: news again, so logged again."""

    def subscriber(_value: Balances[TradeBalance]) -> None:
        raise RuntimeError

    timing = replace(FAST, stable_after=0.0)
    async with running(session, sim_url, await hostile(serve, Hostile()), timing=timing) as (
        stream,
        _got,
    ):
        stream.subscribe(BALANCE_SPOT, subscriber)
        await until(lambda: stream.status.errors >= 2)
    assert len([line for line in warning_lines(caplog) if "stream failed" in line]) >= 2
