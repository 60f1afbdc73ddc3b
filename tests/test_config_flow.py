"""Config, reauth, reconfigure and options flows.

Every test but one runs against `mock_whitebit_client`: WhiteBIT's client autospec'd, answering
with its documented examples (tests/fixtures/), so what is tested is the flows' own logic. One
test, test_full_user_flow_through_the_simulator, goes end to end on purpose: real signing and
real HTTP against the simulator, from the first form to a loaded entry.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import SOURCE_REAUTH, SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_API_KEY, CONF_NAME, CONF_URL
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.whitebit.const import (
    CONF_ACCOUNTS,
    CONF_API_SECRET,
    CONF_AUTO_TRACK,
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
from custom_components.whitebit.pywhitebit import (
    WHITEBIT_EU,
    WHITEBIT_GLOBAL,
    Balances,
    WhiteBitAuthenticationError,
    WhiteBitClockError,
    WhiteBitConnectionError,
    WhiteBitEarnPermissionError,
    WhiteBitPermissionError,
    WhiteBitRateLimitError,
    WhiteBitRequestError,
    WhiteBitResponseError,
)
from simulator import DEMO_KEY, DEMO_SECRET

from .conftest import MAIN_OPTIONS, SELECTED, TEST_SECRETS

if TYPE_CHECKING:
    from unittest.mock import MagicMock

    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from homeassistant.data_entry_flow import FlowResult

SECOND_KEY = "second-key-1111111111111111111111"
SECOND_SECRET = TEST_SECRETS[1]
PROXY = "https://proxy.example"
# Every currency the main fixture lists, and those holding a balance on main or trade.
LISTED = ["BTC", "DOGE", "ETH", "SOL", "TON", "USDT"]
HELD = ["BTC", "DOGE", "SOL", "TON", "USDT"]
FAILURES = [
    (WhiteBitAuthenticationError("rejected"), "invalid_auth"),
    (WhiteBitPermissionError("not allowed"), "no_permission"),
    (WhiteBitEarnPermissionError("no lending access"), "earn_no_access"),
    (WhiteBitRateLimitError("Too many requests.", 10), "rate_limited"),
    (WhiteBitClockError("refused", None), "clock_off"),
    (WhiteBitRequestError("Validation failed", {}), "request_rejected"),
    (WhiteBitConnectionError("unreachable"), "cannot_connect"),
    (WhiteBitResponseError("not JSON"), "cannot_connect"),
    (RuntimeError("boom"), "unknown"),
]


async def _start(hass: HomeAssistant) -> FlowResult:
    return await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})


async def _configure(
    hass: HomeAssistant,
    flow_id: str,
    url: str = PROXY,
    key: str = DEMO_KEY,
    secret: str = DEMO_SECRET,
    **extra: Any,
) -> FlowResult:
    """Fill in the account form for a custom server: its URL is on the same form."""
    form = {CONF_SERVER: SERVER_CUSTOM, CONF_URL: url, CONF_API_KEY: key, CONF_API_SECRET: secret}
    return await hass.config_entries.flow.async_configure(flow_id, form | extra)


def _default(result: FlowResult, field: str) -> Any:
    """Return what a form field shows before the user types: its default or suggestion."""
    for key in result["data_schema"].schema:
        if key == field:
            if (suggested := (key.description or {}).get("suggested_value")) is not None:
                return suggested
            return key.default() if callable(key.default) else None
    msg = f"no field {field}"
    raise KeyError(msg)


def _offered(result: FlowResult, field: str) -> list[str]:
    return result["data_schema"].schema[field].config["options"]


def _snapshot(entry: MockConfigEntry) -> tuple[object, ...]:
    return (entry.title, dict(entry.data), dict(entry.options), entry.unique_id, entry.state)


def _add_entry(hass: HomeAssistant, key: str, url: str = WHITEBIT_GLOBAL) -> MockConfigEntry:
    entry = MockConfigEntry(
        domain=DOMAIN,
        version=1,
        minor_version=3,
        unique_id=entry_unique_id(url, key),
        data={CONF_URL: url, CONF_API_KEY: key, CONF_API_SECRET: SECOND_SECRET},
        options=MAIN_OPTIONS,
    )
    entry.add_to_hass(hass)
    return entry


async def test_full_user_flow_through_the_simulator(hass: HomeAssistant, sim_url: str) -> None:
    """End to end: the key checked live over HTTP, the entry created with what was chosen.

    Two forms, a custom server's URL on the first: the account, then what to track and the
    name, which is "WhiteBIT" for the only account on the server. Tiles and entity IDs read
    "WhiteBIT BTC main", sensor.whitebit_btc_main.
    """
    hass.config.currency = "USD"
    result = await _start(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert _default(result, CONF_SERVER) == SERVER_GLOBAL

    result = await _configure(
        hass, result["flow_id"], sim_url + "/", f" {DEMO_KEY} ", f"{DEMO_SECRET}\n"
    )
    assert result["step_id"] == "tickers"
    # Held on either account: TON is only on the trade account.
    assert _default(result, CONF_TICKERS) == HELD
    assert _default(result, CONF_AUTO_TRACK) is False
    # Home Assistant's own currency, which the simulator's markets have (BTC_USD).
    assert _default(result, CONF_QUOTE) == "usd"
    assert _default(result, CONF_NAME) == "WhiteBIT"
    assert result["description_placeholders"] == {"count": "13"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TICKERS: ["BTC", "ETH"], CONF_QUOTE: "usdt", CONF_NAME: "WhiteBIT"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    assert entry.title == "WhiteBIT"
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
    assert (entry.version, entry.minor_version) == (1, 4)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    btc = hass.states.get("sensor.whitebit_btc_main")
    assert btc.attributes["friendly_name"] == "WhiteBIT BTC main"


@pytest.mark.parametrize(
    ("server", "url"), [(SERVER_GLOBAL, WHITEBIT_GLOBAL), (SERVER_EU, WHITEBIT_EU)]
)
async def test_official_servers(
    hass: HomeAssistant, mock_whitebit_client: MagicMock, server: str, url: str
) -> None:
    """Global and EU resolve to their documented URLs; a URL left in the form is not used."""
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_SERVER: server,
            CONF_URL: PROXY,
            CONF_API_KEY: f" {DEMO_KEY}",
            CONF_API_SECRET: f"{DEMO_SECRET}\n",
        },
    )
    assert result["step_id"] == "tickers"
    # The key checked with the requests a poll makes, once each.
    assert mock_whitebit_client.main_balances.call_count == 1
    assert mock_whitebit_client.trade_balances.call_count == 1
    assert _default(result, CONF_TICKERS) == HELD
    assert _offered(result, CONF_TICKERS) == LISTED
    assert result["description_placeholders"] == {"count": str(len(LISTED))}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TICKERS: ["BTC"], CONF_QUOTE: "none", CONF_NAME: "Savings "}
    )
    # The name the person typed, trimmed: the device's name and the entity IDs' start.
    assert result["title"] == "Savings"
    assert result["data"] == {CONF_URL: url, CONF_API_KEY: DEMO_KEY, CONF_API_SECRET: DEMO_SECRET}
    await hass.async_block_till_done()
    assert result["result"].state is ConfigEntryState.LOADED
    assert hass.states.get("sensor.savings_btc_main").name == "Savings BTC main"


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
@pytest.mark.usefixtures("mock_whitebit_client")
async def test_invalid_custom_url(hass: HomeAssistant, url: str) -> None:
    """A custom server's URL, on the account form: https, or http on loopback, no credentials."""
    result = await _start(hass)
    result = await _configure(hass, result["flow_id"], url)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {CONF_URL: "invalid_url"}
    assert _default(result, CONF_URL) == url
    assert _default(result, CONF_API_KEY) == DEMO_KEY

    result = await _configure(hass, result["flow_id"])
    assert result["step_id"] == "tickers"


@pytest.mark.parametrize(("exception", "error"), FAILURES)
async def test_user_flow_errors_recover(
    hass: HomeAssistant,
    mock_whitebit_client: MagicMock,
    caplog: pytest.LogCaptureFixture,
    exception: Exception,
    error: str,
) -> None:
    """Each failure shows its error, never echoes the secret, and the user can retry."""
    mock_whitebit_client.trade_balances.side_effect = exception
    result = await _start(hass)
    result = await _configure(hass, result["flow_id"])
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {"base": error}
    # Only the unexpected is logged, with its traceback.
    assert ("Unexpected error while talking to WhiteBIT" in caplog.text) is (error == "unknown")
    # The key stays (it is not secret); the secret is never offered back.
    assert _default(result, CONF_API_KEY) == DEMO_KEY
    assert _default(result, CONF_API_SECRET) is None
    assert _default(result, CONF_SERVER) == SERVER_CUSTOM
    assert _default(result, CONF_ACCOUNTS) == ["main", "trade"]
    # The URL typed is still there: only the secret is typed again, on the same form.
    assert _default(result, CONF_URL) == PROXY

    mock_whitebit_client.trade_balances.side_effect = None
    form = {CONF_SERVER: SERVER_CUSTOM, CONF_API_KEY: DEMO_KEY, CONF_API_SECRET: DEMO_SECRET}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], form | {CONF_URL: _default(result, CONF_URL)}
    )
    assert result["step_id"] == "tickers"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TICKERS: ["BTC"]}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].data[CONF_API_SECRET] == DEMO_SECRET


async def test_quote_offered_and_checked_from_the_shared_prices(
    hass: HomeAssistant, mock_whitebit_client: MagicMock, freezer: FrozenDateTimeFactory
) -> None:
    """The quote currencies are those the server's markets are priced in, common ones first.

    Home Assistant's own currency is the default where WhiteBIT trades in it, else USDT. The
    choice is checked with the server's prices: a failure is a typed error. Prices fetched
    for the flow are the server's shared ones: the new entry values its balances with them,
    without a ticker request of its own.
    """
    hass.config.currency = "UAH"
    result = await _start(hass)
    result = await _configure(hass, result["flow_id"])
    # The fixture's markets: BTC, ETH, DOGE, SOL in USDT, SOL in BTC, USDT in EUR and UAH.
    # Tickers read as themselves; "none" is translated (Off).
    assert _offered(result, CONF_QUOTE) == [
        {"value": "none", "label": "none"},
        *({"value": value, "label": value.upper()} for value in ("usdt", "eur", "uah", "btc")),
    ]
    assert _default(result, CONF_QUOTE) == "uah"

    # Prices gone stale, and the ticker failing: the form says so, typed.
    freezer.tick(timedelta(minutes=6))
    mock_whitebit_client.markets.side_effect = WhiteBitConnectionError("unreachable")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TICKERS: ["BTC"], CONF_QUOTE: "eur"}
    )
    assert result["errors"] == {"base": "cannot_connect"}
    assert _default(result, CONF_QUOTE) == "eur"

    # Fetched again: WhiteBIT closed its last UAH market meanwhile.
    markets = dict(mock_whitebit_client.markets.return_value)
    del markets["USDT_UAH"]
    mock_whitebit_client.markets.side_effect = None
    mock_whitebit_client.markets.return_value = markets
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TICKERS: ["BTC"], CONF_QUOTE: "uah"}
    )
    assert result["errors"] == {CONF_QUOTE: "quote_unavailable"}
    # The choice stays in the form, beside its error.
    assert _default(result, CONF_QUOTE) == "uah"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TICKERS: ["BTC"], CONF_QUOTE: "eur"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    requests = mock_whitebit_client.markets.call_count
    await hass.async_block_till_done()
    assert mock_whitebit_client.markets.call_count == requests
    portfolio = hass.states.get("sensor.whitebit_portfolio_value_eur")
    assert portfolio.attributes["unit_of_measurement"] == "EUR"


async def test_quote_default_without_home_assistants_currency(
    hass: HomeAssistant, mock_whitebit_client: MagicMock
) -> None:
    """A currency WhiteBIT has no market in leaves USDT the default; no markets, the common five."""
    hass.config.currency = "GBP"
    mock_whitebit_client.markets.side_effect = WhiteBitConnectionError("unreachable")
    result = await _start(hass)
    result = await _configure(hass, result["flow_id"])
    assert _default(result, CONF_QUOTE) == "usdt"
    offered = [option["value"] for option in _offered(result, CONF_QUOTE)]
    assert offered == ["none", "usdt", "usd", "eur", "uah", "btc"]


@pytest.mark.usefixtures("mock_whitebit_client")
async def test_no_tickers_selected(hass: HomeAssistant) -> None:
    """At least one currency must be chosen, unless they are tracked automatically."""
    result = await _start(hass)
    result = await _configure(hass, result["flow_id"])
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_TICKERS: []})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "no_tickers"}


async def test_same_key_twice_aborts(
    hass: HomeAssistant, init_global: MockConfigEntry, mock_whitebit_client: MagicMock
) -> None:
    """One entry per key and server, said once the key and secret are known to work.

    A wrong secret for a configured key is a wrong secret, not "already configured": the
    person learns what is wrong first. The entry stays as it was.
    """
    before = _snapshot(init_global)
    form = {CONF_SERVER: SERVER_GLOBAL, CONF_API_KEY: DEMO_KEY, CONF_API_SECRET: "other"}
    mock_whitebit_client.main_balances.side_effect = WhiteBitAuthenticationError("rejected")
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], form)
    assert result["errors"] == {"base": "invalid_auth"}

    mock_whitebit_client.main_balances.side_effect = None
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], form | {CONF_API_SECRET: DEMO_SECRET}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert _snapshot(init_global) == before
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


async def test_reauth_with_a_new_key(
    hass: HomeAssistant, init_global: MockConfigEntry, mock_whitebit_client: MagicMock
) -> None:
    """A refused key is refused; a new working key is stored, the entry keeps its entities."""
    result = await init_global.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    # A reauth flow, and for this entry.
    context = hass.config_entries.flow.async_get(result["flow_id"])["context"]
    assert (context["source"], context["entry_id"]) == (SOURCE_REAUTH, init_global.entry_id)
    assert result["description_placeholders"] == {"name": init_global.title}

    mock_whitebit_client.main_balances.side_effect = WhiteBitAuthenticationError("rejected")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: SECOND_KEY, CONF_API_SECRET: SECOND_SECRET}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    assert _default(result, CONF_API_KEY) == SECOND_KEY
    assert _default(result, CONF_API_SECRET) is None

    mock_whitebit_client.main_balances.side_effect = None
    mock_whitebit_client.main_balances.return_value = Balances({"BTC": Decimal(2)})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: SECOND_KEY, CONF_API_SECRET: SECOND_SECRET}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert init_global.data == {
        CONF_URL: WHITEBIT_GLOBAL,
        CONF_API_KEY: SECOND_KEY,
        CONF_API_SECRET: SECOND_SECRET,
    }
    assert init_global.unique_id == entry_unique_id(WHITEBIT_GLOBAL, SECOND_KEY)
    assert init_global.state is ConfigEntryState.LOADED
    # The generated title follows the new key; the entity IDs stay what they were.
    assert init_global.title == "WhiteBIT Global (key …1111)"
    assert hass.states.get("sensor.whitebit_global_key_0000_btc_main").state == "2"


async def test_reauth_keeps_a_title_the_user_chose(
    hass: HomeAssistant, init_global: MockConfigEntry
) -> None:
    """A renamed entry keeps its name when its key changes."""
    hass.config_entries.async_update_entry(init_global, title="Savings")
    result = await init_global.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: SECOND_KEY, CONF_API_SECRET: SECOND_SECRET}
    )
    assert result["reason"] == "reauth_successful"
    assert init_global.title == "Savings"


async def test_reauth_with_another_entrys_key_aborts(
    hass: HomeAssistant, init_global: MockConfigEntry
) -> None:
    """Reauth must not turn one entry into a duplicate of another."""
    _add_entry(hass, SECOND_KEY)
    before = _snapshot(init_global)
    result = await init_global.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: SECOND_KEY, CONF_API_SECRET: SECOND_SECRET}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert _snapshot(init_global) == before


async def test_reauth_with_the_same_key_and_a_fixed_secret(
    hass: HomeAssistant, init_global: MockConfigEntry, mock_whitebit_client: MagicMock
) -> None:
    """Re-entering the same key (say, after re-enabling it) is fine."""
    mock_whitebit_client.main_balances.side_effect = WhiteBitAuthenticationError("disabled")
    result = await init_global.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: DEMO_KEY, CONF_API_SECRET: DEMO_SECRET}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    mock_whitebit_client.main_balances.side_effect = None
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: DEMO_KEY, CONF_API_SECRET: DEMO_SECRET}
    )
    assert result["reason"] == "reauth_successful"


async def test_reconfigure(
    hass: HomeAssistant, init_global: MockConfigEntry, mock_whitebit_client: MagicMock
) -> None:
    """The server and key can change; errors show in the form; tickers are kept."""
    result = await init_global.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    assert _default(result, CONF_SERVER) == SERVER_GLOBAL
    assert _default(result, CONF_API_SECRET) is None

    mock_whitebit_client.main_balances.side_effect = WhiteBitAuthenticationError("rejected")
    result = await _configure(hass, result["flow_id"], PROXY, SECOND_KEY, "wrong")
    assert result["step_id"] == "reconfigure"
    assert result["errors"] == {"base": "invalid_auth"}
    mock_whitebit_client.main_balances.side_effect = None
    # The custom server's URL stays in the form, with the server and the key.
    assert _default(result, CONF_URL) == PROXY
    assert _default(result, CONF_SERVER) == SERVER_CUSTOM
    result = await _configure(hass, result["flow_id"], "x", SECOND_KEY, SECOND_SECRET)
    assert result["errors"] == {CONF_URL: "invalid_url"}

    result = await _configure(hass, result["flow_id"], PROXY, SECOND_KEY, SECOND_SECRET)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert init_global.data == {
        CONF_URL: PROXY,
        CONF_API_KEY: SECOND_KEY,
        CONF_API_SECRET: SECOND_SECRET,
    }
    assert init_global.unique_id == entry_unique_id(PROXY, SECOND_KEY)
    assert init_global.title == "WhiteBIT proxy.example (key …1111)"
    assert init_global.options[CONF_TICKERS] == SELECTED


async def test_reconfigure_shows_a_custom_server_and_its_url(
    hass: HomeAssistant, init_global: MockConfigEntry
) -> None:
    """An entry on a custom URL opens reconfigure with it and its URL."""
    hass.config_entries.async_update_entry(init_global, data={**init_global.data, CONF_URL: PROXY})
    result = await init_global.start_reconfigure_flow(hass)
    assert _default(result, CONF_SERVER) == SERVER_CUSTOM
    assert _default(result, CONF_URL) == PROXY


@pytest.mark.usefixtures("mock_whitebit_client")
async def test_reconfigure_shows_official_server(
    hass: HomeAssistant, global_entry: MockConfigEntry
) -> None:
    """An entry on whitebit.eu opens reconfigure with EU selected."""
    global_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        global_entry, data={**global_entry.data, CONF_URL: WHITEBIT_EU}
    )
    result = await global_entry.start_reconfigure_flow(hass)
    assert _default(result, CONF_SERVER) == SERVER_EU


async def test_reconfigure_onto_another_entrys_account_aborts(
    hass: HomeAssistant, init_global: MockConfigEntry
) -> None:
    """Reconfigure refuses an account that another entry has."""
    _add_entry(hass, SECOND_KEY, PROXY)
    before = _snapshot(init_global)
    result = await init_global.start_reconfigure_flow(hass)
    result = await _configure(hass, result["flow_id"], PROXY, SECOND_KEY, SECOND_SECRET)
    assert result["reason"] == "already_configured"
    assert _snapshot(init_global) == before


async def test_accounts_are_checked_as_chosen(
    hass: HomeAssistant, mock_whitebit_client: MagicMock
) -> None:
    """The check makes the requests polling will make: none chosen, or one the key may not."""
    result = await _start(hass)
    result = await _configure(hass, result["flow_id"], accounts=[])
    assert result["errors"] == {"base": "no_accounts"}

    # A key for the trade account only works as long as the main account is not asked for.
    mock_whitebit_client.main_balances.side_effect = WhiteBitPermissionError("not allowed")
    result = await _configure(hass, result["flow_id"], accounts=["main", "trade"])
    assert result["errors"] == {"base": "no_permission"}
    assert _default(result, CONF_ACCOUNTS) == ["main", "trade"]
    mock_whitebit_client.main_balances.reset_mock()
    result = await _configure(hass, result["flow_id"], accounts=["trade"])
    assert result["step_id"] == "tickers"
    mock_whitebit_client.main_balances.assert_not_called()
    # The trade account lists only what it holds.
    assert _default(result, CONF_TICKERS) == ["BTC", "SOL", "TON", "USDT"]
    assert _offered(result, CONF_TICKERS) == ["BTC", "SOL", "TON", "USDT"]

    # Automatic tracking needs no selection.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TICKERS: [], CONF_AUTO_TRACK: True, CONF_QUOTE: "eur"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["options"][CONF_ACCOUNTS] == ["trade"]
    assert result["options"][CONF_AUTO_TRACK] is True
    await hass.async_block_till_done()
    prefix = "sensor.whitebit"
    assert hass.states.get(f"{prefix}_ton_total").state == "42"
    assert hass.states.get(f"{prefix}_btc_main") is None
