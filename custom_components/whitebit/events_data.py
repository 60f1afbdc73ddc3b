"""Order fills, deposits and withdrawals as events: each fires once, whatever brings it again.

Fills come pushed (ordersExecuted, within about a second) and from the order history every poll
(what the stream missed: down, a market not yet subscribed, past its per-second bound); the
same order, by id and kind, fires once. Deposits and withdrawals come from the poll alone; each
fires once per stage it reaches (pending, then completed or failed). A small cursor in the
entry's storage remembers what fired, so a reconnect, a reload or a restart fires nothing
twice, and the first start fires nothing at all: it only learns what is already there. Events
fired before their entity is added (the first poll after a restart runs before the platforms)
wait for it, a bounded few.
"""

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import ACCOUNT_MAIN, ACCOUNT_TRADE, DOMAIN, LOGGER
from .pywhitebit import (
    PENDING,
    Fill,
    Fills,
    Transfer,
    WhiteBitClient,
    WhiteBitError,
    WhiteBitPermissionError,
    WhiteBitStream,
    orders_executed,
    subscribed_markets,
)

STORAGE_VERSION: Final = 1
# Fills remembered: past this many, the oldest are forgotten. The history a poll reads is at
# most 500 orders, so a forgotten fill is never read again. About 100 KB on disk.
MAX_FIRED: Final = 5_000
MAX_TRANSFERS: Final = 1_000
# Events kept for an entity not added yet (or disabled), per kind.
MAX_WAITING: Final = 100
SAVE_DELAY: Final = 1.0
# The reads a poll makes, as the log names them.
ORDERS: Final = "order history"
OPEN_ORDERS: Final = "open orders"
TRANSFERS: Final = "deposit and withdrawal history"
FILL_EVENTS: Final = "order_filled"
DEPOSIT_EVENTS: Final = "deposit"
WITHDRAWAL_EVENTS: Final = "withdrawal"

type Action = Callable[[str, Fill | Transfer], None]


class Remembered:
    """What fired, by key: its stage and time, the most recent `bound` of them.

    What is forgotten leaves a floor: a record from before it (by WhiteBIT's time) is old, so a
    history read that brings a forgotten record back cannot fire it again.
    """

    def __init__(self, bound: int) -> None:
        """Nothing fired yet."""
        self._bound = bound
        self._items: OrderedDict[str, tuple[str, float | None]] = OrderedDict()
        self.floor: float | None = None

    def stage(self, key: str) -> str | None:
        """The stage `key` fired last; None if it never did (or is forgotten)."""
        item = self._items.get(key)
        return None if item is None else item[0]

    def old(self, time: float | None) -> bool:
        """Whether a record of `time` is from before what was forgotten."""
        return self.floor is not None and time is not None and time <= self.floor

    def put(self, key: str, stage: str, time: float | None) -> None:
        """`key` fired `stage`; the oldest is forgotten past the bound."""
        self._items[key] = (stage, time)
        self._items.move_to_end(key)
        while len(self._items) > self._bound:
            _key, (_stage, forgotten) = self._items.popitem(last=False)
            self.floor = max((t for t in (forgotten, self.floor) if t is not None), default=None)

    def __len__(self) -> int:
        """How many are remembered."""
        return len(self._items)

    def dump(self) -> dict[str, Any]:
        """For storage."""
        return {"items": [[k, s, t] for k, (s, t) in self._items.items()], "floor": self.floor}

    def load(self, data: dict[str, Any]) -> None:
        """From storage (the last `bound` items)."""
        for key, stage, time in data.get("items", [])[-self._bound :]:
            self._items[str(key)] = (str(stage), time)
        self.floor = data.get("floor")


def cursor_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """Where an entry's cursor is kept: `.storage/whitebit.<entry id>.events`."""
    return Store[dict[str, Any]](hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}.events", private=True)


class TradeEvents:
    """One entry's fills and transfers: what fired, the markets followed, and who listens."""

    def __init__(self, hass: HomeAssistant, entry_id: str, accounts: frozenset[str]) -> None:
        """Fills when the trade account is tracked; transfers when the main account is."""
        self._store = cursor_store(hass, entry_id)
        self.fills = ACCOUNT_TRADE in accounts
        self.transfers = ACCOUNT_MAIN in accounts
        # The reads that have learnt what was there before (their first success): ORDERS and
        # TRANSFERS; from then on what they bring is new.
        self._known: set[str] = set()
        self._fired = Remembered(MAX_FIRED)
        self._stages = Remembered(MAX_TRANSFERS)
        self._orders_since: float | None = None
        self._transfers_since: float | None = None
        self.markets: tuple[str, ...] = ()
        self._stream: WhiteBitStream | None = None
        self._unsubscribe: CALLBACK_TYPE | None = None
        self._listeners: dict[str, Action] = {}
        self._waiting: dict[str, list[tuple[str, Fill | Transfer]]] = {}
        self._failing: set[str] = set()
        self._warned_dropped = False
        # Whether the cursor changed since it was last handed to the Store: a poll that brings
        # nothing new writes nothing.
        self._dirty = False

    async def async_load(self) -> None:
        """Take the cursor back from storage; none is a first start."""
        data = await self._store.async_load()
        if not data:
            return
        self._known = {str(kind) for kind in data.get("known", [])}
        self._fired.load(data.get("fired", {}))
        self._stages.load(data.get("stages", {}))
        self._orders_since = data.get("orders_since")
        self._transfers_since = data.get("transfers_since")
        self.markets = subscribed_markets(data.get("markets", []))

    def _data(self) -> dict[str, Any]:
        return {
            "known": sorted(self._known),
            "fired": self._fired.dump(),
            "stages": self._stages.dump(),
            "orders_since": self._orders_since,
            "transfers_since": self._transfers_since,
            "markets": list(self.markets),
        }

    def diagnostics(self) -> dict[str, Any]:
        """The cursor in counts and ages, and each read's state, for a bug report.

        No id, amount, address, hash or market name: the cursor itself holds ids and times of
        the account's trades, nothing a report needs. The times are WhiteBIT's (Unix seconds),
        shown as their age now; a read is "ok" once it has worked (a stored cursor counts)
        and has not failed since this start.
        """
        now = dt_util.utcnow().timestamp()
        reads = [
            *((ORDERS, OPEN_ORDERS) if self.fills else ()),
            *((TRANSFERS,) if self.transfers else ()),
        ]
        return {
            "fills": self.fills,
            "transfers": self.transfers,
            "reads": {read: self._read_state(read) for read in reads},
            "fills_remembered": len(self._fired),
            "transfers_remembered": len(self._stages),
            "markets_followed": len(self.markets),
            "fills_pushed": self._unsubscribe is not None,
            "events_waiting": sum(len(waiting) for waiting in self._waiting.values()),
            "orders_since_age": _age(now, self._orders_since),
            "transfers_since_age": _age(now, self._transfers_since),
            "fills_forgotten_before_age": _age(now, self._fired.floor),
            "transfers_forgotten_before_age": _age(now, self._stages.floor),
        }

    def _read_state(self, what: str) -> str:
        if what in self._failing:
            return "failing"
        return "ok" if what in self._known else "not read yet"

    @callback
    def attach(self, stream: WhiteBitStream) -> None:
        """Have fills pushed on `stream`, for the markets followed (if any yet)."""
        if self.fills:
            self._stream = stream
            self._subscribe()

    def _subscribe(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._stream is not None and self.markets:
            channel = orders_executed(self.markets)
            self._unsubscribe = self._stream.subscribe(channel, self.async_stream_fills)

    @callback
    def async_listen(self, kind: str, action: Action) -> CALLBACK_TYPE:
        """Call `action(event_type, record)` for each event of `kind`, the waiting first."""
        self._listeners[kind] = action
        for event_type, record in self._waiting.pop(kind, []):
            action(event_type, record)

        @callback
        def remove() -> None:
            if self._listeners.get(kind) is action:
                del self._listeners[kind]

        return remove

    def _fire(self, kind: str, event_type: str, record: Fill | Transfer) -> None:
        if (action := self._listeners.get(kind)) is not None:
            action(event_type, record)
            return
        waiting = self._waiting.setdefault(kind, [])
        if len(waiting) < MAX_WAITING:
            waiting.append((event_type, record))

    @callback
    def async_stream_fills(self, fills: Fills) -> None:
        """The fills WhiteBIT pushed since the last delivery (at most one a second)."""
        if fills.dropped and not self._warned_dropped:
            LOGGER.warning(
                "WhiteBIT pushed more fills in a second than are turned into events at once "
                "(%d over); the next poll reads them from the order history",
                fills.dropped,
            )
            self._warned_dropped = True
        self._take_fills(fills.fills)

    def _take_fills(self, fills: Iterable[Fill]) -> None:
        for fill in fills:
            if self._fired.stage(fill.key) is not None or self._fired.old(fill.time):
                continue
            self._fired.put(fill.key, fill.kind, fill.time)
            self._dirty = True
            if ORDERS in self._known:
                self._fire(FILL_EVENTS, fill.kind, fill)
        self._save()

    def _take_transfers(self, transfers: Iterable[Transfer]) -> None:
        for transfer in transfers:
            before = self._stages.stage(transfer.key)
            # A stage is fired once; a completed or failed transfer does not go back.
            if before == transfer.stage or before not in {None, PENDING}:
                continue
            if before is None and self._stages.old(transfer.created):
                continue
            self._stages.put(transfer.key, transfer.stage, transfer.created)
            self._dirty = True
            if TRANSFERS in self._known:
                self._fire(transfer.kind, transfer.stage, transfer)
        self._save()

    async def async_poll(self, client: WhiteBitClient) -> None:
        """Read the order history, open orders' markets and the transfers; fire what is new.

        Raises nothing: a read that fails, for whatever reason, is said once (and its recovery)
        and tried again next poll, from the same cursor. The coordinator runs this apart from
        the balances, after them, one at a time.
        """
        if self.fills:
            await self._read(ORDERS, lambda: self._poll_orders(client))
            # Apart: a key refused the open orders still has its fills from the history.
            await self._read(OPEN_ORDERS, lambda: self._poll_open_orders(client))
        if self.transfers:
            await self._read(TRANSFERS, lambda: self._poll_transfers(client))
        self._save()

    async def _read(self, what: str, read: Callable[[], Awaitable[None]]) -> None:
        """One kind's read; its first success is what the next ones are new against."""
        try:
            await read()
            if what not in self._known:
                self._known.add(what)
                self._dirty = True
        except WhiteBitError as err:
            if what not in self._failing:
                reason = (
                    "the key may not read it" if isinstance(err, WhiteBitPermissionError) else err
                )
                LOGGER.warning("WhiteBIT's %s could not be read: %s", what, reason)
            self._failing.add(what)
            return
        except Exception as err:  # noqa: BLE001 - a bug here must not end the events for good
            # What was taken before it stays taken, and the cursor did not move past the rest:
            # the next poll reads them again, and fires only those that did not fire.
            if what not in self._failing:
                LOGGER.error(
                    "WhiteBIT's %s could not be read: unexpected error; tried again every poll",
                    what,
                    exc_info=err,
                )
            self._failing.add(what)
            return
        if what in self._failing:
            LOGGER.info("WhiteBIT's %s can be read again", what)
            self._failing.discard(what)

    async def _poll_orders(self, client: WhiteBitClient) -> None:
        history = await client.executed_orders(self._orders_since)
        # Newest first from WhiteBIT: fired oldest first.
        self._take_fills(reversed(history.fills))
        since = _latest(self._orders_since, (fill.time for fill in history.fills))
        if since != self._orders_since:
            self._orders_since = since
            self._dirty = True
        self._follow(history.markets)

    async def _poll_open_orders(self, client: WhiteBitClient) -> None:
        self._follow(await client.open_order_markets())

    def _follow(self, markets: Iterable[str]) -> None:
        """Follow these markets too: the new ones first, then those followed already."""
        markets = subscribed_markets([*sorted(markets), *self.markets])
        if markets != self.markets:
            self.markets = markets
            self._dirty = True
            self._subscribe()

    async def _poll_transfers(self, client: WhiteBitClient) -> None:
        history = await client.transfers(self._transfers_since)
        self._take_transfers(reversed(history.transfers))
        since = _latest(self._transfers_since, (t.created for t in history.transfers))
        if since != self._transfers_since:
            self._transfers_since = since
            self._dirty = True

    def _save(self) -> None:
        """Have the cursor written shortly, if it changed: one write for a burst of changes."""
        if self._dirty:
            self._dirty = False
            self._store.async_delay_save(self._data, SAVE_DELAY)

    async def async_unload(self) -> None:
        """Stop the pushes; write the cursor now, so a reload reads what this one fired."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        await self._store.async_save(self._data())


def _latest(since: float | None, times: Iterable[float | None]) -> float | None:
    """Where the next read of a history starts: the latest time it brought, or `since`."""
    return max((time for time in (since, *times) if time is not None), default=None)


def _age(now: float, time: float | None) -> int | None:
    """Seconds since `time` (a WhiteBIT time), whole: a report needs no finer."""
    return None if time is None else round(now - time)
