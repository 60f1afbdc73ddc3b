"""Config, reauth, reconfigure and options flows for WhiteBIT."""

from collections.abc import Awaitable, Collection, Mapping
from typing import TYPE_CHECKING, Any, override

from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.const import CONF_API_KEY, CONF_URL
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    BooleanSelector,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .const import (
    ACCOUNTS,
    CONF_ACCOUNTS,
    CONF_API_SECRET,
    CONF_AUTO_TRACK,
    CONF_MARKETS,
    CONF_QUOTE,
    CONF_SERVER,
    CONF_TICKERS,
    CONF_ZERO_BALANCE,
    DEFAULT_ACCOUNTS,
    DEFAULT_QUOTE,
    DOMAIN,
    LEGACY_OPTIONS,
    LOGGER,
    QUOTE_NONE,
    QUOTE_TICKERS,
    SERVER_CUSTOM,
    SERVER_GLOBAL,
    SERVER_URLS,
    ZERO_REMOVE,
    ZERO_UNAVAILABLE,
)
from .coordinator import WhiteBitConfigEntry
from .holdings import WhiteBitData, async_fetch_balances
from .identity import (
    entry_title,
    entry_unique_id,
    generated_titles,
    resolve_base_url,
    server_of,
)
from .prices import async_get_prices
from .pywhitebit import (
    InvalidUrlError,
    WhiteBitAuthenticationError,
    WhiteBitClient,
    WhiteBitClockError,
    WhiteBitConnectionError,
    WhiteBitEarnPermissionError,
    WhiteBitPermissionError,
    WhiteBitRateLimitError,
    WhiteBitRequestError,
    WhiteBitResponseError,
)
from .valuation import PriceBook

if TYPE_CHECKING:
    # What Home Assistant's types name since 2026.9, when probatio replaced voluptuous.
    import probatio as vol
else:
    # From 2026.9 Home Assistant makes this name probatio; before, it is voluptuous itself.
    import voluptuous as vol

# The key is not secret (WhiteBIT lists it in the API settings, it names the entry): it stays
# in the form after an error. The secret is a password field, and never offered back.
_CREDENTIALS_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_API_KEY): TextSelector(),
        vol.Required(CONF_API_SECRET): TextSelector(
            TextSelectorConfig(type=TextSelectorType.PASSWORD)
        ),
    }
)
# The server first, as a person chooses it first.
_ACCOUNT_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_SERVER, default=SERVER_GLOBAL): SelectSelector(
            SelectSelectorConfig(
                options=[*SERVER_URLS, SERVER_CUSTOM],
                translation_key=CONF_SERVER,
                mode=SelectSelectorMode.LIST,
            )
        ),
    }
).extend(_CREDENTIALS_SCHEMA.schema)
# Asked for on a step of its own, and only when the server is a custom URL.
_URL_SCHEMA = vol.Schema(
    {vol.Required(CONF_URL): TextSelector(TextSelectorConfig(type=TextSelectorType.URL))}
)


def _select(
    options: list[str], key: str, mode: SelectSelectorMode, *, multiple: bool = False
) -> SelectSelector:
    return SelectSelector(
        SelectSelectorConfig(options=options, multiple=multiple, translation_key=key, mode=mode)
    )


_LIST, _DROPDOWN = SelectSelectorMode.LIST, SelectSelectorMode.DROPDOWN
_ACCOUNTS_SELECTOR = _select(list(ACCOUNTS), CONF_ACCOUNTS, _LIST, multiple=True)
_QUOTE_SELECTOR = _select([QUOTE_NONE, *QUOTE_TICKERS], CONF_QUOTE, _DROPDOWN)
_ZERO_SELECTOR = _select([ZERO_REMOVE, ZERO_UNAVAILABLE], CONF_ZERO_BALANCE, _LIST)
_USER_SCHEMA = _ACCOUNT_SCHEMA.extend(
    {vol.Required(CONF_ACCOUNTS, default=list(DEFAULT_ACCOUNTS)): _ACCOUNTS_SELECTOR}
)


def _credentials(user_input: Mapping[str, Any], base_url: str) -> dict[str, str]:
    # Pasted keys often carry a trailing space or newline; WhiteBIT would reject them.
    return {
        CONF_URL: base_url,
        CONF_API_KEY: str(user_input[CONF_API_KEY]).strip(),
        CONF_API_SECRET: str(user_input[CONF_API_SECRET]).strip(),
    }


def _tickers_schema(data: WhiteBitData, selected: Collection[str]) -> vol.Schema:
    options = sorted(data.listed() | set(selected))
    return vol.Schema(
        {
            vol.Required(CONF_TICKERS, default=list(selected)): SelectSelector(
                SelectSelectorConfig(
                    options=options, multiple=True, mode=SelectSelectorMode.DROPDOWN
                )
            )
        }
    )


def _selection_errors(user_input: Mapping[str, Any]) -> dict[str, str]:
    """Refuse a selection that would track nothing."""
    if CONF_ACCOUNTS in user_input and not user_input[CONF_ACCOUNTS]:
        return {"base": "no_accounts"}
    if not user_input[CONF_AUTO_TRACK] and not user_input[CONF_TICKERS]:
        return {"base": "no_tickers"}
    return {}


def _options(entry: WhiteBitConfigEntry) -> dict[str, Any]:
    """The entry's options, with what a not yet migrated entry (one never set up) lacks."""
    return {**LEGACY_OPTIONS, **entry.options}


class _WhiteBitFlow:
    """What both flows ask WhiteBIT: balances with a key, and whether a quote currency trades."""

    hass: HomeAssistant

    async def _async_ask[T](self, request: Awaitable[T]) -> tuple[T | None, dict[str, str]]:
        """Await a request; any failure becomes the form error for it, never a traceback."""
        try:
            return await request, {}
        except WhiteBitAuthenticationError:
            error = "invalid_auth"
        except WhiteBitEarnPermissionError:
            error = "earn_no_access"
        except WhiteBitPermissionError:
            error = "no_permission"
        except WhiteBitRateLimitError:
            error = "rate_limited"
        except WhiteBitClockError:
            error = "clock_off"
        except WhiteBitRequestError:
            error = "request_rejected"
        except WhiteBitConnectionError, WhiteBitResponseError:
            error = "cannot_connect"
        except Exception:  # noqa: BLE001 - a flow ends in a form error, never a traceback
            LOGGER.exception("Unexpected error while talking to WhiteBIT")
            error = "unknown"
        return None, {"base": error}

    def _client(self, data: Mapping[str, Any]) -> WhiteBitClient:
        return WhiteBitClient(
            async_get_clientsession(self.hass),
            data[CONF_API_KEY],
            data[CONF_API_SECRET],
            data[CONF_URL],
        )

    async def _async_balances(
        self, data: Mapping[str, Any], accounts: Collection[str]
    ) -> tuple[WhiteBitData, dict[str, str]]:
        """Check the key live, with the requests polling will make."""
        balances, errors = await self._async_ask(async_fetch_balances(self._client(data), accounts))
        return balances or WhiteBitData(), errors

    async def _async_check_quote(self, data: Mapping[str, Any], quote: str) -> dict[str, str]:
        """Check that WhiteBIT has a market in the quote currency, so values can exist."""
        if (ticker := QUOTE_TICKERS.get(quote)) is None:
            return {}
        markets, errors = await self._async_ask(self._client(data).markets())
        if markets is not None and not PriceBook(markets, ticker).trades(ticker):
            return {CONF_QUOTE: "quote_unavailable"}
        return errors


class WhiteBitConfigFlow(_WhiteBitFlow, ConfigFlow, domain=DOMAIN):
    """Add a WhiteBIT account."""

    VERSION = 1
    MINOR_VERSION = 3

    _data: dict[str, str]
    _title: str
    # The account form's input, while the custom URL is asked for; the URL last typed.
    _account: dict[str, Any]
    _url: str | None = None
    _accounts: list[str]
    _balances: WhiteBitData

    @staticmethod
    @callback
    @override
    def async_get_options_flow(config_entry: WhiteBitConfigEntry) -> WhiteBitOptionsFlow:
        """Return the options flow."""
        return WhiteBitOptionsFlow()

    @override
    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the server, the key and the accounts, and check them against WhiteBIT."""
        errors: dict[str, str] = {}
        if user_input is not None:
            if not user_input[CONF_ACCOUNTS]:
                errors = {"base": "no_accounts"}
            else:
                return await self._async_account_given(user_input)
        return self._account_form_result("user", user_input, errors)

    async def async_step_custom_url(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the URL of a custom server, then go on with the account step's input."""
        errors: dict[str, str] = {}
        if user_input is not None:
            self._url = str(user_input[CONF_URL])
            account = {**self._account, CONF_URL: self._url}
            try:
                base_url = resolve_base_url(account)
            except InvalidUrlError:
                errors = {CONF_URL: "invalid_url"}
            else:
                return await self._async_check_account(account, base_url)
        return self.async_show_form(
            step_id="custom_url",
            data_schema=self.add_suggested_values_to_schema(_URL_SCHEMA, {CONF_URL: self._url}),
            errors=errors,
        )

    async def _async_account_given(self, account: dict[str, Any]) -> ConfigFlowResult:
        """Go on from the account form: to the URL step for a custom server, else to checking."""
        self._account = account
        if account[CONF_SERVER] == SERVER_CUSTOM:
            return await self.async_step_custom_url()
        return await self._async_check_account(account, resolve_base_url(account))

    async def _async_check_account(
        self, account: Mapping[str, Any], base_url: str
    ) -> ConfigFlowResult:
        """Check the key live; a new entry goes on to the currencies, an old one is updated."""
        data = _credentials(account, base_url)
        if self.source == SOURCE_RECONFIGURE:
            entry = self._get_reconfigure_entry()
            return await self._async_update_account(entry, data, account[CONF_SERVER])
        # Known before any request: an account added already is not asked again.
        await self.async_set_unique_id(entry_unique_id(data[CONF_URL], data[CONF_API_KEY]))
        self._abort_if_unique_id_configured()
        accounts = list(account[CONF_ACCOUNTS])
        self._balances, errors = await self._async_balances(data, accounts)
        if errors:
            return self._account_form_result("user", account, errors)
        self._data, self._accounts = data, accounts
        self._title = entry_title(account[CONF_SERVER], data[CONF_URL], data[CONF_API_KEY])
        return await self.async_step_tickers()

    async def async_step_tickers(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick the currencies (those holding a balance come preselected) and the valuation."""
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = _selection_errors(user_input) or await self._async_check_quote(
                self._data, user_input[CONF_QUOTE]
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
                    },
                )
        schema = _tickers_schema(self._balances, sorted(self._balances.held())).extend(
            {
                vol.Required(CONF_AUTO_TRACK, default=False): BooleanSelector(),
                vol.Required(CONF_QUOTE, default=DEFAULT_QUOTE): _QUOTE_SELECTOR,
            }
        )
        return self.async_show_form(
            step_id="tickers",
            data_schema=self.add_suggested_values_to_schema(schema, user_input or {}),
            errors=errors,
            description_placeholders={"count": str(len(self._balances.listed()))},
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:  # noqa: ARG002 - the confirm step reads the entry itself
        """Start reauthentication when WhiteBIT rejects the stored key."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a working key for the same server."""
        errors: dict[str, str] = {}
        if user_input is not None:
            entry = self._get_reauth_entry()
            data = _credentials(user_input, entry.data[CONF_URL])
            return await self._async_update_account(entry, data, server_of(data[CONF_URL]))
        return self.async_show_form(
            step_id="reauth_confirm", data_schema=_CREDENTIALS_SCHEMA, errors=errors
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the server or the key of an existing entry."""
        if user_input is not None:
            return await self._async_account_given(user_input)
        url = self._get_reconfigure_entry().data[CONF_URL]
        self._url = url if server_of(url) == SERVER_CUSTOM else None
        suggested = {CONF_SERVER: server_of(url)}
        return self._account_form_result("reconfigure", suggested, {})

    def _account_form_result(
        self, step: str, user_input: Mapping[str, Any] | None, errors: dict[str, str]
    ) -> ConfigFlowResult:
        """The account form of `step`, filled in again but for the secret, which never is."""
        schema = {"user": _USER_SCHEMA, "reconfigure": _ACCOUNT_SCHEMA}.get(
            step, _CREDENTIALS_SCHEMA
        )
        kept = {CONF_SERVER, CONF_ACCOUNTS, CONF_API_KEY}
        shown = {k: v for k, v in (user_input or {}).items() if k in kept}
        return self.async_show_form(
            step_id=step,
            data_schema=self.add_suggested_values_to_schema(schema, shown),
            errors=errors,
        )

    async def _async_update_account(
        self, entry: WhiteBitConfigEntry, data: dict[str, str], server: str
    ) -> ConfigFlowResult:
        """Store working credentials, unless another entry already has that account.

        The title follows the new key and server, unless the user renamed the entry.
        """
        unique_id = entry_unique_id(data[CONF_URL], data[CONF_API_KEY])
        if any(
            other.unique_id == unique_id and other.entry_id != entry.entry_id
            for other in self._async_current_entries(include_ignore=False)
        ):
            return self.async_abort(reason="already_configured")
        _, errors = await self._async_balances(data, _options(entry)[CONF_ACCOUNTS])
        if not errors:
            title = entry.title
            if title in generated_titles(entry.data[CONF_URL], entry.data[CONF_API_KEY]):
                title = entry_title(server, data[CONF_URL], data[CONF_API_KEY])
            return self.async_update_reload_and_abort(
                entry, unique_id=unique_id, title=title, data=data
            )
        step = "reauth_confirm" if self.source == SOURCE_REAUTH else "reconfigure"
        return self._account_form_result(
            step, {CONF_SERVER: server, CONF_API_KEY: data[CONF_API_KEY]}, errors
        )


class WhiteBitOptionsFlow(_WhiteBitFlow, OptionsFlowWithReload):
    """Change what is tracked and how it is valued."""

    config_entry: WhiteBitConfigEntry

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show the options, with the currencies WhiteBIT currently lists."""
        entry = self.config_entry
        options = _options(entry)
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = await self._async_check(user_input, options)
            if not errors:
                return self.async_create_entry(data=user_input)
        if entry.state is ConfigEntryState.LOADED:
            # The coordinator's last poll already lists every currency; no extra request.
            available = entry.runtime_data.data
        else:
            available, fetch_errors = await self._async_balances(entry.data, options[CONF_ACCOUNTS])
            errors = errors or fetch_errors
        schema = _tickers_schema(available, options[CONF_TICKERS]).extend(
            {
                vol.Required(CONF_ACCOUNTS): _ACCOUNTS_SELECTOR,
                vol.Required(CONF_AUTO_TRACK): BooleanSelector(),
                vol.Required(CONF_ZERO_BALANCE): _ZERO_SELECTOR,
                vol.Required(CONF_QUOTE): _QUOTE_SELECTOR,
                vol.Optional(CONF_MARKETS): await self._async_markets_selector(options),
            }
        )
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(schema, user_input or options),
            errors=errors,
        )

    async def _async_markets_selector(self, options: Mapping[str, Any]) -> SelectSelector:
        """The markets WhiteBIT's ticker lists, from the server's shared prices.

        Fresh prices cost no request; stale or missing ones are fetched once, for every entry
        on the server. Markets picked before stay offered, listed or not.
        """
        prices = await async_get_prices(self.hass, self.config_entry.data[CONF_URL])
        listed = set(prices.data or {}) if prices.last_update_success else set()
        names = sorted(listed | set(options.get(CONF_MARKETS, ())))
        return SelectSelector(
            SelectSelectorConfig(options=names, multiple=True, mode=SelectSelectorMode.DROPDOWN)
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
            _, errors = await self._async_balances(self.config_entry.data, added)
        if not errors and user_input[CONF_QUOTE] != options[CONF_QUOTE]:
            errors = await self._async_check_quote(self.config_entry.data, user_input[CONF_QUOTE])
        return errors
