"""The ordersExecuted channel: fills pushed as batches of events, none dropped silently.

Against the simulator (fills pushed the moment they happen) and hostile frames: repeats, a
flood past the per-delivery bound, frames not in the documented shape.
"""

import asyncio
import json
from pathlib import Path

from aiohttp import ClientSession
import pytest

from custom_components.whitebit.pywhitebit import (
    FILLED,
    MAX_FILLS_PER_DELIVERY,
    Fills,
    WhiteBitResponseError,
    fills,
    orders_executed,
)
from custom_components.whitebit.pywhitebit.fills import MAX_FRAME_RECORDS, FillsState
from simulator import DEMO_KEY, WhiteBitSimulator

from .conftest import Serve
from .stream_servers import Hostile, hostile, running, until

DOCUMENTED = json.loads(
    (Path(__file__).parent.parent / "fixtures" / "orders_executed_update.json").read_text()
)


def _record(order_id: int, **fields: object) -> dict[str, object]:
    return {**DOCUMENTED["params"][0], "id": order_id, **fields}


def test_the_documented_update_is_one_fill() -> None:
    """WhiteBIT's example: a whole ETH/BTC buy, its fee in the money currency (BTC)."""
    state = FillsState()
    state.update(DOCUMENTED["params"])
    (fill,) = state.take().fills
    assert (fill.order_id, fill.market, fill.side, fill.kind) == (
        1212907216814,
        "ETH_BTC",
        "buy",
        FILLED,
    )
    assert (str(fill.executed), str(fill.fee), fill.fee_currency) == ("1", "0.001", "BTC")
    assert state.take() == Fills(())


def test_a_perpetual_fill_without_a_fee_asset_is_charged_in_usdt() -> None:
    """The stream names no fee asset: the fee is in the market's money, USDT for BTC_PERP.

    Before, the fee currency was the market's second half, "PERP", which is no currency.
    """
    state = FillsState()
    state.update([_record(1, market="BTC_PERP"), _record(2, market="ETH_USDC")])
    fills = state.take().fills
    assert [(fill.market, fill.fee_currency) for fill in fills] == [
        ("BTC_PERP", "USDT"),
        ("ETH_USDC", "USDC"),
    ]


def test_repeats_are_delivered_once_and_a_flood_is_counted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same order twice, before and after a delivery: once. Past the bound: counted.

    What is remembered against repeats is bounded: the oldest keys are forgotten first.
    """
    monkeypatch.setattr(fills, "MAX_RECENT", 50)
    state = FillsState()
    state.update([_record(1), _record(1)])
    assert [f.order_id for f in state.take().fills] == [1]
    state.update([_record(1)])
    assert state.take().fills == ()
    state.update([_record(1, left="0.5", status="CANCELED")])
    assert [f.kind for f in state.take().fills] == ["partially_filled"]
    flood = [_record(i) for i in range(10, 10 + MAX_FILLS_PER_DELIVERY + 7)]
    state.update(flood)
    batch = state.take()
    assert (len(batch.fills), batch.dropped) == (MAX_FILLS_PER_DELIVERY, 7)
    state.update([_record(1)])
    assert [f.order_id for f in state.take().fills] == [1]


def test_malformed_records_and_frames() -> None:
    """A record not as documented is counted; a frame that is no list, or huge, is refused."""
    state = FillsState()
    state.snapshot([_record(1, side=7), "x", _record(2, deal_stock="0", status="CANCELED")])
    assert state.take() == Fills((), invalid=2)
    for params in ({"id": 1}, [_record(1)] * (MAX_FRAME_RECORDS + 1)):
        with pytest.raises(WhiteBitResponseError):
            state.update(params)


@pytest.mark.stream
async def test_a_fill_is_pushed_for_the_subscribed_markets_only(
    simulator: WhiteBitSimulator, sim_url: str, session: ClientSession
) -> None:
    """A fill in BTC_USDT arrives; one in a market not subscribed does not."""
    channel = orders_executed(["BTC_USDT", "bad market"])
    assert channel.params == (("BTC_USDT",), 0)
    async with running(session, sim_url, channel=channel) as (stream, recorder):  # type: ignore[arg-type]
        await until(lambda: stream.synced)
        orders = simulator.accounts[DEMO_KEY].orders
        url = sim_url + "/_sim/fill"
        for market in ("ETH_USDT", "BTC_USDT"):
            body = {"api_key": DEMO_KEY, "market": market, "amount": "1", "price": "5"}
            async with session.post(url, json=body) as response:
                assert response.status == 200
        await until(lambda: bool(recorder.values))
        await asyncio.sleep(0.1)
        fills = [fill for batch in recorder.values for fill in batch.fills]  # type: ignore[attr-defined]
        assert [f.market for f in fills] == ["BTC_USDT"]
        assert fills[0].order_id == orders.finished[0].id


@pytest.mark.stream
async def test_a_frame_not_in_the_shape_ends_the_connection(
    serve: Serve, sim_url: str, session: ClientSession
) -> None:
    """An update whose params are an object: the connection ends, and is counted."""
    frame = json.dumps({"id": None, "method": "ordersExecuted_update", "params": {"id": 1}})
    server = Hostile(frames=lambda: [frame], send_after=frozenset({"ordersExecuted_subscribe"}))
    url = await hostile(serve, server)
    async with running(session, sim_url, url, channel=orders_executed(["BTC_USDT"])) as (  # type: ignore[arg-type]
        stream,
        _recorder,
    ):
        await until(lambda: stream.status.errors > 0)
    assert "ordersExecuted_subscribe" in server.methods
    assert "ordersExecuted_request" not in server.methods


@pytest.mark.stream
async def test_a_channel_added_while_connecting_is_subscribed(
    serve: Serve, sim_url: str, session: ClientSession
) -> None:
    """Markets learnt while the connection opens its channels: subscribed on that connection.

    Before, the channel waited for the next reconnect (hours): no fill was pushed meanwhile.
    """
    server = Hostile(slow=frozenset({"balanceSpot_subscribe"}))
    url = await hostile(serve, server)
    async with running(session, sim_url, url) as (stream, _recorder):
        await until(lambda: "balanceSpot_subscribe" in server.methods)
        stream.subscribe(orders_executed(["BTC_USDT"]), lambda _fills: None)
        await until(lambda: "ordersExecuted_subscribe" in server.methods)
        assert stream.status.reconnects == 0
