"""The WhiteBIT integration: exchange balances as sensors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.const import CONF_API_KEY, CONF_SCAN_INTERVAL, CONF_URL, Platform
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .api import WhiteBitClient
from .const import CONF_API_SECRET, CONF_QUOTE, LEGACY_OPTIONS, LOGGER
from .coordinator import WhiteBitConfigEntry, WhiteBitCoordinator

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

PLATFORMS: list[Platform] = [Platform.SENSOR]


async def async_setup_entry(hass: HomeAssistant, entry: WhiteBitConfigEntry) -> bool:
    """Check the key with a first poll, then set up the sensors."""
    client = WhiteBitClient(
        async_get_clientsession(hass),
        entry.data[CONF_API_KEY],
        entry.data[CONF_API_SECRET],
        entry.data[CONF_URL],
    )
    coordinator = WhiteBitCoordinator(hass, entry, client)
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = coordinator
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: WhiteBitConfigEntry) -> bool:
    """Unload the sensors."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_migrate_entry(hass: HomeAssistant, entry: WhiteBitConfigEntry) -> bool:
    """Bring an entry's options up to the current minor version, with no request to WhiteBIT.

    1.1 entries tracked main balances of chosen currencies, without valuation: they keep doing
    exactly that. 1.2 stored the quote currency as a ticker ("USDT") and a polling interval;
    1.3 stores the selector's lowercase key ("usdt") and no interval (Home Assistant's own
    polling switch and update_entity action give any other rate).
    """
    # Home Assistant itself refuses an entry of a newer major version (a downgrade), so only
    # minor versions of version 1 arrive here.
    version = (entry.version, entry.minor_version)
    options = {**LEGACY_OPTIONS, **entry.options} if version < (1, 2) else dict(entry.options)
    if version < (1, 3):
        options.pop(CONF_SCAN_INTERVAL, None)
        options[CONF_QUOTE] = str(options[CONF_QUOTE]).lower()
        hass.config_entries.async_update_entry(entry, options=options, minor_version=3)
        LOGGER.debug("Migrated entry %s to version 1.3", entry.entry_id)
    return True
