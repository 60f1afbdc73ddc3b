"""The options flow: a menu, and a short form for each thing that can change.

Each form holds only its own fields, so an error shows next to what it is about, and saving one
keeps the others' options as they were.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er

from custom_components.whitebit.const import (
    CONF_ACCOUNTS,
    CONF_AUTO_TRACK,
    CONF_MARKETS,
    CONF_QUOTE,
    CONF_TICKERS,
    CONF_ZERO_BALANCE,
)
from custom_components.whitebit.pywhitebit import (
    WhiteBitAuthenticationError,
    WhiteBitPermissionError,
    WhiteBitRateLimitError,
)

from .conftest import MAIN_OPTIONS, SELECTED

if TYPE_CHECKING:
    from unittest.mock import MagicMock

    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from homeassistant.data_entry_flow import FlowResult
    from pytest_homeassistant_custom_component.common import MockConfigEntry

# Every currency the main fixture lists.
LISTED = ["BTC", "DOGE", "ETH", "SOL", "TON", "USDT"]


def _fields(result: FlowResult) -> dict[str, Any]:
    """What each field of a form shows before the user types."""
    return {
        str(key): (key.description or {}).get("suggested_value")
        for key in result["data_schema"].schema
    }


def _offered(result: FlowResult, field: str) -> list[Any]:
    return list(result["data_schema"].schema[field].config["options"])


async def _open(hass: HomeAssistant, entry: MockConfigEntry, step: str) -> FlowResult:
    """Open the options and pick `step` in the menu."""
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.MENU
    return await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": step}
    )


async def test_menu_and_currencies(
    hass: HomeAssistant,
    init_global: MockConfigEntry,
    mock_whitebit_client: MagicMock,
    entity_registry: er.EntityRegistry,
) -> None:
    """A menu first; the currencies form lists every currency of the last poll, no request."""
    mock_whitebit_client.reset_mock()
    result = await hass.config_entries.options.async_init(init_global.entry_id)
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["currencies", "accounts", "valuation", "markets"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "currencies"}
    )
    assert result["step_id"] == "currencies"
    assert not mock_whitebit_client.mock_calls
    assert _fields(result) == {
        CONF_TICKERS: SELECTED,
        CONF_AUTO_TRACK: False,
        CONF_ZERO_BALANCE: "remove",
    }
    assert _offered(result, CONF_TICKERS) == LISTED

    form = {CONF_TICKERS: [], CONF_AUTO_TRACK: False, CONF_ZERO_BALANCE: "remove"}
    result = await hass.config_entries.options.async_configure(result["flow_id"], form)
    assert result["errors"] == {"base": "no_tickers"}
    assert _fields(result)[CONF_TICKERS] == []

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], form | {CONF_TICKERS: ["BTC", "SOL"]}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert init_global.options == {**MAIN_OPTIONS, CONF_TICKERS: ["BTC", "SOL"]}
    # No interval to set: five minutes, or Home Assistant's own polling switch.
    assert init_global.runtime_data.update_interval.total_seconds() == 300
    unique_ids = {
        entry.unique_id
        for entry in er.async_entries_for_config_entry(entity_registry, init_global.entry_id)
    }
    assert unique_ids == {
        f"{init_global.entry_id}_main_balance_BTC",
        f"{init_global.entry_id}_main_balance_SOL",
    }


async def test_accounts_checked_when_added(
    hass: HomeAssistant, init_global: MockConfigEntry, mock_whitebit_client: MagicMock
) -> None:
    """An added account is read with the stored key first; a refusal shows on its own form."""
    result = await _open(hass, init_global, "accounts")
    assert _fields(result) == {CONF_ACCOUNTS: ["main"]}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_ACCOUNTS: []}
    )
    assert result["errors"] == {"base": "no_accounts"}

    mock_whitebit_client.trade_balances.side_effect = WhiteBitPermissionError("not allowed")
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_ACCOUNTS: ["main", "trade"]}
    )
    assert result["errors"] == {"base": "no_permission"}
    # The form keeps what the user chose rather than going back to the stored options.
    assert _fields(result) == {CONF_ACCOUNTS: ["main", "trade"]}

    mock_whitebit_client.trade_balances.side_effect = None
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_ACCOUNTS: ["main", "trade"]}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert init_global.options == {**MAIN_OPTIONS, CONF_ACCOUNTS: ["main", "trade"]}
    assert init_global.state is ConfigEntryState.LOADED


async def test_valuation_offers_the_markets_quotes(
    hass: HomeAssistant,
    init_global: MockConfigEntry,
    mock_whitebit_client: MagicMock,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Every currency the markets are priced in, common ones first; the choice is checked."""
    markets = mock_whitebit_client.markets.return_value
    mock_whitebit_client.markets.return_value = {
        **markets,
        "BTC_TRY": replace(markets["BTC_USDT"], quote="TRY"),
        "USDT_KZT": replace(markets["USDT_UAH"], quote="KZT"),
        # A frozen market's quote is not offered: nothing could be valued through it.
        "BTC_GEL": replace(markets["BTC_USDT"], quote="GEL", frozen=True),
    }
    result = await _open(hass, init_global, "valuation")
    assert _fields(result) == {CONF_QUOTE: "none"}
    offered = [option["value"] for option in _offered(result, CONF_QUOTE)]
    assert offered == ["none", "usdt", "eur", "uah", "btc", "kzt", "try"]

    # Prices gone stale, and the ticker failing: the form says so, typed.
    freezer.tick(timedelta(minutes=6))
    mock_whitebit_client.markets.side_effect = WhiteBitRateLimitError("Too many requests.", 10)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_QUOTE: "kzt"}
    )
    assert result["errors"] == {"base": "rate_limited"}
    assert _fields(result) == {CONF_QUOTE: "kzt"}
    mock_whitebit_client.markets.side_effect = None

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_QUOTE: "kzt"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert init_global.options == {**MAIN_OPTIONS, CONF_QUOTE: "kzt"}
    portfolio = hass.states.get("sensor.whitebit_global_key_0000_portfolio_value_kzt")
    assert portfolio.attributes["unit_of_measurement"] == "KZT"


async def test_valuation_keeps_a_quote_no_longer_traded(
    hass: HomeAssistant, init_global: MockConfigEntry, mock_whitebit_client: MagicMock
) -> None:
    """The stored quote stays offered, and saving it unchanged asks nothing of WhiteBIT."""
    hass.config_entries.async_update_entry(
        init_global, options={**init_global.options, CONF_QUOTE: "pln"}
    )
    await hass.async_block_till_done()
    result = await _open(hass, init_global, "valuation")
    assert "pln" in [option["value"] for option in _offered(result, CONF_QUOTE)]
    requests = mock_whitebit_client.markets.call_count
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_QUOTE: "pln"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert mock_whitebit_client.markets.call_count == requests


async def test_markets(
    hass: HomeAssistant, init_global: MockConfigEntry, mock_whitebit_client: MagicMock
) -> None:
    """The server's markets, sorted; none picked is no market, not the old ones."""
    result = await _open(hass, init_global, "markets")
    assert _offered(result, CONF_MARKETS) == sorted(mock_whitebit_client.markets.return_value)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_MARKETS: ["BTC_USDT"]}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert init_global.options == {**MAIN_OPTIONS, CONF_MARKETS: ["BTC_USDT"]}
    assert hass.states.get("sensor.whitebit_global_key_0000_btc_usdt").state == "91640.09"

    result = await _open(hass, init_global, "markets")
    assert _fields(result) == {CONF_MARKETS: ["BTC_USDT"]}
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    await hass.async_block_till_done()
    assert init_global.options == {**MAIN_OPTIONS, CONF_MARKETS: []}


async def test_currencies_when_not_loaded(
    hass: HomeAssistant, global_entry: MockConfigEntry, mock_whitebit_client: MagicMock
) -> None:
    """With the entry not loaded, the list is fetched live; failing that, errors show."""
    global_entry.add_to_hass(hass)
    result = await _open(hass, global_entry, "currencies")
    assert result["errors"] == {}
    assert _offered(result, CONF_TICKERS) == LISTED

    mock_whitebit_client.main_balances.side_effect = WhiteBitAuthenticationError("rejected")
    result = await _open(hass, global_entry, "currencies")
    assert result["errors"] == {"base": "invalid_auth"}
    assert _offered(result, CONF_TICKERS) == sorted(SELECTED)
