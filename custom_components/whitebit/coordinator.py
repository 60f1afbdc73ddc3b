"""Polls WhiteBIT once per interval for every balance of one account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_SCAN_INTERVAL
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .api import (
    WhiteBitAuthenticationError,
    WhiteBitClient,
    WhiteBitError,
    WhiteBitPermissionError,
    WhiteBitRateLimitError,
)
from .const import DEFAULT_SCAN_INTERVAL, DOMAIN, LOGGER

if TYPE_CHECKING:
    from collections.abc import Mapping
    from decimal import Decimal

    from homeassistant.core import HomeAssistant

type WhiteBitConfigEntry = ConfigEntry[WhiteBitCoordinator]


@dataclass(frozen=True, slots=True)
class WhiteBitData:
    """One poll's result: every currency WhiteBIT reported, selected or not.

    Keeping the unselected currencies costs nothing (they come in the same answer) and lets the
    options flow offer the full list without another request.
    """

    main: Mapping[str, Decimal]


class WhiteBitCoordinator(DataUpdateCoordinator[WhiteBitData]):
    """Fetches one account's balances with one signed request per poll."""

    config_entry: WhiteBitConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        config_entry: WhiteBitConfigEntry,
        client: WhiteBitClient,
    ) -> None:
        """Set the interval from the entry's options."""
        seconds = config_entry.options.get(CONF_SCAN_INTERVAL)
        super().__init__(
            hass,
            LOGGER,
            config_entry=config_entry,
            name=config_entry.title,
            update_interval=(timedelta(seconds=seconds) if seconds else DEFAULT_SCAN_INTERVAL),
            # Balances rarely change between polls; listeners are only called when they did.
            always_update=False,
        )
        self.client = client

    @override
    async def _async_update_data(self) -> WhiteBitData:
        try:
            main = await self.client.main_balances()
        except WhiteBitAuthenticationError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="invalid_auth"
            ) from err
        except WhiteBitPermissionError as err:
            # A new key with the balance permission is the fix, which is what reauth asks for.
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="no_permission"
            ) from err
        except WhiteBitRateLimitError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="rate_limited",
                translation_placeholders={"seconds": f"{err.retry_after:g}"},
                retry_after=err.retry_after,
            ) from err
        except WhiteBitError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="update_failed",
                translation_placeholders={"error": str(err)},
            ) from err
        return WhiteBitData(main=main)
