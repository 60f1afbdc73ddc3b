"""Event entities: an order filled, a deposit, a withdrawal; for automations and notifications.

Each entry's entities hear only that entry's events (events_data.TradeEvents, fed by its own
stream and poll): no other entry's fills or transfers can reach them.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, override

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import ACCOUNT_MAIN, ACCOUNT_TRADE
from .coordinator import WhiteBitConfigEntry, WhiteBitCoordinator
from .entity import account_device, exact_state
from .events_data import DEPOSIT_EVENTS, FILL_EVENTS, WITHDRAWAL_EVENTS
from .pywhitebit import FILL_KINDS, STAGES, Fill, Transfer
from .tracking import Tracking

# Events come from the coordinator's stream and poll; entities never fetch.
PARALLEL_UPDATES = 0


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

    @override
    async def async_added_to_hass(self) -> None:
        """Hear this entry's events of this kind; those that waited for the entity first."""
        await super().async_added_to_hass()
        # Once the entity's first state (its last event, restored) is written: an event that
        # waited must change that state, not come out of `unavailable`, which automations
        # rightly skip (not_from: unavailable) as a restart's, not an event's.
        self.async_on_remove(self.hass.loop.call_soon(self._listen).cancel)

    @callback
    def _listen(self) -> None:
        self.async_on_remove(self._events.async_listen(self.entity_description.key, self._fired))

    @callback
    def _fired(self, event_type: str, record: Fill | Transfer) -> None:
        attributes = (
            fill_attributes(record) if isinstance(record, Fill) else transfer_attributes(record)
        )
        self._trigger_event(event_type, attributes)
        self.async_write_ha_state()
