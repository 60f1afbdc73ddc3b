"""Pricing currencies from markets: direct, inverse, bridged, and what cannot be priced."""

from __future__ import annotations

import asyncio
from decimal import Decimal, localcontext
import time
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

from homeassistant.const import CONF_API_KEY, CONF_URL, STATE_UNAVAILABLE
from hypothesis import given, strategies as st
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.whitebit.const import (
    CONF_ACCOUNTS,
    CONF_API_SECRET,
    CONF_QUOTE,
    CONF_TICKERS,
    DOMAIN,
)
from custom_components.whitebit.holdings import Answers, async_fetch_balances
from custom_components.whitebit.pywhitebit.models import Balances, Market, TradeBalance
from custom_components.whitebit.valuation import PriceBook, sum_values, value_of
from simulator import DEMO_KEY

from .common import INTERVAL, error_lines, tick
from .conftest import FULL_OPTIONS

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant

    from simulator import WhiteBitSimulator

PREFIX = "sensor.whitebit_127_0_0_1"
FORTY_DIGITS = "1" + "0" * 39
SECOND_KEY, SECOND_SECRET = "second-key", "second-secret-1111111111111111"


def _book(quote: str, **markets: str | tuple[str, bool]) -> PriceBook:
    """A book from BASE_QUOTE=price, or (price, frozen)."""
    parsed = {}
    for name, spec in markets.items():
        price, frozen = spec if isinstance(spec, tuple) else (spec, False)
        base, quote_of = name.split("_")
        parsed[name] = Market(base, quote_of, Decimal(price), frozen)
    return PriceBook(parsed, quote)


def test_direct_market() -> None:
    """BTC_USDT at 9164.09 prices one BTC at 9164.09 USDT; USDT itself is 1."""
    book = _book("USDT", BTC_USDT="9164.09")
    assert book.price("BTC") == Decimal("9164.09")
    assert book.price("USDT") == 1


def test_inverse_market() -> None:
    """USDT_UAH at 41.5 prices one UAH at 1/41.5 USDT, and a direct market wins over it."""
    book = _book("USDT", USDT_UAH="41.5")
    with localcontext(prec=100):
        assert book.price("UAH") == Decimal(1) / Decimal("41.5")
    book = _book("USDT", USDT_EUR="0.8", EUR_USDT="1.2")
    assert book.price("EUR") == Decimal("1.2")


def test_bridged_through_one_intermediate() -> None:
    """X -> USDT -> EUR when X has no EUR market: price times price."""
    book = _book("EUR", DOGE_USDT="0.16", USDT_EUR="0.86")
    assert book.price("DOGE") == Decimal("0.1376")


def test_bridge_choice_is_deterministic() -> None:
    """A preferred bridge (USDT before BTC) wins; otherwise the alphabetically first one."""
    book = _book("EUR", X_BTC="2", BTC_EUR="10", X_USDT="3", USDT_EUR="1")
    assert book.price("X") == Decimal(3)
    book = _book("EUR", Y_ZZZ="2", ZZZ_EUR="10", Y_AAA="3", AAA_EUR="1")
    assert book.price("Y") == Decimal(3)


def test_frozen_and_zero_priced_markets_give_no_price() -> None:
    """Nobody can trade at a frozen market's or a zero price; a bridge may still work."""
    book = _book("USDT", SOL_USDT=("140.2", True), NIL_USDT="0")
    assert book.price("SOL") is None
    assert book.price("NIL") is None
    assert not book.trades("NIL")
    book = _book("USDT", SOL_USDT=("140.2", True), SOL_BTC="0.0015", BTC_USDT="90000")
    assert book.price("SOL") == Decimal("135.0000")


def test_unvaluable() -> None:
    """No chain of markets, or only one past MAX_PATH_MARKETS, means no price: never zero."""
    book = _book("USDT", TON_EUR="5", BTC_USDT="90000")
    assert book.price("TON") is None
    assert {c: book.price(c) for c in ("BTC", "TON")} == {"BTC": Decimal(90000), "TON": None}
    # Four markets (X -> A -> B -> C -> USDT) are beyond the bound.
    book = _book("USDT", X_A="1", A_B="1", B_C="1", C_USDT="1")
    assert book.price("X") is None
    assert book.price("A") == 1


def test_two_intermediates_as_whitebit_lists_them() -> None:
    """A token quoted only in TRY, valued in EUR: KOIN_TRY, USDT_TRY, USDT_EUR (three markets).

    The shapes are WhiteBIT's: a lira-only token, the Tether/lira market (quoted in TRY), and
    Tether/euro. Before, one intermediate was the limit, and the token was left out in EUR.
    """
    book = _book("EUR", KOIN_TRY="3.4", USDT_TRY="34", USDT_EUR="0.92", SOL_USDT="140")
    assert book.price("KOIN") == Decimal("0.0920")
    assert book.price("SOL") == Decimal("128.80")
    with localcontext(prec=100):
        assert book.price("TRY") == Decimal(1) / Decimal(34) * Decimal("0.92")


def test_the_shortest_chain_wins_then_the_preferred_one() -> None:
    """Fewer markets first; of equally short chains, the deepest intermediate (USDT before BTC).

    Independent of the order the markets are listed in.
    """
    markets = {"X_ZZZ": "1", "ZZZ_AAA": "1", "AAA_EUR": "1", "X_BTC": "2", "BTC_EUR": "10"}
    markets |= {"X_USDT": "3", "USDT_EUR": "1"}
    for ordered in (markets, dict(reversed(markets.items()))):
        assert _book("EUR", **ordered).price("X") == Decimal(3)
    # Two intermediates each way: through BTC (ranked before ETH) rather than ETH.
    book = _book("EUR", Y_ETH="5", ETH_USDC="1", Y_BTC="7", BTC_USDC="1", USDC_EUR="1")
    assert book.price("Y") == Decimal(7)


def test_a_thousand_markets_are_booked_in_milliseconds() -> None:
    """The book is built once per price update: 1,000 markets (WhiteBIT lists ~700) stay cheap.

    Measured: 1.2 to 3 ms on the development machine (the single-bridge book before: 2.7 ms,
    pricing each held currency on demand); the bound leaves room for a slow CI runner.
    """

    def market(base: str, quote: str, price: Decimal) -> Market:
        return Market(base, quote, price, frozen=False)

    markets = {f"C{n}_USDT": market(f"C{n}", "USDT", Decimal(n + 1)) for n in range(700)}
    markets |= {f"D{n}_C{n}": market(f"D{n}", f"C{n}", Decimal("1.5")) for n in range(300)}
    markets["USDT_EUR"] = market("USDT", "EUR", Decimal("0.92"))
    timings = []
    for _ in range(3):  # the best of three: a busy machine's pause is not the book's cost
        start = time.perf_counter()
        book = PriceBook(markets, "EUR")
        timings.append(time.perf_counter() - start)
    # D299 -> C299 -> USDT -> EUR: the bound's full length.
    assert book.price("D299") == Decimal("1.5") * 300 * Decimal("0.92")
    assert min(timings) < 0.05


def test_value_of() -> None:
    """Eight decimals; zero is worth zero with or without a price; otherwise None stays None."""
    assert value_of(Decimal("0.5"), Decimal(1) / Decimal(3)) == Decimal("0.16666667")
    assert value_of(Decimal(0), None) == Decimal("0E-8")
    assert value_of(Decimal(1), None) is None
    # Past any real value (prices of 40 digits, bridged): unvalued, never an exception.
    assert value_of(Decimal("1" * 40), Decimal("1e78")) is None
    assert value_of(Decimal(1), Decimal("1e60")) is None
    assert value_of(Decimal(1), Decimal("9" * 60)) == Decimal("9" * 60)


@given(
    amounts=st.lists(
        st.decimals(min_value=0, max_value=Decimal("1e40"), places=18, allow_nan=False),
        max_size=20,
    ),
    price=st.decimals(
        min_value=Decimal("1e-18"), max_value=Decimal("1e12"), places=18, allow_nan=False
    ),
)
def test_no_digit_is_lost_to_the_context(amounts: list[Decimal], price: Decimal) -> None:
    """Values and their sum are exact to the 8th decimal.

    Python's default context keeps 28 digits, which would round a 40-digit amount.
    """
    values = [value_of(amount, price) for amount in amounts]
    with localcontext(prec=200):
        expected = [(amount * price).quantize(Decimal("1e-8")) for amount in amounts]
        total = sum(expected, Decimal(0))
    assert values == expected
    assert sum_values(v for v in values if v is not None) == total


@pytest.mark.parametrize("count", [0, 1, 1000])
def test_sum_values(count: int) -> None:
    """The sum of many long values keeps every digit."""
    value = Decimal("123456789012345678901234567890.12345678")
    with localcontext(prec=100):
        expected = value * count
    assert sum_values([value] * count) == expected


@pytest.mark.usefixtures("entity_registry_enabled_by_default", "freeze_first")
async def test_an_overflowing_value_is_unvalued(
    hass: HomeAssistant,
    simulator: WhiteBitSimulator,
    init_full: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Prices of 40 digits (valid ones), bridged, and a large balance: that currency is unvalued.

    The product has more digits than the context holds; its quantize raised InvalidOperation,
    which failed every poll with "Unexpected error" and a traceback, and killed the stream.
    Now the one currency is listed as unvalued, and everything else goes on.
    """
    simulator.set_price("BTC_USDT", FORTY_DIGITS)
    simulator.set_price("SOL_BTC", FORTY_DIGITS)
    simulator.accounts[DEMO_KEY].balances["SOL"] = "1" * 40
    await tick(hass, freezer, INTERVAL)
    portfolio = hass.states.get(f"{PREFIX}_portfolio_value_usdt")
    assert portfolio.attributes["unvalued"] == ["SOL", "TON"]
    # 0.63234567 BTC at 1e39, 12345.12345678 DOGE at 0.16, 2335.06 USDT.
    # 0.63234567 BTC at 1e39, 12345.12345678 DOGE at 0.16, and 2335.06 USDT: every digit.
    assert portfolio.state == "632345670000000000000000000000000004310.27975308"
    assert hass.states.get(f"{PREFIX}_sol_total").state == "1" * 39 + "2.5"
    assert hass.states.get(f"{PREFIX}_sol_value_usdt").state == STATE_UNAVAILABLE
    # A pushed update with the same prices is valued the same way, without an exception.
    coordinator = init_full.runtime_data
    trade = {**coordinator.data.trade, "SOL": TradeBalance(Decimal(2), Decimal(0))}
    coordinator.async_stream_trade(Balances(trade))
    await hass.async_block_till_done()
    assert hass.states.get(f"{PREFIX}_portfolio_value_usdt").attributes["unvalued"] == [
        "SOL",
        "TON",
    ]
    assert not error_lines(caplog)
    assert "Traceback" not in caplog.text


async def test_prices_are_booked_once_per_price_update(
    hass: HomeAssistant, simulator: WhiteBitSimulator, init_full: MockConfigEntry
) -> None:
    """Pushed balance updates reuse the price book of the last prices; new prices make one."""
    coordinator = init_full.runtime_data
    with patch.object(PriceBook, "__init__", autospec=True, side_effect=PriceBook.__init__) as made:
        for available in range(1, 6):
            coordinator.async_stream_trade(
                Balances({"BTC": TradeBalance(Decimal(available), Decimal(0))})
            )
        assert made.call_count == 0
        simulator.set_price("BTC_USDT", "100000")
        await coordinator.prices.async_refresh()
        await hass.async_block_till_done()
        assert made.call_count == 1
    assert hass.states.get(f"{PREFIX}_btc_total").state == "5.51234567"


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_new_prices_during_another_entrys_first_poll(
    hass: HomeAssistant,
    simulator: WhiteBitSimulator,
    init_full: MockConfigEntry,
    sim_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A second entry on the server listens to its prices before its first poll has answered.

    New prices in that window revalued its balances, which did not exist yet: an error with an
    AttributeError traceback in the log. A server stalling the first answer makes the window as
    long as the request's timeout; every entry on the server shares the prices.
    """
    simulator.add_account(SECOND_KEY, SECOND_SECRET, {"BTC": "2"})
    second = MockConfigEntry(
        domain=DOMAIN,
        title="WhiteBIT (127.0.0.1) 2",
        version=1,
        minor_version=3,
        unique_id="second",
        data={CONF_URL: sim_url, CONF_API_KEY: SECOND_KEY, CONF_API_SECRET: SECOND_SECRET},
        options={**FULL_OPTIONS, CONF_ACCOUNTS: ["main"], CONF_TICKERS: ["BTC"]},
    )
    second.add_to_hass(hass)
    prices = init_full.runtime_data.prices
    polling, answered = asyncio.Event(), asyncio.Event()

    async def slow_fetch(*args: Any, **kwargs: Any) -> Answers:
        polling.set()
        await answered.wait()
        return await async_fetch_balances(*args, **kwargs)

    with patch("custom_components.whitebit.coordinator.async_fetch_balances", slow_fetch):
        setup = hass.async_create_task(hass.config_entries.async_setup(second.entry_id))
        await polling.wait()
        simulator.set_price("BTC_USDT", "100000")
        await prices.async_refresh()
        # The first entry is revalued: its BTC at the new price.
        btc = Decimal(hass.states.get(f"{PREFIX}_btc_total").state)
        assert Decimal(hass.states.get(f"{PREFIX}_btc_value_usdt").state) == btc * 100000
        answered.set()
        assert await setup
    await hass.async_block_till_done()
    assert second.runtime_data.data.portfolio.value == Decimal("200000.00000000")
    assert not error_lines(caplog)


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_in_eur_sol_is_valued_through_two_markets_and_the_rest_is_counted(
    hass: HomeAssistant, full_config_entry: MockConfigEntry
) -> None:
    """The demo in EUR: SOL_USDT is frozen, so SOL goes SOL_BTC, BTC_USDT, USDT_EUR.

    One intermediate was the limit: SOL was left out in EUR, visible only in an attribute.
    What is still left out (TON, which no market lists) is a sensor next to the value.
    """
    full_config_entry.add_to_hass(hass)
    options = {**full_config_entry.options, CONF_QUOTE: "eur"}
    hass.config_entries.async_update_entry(full_config_entry, options=options)
    await hass.config_entries.async_setup(full_config_entry.entry_id)
    await hass.async_block_till_done()
    with localcontext(prec=100):
        sol = (
            Decimal("4.75") * Decimal("0.00153") * Decimal("91640.09") * Decimal("0.86")
        ).quantize(Decimal("1e-8"))
    assert hass.states.get(f"{PREFIX}_sol_value_eur").state == f"{sol.normalize():f}"
    not_valued = hass.states.get(f"{PREFIX}_not_valued")
    assert (not_valued.state, not_valued.attributes["currencies"]) == ("1", ["TON"])
    assert not_valued.attributes["friendly_name"] == "WhiteBIT (127.0.0.1) Not valued"
