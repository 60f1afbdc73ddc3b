"""Base entity for WhiteBIT, and what every WhiteBIT sensor shares."""

from collections.abc import Callable
from decimal import Context, Decimal
from typing import Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DECIMAL_DIGITS, DOMAIN
from .coordinator import WhiteBitCoordinator

# normalize() rounds to its context's digits: Python's default 28 would round a 40-digit amount.
_EXACT: Final = Context(prec=DECIMAL_DIGITS)


def account_device(coordinator: WhiteBitCoordinator) -> DeviceInfo:
    """The service device of one account, which all of its entities are part of."""
    entry = coordinator.config_entry
    # The entry ID, not the key: a reauth with a new key keeps the same device and history.
    return DeviceInfo(
        identifiers={(DOMAIN, entry.entry_id)},
        entry_type=DeviceEntryType.SERVICE,
        manufacturer="WhiteBIT",
        name=entry.title,
        configuration_url=f"{coordinator.client.base_url}/settings/api",
    )


@callback
def registered_account_device(
    hass: HomeAssistant, coordinator: WhiteBitCoordinator
) -> dr.DeviceEntry:
    """The account's device, registered now if no entity has made it yet.

    Sub-account and margin devices hang off it, and a parent that is not registered is refused.
    """
    return dr.async_get(hass).async_get_or_create(
        config_entry_id=coordinator.config_entry.entry_id, **account_device(coordinator)
    )


def exact_state(amount: Decimal | None) -> str | None:
    """Return an amount exactly, as the shortest fixed-point string.

    Not the Decimal: Home Assistant turns a state into text with str(), which writes small
    Decimals in exponent form (0.00000001 becomes 1E-8). Trailing zeros go ("0.00100000"
    is 0.001): the same number, and the frontend shows a state's own digits when the
    sensor suggests no display precision, so a zero reads 0.
    """
    return None if amount is None else f"{amount.normalize(_EXACT):f}"


def remove_entities(
    hass: HomeAssistant, entry_id: str, domain: str, remove: Callable[[str], bool]
) -> None:
    """Remove the entry's `domain` entities whose unique ID `remove` picks, disabled ones too.

    Removing the registry entry removes a running entity too.
    """
    registry = er.async_get(hass)
    for registry_entry in er.async_entries_for_config_entry(registry, entry_id):
        if registry_entry.domain == domain and remove(registry_entry.unique_id):
            registry.async_remove(registry_entry.entity_id)


class WhiteBitEntity(CoordinatorEntity[WhiteBitCoordinator]):
    """An entity of one WhiteBIT account, grouped under that account's service device."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: WhiteBitCoordinator) -> None:
        """Attach the entity to the account's device."""
        super().__init__(coordinator)
        self._attr_device_info = account_device(coordinator)
