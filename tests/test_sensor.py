"""Balance sensors."""

from __future__ import annotations

from typing import TYPE_CHECKING
from unittest.mock import patch

from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.const import STATE_UNAVAILABLE, Platform
from homeassistant.helpers import device_registry as dr, entity_registry as er
from pytest_homeassistant_custom_component.common import snapshot_platform

from custom_components.whitebit.const import (
    ACCOUNT_SUBACCOUNTS,
    ACCOUNTS,
    CONF_ACCOUNTS,
    CONF_AUTO_TRACK,
    CONF_MARKETS,
    CONF_QUOTE,
    CONF_TICKERS,
    CONF_ZERO_BALANCE,
    DOMAIN,
)
from simulator import DEMO_KEY, PUBLIC_TICKER_PATH, Fault

from .common import INTERVAL, error_lines, tick

if TYPE_CHECKING:
    from unittest.mock import MagicMock

    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    import pytest
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from syrupy.assertion import SnapshotAssertion

    from simulator import WhiteBitSimulator

PREFIX = "sensor.whitebit_127_0_0_1"


async def test_sensors(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """One sensor per selected ticker: names, units, state class, precision, states."""
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)


async def test_states_are_exact(
    hass: HomeAssistant, simulator: WhiteBitSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """Amounts reach the state digit for digit, tiny ones without exponent notation.

    Only trailing zeros go: the same number, which the frontend then shows without them.
    """
    simulator.accounts[DEMO_KEY].balances.update(
        {
            "BTC": "0.00000001",
            "ETH": "0.000000000000000001",
            "DOGE": "12345.123456789012345678",
            "USDT": "1200.00000000",
        }
    )
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert hass.states.get(f"{PREFIX}_btc_main").state == "0.00000001"
    assert hass.states.get(f"{PREFIX}_eth_main").state == "0.000000000000000001"
    assert hass.states.get(f"{PREFIX}_doge_main").state == "12345.123456789012345678"
    # Not 1.2E+3: trailing zeros go, the integer's own do not.
    assert hass.states.get(f"{PREFIX}_usdt_main").state == "1200"


async def test_one_service_device_per_account(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
    sim_url: str,
) -> None:
    """Every sensor of the entry hangs off one service device named after the entry."""
    [device] = dr.async_entries_for_config_entry(device_registry, init_integration.entry_id)
    assert device.identifiers == {(DOMAIN, init_integration.entry_id)}
    assert device.entry_type is dr.DeviceEntryType.SERVICE
    assert device.name == init_integration.title
    assert device.manufacturer == "WhiteBIT"
    assert device.configuration_url == f"{sim_url}/settings/api"
    entities = er.async_entries_for_config_entry(entity_registry, init_integration.entry_id)
    assert {entity.device_id for entity in entities} == {device.id}


async def test_currency_delisted_makes_its_sensor_unavailable(
    hass: HomeAssistant, simulator: WhiteBitSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """A selected ticker WhiteBIT no longer reports is unavailable, not zero."""
    simulator.currencies.remove("ETH")
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(f"{PREFIX}_eth_main").state == STATE_UNAVAILABLE
    assert hass.states.get(f"{PREFIX}_btc_main").state == "0.51234567"


async def test_full_sensors(
    hass: HomeAssistant,
    entity_registry_enabled_by_default: None,  # the value sensors too, before setup
    init_full: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Both accounts and values: every figure per currency, and the portfolio."""
    await snapshot_platform(hass, entity_registry, snapshot, init_full.entry_id)


async def test_every_account_from_the_documented_answers(
    hass: HomeAssistant,
    entity_registry_enabled_by_default: None,
    global_entry: MockConfigEntry,
    mock_whitebit_client: MagicMock,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Every account, valued, and a market, from WhiteBIT's documented answers (fixtures)."""
    global_entry.add_to_hass(hass)
    # Sub-accounts have a device each: test_subaccounts' concern.
    accounts = [account for account in ACCOUNTS if account != ACCOUNT_SUBACCOUNTS]
    options = {CONF_ACCOUNTS: accounts, CONF_QUOTE: "usdt", CONF_MARKETS: ["BTC_USDT"]}
    hass.config_entries.async_update_entry(
        global_entry, options={**global_entry.options, **options}
    )
    # The sensors alone: the margin-call binary sensors are test_positions' concern.
    with patch("custom_components.whitebit.PLATFORMS", [Platform.SENSOR]):
        await hass.config_entries.async_setup(global_entry.entry_id)
        await hass.async_block_till_done()
    await snapshot_platform(hass, entity_registry, snapshot, global_entry.entry_id)


async def test_an_older_entry_keeps_its_entity_ids_and_drops_the_fixed_precision(
    hass: HomeAssistant, entity_registry: er.EntityRegistry, mock_config_entry: MockConfigEntry
) -> None:
    """Sensors registered under the old names keep their IDs; a zero balance then reads 0.

    Before, every balance suggested 8 decimals, which the frontend applies to zero as well.
    """
    mock_config_entry.add_to_hass(hass)
    old_id = f"{PREFIX}_eth_main_balance"
    entity_registry.async_get_or_create(
        "sensor",
        DOMAIN,
        f"{mock_config_entry.entry_id}_main_balance_ETH",
        config_entry=mock_config_entry,
        suggested_object_id="whitebit_127_0_0_1_eth_main_balance",
    )
    entity_registry.async_update_entity_options(
        old_id, "sensor", {"suggested_display_precision": 8}
    )
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert hass.states.get(old_id).state == "0"
    assert hass.states.get(f"{PREFIX}_eth_main") is None
    assert "suggested_display_precision" not in entity_registry.async_get(old_id).options.get(
        "sensor", {}
    )


async def test_trade_figures_and_totals(
    hass: HomeAssistant,
    entity_registry_enabled_by_default: None,  # the trade breakdown is off by default
    init_full: MockConfigEntry,
) -> None:
    """Available, in orders and total; an account's rows only where it holds the currency.

    DOGE is not on the trade account and TON not on the main one: no "0" rows for them (there
    were, for every currency and account), and their totals are still there.
    """
    assert hass.states.get(f"{PREFIX}_btc_main").state == "0.51234567"
    assert hass.states.get(f"{PREFIX}_btc_available").state == "0.1"
    assert hass.states.get(f"{PREFIX}_btc_in_orders").state == "0.02"
    assert hass.states.get(f"{PREFIX}_btc_total").state == "0.63234567"
    assert hass.states.get(f"{PREFIX}_doge_available") is None
    assert hass.states.get(f"{PREFIX}_doge_total").state == "12345.12345678"
    assert hass.states.get(f"{PREFIX}_ton_main") is None
    assert hass.states.get(f"{PREFIX}_ton_total").state == "42"


async def test_portfolio_value(hass: HomeAssistant, init_full: MockConfigEntry) -> None:
    """Every way a currency is valued, and the one that cannot be.

    Direct (BTC, DOGE), bridged past a frozen market (SOL via BTC), the quote itself (USDT),
    zero (ETH); TON has no market and is listed, not counted as zero.
    """
    state = hass.states.get(f"{PREFIX}_portfolio_value_usdt")
    # 0.63234567 x 91640.09 + 12345.12345678 x 0.16
    # + 4.75 x 0.00153 x 91640.09 + 2335.06, each to 8 decimals.
    assert state.state == "62924.48821707"
    assert state.attributes["unvalued"] == ["TON"]
    assert state.attributes["unit_of_measurement"] == "USDT"
    assert state.attributes.get("device_class") is None


async def test_value_sensors_are_disabled_by_default(
    hass: HomeAssistant, init_full: MockConfigEntry, entity_registry: er.EntityRegistry
) -> None:
    """Per-currency values exist, disabled; enabled, they show value or unavailable."""
    entity_id = f"{PREFIX}_sol_value_usdt"
    entry = entity_registry.async_get(entity_id)
    assert entry is not None
    assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    assert hass.states.get(entity_id) is None

    for ticker in ("sol", "ton", "eth"):
        entity_registry.async_update_entity(f"{PREFIX}_{ticker}_value_usdt", disabled_by=None)
    await hass.config_entries.async_reload(init_full.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(entity_id).state == "665.99435408"
    assert hass.states.get(f"{PREFIX}_ton_value_usdt").state == STATE_UNAVAILABLE
    # Zero is worth zero, priced or not.
    assert hass.states.get(f"{PREFIX}_eth_value_usdt").state == "0"


async def test_monetary_only_for_real_currencies(
    hass: HomeAssistant, simulator: WhiteBitSimulator, full_config_entry: MockConfigEntry
) -> None:
    """EUR is money to Home Assistant; USDT and BTC are not, so they get no device class."""
    full_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        full_config_entry,
        options={**full_config_entry.options, CONF_QUOTE: "eur", CONF_TICKERS: ["EUR", "USDT"]},
    )
    await hass.config_entries.async_setup(full_config_entry.entry_id)
    await hass.async_block_till_done()

    portfolio = hass.states.get(f"{PREFIX}_portfolio_value_eur")
    assert portfolio.attributes["device_class"] == SensorDeviceClass.MONETARY
    assert portfolio.attributes["unit_of_measurement"] == "EUR"
    # 2335.06 USDT at USDT_EUR 0.86.
    assert portfolio.state == "2008.1516"
    assert hass.states.get(f"{PREFIX}_eur_total").attributes["device_class"] == (
        SensorDeviceClass.MONETARY
    )
    assert "device_class" not in hass.states.get(f"{PREFIX}_usdt_main").attributes


async def test_frozen_market_makes_a_currency_unvalued(
    hass: HomeAssistant,
    simulator: WhiteBitSimulator,
    init_full: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Freezing the bridge too leaves SOL with no price: listed, and out of the sum."""
    simulator.set_price("SOL_BTC", "0.00153", frozen=True)
    await tick(hass, freezer, INTERVAL)
    state = hass.states.get(f"{PREFIX}_portfolio_value_usdt")
    assert state.attributes["unvalued"] == ["SOL", "TON"]
    assert state.state == "62258.49386299"

    simulator.set_price("SOL_USDT", "140", frozen=False)
    await tick(hass, freezer, INTERVAL)
    state = hass.states.get(f"{PREFIX}_portfolio_value_usdt")
    assert state.attributes["unvalued"] == ["TON"]
    assert state.state == "62923.49386299"


async def test_prices_failing_leave_balances_alone(
    hass: HomeAssistant,
    simulator: WhiteBitSimulator,
    init_full: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A failing public ticker makes values unavailable, logs once, and recovers.

    The shared price coordinator's own logging says so: one line when it starts, one when it
    ends. The balances keep updating meanwhile.
    """
    simulator.inject(*[Fault(503, "", path=PUBLIC_TICKER_PATH)] * 2)
    await tick(hass, freezer, INTERVAL)
    simulator.accounts[DEMO_KEY].balances["BTC"] = "1"
    await tick(hass, freezer, INTERVAL)
    assert hass.states.get(f"{PREFIX}_portfolio_value_usdt").state == STATE_UNAVAILABLE
    assert hass.states.get(f"{PREFIX}_btc_total").state == "1.12"
    assert error_lines(caplog) == [
        (
            "Error fetching WhiteBIT prices (127.0.0.1) data: Could not reach WhiteBIT for the "
            "market prices, or it answered with a server error"
        )
    ]

    await tick(hass, freezer, INTERVAL)
    assert hass.states.get(f"{PREFIX}_portfolio_value_usdt").state != STATE_UNAVAILABLE
    assert "Fetching WhiteBIT prices (127.0.0.1) data recovered" in caplog.text
    assert len(error_lines(caplog)) == 1


async def _setup_auto(hass: HomeAssistant, entry: MockConfigEntry, zero_balance: str) -> None:
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry,
        options={
            **entry.options,
            CONF_AUTO_TRACK: True,
            CONF_TICKERS: [],
            CONF_ZERO_BALANCE: zero_balance,
        },
    )
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


def _tickers_with_entities(registry: er.EntityRegistry, entry: MockConfigEntry) -> set[str]:
    return {
        e.entity_id.removeprefix(f"{PREFIX}_").split("_")[0].upper()
        for e in er.async_entries_for_config_entry(registry, entry.entry_id)
        if not e.entity_id.endswith(("portfolio_value_usdt", "not_valued"))
    }


async def test_auto_tracking_adds_and_removes_without_reload(
    hass: HomeAssistant,
    simulator: WhiteBitSimulator,
    freeze_first: FrozenDateTimeFactory,
    full_config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """A currency that gets a balance gets sensors; one back at zero loses them."""
    await _setup_auto(hass, full_config_entry, "remove")
    coordinator = full_config_entry.runtime_data
    assert _tickers_with_entities(entity_registry, full_config_entry) == {
        "BTC",
        "DOGE",
        "SOL",
        "TON",
        "USDT",
    }
    account = simulator.accounts[DEMO_KEY]

    account.balances["LTC"] = "2"
    await tick(hass, freeze_first, INTERVAL)
    assert hass.states.get(f"{PREFIX}_ltc_main").state == "2"
    assert hass.states.get(f"{PREFIX}_ltc_total").state == "2"
    value = entity_registry.async_get(f"{PREFIX}_ltc_value_usdt")
    assert value is not None
    assert value.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    # LTC has no market: it joins the unvalued list the moment it is tracked.
    assert hass.states.get(f"{PREFIX}_portfolio_value_usdt").attributes["unvalued"] == [
        "LTC",
        "TON",
    ]

    account.balances["BTC"] = "0"
    del account.trade["BTC"]
    await tick(hass, freeze_first, INTERVAL)
    assert hass.states.get(f"{PREFIX}_btc_main") is None
    assert "BTC" not in _tickers_with_entities(entity_registry, full_config_entry)

    # A failed poll says nothing about balances: nothing is added or removed.
    simulator.inject(Fault(503, ""))
    await tick(hass, freeze_first, INTERVAL)
    assert hass.states.get(f"{PREFIX}_ltc_main").state == STATE_UNAVAILABLE
    assert _tickers_with_entities(entity_registry, full_config_entry) == {
        "DOGE",
        "LTC",
        "SOL",
        "TON",
        "USDT",
    }

    account.trade["BTC"] = ("0", "0.5")  # only in orders still counts as held
    await tick(hass, freeze_first, INTERVAL)
    assert hass.states.get(f"{PREFIX}_btc_total").state == "0.5"
    # Back on the trade account only: its rows, and no main row at zero.
    assert entity_registry.async_get(f"{PREFIX}_btc_in_orders") is not None
    assert hass.states.get(f"{PREFIX}_btc_main") is None
    # All of it happened in the running entry: no reload.
    assert full_config_entry.runtime_data is coordinator


async def test_auto_tracking_keeps_zeroed_currencies_unavailable(
    hass: HomeAssistant,
    simulator: WhiteBitSimulator,
    freeze_first: FrozenDateTimeFactory,
    full_config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """Kept sensors go unavailable at zero, survive a restart, and come back with a balance."""
    await _setup_auto(hass, full_config_entry, "unavailable")
    account = simulator.accounts[DEMO_KEY]
    account.balances["DOGE"] = "0"
    await tick(hass, freeze_first, INTERVAL)
    assert hass.states.get(f"{PREFIX}_doge_main").state == STATE_UNAVAILABLE
    assert "DOGE" in _tickers_with_entities(entity_registry, full_config_entry)
    # A zero is worth nothing: DOGE leaves the sum without being called unvalued.
    assert hass.states.get(f"{PREFIX}_portfolio_value_usdt").state == "60949.26846399"

    await hass.config_entries.async_reload(full_config_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(f"{PREFIX}_doge_main").state == STATE_UNAVAILABLE

    account.balances["DOGE"] = "5"
    await tick(hass, freeze_first, INTERVAL)
    assert hass.states.get(f"{PREFIX}_doge_main").state == "5"


async def test_delisted_currency_is_unknown_not_zero(
    hass: HomeAssistant, simulator: WhiteBitSimulator, full_config_entry: MockConfigEntry
) -> None:
    """With the main account tracked, a currency it stops listing has no known total or value."""
    simulator.currencies.remove("DOGE")
    full_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        full_config_entry,
        options={
            **full_config_entry.options,
            CONF_ACCOUNTS: ["main"],
            CONF_TICKERS: ["BTC", "DOGE"],
        },
    )
    await hass.config_entries.async_setup(full_config_entry.entry_id)
    await hass.async_block_till_done()

    assert hass.states.get(f"{PREFIX}_doge_main").state == STATE_UNAVAILABLE
    assert hass.states.get(f"{PREFIX}_btc_total") is None  # main alone: no total
    portfolio = hass.states.get(f"{PREFIX}_portfolio_value_usdt")
    assert portfolio.attributes["unvalued"] == ["DOGE"]
    # 0.51234567 x 91640.09
    assert portfolio.state == "46951.40330991"
