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

from .api import (
    WhiteBitAuthenticationError,
    WhiteBitClient,
    WhiteBitConnectionError,
    WhiteBitError,
    WhiteBitPermissionError,
    WhiteBitRateLimitError,
    WhiteBitResponseError,
)
from .const import (
    CONF_API_SECRET,
    CONF_SERVER,
    CONF_TICKERS,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
    LOGGER,
    MAX_SCAN_INTERVAL,
    MIN_SCAN_INTERVAL,
    SERVER_CUSTOM,
    SERVER_GLOBAL,
    SERVER_TITLES,
    SERVER_URLS,
)

if TYPE_CHECKING:
    from collections.abc import Mapping
    from decimal import Decimal

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


async def _async_fetch_balances(
    flow: ConfigFlow | OptionsFlowWithReload, data: Mapping[str, Any]
) -> tuple[Mapping[str, Decimal], dict[str, str]]:
    """Check credentials live; return the balances or the form errors to show."""
    client = WhiteBitClient(
        async_get_clientsession(flow.hass),
        data[CONF_API_KEY],
        data[CONF_API_SECRET],
        data[CONF_URL],
    )
    try:
        return await client.main_balances(), {}
    except WhiteBitAuthenticationError:
        error = "invalid_auth"
    except WhiteBitPermissionError:
        error = "no_permission"
    except WhiteBitRateLimitError:
        error = "rate_limited"
    except WhiteBitConnectionError, WhiteBitResponseError:
        error = "cannot_connect"
    except WhiteBitError:
        LOGGER.exception("Unexpected answer from WhiteBIT while checking the key")
        error = "unknown"
    except Exception:  # noqa: BLE001 - a flow must end in a form error, never a traceback
        LOGGER.exception("Unexpected error while checking the key")
        error = "unknown"
    return {}, {"base": error}


def _tickers_schema(available: Mapping[str, Decimal], selected: list[str]) -> probatio.Schema:
    return probatio.Schema(
        {
            probatio.Required(CONF_TICKERS, default=selected): SelectSelector(
                SelectSelectorConfig(
                    options=sorted(set(available) | set(selected)),
                    multiple=True,
                    mode=SelectSelectorMode.DROPDOWN,
                    custom_value=False,
                )
            )
        }
    )


def _nonzero(balances: Mapping[str, Decimal]) -> list[str]:
    return sorted(ticker for ticker, amount in balances.items() if amount)


def _credentials(user_input: Mapping[str, Any]) -> dict[str, str]:
    # Pasted keys often carry a trailing space or newline; WhiteBIT would reject them.
    return {
        CONF_API_KEY: str(user_input[CONF_API_KEY]).strip(),
        CONF_API_SECRET: str(user_input[CONF_API_SECRET]).strip(),
    }


class WhiteBitConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a WhiteBIT account."""

    VERSION = 1

    _data: dict[str, str]
    _title: str
    _balances: Mapping[str, Decimal]

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
        """Ask for the server and the key, and check them against WhiteBIT."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data, balances, errors = await self._async_check_account(user_input)
            if not errors:
                await self.async_set_unique_id(entry_unique_id(data[CONF_URL], data[CONF_API_KEY]))
                self._abort_if_unique_id_configured()
                self._data = data
                self._balances = balances
                self._title = entry_title(user_input[CONF_SERVER], data[CONF_URL])
                return await self.async_step_tickers()
        return self.async_show_form(
            step_id="user",
            data_schema=self._account_form(user_input),
            errors=errors,
        )

    async def async_step_tickers(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick the currencies to track; those holding a balance come preselected."""
        errors: dict[str, str] = {}
        if user_input is not None:
            if user_input[CONF_TICKERS]:
                return self.async_create_entry(
                    title=self._title,
                    data=self._data,
                    options={
                        CONF_TICKERS: user_input[CONF_TICKERS],
                        CONF_SCAN_INTERVAL: int(DEFAULT_SCAN_INTERVAL.total_seconds()),
                    },
                )
            errors["base"] = "no_tickers"
        return self.async_show_form(
            step_id="tickers",
            data_schema=_tickers_schema(self._balances, _nonzero(self._balances)),
            errors=errors,
            description_placeholders={"count": str(len(self._balances))},
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
            _, errors = await _async_fetch_balances(self, data)
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
            data, _, errors = await self._async_check_account(user_input)
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
            data_schema=self._account_form(suggested),
            errors=errors,
        )

    def _account_form(self, user_input: Mapping[str, Any] | None) -> probatio.Schema:
        # Only the server and URL are offered again after an error; the key and secret are
        # never echoed back into a form.
        shown = {k: v for k, v in (user_input or {}).items() if k in {CONF_SERVER, CONF_URL}}
        return self.add_suggested_values_to_schema(_ACCOUNT_SCHEMA, shown)

    async def _async_check_account(
        self, user_input: Mapping[str, Any]
    ) -> tuple[dict[str, str], Mapping[str, Decimal], dict[str, str]]:
        """Resolve the server and check the credentials: entry data, balances, form errors."""
        try:
            base_url = resolve_base_url(user_input)
        except InvalidUrlError:
            return {}, {}, {CONF_URL: "invalid_url"}
        data = {CONF_URL: base_url, **_credentials(user_input)}
        balances, errors = await _async_fetch_balances(self, data)
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
    """Change the tracked currencies and the update interval."""

    config_entry: WhiteBitConfigEntry

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show the options, with the currencies WhiteBIT currently lists."""
        errors: dict[str, str] = {}
        if user_input is not None:
            if user_input[CONF_TICKERS]:
                return self.async_create_entry(
                    data={
                        CONF_TICKERS: user_input[CONF_TICKERS],
                        CONF_SCAN_INTERVAL: int(user_input[CONF_SCAN_INTERVAL]),
                    }
                )
            errors["base"] = "no_tickers"

        entry = self.config_entry
        if entry.state is ConfigEntryState.LOADED:
            # The coordinator's last poll already lists every currency; no extra request.
            available: Mapping[str, Decimal] = entry.runtime_data.data.main
        else:
            available, fetch_errors = await _async_fetch_balances(self, entry.data)
            errors = errors or fetch_errors

        selected = list(entry.options[CONF_TICKERS])
        schema = _tickers_schema(available, selected).extend(
            {
                probatio.Required(
                    CONF_SCAN_INTERVAL,
                    default=entry.options.get(
                        CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL.total_seconds()
                    ),
                ): NumberSelector(
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
        return self.async_show_form(step_id="init", data_schema=schema, errors=errors)
