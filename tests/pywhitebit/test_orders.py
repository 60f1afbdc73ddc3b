"""Executed orders, open orders and transfers: WhiteBIT's documented answers, and hostile ones.

The documented examples (tests/fixtures) read as a person expects; every bound holds against a
server that misbehaves: too many records, names that cannot be markets, ids that are not ids,
text meant for a log or a notification, a server that ignores `offset` or never ends.
"""

from collections.abc import Callable
from decimal import Decimal
import json
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, web
import pytest

from custom_components.whitebit.pywhitebit import (
    FILLED,
    PARTIALLY_FILLED,
    WhiteBitClient,
    WhiteBitResponseError,
    WhiteBitTooLargeError,
)
from custom_components.whitebit.pywhitebit.orders import (
    HISTORY_MAX_BYTES,
    MAX_CLIENT_ID,
    MAX_MARKETS,
    MAX_PAGES,
    PAGE,
    subscribed_markets,
)
from custom_components.whitebit.pywhitebit.transfers import COMPLETED, FAILED, PENDING
from simulator import DEMO_KEY, DEMO_SECRET, WhiteBitSimulator

from .conftest import Serve

FIXTURES = Path(__file__).parent.parent / "fixtures"


def _fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def _order(order_id: object, market: str = "BTC_USDT", **fields: object) -> dict[str, object]:
    """A history record (camelCase), filled, finished at `ftime`."""
    record: dict[str, object] = {
        "id": order_id,
        "side": "buy",
        "amount": "1",
        "price": "10",
        "dealStock": "1",
        "dealMoney": "10",
        "dealFee": "0.01",
        "status": "FILLED",
        "ftime": 2_000_000_000,
        "clientOrderId": "",
        "market": market,
    }
    record.update(fields)
    return record


def _grouped(records: list[dict[str, object]]) -> dict[str, list[dict[str, object]]]:
    grouped: dict[str, list[dict[str, object]]] = {}
    for record in records:
        grouped.setdefault(str(record.pop("market")), []).append(record)
    return grouped


class _Pages:
    """A loopback server answering every path with `page(offset)`; it counts requests."""

    def __init__(self, page: Callable[[int], object]) -> None:
        self.page = page
        self.requests = 0

    async def handler(self, request: web.Request) -> web.Response:
        self.requests += 1
        body = json.loads(await request.read())
        return web.json_response(self.page(body["offset"]))


async def _client(serve: Serve, session: ClientSession, pages: _Pages) -> WhiteBitClient:
    return WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, await serve(pages.handler))


async def test_documented_history_record_reads_as_a_partial_fill(
    serve: Serve, session: ClientSession
) -> None:
    """WhiteBIT's example: a CANCELED order with something executed is a partial fill."""
    pages = _Pages(lambda _offset: _fixture("order_history.json"))
    history = await (await _client(serve, session, pages)).executed_orders()
    (fill,) = history.fills
    assert (fill.order_id, fill.market, fill.side, fill.kind) == (
        4986126152,
        "BTC_USDT",
        "sell",
        PARTIALLY_FILLED,
    )
    assert (fill.amount, fill.price, fill.executed, fill.executed_money) == (
        Decimal("0.0009"),
        Decimal(40000),
        Decimal("0.0009"),
        Decimal("41.258268"),
    )
    assert (fill.fee, fill.fee_currency, fill.client_order_id) == (
        Decimal("0.041258268"),
        "USDT",
        "customId11",
    )
    assert history.markets == {"BTC_USDT"}
    assert pages.requests == 1


async def test_the_simulators_orders_transfers_and_open_markets(
    simulator: WhiteBitSimulator, sim_url: str, session: ClientSession
) -> None:
    """What the simulator serves reads back: fills newest first, open orders' markets, a deposit."""
    orders = simulator.accounts[DEMO_KEY].orders
    orders.fill({"market": "BTC_USDT", "side": "buy", "amount": "0.5", "price": "90000"})
    orders.fill(
        {"market": "ETH_USDT", "side": "sell", "amount": "2", "price": "3000", "executed": "1"}
    )
    orders.place({"market": "DOGE_USDT", "side": "buy", "amount": "100", "price": "0.1"})
    orders.transfer(1, {"ticker": "USDT", "amount": "250", "network": "TRC20"})
    client = WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, sim_url)
    history = await client.executed_orders()
    assert [(f.market, f.kind, f.executed) for f in history.fills] == [
        ("ETH_USDT", PARTIALLY_FILLED, Decimal(1)),
        ("BTC_USDT", FILLED, Decimal("0.5")),
    ]
    assert await client.open_order_markets() == {"DOGE_USDT"}
    (deposit,) = (await client.transfers()).transfers
    assert (deposit.kind, deposit.stage, deposit.currency, deposit.amount, deposit.network) == (
        "deposit",
        COMPLETED,
        "USDT",
        Decimal(250),
        "TRC20",
    )


async def test_a_history_page_past_its_bounds_is_refused_whole(
    serve: Serve, session: ClientSession
) -> None:
    """More records than asked for, or a market name that cannot be one: nothing is read."""
    too_many = _grouped([_order(i) for i in range(1, PAGE + 2)])
    for page in (too_many, {"BTC_USDT\n[ERROR] forged": [_order(1)]}, [], {"BTC_USDT": {}}):
        pages = _Pages(lambda _offset, page=page: page)
        with pytest.raises(WhiteBitResponseError):
            await (await _client(serve, session, pages)).executed_orders()


async def test_hostile_records_are_counted_and_text_escaped(
    serve: Serve, session: ClientSession
) -> None:
    """Ids that are not ids, sides that are not sides, negative figures: counted, not read."""
    page = _grouped(
        [
            _order(order_id=True),
            _order(1.5),
            _order(2, side=["buy"]),
            _order(3, side="long"),
            _order(4, dealMoney="-10"),
            _order(5, dealStock="0", status="CANCELED"),
            {key: value for key, value in _order(7).items() if key != "price"},
            _order(6, clientOrderId="\x1b[31mfree money\n" + "x" * 500, ftime="soon"),
            _order(6),
        ]
    )
    page["BTC_USDT"].append("not an order")  # type: ignore[arg-type]
    pages = _Pages(lambda _offset: page)
    history = await (await _client(serve, session, pages)).executed_orders()
    (fill,) = history.fills
    assert fill.order_id == 6
    assert "\x1b" not in fill.client_order_id
    assert "\n" not in fill.client_order_id
    assert len(fill.client_order_id) <= MAX_CLIENT_ID + 1
    assert history.invalid == 7
    assert fill.time is None


async def test_paging_stops_at_what_was_seen_and_at_its_bound(
    serve: Serve, session: ClientSession
) -> None:
    """Full pages newer than `since`: read on, MAX_PAGES at most; an ignored offset: twice."""
    endless = _Pages(lambda offset: _grouped([_order(offset + i + 1) for i in range(PAGE)]))
    history = await (await _client(serve, session, endless)).executed_orders(since=1.0)
    assert endless.requests == MAX_PAGES
    assert history.truncated
    assert len(history.fills) == MAX_PAGES * PAGE
    same = _Pages(lambda _offset: _grouped([_order(i + 1) for i in range(PAGE)]))
    await (await _client(serve, session, same)).executed_orders(since=1.0)
    assert same.requests == 2
    older = _Pages(lambda offset: _grouped([_order(offset + i + 1, ftime=5) for i in range(PAGE)]))
    await (await _client(serve, session, older)).executed_orders(since=10.0)
    assert older.requests == 1
    first_start = _Pages(endless.page)
    await (await _client(serve, session, first_start)).executed_orders()
    assert first_start.requests == 1


async def test_a_history_answer_past_its_byte_cap_is_not_read(
    serve: Serve, session: ClientSession
) -> None:
    """Half a megabyte of padding: refused before it is parsed."""
    padding = " " * (HISTORY_MAX_BYTES + 1)

    async def handler(_request: web.Request) -> web.Response:
        return web.Response(text="{}" + padding, content_type="application/json")

    client = WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, await serve(handler))
    for read in (client.executed_orders, client.open_order_markets, client.transfers):
        with pytest.raises(WhiteBitTooLargeError):
            await read()


async def test_open_orders_markets_are_checked(serve: Serve, session: ClientSession) -> None:
    """Only names that can be markets are followed; a page over PAGE orders is refused."""
    orders = [{"market": "BTC_USDT"}, {"market": "x y"}, {"market": 5}, "order"]
    pages = _Pages(lambda _offset: orders)
    assert await (await _client(serve, session, pages)).open_order_markets() == {"BTC_USDT"}
    pages.page = lambda _offset: [{"market": "BTC_USDT"}] * (PAGE + 1)
    with pytest.raises(WhiteBitResponseError):
        await (await _client(serve, session, pages)).open_order_markets()


def test_subscribed_markets_are_bounded() -> None:
    """At most MAX_MARKETS valid names, sorted, each once."""
    names = [f"C{i}_USDT" for i in range(MAX_MARKETS + 50)] + ["bad name", "BTC_USDT"] * 2
    markets = subscribed_markets(names)
    assert len(markets) == MAX_MARKETS
    assert list(markets) == sorted(markets)
    assert "bad name" not in markets


async def test_documented_transfer_and_its_stages(serve: Serve, session: ClientSession) -> None:
    """Status 15 is a pending deposit; 3 and 7 completed; 4 failed; a withdrawal's 18 completed."""
    documented = _fixture("main_history.json")
    pages = _Pages(lambda _offset: documented)
    (deposit,) = (await (await _client(serve, session, pages)).transfers()).transfers
    assert (deposit.key, deposit.stage, deposit.currency, deposit.amount) == (
        "deposit:5e112b38-9652-11ed-a1eb-0242ac120002",
        PENDING,
        "BTC",
        Decimal("0.0006"),
    )
    assert deposit.transaction_hash == documented["records"][0]["transactionHash"]
    assert deposit.network is None
    record = documented["records"][0]
    stages = [
        (1, 3, COMPLETED),
        (1, 7, COMPLETED),
        (1, 4, FAILED),
        (1, 22, FAILED),
        (1, 27, PENDING),
        (2, 18, COMPLETED),
        (2, 4, FAILED),
        (2, 12, PENDING),
    ]
    records = [
        {**record, "method": method, "status": status, "transaction_id": f"t{i}"}
        for i, (method, status, _) in enumerate(stages)
    ]
    pages.page = lambda _offset: {"records": records}
    read = (await (await _client(serve, session, pages)).transfers()).transfers
    assert [t.stage for t in read] == [stage for _, _, stage in stages]
    assert [t.kind for t in read][-1] == "withdrawal"


async def test_hostile_transfers(serve: Serve, session: ClientSession) -> None:
    """No id, no method, a name that is no currency: counted; text escaped; too many refused."""
    record = _fixture("main_history.json")["records"][0]
    records = [
        {**record, "transaction_id": None},
        {**record, "transaction_id": "a", "method": 3},
        {**record, "transaction_id": "b", "ticker": "BTC\u202e"},
        {**record, "transaction_id": "c", "status": "3"},
        {**record, "transaction_id": "d", "amount": "NaN"},
        ["not", "a", "record"],
        {**record, "transaction_id": "e", "network": "\x1b]0;x\x07" * 40, "unique_id": 7},
        {**record, "transaction_id": "e"},
    ]
    pages = _Pages(lambda _offset: {"records": records})
    history = await (await _client(serve, session, pages)).transfers()
    (transfer,) = history.transfers
    assert history.invalid == 6
    assert transfer.network is not None
    assert "\x1b" not in transfer.network
    assert len(transfer.network) <= 33
    pages.page = lambda _offset: {"records": [record] * (PAGE + 1)}
    with pytest.raises(WhiteBitResponseError):
        await (await _client(serve, session, pages)).transfers()
    pages.page = lambda _offset: {"records": {"a": 1}}
    with pytest.raises(WhiteBitResponseError):
        await (await _client(serve, session, pages)).transfers()


async def test_transfer_paging_goes_back_to_since(serve: Serve, session: ClientSession) -> None:
    """Full pages of transfers newer than `since`: read on, MAX_PAGES at most."""
    record = _fixture("main_history.json")["records"][0]

    def page(offset: int) -> object:
        return {
            "records": [
                {**record, "transaction_id": f"t{offset + i}", "createdAt": 2_000_000_000}
                for i in range(PAGE)
            ]
        }

    pages = _Pages(page)
    history = await (await _client(serve, session, pages)).transfers(since=1.0)
    assert (pages.requests, history.truncated) == (MAX_PAGES, True)
