"""The simulator's orders, fills and transfers: its control endpoints and its strictness."""

from typing import Any

from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from simulator import DEMO_KEY, WhiteBitSimulator, demo_simulator
from simulator.orders import TRANSFER_HISTORY_PATH, SimOrders, demo_fill, subscription_error

from .pywhitebit.stream_servers import until


async def _control(session: ClientSession, url: str, body: dict[str, Any]) -> tuple[int, Any]:
    async with session.post(url, json={"api_key": DEMO_KEY, **body}) as response:
        return response.status, await response.json()


async def test_control_endpoints_refuse_what_cannot_be(
    simulator: WhiteBitSimulator, sim_url: str, session: ClientSession
) -> None:
    """Orders need a market, side, amount and price; fills an open order or a sane part."""
    bad = [
        ("/_sim/order", {"market": "BTCUSDT", "amount": "1", "price": "1"}),
        ("/_sim/order", {"market": "BTC_USDT", "amount": "0", "price": "1"}),
        ("/_sim/fill", {"order_id": 1}),
        ("/_sim/fill", {"market": "BTC_USDT", "amount": "1", "price": "1", "executed": "2"}),
        ("/_sim/fill", {"market": "BTC_USDT", "side": "short", "amount": "1", "price": "1"}),
        ("/_sim/deposit", {"ticker": "BTC", "amount": "x"}),
        ("/_sim/withdrawal", {"ticker": "BTC", "amount": "1", "status": "3"}),
    ]
    for path, body in bad:
        assert (await _control(session, sim_url + path, body))[0] == 400, body
    async with session.post(sim_url + "/_sim/fill", json={"api_key": "nobody"}) as response:
        assert response.status == 400
    status, placed = await _control(
        session,
        sim_url + "/_sim/order",
        {"market": "BTC_USDT", "side": "sell", "amount": "2", "price": "90000"},
    )
    assert status == 200
    status, _ = await _control(
        session, sim_url + "/_sim/fill", {"order_id": placed["id"], "executed": "0.5"}
    )
    orders = simulator.accounts[DEMO_KEY].orders
    assert (orders.finished[0].status, orders.finished[0].left) == ("PARTIALLY_FILLED", "1.5")
    status, deposit = await _control(
        session, sim_url + "/_sim/deposit", {"ticker": "USDT", "amount": "5", "status": 15}
    )
    await _control(session, sim_url + "/_sim/deposit", {"id": deposit["id"], "status": 3})
    assert orders.transfers[0].status == 3


def test_pages_and_subscriptions_are_checked() -> None:
    """Limits outside WhiteBIT's range are refused; ordersExecuted wants markets and a filter."""
    orders = SimOrders()
    assert orders.answer(TRANSFER_HISTORY_PATH, {"limit": 501})[0] == 422
    assert orders.answer(TRANSFER_HISTORY_PATH, {"limit": 5, "offset": -1})[0] == 422
    assert orders.answer(TRANSFER_HISTORY_PATH, {})[1] == {
        "limit": 50,
        "offset": 0,
        "records": [],
        "total": 0,
    }
    markets: dict[str, frozenset[str]] = {}
    assert subscription_error(markets, "ordersExecuted_subscribe", [["BTC_USDT"]]) == 1
    assert subscription_error(markets, "ordersExecuted_subscribe", [[], 0]) == 1
    assert subscription_error(markets, "deals_subscribe", [["BTC_USDT"]]) is None
    assert subscription_error(markets, "ordersExecuted_subscribe", [["ETH_BTC"], 0]) is None
    assert markets == {"deals": {"BTC_USDT"}, "ordersExecuted": {"ETH_BTC"}}
    assert subscription_error(markets, "deals_unsubscribe", []) is None
    assert markets == {"ordersExecuted": {"ETH_BTC"}}


async def test_the_demo_order_fills_a_while_after_start(socket_enabled: None) -> None:
    """`python -m simulator`: an open order at start, filled `after` seconds later."""
    simulator = demo_simulator()
    app = simulator.app()
    orders = simulator.accounts[DEMO_KEY].orders
    app.on_startup.append(demo_fill(DEMO_KEY, orders, simulator.stream, 0.05))
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        assert [o.client_order_id for o in orders.open_orders.values()] == ["demo-dip-buy"]
        await until(lambda: bool(orders.finished))
        assert (orders.finished[0].status, orders.open_orders) == ("FILLED", {})
    finally:
        await server.close()
