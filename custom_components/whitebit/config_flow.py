"""Config, reauth and reconfigure flows for WhiteBIT (the options flow: options_flow.py).

What each flow checks before it saves is in checks.py; the forms are in forms.py.
"""

from collections.abc import Mapping
from typing import Any, override

from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_USER,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
)
from homeassistant.const import CONF_API_KEY, CONF_NAME, CONF_URL
from homeassistant.core import callback

from .checks import async_quotes, async_validate
from .const import (
    CONF_ACCOUNTS,
    CONF_API_SECRET,
    CONF_AUTO_TRACK,
    CONF_QUOTE,
    CONF_SERVER,
    CONF_TICKERS,
    CONF_ZERO_BALANCE,
    DOMAIN,
    SERVER_CUSTOM,
    ZERO_REMOVE,
)
from .coordinator import WhiteBitConfigEntry
from .forms import account_schema, default_quote, selection_errors, tickers_schema
from .holdings import WhiteBitData
from .identity import default_name, entry_unique_id, resolve_base_url, server_of, title_for_key
from .options_flow import WhiteBitOptionsFlow, entry_options
from .pywhitebit import InvalidUrlError


class WhiteBitConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a WhiteBIT account, or change the key or server of one."""

    VERSION = 1
    MINOR_VERSION = 4

    # The credentials checked, with what the tickers step needs to create the entry.
    _data: dict[str, str]
    _accounts: list[str]
    _balances: WhiteBitData
    # What the entry is called unless the person names it otherwise.
    _name: str

    @staticmethod
    @callback
    @override
    def async_get_options_flow(config_entry: WhiteBitConfigEntry) -> WhiteBitOptionsFlow:
        """Return the options flow."""
        return WhiteBitOptionsFlow()

    @override
    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the server (and a custom one's URL), the key and the accounts, and check them."""
        errors: dict[str, str] = {}
        if user_input is not None and not (errors := selection_errors(user_input)):
            return await self._async_save(user_input)
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
        return await self._async_save({**user_input, CONF_SERVER: server_of(url), CONF_URL: url})

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the server or the key of an existing entry."""
        if user_input is not None:
            return await self._async_save(user_input)
        url = self._get_reconfigure_entry().data[CONF_URL]
        server = server_of(url)
        shown = {CONF_SERVER: server} | ({CONF_URL: url} if server == SERVER_CUSTOM else {})
        return self._account_form(shown, {})

    async def async_step_tickers(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick the currencies (those holding a balance come preselected), valuation and name."""
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = (
                selection_errors(user_input)
                or (await async_validate(self.hass, self._data, (), user_input[CONF_QUOTE]))[1]
            )
            if not errors:
                options = {key: user_input[key] for key in (CONF_TICKERS, CONF_AUTO_TRACK)}
                return self.async_create_entry(
                    title=str(user_input.get(CONF_NAME, "")).strip() or self._name,
                    data=self._data,
                    options={
                        CONF_ACCOUNTS: self._accounts,
                        **options,
                        CONF_ZERO_BALANCE: ZERO_REMOVE,
                        CONF_QUOTE: user_input[CONF_QUOTE],
                    },
                )
        kept = [user_input[CONF_QUOTE]] if user_input else []
        quotes = await async_quotes(self.hass, self._data[CONF_URL], kept)
        # Home Assistant's own currency (Settings → System → General) when WhiteBIT has it.
        schema = tickers_schema(
            self._balances, quotes, default_quote(quotes, self.hass.config.currency)
        )
        return self.async_show_form(
            step_id="tickers",
            data_schema=self.add_suggested_values_to_schema(
                schema, user_input or {CONF_NAME: self._name}
            ),
            errors=errors,
            description_placeholders={"count": str(len(self._balances.listed()))},
        )

    async def _async_save(self, account: Mapping[str, Any]) -> ConfigFlowResult:
        """The one validate-and-save path of credentials, for a new entry or an existing one.

        The key is checked first, and only a key that works is compared with the entries there
        are (as core's flows do): "already configured" then means that this very account is,
        not that a mistyped secret was taken for it. A new entry goes on to the currencies; an
        existing one is updated and reloaded, its title following the key if the integration
        made it. Pasted keys often carry a trailing space or newline, which WhiteBIT would
        reject: they are stripped.
        """
        try:
            base_url = resolve_base_url(account)
        except InvalidUrlError:
            return self._account_form(account, {CONF_URL: "invalid_url"})
        key, secret = (str(account[field]).strip() for field in (CONF_API_KEY, CONF_API_SECRET))
        data = {CONF_URL: base_url, CONF_API_KEY: key, CONF_API_SECRET: secret}
        entry: ConfigEntry | None = None
        if self.source == SOURCE_REAUTH:
            entry = self._get_reauth_entry()
        elif self.source != SOURCE_USER:
            entry = self._get_reconfigure_entry()
        accounts = (
            list(account[CONF_ACCOUNTS]) if entry is None else entry_options(entry)[CONF_ACCOUNTS]
        )
        self._balances, errors = await async_validate(self.hass, data, accounts)
        if errors:
            return self._account_form({**account, CONF_API_KEY: key}, errors)
        unique_id = entry_unique_id(base_url, key)
        others = self._async_current_entries(include_ignore=False)
        if entry is None:
            await self.async_set_unique_id(unique_id)
            self._abort_if_unique_id_configured()
            self._data, self._accounts = data, accounts
            shared = any(other.data.get(CONF_URL) == base_url for other in others)
            self._name = default_name(key, shared=shared)
            return await self.async_step_tickers()
        if any(o.unique_id == unique_id and o.entry_id != entry.entry_id for o in others):
            return self.async_abort(reason="already_configured")
        old = (entry.data[CONF_URL], entry.data[CONF_API_KEY])
        title = title_for_key(entry.title, old, (base_url, key))
        return self.async_update_reload_and_abort(
            entry, unique_id=unique_id, title=title, data=data
        )

    def _account_form(
        self, user_input: Mapping[str, Any] | None, errors: dict[str, str]
    ) -> ConfigFlowResult:
        """This flow's account form, filled in again but for the secret, which never is."""
        step = {SOURCE_USER: "user", SOURCE_REAUTH: "reauth_confirm"}.get(str(self.source))
        step = step or "reconfigure"
        kept = {CONF_SERVER, CONF_URL, CONF_ACCOUNTS, CONF_API_KEY}
        shown = {k: v for k, v in (user_input or {}).items() if k in kept}
        schema = account_schema(step)
        return self.async_show_form(
            step_id=step,
            data_schema=self.add_suggested_values_to_schema(schema, shown),
            errors=errors,
        )
