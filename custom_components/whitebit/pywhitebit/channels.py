"""The private WebSocket's channels: what to ask WhiteBIT for, and how to read what it pushes.

A channel is one kind of data (`balanceSpot`, later `balanceMargin`, `positionsMargin`,
`deals`...). WhiteBIT names its methods after it: `<name>_request` answers the current state,
`<name>_subscribe` starts updates (a repeated subscription replaces the previous one),
`<name>_update` frames carry them, `<name>_unsubscribe` stops them.

Each subscribed channel keeps a ChannelState on the stream: frames are folded into it as they
arrive, cheaply, and `take` hands subscribers the result at most about once a second. Every
state is bounded whatever the server sends.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Final, Protocol

from .amounts import InvalidAmountError, number_amount, parse_amount
from .errors import WhiteBitResponseError
from .margin import Positions, parse_positions_update
from .models import Balances, TradeBalance
from .text import is_currency, safe_text

# WhiteBIT lists under 1,000 assets; a balance state holds at most this many names. Past it, a
# server inventing names (50,000 a frame) is refused name by name instead of filling memory.
MAX_ASSETS: Final = 5_000
# Names that cannot be currencies, kept escaped for one log line; the rest are only counted.
MAX_REJECTED_KEPT: Final = 100

type Json = str | int | float | bool | list[Json] | tuple[Json, ...] | dict[str, Json] | None


class ChannelState[V](Protocol):
    """One channel's data on a stream: the current state, with changes not yet delivered."""

    @property
    def refused(self) -> int:
        """How many entries were refused for a bound (new names past the asset cap)."""

    def snapshot(self, result: object) -> None:
        """Replace the state with the answer to `<name>_request`; raise if malformed."""

    def update(self, params: object) -> None:
        """Fold one `<name>_update` frame's params in; raise WhiteBitResponseError if malformed."""

    def take(self) -> V:
        """The value to hand subscribers now: every change so far, applied as one batch."""


@dataclass(frozen=True, slots=True)
class Channel[V]:
    """One kind of data the private WebSocket pushes, and what subscribers receive of it."""

    name: str
    make_state: Callable[[], ChannelState[V]]
    # The subscription's params: `[]` is every asset for the balance channels.
    params: tuple[Json, ...] = ()
    # Whether `<name>_request` gives the current state: then each connection starts from it,
    # and nothing is lost across a reconnect.
    has_snapshot: bool = True

    @property
    def request(self) -> str:
        """The method answering the current state."""
        return f"{self.name}_request"

    @property
    def subscribe(self) -> str:
        """The method starting updates."""
        return f"{self.name}_subscribe"

    @property
    def unsubscribe(self) -> str:
        """The method stopping updates."""
        return f"{self.name}_unsubscribe"

    @property
    def update(self) -> str:
        """The method name of the frames carrying updates."""
        return f"{self.name}_update"


class BalanceState[T]:
    """Balances per asset, merged from a full state and changes; at most `max_assets` names.

    Subscribers get the whole current Balances, not the changes: each delivery stands on its
    own, so a subscriber that missed one (or joined late) is never off, and none of them has to
    merge. Frames are folded into a working copy (work per frame in proportion to its size);
    `take` copies it once per delivery.
    """

    def __init__(
        self,
        read: Callable[[object], T],
        *,
        update_entries: Callable[[object], Iterable[tuple[object, object]]],
        snapshot_entries: Callable[[object], Iterable[tuple[object, object]]] | None = None,
        max_assets: int = MAX_ASSETS,
    ) -> None:
        """Find `(name, entry)` pairs in an update's params and a request's result; `read` each.

        Both raise WhiteBitResponseError for a frame that is not in the channel's shape.
        """
        self._read = read
        self._update_entries = update_entries
        self._snapshot_entries = snapshot_entries or update_entries
        self._max_assets = max_assets
        self._amounts: dict[str, T] = {}
        self._invalid: set[str] = set()
        self._rejected: set[str] = set()
        self._refused = 0

    @property
    def refused(self) -> int:
        """New names refused because the state held `max_assets` already."""
        return self._refused

    def snapshot(self, result: object) -> None:
        """Start over from the full state."""
        pairs = self._snapshot_entries(result)
        self._amounts.clear()
        self._invalid.clear()
        self._rejected.clear()
        self._fold(pairs)

    def update(self, params: object) -> None:
        """Apply the assets one update names; the others keep their amounts."""
        self._fold(self._update_entries(params))

    def take(self) -> Balances[T]:
        """The current balances, as an immutable copy."""
        return Balances(
            MappingProxyType(dict(self._amounts)),
            frozenset(self._invalid),
            frozenset(self._rejected),
        )

    def _fold(self, pairs: Iterable[tuple[object, object]]) -> None:
        amounts, invalid = self._amounts, self._invalid
        for name, entry in pairs:
            if not isinstance(name, str) or not is_currency(name):
                if len(self._rejected) < MAX_REJECTED_KEPT:
                    self._rejected.add(safe_text(str(name), 40))
                continue
            if (
                name not in amounts
                and name not in invalid
                and len(amounts) + len(invalid) >= self._max_assets
            ):
                self._refused += 1
                continue
            try:
                amounts[name] = self._read(entry)
            except InvalidAmountError:
                amounts.pop(name, None)
                invalid.add(name)
            else:
                invalid.discard(name)


def _object_entries(data: object) -> Iterable[tuple[object, object]]:
    """`{"BTC": {...}, ...}`: the request's result, and an update's first param."""
    if not isinstance(data, dict):
        msg = f"WhiteBIT sent {type(data).__name__} where balances were expected"
        raise WhiteBitResponseError(msg)
    return data.items()


def _first_object_entries(params: object) -> Iterable[tuple[object, object]]:
    """`[{"BTC": {...}, ...}]`: a balanceSpot update's params."""
    if not isinstance(params, list) or not params:
        msg = "WhiteBIT sent a balance update without balances"
        raise WhiteBitResponseError(msg)
    return _object_entries(params[0])


def _field(entry: object, name: str) -> object:
    if not isinstance(entry, dict) or name not in entry:
        raise InvalidAmountError
    return entry[name]


def _trade_balance(entry: object) -> TradeBalance:
    return TradeBalance(
        available=parse_amount(_field(entry, "available")),
        freeze=parse_amount(_field(entry, "freeze")),
    )


def balance_spot(*, max_assets: int = MAX_ASSETS) -> Channel[Balances[TradeBalance]]:
    """The spot (= trade) account's balances, per asset: `balanceSpot`."""
    return Channel(
        "balanceSpot",
        lambda: BalanceState(
            _trade_balance,
            update_entries=_first_object_entries,
            snapshot_entries=_object_entries,
            max_assets=max_assets,
        ),
    )


def _margin_entries(params: object) -> Iterable[tuple[object, object]]:
    """`[{"a": "BTC", "B": "0.5", "b": ..., "av": ..., "ab": ...}, ...]`: balanceMargin's update."""
    if not isinstance(params, list):
        msg = "WhiteBIT sent a collateral balance update without balances"
        raise WhiteBitResponseError(msg)
    if len(params) > MAX_ASSETS:
        msg = f"WhiteBIT sent {len(params)} collateral balances, more than {MAX_ASSETS}"
        raise WhiteBitResponseError(msg)
    # An entry without a name is named None, which is then rejected like any non-currency.
    return [
        (entry.get("a"), entry.get("B")) if isinstance(entry, dict) else (None, None)
        for entry in params
    ]


def _margin_snapshot(result: object) -> Iterable[tuple[object, object]]:
    """`{"BTC": {"balance": "0.5", ...}}`: the answer to balanceMargin_request."""
    return [
        (name, entry.get("balance") if isinstance(entry, dict) else None)
        for name, entry in _object_entries(result)
    ]


def balance_margin(
    assets: tuple[str, ...] = (), *, max_assets: int = MAX_ASSETS
) -> Channel[Balances[Decimal]]:
    """The collateral account's balances (`B`, everything on it), per asset: `balanceMargin`.

    WhiteBIT documents numbers in strings; a JSON number is taken exactly too, as on REST.
    """
    return Channel(
        "balanceMargin",
        lambda: BalanceState(
            number_amount,
            update_entries=_margin_entries,
            snapshot_entries=_margin_snapshot,
            max_assets=max_assets,
        ),
        params=assets,
    )


class PositionsState:
    """Every open position, as the last `positionsMargin_update` listed them.

    Each frame lists every position (WhiteBIT sends one a second), so each replaces the state:
    a position a frame leaves out is closed. A frame over MAX_POSITIONS records is refused.
    """

    def __init__(self) -> None:
        """No position known before the first frame."""
        self._positions = Positions(MappingProxyType({}))

    @property
    def refused(self) -> int:
        """Nothing is refused entry by entry: a frame past the bound is refused whole."""
        return 0

    def snapshot(self, result: object) -> None:
        """Never asked (the channel has no request); a full state is read like a frame."""
        self.update(result)

    def update(self, params: object) -> None:
        """Take the positions a frame lists."""
        self._positions = parse_positions_update(params)

    def take(self) -> Positions:
        """The positions (immutable already)."""
        return self._positions


# The trade account: WhiteBIT pushes its changes at most once a second.
BALANCE_SPOT: Final = balance_spot()
# The collateral account's balances, every asset, pushed every 1.5 s.
BALANCE_MARGIN: Final = balance_margin()
# Open positions: WhiteBIT documents no request for them, only updates, every second.
POSITIONS_MARGIN: Final = Channel[Positions]("positionsMargin", PositionsState, has_snapshot=False)
