"""The simulator's collateral account: summary, open positions, their channels and controls.

REST through the client (its parsers hold the documented shapes); the stream with documented
frames written here, as test_simulator_stream does.
"""

from __future__ import annotations

from decimal import Decimal
import json
from typing import TYPE_CHECKING, Any

from aiohttp import ClientSession, ClientWebSocketResponse
import pytest

from custom_components.whitebit.pywhitebit import WhiteBitClient, WhiteBitPermissionError
from simulator import DEMO_KEY, DEMO_SECRET, demo_simulator
from simulator.margin import OPEN_POSITIONS_PATH

from .test_simulator_stream import FAST, _ask, _authorized

if TYPE_CHECKING:
    from simulator import WhiteBitSimulator

POSITION = {
    "market": "BTC_USDT",
    "side": "LONG",
    "amount": "0.1",
    "base_price": "90000",
    "pnl": "-25.5",
    "liq_price": "81000",
    "margin": "900",
}


@pytest.fixture(autouse=True)
def fast_stream(simulator: WhiteBitSimulator) -> None:
    """Updates every 50 ms; collateral of 1000 USDT."""
    simulator.stream.update_interval = FAST
    simulator.accounts[DEMO_KEY].collateral = {"USDT": "1000", "BTC": "0.5"}


async def _control(session: ClientSession, sim_url: str, **data: Any) -> tuple[int, Any]:
    async with session.post(sim_url + "/_sim/position", json=data) as response:
        return response.status, await response.json()


async def test_summary_and_positions_follow_the_controls(
    session: ClientSession, sim_url: str, simulator: WhiteBitSimulator
) -> None:
    """Open, move and close a position; the summary is the money balance plus the PnL."""
    client = WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, sim_url)
    assert not (await client.open_positions()).positions
    assert await _control(session, sim_url, api_key=DEMO_KEY, **POSITION) == (200, {"ok": True})
    summary = await client.collateral_summary()
    assert (summary.equity, summary.pnl, summary.margin) == (
        Decimal("974.5"),
        Decimal("-25.5"),
        Decimal(900),
    )
    assert summary.free_margin == Decimal("74.5")
    assert summary.margin_fraction == Decimal("0.9236")
    assert summary.leverage == 10
    await _control(
        session, sim_url, api_key=DEMO_KEY, market="BTC_USDT", pnl="12", liq_stage="margin_call"
    )
    position = (await client.open_positions()).positions["BTC_USDT_long"]
    assert (position.pnl, position.liquidation_price, position.margin_call) == (
        Decimal(12),
        Decimal(81000),
        True,
    )
    await _control(session, sim_url, api_key=DEMO_KEY, market="BTC_USDT", liq_price=None)
    position = (await client.open_positions()).positions["BTC_USDT_long"]
    assert position.liquidation_price is None
    await _control(session, sim_url, api_key=DEMO_KEY, market="BTC_USDT", close=True)
    assert not (await client.open_positions()).positions
    simulator.accounts[DEMO_KEY].collateral = {}
    assert (await client.collateral_summary()).margin_fraction == 0
    simulator.accounts[DEMO_KEY].permissions.discard(OPEN_POSITIONS_PATH)
    with pytest.raises(WhiteBitPermissionError):
        await client.open_positions()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"api_key": "nobody"}, "unknown key"),
        ({"market": 5}, "market and side"),
        ({"market": "BTC_USDT", "side": "BOTH"}, "market and side"),
        ({"market": "ETH_USDT", "close": True}, "no such position"),
        ({"market": "BTC_USDT", "amount": None}, "only liq_price"),
        ({"market": "BTC_USDT", "pnl": "lots"}, "invalid amount"),
        ({"market": "BTC_USDT", "liq_stage": "doom"}, "invalid liq_stage"),
        ({"market": "ETH_USDT", "amount": "1"}, "needs amount and base_price"),
    ],
)
async def test_control_refuses_what_is_not_a_position(
    session: ClientSession, sim_url: str, data: dict[str, Any], error: str
) -> None:
    """Each refusal says why, and changes nothing."""
    status, answer = await _control(session, sim_url, **{"api_key": DEMO_KEY, **data})
    assert status == 400
    assert error in answer["error"]


async def test_positions_pushed_each_interval(
    session: ClientSession, sim_url: str, simulator: WhiteBitSimulator
) -> None:
    """positionsMargin: every position, every interval, an object {total, records}; none too."""
    ws = await _authorized(session, sim_url)
    assert (await _ask(ws, 1, "positionsMargin_subscribe", []))["result"] == {"status": "success"}
    frame = await _update(ws, "positionsMargin_update")
    assert frame["params"] == {"total": 0, "records": []}
    simulator.accounts[DEMO_KEY].margin.control(POSITION)
    frame = await _update(ws, "positionsMargin_update", lambda f: f["params"]["total"] == 1)
    (record,) = frame["params"]["records"]
    assert record["pnl"] == "-25.5"
    assert record["liq_price"] == "81000"
    assert record["free_margin"] == "74.5"
    assert record["amount_in_money"] == "9000.0"
    await _ask(ws, 2, "positionsMargin_unsubscribe", [])
    assert (await _ask(ws, 3, "ping", []))["result"] == "pong"
    await ws.close()


async def test_collateral_balances_requested_and_pushed(
    session: ClientSession, sim_url: str, simulator: WhiteBitSimulator
) -> None:
    """balanceMargin: the documented request answer, then `a B b av ab` of what changed."""
    ws = await _authorized(session, sim_url)
    answer = await _ask(ws, 1, "balanceMargin_request", ["USDT"])
    assert answer["result"] == {
        "USDT": {
            "balance": "1000",
            "borrow": "0",
            "available_without_borrow": "1000",
            "available_with_borrow": "1000",
        }
    }
    await _ask(ws, 2, "balanceMargin_subscribe", [])
    simulator.accounts[DEMO_KEY].collateral["USDT"] = "1200"
    del simulator.accounts[DEMO_KEY].collateral["BTC"]
    frame = await _update(ws, "balanceMargin_update")
    assert frame["params"] == [
        {"a": "BTC", "B": "0", "b": "0", "av": "0", "ab": "0"},
        {"a": "USDT", "B": "1200", "b": "0", "av": "1200", "ab": "1200"},
    ]
    await _ask(ws, 3, "balanceMargin_unsubscribe", [])
    assert (await _ask(ws, 4, "balanceMargin_subscribe", [1]))["error"]["code"] == 1
    await ws.close()


async def test_margin_channels_need_an_account(
    session: ClientSession, sim_url: str, simulator: WhiteBitSimulator
) -> None:
    """Unauthorized, or a key since deleted: error 6, and nothing pushed."""
    ws = await session.ws_connect(sim_url + "/ws")
    assert (await _ask(ws, 1, "positionsMargin_subscribe", []))["error"]["code"] == 6
    await ws.close()
    ws = await _authorized(session, sim_url)
    await _ask(ws, 1, "positionsMargin_subscribe", [])
    del simulator.accounts[DEMO_KEY]
    assert (await _ask(ws, 2, "balanceMargin_request", []))["error"]["code"] == 6
    assert (await _ask(ws, 3, "ping", []))["result"] == "pong"
    await ws.close()


def test_demo_has_one_open_position() -> None:
    """`python -m simulator` serves collateral and one open BTC/USDT long; the tests' demo none."""
    account = demo_simulator(margin=True).accounts[DEMO_KEY]
    assert list(account.margin.positions) == ["BTC_USDT_LONG"]
    assert account.collateral["USDT"] == "5000"
    assert not demo_simulator().accounts[DEMO_KEY].margin.positions


async def _update(
    ws: ClientWebSocketResponse, method: str, done: Any = lambda _frame: True
) -> dict[str, Any]:
    """The next update frame of `method` for which `done` holds."""
    while True:
        frame = json.loads((await ws.receive(timeout=2)).data)
        if frame.get("method") == method and done(frame):
            return frame
