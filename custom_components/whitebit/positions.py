"""The collateral account as entities: its summary, and a set of entities per open position.

A position is told apart by market and side (`BTC_USDT_long`) and is a device of its own
("WhiteBIT BTC/USDT long", margin_devices.py), so its entities carry short names ("PnL",
"Liquidation price"). Its entities appear when it opens and go when it closes, without a
reload: removed with their device, or kept unavailable, as the entry's choice for currencies at
zero says, so one rule holds for everything that comes and goes. Either way a closed position's
last figures are never shown. Figures are exact: the summary's in the collateral account's
money, a position's in its market's money (BTC_USDC: USDC; a perpetual: USDT).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Final, override

from homeassistant.components.sensor import (
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import ACCOUNT_COLLATERAL, FIAT_PRECISION, ZERO_UNAVAILABLE
from .coordinator import WhiteBitCoordinator
from .entity import WhiteBitEntity, exact_state
from .margin_devices import collateral_device, position_device, remove_empty_margin_devices
from .pywhitebit import COLLATERAL_MONEY, CollateralSummary, Position, market_money


@dataclass(frozen=True, kw_only=True)
class SummaryDescription(SensorEntityDescription):
    """One figure of the collateral summary."""

    value_fn: Callable[[CollateralSummary], Decimal]


@dataclass(frozen=True, kw_only=True)
class PositionDescription(SensorEntityDescription):
    """One figure of an open position; in the market's money, or in its base currency."""

    value_fn: Callable[[Position], Decimal | None]
    in_base: bool = False


def _money(key: str, value_fn: Callable[[CollateralSummary], Decimal]) -> SummaryDescription:
    return SummaryDescription(
        key=key,
        translation_key=key,
        # The summary names no currency: WhiteBIT's documented one (see COLLATERAL_MONEY).
        native_unit_of_measurement=COLLATERAL_MONEY,
        suggested_display_precision=FIAT_PRECISION,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=value_fn,
    )


SUMMARY_DESCRIPTIONS: Final = (
    _money("equity", lambda s: s.equity),
    _money("margin", lambda s: s.margin),
    _money("free_margin", lambda s: s.free_margin),
    _money("unrealized_pnl", lambda s: s.pnl),
    # Less often looked at: there for automations, off on the dashboard by default.
    SummaryDescription(
        key="margin_fraction",
        translation_key="margin_fraction",
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=4,
        entity_registry_enabled_default=False,
        value_fn=lambda s: s.margin_fraction,
    ),
    SummaryDescription(
        key="leverage",
        translation_key="leverage",
        state_class=SensorStateClass.MEASUREMENT,
        entity_registry_enabled_default=False,
        value_fn=lambda s: s.leverage,
    ),
)

POSITION_DESCRIPTIONS: Final = (
    PositionDescription(
        key="position_amount",
        translation_key="position_amount",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda p: p.amount,
        in_base=True,
    ),
    *(
        PositionDescription(
            key=f"position_{figure}",
            translation_key=f"position_{figure}",
            suggested_display_precision=FIAT_PRECISION,
            state_class=SensorStateClass.MEASUREMENT,
            value_fn=value_fn,
        )
        for figure, value_fn in (
            ("pnl", lambda p: p.pnl),
            ("liquidation_price", lambda p: p.liquidation_price),
            ("base_price", lambda p: p.base_price),
            ("margin", lambda p: p.margin),
        )
    ),
)


# What a position's binary sensor shows: whether it is in a liquidation stage.
MARGIN_CALL_KEY: Final = "margin_call"
# Every figure a position has an entity for, on either platform: its unique ID is
# `{entry_id}_{figure}_{BTC_USDT_long}`.
POSITION_FIGURES: Final = (*(d.key for d in POSITION_DESCRIPTIONS), MARGIN_CALL_KEY)


def summary_sensors(hass: HomeAssistant, coordinator: WhiteBitCoordinator) -> list[SensorEntity]:
    """The summary's sensors, when the collateral account is tracked."""
    if ACCOUNT_COLLATERAL not in coordinator.tracking.accounts:
        return []
    device = collateral_device(hass, coordinator)
    return [WhiteBitSummarySensor(coordinator, d, device) for d in SUMMARY_DESCRIPTIONS]


def position_sensors(
    coordinator: WhiteBitCoordinator, key: str, device: DeviceInfo
) -> list[SensorEntity]:
    """The sensors of one position, on its device."""
    return [WhiteBitPositionSensor(coordinator, d, key, device) for d in POSITION_DESCRIPTIONS]


class PositionTracker[E: Entity]:
    """Keeps one set of entities (of one platform) per open position, as positions come and go.

    Only a known list moves anything: while positions are unknown (not read yet, refused)
    nothing is added or removed. A position that closed while Home Assistant was stopped is
    still in the entity registry at the next start: it goes then, or is set up unavailable,
    as one that closes while running would; never left to Home Assistant's restored state.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        coordinator: WhiteBitCoordinator,
        add_entities: AddConfigEntryEntitiesCallback,
        make: Callable[[WhiteBitCoordinator, str, DeviceInfo], list[E]],
    ) -> None:
        """Make each position's entities with `make`, on the position's device."""
        self._hass = hass
        self._registry = er.async_get(hass)
        self._coordinator = coordinator
        self._add_entities = add_entities
        self._make = make
        self._entities: dict[str, list[E]] = {}

    def start(self) -> list[E]:
        """The entities to set up with the platform: of the positions open now, and kept ones.

        Kept: those registered earlier, unless the list is known and says they are closed and
        the entry removes what goes; then they are removed.
        """
        registered = self._registered()
        known = self._coordinator.data.positions is not None
        if not known or self._coordinator.tracking.zero_balance == ZERO_UNAVAILABLE:
            return self._entities_for(self._open() | set(registered))
        for key in set(registered) - self._open():
            for entity_id in registered[key]:
                self._registry.async_remove(entity_id)
        remove_empty_margin_devices(self._hass, self._coordinator.config_entry.entry_id)
        return self._entities_for(self._open())

    @callback
    def async_update(self) -> None:
        """Add the positions that opened; remove (or leave unavailable) those that closed."""
        if self._coordinator.data.positions is None:
            return
        # A closed position's device deleted by hand took its entities: made anew if it opens.
        # One registry lookup per position: all() stops at the first entity still there.
        self._entities = {
            key: entities
            for key, entities in self._entities.items()
            if not all(e.entity_id and not self._registry.async_get(e.entity_id) for e in entities)
        }
        now = self._open()
        if new := now - set(self._entities):
            self._add_entities(self._entities_for(new))
        if self._coordinator.tracking.zero_balance == ZERO_UNAVAILABLE:
            return  # available again when the same market and side opens
        if closed := set(self._entities) - now:
            for key in closed:
                for entity in self._entities.pop(key):
                    if entity.entity_id and self._registry.async_get(entity.entity_id):
                        self._registry.async_remove(entity.entity_id)
            remove_empty_margin_devices(self._hass, self._coordinator.config_entry.entry_id)

    def _open(self) -> set[str]:
        positions = self._coordinator.data.positions
        return set() if positions is None else set(positions.open)

    def _registered(self) -> dict[str, list[str]]:
        """The entity IDs of every position the entity registry holds entities of, by key."""
        entry_id = self._coordinator.config_entry.entry_id
        prefixes = [f"{entry_id}_{figure}_" for figure in POSITION_FIGURES]
        found: dict[str, list[str]] = {}
        for registry_entry in er.async_entries_for_config_entry(self._registry, entry_id):
            for prefix in prefixes:
                if registry_entry.unique_id.startswith(prefix):
                    key = registry_entry.unique_id.removeprefix(prefix)
                    found.setdefault(key, []).append(registry_entry.entity_id)
        return found

    def _entities_for(self, keys: Iterable[str]) -> list[E]:
        made: list[E] = []
        for key in sorted(keys):
            device = position_device(self._hass, self._coordinator, key)
            self._entities[key] = self._make(self._coordinator, key, device)
            made += self._entities[key]
        return made


class WhiteBitSummarySensor(WhiteBitEntity, SensorEntity):
    """One figure of the collateral account's summary."""

    entity_description: SummaryDescription

    def __init__(
        self,
        coordinator: WhiteBitCoordinator,
        description: SummaryDescription,
        device: DeviceInfo,
    ) -> None:
        """Describe `description`'s figure of the coordinator's account, on `device`."""
        super().__init__(coordinator)
        self.entity_description = description
        self._attr_unique_id = f"{coordinator.config_entry.entry_id}_{description.key}"
        self._attr_device_info = device

    @property
    @override
    def available(self) -> bool:
        """Unavailable while polling fails or the summary cannot be read."""
        return super().available and self.coordinator.data.summary is not None

    @property
    @override
    def native_value(self) -> str | None:
        """Return the figure exactly."""
        summary = self.coordinator.data.summary
        return None if summary is None else exact_state(self.entity_description.value_fn(summary))


class PositionEntity(WhiteBitEntity):
    """An entity of one open position, unavailable while it is not open or not readable."""

    def __init__(
        self,
        coordinator: WhiteBitCoordinator,
        key: str,
        description: EntityDescription,
        device: DeviceInfo,
    ) -> None:
        """Put it on the position's device, which names the position."""
        super().__init__(coordinator)
        self._key = key
        self.entity_description = description
        self._attr_unique_id = f"{coordinator.config_entry.entry_id}_{description.key}_{key}"
        self._attr_device_info = device

    @property
    def _position(self) -> Position | None:
        positions = self.coordinator.data.positions
        return None if positions is None else positions.positions.get(self._key)

    @property
    @override
    def available(self) -> bool:
        """Available while the position is open and its figures could be read."""
        return super().available and self._position is not None


class WhiteBitPositionSensor(PositionEntity, SensorEntity):
    """One figure of one open position."""

    entity_description: PositionDescription

    def __init__(
        self,
        coordinator: WhiteBitCoordinator,
        description: PositionDescription,
        key: str,
        device: DeviceInfo,
    ) -> None:
        """Describe `description`'s figure of the position `key`."""
        super().__init__(coordinator, key, description, device)
        market = key.rpartition("_")[0]
        self._attr_native_unit_of_measurement = (
            market.partition("_")[0] if description.in_base else market_money(market)
        )

    @property
    @override
    def native_value(self) -> str | None:
        """Return the figure exactly; a liquidation price WhiteBIT does not give is unknown."""
        position = self._position
        return None if position is None else exact_state(self.entity_description.value_fn(position))
