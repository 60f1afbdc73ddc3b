"""The WhiteBIT integration: exchange balances as sensors."""

from functools import partial

from homeassistant.const import CONF_API_KEY, CONF_SCAN_INTERVAL, CONF_URL, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    entity_registry as er,
)
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType

from .const import CONF_API_SECRET, CONF_QUOTE, DOMAIN, LEGACY_OPTIONS, LOGGER, quote_ticker
from .coordinator import WhiteBitConfigEntry, WhiteBitCoordinator
from .events_data import cursor_store
from .margin_devices import is_closed_position_device
from .prices import PRICES_KEY, async_get_prices
from .pywhitebit import WhiteBitClient
from .subaccounts import async_start_sub_accounts
from .unique_ids import value_in

PLATFORMS: list[Platform] = [Platform.BINARY_SENSOR, Platform.EVENT, Platform.SENSOR]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:  # noqa: ARG001 - the signature Home Assistant calls
    """Make room for the price coordinators, one per server, shared by its entries."""
    # A flow may have made one already (to check a quote currency): it is kept, and shared.
    hass.data.setdefault(PRICES_KEY, {})
    return True


async def async_setup_entry(hass: HomeAssistant, entry: WhiteBitConfigEntry) -> bool:
    """Check the key with a first poll (whose setup opens the trade stream), then the sensors."""
    client = WhiteBitClient(
        async_get_clientsession(hass),
        entry.data[CONF_API_KEY],
        entry.data[CONF_API_SECRET],
        entry.data[CONF_URL],
    )
    coordinator = WhiteBitCoordinator(hass, entry, client)
    tracking = coordinator.tracking
    if tracking.quote is not None or tracking.markets:
        coordinator.prices = await async_get_prices(hass, client.base_url)
    if coordinator.prices is not None and tracking.quote is not None:
        entry.async_on_unload(
            coordinator.prices.async_add_listener(coordinator.async_prices_updated)
        )
    await coordinator.async_config_entry_first_refresh()
    if tracking.sub_accounts:
        coordinator.sub_accounts = await async_start_sub_accounts(hass, entry, client)
    entry.runtime_data = coordinator
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: WhiteBitConfigEntry) -> bool:
    """Unload the sensors."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_config_entry_device(
    hass: HomeAssistant,  # noqa: ARG001 - the signature Home Assistant calls
    entry: WhiteBitConfigEntry,
    device: dr.DeviceEntry,
) -> bool:
    """Let a person delete the device of a closed position, kept for its unavailable entities.

    Every other device stands for something WhiteBIT still has (the account, its summary, an
    open position, a followed sub-account) and would be made again at the next poll; a
    sub-account's that is gone goes by itself.
    """
    return is_closed_position_device(entry.runtime_data, device)


async def async_remove_entry(hass: HomeAssistant, entry: WhiteBitConfigEntry) -> None:
    """Delete the entry's event cursor with it: what fired belongs to this entry alone."""
    await cursor_store(hass, entry.entry_id).async_remove()


async def async_migrate_entry(hass: HomeAssistant, entry: WhiteBitConfigEntry) -> bool:
    """Bring an entry's options up to the current minor version, with no request to WhiteBIT.

    1.1 entries tracked main balances of chosen currencies, without valuation: they keep doing
    exactly that. 1.2 stored the quote currency as a ticker ("USDT") and a polling interval;
    1.3 stores the selector's lowercase key ("usdt") and no interval (Home Assistant's own
    polling switch and update_entity action give any other rate). 1.4 puts the quote currency
    in the value sensors' unique IDs, so that another currency is another sensor: the sensors
    of the currency valued in now take it on, keeping their entity IDs and history.
    """
    if entry.version > 1:
        # A downgrade: what a newer version stored cannot be known. Home Assistant refuses such
        # an entry itself since 2026.10, but not the older releases this supports.
        return False
    version = (entry.version, entry.minor_version)
    options = {**LEGACY_OPTIONS, **entry.options} if version < (1, 2) else dict(entry.options)
    if version < (1, 3):
        options.pop(CONF_SCAN_INTERVAL, None)
        options[CONF_QUOTE] = str(options[CONF_QUOTE]).lower()
        hass.config_entries.async_update_entry(entry, options=options, minor_version=3)
        LOGGER.debug("Migrated entry %s to version 1.3", entry.entry_id)
    if version < (1, 4):
        if (quote := quote_ticker(entry.options[CONF_QUOTE])) is not None:
            await er.async_migrate_entries(
                hass, entry.entry_id, partial(value_in, entry_id=entry.entry_id, quote=quote)
            )
        hass.config_entries.async_update_entry(entry, minor_version=4)
        LOGGER.debug("Migrated entry %s to version 1.4", entry.entry_id)
    return True
