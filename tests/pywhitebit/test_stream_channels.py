"""Channels: their definitions, their bounded states, and subscriptions on a live connection.

The stream knows no channel by name: a Channel says its methods and folds its frames. A second
one here (`balanceMargin`-shaped, without a snapshot request) shows a new channel needs no
change to the stream.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from decimal import Decimal
import json
from typing import TYPE_CHECKING

import pytest

from custom_components.whitebit.pywhitebit import (
    BALANCE_SPOT,
    Balances,
    BalanceState,
    Channel,
    WhiteBitClient,
    WhiteBitResponseError,
    WhiteBitStream,
    balance_spot,
    merge_balances,
    parse_amount,
)
from custom_components.whitebit.pywhitebit.subscriptions import Subscriptions
from simulator import DEMO_KEY, DEMO_SECRET

from .stream_servers import FAST, Hostile, Recorder, amounts, hostile, running, until, update

if TYPE_CHECKING:
    from aiohttp import ClientSession

    from tests.conftest import Serve

pytestmark = pytest.mark.stream


def _margin_entries(params: object) -> Iterable[tuple[object, object]]:
    """`[{"a": "BTC", "B": "0.5", ...}, ...]`: balanceMargin's update params."""
    if not isinstance(params, list):
        raise WhiteBitResponseError
    return [(entry.get("a"), entry.get("B")) for entry in params if isinstance(entry, dict)]


# Balances as balanceMargin pushes them; WhiteBIT has no request for their state.
MARGIN = Channel[Balances[Decimal]](
    "balanceMargin",
    lambda: BalanceState(parse_amount, update_entries=_margin_entries),
    has_snapshot=False,
)


async def _live(
    serve: Serve, session: ClientSession, sim_url: str, server: Hostile
) -> tuple[WhiteBitStream, asyncio.Task[None]]:
    """A stream with no channel yet, connected to `server`."""
    client = WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, sim_url)
    stream = WhiteBitStream(client, session, url=await hostile(serve, server), timing=FAST)
    task = asyncio.create_task(stream.run())
    await until(lambda: stream.synced)
    return stream, task


async def test_subscribing_and_unsubscribing_on_a_live_connection(
    serve: Serve, session: ClientSession, sim_url: str
) -> None:
    """A channel added while connected is requested and subscribed at once.

    The last subscriber leaving unsubscribes it; no reconnect either way.
    """
    server = Hostile(snapshot={"BTC": {"available": "1", "freeze": "0"}})
    url = await hostile(serve, server)
    client = WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, sim_url)
    stream = WhiteBitStream(client, session, url=url, timing=FAST)
    task = asyncio.create_task(stream.run())
    try:
        await until(lambda: stream.synced)
        assert server.methods == ["authorize"]
        first, second = Recorder(), Recorder()
        unsubscribe_first = stream.subscribe(BALANCE_SPOT, first)
        await until(lambda: len(first.values) == 1)
        unsubscribe_second = stream.subscribe(BALANCE_SPOT, second)
        unsubscribe_first()
        unsubscribe_first()  # twice is harmless
        assert stream.diagnostics()["channels"] == ["balanceSpot"]
        unsubscribe_second()
        await until(lambda: server.methods[-1] == "balanceSpot_unsubscribe")
        assert stream.diagnostics()["channels"] == []
        stream.subscribe(balance_spot(max_assets=3), first)
        with pytest.raises(ValueError, match="another definition"):
            stream.subscribe(BALANCE_SPOT, first)
    finally:
        task.cancel()
    assert server.methods[:4] == [
        "authorize",
        "balanceSpot_request",
        "balanceSpot_subscribe",
        "balanceSpot_unsubscribe",
    ]
    assert amounts(first.values[0]) == {"BTC": "1"}
    assert stream.status.reconnects == 0


async def test_a_refused_live_subscription_ends_the_connection(
    serve: Serve, session: ClientSession, sim_url: str
) -> None:
    """An error answer to a subscription made while connected ends the connection.

    The next one asks again (and here is refused at once, before it counts as connected).
    """
    server = Hostile(refuse=frozenset({"balanceSpot_subscribe"}))
    url = await hostile(serve, server)
    client = WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, sim_url)
    stream = WhiteBitStream(client, session, url=url, timing=FAST)
    task = asyncio.create_task(stream.run())
    try:
        await until(lambda: stream.synced)
        stream.subscribe(BALANCE_SPOT, Recorder())
        await until(lambda: stream.status.reconnects >= 2)
    finally:
        task.cancel()
    assert stream.status.last_error == (
        "StreamError: WhiteBIT refused balanceSpot_subscribe: code 1, invalid argument"
    )


async def test_a_live_subscription_on_a_closing_connection(
    serve: Serve, session: ClientSession, sim_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sending the subscription fails: the connection is closed and the next one subscribes."""
    server = Hostile()
    url = await hostile(serve, server)
    client = WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, sim_url)
    stream = WhiteBitStream(client, session, url=url, timing=FAST)
    task = asyncio.create_task(stream.run())
    try:
        await until(lambda: stream.synced)
        send = stream._send

        async def failing(*args: object) -> int:
            monkeypatch.setattr(stream, "_send", send)
            raise ConnectionResetError

        monkeypatch.setattr(stream, "_send", failing)
        got = Recorder()
        stream.subscribe(BALANCE_SPOT, got)
        await until(lambda: stream.status.reconnects == 1 and len(got.values) == 1)
    finally:
        task.cancel()


def test_values_are_immutable_copies() -> None:
    """A delivered Balances is not changed by later frames."""
    state = BALANCE_SPOT.make_state()
    state.snapshot({"BTC": {"available": "1", "freeze": "0"}})
    first = state.take()
    state.update([{"BTC": {"available": "2", "freeze": "0"}, "ETH": {"available": "x"}, "SOL": 5}])
    second = state.take()
    assert amounts(first) == {"BTC": "1"}
    assert amounts(second) == {"BTC": "2"}
    assert second.invalid == {"ETH", "SOL"}
    assert isinstance(second, Balances)
    with pytest.raises(TypeError):
        second.amounts["BTC"] = first.amounts["BTC"]  # type: ignore[index]


async def test_a_channel_without_a_snapshot_beside_another(
    serve: Serve, session: ClientSession, sim_url: str
) -> None:
    """A second channel subscribed live: subscribed only (nothing to request), updates folded."""
    margin = json.dumps(
        {"id": None, "method": "balanceMargin_update", "params": [{"a": "BTC", "B": "0.5"}]}
    )
    server = Hostile(lambda: [margin], send_after=frozenset({"balanceMargin_subscribe"}))
    async with running(session, sim_url, await hostile(serve, server)) as (stream, spot):
        await until(lambda: stream.synced and len(spot.values) == 1)
        got: list[Balances[Decimal]] = []
        stream.subscribe(MARGIN, got.append)
        await until(lambda: len(got) == 1)
    assert server.methods == [
        "authorize",
        "balanceSpot_request",
        "balanceSpot_subscribe",
        "balanceMargin_subscribe",
    ]
    assert got[0].amounts == {"BTC": Decimal("0.5")}
    assert stream.status.reconnects == 0


async def test_a_channel_dropped_while_its_state_is_on_its_way(
    serve: Serve, session: ClientSession, sim_url: str
) -> None:
    """Unsubscribed before the answer to its request came: the answer is dropped, not delivered."""
    server = Hostile(slow=frozenset({"balanceSpot_request"}))
    stream, task = await _live(serve, session, sim_url, server)
    try:
        got = Recorder()
        unsubscribe = stream.subscribe(BALANCE_SPOT, got)
        await until(lambda: "balanceSpot_request" in server.methods)
        unsubscribe()
        await until(lambda: "balanceSpot_unsubscribe" in server.methods)
        await asyncio.sleep(0.1)
    finally:
        task.cancel()
    assert got.values == []
    assert stream.status.reconnects == 0


async def test_a_snapshot_not_in_the_channels_shape_ends_the_connection(
    serve: Serve, session: ClientSession, sim_url: str
) -> None:
    """The answer to balanceSpot_request is a list: a fault, named; nothing delivered."""
    server = Hostile(snapshot=[1, 2])
    async with running(session, sim_url, await hostile(serve, server)) as (stream, got):
        await until(lambda: stream.status.reconnects >= 1)
    assert got.values == []
    assert stream.status.last_error == (
        "StreamError: WhiteBIT sent list where balances were expected"
    )


async def test_frames_before_an_answer_are_handled_on_the_way(
    serve: Serve, session: ClientSession, sim_url: str
) -> None:
    """An update ahead of each answer: the stream reads past it to the answer it waits for."""
    early = update({"BTC": {"available": "3", "freeze": "0"}})
    server = Hostile(early=(early,))
    async with running(session, sim_url, await hostile(serve, server)) as (stream, got):
        await until(lambda: stream.synced and len(got.values) >= 1)
    assert stream.status.reconnects == 0


def test_merging_changes_into_balances() -> None:
    """The changes win; a currency that became invalid loses its amount; rejected add up."""
    old = Balances({"BTC": Decimal(1), "ETH": Decimal(2)}, frozenset({"TON"}), frozenset({"x"}))
    changes = Balances({"TON": Decimal(3)}, frozenset({"ETH"}), frozenset({"y"}))
    merged = merge_balances(old, changes)
    assert merged.amounts == {"BTC": Decimal(1), "TON": Decimal(3)}
    assert merged.invalid == {"ETH"}
    assert merged.rejected == {"x", "y"}


async def test_a_channel_without_a_snapshot_is_only_subscribed_on_connecting(
    serve: Serve, session: ClientSession, sim_url: str
) -> None:
    """Subscribed before the stream runs: the connection subscribes it, with no request."""
    server = Hostile()
    client = WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, sim_url)
    stream = WhiteBitStream(client, session, url=await hostile(serve, server), timing=FAST)
    stream.subscribe(MARGIN, lambda _value: None)
    task = asyncio.create_task(stream.run())
    try:
        await until(lambda: stream.synced)
    finally:
        task.cancel()
    assert server.methods == ["authorize", "balanceMargin_subscribe"]


def test_frames_of_a_channel_no_longer_subscribed_are_dropped() -> None:
    """A frame or two may still come after unsubscribing, before WhiteBIT has heard of it."""
    changes: list[None] = []
    subscriptions = Subscriptions(1.0, lambda: changes.append(None))
    unsubscribe = subscriptions.add(BALANCE_SPOT, lambda _value: None)
    unsubscribe()
    subscriptions.update(BALANCE_SPOT, [{"BTC": {"available": "1", "freeze": "0"}}], 0.0)
    subscriptions.snapshot(BALANCE_SPOT, {}, 0.0)
    assert subscriptions.next_due() is None
    assert BALANCE_SPOT not in subscriptions
    assert len(changes) == 2  # subscribed, unsubscribed
