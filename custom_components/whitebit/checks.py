"""What the config and options flows check before they save, and what they offer from WhiteBIT.

Every flow checks what it would save the same way: the key against the accounts it would read
(the requests polling makes), and the quote currency against the server's shared prices (no
request when they are fresh).
"""

from collections.abc import Collection, Mapping
from typing import Any

from homeassistant.const import CONF_API_KEY, CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.update_coordinator import UpdateFailed

from .const import ACCOUNT_SUBACCOUNTS, CONF_API_SECRET, CONF_QUOTE, quote_ticker
from .forms import offered_quotes
from .holdings import WhiteBitData, async_fetch_balances
from .issues import form_error
from .prices import async_get_prices
from .pywhitebit import Market, WhiteBitClient


async def async_validate(
    hass: HomeAssistant, data: Mapping[str, Any], accounts: Collection[str], quote: str = ""
) -> tuple[WhiteBitData, dict[str, str]]:
    """Check the key live on `accounts`, then that the server trades in `quote` (if any)."""
    balances = WhiteBitData()
    if accounts:
        session = async_get_clientsession(hass)
        client = WhiteBitClient(session, data[CONF_API_KEY], data[CONF_API_SECRET], data[CONF_URL])
        try:
            balances = (await async_fetch_balances(client, accounts)).data()
            if ACCOUNT_SUBACCOUNTS in accounts:  # refused: WhiteBitSubAccountPermissionError
                await client.sub_accounts()
        except Exception as err:  # noqa: BLE001 - a flow ends in a form error, never a traceback
            return balances, form_error(err)
    if not quote or (ticker := quote_ticker(quote)) is None:
        return balances, {}
    prices = await async_get_prices(hass, data[CONF_URL])
    if (book := prices.book(ticker)) is None:
        failure = prices.last_exception
        cause = failure.__cause__ if isinstance(failure, UpdateFailed) else failure
        return balances, form_error(cause)
    return balances, {} if book.trades(ticker) else {CONF_QUOTE: "quote_unavailable"}


async def _markets(hass: HomeAssistant, base_url: str) -> Mapping[str, Market] | None:
    """The server's markets from its shared prices (fresh ones cost no request); None: failing."""
    prices = await async_get_prices(hass, base_url)
    return prices.data.markets if prices.data and prices.last_update_success else None


async def async_markets(hass: HomeAssistant, base_url: str) -> set[str]:
    """The server's markets' names; none while its prices fail."""
    return set(await _markets(hass, base_url) or ())


async def async_quotes(hass: HomeAssistant, base_url: str, kept: Collection[str]) -> list[str]:
    """The quote currencies to offer, from the server's shared prices."""
    return offered_quotes(await _markets(hass, base_url), kept)
