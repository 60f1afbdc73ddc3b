"""Executed orders: fills pushed by `ordersExecuted`, and the order history that catches up.

WhiteBIT writes an order twice over: the stream in snake_case with a numeric side (`deal_stock`,
`side: 2`), REST's `/trade-account/order/history` in camelCase with a word (`dealStock`,
`side: "buy"`), grouped by market. Both are read into the same Fill. An order is a fill when
something of it executed: `filled` when WhiteBIT calls it FILLED (or nothing is left),
`partially_filled` when it ended (cancelled, IOC) or was reported with part of it executed.
An order cancelled with nothing executed is no fill. A record that cannot be read is counted,
never guessed at; hostile text (client order ids) is escaped and bounded here.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from .amounts import InvalidAmountError, number_amount
from .errors import WhiteBitResponseError
from .margin import is_market, market_money
from .parse import get_field
from .text import is_currency, safe_text

ORDER_HISTORY_PATH: Final = "/api/v4/trade-account/order/history"
OPEN_ORDERS_PATH: Final = "/api/v4/orders"
FILLED: Final = "filled"
PARTIALLY_FILLED: Final = "partially_filled"
FILL_KINDS: Final = (FILLED, PARTIALLY_FILLED)
# Records a history page asks for (WhiteBIT allows 500, and warns above 100), and pages a poll
# reads at most: 500 orders finished since the last poll is far beyond a person's trading.
PAGE: Final = 100
MAX_PAGES: Final = 5
# WhiteBIT's example record is about 450 bytes: a page of 100 is 45 KB. Ten times that.
HISTORY_MAX_BYTES: Final = 512 * 1024
# ordersExecuted_subscribe takes a list of markets (WhiteBIT: "the maximum limit is 100").
MAX_MARKETS: Final = 100
# What a client order id or any other text of an order may keep, escaped.
MAX_CLIENT_ID: Final = 64
# Order ids are 64-bit integers.
_MAX_ID: Final = 2**63
# Seconds since the epoch before the year 5138: anything larger is not a time.
_MAX_TIME: Final = 1e11
_SIDES: Final[dict[object, str]] = {1: "sell", 2: "buy", "sell": "sell", "buy": "buy"}


@dataclass(frozen=True, slots=True)
class Fill:
    """One order that executed, in whole or in part, as one event reports it."""

    order_id: int
    market: str
    side: str
    kind: str
    # The order's amount and price (price "0" for a market order), then what executed of it.
    amount: Decimal
    price: Decimal
    executed: Decimal
    executed_money: Decimal
    fee: Decimal
    fee_currency: str | None
    client_order_id: str
    # When it finished (or was last modified), seconds since the epoch; None when not given.
    time: float | None

    @property
    def key(self) -> str:
        """What fires once: the order and how much of it executed (`4986126152:filled`)."""
        return f"{self.order_id}:{self.kind}"


def order_id(value: object) -> int | None:
    """A positive 64-bit integer id (not a bool, not a float), or None."""
    return value if type(value) is int and 0 < value < _MAX_ID else None


def read_time(value: object) -> float | None:
    """A Unix time as WhiteBIT writes it (a number, with microseconds); None when absent."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    seconds = float(value)
    return seconds if 0 <= seconds < _MAX_TIME else None


def read_fill(record: Mapping[str, object], market: object = None) -> Fill | None:
    """One executed order in either spelling; None when nothing of it executed.

    Raises InvalidAmountError for a record not as documented (id, market, side, figures).
    """
    oid = order_id(record.get("id"))
    market = record.get("market", market)
    raw_side = record.get("side")
    side = _SIDES.get(raw_side) if type(raw_side) in {int, str} else None
    if oid is None or not is_market(market) or side is None or not isinstance(market, str):
        raise InvalidAmountError
    executed = number_amount(get_field(record, "deal_stock", "dealStock"))
    if not executed:
        return None
    status, left = record.get("status"), record.get("left")
    done = status == "FILLED" or (status is None and left is not None and not number_amount(left))
    fee_currency = record.get("fee_asset", record.get("feeAsset"))
    if fee_currency is None:
        # The stream's fee is "in money": a perpetual market's (BTC_PERP) is USDT, not "PERP".
        fee_currency = market_money(market)
    client_id = record.get("client_order_id", record.get("clientOrderId"))
    return Fill(
        order_id=oid,
        market=market,
        side=side,
        kind=FILLED if done else PARTIALLY_FILLED,
        amount=number_amount(get_field(record, "amount")),
        price=number_amount(get_field(record, "price")),
        executed=executed,
        executed_money=number_amount(get_field(record, "deal_money", "dealMoney")),
        fee=number_amount(get_field(record, "deal_fee", "dealFee")),
        fee_currency=fee_currency
        if isinstance(fee_currency, str) and is_currency(fee_currency)
        else None,
        client_order_id=safe_text(client_id, MAX_CLIENT_ID) if isinstance(client_id, str) else "",
        time=read_time(record.get("ftime", record.get("mtime"))),
    )


@dataclass(frozen=True, slots=True)
class FillHistory:
    """What a poll read of the order history: fills, newest first, and the markets traded."""

    fills: tuple[Fill, ...]
    markets: frozenset[str]
    # Records that could not be read; and whether MAX_PAGES ended the read before its end.
    invalid: int = 0
    truncated: bool = False


class HistoryPages:
    """A history read page by page back to `since`, newest first: what ends the read.

    The first page is always read; the next one only while the last was full, every record on
    it was after `since` (so older ones may follow that were not seen), and it brought a record
    not seen already. With `since` None (a first start) one page is enough: nothing older is
    reported anyway. Past MAX_PAGES the read ends, `truncated`.
    """

    def __init__(self, since: float | None) -> None:
        """Read back to `since` (a Unix time), or one page."""
        self._since = since
        self._invalid = 0
        self._pages = 0
        self._truncated = False

    def params(self) -> dict[str, object]:
        """The next page's request: PAGE records from where we are."""
        return {"limit": PAGE, "offset": self._pages * PAGE}

    def _older(self, when: float | None) -> bool:
        """Whether a record of `when` may be one the read before this reached (or no time)."""
        return when is None or (self._since is not None and when <= self._since)

    def _read(self, count: int, *, new: bool, older: bool) -> bool:
        """A page of `count` records was read: whether the next one should be asked for."""
        self._pages += 1
        more = count >= PAGE and new and not older and self._since is not None
        if more and self._pages >= MAX_PAGES:
            self._truncated = True
            return False
        return more


class OrderHistory(HistoryPages):
    """The order history read so far, page by page, each order once, by its id."""

    def __init__(self, since: float | None) -> None:
        """Read back to `since` (a Unix time of finishing), or one page."""
        super().__init__(since)
        self._fills: list[Fill] = []
        self._markets: set[str] = set()
        self._seen: set[int] = set()

    def add(self, data: object) -> bool:
        """Read one page; return whether the next one should be asked for."""
        groups = _groups(data)
        new, older = False, False
        for market, records in groups:
            self._markets.add(market)
            for record in records:
                if not isinstance(record, dict):
                    self._invalid += 1
                    continue
                oid = order_id(record.get("id"))
                if oid is None or oid in self._seen:
                    self._invalid += oid is None
                    continue
                self._seen.add(oid)
                new = True
                older = older or self._older(read_time(record.get("ftime", record.get("ctime"))))
                try:
                    fill = read_fill(record, market)
                except InvalidAmountError:
                    self._invalid += 1
                    continue
                if fill is not None:
                    self._fills.append(fill)
        return self._read(sum(len(records) for _, records in groups), new=new, older=older)

    def result(self) -> FillHistory:
        """Everything read."""
        return FillHistory(
            tuple(self._fills), frozenset(self._markets), self._invalid, self._truncated
        )


def _groups(data: object) -> list[tuple[str, list[object]]]:
    """`{"BTC_USDT": [records]}`, refused whole past PAGE records or with a non-market name."""
    if not isinstance(data, dict):
        msg = f"WhiteBIT sent {type(data).__name__} where the order history was expected"
        raise WhiteBitResponseError(msg)
    if len(data) > PAGE or not all(isinstance(v, list) for v in data.values()):
        msg = "WhiteBIT's order history is not lists of orders per market"
        raise WhiteBitResponseError(msg)
    # Checked before any record is read: the page was asked for PAGE.
    if (count := sum(len(records) for records in data.values())) > PAGE:
        msg = f"WhiteBIT sent {count} orders on a page of {PAGE}: not read"
        raise WhiteBitResponseError(msg)
    if not all(is_market(market) for market in data):
        msg = "WhiteBIT's order history names a market that cannot be one"
        raise WhiteBitResponseError(msg)
    return list(data.items())


def parse_open_markets(data: object) -> frozenset[str]:
    """The markets of `/api/v4/orders`' open orders (one page of PAGE: enough to follow them)."""
    if not isinstance(data, list) or len(data) > PAGE:
        msg = "WhiteBIT's open orders are not a page of orders"
        raise WhiteBitResponseError(msg)
    markets = (record.get("market") for record in data if isinstance(record, dict))
    return frozenset(market for market in markets if isinstance(market, str) and is_market(market))


def subscribed_markets(markets: Iterable[str]) -> tuple[str, ...]:
    """The markets ordersExecuted is subscribed to: the first MAX_MARKETS valid names, sorted."""
    valid = dict.fromkeys(market for market in markets if is_market(market))
    return tuple(sorted(list(valid)[:MAX_MARKETS]))
