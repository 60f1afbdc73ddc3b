"""The API client: signing, nonces, parsing and error classification."""

from __future__ import annotations

import asyncio
from decimal import Decimal
import gzip
import threading
import time
from typing import TYPE_CHECKING
import zlib

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
    WhiteBitRequestError,
    WhiteBitResponseError,
)
from custom_components.whitebit.pywhitebit.models import TradeBalance
from custom_components.whitebit.pywhitebit.responses import DEFAULT_RETRY_AFTER
from custom_components.whitebit.pywhitebit.signing import (
    _RecentNonces,
    encode_body,
    key_fingerprint,
    sign,
)
from simulator import DEMO_BALANCES, DEMO_KEY, DEMO_SECRET

from .conftest import Serve

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from simulator import WhiteBitSimulator

type RawServer = Callable[[web.Response | Callable[[], Awaitable[web.Response]]], Awaitable[str]]


@pytest.fixture
def raw_server(serve: Serve) -> RawServer:
    """Serve one fixed answer (or handler) at every path; return the base URL."""

    async def start(answer: web.Response | Callable[[], Awaitable[web.Response]]) -> str:
        async def handler(_request: web.Request) -> web.Response:
            return answer if isinstance(answer, web.Response) else await answer()

        return await serve(handler)

    return start


def test_signature_matches_the_documented_vector() -> None:
    """The issue's vector: the exact body bytes, payload and signature."""
    body = encode_body("/api/v4/trade-account/balance", 1700000000000)
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


def test_nonces_follow_the_clock_and_never_repeat_within_the_window() -> None:
    """The clock's reading, or the next free millisecond: unique within WhiteBIT's ±5 s window.

    A clock that steps back is followed, not outrun: following a stale, far-ahead nonce would
    push every later one out of the window for as long as the clock had been wrong.
    """
    nonces = _RecentNonces()
    times = [1_000_000, 1_000_000, 999_000, 1_000_500, 2_000_000, 1_000_000, 1_000_000]
    issued = [nonces.next("key", now) for now in times]
    assert issued == [1_000_000, 1_000_001, 999_000, 1_000_500, 2_000_000, 1_000_002, 1_000_003]


def test_nonces_are_per_key() -> None:
    """Another key has its own sequence and does not push this key's forward."""
    nonces = _RecentNonces()
    assert [nonces.next("a", 5000), nonces.next("b", 5000), nonces.next("a", 5000)] == [
        5000,
        5000,
        5001,
    ]


def test_nonces_are_unique_across_threads() -> None:
    """The registry is shared process-wide, so it must hold under threads too."""
    nonces = _RecentNonces()
    issued: list[list[int]] = [[] for _ in range(4)]

    def take(out: list[int]) -> None:
        out.extend(nonces.next("key", 1000) for _ in range(60))

    threads = [threading.Thread(target=take, args=(out,)) for out in issued]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [nonce for out in issued for nonce in out]
    # 240 in one millisecond: more than a poll signs in minutes, and every one different.
    assert len(set(everything)) == 240


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


def test_key_fingerprint_hides_the_key() -> None:
    """The fingerprint is stable and does not contain the key."""
    assert key_fingerprint(DEMO_KEY) == key_fingerprint(DEMO_KEY)
    assert DEMO_KEY not in key_fingerprint(DEMO_KEY)
    assert key_fingerprint(DEMO_KEY) != key_fingerprint(DEMO_KEY + "x")


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


@pytest.mark.parametrize(
    ("encoding", "pack"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("identity", lambda body: body),
    ],
)
async def test_compressed_answers_are_read(
    session: ClientSession,
    raw_server: RawServer,
    encoding: str,
    pack: Callable[[bytes], bytes],
) -> None:
    """Gzip and deflate, the encodings the client asks for, are inflated (by the client)."""
    url = await raw_server(
        web.Response(
            body=pack(b'{"BTC":{"main_balance":"0.5"}}'),
            headers={"Content-Encoding": encoding, "Content-Type": "application/json"},
        )
    )
    balances = await WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, url).main_balances()
    assert balances.amounts == {"BTC": Decimal("0.5")}


@pytest.mark.parametrize(
    ("encoding", "body", "message"),
    [
        ("gzip", b"\x1f\x8b not gzip at all", "not the compressed data it said"),
        ("br", b"\x0b\x02\x80{}\x03", "an encoding it was not asked for: br"),
    ],
)
async def test_compressed_answers_that_are_not(
    session: ClientSession, raw_server: RawServer, encoding: str, body: bytes, message: str
) -> None:
    """Broken gzip, or an encoding the client never asked for: a typed error."""
    url = await raw_server(web.Response(body=body, headers={"Content-Encoding": encoding}))
    with pytest.raises(WhiteBitResponseError, match=message):
        await WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, url).main_balances()
