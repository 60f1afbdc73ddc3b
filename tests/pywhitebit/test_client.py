"""The client against the simulator and raw servers: requests, answers and typed errors."""

from __future__ import annotations

import asyncio
from decimal import Decimal
import logging
import time
from typing import TYPE_CHECKING

from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer
import pytest

from custom_components.whitebit.pywhitebit.client import PUBLIC_TICKER_PATH, WhiteBitClient
from custom_components.whitebit.pywhitebit.errors import (
    WhiteBitAuthenticationError,
    WhiteBitClockError,
    WhiteBitConnectionError,
    WhiteBitError,
    WhiteBitPermissionError,
    WhiteBitRateLimitError,
    WhiteBitRedirectError,
    WhiteBitRequestError,
    WhiteBitResponseError,
)
from custom_components.whitebit.pywhitebit.models import TradeBalance
from custom_components.whitebit.pywhitebit.responses import DEFAULT_RETRY_AFTER
from simulator import DEMO_BALANCES, DEMO_KEY, DEMO_SECRET

from .conftest import RawServer, Serve

if TYPE_CHECKING:
    from simulator import WhiteBitSimulator


async def test_balances_are_exact_decimals(
    session: ClientSession, sim_url: str, simulator: WhiteBitSimulator
) -> None:
    """Every listed currency comes back, as the exact Decimal of its string.

    24 significant digits: more than a float holds.
    """
    simulator.accounts[DEMO_KEY].balances["DOGE"] = "12345.123456789012345678"
    client = WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, sim_url + "/")
    balances = (await client.main_balances()).amounts
    assert balances["DOGE"] == Decimal("12345.123456789012345678")
    expected = {**DEMO_BALANCES, "DOGE": "12345.123456789012345678"}
    assert {ticker: str(balances[ticker]) for ticker in DEMO_BALANCES} == expected
    assert client.base_url == sim_url
    assert DEMO_SECRET not in repr(client)


async def test_concurrent_requests_and_shared_keys_all_succeed(
    session: ClientSession, sim_url: str, simulator: WhiteBitSimulator
) -> None:
    """Two clients sharing a key, racing, never send a nonce WhiteBIT refuses."""
    first = WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, sim_url)
    second = WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, sim_url)
    await asyncio.gather(*(client.main_balances() for client in [first, second] * 25))
    assert simulator.stats.statuses == {200: 50}


async def test_clock_an_hour_back_is_corrected_in_the_same_call(
    session: ClientSession, sim_url: str, simulator: WhiteBitSimulator
) -> None:
    """A fresh client (a restart) with its clock an hour behind WhiteBIT's: the first call works.

    The refusal's Date header gives WhiteBIT's time; the client asks again at once on it.
    """
    client = WhiteBitClient(
        session, DEMO_KEY, DEMO_SECRET, sim_url, clock=lambda: time.time() - 3600
    )
    balances = await client.main_balances()
    assert balances.amounts["BTC"] == Decimal("0.51234567")
    assert simulator.stats.statuses == {422: 1, 200: 1}
    assert client.clock_skew == pytest.approx(3600, abs=2)
    await client.main_balances()
    assert simulator.stats.statuses == {422: 1, 200: 2}


async def test_clock_off_without_a_date_header_is_a_clock_error(
    session: ClientSession, raw_server: RawServer
) -> None:
    """Refused for its time, with no Date to correct by: a typed error, not a retry loop."""
    answer = web.json_response(
        {"code": 0, "message": "Your nonce is more than 5 seconds lesser than the current nonce"},
        status=422,
    )
    answer.headers["Date"] = "not a date"
    url = await raw_server(answer)
    with pytest.raises(WhiteBitClockError) as caught:
        await WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, url).main_balances()
    assert caught.value.skew is None


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (401, {"code": 10, "message": "Unauthorized request."}, WhiteBitAuthenticationError),
        (
            401,
            {"code": 2, "message": "This action is unauthorized. Enable your key in API settings"},
            WhiteBitAuthenticationError,
        ),
        # Classified by the exact text even when the status is not the documented one.
        (400, {"code": 10, "message": "Unauthorized request."}, WhiteBitAuthenticationError),
        # Code 10 is not only authentication: elsewhere it means a market or a balance.
        (422, {"code": 10, "message": "Market not found or disabled"}, WhiteBitRequestError),
        (200, {"code": 10, "message": "Not enough balance."}, WhiteBitResponseError),
        (400, {"code": 9, "message": "Invalid payload."}, WhiteBitRequestError),
        (400, {"code": 0, "message": "Inner validation failed"}, WhiteBitRequestError),
        (
            403,
            {"message": "You don't have permission to use this endpoint..."},
            WhiteBitPermissionError,
        ),
        (429, {"code": 0, "errors": {}, "message": "Too many requests."}, WhiteBitRateLimitError),
        (
            422,
            {"code": 0, "message": "Validation failed", "errors": {"ticker": ["x"]}},
            WhiteBitRequestError,
        ),
        (500, {"message": "Internal"}, WhiteBitConnectionError),
        (404, {"message": "Not found"}, WhiteBitConnectionError),
        (200, ["BTC"], WhiteBitResponseError),
        (200, None, WhiteBitResponseError),
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
        # A CDN's block page says nothing about the key: a transient fault, not "no permission".
        (403, "<html><body>Access denied</body></html>", WhiteBitConnectionError),
        (403, "", WhiteBitConnectionError),
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
    [
        (None, DEFAULT_RETRY_AFTER),
        ("3", 3.0),
        ("0", 1.0),
        ("99999999", 300.0),
        ("soon", DEFAULT_RETRY_AFTER),
        ("-5", DEFAULT_RETRY_AFTER),
        ("nan", DEFAULT_RETRY_AFTER),
        ("inf", DEFAULT_RETRY_AFTER),
        ("1e400", DEFAULT_RETRY_AFTER),
    ],
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
    with pytest.raises(WhiteBitRequestError) as caught:
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


async def test_trade_balances(session: ClientSession, sim_url: str) -> None:
    """One signed request; available and frozen amounts parse exactly; total adds them."""
    client = WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, sim_url)
    balances = (await client.trade_balances()).amounts
    assert balances["BTC"] == TradeBalance(Decimal("0.1"), Decimal("0.02"))
    assert balances["BTC"].total == Decimal("0.12")
    assert set(balances) == {"BTC", "SOL", "TON", "USDT"}
    with pytest.raises(TypeError):  # read-only
        balances["BTC"] = TradeBalance(Decimal(0), Decimal(0))  # type: ignore[index]


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


async def test_a_date_years_off_is_not_a_clock(
    session: ClientSession, raw_server: RawServer
) -> None:
    """A Date header decades away is a broken server, not WhiteBIT's time: nonces ignore it."""
    answer = web.json_response({"BTC": {"main_balance": "1"}})
    answer.headers["Date"] = "Mon, 01 Jan 1990 00:00:00 GMT"
    client = WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, await raw_server(answer))
    await client.main_balances()
    assert client.clock_skew is None


def _client(session: ClientSession, url: str) -> WhiteBitClient:
    return WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, url, timeout=5)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_a_redirect_is_never_followed(
    session: ClientSession, serve: Serve, status: int
) -> None:
    """The signed request stays with the configured server; the sink receives nothing."""
    received: list[dict[str, str]] = []

    async def sink(request: web.Request) -> web.Response:
        received.append(dict(request.headers))
        return web.json_response({"BTC": {"main_balance": "1"}})

    sink_url = await serve(sink)

    async def redirect(_request: web.Request) -> web.Response:
        return web.Response(status=status, headers={"Location": f"{sink_url}/steal?x=" + "y" * 500})

    client = _client(session, await serve(redirect))
    with pytest.raises(WhiteBitRedirectError) as caught:
        await client.main_balances()
    with pytest.raises(WhiteBitRedirectError):
        await client.markets()
    assert received == []
    # The error names the status, not where the server pointed.
    assert str(status) in str(caught.value)
    assert "steal" not in str(caught.value)


async def test_connection_errors_quote_no_more_than_a_line(
    session: ClientSession, serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    """Aiohttp's own texts quote what the server sent; they are escaped and bounded too."""

    async def header_bomb(request: web.Request) -> web.StreamResponse:
        transport = request.transport
        assert transport is not None
        transport.write(b"HTTP/1.1 200 OK\r\nX-A: " + b"\x1b" * 60_000 + b"\r\n\r\n")
        transport.close()
        return web.Response()

    caplog.set_level(logging.DEBUG)
    with pytest.raises(WhiteBitConnectionError) as caught:
        await _client(session, await serve(header_bomb)).main_balances()
    assert len(str(caught.value)) < 400
    assert str(caught.value).isprintable()
