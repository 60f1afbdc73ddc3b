"""Config, reauth, reconfigure and options flows for WhiteBIT.

Every flow checks what it would save the same way, with _async_validate: the key against the
accounts it would read (the requests polling makes), and the quote currency against the
server's shared prices (no request when they are fresh).
"""

from collections.abc import Collection, Mapping
from typing import Any, override

from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_USER,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.const import CONF_API_KEY, CONF_URL
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.update_coordinator import UpdateFailed

from .const import (
    ACCOUNT_SUBACCOUNTS,
    CONF_ACCOUNTS,
    CONF_API_SECRET,
    CONF_AUTO_TRACK,
    CONF_MARKETS,
    CONF_QUOTE,
    CONF_SERVER,
    CONF_TICKERS,
    CONF_ZERO_BALANCE,
    DOMAIN,
    LEGACY_OPTIONS,
    QUOTE_TICKERS,
    SERVER_CUSTOM,
    ZERO_REMOVE,
)
from .coordinator import WhiteBitConfigEntry
from .forms import (
    URL_SCHEMA,
    account_schema,
    options_schema,
    selection_errors,
    tickers_schema,
)
from .holdings import WhiteBitData, async_fetch_balances
from .identity import entry_title, entry_unique_id, generated_titles, resolve_base_url, server_of
from .issues import form_error
from .prices import async_get_prices
from .pywhitebit import InvalidUrlError, WhiteBitClient


async def _async_validate(
    hass: HomeAssistant, data: Mapping[str, Any], accounts: Collection[str], quote: str = ""
) -> tuple[WhiteBitData, dict[str, str]]:
    """Check the key live on `accounts`, then that the server trades in `quote` (if any)."""
    balances = WhiteBitData()
    if accounts:
        session = async_get_clientsession(hass)
        client = WhiteBitClient(session, data[CONF_API_KEY], data[CONF_API_SECRET], data[CONF_URL])
        try:
            balances = (await async_fetch_balances(client, accounts)).data()
            if ACCOUNT_SUBACCOUNTS in accounts:  # refused: WhiteBitSubAccountPermissionError
                await client.sub_accounts()
        except Exception as err:  # noqa: BLE001 - a flow ends in a form error, never a traceback
            return balances, form_error(err)
    if (ticker := QUOTE_TICKERS.get(quote)) is None:
        return balances, {}
    prices = await async_get_prices(hass, data[CONF_URL])
    if (book := prices.book(ticker)) is None:
        failure = prices.last_exception
        cause = failure.__cause__ if isinstance(failure, UpdateFailed) else failure
        return balances, form_error(cause)
    return balances, {} if book.trades(ticker) else {CONF_QUOTE: "quote_unavailable"}


def _options(entry: WhiteBitConfigEntry) -> dict[str, Any]:
    """The entry's options, with what a not yet migrated entry (one never set up) lacks."""
    return {**LEGACY_OPTIONS, **entry.options}


class WhiteBitConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a WhiteBIT account, or change the key or server of one."""

    VERSION = 1
    MINOR_VERSION = 3

    # The credentials checked, with what the tickers step needs to create the entry.
    _data: dict[str, str]
    _title: str
    _accounts: list[str]
    _balances: WhiteBitData
    # The account form's input, while the custom URL is asked for; the URL last typed.
    _account: dict[str, Any]
    _url: str | None = None

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
        if user_input is not None and not (errors := selection_errors(user_input)):
            return await self._async_account_given(user_input)
        return self._account_form(user_input, errors)

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:  # noqa: ARG002 - the confirm step reads the entry itself
        """Start reauthentication when WhiteBIT rejects the stored key."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a working key for the same server."""
        if user_input is None:
            return self._account_form(None, {})
        url = self._get_reauth_entry().data[CONF_URL]
        return await self._async_save({**user_input, CONF_SERVER: server_of(url)}, url)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the server or the key of an existing entry."""
        if user_input is not None:
            return await self._async_account_given(user_input)
        url = self._get_reconfigure_entry().data[CONF_URL]
        self._url = url if server_of(url) == SERVER_CUSTOM else None
        return self._account_form({CONF_SERVER: server_of(url)}, {})

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
                return await self._async_save(account, base_url)
        return self.async_show_form(
            step_id="custom_url",
            data_schema=self.add_suggested_values_to_schema(URL_SCHEMA, {CONF_URL: self._url}),
            errors=errors,
        )

    async def async_step_tickers(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick the currencies (those holding a balance come preselected) and the valuation."""
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = (
                selection_errors(user_input)
                or (await _async_validate(self.hass, self._data, (), user_input[CONF_QUOTE]))[1]
            )
            if not errors:
                options = {key: user_input[key] for key in (CONF_TICKERS, CONF_AUTO_TRACK)}
                return self.async_create_entry(
                    title=self._title,
                    data=self._data,
                    options={
                        CONF_ACCOUNTS: self._accounts,
                        **options,
                        CONF_ZERO_BALANCE: ZERO_REMOVE,
                        CONF_QUOTE: user_input[CONF_QUOTE],
                    },
                )
        schema = tickers_schema(self._balances)
        return self.async_show_form(
            step_id="tickers",
            data_schema=self.add_suggested_values_to_schema(schema, user_input or {}),
            errors=errors,
            description_placeholders={"count": str(len(self._balances.listed()))},
        )

    async def _async_account_given(self, account: dict[str, Any]) -> ConfigFlowResult:
        """Go on from the account form: to the URL step for a custom server, else to saving."""
        self._account = account
        if account[CONF_SERVER] == SERVER_CUSTOM:
            return await self.async_step_custom_url()
        return await self._async_save(account, resolve_base_url(account))

    async def _async_save(self, account: Mapping[str, Any], base_url: str) -> ConfigFlowResult:
        """The one validate-and-save path of credentials, for a new entry or an existing one.

        A new entry goes on to the currencies; an existing one is updated and reloaded, and its
        title follows the new key and server unless the user renamed it. Pasted keys often
        carry a trailing space or newline, which WhiteBIT would reject: they are stripped.
        """
        key, secret = (str(account[field]).strip() for field in (CONF_API_KEY, CONF_API_SECRET))
        data = {CONF_URL: base_url, CONF_API_KEY: key, CONF_API_SECRET: secret}
        unique_id = entry_unique_id(base_url, key)
        if self.source == SOURCE_USER:
            # Known before any request: an account added already is not asked again.
            await self.async_set_unique_id(unique_id)
            self._abort_if_unique_id_configured()
            accounts = list(account[CONF_ACCOUNTS])
        else:
            entry = (
                self._get_reauth_entry()
                if self.source == SOURCE_REAUTH
                else self._get_reconfigure_entry()
            )
            if any(
                other.unique_id == unique_id and other.entry_id != entry.entry_id
                for other in self._async_current_entries(include_ignore=False)
            ):
                return self.async_abort(reason="already_configured")
            accounts = _options(entry)[CONF_ACCOUNTS]
        self._balances, errors = await _async_validate(self.hass, data, accounts)
        if errors:
            return self._account_form({**account, CONF_API_KEY: key}, errors)
        title = entry_title(account[CONF_SERVER], base_url, key)
        if self.source == SOURCE_USER:
            self._data, self._accounts, self._title = data, accounts, title
            return await self.async_step_tickers()
        if entry.title not in generated_titles(entry.data[CONF_URL], entry.data[CONF_API_KEY]):
            title = entry.title
        return self.async_update_reload_and_abort(
            entry, unique_id=unique_id, title=title, data=data
        )

    def _account_form(
        self, user_input: Mapping[str, Any] | None, errors: dict[str, str]
    ) -> ConfigFlowResult:
        """This flow's account form, filled in again but for the secret, which never is."""
        step = {SOURCE_USER: "user", SOURCE_REAUTH: "reauth_confirm"}.get(str(self.source))
        step = step or "reconfigure"
        kept = {CONF_SERVER, CONF_ACCOUNTS, CONF_API_KEY}
        shown = {k: v for k, v in (user_input or {}).items() if k in kept}
        schema = account_schema(step)
        return self.async_show_form(
            step_id=step,
            data_schema=self.add_suggested_values_to_schema(schema, shown),
            errors=errors,
        )


class WhiteBitOptionsFlow(OptionsFlowWithReload):
    """Change what is tracked and how it is valued."""

    config_entry: WhiteBitConfigEntry

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show the options, with the currencies WhiteBIT currently lists.

        An account added here was never fetched with this key; finding out now that the key
        may not read it beats a reload that ends in a reauthentication prompt.
        """
        entry = self.config_entry
        options = _options(entry)
        errors: dict[str, str] = {}
        if user_input is not None:
            if not (errors := selection_errors(user_input)):
                added = set(user_input[CONF_ACCOUNTS]) - set(options[CONF_ACCOUNTS])
                quote = user_input[CONF_QUOTE]
                quote = "" if quote == options[CONF_QUOTE] else quote
                _, errors = await _async_validate(self.hass, entry.data, added, quote)
            if not errors:
                return self.async_create_entry(data=user_input)
        if entry.state is ConfigEntryState.LOADED:
            # The coordinator's last poll already lists every currency; no extra request.
            available = entry.runtime_data.data
        else:
            available, fetched = await _async_validate(
                self.hass, entry.data, options[CONF_ACCOUNTS]
            )
            errors = errors or fetched
        # Markets from the server's shared prices: fresh ones cost no request, stale ones are
        # fetched once for every entry on the server. Markets picked before stay offered.
        prices = await async_get_prices(self.hass, entry.data[CONF_URL])
        listed = set(prices.data.markets) if prices.data and prices.last_update_success else set()
        markets = sorted(listed | set(options.get(CONF_MARKETS, ())))
        schema = options_schema(available, options[CONF_TICKERS], markets)
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(schema, user_input or options),
            errors=errors,
        )
