"""The simulator's private WebSocket, driven with WhiteBIT's documented frames.

Frames are written here from WhiteBIT's docs (asyncapi/private/*.yaml, websocket/rate-limits),
and the token request is signed by tests/signer.py, so the simulator is held to the docs, not to
the integration's client.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING, Any

from aiohttp import ClientSession, ClientWebSocketResponse, WSMsgType
import pytest

from simulator import DEMO_KEY, DEMO_SECRET, STREAM_PATH, WEBSOCKET_TOKEN_PATH
from simulator.stream import Flood

from .signer import documented_body, documented_headers

if TYPE_CHECKING:
    from simulator import WhiteBitSimulator

FAST = 0.05


@pytest.fixture(autouse=True)
def fast_stream(simulator: WhiteBitSimulator) -> None:
    """Updates every 50 ms, and an idle connection closed after 0.3 s instead of 60 s."""
    simulator.stream.update_interval = FAST
    simulator.stream.idle_timeout = 0.3


async def _token(session: ClientSession, sim_url: str) -> tuple[int, Any]:
    body = documented_body(WEBSOCKET_TOKEN_PATH, str(time.time_ns() // 1_000_000), nonceWindow=True)
    async with session.post(
        sim_url + WEBSOCKET_TOKEN_PATH,
        data=body,
        headers=documented_headers(DEMO_KEY, DEMO_SECRET, body),
    ) as response:
        return response.status, await response.json(content_type=None)


async def _ask(ws: ClientWebSocketResponse, request_id: int, method: str, params: list[Any]) -> Any:
    await ws.send_str(json.dumps({"id": request_id, "method": method, "params": params}))
    while True:
        frame = json.loads((await ws.receive(timeout=2)).data)
        if frame["id"] == request_id:
            return frame


async def _authorized(session: ClientSession, sim_url: str) -> ClientWebSocketResponse:
    status, body = await _token(session, sim_url)
    assert status == 200
    ws = await session.ws_connect(sim_url + STREAM_PATH)
    answer = await _ask(ws, 0, "authorize", [body["websocket_token"], "public"])
    assert answer == {"id": 0, "result": {"status": "success"}, "error": None}
    return ws


async def test_token_is_signed_and_limited(
    session: ClientSession, sim_url: str, simulator: WhiteBitSimulator
) -> None:
    """A signed request gets a token; the eleventh in a minute gets 429; no permission, 403."""
    statuses = []
    for _ in range(11):
        status, body = await _token(session, sim_url)
        statuses.append(status)
        await asyncio.sleep(0.002)  # a new millisecond: every nonce once
    assert statuses == [200] * 10 + [429]
    assert isinstance(body, dict)
    simulator.rate_limits[WEBSOCKET_TOKEN_PATH] = 100
    simulator.accounts[DEMO_KEY].permissions.discard(WEBSOCKET_TOKEN_PATH)
    assert (await _token(session, sim_url))[0] == 403
    async with session.post(sim_url + WEBSOCKET_TOKEN_PATH, json={}) as response:
        assert response.status == 401


async def test_authorize_takes_a_valid_token_only(
    session: ClientSession, sim_url: str, simulator: WhiteBitSimulator
) -> None:
    """A made-up token, a wrong second parameter or an expired token: code 1."""
    status, body = await _token(session, sim_url)
    assert status == 200
    token = body["websocket_token"]
    async with session.ws_connect(sim_url + STREAM_PATH) as ws:
        for params in (["made-up", "public"], [token, "private"], [token]):
            answer = await _ask(ws, 1, "authorize", params)
            assert answer == {
                "id": 1,
                "result": None,
                "error": {"code": 1, "message": "invalid argument"},
            }
        # Before authorising, the balance is refused with code 6.
        answer = await _ask(ws, 2, "balanceSpot_request", [])
        assert answer["error"] == {"code": 6, "message": "require authentication"}
        simulator.stream.token_ttl = 0
        status, body = await _token(session, sim_url)
        answer = await _ask(ws, 3, "authorize", [body["websocket_token"], "public"])
        assert answer["error"]["code"] == 1


async def test_request_subscribe_and_updates(
    session: ClientSession, sim_url: str, simulator: WhiteBitSimulator
) -> None:
    """The full state; then only changed assets, batched, at most once per update interval."""
    account = simulator.accounts[DEMO_KEY]
    ws = await _authorized(session, sim_url)
    state = await _ask(ws, 1, "balanceSpot_request", [])
    assert state["result"]["BTC"] == {"available": "0.1", "freeze": "0.02"}
    assert set(state["result"]) == set(account.trade)
    some = await _ask(ws, 2, "balanceSpot_request", ["BTC", "ETH"])
    assert some["result"] == {
        "BTC": {"available": "0.1", "freeze": "0.02"},
        "ETH": {"available": "0", "freeze": "0"},
    }
    assert (await _ask(ws, 3, "balanceSpot_subscribe", []))["result"] == {"status": "success"}
    account.trade["BTC"] = ("0.2", "0.02")
    account.trade["ETH"] = ("1", "0")
    del account.trade["TON"]
    started = asyncio.get_running_loop().time()
    update = json.loads((await ws.receive(timeout=2)).data)
    assert update == {
        "id": None,
        "method": "balanceSpot_update",
        "params": [
            {
                "BTC": {"available": "0.2", "freeze": "0.02"},
                "ETH": {"available": "1", "freeze": "0"},
                "TON": {"available": "0", "freeze": "0"},
            }
        ],
    }
    # Nothing changed since: nothing is sent.
    with pytest.raises(TimeoutError):
        await ws.receive(timeout=3 * FAST)
    assert asyncio.get_running_loop().time() - started < 1
    assert (await _ask(ws, 4, "balanceSpot_unsubscribe", []))["result"] == {"status": "success"}
    account.trade["BTC"] = ("5", "0")
    with pytest.raises(TimeoutError):
        await ws.receive(timeout=3 * FAST)
    await ws.close()


async def test_subscriptions_do_not_survive_a_reconnect(
    session: ClientSession, sim_url: str, simulator: WhiteBitSimulator
) -> None:
    """A new connection must authorise and subscribe again."""
    ws = await _authorized(session, sim_url)
    await _ask(ws, 1, "balanceSpot_subscribe", [])
    await ws.close()
    async with session.ws_connect(sim_url + STREAM_PATH) as again:
        answer = await _ask(again, 1, "balanceSpot_subscribe", [])
        assert answer["error"]["code"] == 6
        simulator.accounts[DEMO_KEY].trade["BTC"] = ("9", "0")
        with pytest.raises(TimeoutError):
            await again.receive(timeout=3 * FAST)


async def test_ping_idle_and_invalid_json(session: ClientSession, sim_url: str) -> None:
    """Ping is answered with pong and keeps the connection; silence or bad JSON ends it."""
    async with session.ws_connect(sim_url + STREAM_PATH) as ws:
        for _ in range(4):  # 0.4 s in all: past the idle timeout, but never 0.3 s silent
            await asyncio.sleep(0.1)
            assert await _ask(ws, 0, "ping", []) == {"id": 0, "result": "pong", "error": None}
        assert (await ws.receive(timeout=2)).type in {WSMsgType.CLOSE, WSMsgType.CLOSED}
    async with session.ws_connect(sim_url + STREAM_PATH) as ws:
        await ws.send_str("{not json")
        assert (await ws.receive(timeout=2)).type in {WSMsgType.CLOSE, WSMsgType.CLOSED}
    async with session.ws_connect(sim_url + STREAM_PATH) as ws:
        answer = await _ask(ws, 5, "no_such_method", [])
        assert answer["error"] == {"code": 4, "message": "method not found"}
        answer = await _ask(ws, 6, "ping", "not a list")
        assert answer["error"]["code"] == 1


async def test_too_many_requests(session: ClientSession, sim_url: str) -> None:
    """The 201st request of a minute on one connection gets code 7."""
    async with session.ws_connect(sim_url + STREAM_PATH) as ws:
        for _ in range(200):
            await ws.send_str('{"id":0,"method":"ping","params":[]}')
        for _ in range(200):
            assert json.loads((await ws.receive(timeout=2)).data)["result"] == "pong"
        answer = await _ask(ws, 9, "ping", [])
        assert answer["error"] == {"code": 7, "message": "too many requests"}


async def test_stream_faults(
    session: ClientSession, sim_url: str, simulator: WhiteBitSimulator
) -> None:
    """The control API drops connections, silences pings, sends garbage or an error frame."""
    for action, expect in (("garbage", "\x00{not json"), ("error", '"code":2')):
        ws = await _authorized(session, sim_url)
        async with session.post(sim_url + "/_sim/stream", json={"action": action}) as response:
            assert (await response.json())["open"] == 1
        assert expect in (await ws.receive(timeout=2)).data
        await ws.close()
    ws = await _authorized(session, sim_url)
    await session.post(sim_url + "/_sim/stream", json={"action": "silence"})
    await ws.send_str('{"id":0,"method":"ping","params":[]}')
    with pytest.raises(TimeoutError):
        await ws.receive(timeout=0.2)
    await session.post(sim_url + "/_sim/stream", json={"action": "drop"})
    assert (await ws.receive(timeout=2)).type in {
        WSMsgType.CLOSE,
        WSMsgType.CLOSED,
        WSMsgType.ERROR,
    }
    async with session.post(sim_url + "/_sim/stream", json={"action": "explode"}) as response:
        assert response.status == 400
    async with session.get(sim_url + "/_sim/state") as response:
        stream = (await response.json())["stream"]
    assert stream["connections"] == 3
    assert stream["tokens"] == 3
    assert stream["open"] == 0


async def test_hostile_modes_redirect_and_flood(
    session: ClientSession, sim_url: str, simulator: WhiteBitSimulator
) -> None:
    """The handshake can be redirected; a flood is paced, bounded, and goes on after a drop."""
    simulator.stream.redirect_to = "http://127.0.0.1:9/ws"
    async with session.get(sim_url + STREAM_PATH, allow_redirects=False) as response:
        assert response.status == 307
        assert response.headers["Location"] == "http://127.0.0.1:9/ws"
    simulator.stream.redirect_to = None
    simulator.stream.idle_timeout = 5
    loop = asyncio.get_running_loop()
    flood = Flood(lambda i: json.dumps({"i": i}), count=300, per_second=1000)
    simulator.stream.flood = flood
    ws = await _authorized(session, sim_url)
    await _ask(ws, 1, "balanceSpot_subscribe", [])
    received = [json.loads((await ws.receive(timeout=2)).data)["i"] for _ in range(100)]
    await ws.close()
    ws = await _authorized(session, sim_url)
    await _ask(ws, 1, "balanceSpot_subscribe", [])
    while received[-1] != 299:
        received.append(json.loads((await ws.receive(timeout=2)).data)["i"])
    await ws.close()
    assert received[:100] == list(range(100))
    assert received == sorted(received)
    assert flood.sent == 300
    assert flood.started is not None
    # 1,000 a second: 300 frames take about 0.3 s, not a burst.
    assert loop.time() - flood.started >= 0.25
