"""Config, reauth, reconfigure and options flows for WhiteBIT."""

from __future__ import annotations

import hashlib
import ipaddress
from typing import TYPE_CHECKING, Any, override

from homeassistant.config_entries import (
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.const import CONF_API_KEY, CONF_SCAN_INTERVAL, CONF_URL
from homeassistant.core import callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import probatio
from yarl import URL

from .api import WhiteBitClient
from .const import (
    ACCOUNTS,
    CONF_ACCOUNTS,
    CONF_API_SECRET,
    CONF_AUTO_TRACK,
    CONF_QUOTE,
    CONF_SERVER,
    CONF_TICKERS,
    CONF_ZERO_BALANCE,
    DEFAULT_QUOTE,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
    LEGACY_OPTIONS,
    LOGGER,
    MAX_SCAN_INTERVAL,
    MIN_SCAN_INTERVAL,
    QUOTE_CURRENCIES,
    QUOTE_NONE,
    SERVER_CUSTOM,
    SERVER_GLOBAL,
    SERVER_TITLES,
    SERVER_URLS,
    ZERO_REMOVE,
    ZERO_UNAVAILABLE,
)
from .coordinator import WhiteBitData, async_fetch_balances
from .errors import (
    WhiteBitAuthenticationError,
    WhiteBitClockError,
    WhiteBitConnectionError,
    WhiteBitError,
    WhiteBitPermissionError,
    WhiteBitRateLimitError,
    WhiteBitRequestError,
    WhiteBitResponseError,
)
from .valuation import PriceBook

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping

    from .coordinator import WhiteBitConfigEntry

_PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
_CREDENTIALS_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_API_KEY): _PASSWORD,
        probatio.Required(CONF_API_SECRET): _PASSWORD,
    }
)
_SERVER_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_SERVER, default=SERVER_GLOBAL): SelectSelector(
            SelectSelectorConfig(
                options=[*SERVER_URLS, SERVER_CUSTOM],
                translation_key=CONF_SERVER,
                mode=SelectSelectorMode.LIST,
            )
        ),
        probatio.Optional(CONF_URL): TextSelector(TextSelectorConfig(type=TextSelectorType.URL)),
    }
)
_ACCOUNT_SCHEMA = _SERVER_SCHEMA.extend(_CREDENTIALS_SCHEMA.schema)
_ACCOUNTS_SELECTOR = SelectSelector(
    SelectSelectorConfig(
        options=list(ACCOUNTS),
        multiple=True,
        translation_key=CONF_ACCOUNTS,
        mode=SelectSelectorMode.LIST,
    )
)
# Both accounts by default: coins bought on WhiteBIT sit on the trade account, deposits and
# withdrawals go through the main one, and the total only means something with both.
_USER_SCHEMA = _ACCOUNT_SCHEMA.extend(
    {probatio.Required(CONF_ACCOUNTS, default=list(ACCOUNTS)): _ACCOUNTS_SELECTOR}
)
_QUOTE_SELECTOR = SelectSelector(
    SelectSelectorConfig(
        options=[QUOTE_NONE, *QUOTE_CURRENCIES],
        translation_key=CONF_QUOTE,
        mode=SelectSelectorMode.DROPDOWN,
    )
)
_ZERO_SELECTOR = SelectSelector(
    SelectSelectorConfig(
        options=[ZERO_REMOVE, ZERO_UNAVAILABLE],
        translation_key=CONF_ZERO_BALANCE,
        mode=SelectSelectorMode.LIST,
    )
)


class InvalidUrlError(Exception):
    """The custom server URL is not one the integration will send a key to."""


def resolve_base_url(user_input: Mapping[str, Any]) -> str:
    """Return the base URL for the chosen server.

    A custom URL must be https, except on a loopback address (a local proxy or the
    simulator), where nothing crosses a network. URLs with credentials are refused too: they
    would end up in diagnostics and logs.
    """
    server = user_input[CONF_SERVER]
    if server in SERVER_URLS:
        return SERVER_URLS[server]
    try:
        url = URL(str(user_input.get(CONF_URL, "")).strip())
    except ValueError as err:
        raise InvalidUrlError from err
    if not url.absolute or not url.host or url.user or url.password or url.query_string:
        raise InvalidUrlError
    if url.scheme == "http" and not _is_loopback(url.host):
        raise InvalidUrlError
    if url.scheme not in {"http", "https"}:
        raise InvalidUrlError
    return str(url).rstrip("/")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def entry_unique_id(base_url: str, api_key: str) -> str:
    """Identify an account on a server without revealing its key.

    WhiteBIT's balance API reports no account ID, so the key stands for the account. Only a
    SHA-256 of it is stored, which cannot be turned back into the key.
    """
    return hashlib.sha256(f"{base_url}\n{api_key}".encode()).hexdigest()


def entry_title(server: str, base_url: str) -> str:
    """Name the entry after its server."""
    return SERVER_TITLES.get(server) or f"WhiteBIT ({URL(base_url).host})"


def server_of(base_url: str) -> str:
    """Return the server choice that gives `base_url`."""
    for server, url in SERVER_URLS.items():
        if url == base_url:
            return server
    return SERVER_CUSTOM


def _client(flow: ConfigFlow | OptionsFlowWithReload, data: Mapping[str, Any]) -> WhiteBitClient:
    return WhiteBitClient(
        async_get_clientsession(flow.hass),
        data[CONF_API_KEY],
        data[CONF_API_SECRET],
        data[CONF_URL],
    )


async def _async_fetch_balances(
    flow: ConfigFlow | OptionsFlowWithReload,
    data: Mapping[str, Any],
    accounts: Collection[str],
) -> tuple[WhiteBitData, dict[str, str]]:
    """Check credentials live with the requests polling will make; return balances or errors."""
    try:
        return await async_fetch_balances(_client(flow, data), accounts), {}
    except Exception as err:  # noqa: BLE001 - a flow must end in a form error, never a traceback
        return WhiteBitData(), {"base": _form_error(err)}


async def _async_check_quote(
    flow: ConfigFlow | OptionsFlowWithReload, data: Mapping[str, Any], quote: str
) -> dict[str, str]:
    """Check that WhiteBIT has a market in the quote currency, so values can exist."""
    if quote == QUOTE_NONE:
        return {}
    try:
        markets = await _client(flow, data).markets()
    except Exception as err:  # noqa: BLE001 - a flow must end in a form error, never a traceback
        return {"base": _form_error(err)}
    if not PriceBook(markets, quote).trades(quote):
        return {CONF_QUOTE: "quote_unavailable"}
    return {}


# The form error for each kind of failure, most specific first.
_FORM_ERRORS: tuple[tuple[type[WhiteBitError], str], ...] = (
    (WhiteBitAuthenticationError, "invalid_auth"),
    (WhiteBitPermissionError, "no_permission"),
    (WhiteBitRateLimitError, "rate_limited"),
    (WhiteBitClockError, "clock_off"),
    (WhiteBitRequestError, "request_rejected"),
    (WhiteBitConnectionError, "cannot_connect"),
    (WhiteBitResponseError, "cannot_connect"),
)


def _form_error(err: Exception) -> str:
    """Name the form error for what a request raised."""
    for kind, error in _FORM_ERRORS:
        if isinstance(err, kind):
            return error
    LOGGER.exception("Unexpected error while talking to WhiteBIT", exc_info=err)
    return "unknown"


def _tickers_schema(data: WhiteBitData, selected: Collection[str]) -> probatio.Schema:
    return probatio.Schema(
        {
            probatio.Required(CONF_TICKERS, default=list(selected)): SelectSelector(
                SelectSelectorConfig(
                    options=sorted(data.listed() | set(selected)),
                    multiple=True,
                    mode=SelectSelectorMode.DROPDOWN,
                    custom_value=False,
                )
            )
        }
    )


def _options(entry: WhiteBitConfigEntry) -> dict[str, Any]:
    """The entry's options, with what a not yet migrated entry (one never set up) lacks."""
    return {**LEGACY_OPTIONS, **entry.options}


def _selection_errors(user_input: Mapping[str, Any]) -> dict[str, str]:
    """Refuse a selection that would track nothing."""
    if CONF_ACCOUNTS in user_input and not user_input[CONF_ACCOUNTS]:
        return {"base": "no_accounts"}
    if not user_input[CONF_AUTO_TRACK] and not user_input[CONF_TICKERS]:
        return {"base": "no_tickers"}
    return {}


def _credentials(user_input: Mapping[str, Any]) -> dict[str, str]:
    # Pasted keys often carry a trailing space or newline; WhiteBIT would reject them.
    return {
        CONF_API_KEY: str(user_input[CONF_API_KEY]).strip(),
        CONF_API_SECRET: str(user_input[CONF_API_SECRET]).strip(),
    }


class WhiteBitConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a WhiteBIT account."""

    VERSION = 1
    MINOR_VERSION = 2

    _data: dict[str, str]
    _title: str
    _accounts: list[str]
    _balances: WhiteBitData

    @staticmethod
    @callback
    @override
    def async_get_options_flow(
        config_entry: WhiteBitConfigEntry,
    ) -> WhiteBitOptionsFlow:
        """Return the options flow."""
        return WhiteBitOptionsFlow()

    @override
    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the server, the key and the accounts, and check them against WhiteBIT."""
        errors: dict[str, str] = {}
        if user_input is not None:
            accounts = list(user_input[CONF_ACCOUNTS])
            if not accounts:
                errors = {"base": "no_accounts"}
            else:
                data, balances, errors = await self._async_check_account(user_input, accounts)
            if not errors:
                await self.async_set_unique_id(entry_unique_id(data[CONF_URL], data[CONF_API_KEY]))
                self._abort_if_unique_id_configured()
                self._data = data
                self._accounts = accounts
                self._balances = balances
                self._title = entry_title(user_input[CONF_SERVER], data[CONF_URL])
                return await self.async_step_tickers()
        return self.async_show_form(
            step_id="user",
            data_schema=self._account_form(_USER_SCHEMA, user_input),
            errors=errors,
        )

    async def async_step_tickers(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick the currencies (those holding a balance come preselected) and the valuation."""
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = _selection_errors(user_input) or await _async_check_quote(
                self, self._data, user_input[CONF_QUOTE]
            )
            if not errors:
                return self.async_create_entry(
                    title=self._title,
                    data=self._data,
                    options={
                        CONF_ACCOUNTS: self._accounts,
                        CONF_TICKERS: user_input[CONF_TICKERS],
                        CONF_AUTO_TRACK: user_input[CONF_AUTO_TRACK],
                        CONF_ZERO_BALANCE: ZERO_REMOVE,
                        CONF_QUOTE: user_input[CONF_QUOTE],
                        CONF_SCAN_INTERVAL: int(DEFAULT_SCAN_INTERVAL.total_seconds()),
                    },
                )
        schema = _tickers_schema(self._balances, sorted(self._balances.held())).extend(
            {
                probatio.Required(CONF_AUTO_TRACK, default=False): BooleanSelector(),
                probatio.Required(CONF_QUOTE, default=DEFAULT_QUOTE): _QUOTE_SELECTOR,
            }
        )
        return self.async_show_form(
            step_id="tickers",
            data_schema=self.add_suggested_values_to_schema(schema, user_input or {}),
            errors=errors,
            description_placeholders={"count": str(len(self._balances.listed()))},
        )

    async def async_step_reauth(
        self,
        entry_data: Mapping[str, Any],  # noqa: ARG002 - the confirm step reads the entry itself
    ) -> ConfigFlowResult:
        """Start reauthentication when WhiteBIT rejects the stored key."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a working key for the same server."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {CONF_URL: entry.data[CONF_URL], **_credentials(user_input)}
            _, errors = await _async_fetch_balances(self, data, _options(entry)[CONF_ACCOUNTS])
            if not errors:
                return self._async_update_account(entry, data, entry.title)
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=_CREDENTIALS_SCHEMA,
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the server or the key of an existing entry."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data, _, errors = await self._async_check_account(
                user_input, _options(entry)[CONF_ACCOUNTS]
            )
            if not errors:
                return self._async_update_account(
                    entry, data, entry_title(user_input[CONF_SERVER], data[CONF_URL])
                )
        suggested = user_input or {
            CONF_SERVER: server_of(entry.data[CONF_URL]),
            CONF_URL: entry.data[CONF_URL],
        }
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self._account_form(_ACCOUNT_SCHEMA, suggested),
            errors=errors,
        )

    def _account_form(
        self, schema: probatio.Schema, user_input: Mapping[str, Any] | None
    ) -> probatio.Schema:
        # Only the server, URL and accounts are offered again after an error; the key and
        # secret are never echoed back into a form.
        shown = {
            k: v
            for k, v in (user_input or {}).items()
            if k in {CONF_SERVER, CONF_URL, CONF_ACCOUNTS}
        }
        return self.add_suggested_values_to_schema(schema, shown)

    async def _async_check_account(
        self, user_input: Mapping[str, Any], accounts: Collection[str]
    ) -> tuple[dict[str, str], WhiteBitData, dict[str, str]]:
        """Resolve the server and check the credentials: entry data, balances, form errors."""
        try:
            base_url = resolve_base_url(user_input)
        except InvalidUrlError:
            return {}, WhiteBitData(), {CONF_URL: "invalid_url"}
        data = {CONF_URL: base_url, **_credentials(user_input)}
        balances, errors = await _async_fetch_balances(self, data, accounts)
        return data, balances, errors

    def _async_update_account(
        self, entry: WhiteBitConfigEntry, data: dict[str, str], title: str
    ) -> ConfigFlowResult:
        """Store new credentials, unless another entry already has that account."""
        unique_id = entry_unique_id(data[CONF_URL], data[CONF_API_KEY])
        if any(
            other.unique_id == unique_id and other.entry_id != entry.entry_id
            for other in self._async_current_entries(include_ignore=False)
        ):
            return self.async_abort(reason="already_configured")
        return self.async_update_reload_and_abort(
            entry, unique_id=unique_id, title=title, data=data
        )


class WhiteBitOptionsFlow(OptionsFlowWithReload):
    """Change what is tracked, how it is valued, and how often it is fetched."""

    config_entry: WhiteBitConfigEntry

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show the options, with the currencies WhiteBIT currently lists."""
        entry = self.config_entry
        options = _options(entry)
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = await self._async_check(user_input, options)
            if not errors:
                return self.async_create_entry(
                    data={
                        CONF_ACCOUNTS: user_input[CONF_ACCOUNTS],
                        CONF_TICKERS: user_input[CONF_TICKERS],
                        CONF_AUTO_TRACK: user_input[CONF_AUTO_TRACK],
                        CONF_ZERO_BALANCE: user_input[CONF_ZERO_BALANCE],
                        CONF_QUOTE: user_input[CONF_QUOTE],
                        CONF_SCAN_INTERVAL: int(user_input[CONF_SCAN_INTERVAL]),
                    }
                )

        if entry.state is ConfigEntryState.LOADED:
            # The coordinator's last poll already lists every currency; no extra request.
            available = entry.runtime_data.data
        else:
            available, fetch_errors = await _async_fetch_balances(
                self, entry.data, options[CONF_ACCOUNTS]
            )
            errors = errors or fetch_errors

        schema = _tickers_schema(available, options[CONF_TICKERS]).extend(
            {
                probatio.Required(CONF_ACCOUNTS): _ACCOUNTS_SELECTOR,
                probatio.Required(CONF_AUTO_TRACK): BooleanSelector(),
                probatio.Required(CONF_ZERO_BALANCE): _ZERO_SELECTOR,
                probatio.Required(CONF_QUOTE): _QUOTE_SELECTOR,
                probatio.Required(CONF_SCAN_INTERVAL): NumberSelector(
                    NumberSelectorConfig(
                        min=MIN_SCAN_INTERVAL.total_seconds(),
                        max=MAX_SCAN_INTERVAL.total_seconds(),
                        step=1,
                        unit_of_measurement="s",
                        mode=NumberSelectorMode.BOX,
                    )
                ),
            }
        )
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(schema, user_input or options),
            errors=errors,
        )

    async def _async_check(
        self, user_input: Mapping[str, Any], options: Mapping[str, Any]
    ) -> dict[str, str]:
        """Check the selection, and live what the current key was not yet asked for.

        An account added here was never fetched with this key; finding out now that the key
        may not read it beats a reload that ends in a reauthentication prompt.
        """
        if errors := _selection_errors(user_input):
            return errors
        if added := set(user_input[CONF_ACCOUNTS]) - set(options[CONF_ACCOUNTS]):
            _, errors = await _async_fetch_balances(self, self.config_entry.data, added)
        if not errors and user_input[CONF_QUOTE] != options[CONF_QUOTE]:
            errors = await _async_check_quote(self, self.config_entry.data, user_input[CONF_QUOTE])
        return errors
