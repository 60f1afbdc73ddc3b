"""The simulated account's orders, fills, deposits and withdrawals, to WhiteBIT's documented shapes.

REST: `/trade-account/order/history` (finished orders grouped by market, newest first, camelCase,
no total), `/orders` (open orders, a list), `/main-account/history` (`{limit, offset, total,
records}`, newest first). Stream: `ordersExecuted_subscribe [[markets], filter]` and
`deals_subscribe [[markets]]`; each fill is pushed at once, as WhiteBIT's "real-time" channels
are, to the connections subscribed to its market: `ordersExecuted_update` with the order in
snake_case and a numeric side, `deals_update` as an 11-element array. Control: `/_sim/order`
places an open order, `/_sim/fill` fills one (or a new one), `/_sim/deposit` and
`/_sim/withdrawal` add a transfer or move one to another status.
"""

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
import time
from typing import Any, Final, Protocol

ORDER_HISTORY_PATH: Final = "/api/v4/trade-account/order/history"
OPEN_ORDERS_PATH: Final = "/api/v4/orders"
TRANSFER_HISTORY_PATH: Final = "/api/v4/main-account/history"
ORDER_PATHS: Final = (ORDER_HISTORY_PATH, OPEN_ORDERS_PATH, TRANSFER_HISTORY_PATH)
RATE_LIMITS: Final = {
    ORDER_HISTORY_PATH: 12000,
    OPEN_ORDERS_PATH: 12000,
    TRANSFER_HISTORY_PATH: 200,
}
CONTROL_PATHS: Final = ("/_sim/order", "/_sim/fill", "/_sim/deposit", "/_sim/withdrawal")
ORDER_METHODS: Final = frozenset(
    {
        "ordersExecuted_subscribe",
        "ordersExecuted_unsubscribe",
        "deals_subscribe",
        "deals_unsubscribe",
    }
)
# Limits each list takes, as documented.
_MAX_LIMIT: Final = {ORDER_HISTORY_PATH: 500, OPEN_ORDERS_PATH: 100, TRANSFER_HISTORY_PATH: 500}
_FEE: Final = Decimal("0.001")
# A deposit's status codes: pending 15, successful 3; a withdrawal's: pending 1, successful 3.
_DEFAULT_STATUS: Final = {1: 3, 2: 3}


def _decimal(value: object) -> Decimal | None:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and amount >= 0 else None


@dataclass
class SimOrder:
    """One order: open until filled (whole, or in part and then cancelled)."""

    id: int
    market: str
    side: str
    amount: str
    price: str
    ctime: float
    client_order_id: str = ""
    executed: str = "0"
    status: str = "NEW"
    ftime: float | None = None

    @property
    def money(self) -> Decimal:
        """What executed, in the market's money."""
        return Decimal(self.executed) * Decimal(self.price)

    @property
    def fee(self) -> str:
        """A taker's 0.1 %, in money."""
        return str(self.money * _FEE)

    @property
    def left(self) -> str:
        """What was not executed."""
        return str(Decimal(self.amount) - Decimal(self.executed))

    def history(self) -> dict[str, Any]:
        """As /trade-account/order/history lists it (camelCase)."""
        return {
            "amount": self.amount,
            "price": self.price,
            "type": "limit",
            "id": self.id,
            "clientOrderId": self.client_order_id,
            "side": self.side,
            "ctime": self.ctime,
            "ftime": self.ftime,
            "dealFee": self.fee,
            "dealStock": self.executed,
            "dealMoney": str(self.money),
            "postOnly": False,
            "ioc": False,
            "status": self.status,
            "feeAsset": self.market.partition("_")[2],
            "rpi": False,
            "reduceOnly": False,
        }

    def open(self) -> dict[str, Any]:
        """As /orders lists an open order."""
        return {
            "orderId": self.id,
            "clientOrderId": self.client_order_id,
            "market": self.market,
            "side": self.side,
            "type": "limit",
            "timestamp": self.ctime,
            "dealMoney": str(self.money),
            "dealStock": self.executed,
            "amount": self.amount,
            "left": self.left,
            "dealFee": self.fee,
            "price": self.price,
            "postOnly": False,
            "ioc": False,
        }

    def executed_update(self) -> dict[str, Any]:
        """The ordersExecuted_update frame announcing it (snake_case, side 1 sell, 2 buy)."""
        record = {
            "id": self.id,
            "market": self.market,
            "type": 1,
            "side": 1 if self.side == "sell" else 2,
            "post_only": False,
            "ioc": False,
            "ctime": self.ctime,
            "mtime": self.ftime,
            "price": self.price,
            "amount": self.amount,
            "left": self.left,
            "deal_stock": self.executed,
            "deal_money": str(self.money),
            "deal_fee": self.fee,
            "client_order_id": self.client_order_id,
            "stp": "no",
            "status": "FILLED" if self.status == "FILLED" else "CANCELED",
            "position_side": "BOTH",
            "rpi": False,
            "retail": False,
            "reduce_only": False,
        }
        return {"id": None, "method": "ordersExecuted_update", "params": [record]}

    def deal_update(self, deal_id: int) -> dict[str, Any]:
        """The deals_update frame of its execution: an 11-element array."""
        params = [
            *(deal_id, self.ftime, self.market, self.id, self.price, self.executed, self.fee),
            *(
                self.client_order_id,
                1 if self.side == "sell" else 2,
                2,
                self.market.partition("_")[2],
            ),
        ]
        return {"id": None, "method": "deals_update", "params": params}


@dataclass
class SimTransfer:
    """One deposit (method 1) or withdrawal (method 2)."""

    id: str
    method: int
    ticker: str
    amount: str
    status: int
    created: int
    fee: str = "0"
    network: str | None = None
    transaction_hash: str = ""

    def record(self) -> dict[str, Any]:
        """As /main-account/history lists it."""
        return {
            "address": "3ApEASLcrQtZpg1TsssFgYF5V5YQJAKvuE",
            "unique_id": None,
            "createdAt": self.created,
            "currency": self.ticker,
            "ticker": self.ticker,
            "method": self.method,
            "amount": self.amount,
            "description": "",
            "memo": "",
            "fee": self.fee,
            "status": self.status,
            "network": self.network,
            "transactionHash": self.transaction_hash,
            "transaction_id": self.id,
            "details": {},
            "confirmations": {"actual": 2, "required": 2},
        }


@dataclass
class SimOrders:
    """An account's open and finished orders, and its transfers; newest first."""

    clock: Callable[[], float] = time.time
    open_orders: dict[int, SimOrder] = field(default_factory=dict)
    finished: list[SimOrder] = field(default_factory=list)
    transfers: list[SimTransfer] = field(default_factory=list)
    next_id: int = 4986126152
    deals: int = 0

    def place(self, data: Mapping[str, Any]) -> SimOrder | str:
        """A new open order: {market, side, amount, price, client_order_id?}; or the error."""
        market, side = data.get("market"), data.get("side", "buy")
        amount, price = _decimal(data.get("amount")), _decimal(data.get("price"))
        if not isinstance(market, str) or "_" not in market or side not in {"buy", "sell"}:
            return "market (BASE_QUOTE) and side (buy or sell) expected"
        if not amount or price is None:
            return "amount and price expected"
        order = SimOrder(
            self.next_id,
            market,
            side,
            str(amount),
            str(price),
            self.clock(),
            str(data.get("client_order_id", "")),
        )
        self.next_id += 1
        self.open_orders[order.id] = order
        return order

    def fill(self, data: Mapping[str, Any]) -> SimOrder | str:
        """Fill an open order ({order_id}) or a new one (as place); `executed` < amount: in part.

        A part-filled order is then cancelled (an IOC order, or the user's cancel).
        """
        if "order_id" in data:
            order = self.open_orders.get(data["order_id"])
            if order is None:
                return "no such open order"
        else:
            placed = self.place(data)
            if isinstance(placed, str):
                return placed
            order = placed
        executed = _decimal(data.get("executed", order.amount))
        if not executed or executed > Decimal(order.amount):
            return "executed must be above 0 and at most the amount"
        del self.open_orders[order.id]
        order.executed = str(executed)
        order.status = "FILLED" if executed == Decimal(order.amount) else "PARTIALLY_FILLED"
        order.ftime = self.clock()
        self.finished.insert(0, order)
        self.deals += 1
        return order

    def transfer(self, method: int, data: Mapping[str, Any]) -> SimTransfer | str:
        """Add a transfer {ticker, amount, status?, fee?, network?, id?}; move one {id, status}."""
        status = data.get("status", _DEFAULT_STATUS[method])
        if type(status) is not int:
            return "status must be an integer"
        known = next((t for t in self.transfers if t.id == data.get("id")), None)
        if known is not None:
            known.status = status
            return known
        ticker, amount = data.get("ticker"), _decimal(data.get("amount"))
        fee = _decimal(data.get("fee", "0"))
        if not isinstance(ticker, str) or not amount or fee is None:
            return "ticker and amount expected"
        transfer = SimTransfer(
            str(data.get("id", f"sim-{method}-{len(self.transfers) + 1}")),
            method,
            ticker,
            str(amount),
            status,
            int(self.clock()),
            str(fee),
            data.get("network"),
            str(data.get("transaction_hash", f"{len(self.transfers) + 1:064x}")),
        )
        self.transfers.insert(0, transfer)
        return transfer

    def answer(self, path: str, body: Mapping[str, Any]) -> tuple[int, object]:
        """A page of one list, by the request's limit and offset; 422 for a bad one."""
        limit, offset = body.get("limit", 50), body.get("offset", 0)
        if type(limit) is not int or type(offset) is not int or not 1 <= limit <= _MAX_LIMIT[path]:
            return 422, {
                "code": 30,
                "message": "Validation failed",
                "errors": {"limit": ["invalid"]},
            }
        if offset < 0:
            return 422, {
                "code": 30,
                "message": "Validation failed",
                "errors": {"offset": ["invalid"]},
            }
        if path == OPEN_ORDERS_PATH:
            newest = sorted(self.open_orders.values(), key=lambda o: -o.id)
            return 200, [order.open() for order in newest[offset : offset + limit]]
        if path == TRANSFER_HISTORY_PATH:
            records = [t.record() for t in self.transfers[offset : offset + limit]]
            return 200, {
                "limit": limit,
                "offset": offset,
                "records": records,
                "total": len(self.transfers),
            }
        grouped: dict[str, list[dict[str, Any]]] = {}
        for order in self.finished[offset : offset + limit]:
            grouped.setdefault(order.market, []).append(order.history())
        return 200, grouped


def subscription_error(
    markets: dict[str, frozenset[str]], method: str, params: list[Any]
) -> int | None:
    """Apply an ordersExecuted/deals (un)subscription to a connection's markets; the error code.

    WhiteBIT wants the market list (`[[markets], filter]` / `[[markets]]`); a repeated
    subscription replaces the previous one.
    """
    channel, _, action = method.partition("_")
    if action == "unsubscribe":
        markets.pop(channel, None)
        return None
    wanted = params[0] if params else None
    if not isinstance(wanted, list) or not wanted or not all(isinstance(m, str) for m in wanted):
        return 1
    if channel == "ordersExecuted" and (params[1:] not in ([0], [1], [2])):
        return 1
    markets[channel] = frozenset(wanted)
    return None


class Publisher(Protocol):
    """Where fills are pushed: the stream hub."""

    async def publish(
        self, api_key: str, market: str, frames: Mapping[str, dict[str, Any]]
    ) -> None:
        """Push the frames to the key's subscribers of the market."""


async def order_control(
    path: str, orders: SimOrders, data: Mapping[str, Any], hub: Publisher
) -> tuple[dict[str, Any], int]:
    """Serve a control request: the answer and its status. A fill is pushed before it returns."""
    match path:
        case "/_sim/order":
            result: SimOrder | SimTransfer | str = orders.place(data)
        case "/_sim/fill":
            result = orders.fill(data)
        case "/_sim/deposit":
            result = orders.transfer(1, data)
        case _:
            result = orders.transfer(2, data)
    if isinstance(result, str):
        return {"error": result}, 400
    if isinstance(result, SimOrder) and result.ftime is not None:
        frames = {
            "ordersExecuted": result.executed_update(),
            "deals": result.deal_update(orders.deals),
        }
        await hub.publish(str(data["api_key"]), result.market, frames)
    return {"ok": True, "id": result.id}, 200


# The developer's demo (`python -m simulator`): an open order that fills a while after start.
DEMO_ORDER: Final = {
    "market": "BTC_USDT",
    "side": "buy",
    "amount": "0.01",
    "price": "90000",
    "client_order_id": "demo-dip-buy",
}


def demo_fill(
    api_key: str, orders: SimOrders, hub: Publisher, after: float
) -> Callable[[Any], Awaitable[None]]:
    """An app startup hook: place DEMO_ORDER now, fill it `after` seconds later (pushed)."""

    async def start(_app: object) -> None:
        order = orders.place(DEMO_ORDER)
        assert isinstance(order, SimOrder)  # noqa: S101 - DEMO_ORDER is valid

        async def fill() -> None:
            await asyncio.sleep(after)
            await order_control(
                "/_sim/fill", orders, {"api_key": api_key, "order_id": order.id}, hub
            )

        _TASKS.add(task := asyncio.get_running_loop().create_task(fill()))
        task.add_done_callback(_TASKS.discard)

    return start


_TASKS: set[asyncio.Task[None]] = set()
