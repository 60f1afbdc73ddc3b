"""The WhiteBIT integration: exchange balances as sensors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.const import CONF_API_KEY, CONF_URL, Platform
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .api import WhiteBitClient
from .const import CONF_API_SECRET
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
