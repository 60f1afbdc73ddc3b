"""Polling over time: updates, one request per poll, faults, recovery, rate limits."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
import json
from types import MappingProxyType
from typing import TYPE_CHECKING

from aiohttp.test_utils import TestServer
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import (
    CONF_API_KEY,
    CONF_SCAN_INTERVAL,
    CONF_URL,
    EVENT_STATE_CHANGED,
    STATE_UNAVAILABLE,
)
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.whitebit.const import (
    CONF_ACCOUNTS,
    CONF_API_SECRET,
    CONF_TICKERS,
    DOMAIN,
    LEGACY_OPTIONS,
)
from custom_components.whitebit.holdings import WhiteBitData
from custom_components.whitebit.issues import clock_issue_id
from simulator import (
    DEMO_KEY,
    DEMO_SECRET,
    MAIN_BALANCE_PATH,
    NONCE_OUTSIDE_WINDOW,
    PUBLIC_TICKER_PATH,
    TRADE_BALANCE_PATH,
    Fault,
    WhiteBitSimulator,
    demo_simulator,
)

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import Event, HomeAssistant

from .common import BTC, INTERVAL, error_lines, requests_seen, tick as _tick
from .conftest import FULL_OPTIONS, MAIN_OPTIONS

# Every test here runs on frozen time, from before the entry is set up.
pytestmark = pytest.mark.usefixtures("freeze_first")


async def test_a_changed_balance_shows_after_the_next_poll(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: WhiteBitSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The configured interval drives polling."""
    simulator.accounts[DEMO_KEY].balances["BTC"] = "1.5"
    await _tick(hass, freezer, INTERVAL - timedelta(seconds=1))
    assert hass.states.get(BTC).state == "0.51234567"
    await _tick(hass, freezer, timedelta(seconds=1))
    assert hass.states.get(BTC).state == "1.5"


@pytest.mark.parametrize("count", [1, 100, 1000])
@pytest.mark.parametrize("full", [False, True], ids=["main", "both_accounts_valued"])
async def test_one_request_per_account_per_poll_whatever_the_ticker_count(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    simulator: WhiteBitSimulator,
    freezer: FrozenDateTimeFactory,
    count: int,
    full: bool,  # noqa: FBT001 - a parameter
) -> None:
    """Each tracked account takes one signed request, prices one public request: never more."""
    tickers = [f"C{i:04d}" for i in range(count)]
    account = simulator.accounts[DEMO_KEY]
    account.balances.update(dict.fromkeys(tickers, "1"))
    account.trade.update(dict.fromkeys(tickers, ("2", "0.5")))
    simulator.currencies.extend(tickers)
    for ticker in tickers:
        simulator.set_price(f"{ticker}_USDT", "3")
    mock_config_entry.add_to_hass(hass)
    options = {**FULL_OPTIONS} if full else {**LEGACY_OPTIONS, CONF_SCAN_INTERVAL: 300}
    hass.config_entries.async_update_entry(
        mock_config_entry, options={**options, CONF_TICKERS: tickers}
    )
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    # Main only: one sensor each. Both: main and total enabled (available and in orders are
    # created disabled), the portfolio, and what it leaves out.
    assert len(hass.states.async_entity_ids("sensor")) == (2 * count + 2 if full else count)
    if full:
        assert hass.states.get("sensor.whitebit_127_0_0_1_portfolio_value_usdt").state == (
            f"{(Decimal(count) * 3 * Decimal('3.5')).normalize():f}"
        )
    expected = (MAIN_BALANCE_PATH, TRADE_BALANCE_PATH, PUBLIC_TICKER_PATH) if full else ()
    for polls in (1, 2, 3):
        if polls > 1:
            await _tick(hass, freezer, INTERVAL)
        assert simulator.stats.requests == {
            MAIN_BALANCE_PATH: polls,
            **dict.fromkeys(expected, polls),
        }


async def test_unchanged_poll_writes_no_state(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: WhiteBitSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An unchanged answer fires no state_changed; one changed balance fires exactly one."""
    events: list[Event] = []
    hass.bus.async_listen(EVENT_STATE_CHANGED, events.append)
    await _tick(hass, freezer, INTERVAL)
    assert events == []
    simulator.accounts[DEMO_KEY].balances["USDT"] = "1000"
    await _tick(hass, freezer, INTERVAL)
    assert [event.data["entity_id"] for event in events] == ["sensor.whitebit_127_0_0_1_usdt_main"]


async def test_outage_is_logged_once_and_recovers(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: WhiteBitSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Sensors go unavailable on a fault, with one error line, and return with one info line."""
    original = simulator.accounts[DEMO_KEY].permissions
    account = simulator.accounts[DEMO_KEY]
    simulator.set_rate_limit(0)  # every request is over the limit: a 429 that is not the key
    caplog.clear()
    for _ in range(3):
        await _tick(hass, freezer, INTERVAL)
        assert hass.states.get(BTC).state == STATE_UNAVAILABLE
    errors = error_lines(caplog)
    assert len(errors) == 1
    assert "limiting requests" in errors[0]

    simulator.set_rate_limit(1000)
    account.permissions = original
    caplog.clear()
    for _ in range(2):
        await _tick(hass, freezer, INTERVAL)
    assert hass.states.get(BTC).state == "0.51234567"
    recovered = [r for r in caplog.records if "recovered" in r.getMessage()]
    assert len(recovered) == 1
    assert not error_lines(caplog)


async def test_rate_limit_honours_the_retry_delay(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: WhiteBitSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """After a 429 the next poll comes after the retry delay, then the interval resumes."""
    simulator.set_rate_limit(0)
    await _tick(hass, freezer, INTERVAL)
    assert hass.states.get(BTC).state == STATE_UNAVAILABLE
    polls = requests_seen(simulator)

    simulator.set_rate_limit(1000)
    await _tick(hass, freezer, timedelta(seconds=9))
    assert requests_seen(simulator) == polls
    await _tick(hass, freezer, timedelta(seconds=1))
    assert requests_seen(simulator) == polls + 1
    assert hass.states.get(BTC).state == "0.51234567"
    await _tick(hass, freezer, timedelta(seconds=10))
    assert requests_seen(simulator) == polls + 1


async def test_missing_permission_during_polling_starts_reauth(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: WhiteBitSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A key that lost the balance permission makes sensors unavailable and asks for a key."""
    simulator.accounts[DEMO_KEY].permissions.clear()
    # Reauth is the fix for a missing permission, so a poll with one starts a flow.
    await _tick(hass, freezer, INTERVAL)
    assert hass.states.get(BTC).state == STATE_UNAVAILABLE
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_revoked_key_during_polling_starts_reauth(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: WhiteBitSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A key disabled while running makes sensors unavailable and asks for a new key."""
    simulator.accounts[DEMO_KEY].enabled = False
    await _tick(hass, freezer, INTERVAL)
    assert hass.states.get(BTC).state == STATE_UNAVAILABLE
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_clock_issue_is_per_server(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: WhiteBitSimulator,
    sim_url: str,
    issue_registry: ir.IssueRegistry,
) -> None:
    """One server refuses the nonce's time: its repair stays until a poll of that server succeeds.

    Its Date agrees with ours, so the issue says the clock is off without a figure, naming the
    server. A good poll of an entry on another server says nothing about this one's clock and
    leaves the issue alone; the next good poll of this server's entry clears it.
    """
    other = demo_simulator()
    server = TestServer(other.app(), host="127.0.0.1")
    await server.start_server(access_log=None)
    other_url = str(server.make_url("")).rstrip("/")
    second = MockConfigEntry(
        domain=DOMAIN,
        title="WhiteBIT (other)",
        version=1,
        minor_version=3,
        unique_id="other",
        data={CONF_URL: other_url, CONF_API_KEY: DEMO_KEY, CONF_API_SECRET: DEMO_SECRET},
        options=MAIN_OPTIONS,
    )
    second.add_to_hass(hass)
    await hass.config_entries.async_setup(second.entry_id)
    await hass.async_block_till_done()
    issue_id = clock_issue_id(sim_url)
    assert issue_id != clock_issue_id(other_url)

    simulator.inject(Fault(422, json.dumps(NONCE_OUTSIDE_WINDOW)))
    coordinator = init_integration.runtime_data
    await coordinator.async_refresh()
    assert not coordinator.last_update_success
    assert coordinator.last_exception.translation_key == "clock_off"
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "clock_off_unknown"
    assert issue.translation_placeholders == {"seconds": "?", "server": "WhiteBIT 127.0.0.1"}

    await second.runtime_data.async_refresh()
    assert second.runtime_data.last_update_success
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None
    assert issue_registry.async_get_issue(DOMAIN, clock_issue_id(other_url)) is None

    await coordinator.async_refresh()
    assert coordinator.last_update_success
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    await hass.config_entries.async_unload(second.entry_id)
    await server.close()


async def test_repairs_go_with_the_last_entry_of_a_server(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: WhiteBitSimulator,
    sim_url: str,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A removed entry leaves no repair behind.

    The clock issue stays while another entry on the same server still measures that clock.
    """
    simulator.add_account("second-key", "second-secret-1111111111111111", {"BTC": "2"})
    second = MockConfigEntry(
        domain=DOMAIN,
        title="WhiteBIT (127.0.0.1) 2",
        version=1,
        minor_version=3,
        unique_id="second",
        data={
            CONF_URL: sim_url,
            CONF_API_KEY: "second-key",
            CONF_API_SECRET: "second-secret-1111111111111111",
        },
        options={**MAIN_OPTIONS, CONF_TICKERS: ["BTC"]},
    )
    second.add_to_hass(hass)
    await hass.config_entries.async_setup(second.entry_id)
    await hass.async_block_till_done()
    simulator.inject(Fault(422, json.dumps(NONCE_OUTSIDE_WINDOW)))
    await second.runtime_data.async_refresh()
    assert issue_registry.async_get_issue(DOMAIN, clock_issue_id(sim_url)) is not None

    await hass.config_entries.async_remove(init_integration.entry_id)
    assert issue_registry.async_get_issue(DOMAIN, clock_issue_id(sim_url)) is not None
    await hass.config_entries.async_remove(second.entry_id)
    assert issue_registry.async_get_issue(DOMAIN, clock_issue_id(sim_url)) is None


def test_an_invalid_amount_is_unknown_not_zero() -> None:
    """A currency whose entry was wrong has no total, and stays held (its sensors unavailable)."""
    data = WhiteBitData(
        main=MappingProxyType({"BTC": Decimal(1)}),
        trade=MappingProxyType({}),
        invalid=frozenset({"ETH"}),
    )
    assert data.total("ETH") is None
    assert data.trade_balance("ETH") is None
    assert data.held() == {"BTC", "ETH"}


@pytest.mark.usefixtures("freeze_first")
async def test_entries_on_one_server_share_one_price_request(
    hass: HomeAssistant,
    init_full: MockConfigEntry,
    simulator: WhiteBitSimulator,
    sim_url: str,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Two accounts valued on one server: one public ticker request per interval, not two.

    Each account still makes its own signed requests; both portfolios are valued from the one
    answer, and a new price reaches both without a balance request.
    """
    simulator.add_account("second-key", "second-secret-1111111111111111", {"BTC": "2"})
    second = MockConfigEntry(
        domain=DOMAIN,
        title="WhiteBIT (127.0.0.1) 2",
        version=1,
        minor_version=3,
        unique_id="second",
        data={
            CONF_URL: sim_url,
            CONF_API_KEY: "second-key",
            CONF_API_SECRET: "second-secret-1111111111111111",
        },
        options={**FULL_OPTIONS, CONF_ACCOUNTS: ["main"], CONF_TICKERS: ["BTC"]},
    )
    second.add_to_hass(hass)
    await hass.config_entries.async_setup(second.entry_id)
    await hass.async_block_till_done()
    assert simulator.stats.requests[PUBLIC_TICKER_PATH] == 1  # the first entry's, shared
    for polls in (2, 3, 4):
        await _tick(hass, freezer, INTERVAL)
        assert simulator.stats.requests[PUBLIC_TICKER_PATH] == polls
    # Both entries read the same prices: the second's portfolio is its 2 BTC at BTC_USDT.
    assert second.runtime_data.data.portfolio.value == Decimal("183280.18000000")
    assert init_full.runtime_data.prices is second.runtime_data.prices
    main_requests = simulator.stats.requests[MAIN_BALANCE_PATH]
    simulator.set_price("BTC_USDT", "100000")
    await _tick(hass, freezer, INTERVAL)
    assert second.runtime_data.data.portfolio.value == Decimal("200000.00000000")
    # One more poll each, nothing extra for the new price.
    assert simulator.stats.requests[MAIN_BALANCE_PATH] == main_requests + 2
