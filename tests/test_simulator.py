"""The simulator is only useful if it is as strict as WhiteBIT: prove each check."""

from __future__ import annotations

import base64
from typing import Any

from aiohttp import ClientSession
import pytest

from simulator import (
    COLLATERAL_BALANCE_PATH,
    CURRENCY_NOT_FOUND,
    DEMO_BALANCES,
    DEMO_KEY,
    DEMO_SECRET,
    DEMO_TRADE,
    EARN_PATHS,
    INVALID_PAYLOAD,
    MAIN_BALANCE_PATH,
    PUBLIC_ASSETS_PATH,
    PUBLIC_PATHS,
    PUBLIC_TICKER_PATH,
    SUBACCOUNT_PATHS,
    TRADE_BALANCE_PATH,
    WEBSOCKET_TOKEN_PATH,
    Fault,
    WhiteBitSimulator,
)
from simulator.margin import MARGIN_PATHS
from simulator.orders import OPEN_ORDERS_PATH, ORDER_HISTORY_PATH, TRANSFER_HISTORY_PATH

from .signer import documented_body, documented_headers


async def _post(
    session: ClientSession,
    url: str,
    *,
    body: bytes | None = None,
    key: str = DEMO_KEY,
    secret: str = DEMO_SECRET,
    payload: str | None = None,
    nonce: int = 1,
    endpoint: str = MAIN_BALANCE_PATH,
    path: str | None = None,
    **params: Any,
) -> tuple[int, Any]:
    """Sign and post to `endpoint`; `path` is what the body claims, the endpoint unless set."""
    raw = body if body is not None else documented_body(path or endpoint, nonce, **params)
    headers = documented_headers(key, secret, raw)
    if payload is not None:
        headers["X-TXC-PAYLOAD"] = payload
    async with session.post(url + endpoint, data=raw, headers=headers) as response:
        return response.status, await response.json(content_type=None)


async def test_valid_request(session: ClientSession, sim_url: str) -> None:
    """Every listed currency, with zeros for those the account does not hold."""
    status, body = await _post(session, sim_url)
    assert status == 200
    assert body["BTC"] == {"main_balance": "0.51234567"}
    assert body["LTC"] == {"main_balance": "0"}


@pytest.mark.parametrize(
    ("change", "status", "body"),
    [
        ({"key": "unknown"}, 401, {"code": 10, "message": "Unauthorized request."}),
        ({"secret": "wrong"}, 401, {"code": 10, "message": "Unauthorized request."}),
        # A payload that is not the body's base64, or a body that is not compact JSON: code 9.
        ({"payload": base64.b64encode(b"{}").decode()}, 400, INVALID_PAYLOAD),
        (
            {"body": b'{"request": "/api/v4/main-account/balance", "nonce": 1}'},
            400,
            INVALID_PAYLOAD,
        ),
        ({"payload": ""}, 401, {"code": 0, "message": "Payload not provided."}),
        (
            {"path": "/api/v4/other"},
            422,
            {"code": 0, "message": "Validation failed", "errors": {"request": ["validation.in"]}},
        ),
        ({"body": b"[1]"}, 400, INVALID_PAYLOAD),
        (
            {"body": b'{"nonce":1}'},
            422,
            {"code": 0, "message": "Request not provided.", "errors": {}},
        ),
        (
            {"body": b'{"request":"/api/v4/main-account/balance"}'},
            422,
            {"code": 0, "message": "Nonce not provided.", "errors": {}},
        ),
        (
            {"body": b'{"request":"/api/v4/main-account/balance","nonce":"1e3"}'},
            422,
            {
                "code": 0,
                "message": "Validation failed",
                "errors": {"nonce": ["validation.integer"]},
            },
        ),
        (
            {"nonceWindow": "yes"},
            422,
            {"code": 0, "message": "Invalid nonceWindow.", "errors": {}},
        ),
        # The nonce as a string of digits, as WhiteBIT's own quickstarts and ccxt send it.
        ({"nonce": "1"}, 200, None),
        (
            {"ticker": 5},
            422,
            {
                "code": 0,
                "message": "Validation failed",
                "errors": {"ticker": ["validation.string"]},
            },
        ),
        ({"ticker": "BTC"}, 200, {"main_balance": "0.51234567"}),
        ({"ticker": "NOPE"}, 200, {"main_balance": "0"}),
    ],
)
async def test_checks(
    session: ClientSession, sim_url: str, change: dict[str, Any], status: int, body: object
) -> None:
    """Key, payload, signature, path, body shape and ticker type are all checked."""
    answer_status, answer = await _post(session, sim_url, **change)
    assert answer_status == status
    if body is not None:
        assert answer == body


async def test_nonce_must_increase(session: ClientSession, sim_url: str) -> None:
    """A repeated or smaller nonce is refused with 429, a larger one accepted."""
    assert (await _post(session, sim_url, nonce=5))[0] == 200
    assert await _post(session, sim_url, nonce=5) == (
        429,
        {"code": 0, "errors": {}, "message": "Too many requests."},
    )
    assert (await _post(session, sim_url, nonce=4))[0] == 429
    assert (await _post(session, sim_url, nonce=6))[0] == 200


async def test_disabled_key_and_missing_permission(
    session: ClientSession, sim_url: str, simulator: WhiteBitSimulator
) -> None:
    """A disabled key gets code 2; a key without the endpoint gets 403."""
    account = simulator.accounts[DEMO_KEY]
    account.enabled = False
    assert await _post(session, sim_url, nonce=1) == (
        401,
        {"code": 2, "message": "This action is unauthorized. Enable your key in API settings"},
    )
    account.enabled = True
    account.permissions.clear()
    status, body = await _post(session, sim_url, nonce=2)
    assert status == 403
    assert body["message"].startswith("You don't have permission to use this endpoint")


async def test_rate_limit_window(socket_enabled: None, session: ClientSession) -> None:
    """Past the limit within the window: 429; once the window has passed: accepted again."""
    from aiohttp.test_utils import TestServer  # noqa: PLC0415

    now = [100.0]
    simulator = WhiteBitSimulator(["BTC"], rate_limit=3, rate_window=10, clock=lambda: now[0])
    simulator.add_account(DEMO_KEY, DEMO_SECRET)
    server = TestServer(simulator.app(), host="127.0.0.1")
    await server.start_server()
    url = str(server.make_url("")).rstrip("/")
    try:
        statuses = [(await _post(session, url, nonce=n))[0] for n in range(1, 5)]
        assert statuses == [200, 200, 200, 429]
        now[0] += 10
        assert (await _post(session, url, nonce=5))[0] == 200
    finally:
        await server.close()


async def test_control_endpoints(
    session: ClientSession, sim_url: str, simulator: WhiteBitSimulator
) -> None:
    """Balances and keys can be changed while it runs, and bad input is refused."""
    async with session.post(
        sim_url + "/_sim/balance", json={"api_key": DEMO_KEY, "ticker": "NEW", "amount": "7.5"}
    ) as response:
        assert response.status == 200
    assert simulator.accounts[DEMO_KEY].balances["NEW"] == "7.5"
    assert "NEW" in simulator.currencies
    for bad in (
        {"api_key": DEMO_KEY, "ticker": "BTC", "amount": "lots"},
        {"api_key": DEMO_KEY, "ticker": "BTC", "amount": "NaN"},
        {"api_key": "nobody", "ticker": "BTC", "amount": "1"},
        {"api_key": DEMO_KEY, "ticker": 5, "amount": "1"},
    ):
        async with session.post(sim_url + "/_sim/balance", json=bad) as response:
            assert response.status == 400

    async with session.post(
        sim_url + "/_sim/key", json={"api_key": DEMO_KEY, "enabled": False}
    ) as response:
        assert response.status == 200
    assert not simulator.accounts[DEMO_KEY].enabled
    async with session.post(
        sim_url + "/_sim/key", json={"api_key": "k2", "secret": "s2", "balances": {"ETH": "1"}}
    ) as response:
        assert response.status == 200
    assert simulator.accounts["k2"].balances == {"ETH": "1"}
    for bad in ({}, {"api_key": "k3"}):
        async with session.post(sim_url + "/_sim/key", json=bad) as response:
            assert response.status == 400

    await _post(session, sim_url, key="k2", secret="s2")
    async with session.get(sim_url + "/_sim/state") as response:
        state = await response.json()
    assert state["accounts"]["k2"] == {"enabled": True, "balances": {"ETH": "1"}, "trade": {}}
    assert state["requests"] == {MAIN_BALANCE_PATH: 1}
    assert state["statuses"] == {"200": 1}


async def test_fault_control_endpoint(
    session: ClientSession, sim_url: str, simulator: WhiteBitSimulator
) -> None:
    """Faults queued over HTTP are served in order, once each, then answers are normal again."""
    for fault in (
        {"status": 502, "body": "<html>bad gateway</html>", "headers": {"X-Fault": "1"}},
        {"status": 200, "body": {"BTC": {"main_balance": 0.5}}, "times": 2},
    ):
        async with session.post(f"{sim_url}/_sim/fault", json=fault) as response:
            assert response.status == 200
    assert len(simulator.faults) == 3
    async with session.get(f"{sim_url}/_sim/state") as response:
        assert (await response.json())["faults_queued"] == 3

    raw = documented_body(MAIN_BALANCE_PATH, 1)
    async with session.post(sim_url + MAIN_BALANCE_PATH, data=raw) as response:
        assert response.status == 502
        assert response.headers["X-Fault"] == "1"
        assert await response.text() == "<html>bad gateway</html>"
    for nonce in (2, 3):
        status, body = await _post(session, sim_url, nonce=nonce)
        assert (status, body) == (200, {"BTC": {"main_balance": 0.5}})
    status, body = await _post(session, sim_url, nonce=4)
    assert body["BTC"] == {"main_balance": "0.51234567"}


@pytest.mark.parametrize(
    "fault", [{"action": "explode"}, {"status": "not a number"}, {"delay": "soon"}]
)
async def test_fault_control_refuses_nonsense(
    session: ClientSession, sim_url: str, simulator: WhiteBitSimulator, fault: dict[str, Any]
) -> None:
    """A fault the simulator cannot serve is refused with 400 and nothing is queued."""
    async with session.post(f"{sim_url}/_sim/fault", json=fault) as response:
        assert response.status == 400
    assert not simulator.faults


async def test_trade_balance(
    session: ClientSession, sim_url: str, simulator: WhiteBitSimulator
) -> None:
    """Only currencies with a balance; one ticker on request; an unknown one is code 30."""
    status, body = await _post(session, sim_url, endpoint=TRADE_BALANCE_PATH, nonce=1)
    assert status == 200
    assert body == {
        "BTC": {"available": "0.1", "freeze": "0.02"},
        "USDT": {"available": "1000.50", "freeze": "100.00"},
        "SOL": {"available": "1.5", "freeze": "0"},
        "TON": {"available": "42", "freeze": "0"},
    }
    for nonce, ticker, expected in (
        (2, "BTC", (200, {"available": "0.1", "freeze": "0.02"})),
        (3, "LTC", (200, {"available": "0", "freeze": "0"})),
        (4, "NOPE", (422, CURRENCY_NOT_FOUND)),
    ):
        assert (
            await _post(session, sim_url, endpoint=TRADE_BALANCE_PATH, nonce=nonce, ticker=ticker)
            == expected
        )
    # The same key, payload, signature and nonce checks as the main account.
    assert (await _post(session, sim_url, endpoint=TRADE_BALANCE_PATH, nonce=4))[0] == 429
    assert (await _post(session, sim_url, endpoint=TRADE_BALANCE_PATH, nonce=5, secret="wrong"))[
        0
    ] == 401
    assert (
        await _post(session, sim_url, endpoint=TRADE_BALANCE_PATH, nonce=6, path=MAIN_BALANCE_PATH)
    )[0] == 422
    simulator.accounts[DEMO_KEY].permissions.discard(TRADE_BALANCE_PATH)
    assert (await _post(session, sim_url, endpoint=TRADE_BALANCE_PATH, nonce=7))[0] == 403
    assert (await _post(session, sim_url, nonce=8))[0] == 200

    simulator.accounts[DEMO_KEY].trade.clear()
    simulator.accounts[DEMO_KEY].permissions.add(TRADE_BALANCE_PATH)
    assert await _post(session, sim_url, endpoint=TRADE_BALANCE_PATH, nonce=9) == (200, {})


async def test_rate_limits_per_endpoint() -> None:
    """WhiteBIT's documented limits: 1,000 main, 12,000 trade, 2,000 public requests per 10 s.

    And 10 WebSocket tokens per 60 s.
    """
    simulator = WhiteBitSimulator()
    others = {
        **dict.fromkeys(PUBLIC_PATHS, 2000),
        WEBSOCKET_TOKEN_PATH: 10,
        COLLATERAL_BALANCE_PATH: 1000,
        **dict.fromkeys(EARN_PATHS, 1000),
        # The collateral summary and open positions: 12,000 per 10 s each, as documented.
        **dict.fromkeys(MARGIN_PATHS, 12000),
        **dict.fromkeys(SUBACCOUNT_PATHS, 1000),
        # Order history and open orders 12,000; deposit and withdrawal history 200.
        ORDER_HISTORY_PATH: 12000,
        OPEN_ORDERS_PATH: 12000,
        TRANSFER_HISTORY_PATH: 200,
    }
    assert simulator.rate_limits == {MAIN_BALANCE_PATH: 1000, TRADE_BALANCE_PATH: 12000, **others}
    simulator.set_rate_limit(5, TRADE_BALANCE_PATH)
    assert simulator.rate_limits == {MAIN_BALANCE_PATH: 1000, TRADE_BALANCE_PATH: 5, **others}


async def test_public_ticker_and_prices(
    session: ClientSession, sim_url: str, simulator: WhiteBitSimulator
) -> None:
    """No signature needed; prices and frozen markets set over HTTP show in the next answer."""
    async with session.get(sim_url + PUBLIC_TICKER_PATH) as response:
        assert response.status == 200
        body = await response.json()
    assert body["BTC_USDT"] == {
        "base_id": simulator.currencies.index("BTC") + 1,
        "quote_id": simulator.currencies.index("USDT") + 1,
        "last_price": "91640.09",
        "quote_volume": "1000000",
        "base_volume": "1000",
        "isFrozen": False,
        "change": "0.57",
    }
    for change in (
        {"market": "BTC_USDT", "last_price": "95000.5", "frozen": True},
        {"market": "ETH_USDT"},
    ):
        async with session.post(sim_url + "/_sim/price", json=change) as response:
            assert response.status == 200
    for bad in ({"market": "BTCUSDT", "last_price": "1"}, {"market": "A_B", "last_price": "x"}):
        async with session.post(sim_url + "/_sim/price", json=bad) as response:
            assert response.status == 400
    async with session.get(sim_url + PUBLIC_TICKER_PATH) as response:
        body = await response.json()
    assert (body["BTC_USDT"]["last_price"], body["BTC_USDT"]["isFrozen"]) == ("95000.5", True)
    assert "ETH_USDT" not in body
    assert "A_B" not in body


async def test_demo_amounts_keep_each_currency_precision(
    session: ClientSession, sim_url: str
) -> None:
    """The demo account's amounts have no more digits than /public/assets gives the currency.

    As at WhiteBIT: the sensors show a balance with its own digits, so an amount finer than
    its currency would be shown finer than WhiteBIT ever reports it.
    """
    async with session.get(sim_url + PUBLIC_ASSETS_PATH) as response:
        assets = await response.json()
    amounts = [*DEMO_BALANCES.items()] + [
        (ticker, amount) for ticker, pair in DEMO_TRADE.items() for amount in pair
    ]
    for ticker, amount in amounts:
        digits = len(amount.partition(".")[2])
        assert digits <= assets[ticker]["currency_precision"], (ticker, amount)


async def test_faults_by_path(
    session: ClientSession, sim_url: str, simulator: WhiteBitSimulator
) -> None:
    """A fault for a path waits for that path; one without a path is for balance requests."""
    simulator.inject(Fault(503, "down", path=PUBLIC_TICKER_PATH), Fault(500, "{}"))
    status, _ = await _post(session, sim_url, endpoint=TRADE_BALANCE_PATH, nonce=1)
    assert status == 500
    async with session.get(sim_url + PUBLIC_TICKER_PATH) as response:
        assert (response.status, await response.text()) == (503, "down")
    async with session.post(
        sim_url + "/_sim/fault", json={"status": 502, "path": PUBLIC_TICKER_PATH}
    ) as response:
        assert response.status == 200
    assert (await _post(session, sim_url, nonce=2))[0] == 200
    async with session.get(sim_url + PUBLIC_TICKER_PATH) as response:
        assert response.status == 502


async def test_trade_balance_control(
    session: ClientSession, sim_url: str, simulator: WhiteBitSimulator
) -> None:
    """/_sim/balance sets trade balances too, and lists a currency new to the exchange."""
    change = {"api_key": DEMO_KEY, "ticker": "NEW", "account": "trade"}
    async with session.post(
        sim_url + "/_sim/balance", json={**change, "available": "1", "freeze": "0.5"}
    ) as response:
        assert response.status == 200
    assert simulator.accounts[DEMO_KEY].trade["NEW"] == ("1", "0.5")
    assert "NEW" in simulator.currencies
    async with session.post(
        sim_url + "/_sim/balance", json={**change, "available": "1", "freeze": "nan"}
    ) as response:
        assert response.status == 400


async def test_collateral_balance_control(
    session: ClientSession, sim_url: str, simulator: WhiteBitSimulator
) -> None:
    """/_sim/balance sets a collateral balance, not the main one; an absurd amount is refused."""
    change = {"api_key": DEMO_KEY, "ticker": "USDT", "account": "collateral"}
    async with session.post(
        sim_url + "/_sim/balance", json={**change, "amount": "1234.5"}
    ) as response:
        assert response.status == 200
    assert simulator.accounts[DEMO_KEY].collateral["USDT"] == "1234.5"
    assert simulator.accounts[DEMO_KEY].balances.get("USDT") != "1234.5"
    async with session.post(
        sim_url + "/_sim/balance", json={**change, "amount": "-inf"}
    ) as response:
        assert response.status == 400


async def test_api_keys_page(session: ClientSession, sim_url: str) -> None:
    """The device's Visit link (base URL + /settings/api) answers, listing keys by their end."""
    async with session.get(sim_url + "/settings/api") as response:
        assert response.status == 200
        text = await response.text()
    assert f"…{DEMO_KEY[-4:]}" in text
    assert DEMO_KEY not in text
    assert DEMO_SECRET not in text
