"""The collateral (margin and futures) account: numbers or strings, exactly, in every sum."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from homeassistant.config_entries import SOURCE_USER
from homeassistant.data_entry_flow import FlowResultType
import pytest

from custom_components.whitebit.const import CONF_ACCOUNTS, CONF_MARKETS, DOMAIN
from simulator import (
    COLLATERAL_BALANCE_PATH,
    DEMO_KEY,
    DEMO_SECRET,
    FIXED_INVESTMENTS_PATH,
    FLEX_INVESTMENTS_PATH,
    MAIN_BALANCE_PATH,
    PUBLIC_TICKER_PATH,
    TRADE_BALANCE_PATH,
)
from simulator.margin import COLLATERAL_SUMMARY_PATH, OPEN_POSITIONS_PATH

from .common import INTERVAL, tick

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from simulator import WhiteBitSimulator

pytestmark = pytest.mark.usefixtures("freeze_first")

PREFIX = "sensor.whitebit_127_0_0_1"
# 24 significant digits: a float would lose them.
COLLATERAL = {"BTC": "0.3", "USDT": "100.000000000000000000001", "DOGE": "1000"}


async def _everything_on(
    hass: HomeAssistant, entry: MockConfigEntry, simulator: WhiteBitSimulator
) -> MockConfigEntry:
    """The full entry with every account (collateral and Earn too), and a market sensor."""
    simulator.accounts[DEMO_KEY].collateral = dict(COLLATERAL)
    entry.add_to_hass(hass)
    options = {
        **entry.options,
        CONF_ACCOUNTS: ["main", "trade", "collateral", "earn"],
        CONF_MARKETS: ["BTC_USDT"],
    }
    hass.config_entries.async_update_entry(entry, options=options)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


@pytest.fixture
async def with_collateral(
    hass: HomeAssistant, full_config_entry: MockConfigEntry, simulator: WhiteBitSimulator
) -> MockConfigEntry:
    """Everything on: every account, valuation, a market sensor."""
    return await _everything_on(hass, full_config_entry, simulator)


@pytest.mark.parametrize("as_strings", [False, True], ids=["numbers", "strings"])
async def test_collateral_in_the_totals_and_portfolio(
    hass: HomeAssistant,
    simulator: WhiteBitSimulator,
    full_config_entry: MockConfigEntry,
    as_strings: bool,  # noqa: FBT001 - a parameter
) -> None:
    """Each currency's collateral, in its total and, valued, in the portfolio, to the digit."""
    simulator.accounts[DEMO_KEY].collateral_as_strings = as_strings
    # Nothing in Earn here: the sums below are the collateral's.
    simulator.accounts[DEMO_KEY].flex, simulator.accounts[DEMO_KEY].fixed = [], []
    await _everything_on(hass, full_config_entry, simulator)
    assert hass.states.get(f"{PREFIX}_btc_collateral").state == "0.3"
    assert hass.states.get(f"{PREFIX}_usdt_collateral").state == "100.000000000000000000001"
    # Main 0.51234567 + trade 0.1 + 0.02 + collateral 0.3.
    assert hass.states.get(f"{PREFIX}_btc_total").state == "0.93234567"
    # 1234.56 + 1000.50 + 100.00 + 100.000000000000000000001
    assert hass.states.get(f"{PREFIX}_usdt_total").state == "2435.060000000000000000001"
    # DOGE: 12345.12345678 main + 1000 collateral, at 0.16. Each value to 8 decimals, as before.
    q = Decimal("0.00000001")
    expected = (
        (Decimal("0.93234567") * Decimal("91640.09")).quantize(q)
        + (Decimal("13345.12345678") * Decimal("0.16")).quantize(q)
        + (Decimal("4.75") * Decimal("0.00153") * Decimal("91640.09")).quantize(q)
        + Decimal("2435.060000000000000000001").quantize(q)
    )
    assert hass.states.get(f"{PREFIX}_portfolio_value_usdt").state == f"{expected.normalize():f}"


async def test_requests_per_poll_with_everything_on(
    hass: HomeAssistant,
    with_collateral: MockConfigEntry,
    simulator: WhiteBitSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Every account, valuation and a market sensor: one request each, eight in all.

    Earn is two lists (flex and fixed), one page each for the demo's few investments; the
    collateral account adds its summary and open positions.
    """
    before = dict(simulator.stats.requests)
    await tick(hass, freezer, INTERVAL)
    after = simulator.stats.requests
    assert {path: after[path] - before[path] for path in before} == {
        MAIN_BALANCE_PATH: 1,
        TRADE_BALANCE_PATH: 1,
        COLLATERAL_BALANCE_PATH: 1,
        COLLATERAL_SUMMARY_PATH: 1,
        OPEN_POSITIONS_PATH: 1,
        FLEX_INVESTMENTS_PATH: 1,
        FIXED_INVESTMENTS_PATH: 1,
        PUBLIC_TICKER_PATH: 1,
    }


async def test_the_flow_checks_the_collateral_permission(
    hass: HomeAssistant, simulator: WhiteBitSimulator, sim_url: str
) -> None:
    """Collateral ticked with a key that may not read it: the form says so; unticked, it works."""
    simulator.accounts[DEMO_KEY].permissions.discard(COLLATERAL_BALANCE_PATH)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    # Offered, not ticked by default: it needs its own permission, and few trade on margin.
    schema = result["data_schema"].schema
    assert schema[CONF_ACCOUNTS].config["options"] == [
        "main",
        "trade",
        "collateral",
        "earn",
        "subaccounts",
    ]
    assert next(key for key in schema if key == CONF_ACCOUNTS).default() == ["main", "trade"]
    user = {"server": "custom", "url": sim_url, "api_key": DEMO_KEY, "api_secret": DEMO_SECRET}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**user, CONF_ACCOUNTS: ["main", "collateral"]}
    )
    assert result["errors"] == {"base": "no_permission"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**user, CONF_ACCOUNTS: ["main"]}
    )
    assert result["step_id"] == "tickers"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"tickers": ["BTC"], "auto_track": False, "quote_currency": "none"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
