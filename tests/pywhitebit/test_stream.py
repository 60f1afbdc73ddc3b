"""WhiteBitStream against the simulator's /ws: channels, coalescing, reconnects, pings, status.

Real time, with WhiteBIT's intervals scaled down through StreamTiming.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from decimal import Decimal
import itertools
import logging
from typing import TYPE_CHECKING

import pytest

from custom_components.whitebit.pywhitebit import (
    StreamState,
    StreamTiming,
    TradeBalance,
)
from simulator import DEMO_KEY, DEMO_SECRET, WEBSOCKET_TOKEN_PATH

from .stream_servers import FAST, Hostile, amounts, hostile, running, until, update

if TYPE_CHECKING:
    from aiohttp import ClientSession

    from simulator import WhiteBitSimulator
    from tests.conftest import Serve

pytestmark = pytest.mark.stream


@pytest.fixture(autouse=True)
def fast_simulator(simulator: WhiteBitSimulator) -> None:
    """Updates every 20 ms, and an idle connection closed after 0.3 s instead of 60 s."""
    simulator.stream.update_interval = 0.02
    simulator.stream.idle_timeout = 0.3


async def test_the_whole_state_then_each_change(
    session: ClientSession, sim_url: str, simulator: WhiteBitSimulator
) -> None:
    """Subscribers get every asset each time: the full state first, then with each change."""
    async with running(session, sim_url) as (stream, got):
        await until(lambda: stream.synced and len(got.values) == 1)
        demo = {"BTC": "0.1", "SOL": "1.5", "TON": "42", "USDT": "1000.50"}
        assert amounts(got.values[0]) == demo
        simulator.accounts[DEMO_KEY].trade["BTC"] = ("0.3", "0.02")
        await until(lambda: len(got.values) == 2)
        assert amounts(got.values[1]) == {**demo, "BTC": "0.3"}
        assert got.values[1].amounts["BTC"] == TradeBalance(Decimal("0.3"), Decimal("0.02"))
    assert stream.status.state is StreamState.STOPPED
    assert stream.status.frames > 0


async def test_frames_between_deliveries_are_one_batch(
    serve: Serve, session: ClientSession, sim_url: str
) -> None:
    """500 frames in a burst: two deliveries (the first at once), the last value in the second."""
    frames = [update({"BTC": {"available": str(i), "freeze": "0"}}) for i in range(500)]
    server = Hostile(lambda: frames)
    timing = replace(FAST, deliver_every=0.25)
    async with running(session, sim_url, await hostile(serve, server), timing=timing) as (
        stream,
        got,
    ):
        # Until the last frame is delivered, however long a loaded machine takes to get there
        # (a fixed 0.3 s was not always enough on a machine running other suites).
        await until(
            lambda: (
                stream.status.frames >= 503
                and len(got.values) >= 2
                and amounts(got.values[-1]) == {"BTC": "499"}
            )
        )
    # The snapshot, delivered at once; then the burst, folded into as few deliveries as the
    # interval allows (one, unless the burst outlasts it), the last holding the last frame.
    assert amounts(got.values[0]) == {}
    gaps = [later - earlier for earlier, later in itertools.pairwise(got.times)]
    assert min(gaps) >= 0.249
    assert len(got.values) <= 2 + (got.times[-1] - got.times[0]) / 0.25
    assert stream.status.deliveries == len(got.values)


async def test_the_first_change_after_a_quiet_second_is_not_held_back(
    session: ClientSession, sim_url: str, simulator: WhiteBitSimulator
) -> None:
    """A lone change is delivered as soon as its frame is read."""
    async with running(session, sim_url, timing=replace(FAST, deliver_every=0.3)) as (stream, got):
        await until(lambda: len(got.values) == 1)
        await asyncio.sleep(0.35)
        simulator.accounts[DEMO_KEY].trade["TON"] = ("1", "0")
        await until(lambda: len(got.values) == 2)
        assert stream.status.last_message is not None
        assert got.times[1] - stream.status.last_message < 0.02


async def test_reading_a_full_buffer_lets_the_loop_run(
    serve: Serve, session: ClientSession, sim_url: str
) -> None:
    """Frames already buffered are read with a pause after each: other tasks run in between.

    Awaiting a frame that is already buffered does not yield; without the pause, the 1,000
    frames sent in one go would be read in far fewer turns of the loop than one each.
    """
    frames = [update({"BTC": {"available": str(i), "freeze": "0"}}) for i in range(1000)]
    server = Hostile(lambda: frames)
    turns = 0
    async with running(session, sim_url, await hostile(serve, server)) as (stream, _got):
        await until(lambda: stream.synced)
        while stream.status.frames < 1000:
            await asyncio.sleep(0)
            turns += 1
    assert turns >= 900  # about 250 without the pause


async def test_every_fault_ends_in_a_resynced_connection(
    session: ClientSession, sim_url: str, simulator: WhiteBitSimulator
) -> None:
    """A cut, garbage, an error frame, a missing pong: each time a new connection and token."""
    async with running(session, sim_url) as (stream, got):
        for count, fault in enumerate(("drop", "garbage", "error", "silence"), start=1):
            await until(lambda: stream.synced)
            await simulator.stream.inject(fault)  # type: ignore[arg-type]
            simulator.accounts[DEMO_KEY].trade["TON"] = (str(count), "0")
            await until(lambda c=count: stream.status.reconnects == c and stream.synced)
            await until(lambda c=count: amounts(got.values[-1])["TON"] == str(c))
        assert simulator.stats.requests[WEBSOCKET_TOKEN_PATH] == 5
        assert simulator.stream.open_connections == 1
        assert stream.status.errors == 4
        assert stream.status.last_error is not None
        assert "pong" in stream.status.last_error


async def test_pings_keep_an_idle_connection(
    session: ClientSession, sim_url: str, simulator: WhiteBitSimulator
) -> None:
    """WhiteBIT closes after 60 s (here 0.3 s) without a client message; pings prevent it."""
    async with running(session, sim_url) as (stream, _got):
        await until(lambda: stream.synced)
        await asyncio.sleep(0.5)
        assert stream.status.reconnects == 0
        assert simulator.stream.stats.connections == 1


def test_backoff_bounds() -> None:
    """From half of 1 s to 1 s at first, doubling, never above 300 s; never below half."""
    timing = StreamTiming()
    assert (timing.backoff_first, timing.backoff_max) == (1.0, 300.0)
    for attempt in range(40):
        low, high = timing.backoff(attempt, lambda: 0.0), timing.backoff(attempt, lambda: 1.0)
        ceiling = min(300.0, 2.0**attempt)
        assert (low, high) == (ceiling / 2, ceiling)
    assert 0.5 <= timing.backoff(0) <= 1.0


async def test_a_refused_key_and_a_key_without_the_permission_stop_it(
    session: ClientSession, sim_url: str, simulator: WhiteBitSimulator
) -> None:
    """The stream stops, says why, and tells the caller once; no retry."""
    stops: list[StreamState] = []
    simulator.accounts[DEMO_KEY].permissions.discard(WEBSOCKET_TOKEN_PATH)
    async with running(session, sim_url, on_stopped=stops.append) as (stream, _got):
        await until(lambda: stops == [StreamState.NO_PERMISSION])
        await asyncio.sleep(0.1)
    assert stream.status.state is StreamState.NO_PERMISSION
    assert simulator.stats.requests[WEBSOCKET_TOKEN_PATH] == 1
    simulator.accounts[DEMO_KEY].enabled = False
    async with running(session, sim_url, on_stopped=stops.append) as (stream, _got):
        await until(lambda: stream.status.state is StreamState.AUTH_FAILED)
    assert stops == [StreamState.NO_PERMISSION, StreamState.AUTH_FAILED]
    async with running(session, sim_url) as (stream, _got):  # nobody to tell
        await until(lambda: stream.status.state is StreamState.AUTH_FAILED)


async def test_a_broken_stop_listener_still_stops_it(
    session: ClientSession, sim_url: str, simulator: WhiteBitSimulator
) -> None:
    """The caller's exception is counted and named; the state stays the final one."""

    def broken(_state: StreamState) -> None:
        raise RuntimeError

    simulator.accounts[DEMO_KEY].enabled = False
    async with running(session, sim_url, on_stopped=broken) as (stream, _got):
        await until(lambda: stream.status.errors == 1)
    assert stream.status.state is StreamState.AUTH_FAILED
    assert stream.status.last_error == "RuntimeError: "


async def test_diagnostics_name_no_secret(
    session: ClientSession,
    sim_url: str,
    simulator: WhiteBitSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """State, counts and ages; no token or amount, in diagnostics or in any log line."""
    caplog.set_level(logging.DEBUG)
    async with running(session, sim_url) as (stream, got):
        await until(lambda: stream.synced and len(got.values) == 1)
        diagnostics = stream.diagnostics()
    assert diagnostics["state"] == "connected"
    assert diagnostics["channels"] == ["balanceSpot"]
    assert diagnostics["last_message_age"] < 5
    assert diagnostics["connected_for"] < 5
    assert diagnostics["deliveries"] == 1
    text = str(diagnostics) + caplog.text
    for secret in (*simulator.stream.issued_tokens, DEMO_KEY, DEMO_SECRET, "1000.50"):
        assert secret not in text
