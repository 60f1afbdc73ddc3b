"""Market price sensors, read from the server's shared public ticker."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.helpers import entity_registry as er
import pytest

from custom_components.whitebit.const import CONF_MARKETS, CONF_QUOTE
from custom_components.whitebit.pywhitebit.parse import parse_markets
from simulator import MAIN_BALANCE_PATH, PUBLIC_TICKER_PATH, TRADE_BALANCE_PATH

from .common import INTERVAL, tick

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from simulator import WhiteBitSimulator

pytestmark = pytest.mark.usefixtures("freeze_first")

PREFIX = "sensor.whitebit_127_0_0_1"
MARKETS = ["BTC_USDT", "ETH_UAH", "SOL_USDT", "USDT_EUR"]


@pytest.fixture
async def with_markets(
    hass: HomeAssistant, full_config_entry: MockConfigEntry, simulator: WhiteBitSimulator
) -> MockConfigEntry:
    """The full entry with four picked markets: ETH_UAH is not listed, SOL_USDT is frozen."""
    full_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        full_config_entry, options={**full_config_entry.options, CONF_MARKETS: MARKETS}
    )
    await hass.config_entries.async_setup(full_config_entry.entry_id)
    await hass.async_block_till_done()
    return full_config_entry


async def test_price_sensors(hass: HomeAssistant, with_markets: MockConfigEntry) -> None:
    """The exact last price, in the quote currency, as a measurement; frozen or missing: none."""
    btc = hass.states.get(f"{PREFIX}_btc_usdt")
    assert btc.state == "91640.09"
    assert btc.attributes["unit_of_measurement"] == "USDT"
    assert btc.attributes["state_class"] == "measurement"
    assert btc.attributes["friendly_name"] == "WhiteBIT (127.0.0.1) BTC/USDT"
    assert "device_class" not in btc.attributes
    assert hass.states.get(f"{PREFIX}_usdt_eur").state == "0.86"
    assert hass.states.get(f"{PREFIX}_usdt_eur").attributes["unit_of_measurement"] == "EUR"
    assert hass.states.get(f"{PREFIX}_sol_usdt").state == STATE_UNAVAILABLE
    assert hass.states.get(f"{PREFIX}_eth_uah").state == STATE_UNAVAILABLE


async def test_the_change_is_disabled_by_default(
    hass: HomeAssistant, with_markets: MockConfigEntry, entity_registry: er.EntityRegistry
) -> None:
    """Created, disabled; once enabled, the ticker's 24-hour change in percent."""
    entity_id = f"{PREFIX}_btc_usdt_24_h_change"
    entry = entity_registry.async_get(entity_id)
    assert entry is not None
    assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    entity_registry.async_update_entity(entity_id, disabled_by=None)
    await hass.config_entries.async_reload(with_markets.entry_id)
    await hass.async_block_till_done()
    state = hass.states.get(entity_id)
    assert (state.state, state.attributes["unit_of_measurement"]) == ("0.57", "%")


async def test_prices_move_without_a_balance_request(
    hass: HomeAssistant,
    with_markets: MockConfigEntry,
    simulator: WhiteBitSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """One ticker request per interval serves the values and every market; balances as usual."""
    before = dict(simulator.stats.requests)
    simulator.set_price("BTC_USDT", "95000.123456789")
    simulator.set_price("ETH_UAH", "130000")
    simulator.set_price("SOL_USDT", "150", frozen=False)
    await tick(hass, freezer, INTERVAL)
    assert hass.states.get(f"{PREFIX}_btc_usdt").state == "95000.123456789"
    assert hass.states.get(f"{PREFIX}_eth_uah").state == "130000"
    assert hass.states.get(f"{PREFIX}_sol_usdt").state == "150"
    after = simulator.stats.requests
    assert {path: after[path] - before[path] for path in before} == {
        MAIN_BALANCE_PATH: 1,
        TRADE_BALANCE_PATH: 1,
        PUBLIC_TICKER_PATH: 1,
    }


async def test_markets_without_valuation_still_share_the_ticker(
    hass: HomeAssistant, full_config_entry: MockConfigEntry, simulator: WhiteBitSimulator
) -> None:
    """Valuation off, markets picked: the ticker is fetched for them; no value sensors."""
    full_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        full_config_entry,
        options={**full_config_entry.options, CONF_QUOTE: "none", CONF_MARKETS: ["BTC_USDT"]},
    )
    await hass.config_entries.async_setup(full_config_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(f"{PREFIX}_btc_usdt").state == "91640.09"
    assert hass.states.get(f"{PREFIX}_portfolio_value_usdt") is None
    assert simulator.stats.requests[PUBLIC_TICKER_PATH] == 1


async def test_a_removed_market_loses_its_sensors(
    hass: HomeAssistant, with_markets: MockConfigEntry, entity_registry: er.EntityRegistry
) -> None:
    """Dropping a market in the options removes both of its sensors."""
    hass.config_entries.async_update_entry(
        with_markets, options={**with_markets.options, CONF_MARKETS: ["USDT_EUR"]}
    )
    await hass.config_entries.async_reload(with_markets.entry_id)
    await hass.async_block_till_done()
    assert entity_registry.async_get(f"{PREFIX}_btc_usdt") is None
    assert entity_registry.async_get(f"{PREFIX}_btc_usdt_24_h_change") is None
    assert hass.states.get(f"{PREFIX}_usdt_eur").state == "0.86"


async def test_options_flow_adds_a_market(
    hass: HomeAssistant, init_full: MockConfigEntry, simulator: WhiteBitSimulator
) -> None:
    """The options offer the ticker's markets, from the shared prices: no extra request."""
    before = dict(simulator.stats.requests)
    result = await hass.config_entries.options.async_init(init_full.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "markets"}
    )
    offered = result["data_schema"].schema[CONF_MARKETS].config["options"]
    assert offered == sorted(simulator.markets)
    assert simulator.stats.requests == before
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_MARKETS: ["BTC_USDT"]}
    )
    await hass.async_block_till_done()
    assert init_full.options[CONF_MARKETS] == ["BTC_USDT"]
    assert hass.states.get(f"{PREFIX}_btc_usdt").state == "91640.09"


@pytest.mark.parametrize(
    ("change", "expected"),
    [("0.57", "0.57"), ("-1.25", "-1.25"), ("-0", "0"), ("x", None), (None, None), (1, None)],
)
def test_changes_are_read_signed_and_never_cost_the_market(
    change: object, expected: str | None
) -> None:
    """A negative change is negative; a change that is no number leaves the price alone."""
    entry = {"last_price": "2", "isFrozen": False, "change": change}
    market = parse_markets({"A_B": entry})["A_B"]
    assert market.last_price == 2
    assert (None if market.change is None else f"{market.change.normalize():f}") == expected
