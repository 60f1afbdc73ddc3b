"""A margin-call binary sensor per open position of the collateral account."""

from typing import override

from homeassistant.components.binary_sensor import (  # type: ignore[attr-defined] # not in __all__ since 2026.10; its .const is not in 2026.5
    DOMAIN as BINARY_SENSOR_DOMAIN,
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import ACCOUNT_COLLATERAL
from .coordinator import WhiteBitConfigEntry, WhiteBitCoordinator
from .entity import remove_entities
from .margin_devices import remove_empty_margin_devices
from .positions import MARGIN_CALL_KEY, PositionEntity, PositionTracker

# The coordinator does all I/O; entities only read its data.
PARALLEL_UPDATES = 0

MARGIN_CALL = BinarySensorEntityDescription(
    key=MARGIN_CALL_KEY,
    translation_key=MARGIN_CALL_KEY,
    device_class=BinarySensorDeviceClass.PROBLEM,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: WhiteBitConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a margin-call sensor per open position, following positions as they come and go."""
    coordinator = entry.runtime_data
    if ACCOUNT_COLLATERAL not in coordinator.tracking.accounts:
        # Unticked: the margin calls of the positions followed until now go, as the positions'
        # sensors do (sensor.py), rather than stay on the device page as unavailable rows.
        # Every binary sensor of the entry is a margin call.
        remove_entities(hass, entry.entry_id, BINARY_SENSOR_DOMAIN, lambda _unique_id: True)
        remove_empty_margin_devices(hass, entry.entry_id)
        return
    tracker = PositionTracker(hass, coordinator, async_add_entities, _margin_call)
    async_add_entities(tracker.start())
    entry.async_on_unload(coordinator.async_add_listener(tracker.async_update))


def _margin_call(
    coordinator: WhiteBitCoordinator, key: str, device: DeviceInfo
) -> list[BinarySensorEntity]:
    return [WhiteBitMarginCallSensor(coordinator, key, device)]


class WhiteBitMarginCallSensor(PositionEntity, BinarySensorEntity):
    """On while WhiteBIT has the position in a liquidation stage (margin call, liquidation)."""

    def __init__(self, coordinator: WhiteBitCoordinator, key: str, device: DeviceInfo) -> None:
        """The margin call of the position `key`, on its device."""
        super().__init__(coordinator, key, MARGIN_CALL, device)

    @property
    @override
    def is_on(self) -> bool | None:
        """Whether the position is in a liquidation stage."""
        position = self._position
        return None if position is None else position.margin_call

    @property
    @override
    def extra_state_attributes(self) -> dict[str, str | None] | None:
        """The stage WhiteBIT names: margin_call or liquidation (None: neither)."""
        position = self._position
        return None if position is None else {"stage": position.liquidation_stage}
