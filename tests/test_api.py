"""The API client: signing, nonces, parsing and error classification."""

from __future__ import annotations

import asyncio
from decimal import Decimal
import threading
from typing import TYPE_CHECKING
from unittest.mock import patch

from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer
import pytest

from custom_components.whitebit.api import (
    DEFAULT_RETRY_AFTER,
    MAIN_BALANCE_PATH,
    PUBLIC_TICKER_PATH,
    Market,
    NonceSource,
    TradeBalance,
    WhiteBitAuthenticationError,
    WhiteBitClient,
    WhiteBitConnectionError,
    WhiteBitError,
    WhiteBitPermissionError,
    WhiteBitRateLimitError,
    WhiteBitResponseError,
    WhiteBitValidationError,
    encode_body,
    key_fingerprint,
    parse_main_balances,
    parse_markets,
    parse_trade_balances,
    sign,
)
from simulator import DEMO_BALANCES, DEMO_KEY, DEMO_SECRET

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Awaitable, Callable

    from simulator import WhiteBitSimulator

type RawServer = Callable[[web.Response | Callable[[], Awaitable[web.Response]]], Awaitable[str]]


@pytest.fixture
async def session() -> AsyncGenerator[ClientSession]:
    """A plain aiohttp session, standing in for Home Assistant's shared one."""
    async with ClientSession() as client_session:
        yield client_session


@pytest.fixture
async def raw_server(socket_enabled: None) -> AsyncGenerator[RawServer]:
    """Serve one fixed answer (or handler) at the balance path; return the base URL."""
    servers: list[TestServer] = []

    async def start(answer: web.Response | Callable[[], Awaitable[web.Response]]) -> str:
        async def handler(_request: web.Request) -> web.Response:
            if isinstance(answer, web.Response):
                return answer
            return await answer()

        app = web.Application()
        app.router.add_post(MAIN_BALANCE_PATH, handler)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        servers.append(server)
        return str(server.make_url("")).rstrip("/")

    yield start
    for server in servers:
        await server.close()


def test_signature_matches_the_documented_vector() -> None:
    """The issue's vector: the exact body bytes, payload and signature."""
    body = encode_body("/api/v4/trade-account/balance", 1700000000000, nonceWindow=True)
    assert body == (
        b'{"request":"/api/v4/trade-account/balance","nonce":1700000000000,"nonceWindow":true}'
    )
    payload, signature = sign("secret", body)
    assert payload == (
        "eyJyZXF1ZXN0IjoiL2FwaS92NC90cmFkZS1hY2NvdW50L2JhbGFuY2UiLCJub25jZSI6MTcwMDAwMDAwMDAwMC"
        "wibm9uY2VXaW5kb3ciOnRydWV9"
    )
    assert signature == (
        "2ac01358d26414ea938ab2cde3815535ac18e07c8cbe9d386e2b1cdb02e8ebfa"
        "8e3806101dc9a77e532fc6f0fd9c72b0b3e0a7b57f6cdce2c2d827267d54d04a"
    )


def test_nonce_increases_when_the_clock_steps_back() -> None:
    """An NTP step backwards must not produce a nonce WhiteBIT already saw."""
    times = iter([1000.0, 1000.0, 999.0, 500.0, 1000.5, 2000.0])
    nonces = NonceSource(clock=lambda: next(times))
    issued = [nonces.next("key") for _ in range(6)]
    assert issued == [1_000_000, 1_000_001, 1_000_002, 1_000_003, 1_000_500, 2_000_000]


def test_nonces_are_per_key() -> None:
    """Another key has its own sequence and does not push this key's forward."""
    nonces = NonceSource(clock=lambda: 5.0)
    assert [nonces.next("a"), nonces.next("b"), nonces.next("a")] == [5000, 5000, 5001]


def test_nonces_are_unique_across_threads() -> None:
    """The counter is shared process-wide, so it must hold under threads too."""
    nonces = NonceSource(clock=lambda: 1.0)
    issued: list[list[int]] = [[] for _ in range(4)]

    def take(out: list[int]) -> None:
        out.extend(nonces.next("key") for _ in range(500))

    threads = [threading.Thread(target=take, args=(out,)) for out in issued]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [nonce for out in issued for nonce in out]
    assert len(set(everything)) == 2000
    assert all(out == sorted(out) for out in issued)


async def test_balances_are_exact_decimals(session: ClientSession, sim_url: str) -> None:
    """Every listed currency comes back, as the exact Decimal of its string."""
    client = WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, sim_url + "/")
    balances = await client.main_balances()
    assert balances["DOGE"] == Decimal("12345.123456789012345678")
    assert {ticker: str(balances[ticker]) for ticker in DEMO_BALANCES} == DEMO_BALANCES
    assert client.base_url == sim_url
    assert DEMO_SECRET not in repr(client)


async def test_an_unchanged_answer_is_not_parsed_again(
    session: ClientSession, sim_url: str, simulator: WhiteBitSimulator
) -> None:
    """The same answer twice gives the same read-only result; a changed one is parsed."""
    client = WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, sim_url)
    first = await client.main_balances()
    with patch("custom_components.whitebit.api.parse_main_balances") as parse:
        second = await client.main_balances()
    parse.assert_not_called()
    assert second is first
    with pytest.raises(TypeError):
        first["BTC"] = Decimal(1)  # type: ignore[index]
    simulator.accounts[DEMO_KEY].balances["BTC"] = "2"
    third = await client.main_balances()
    assert third["BTC"] == Decimal(2)
    assert third["DOGE"] == first["DOGE"]


async def test_concurrent_requests_and_shared_keys_all_succeed(
    session: ClientSession, sim_url: str, simulator: WhiteBitSimulator
) -> None:
    """Two entries sharing a key, racing, never send a nonce WhiteBIT refuses."""
    first = WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, sim_url)
    second = WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, sim_url)
    await asyncio.gather(*(client.main_balances() for client in [first, second] * 25))
    assert simulator.stats.statuses == {200: 50}


async def test_backwards_clock_against_the_simulator(
    session: ClientSession, sim_url: str, simulator: WhiteBitSimulator
) -> None:
    """A clock that jumps back an hour still gets every request accepted."""
    now = [2_000_000.0]
    client = WhiteBitClient(
        session, DEMO_KEY, DEMO_SECRET, sim_url, nonces=NonceSource(clock=lambda: now[0])
    )
    await client.main_balances()
    now[0] -= 3600
    await client.main_balances()
    assert simulator.stats.statuses == {200: 2}


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (401, {"code": 10, "message": "Unauthorized request."}, WhiteBitAuthenticationError),
        (
            401,
            {"code": 2, "message": "This action is unauthorized. Enable your key in API settings"},
            WhiteBitAuthenticationError,
        ),
        # Classified by the body even when the status is not the documented one.
        (400, {"code": 10, "message": "Unauthorized request."}, WhiteBitAuthenticationError),
        (
            403,
            {"message": "You don't have permission to use this endpoint..."},
            WhiteBitPermissionError,
        ),
        (429, {"code": 0, "errors": {}, "message": "Too many requests."}, WhiteBitRateLimitError),
        (
            422,
            {"code": 0, "message": "Validation failed", "errors": {"ticker": ["x"]}},
            WhiteBitValidationError,
        ),
        (500, {"message": "Internal"}, WhiteBitConnectionError),
        (404, {"message": "Not found"}, WhiteBitConnectionError),
        (200, ["BTC"], WhiteBitResponseError),
        (200, None, WhiteBitResponseError),
        (200, {"BTC": {"available": "1"}}, WhiteBitResponseError),
        (200, {"BTC": {"main_balance": 1.5}}, WhiteBitResponseError),
    ],
)
async def test_error_classes(
    session: ClientSession,
    raw_server: RawServer,
    status: int,
    body: object,
    error: type[WhiteBitError],
) -> None:
    """Each documented failure maps to its typed error, and none carries the secret."""
    url = await raw_server(web.json_response(body, status=status))
    client = WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, url)
    with pytest.raises(error) as caught:
        await client.main_balances()
    assert DEMO_SECRET not in f"{caught.value} {caught.value!r}"


@pytest.mark.parametrize(
    ("status", "text", "error"),
    [
        (502, "<html><body>Bad gateway</body></html>", WhiteBitConnectionError),
        (503, "", WhiteBitConnectionError),
        (200, "<html>maintenance</html>", WhiteBitResponseError),
        (200, '{"BTC": {"main_balance": "1"', WhiteBitResponseError),
    ],
)
async def test_non_json_answers(
    session: ClientSession, raw_server: RawServer, status: int, text: str, error: type[Exception]
) -> None:
    """HTML pages, empty bodies and truncated JSON are typed errors, not crashes."""
    url = await raw_server(web.Response(status=status, text=text, content_type="text/html"))
    with pytest.raises(error):
        await WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, url).main_balances()


@pytest.mark.parametrize(
    ("header", "expected"),
    [(None, DEFAULT_RETRY_AFTER), ("3", 3.0), ("soon", DEFAULT_RETRY_AFTER), ("-5", 1.0)],
)
async def test_rate_limit_retry_after(
    session: ClientSession, raw_server: RawServer, header: str | None, expected: float
) -> None:
    """The wait comes from Retry-After when sane, else one rate-limit window."""
    headers = {"Retry-After": header} if header is not None else None
    url = await raw_server(
        web.json_response(
            {"code": 0, "errors": {}, "message": "Too many requests."}, status=429, headers=headers
        )
    )
    with pytest.raises(WhiteBitRateLimitError) as caught:
        await WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, url).main_balances()
    assert caught.value.retry_after == expected


async def test_validation_errors_are_kept(session: ClientSession, raw_server: RawServer) -> None:
    """A 422's per-field errors are available to the caller."""
    body = {"code": 0, "message": "Validation failed", "errors": {"ticker": ["validation.string"]}}
    url = await raw_server(web.json_response(body, status=422))
    with pytest.raises(WhiteBitValidationError) as caught:
        await WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, url).main_balances()
    assert caught.value.errors == {"ticker": ["validation.string"]}


async def test_timeout(session: ClientSession, raw_server: RawServer) -> None:
    """A server that does not answer in time is a connection error."""

    async def slow() -> web.Response:
        await asyncio.sleep(1)
        return web.json_response({})

    url = await raw_server(slow)
    client = WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, url, timeout=0.05)
    with pytest.raises(WhiteBitConnectionError, match="Timed out"):
        await client.main_balances()


async def test_connection_refused(session: ClientSession, closed_url: str) -> None:
    """Nothing listening is a connection error that names no secret."""
    client = WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, closed_url)
    with pytest.raises(WhiteBitConnectionError) as caught:
        await client.main_balances()
    assert DEMO_SECRET not in str(caught.value)


@pytest.mark.parametrize(
    "amount",
    [
        "-1",
        "NaN",
        "Infinity",
        "1e5",
        "1E-8",
        " 1",
        "1.",
        ".5",
        "0x10",
        "1" * 41,
        "1." + "0" * 41,
        "",
    ],
)
def test_amounts_that_are_not_plain_decimals(amount: str) -> None:
    """Only plain decimal strings are balances; anything else names the ticker."""
    with pytest.raises(WhiteBitResponseError, match="BTC") as caught:
        parse_main_balances({"BTC": {"main_balance": amount}})
    # Diagnostics keep amounts out, and errors reach them through last_exception.
    assert not amount or amount not in str(caught.value)


def test_long_exact_amounts_are_kept() -> None:
    """40 digits either side of the point survive without rounding."""
    amount = "9" * 40 + "." + "1" * 40
    assert str(parse_main_balances({"X": {"main_balance": amount}})["X"]) == amount


def test_key_fingerprint_hides_the_key() -> None:
    """The fingerprint is stable and does not contain the key."""
    assert key_fingerprint(DEMO_KEY) == key_fingerprint(DEMO_KEY)
    assert DEMO_KEY not in key_fingerprint(DEMO_KEY)
    assert key_fingerprint(DEMO_KEY) != key_fingerprint(DEMO_KEY + "x")


async def test_trade_balances(session: ClientSession, sim_url: str) -> None:
    """One signed request; available and frozen amounts parse exactly; total adds them."""
    client = WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, sim_url)
    balances = await client.trade_balances()
    assert balances["BTC"] == TradeBalance(Decimal("0.1"), Decimal("0.02"))
    assert balances["BTC"].total == Decimal("0.12")
    assert set(balances) == {"BTC", "SOL", "TON", "USDT"}
    # An identical answer is not parsed again; the result is read-only.
    assert await client.trade_balances() is balances
    with pytest.raises(TypeError):
        balances["BTC"] = TradeBalance(Decimal(0), Decimal(0))  # type: ignore[index]


@pytest.mark.parametrize(
    ("answer", "fragment"),
    [
        ([], "list where balances were expected"),
        ({"BTC": {"available": "1"}}, "no available/freeze for BTC"),
        ({"BTC": {"available": "1", "freeze": -1}}, "invalid amount for BTC: int"),
        ({"BTC": {"available": "1e3", "freeze": "0"}}, "not a plain decimal"),
    ],
)
def test_trade_balances_refuse_other_shapes(answer: object, fragment: str) -> None:
    """The trade answer is held to the same standard as the main one."""
    with pytest.raises(WhiteBitResponseError, match=fragment):
        parse_trade_balances(answer)


def test_markets_parse_and_skip_what_is_not_a_market() -> None:
    """Good markets are kept; a malformed one is left out instead of failing the rest."""
    good = {"last_price": "9164.09", "isFrozen": False, "base_id": 1, "quote_id": 825}
    markets = parse_markets(
        {
            "BTC_USDT": good,
            "SOL_USDT": {**good, "last_price": "140.2", "isFrozen": True},
            "NOUNDERSCORE": good,
            "A_B_C": good,
            "_USDT": good,
            "ETH_USDT": {**good, "last_price": "NaN"},
            "XRP_USDT": {**good, "last_price": 2.5},
            "TRX_USDT": {**good, "isFrozen": "no"},
            "LTC_USDT": ["not", "a", "dict"],
        }
    )
    assert markets == {
        "BTC_USDT": Market("BTC", "USDT", Decimal("9164.09"), frozen=False),
        "SOL_USDT": Market("SOL", "USDT", Decimal("140.2"), frozen=True),
    }
    with pytest.raises(WhiteBitResponseError, match="list where markets were expected"):
        parse_markets([])


async def test_public_ticker_is_unsigned(socket_enabled: None, session: ClientSession) -> None:
    """The public ticker is a GET that carries neither the key nor a signature."""
    seen: list[web.Request] = []
    app = web.Application()

    async def ticker(request: web.Request) -> web.Response:
        seen.append(request)
        return web.json_response({"BTC_USDT": {"last_price": "1", "isFrozen": False}})

    app.router.add_get(PUBLIC_TICKER_PATH, ticker)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        url = str(server.make_url("")).rstrip("/")
        client = WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, url)
        markets = await client.markets()
    finally:
        await server.close()
    assert markets["BTC_USDT"].last_price == Decimal(1)
    assert [request.method for request in seen] == ["GET"]
    assert not {h.lower() for h in seen[0].headers} & {"x-txc-apikey", "x-txc-signature"}
