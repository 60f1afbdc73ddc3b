"""Market prices: one coordinator per WhiteBIT server, shared by every entry on it.

Prices are public and the same for every account, so N entries on one server make one ticker
request per interval, not N. A failure here makes only the value sensors unavailable; the
coordinator's own logging says when it starts and when it recovers.
"""

from typing import override

from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.update_coordinator import TimestampDataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey
from yarl import URL

from .const import DOMAIN, LOGGER, SCAN_INTERVAL
from .issues import failure_reason
from .pywhitebit import WhiteBitError, WhiteBitPublicClient
from .valuation import PriceBook, Prices

# The price coordinator of each server, by base URL; filled as entries need them.
PRICES_KEY: HassKey[dict[str, WhiteBitPriceCoordinator]] = HassKey(f"{DOMAIN}_prices")


class WhiteBitPriceCoordinator(TimestampDataUpdateCoordinator[Prices]):
    """Fetches every market's last price from one server's public ticker."""

    def __init__(self, hass: HomeAssistant, base_url: str) -> None:
        """Poll `base_url`'s ticker while any entry listens; it belongs to no single entry."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=None,
            name=f"WhiteBIT prices ({URL(base_url).host})",
            update_interval=SCAN_INTERVAL,
            # Prices move between polls nearly always; listeners revalue only what they hold.
            always_update=False,
        )
        self.client = WhiteBitPublicClient(async_get_clientsession(hass), base_url)

    @override
    async def _async_update_data(self) -> Prices:
        try:
            return Prices(await self.client.markets())
        except WhiteBitError as err:
            # The client's text is for a bug report, not for the translated message.
            LOGGER.debug("%s: %s", self.name, err)
            raise UpdateFailed(
                translation_domain=DOMAIN, translation_key=f"prices_{failure_reason(err)}"
            ) from err

    def book(self, quote: str) -> PriceBook | None:
        """The last prices in `quote`; None while they cannot be fetched."""
        if not self.last_update_success or self.data is None:
            return None
        return self.data.book(quote)


async def async_get_prices(hass: HomeAssistant, base_url: str) -> WhiteBitPriceCoordinator:
    """The server's price coordinator, with prices no older than one interval.

    It polls only while an entry listens; one set up after all were unloaded finds old prices
    and refreshes them first. A failed refresh does not fail the entry: its balances work
    without prices, and the coordinator tries again at its next interval.
    """
    # Set up by async_setup; an options flow can come before it for an entry never loaded.
    coordinators = hass.data.setdefault(PRICES_KEY, {})
    if (prices := coordinators.get(base_url)) is None:
        prices = coordinators[base_url] = WhiteBitPriceCoordinator(hass, base_url)
    fetched = prices.last_update_success_time
    if fetched is None or dt_util.utcnow() - fetched >= SCAN_INTERVAL:
        await prices.async_refresh()
    return prices
