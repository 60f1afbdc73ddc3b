"""Sub-accounts as a caller of the package sees them: the simulator, then servers that misbehave.

Every bound is shown from outside: requests a server received, the error a caller gets, the
alias a device would be named by, the memory a hostile answer costs.
"""

from collections.abc import Callable
from decimal import Decimal
import json
from pathlib import Path
import tracemalloc

from aiohttp import ClientSession, web
import pytest

from custom_components.whitebit.pywhitebit import (
    MAX_SUBACCOUNTS,
    SubAccount,
    SubAccountBalance,
    WhiteBitClient,
    WhiteBitError,
    WhiteBitRedirectError,
    WhiteBitResponseError,
    WhiteBitSubAccountInactiveError,
    WhiteBitSubAccountNotConfirmedError,
    WhiteBitSubAccountNotFoundError,
    WhiteBitSubAccountPermissionError,
    WhiteBitTooLargeError,
)
from custom_components.whitebit.pywhitebit.errors import WhiteBitRequestError
from custom_components.whitebit.pywhitebit.parse import MAX_CURRENCIES
from custom_components.whitebit.pywhitebit.subaccounts import (
    BALANCES_PATH,
    LIST_PATH,
    MAX_ALIAS,
    MAX_PAGE_BYTES,
    MAX_PAGES,
    SubAccountPages,
    parse_sub_account_balances,
)
from simulator import DEMO_KEY, DEMO_SECRET, DEMO_SUBACCOUNTS, WhiteBitSimulator

from .conftest import RawServer, Serve

FIXTURES = Path(__file__).parent.parent / "fixtures"
# A page's records, from the offset asked for.
type Pages = Callable[[int], list[object]]


def _fixture(name: str) -> object:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def _record(sub_id: object, alias: object = "bot", **fields: object) -> dict[str, object]:
    return {"id": sub_id, "alias": alias, "email": "s***@example.com", "status": "active", **fields}


class _ListServer:
    """A loopback server answering the list with pages; it records each offset asked for."""

    def __init__(self, pages: Pages, limit: object = 100) -> None:
        self.pages = pages
        self.limit = limit
        self.offsets: list[int] = []

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        assert request.path == LIST_PATH
        assert body["limit"] == 100
        self.offsets.append(body["offset"])
        page = {"offset": body["offset"], "limit": self.limit, "data": self.pages(body["offset"])}
        return web.json_response(page)


async def _read(session: ClientSession, serve: Serve, server: _ListServer) -> object:
    """The sub-accounts as the client reads them from `server`, or the error it raises."""
    client = WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, await serve(server.handle))
    try:
        return await client.sub_accounts()
    except WhiteBitError as err:
        return err


def test_documented_examples_are_read_and_the_email_is_not_kept() -> None:
    """WhiteBIT's documented record and balances answer, as the parsers read them."""
    pages = SubAccountPages()
    assert not pages.add(_fixture("subaccount_list.json"))
    result = pages.result()
    assert result.accounts == (
        SubAccount(
            "8e667b4a-0b71-4988-8af5-9474dbfaeb51",
            "trading_bot",
            "active",
            spot_enabled=True,
            collateral_enabled=False,
        ),
    )
    assert not result.truncated
    account = result.accounts[0]
    assert account.active
    assert account.name == "trading_bot"
    # Personal data the integration does not need is gone as soon as it is read.
    assert "example.com" not in repr(result)
    assert "u-12345" not in repr(result)
    assert "verified" not in repr(result)
    balances = parse_sub_account_balances(_fixture("subaccount_balances.json"))
    usdc = balances.amounts["USDC"]
    assert usdc == SubAccountBalance(Decimal(42), Decimal(10), Decimal(14))
    assert usdc.total == Decimal(66)


async def test_the_demo_sub_accounts_and_their_balances(
    session: ClientSession, sim_url: str
) -> None:
    """The simulator's two: one list request, one balances request each, exact figures."""
    client = WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, sim_url)
    result = await client.sub_accounts()
    assert [account.name for account in result.accounts] == ["Savings", "Trading bot"]
    assert not result.truncated
    assert [a.collateral_enabled for a in result.accounts] == [False, True]
    savings = await client.sub_account_balances(str(DEMO_SUBACCOUNTS[0]["id"]))
    assert savings.amounts["BTC"] == SubAccountBalance(Decimal("0.25"), Decimal(0), Decimal(0))
    bot = await client.sub_account_balances(result.accounts[1].id)
    assert bot.amounts["USDT"].total == Decimal("1050.5")
    assert not bot.invalid
    assert not bot.rejected


@pytest.mark.parametrize(
    ("count", "requests", "truncated"),
    [(99, 1, False), (100, 2, False), (150, 2, True)],
)
async def test_at_most_max_sub_accounts_are_followed(
    session: ClientSession,
    sim_url: str,
    simulator: WhiteBitSimulator,
    count: int,
    requests: int,
    truncated: bool,  # noqa: FBT001 - a parameter
) -> None:
    """Up to 100 followed, in WhiteBIT's order; past that the list says it was cut."""
    subaccounts = simulator.accounts[DEMO_KEY].subaccounts
    subaccounts.accounts.clear()
    for n in range(count):
        assert subaccounts.control({"id": f"sub-{n:03}", "alias": f"Sub {n}"}) is None
    client = WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, sim_url)
    result = await client.sub_accounts()
    assert len(result.accounts) == min(count, MAX_SUBACCOUNTS)
    assert result.accounts[-1].id == f"sub-{min(count, MAX_SUBACCOUNTS) - 1:03}"
    assert result.truncated is truncated
    assert simulator.stats.requests[LIST_PATH] == requests


async def test_deleted_blocked_renamed_and_unconfirmed(
    session: ClientSession, sim_url: str, simulator: WhiteBitSimulator
) -> None:
    """Each change at WhiteBIT, as the next read reports it."""
    subaccounts = simulator.accounts[DEMO_KEY].subaccounts
    savings, bot = (str(demo["id"]) for demo in DEMO_SUBACCOUNTS)
    client = WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, sim_url)
    subaccounts.control({"id": savings, "alias": "Rainy day"})
    subaccounts.control({"id": bot, "status": "blocked"})
    result = await client.sub_accounts()
    assert [(a.name, a.status, a.active) for a in result.accounts] == [
        ("Rainy day", "active", True),
        ("Trading bot", "blocked", False),
    ]
    subaccounts.refuse_blocked = True
    with pytest.raises(WhiteBitSubAccountInactiveError):
        await client.sub_account_balances(bot)
    subaccounts.control({"id": savings, "confirmed": False})
    with pytest.raises(WhiteBitSubAccountNotConfirmedError) as unconfirmed:
        await client.sub_account_balances(savings)
    assert unconfirmed.value.reason == "Account is not confirmed"
    subaccounts.control({"id": savings, "delete": True})
    with pytest.raises(WhiteBitSubAccountNotFoundError):
        await client.sub_account_balances(savings)
    assert [a.id for a in (await client.sub_accounts()).accounts] == [bot]


async def test_a_key_without_the_permission_is_named(
    session: ClientSession, sim_url: str, simulator: WhiteBitSimulator
) -> None:
    """WhiteBIT's 403 on either endpoint: the key may not read sub-accounts."""
    simulator.accounts[DEMO_KEY].permissions.clear()
    client = WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, sim_url)
    with pytest.raises(WhiteBitSubAccountPermissionError, match="permission"):
        await client.sub_accounts()
    with pytest.raises(WhiteBitSubAccountPermissionError):
        await client.sub_account_balances("8e667b4a-0b71-4988-8af5-9474dbfaeb51")


async def test_other_refusals_stay_plain_request_errors(raw_server: RawServer) -> None:
    """A 422 for something else (a ticker) is not passed off as the sub-account's state."""
    body = {"code": 30, "message": "Validation failed", "errors": {"ticker": ["x"]}}
    async with ClientSession() as session:
        url = await raw_server(web.json_response(body, status=422))
        client = WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, url)
        with pytest.raises(WhiteBitRequestError) as caught:
            await client.sub_account_balances("a")
    assert type(caught.value) is WhiteBitRequestError


async def test_a_list_that_never_ends_costs_two_requests(
    session: ClientSession, serve: Serve
) -> None:
    """Every page full of new sub-accounts: 100 followed, cut, after two requests."""
    server = _ListServer(lambda offset: [_record(f"s{offset + n}") for n in range(100)])
    result = await _read(session, serve, server)
    assert not isinstance(result, WhiteBitError)
    assert len(result.accounts) == MAX_SUBACCOUNTS
    assert result.truncated
    assert server.offsets == [0, 100]


async def test_short_full_pages_end_at_the_page_bound(session: ClientSession, serve: Serve) -> None:
    """A server that gives 5 a page and says its limit is 5: ten pages, then cut.

    Taking its own limit, the client does not stop at the first short page and pass the
    sixth sub-account off as deleted.
    """
    server = _ListServer(lambda offset: [_record(f"s{offset + n}") for n in range(5)], limit=5)
    result = await _read(session, serve, server)
    assert not isinstance(result, WhiteBitError)
    assert len(result.accounts) == 5 * MAX_PAGES
    assert result.truncated
    assert server.offsets == list(range(0, 50, 5))


async def test_a_server_ignoring_offset_costs_two_requests(
    session: ClientSession, serve: Serve
) -> None:
    """Page one again and again: the second brings nothing new, which ends the list."""
    server = _ListServer(lambda _offset: [_record(f"s{n}") for n in range(100)])
    result = await _read(session, serve, server)
    assert not isinstance(result, WhiteBitError)
    assert len(result.accounts) == 100
    assert not result.truncated
    assert server.offsets == [0, 100]


async def test_a_page_longer_than_its_limit_is_refused(
    session: ClientSession, serve: Serve
) -> None:
    """101 records on a page of 100, or 150,000 bare zeros: refused before any is read."""
    server = _ListServer(lambda _offset: [_record(f"s{n}") for n in range(101)])
    error = await _read(session, serve, server)
    assert isinstance(error, WhiteBitResponseError)
    assert str(error) == "WhiteBIT sent 101 sub-accounts on a page of 100: not read"
    zeros = _ListServer(lambda _offset: [0] * 150_000)
    error = await _read(session, serve, zeros)
    assert isinstance(error, WhiteBitResponseError)
    assert "150000 sub-accounts" in str(error)
    assert zeros.offsets == [0]


@pytest.mark.parametrize(
    "answer", [[_record("a")], {"records": [_record("a")]}, {"data": {"a": _record("a")}}, "x"]
)
async def test_a_list_answer_without_a_data_list_is_refused(
    raw_server: RawServer, answer: object
) -> None:
    """Not the documented {offset, limit, data: [...]}: refused, not read as no sub-accounts."""
    async with ClientSession() as session:
        url = await raw_server(web.json_response(answer))
        client = WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, url)
        with pytest.raises(WhiteBitResponseError, match="has no data list"):
            await client.sub_accounts()


@pytest.mark.parametrize(
    "odd",
    [0, None, "sub", [], {"alias": "no id"}]
    + [_record(bad) for bad in (None, "", 7, True, "x" * 129, "a b", "a\nb", "\u202eab", "é")],
    ids=lambda odd: repr(odd)[:40],
)
async def test_a_record_that_is_not_a_sub_account_refuses_the_list(
    session: ClientSession, serve: Serve, odd: object
) -> None:
    """Not an object, or no id that can name a device: refused whole, so none looks deleted."""
    server = _ListServer(lambda _offset: [_record("good"), odd])
    error = await _read(session, serve, server)
    assert isinstance(error, WhiteBitResponseError)
    assert "not a sub-account with an id" in str(error)


async def test_hostile_aliases_are_escaped_bounded_and_kept_apart(
    session: ClientSession, serve: Serve
) -> None:
    """Control characters, bidi overrides, 100 KB, none, duplicates: safe device names."""
    records = [
        _record("a", "\x1b[31mRed\nline"),
        _record("b", "\u202etxt.exe"),
        _record("c", "z" * 100_000),
        _record("d", "  "),
        _record("e", None),
        _record("f", "Twin"),
        _record("g", "Twin"),
        # The same id again, renamed: the first is kept, once.
        _record("a", "Impostor"),
        _record("h", "Bot", status=["active"], permissions={"spotEnabled": "yes"}),
    ]
    result = await _read(session, serve, _ListServer(lambda _offset: records))
    assert not isinstance(result, WhiteBitError)
    names = {account.id: account.name for account in result.accounts}
    assert names == {
        "a": "\\x1b[31mRed\\nline",
        "b": "\\u202etxt.exe",
        "c": "z" * MAX_ALIAS + "…",
        "d": "d",
        "e": "e",
        "f": "Twin",
        "g": "Twin",
        "h": "Bot",
    }
    odd = result.accounts[-1]
    assert (odd.status, odd.active, odd.spot_enabled) == ("", False, None)


async def test_a_megabyte_alias_is_refused_with_little_memory(
    session: ClientSession, serve: Serve
) -> None:
    """A page over MAX_PAGE_BYTES (a 1 MB alias) is not read at all."""
    page = {"offset": 0, "limit": 100, "data": [_record("a", "\u202e" * 1_000_000)]}
    body = json.dumps(page, ensure_ascii=False).encode()
    requests: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        requests.append(request.path)
        return web.Response(body=body, content_type="application/json")

    url = await serve(handler)
    tracemalloc.start()
    try:
        client = WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, url)
        with pytest.raises(WhiteBitTooLargeError) as caught:
            await client.sub_accounts()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert f"{MAX_PAGE_BYTES // 1024} KiB" in str(caught.value)
    assert requests == [LIST_PATH]
    assert peak < 8 * MAX_PAGE_BYTES, f"peak {peak / 2**20:.1f} MiB"


async def _balances(raw_server: RawServer, answer: web.Response) -> object:
    async with ClientSession() as session:
        client = WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, await raw_server(answer))
        try:
            return await client.sub_account_balances("a")
        except WhiteBitError as err:
            return err


async def test_balances_in_either_form_with_bad_entries_kept_apart(raw_server: RawServer) -> None:
    """A list of one or a bare object; a wrong entry spoils only its own currency."""
    entry = {"main": "1", "spot": "2", "collateral": "3"}
    answer = {
        "USDC": [entry],
        "USDT": entry,
        "BTC": [],
        "SOL": {"main": 1, "spot": 0.5, "collateral": 0},
        "ETH": [entry, entry],
        "DOGE": {"main": "-1", "spot": "0", "collateral": "0"},
        "XRP": {"main": "1e999", "spot": "0", "collateral": "0"},
        "TRX": {"main": "1" * 50, "spot": "0", "collateral": "0"},
        "LTC": {"main": "1", "spot": "1"},
        "TON": [7],
        "\u202eUSD": [entry],
        "A" * 1000: [entry],
    }
    balances = await _balances(raw_server, web.json_response(answer))
    assert not isinstance(balances, WhiteBitError)
    one = SubAccountBalance(Decimal(1), Decimal(2), Decimal(3))
    assert balances.amounts == {
        "USDC": one,
        "USDT": one,
        "SOL": SubAccountBalance(Decimal(1), Decimal("0.5"), Decimal(0)),
    }
    assert balances.invalid == {"ETH", "DOGE", "XRP", "TRX", "LTC", "TON"}
    assert balances.rejected == {"\\u202eUSD", "A" * 40 + "…"}


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (web.Response(body=b"{" + b" " * (1024 * 1024 + 1) + b"}"), WhiteBitTooLargeError),
        (web.Response(body=b'{"USDC": [{"main": "\xff\xfe"}]}'), WhiteBitResponseError),
        (web.json_response([{"USDC": "1"}]), WhiteBitResponseError),
        (
            web.json_response({f"C{n}": [] for n in range(MAX_CURRENCIES + 1)}),
            WhiteBitResponseError,
        ),
    ],
    ids=["huge", "invalid-bytes", "not-an-object", "too-many-currencies"],
)
async def test_balances_answers_that_are_refused(
    raw_server: RawServer, answer: web.Response, error: type[WhiteBitError]
) -> None:
    """Over 1 MiB, not UTF-8 JSON, not an object, more currencies than exist: refused whole."""
    assert isinstance(await _balances(raw_server, answer), error)


async def test_a_redirect_is_never_followed(session: ClientSession, serve: Serve) -> None:
    """Neither endpoint follows a redirect: the sink never sees the signed headers."""
    received: list[str] = []

    async def sink(request: web.Request) -> web.Response:
        received.append(request.path)
        return web.json_response({"data": []})

    sink_url = await serve(sink)

    async def redirect(_request: web.Request) -> web.Response:
        return web.Response(status=307, headers={"Location": f"{sink_url}/steal"})

    client = WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, await serve(redirect))
    with pytest.raises(WhiteBitRedirectError):
        await client.sub_accounts()
    with pytest.raises(WhiteBitRedirectError):
        await client.sub_account_balances("a")
    assert received == []


async def test_balances_ask_for_the_sub_account_by_id(session: ClientSession, serve: Serve) -> None:
    """The balances request names the sub-account, and only it."""
    bodies: list[dict[str, object]] = []

    async def handler(request: web.Request) -> web.Response:
        assert request.path == BALANCES_PATH
        bodies.append(await request.json())
        return web.json_response({})

    client = WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, await serve(handler))
    assert (await client.sub_account_balances("8e667b4a")).amounts == {}
    assert {k: v for k, v in bodies[0].items() if not k.startswith("nonce")} == {
        "request": BALANCES_PATH,
        "id": "8e667b4a",
    }
