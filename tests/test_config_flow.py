"""Config, reauth, reconfigure and options flows."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any
from unittest.mock import AsyncMock, patch

from homeassistant.config_entries import SOURCE_REAUTH, SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_API_KEY, CONF_URL
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.whitebit.const import (
    CONF_ACCOUNTS,
    CONF_API_SECRET,
    CONF_AUTO_TRACK,
    CONF_MARKETS,
    CONF_QUOTE,
    CONF_SERVER,
    CONF_TICKERS,
    CONF_ZERO_BALANCE,
    DOMAIN,
    SERVER_CUSTOM,
    SERVER_EU,
    SERVER_GLOBAL,
)
from custom_components.whitebit.identity import entry_unique_id
from custom_components.whitebit.pywhitebit.errors import (
    WhiteBitClockError,
    WhiteBitRequestError,
    WhiteBitResponseError,
)
from custom_components.whitebit.pywhitebit.models import Balances
from simulator import (
    DEMO_KEY,
    DEMO_SECRET,
    MAIN_BALANCE_PATH,
    PRIVATE_PATHS,
    PUBLIC_TICKER_PATH,
    TRADE_BALANCE_PATH,
    Fault,
)

from .conftest import SELECTED, TEST_SECRETS

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.data_entry_flow import FlowResult

    from simulator import WhiteBitSimulator

SECOND_KEY = "second-key-1111111111111111111111"
SECOND_SECRET = TEST_SECRETS[1]
WRONG_SECRET = TEST_SECRETS[2]


def _account(url: str, key: str = DEMO_KEY, secret: str = DEMO_SECRET) -> dict[str, str]:
    """The entry data for an account on a custom server (what a finished flow stores)."""
    return {CONF_SERVER: SERVER_CUSTOM, CONF_URL: url, CONF_API_KEY: key, CONF_API_SECRET: secret}


async def _configure(
    hass: HomeAssistant,
    flow_id: str,
    url: str,
    key: str = DEMO_KEY,
    secret: str = DEMO_SECRET,
    **extra: Any,
) -> FlowResult:
    """Fill in the account form for a custom server, then its URL step where it comes."""
    form = {CONF_SERVER: SERVER_CUSTOM, CONF_API_KEY: key, CONF_API_SECRET: secret, **extra}
    result = await hass.config_entries.flow.async_configure(flow_id, form)
    if result.get("step_id") == "custom_url":
        result = await hass.config_entries.flow.async_configure(flow_id, {CONF_URL: url})
    return result


def _default(result: FlowResult, field: str) -> Any:
    """Return what a form field shows before the user types: its default or suggestion."""
    for key in result["data_schema"].schema:
        if key == field:
            if (suggested := (key.description or {}).get("suggested_value")) is not None:
                return suggested
            return key.default() if callable(key.default) else None
    msg = f"no field {field}"
    raise KeyError(msg)


def _add_second_entry(hass: HomeAssistant, simulator: WhiteBitSimulator, sim_url: str) -> None:
    """Give the simulator a second key and Home Assistant an entry that already uses it."""
    simulator.add_account(SECOND_KEY, SECOND_SECRET)
    MockConfigEntry(
        domain=DOMAIN,
        unique_id=entry_unique_id(sim_url, SECOND_KEY),
        data=_account(sim_url, SECOND_KEY, SECOND_SECRET),
        options={CONF_TICKERS: ["BTC"]},
    ).add_to_hass(hass)


async def _start(hass: HomeAssistant) -> FlowResult:
    return await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})


async def test_full_user_flow(hass: HomeAssistant, sim_url: str) -> None:
    """Key checked live, non-zero currencies preselected, entry created and loaded."""
    result = await _start(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert _default(result, CONF_SERVER) == SERVER_GLOBAL

    result = await _configure(
        hass, result["flow_id"], sim_url + "/", f" {DEMO_KEY} ", f"{DEMO_SECRET}\n"
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "tickers"
    # Held on either account: TON is only on the trade account.
    assert _default(result, CONF_TICKERS) == ["BTC", "DOGE", "SOL", "TON", "USDT"]
    assert _default(result, CONF_AUTO_TRACK) is False
    assert _default(result, CONF_QUOTE) == "usdt"
    assert result["description_placeholders"] == {"count": "13"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TICKERS: ["BTC", "ETH"]}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    # The server and the key's last four characters: two accounts are told apart.
    assert entry.title == "WhiteBIT 127.0.0.1 (key …0000)"
    # Pasted whitespace is gone, the URL is normalised, and the unique ID is a hash.
    assert entry.data == {CONF_URL: sim_url, CONF_API_KEY: DEMO_KEY, CONF_API_SECRET: DEMO_SECRET}
    assert entry.unique_id == entry_unique_id(sim_url, DEMO_KEY)
    assert DEMO_KEY not in entry.unique_id
    assert entry.options == {
        CONF_ACCOUNTS: ["main", "trade"],
        CONF_TICKERS: ["BTC", "ETH"],
        CONF_AUTO_TRACK: False,
        CONF_ZERO_BALANCE: "remove",
        CONF_QUOTE: "usdt",
    }
    assert (entry.version, entry.minor_version) == (1, 3)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


@pytest.mark.parametrize(
    ("server", "url", "title"),
    [
        (SERVER_GLOBAL, "https://whitebit.com", "WhiteBIT Global (key …0000)"),
        (SERVER_EU, "https://whitebit.eu", "WhiteBIT EU (key …0000)"),
    ],
)
async def test_official_servers(hass: HomeAssistant, server: str, url: str, title: str) -> None:
    """Global and EU resolve to their documented URLs; no URL is asked for."""
    client = "custom_components.whitebit.config_flow.WhiteBitClient"
    with (
        patch(f"{client}.main_balances", AsyncMock(return_value=Balances({"BTC": Decimal(1)}))),
        patch(f"{client}.trade_balances", AsyncMock(return_value=Balances({}))),
        patch("custom_components.whitebit.async_setup_entry", return_value=True),
    ):
        result = await _start(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {CONF_SERVER: server, CONF_API_KEY: DEMO_KEY, CONF_API_SECRET: DEMO_SECRET},
        )
        assert result["step_id"] == "tickers"
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_TICKERS: ["BTC"], CONF_QUOTE: "none"}
        )
    assert result["title"] == title
    assert result["data"][CONF_URL] == url


@pytest.mark.parametrize(
    "url",
    [
        "",
        "whitebit.com",
        "ftp://127.0.0.1",
        "http://whitebit.com",
        "http://192.168.1.10:8800",
        "https://user:pass@proxy.example",
        "https://proxy.example/?token=abc",
        "https://[::1",
    ],
)
async def test_invalid_custom_url(hass: HomeAssistant, sim_url: str, url: str | None) -> None:
    """Asked for only with a custom server: https, or http on loopback, no credentials."""
    result = await _start(hass)
    # The account form has no URL field; choosing a custom server leads to one.
    assert CONF_URL not in {str(field) for field in result["data_schema"].schema}
    result = await _configure(hass, result["flow_id"], url)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "custom_url"
    assert result["errors"] == {CONF_URL: "invalid_url"}
    assert _default(result, CONF_URL) == url

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_URL: sim_url})
    assert result["step_id"] == "tickers"


@pytest.mark.parametrize(
    ("provoke", "error"),
    [
        ("wrong_secret", "invalid_auth"),
        ("disabled", "invalid_auth"),
        ("no_permission", "no_permission"),
        ("rate_limited", "rate_limited"),
        ("unreachable", "cannot_connect"),
    ],
)
async def test_user_flow_errors_recover(
    hass: HomeAssistant,
    simulator: WhiteBitSimulator,
    sim_url: str,
    closed_url: str,
    provoke: str,
    error: str,
) -> None:
    """Each failure shows its error, never echoes the credentials, and the user can retry."""
    account = simulator.accounts[DEMO_KEY]
    url, secret = sim_url, DEMO_SECRET
    if provoke == "wrong_secret":
        secret = WRONG_SECRET
    elif provoke == "disabled":
        account.enabled = False
    elif provoke == "no_permission":
        account.permissions.clear()
    elif provoke == "rate_limited":
        simulator.set_rate_limit(0)
    else:
        url = closed_url

    result = await _start(hass)
    result = await _configure(hass, result["flow_id"], url, secret=secret)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {"base": error}
    # The key stays (it is not secret); the secret is never offered back.
    assert _default(result, CONF_API_KEY) == DEMO_KEY
    assert _default(result, CONF_API_SECRET) is None
    assert _default(result, CONF_SERVER) == SERVER_CUSTOM
    # The URL typed before is offered again on its step.
    form = {CONF_SERVER: SERVER_CUSTOM, CONF_API_KEY: DEMO_KEY, CONF_API_SECRET: DEMO_SECRET}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], form)
    assert _default(result, CONF_URL) == url

    account.enabled = True
    account.permissions.update(PRIVATE_PATHS)
    simulator.set_rate_limit(1000)
    await _finish(hass, result, sim_url)


async def _finish(hass: HomeAssistant, result: Any, sim_url: str) -> None:
    """From a form showing an error, the right input goes all the way to a new entry."""
    if result["step_id"] == "custom_url":
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_URL: sim_url}
        )
    else:
        result = await _configure(hass, result["flow_id"], sim_url)
    assert result["step_id"] == "tickers"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TICKERS: ["BTC"]}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].data[CONF_API_SECRET] == DEMO_SECRET


@pytest.mark.parametrize(
    ("exception", "error"),
    [
        (WhiteBitRequestError("Validation failed", {}), "request_rejected"),
        (WhiteBitClockError("refused", None), "clock_off"),
        (WhiteBitResponseError("not JSON"), "cannot_connect"),
        (RuntimeError("boom"), "unknown"),
    ],
)
async def test_unexpected_errors(
    hass: HomeAssistant, sim_url: str, exception: Exception, error: str
) -> None:
    """Each kind of failure has its error ("unknown" logged), and the flow still completes."""
    result = await _start(hass)
    with patch(
        "custom_components.whitebit.config_flow.WhiteBitClient.main_balances",
        side_effect=exception,
    ):
        result = await _configure(hass, result["flow_id"], sim_url)
    assert result["errors"] == {"base": error}
    await _finish(hass, result, sim_url)


async def test_no_tickers_selected(hass: HomeAssistant, sim_url: str) -> None:
    """At least one currency must be chosen."""
    result = await _start(hass)
    result = await _configure(hass, result["flow_id"], sim_url)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_TICKERS: []})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "no_tickers"}


async def test_same_key_twice_aborts(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: WhiteBitSimulator,
    sim_url: str,
) -> None:
    """One entry per key and server, found before any request; the entry stays as it was."""
    before = _snapshot(init_integration)
    requests = dict(simulator.stats.requests)
    result = await _start(hass)
    result = await _configure(hass, result["flow_id"], sim_url)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert simulator.stats.requests == requests
    assert _snapshot(init_integration) == before
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


def _snapshot(entry: MockConfigEntry) -> tuple[object, ...]:
    return (entry.title, dict(entry.data), dict(entry.options), entry.unique_id, entry.state)


async def test_reauth_with_a_new_key(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: WhiteBitSimulator,
    sim_url: str,
) -> None:
    """A wrong secret is refused; a new working key is stored, the entry keeps its entities."""
    simulator.add_account(SECOND_KEY, SECOND_SECRET, {"BTC": "2"})
    result = await init_integration.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    # A reauth flow, and for this entry.
    context = hass.config_entries.flow.async_get(result["flow_id"])["context"]
    assert (context["source"], context["entry_id"]) == (SOURCE_REAUTH, init_integration.entry_id)
    assert result["description_placeholders"] == {"name": init_integration.title}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: SECOND_KEY, CONF_API_SECRET: WRONG_SECRET}
    )
    assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: SECOND_KEY, CONF_API_SECRET: SECOND_SECRET}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert init_integration.data == {
        CONF_URL: sim_url,
        CONF_API_KEY: SECOND_KEY,
        CONF_API_SECRET: SECOND_SECRET,
    }
    assert init_integration.unique_id == entry_unique_id(sim_url, SECOND_KEY)
    assert init_integration.state is ConfigEntryState.LOADED
    # The generated title follows the new key; the entity IDs stay what they were.
    assert init_integration.title == "WhiteBIT 127.0.0.1 (key …1111)"
    assert hass.states.get("sensor.whitebit_127_0_0_1_btc_main").state == "2"


async def test_reauth_keeps_a_title_the_user_chose(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: WhiteBitSimulator
) -> None:
    """A renamed entry keeps its name when its key changes."""
    simulator.add_account(SECOND_KEY, SECOND_SECRET, {"BTC": "2"})
    hass.config_entries.async_update_entry(init_integration, title="Savings")
    result = await init_integration.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: SECOND_KEY, CONF_API_SECRET: SECOND_SECRET}
    )
    assert result["reason"] == "reauth_successful"
    assert init_integration.title == "Savings"


async def test_reauth_with_another_entrys_key_aborts(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: WhiteBitSimulator,
    sim_url: str,
) -> None:
    """Reauth must not turn one entry into a duplicate of another."""
    _add_second_entry(hass, simulator, sim_url)
    before = _snapshot(init_integration)
    result = await init_integration.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: SECOND_KEY, CONF_API_SECRET: SECOND_SECRET}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert _snapshot(init_integration) == before


async def test_reauth_with_the_same_key_and_a_fixed_secret(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: WhiteBitSimulator
) -> None:
    """Re-entering the same key (say, after re-enabling it) is fine."""
    simulator.accounts[DEMO_KEY].enabled = False
    result = await init_integration.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: DEMO_KEY, CONF_API_SECRET: DEMO_SECRET}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    simulator.accounts[DEMO_KEY].enabled = True
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: DEMO_KEY, CONF_API_SECRET: DEMO_SECRET}
    )
    assert result["reason"] == "reauth_successful"


async def test_reconfigure(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: WhiteBitSimulator,
    sim_url: str,
) -> None:
    """The server and key can change; errors show in the form; tickers are kept."""
    simulator.add_account(SECOND_KEY, SECOND_SECRET)
    result = await init_integration.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    assert _default(result, CONF_SERVER) == SERVER_CUSTOM
    assert _default(result, CONF_API_SECRET) is None

    result = await _configure(hass, result["flow_id"], sim_url, SECOND_KEY, WRONG_SECRET)
    assert result["errors"] == {"base": "invalid_auth"}
    # The custom server's URL comes on its own step, offering the one stored.
    form = {CONF_SERVER: SERVER_CUSTOM, CONF_API_KEY: SECOND_KEY, CONF_API_SECRET: SECOND_SECRET}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], form)
    assert result["step_id"] == "custom_url"
    assert _default(result, CONF_URL) == sim_url
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_URL: "x"})
    assert result["errors"] == {CONF_URL: "invalid_url"}

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_URL: sim_url})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert init_integration.data[CONF_API_KEY] == SECOND_KEY
    assert init_integration.unique_id == entry_unique_id(sim_url, SECOND_KEY)
    assert init_integration.options[CONF_TICKERS] == SELECTED


async def test_reconfigure_shows_official_server(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """An entry on whitebit.eu opens reconfigure with EU selected."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, data={**mock_config_entry.data, CONF_URL: "https://whitebit.eu"}
    )
    result = await mock_config_entry.start_reconfigure_flow(hass)
    assert _default(result, CONF_SERVER) == SERVER_EU


async def test_reconfigure_onto_another_entrys_account_aborts(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: WhiteBitSimulator,
    sim_url: str,
) -> None:
    """Reconfigure refuses an account that another entry has."""
    _add_second_entry(hass, simulator, sim_url)
    before = _snapshot(init_integration)
    result = await init_integration.start_reconfigure_flow(hass)
    result = await _configure(hass, result["flow_id"], sim_url, SECOND_KEY, SECOND_SECRET)
    assert result["reason"] == "already_configured"
    assert _snapshot(init_integration) == before


def _options(**changes: Any) -> dict[str, Any]:
    """A full options form: the mock entry's migrated options with `changes`."""
    return {
        CONF_ACCOUNTS: ["main"],
        CONF_TICKERS: SELECTED,
        CONF_AUTO_TRACK: False,
        CONF_ZERO_BALANCE: "remove",
        CONF_QUOTE: "none",
        **changes,
    }


async def test_options_flow(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: WhiteBitSimulator,
    entity_registry: er.EntityRegistry,
) -> None:
    """Options list every currency from the last poll; removed tickers lose their sensor."""
    requests_before = dict(simulator.stats.requests)
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    assert result["step_id"] == "init"
    # The currencies come from the last poll; the markets offered for price sensors from the
    # server's public ticker, fetched once since this entry values nothing.
    assert simulator.stats.requests == {**requests_before, PUBLIC_TICKER_PATH: 1}
    # An entry from before these options existed was migrated to what it did.
    assert {field: _default(result, field) for field in _options()} == _options()
    assert {str(field) for field in result["data_schema"].schema} == {*_options(), CONF_MARKETS}
    markets = result["data_schema"].schema[CONF_MARKETS].config["options"]
    assert markets == sorted(simulator.markets)
    options = result["data_schema"].schema[CONF_TICKERS].config["options"]
    assert options == sorted(simulator.currencies)

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], _options(tickers=[])
    )
    assert result["errors"] == {"base": "no_tickers"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], _options(accounts=[])
    )
    assert result["errors"] == {"base": "no_accounts"}

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], _options(tickers=["BTC", "SOL"])
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert init_integration.options == _options(tickers=["BTC", "SOL"])
    # No interval to set: five minutes, or Home Assistant's own polling switch.
    coordinator = init_integration.runtime_data
    assert coordinator.update_interval.total_seconds() == 300
    unique_ids = {
        entry.unique_id
        for entry in er.async_entries_for_config_entry(entity_registry, init_integration.entry_id)
    }
    assert unique_ids == {
        f"{init_integration.entry_id}_main_balance_BTC",
        f"{init_integration.entry_id}_main_balance_SOL",
    }
    assert hass.states.get("sensor.whitebit_127_0_0_1_usdt_main") is None


async def test_options_check_what_is_new(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: WhiteBitSimulator
) -> None:
    """An added account is checked with the stored key, a new quote currency against markets."""
    account = simulator.accounts[DEMO_KEY]
    account.permissions.discard(TRADE_BALANCE_PATH)
    del simulator.markets["USDT_UAH"]
    result = await hass.config_entries.options.async_init(init_integration.entry_id)

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], _options(accounts=["main", "trade"])
    )
    assert result["errors"] == {"base": "no_permission"}
    account.permissions.add(TRADE_BALANCE_PATH)

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], _options(accounts=["main", "trade"], quote_currency="uah")
    )
    assert result["errors"] == {CONF_QUOTE: "quote_unavailable"}
    # The form keeps what the user chose rather than going back to the stored options.
    assert _default(result, CONF_QUOTE) == "uah"
    assert _default(result, CONF_ACCOUNTS) == ["main", "trade"]

    simulator.inject(Fault(503, "", path=PUBLIC_TICKER_PATH))
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], _options(accounts=["main", "trade"], quote_currency="eur")
    )
    assert result["errors"] == {"base": "cannot_connect"}

    changes = {
        CONF_ACCOUNTS: ["main", "trade"],
        CONF_QUOTE: "eur",
        CONF_AUTO_TRACK: True,
        CONF_ZERO_BALANCE: "unavailable",
        CONF_TICKERS: [],
    }
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], _options(**changes)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert init_integration.options == _options(**changes)
    assert init_integration.state is ConfigEntryState.LOADED
    assert (
        hass.states.get("sensor.whitebit_127_0_0_1_portfolio_value").attributes[
            "unit_of_measurement"
        ]
        == "EUR"
    )


async def test_options_flow_when_not_loaded(
    hass: HomeAssistant,
    simulator: WhiteBitSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """With the entry not loaded, the list is fetched live; failing that, errors show."""
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    assert result["errors"] == {}
    options = result["data_schema"].schema[CONF_TICKERS].config["options"]
    assert options == sorted(simulator.currencies)

    simulator.accounts.clear()
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    assert result["errors"] == {"base": "invalid_auth"}
    options = result["data_schema"].schema[CONF_TICKERS].config["options"]
    assert options == sorted(SELECTED)


async def test_accounts_are_checked_as_chosen(
    hass: HomeAssistant, simulator: WhiteBitSimulator, sim_url: str
) -> None:
    """The check makes the requests polling will make: none chosen, or one the key may not."""
    account = simulator.accounts[DEMO_KEY]
    result = await _start(hass)
    result = await _configure(hass, result["flow_id"], sim_url, accounts=[])
    assert result["errors"] == {"base": "no_accounts"}

    # A key for the trade account only works as long as the main account is not asked for.
    account.permissions.discard(MAIN_BALANCE_PATH)
    result = await _configure(hass, result["flow_id"], sim_url, accounts=["main", "trade"])
    assert result["errors"] == {"base": "no_permission"}
    assert _default(result, CONF_ACCOUNTS) == ["main", "trade"]
    before = dict(simulator.stats.requests)
    result = await _configure(hass, result["flow_id"], sim_url, accounts=["trade"])
    assert result["step_id"] == "tickers"
    assert simulator.stats.requests.get(MAIN_BALANCE_PATH) == before.get(MAIN_BALANCE_PATH)
    # The trade account lists only what it holds.
    assert _default(result, CONF_TICKERS) == ["BTC", "SOL", "TON", "USDT"]
    assert result["data_schema"].schema[CONF_TICKERS].config["options"] == [
        "BTC",
        "SOL",
        "TON",
        "USDT",
    ]

    # Automatic tracking needs no selection; valuation needs a market in the quote currency.
    del simulator.markets["USDT_UAH"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TICKERS: [], CONF_AUTO_TRACK: True, CONF_QUOTE: "uah"}
    )
    assert result["errors"] == {CONF_QUOTE: "quote_unavailable"}
    assert _default(result, CONF_AUTO_TRACK) is True
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TICKERS: [], CONF_AUTO_TRACK: True, CONF_QUOTE: "eur"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["options"][CONF_ACCOUNTS] == ["trade"]
    assert result["options"][CONF_AUTO_TRACK] is True
    await hass.async_block_till_done()
    prefix = "sensor.whitebit_127_0_0_1_key_0000"
    assert hass.states.get(f"{prefix}_ton_total").state == "42"
    assert hass.states.get(f"{prefix}_btc_main") is None
