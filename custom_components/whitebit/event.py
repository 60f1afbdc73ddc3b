"""Event entities: an order filled, a deposit, a withdrawal; for automations and notifications.

Each entry's entities hear only that entry's events (events_data.TradeEvents, fed by its own
stream and poll): no other entry's fills or transfers can reach them.
"""

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, override

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .const import ACCOUNT_MAIN, ACCOUNT_TRADE
from .coordinator import WhiteBitConfigEntry, WhiteBitCoordinator
from .entity import account_device, exact_state
from .events_data import DEPOSIT_EVENTS, FILL_EVENTS, WITHDRAWAL_EVENTS
from .pywhitebit import FILL_KINDS, STAGES, Fill, Transfer
from .tracking import Tracking

# Events come from the coordinator's stream and poll; entities never fetch.
PARALLEL_UPDATES = 0
# Events in a burst are shown a millisecond apart; a clock that does not move (frozen) is
# waited for this many times at most.
SPACING: Final = 0.001
MAX_WAITS: Final = 20


@dataclass(frozen=True, kw_only=True)
class WhiteBitEventDescription(EventEntityDescription):
    """An event entity, and which tracked account it needs."""

    exists_fn: Callable[[Tracking], bool]


EVENTS: tuple[WhiteBitEventDescription, ...] = (
    WhiteBitEventDescription(
        key=FILL_EVENTS,
        translation_key=FILL_EVENTS,
        event_types=list(FILL_KINDS),
        exists_fn=lambda tracking: ACCOUNT_TRADE in tracking.accounts,
    ),
    WhiteBitEventDescription(
        key=DEPOSIT_EVENTS,
        translation_key=DEPOSIT_EVENTS,
        event_types=list(STAGES),
        exists_fn=lambda tracking: ACCOUNT_MAIN in tracking.accounts,
    ),
    WhiteBitEventDescription(
        key=WITHDRAWAL_EVENTS,
        translation_key=WITHDRAWAL_EVENTS,
        event_types=list(STAGES),
        exists_fn=lambda tracking: ACCOUNT_MAIN in tracking.accounts,
    ),
)


def fill_attributes(fill: Fill) -> dict[str, Any]:
    """What a notification says about a fill; amounts exact, as text."""
    return {
        "market": fill.market,
        "side": fill.side,
        "amount": exact_state(fill.amount),
        "price": exact_state(fill.price),
        "executed_amount": exact_state(fill.executed),
        "executed_money": exact_state(fill.executed_money),
        "fee": exact_state(fill.fee),
        "fee_currency": fill.fee_currency,
        "order_id": fill.order_id,
        "client_order_id": fill.client_order_id,
    }


def transfer_attributes(transfer: Transfer) -> dict[str, Any]:
    """What a notification says about a deposit or withdrawal."""
    return {
        "currency": transfer.currency,
        "amount": exact_state(transfer.amount),
        "fee": exact_state(transfer.fee),
        "network": transfer.network,
        "status": transfer.status,
        "transaction_hash": transfer.transaction_hash,
    }


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001 - the signature Home Assistant calls
    entry: WhiteBitConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the event entities of the accounts the entry tracks."""
    coordinator = entry.runtime_data
    async_add_entities(
        WhiteBitEvent(coordinator, description)
        for description in EVENTS
        if description.exists_fn(coordinator.tracking)
    )


class WhiteBitEvent(EventEntity):
    """Fires when this entry's stream or poll brings a new fill, deposit or withdrawal."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    entity_description: WhiteBitEventDescription

    def __init__(
        self, coordinator: WhiteBitCoordinator, description: WhiteBitEventDescription
    ) -> None:
        """One kind of event of the entry's account."""
        self.entity_description = description
        self._events = coordinator.events
        self._attr_unique_id = f"{coordinator.config_entry.entry_id}_{description.key}"
        self._attr_device_info = account_device(coordinator)
        self._queue: deque[tuple[str, Fill | Transfer]] = deque()
        self._draining: asyncio.Task[None] | None = None

    @override
    async def async_added_to_hass(self) -> None:
        """Hear this entry's events of this kind; those that waited for the entity first."""
        await super().async_added_to_hass()
        # Once the entity's first state (its last event, restored) is written: an event that
        # waited must change that state, not come out of `unavailable`, which automations
        # rightly skip (not_from: unavailable) as a restart's, not an event's.
        # A task of Home Assistant's, not eager: it starts after that write, and whoever waits
        # for Home Assistant to settle waits for it too.
        task = self.hass.async_create_task(self._async_listen(), eager_start=False)
        self.async_on_remove(lambda: _cancel(task))

    async def _async_listen(self) -> None:
        self.async_on_remove(self._events.async_listen(self.entity_description.key, self._fired))
        self.async_on_remove(lambda: _cancel(self._draining))

    @callback
    def _fired(self, event_type: str, record: Fill | Transfer) -> None:
        """Show the event now, or after those before it (a burst: a millisecond apart)."""
        self._queue.append((event_type, record))
        if self._draining is None or self._draining.done():
            # Eager: the first event is shown at once, within this call.
            self._draining = self.hass.async_create_task(self._drain(), eager_start=True)

    async def _drain(self) -> None:
        """Each event its own state (its time, to the millisecond).

        Two in one millisecond would differ in their attributes only: the logbook shows one,
        and a state trigger with `not_from` (as the blueprints have) skips the second.
        """
        while self._queue:
            for _ in range(MAX_WAITS):
                if dt_util.utcnow().isoformat(timespec="milliseconds") != self.state:
                    break
                await asyncio.sleep(SPACING)
            event_type, record = self._queue.popleft()
            attributes = (
                fill_attributes(record) if isinstance(record, Fill) else transfer_attributes(record)
            )
            self._trigger_event(event_type, attributes)
            self.async_write_ha_state()


def _cancel(task: asyncio.Task[None] | None) -> None:
    """Stop the task (the entity went before it ended); Home Assistant wants no return value."""
    if task is not None:
        task.cancel()
