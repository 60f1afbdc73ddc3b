"""Diagnostics for WhiteBIT: what a bug report needs, without keys or amounts."""

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_API_KEY, CONF_UNIQUE_ID
from homeassistant.core import HomeAssistant

from .const import ACCOUNT_COLLATERAL, CONF_API_SECRET, REDACTED
from .coordinator import WhiteBitConfigEntry
from .subaccounts import sub_accounts_diagnostics

# The unique ID is a hash of the key: harmless, but nothing a bug report needs either.
TO_REDACT = {CONF_API_KEY, CONF_API_SECRET, CONF_UNIQUE_ID}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant,  # noqa: ARG001 - the signature Home Assistant calls
    entry: WhiteBitConfigEntry,
) -> dict[str, Any]:
    """Return the entry, the poll state and which currencies were seen, amounts redacted."""
    coordinator = entry.runtime_data
    data = coordinator.data
    tracking = coordinator.tracking
    tracked = sorted(data.tickers)
    return {
        "entry": async_redact_data(entry.as_dict(), TO_REDACT),
        "coordinator": {
            "last_update_success": coordinator.last_update_success,
            "update_interval_seconds": (
                coordinator.update_interval.total_seconds() if coordinator.update_interval else None
            ),
            "last_exception": (
                repr(coordinator.last_exception) if coordinator.last_exception else None
            ),
        },
        "balances": {
            "accounts": sorted(tracking.accounts),
            "main_currencies_reported": None if data.main is None else len(data.main),
            "trade_currencies_reported": None if data.trade is None else len(data.trade),
            "collateral_currencies_reported": (
                None if data.collateral is None else len(data.collateral)
            ),
            "earn_currencies_reported": None if data.earn is None else len(data.earn),
            "earn_known": data.earn_known,
            "currencies_with_balance": len(data.held()),
            "tracked": {ticker: REDACTED for ticker in tracked if data.total(ticker) is not None},
            "tracked_missing": [ticker for ticker in tracked if data.total(ticker) is None],
        },
        # The collateral summary and open positions: markets and stages, every figure redacted.
        "margin": (
            coordinator.margin.diagnostics() if ACCOUNT_COLLATERAL in tracking.accounts else None
        ),
        # Connected or not, reconnects, ages: no token, no frame, no amount.
        "stream": None if coordinator.stream is None else coordinator.stream.diagnostics(),
        # Fills and transfers as events: counts, ages and each read's state; the cursor's ids,
        # amounts and markets stay out.
        "events": coordinator.events.diagnostics(),
        # No id, alias or e-mail (the e-mail is never kept): counts and states only.
        "sub_accounts": sub_accounts_diagnostics(coordinator.sub_accounts),
        "valuation": {
            "quote": tracking.quote,
            "prices_fetched": data.portfolio is not None,
            "unvalued": list(data.portfolio.unvalued) if data.portfolio else None,
            # Names only: prices are public, but nothing a bug report needs.
            "markets": list(tracking.markets),
        },
    }
