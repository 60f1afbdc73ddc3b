"""The WhiteBIT integration: exchange balances as sensors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.const import CONF_API_KEY, CONF_URL, Platform
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .api import WhiteBitClient
from .const import CONF_API_SECRET, LEGACY_OPTIONS, LOGGER
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
    """Bring an entry's options up to the current minor version.

    1.1 entries tracked main balances of chosen currencies, without valuation. They keep doing
    exactly that: a user who never asked for trade balances or prices gets no new request.
    """
    # Home Assistant itself refuses an entry of a newer major version (a downgrade), so only
    # minor versions of version 1 arrive here.
    if entry.minor_version < 2:  # noqa: PLR2004 - the minor version this adds
        options = {**LEGACY_OPTIONS, **entry.options}
        hass.config_entries.async_update_entry(entry, options=options, minor_version=2)
        LOGGER.debug("Migrated entry %s to version 1.2", entry.entry_id)
    return True
