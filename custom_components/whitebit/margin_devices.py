"""The collateral account's devices: one for its summary, one per open position.

Each position is a device ("WhiteBIT BTC/USDT long"), so its entities carry short names
("Liquidation price", "PnL"): a device page leaves an entity row about 130 px, and
"BTC/USDT long liquidation price" on the account's own device did not fit in any language.
The device name holds the account's title, so entity IDs read as before
(`sensor.whitebit_btc_usdt_long_liquidation_price`) and two accounts' positions stay apart.
Both kinds hang off the account's device (`via_device`), and go when their last entity goes.
"""

from typing import Final, cast

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo

from .const import DOMAIN
from .coordinator import WhiteBitCoordinator
from .entity import registered_account_device

# Device translation keys: `position_long` / `position_short` ("{title} {market} long").
POSITION_DEVICE_KEY: Final = "position"
COLLATERAL_DEVICE_KEY: Final = "collateral"
# Whether this Home Assistant links a device to its parent by registry ID (2026.10 on).
_LINK_BY_ID: Final = "via_device_id" in DeviceInfo.__optional_keys__


def _identifier(entry_id: str, what: str) -> tuple[str, str]:
    # Per entry, as every identifier of this integration: two keys of one account keep theirs.
    return (DOMAIN, f"{entry_id}_{what}")


def _margin_device(
    hass: HomeAssistant, coordinator: WhiteBitCoordinator, what: str, key: str, **names: str
) -> DeviceInfo:
    entry = coordinator.config_entry
    return DeviceInfo(
        identifiers={_identifier(entry.entry_id, what)},
        entry_type=DeviceEntryType.SERVICE,
        manufacturer="WhiteBIT",
        # Translated in Home Assistant's language; the title is the user's, kept as written.
        translation_key=key,
        translation_placeholders={"title": entry.title, **names},
        **_via_account(hass, coordinator),
    )


def _via_account(hass: HomeAssistant, coordinator: WhiteBitCoordinator) -> DeviceInfo:
    """Hang a device off the account's device, registering that one if no sensor has yet.

    Linked in the device info, so a margin device never exists without its first entity.
    Home Assistant 2026.10 links by registry ID (`via_device_id`) and deprecates `via_device`;
    2026.5, the oldest supported, knows only `via_device`, by identifiers.
    """
    parent = registered_account_device(hass, coordinator)
    entry_id = coordinator.config_entry.entry_id
    link = {"via_device_id": parent.id} if _LINK_BY_ID else {"via_device": (DOMAIN, entry_id)}
    return cast("DeviceInfo", link)


def collateral_device(hass: HomeAssistant, coordinator: WhiteBitCoordinator) -> DeviceInfo:
    """The device of the collateral account's summary ("WhiteBIT collateral")."""
    return _margin_device(hass, coordinator, COLLATERAL_DEVICE_KEY, COLLATERAL_DEVICE_KEY)


def position_device(
    hass: HomeAssistant, coordinator: WhiteBitCoordinator, position_key: str
) -> DeviceInfo:
    """The device of one position (`BTC_USDT_long`): "WhiteBIT BTC/USDT long"."""
    market, _, side = position_key.rpartition("_")
    return _margin_device(
        hass,
        coordinator,
        f"{POSITION_DEVICE_KEY}_{position_key}",
        f"{POSITION_DEVICE_KEY}_{side}",
        market=market.replace("_", "/"),
    )


@callback
def remove_empty_margin_devices(hass: HomeAssistant, entry_id: str) -> None:
    """Remove the entry's summary and position devices that no entity is on any more.

    Called after entities were removed: a position's sensors and its margin call are on two
    platforms, so its device goes with whichever platform removes the last of them.
    """
    devices = dr.async_get(hass)
    entities = er.async_get(hass)
    margin = (
        _identifier(entry_id, COLLATERAL_DEVICE_KEY)[1],
        _identifier(entry_id, f"{POSITION_DEVICE_KEY}_")[1],
    )
    for device in dr.async_entries_for_config_entry(devices, entry_id):
        ids = [value for domain, value in device.identifiers if domain == DOMAIN]
        if not any(value.startswith(margin) for value in ids):
            continue
        if not er.async_entries_for_device(entities, device.id, include_disabled_entities=True):
            devices.async_remove_device(device.id)


def is_closed_position_device(coordinator: WhiteBitCoordinator, device: dr.DeviceEntry) -> bool:
    """Whether `device` is a position's that is known to be closed (kept for its entities).

    Such a device may be deleted by hand; an open position's would be made again at once.
    """
    prefix = _identifier(coordinator.config_entry.entry_id, f"{POSITION_DEVICE_KEY}_")[1]
    positions = coordinator.data.positions
    if positions is None:
        return False
    keys = [
        value.removeprefix(prefix)
        for domain, value in device.identifiers
        if domain == DOMAIN and value.startswith(prefix)
    ]
    return bool(keys) and not positions.open.intersection(keys)
