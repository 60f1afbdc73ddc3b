"""Base entity for WhiteBIT."""

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import WhiteBitCoordinator


class WhiteBitEntity(CoordinatorEntity[WhiteBitCoordinator]):
    """An entity of one WhiteBIT account, grouped under that account's service device."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: WhiteBitCoordinator) -> None:
        """Attach the entity to the account's device."""
        super().__init__(coordinator)
        entry = coordinator.config_entry
        # The entry ID, not the key: a reauth with a new key keeps the same device and history.
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, entry.entry_id)},
            entry_type=DeviceEntryType.SERVICE,
            manufacturer="WhiteBIT",
            name=entry.title,
            configuration_url=f"{coordinator.client.base_url}/settings/api",
        )
