"""Earn pages from servers that misbehave: every bound the client keeps, as a caller sees it.

Each case was seen on loopback before the fix: a page of two million bare zeros (1.6 GB and
76 s a poll), records that were not objects counted as empty holdings, a flex record without a
status counted as active, a fixed status "1" skipped, a server ignoring `offset` read ten times.
"""

from collections.abc import Callable
from decimal import Decimal
import json
import time
import tracemalloc

from aiohttp import ClientSession, web
import pytest

from custom_components.whitebit.pywhitebit.client import WhiteBitClient
from custom_components.whitebit.pywhitebit.earn import (
    FIXED,
    FIXED_PATH,
    FLEX,
    FLEX_PATH,
    MAX_PAGE_BYTES,
    Investments,
    sum_holdings,
)
from custom_components.whitebit.pywhitebit.errors import (
    WhiteBitEarnPermissionError,
    WhiteBitError,
    WhiteBitResponseError,
    WhiteBitTooLargeError,
)
from simulator import DEMO_KEY, DEMO_SECRET

from .conftest import Serve

# A page's answer, from the offset asked for.
type Pages = Callable[[int], bytes]


def _flex(record_id: object, invested: object = "1", **fields: object) -> dict[str, object]:
    return {"id": record_id, "currency": "USDT", "invested": invested, "status": 1, **fields}


def _fixed(record_id: object, amount: object = "1", **fields: object) -> dict[str, object]:
    return {"id": record_id, "plan": {"ticker": "BTC"}, "status": 1, "amount": amount, **fields}


def _page(key: str, records: list[object]) -> bytes:
    return json.dumps({key: records, "limit": 100, "offset": 0}).encode()


def _empty(key: str) -> Pages:
    return lambda _offset: _page(key, [])


class _Server:
    """A loopback server answering the two Earn paths with pages; it counts requests."""

    def __init__(self, flex: Pages, fixed: Pages | None = None, *, chunked: bool = False) -> None:
        self.pages = {FLEX_PATH: flex, FIXED_PATH: fixed or _empty("records")}
        self.chunked = chunked
        self.requests: list[tuple[str, int]] = []

    async def handle(self, request: web.Request) -> web.StreamResponse:
        offset = (await request.json())["offset"]
        self.requests.append((request.path, offset))
        body = self.pages[request.path](offset)
        if not self.chunked:
            return web.Response(body=body, content_type="application/json")
        # No Content-Length: the client must count what it reads.
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        for start in range(0, len(body), 2**16):
            await response.write(body[start : start + 2**16])
        await response.write_eof()
        return response


async def _earn(session: ClientSession, serve: Serve, server: _Server) -> Decimal | WhiteBitError:
    """USDT in Earn as the client reads it from `server`, or the error it raises."""
    client = WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, await serve(server.handle))
    try:
        balances = await client.earn_balances()
    except WhiteBitError as err:
        return err
    assert not balances.invalid
    return balances.amounts.get("USDT", Decimal(0))


def test_documented_pages_are_read() -> None:
    """WhiteBIT's documented examples: flex `data[].invested`, fixed `records[].amount`."""
    flex = Investments(FLEX)
    more = flex.add(
        {
            "data": [
                {
                    "id": "inv_7e2d9c3b-1a4b-4c2d-9e5f-6a7b8c9d0e1f",
                    "planId": "8f2e9d3c-1a4b-4c2d-9e5f-6a7b8c9d0e1f",
                    "currency": "USDT",
                    "invested": "1500.75",
                    "withAutoReinvest": True,
                    "status": 1,
                    "createdAt": 1640995200,
                    "updatedAt": 1641081600,
                }
            ],
            "limit": 100,
            "offset": 0,
        }
    )
    assert not more
    assert flex.params() == {"investmentStatus": 1, "limit": 100, "offset": 100}
    fixed = Investments(FIXED)
    fixed.add(
        {
            "offset": 0,
            "limit": 100,
            "records": [
                {
                    "id": "0d7b66ff-1909-4938-ab7a-d16d9a64dcd5",
                    "plan": {"id": "8e66", "ticker": "USDT", "status": 1, "percent": "10"},
                    "status": 1,
                    "created": 1646825196,
                    "amount": "100",
                    "interestPaid": "0",
                },
                {"id": "closed", "plan": {"ticker": "BTC"}, "status": 2, "amount": "5"},
            ],
        }
    )
    balances = sum_holdings(flex.holdings + fixed.holdings)
    assert balances.amounts == {"USDT": Decimal("1600.75")}


@pytest.mark.parametrize("chunked", [False, True], ids=["announced", "streamed"])
async def test_the_earn_bomb_costs_one_request_and_little_memory(
    session: ClientSession,
    serve: Serve,
    chunked: bool,  # noqa: FBT001 - a parameter
) -> None:
    """Ten flex pages of two million bare zeros, each just under 4 MiB: one request, refused.

    Before the fix one poll read all ten: 1.6 GB traced, 76 s of CPU.
    """
    bomb = b'{"data":[' + b",".join([b"0"] * 2_090_000) + b'],"limit":100,"offset":0}'
    assert len(bomb) < 4 * 2**20
    server = _Server(lambda _offset: bomb, chunked=chunked)
    started = time.perf_counter()
    tracemalloc.start()
    try:
        error = await _earn(session, serve, server)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert isinstance(error, WhiteBitTooLargeError)
    assert "512 KiB" in str(error)
    assert server.requests == [(FLEX_PATH, 0)]
    assert peak < 4 * MAX_PAGE_BYTES, f"peak {peak / 2**20:.1f} MiB"
    assert time.perf_counter() - started < 5


async def test_a_page_longer_than_its_limit_is_refused_before_it_is_read(
    session: ClientSession, serve: Serve
) -> None:
    """Bare zeros just under the page bound, then 101 good records: refused at the first page."""
    zeros = b'{"data":[' + b",".join([b"0"] * 260_000) + b"]}"
    assert len(zeros) < MAX_PAGE_BYTES
    server = _Server(lambda _offset: zeros)
    tracemalloc.start()
    try:
        error = await _earn(session, serve, server)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert isinstance(error, WhiteBitResponseError)
    assert str(error) == "WhiteBIT sent 260000 investments on a page of 100: not read"
    assert server.requests == [(FLEX_PATH, 0)]
    assert peak < 16 * 2**20, f"peak {peak / 2**20:.1f} MiB"

    server = _Server(lambda _offset: _page("data", [_flex(n) for n in range(101)]))
    error = await _earn(session, serve, server)
    assert isinstance(error, WhiteBitResponseError)
    assert "101 investments on a page of 100" in str(error)


@pytest.mark.parametrize(
    "odd",
    [0, None, "USDT", [], ["id", 1], {"currency": "USDT", "invested": "5", "status": 1}]
    + [_flex(bad) for bad in (None, "", "x" * 129, True, 1.5, ["a"], {"id": 1})],
    ids=lambda odd: repr(odd)[:40],
)
async def test_a_record_that_is_not_an_investment_makes_earn_unknown(
    session: ClientSession, serve: Serve, odd: object
) -> None:
    """A record that is not an object, or has no usable id: the page is refused, not summed.

    Before, each became an empty holding (or a record counted without an id) and the sum of
    the rest passed for the whole.
    """
    flex = _Server(lambda _offset: _page("data", [_flex("a", "5"), odd]))
    fixed = _Server(_empty("data"), lambda _offset: _page("records", [_fixed("a"), odd]))
    for server in (flex, fixed):
        error = await _earn(session, serve, server)
        assert isinstance(error, WhiteBitResponseError)
        assert "not an investment with an id" in str(error)


@pytest.mark.parametrize(
    ("status", "counted"),
    [(1, True), ("1", True), (True, False), (1.0, False), (2, False), (0, False), ("x", False)],
)
async def test_only_status_1_is_active_in_either_form(
    session: ClientSession,
    serve: Serve,
    status: object,
    counted: bool,  # noqa: FBT001
) -> None:
    """1 and "1" are active, in both lists; True (== 1 in Python), 1.0 and others are not."""
    fixed = {**_fixed("x", "2"), "plan": {"ticker": "USDT"}, "status": status}
    server = _Server(
        lambda _o: _page("data", [_flex("f", "5", status=status)]),
        lambda _o: _page("records", [fixed]),
    )
    assert await _earn(session, serve, server) == (Decimal(7) if counted else Decimal(0))


async def test_a_flex_record_without_a_status_is_not_active(
    session: ClientSession, serve: Serve
) -> None:
    """Asked for active investments, a record that does not say it is one is not counted."""
    record = _flex("f", "5")
    del record["status"]
    server = _Server(lambda _o: _page("data", [record, _flex("g", "1")]))
    assert await _earn(session, serve, server) == Decimal(1)


async def test_a_server_ignoring_offset_costs_two_requests_and_counts_once(
    session: ClientSession, serve: Serve
) -> None:
    """Page one again and again: 100 investments of 1 USDT read 100, after two requests."""
    page = _page("data", [_flex(f"inv_{n}") for n in range(100)])
    server = _Server(lambda _offset: page)
    assert await _earn(session, serve, server) == Decimal(100)
    assert server.requests == [(FLEX_PATH, 0), (FLEX_PATH, 100), (FIXED_PATH, 0)]


async def test_investments_count_once_by_id_across_pages(
    session: ClientSession, serve: Serve
) -> None:
    """A full page, then a short one repeating half of it and adding ten: 110 investments."""
    pages = {
        0: _page("data", [_flex(n) for n in range(100)]),
        100: _page("data", [_flex(n) for n in range(50, 110)] + [_flex(105)]),
    }
    server = _Server(pages.__getitem__)
    assert await _earn(session, serve, server) == Decimal(110)
    assert [offset for path, offset in server.requests if path == FLEX_PATH] == [0, 100]


async def test_a_thousand_distinct_investments_are_not_summed(
    session: ClientSession, serve: Serve
) -> None:
    """Ten full pages of new investments: more may follow, so no partial sum is given."""
    server = _Server(lambda offset: _page("data", [_flex(offset + n) for n in range(100)]))
    error = await _earn(session, serve, server)
    assert isinstance(error, WhiteBitResponseError)
    assert "1000 or more active investments" in str(error)
    assert len(server.requests) == 10


async def test_names_and_amounts_follow_the_balance_rules(
    session: ClientSession, serve: Serve
) -> None:
    """Bad amounts make their currency unknown, impossible names are reported escaped."""
    records = [
        _flex("a", "1"),
        {**_flex("b", "2"), "currency": "ETH"},
        {**_flex("c", "-1"), "currency": "ETH"},
        {**_flex("d", 1.5), "currency": "DOGE"},
        {**_flex("e", "1"), "currency": "\x1b[31mRED"},
        {**_flex("f", "1"), "currency": ["A"] * 1000},
        _flex("g", "0.1234567890123456789012345678901"),
    ]
    server = _Server(lambda _o: _page("data", records))
    client = WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, await serve(server.handle))
    balances = await client.earn_balances()
    # Exact: the default 28 digits would round this sum.
    assert balances.amounts == {"USDT": Decimal("1.1234567890123456789012345678901")}
    assert balances.invalid == {"ETH", "DOGE"}
    assert balances.rejected == {"\\x1b[31mRED", "(list)"}


async def test_no_lending_access_is_named(session: ClientSession, serve: Serve) -> None:
    """WhiteBIT's 403 on an Earn list is the lending access the key lacks."""

    async def refuse(_request: web.Request) -> web.Response:
        return web.json_response(
            {"code": 0, "message": "You don't have permission to use this endpoint."}, status=403
        )

    client = WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, await serve(refuse))
    with pytest.raises(WhiteBitEarnPermissionError):
        await client.earn_balances()
