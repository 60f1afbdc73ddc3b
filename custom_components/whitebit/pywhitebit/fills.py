"""The `ordersExecuted` channel: fills are events, so the stream's coalescing must not drop any.

A balance channel's state is the latest value, and a subscriber gets it at most once a second.
Fills are not state: each delivery is the batch of fills that arrived since the last one, each
order (and kind: partial, then whole) once, however often a server repeats it. A batch holds at
most MAX_FILLS_PER_DELIVERY fills (deliveries are at most one a second); past that, the rest
are counted in `dropped` and the subscriber says so: the poll's read of the order history
brings them, with the same de-duplication. A frame listing more than MAX_FRAME_RECORDS orders
is not WhiteBIT's (it sends one order a frame) and ends the connection like any malformed one.
"""

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from .amounts import InvalidAmountError
from .channels import Channel
from .errors import WhiteBitResponseError
from .orders import Fill, read_fill, subscribed_markets

# 100 orders executing in one second is an algorithm's rate, not a person's: far past anything
# this integration is for, and still only 100 state writes in Home Assistant.
MAX_FILLS_PER_DELIVERY: Final = 100
MAX_FRAME_RECORDS: Final = 1_000
# Keys remembered so a repeat after its delivery is not delivered again (about 100 KB).
MAX_RECENT: Final = 10_000
# ordersExecuted_subscribe's filter: 0 is limit and market orders alike.
ALL_ORDER_TYPES: Final = 0


@dataclass(frozen=True, slots=True)
class Fills:
    """One delivery: the fills since the last, in arrival order; what could not be kept."""

    fills: tuple[Fill, ...]
    # Records not as documented, and fills past MAX_FILLS_PER_DELIVERY.
    invalid: int = 0
    dropped: int = 0


class FillsState:
    """New fills since the last delivery, each key once."""

    def __init__(self) -> None:
        """Nothing pending."""
        self._pending: dict[str, Fill] = {}
        self._recent: OrderedDict[str, None] = OrderedDict()
        self._invalid = 0
        self._dropped = 0

    @property
    def refused(self) -> int:
        """No names are refused here: fills past the bound are counted in `dropped`."""
        return 0

    def snapshot(self, result: object) -> None:
        """Never asked (the channel has no request); read like a frame."""
        self.update(result)

    def update(self, params: object) -> None:
        """Take the orders one `ordersExecuted_update` lists."""
        if not isinstance(params, list) or len(params) > MAX_FRAME_RECORDS:
            msg = "WhiteBIT sent an executed-orders update that is not a list of orders"
            raise WhiteBitResponseError(msg)
        for record in params:
            if not isinstance(record, dict):
                self._invalid += 1
                continue
            try:
                fill = read_fill(record)
            except InvalidAmountError:
                self._invalid += 1
                continue
            if fill is None:
                continue  # a cancelled order with nothing executed: no fill
            if fill.key in self._recent:
                continue
            if len(self._pending) >= MAX_FILLS_PER_DELIVERY:
                self._dropped += 1
                continue
            self._pending[fill.key] = fill
            self._recent[fill.key] = None
            if len(self._recent) > MAX_RECENT:
                self._recent.popitem(last=False)

    def take(self) -> Fills:
        """The fills since the last delivery; then none are pending."""
        fills = Fills(tuple(self._pending.values()), self._invalid, self._dropped)
        self._pending.clear()
        self._invalid = self._dropped = 0
        return fills


def orders_executed(markets: Iterable[str]) -> Channel[Fills]:
    """Executed orders of these markets (valid names only, MAX_MARKETS at most).

    WhiteBIT wants the list: a repeated subscription replaces the previous one, so a change of
    markets is a new channel with the whole list. No `_request`: what was missed while the
    stream was down is read from the order history instead.
    """
    return Channel(
        "ordersExecuted",
        FillsState,
        params=(subscribed_markets(markets), ALL_ORDER_TYPES),
        has_snapshot=False,
    )
