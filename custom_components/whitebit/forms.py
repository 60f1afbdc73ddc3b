"""The forms of the config and options flows: their schemas, and what a selection must hold."""

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from homeassistant.const import CONF_API_KEY, CONF_URL
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
    QUOTE_NONE,
    QUOTE_TICKERS,
    SERVER_CUSTOM,
    SERVER_GLOBAL,
    SERVER_URLS,
    ZERO_REMOVE,
    ZERO_UNAVAILABLE,
)
from .holdings import WhiteBitData

if TYPE_CHECKING:
    # What Home Assistant's types name since 2026.9, when probatio replaced voluptuous.
    import probatio as vol
else:
    # From 2026.9 Home Assistant makes this name probatio; before, it is voluptuous itself.
    import voluptuous as vol

# The key is not secret (WhiteBIT lists it in the API settings, it names the entry): it stays
# in the form after an error. The secret is a password field, and never offered back.
CREDENTIALS_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_API_KEY): TextSelector(),
        vol.Required(CONF_API_SECRET): TextSelector(
            TextSelectorConfig(type=TextSelectorType.PASSWORD)
        ),
    }
)


def _select(
    options: list[str], key: str | None, mode: SelectSelectorMode, *, multiple: bool = False
) -> SelectSelector:
    config = SelectSelectorConfig(options=options, multiple=multiple, mode=mode)
    if key is not None:
        config["translation_key"] = key
    return SelectSelector(config)


_LIST, _DROPDOWN = SelectSelectorMode.LIST, SelectSelectorMode.DROPDOWN
# The server first, as a person chooses it first.
_ACCOUNT_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_SERVER, default=SERVER_GLOBAL): _select(
            [*SERVER_URLS, SERVER_CUSTOM], CONF_SERVER, _LIST
        )
    }
).extend(CREDENTIALS_SCHEMA.schema)
# Asked for on a step of its own, and only when the server is a custom URL.
URL_SCHEMA = vol.Schema(
    {vol.Required(CONF_URL): TextSelector(TextSelectorConfig(type=TextSelectorType.URL))}
)
_ACCOUNTS_SELECTOR = _select(list(ACCOUNTS), CONF_ACCOUNTS, _LIST, multiple=True)
_QUOTE_SELECTOR = _select([QUOTE_NONE, *QUOTE_TICKERS], CONF_QUOTE, _DROPDOWN)
_ZERO_SELECTOR = _select([ZERO_REMOVE, ZERO_UNAVAILABLE], CONF_ZERO_BALANCE, _LIST)
_USER_SCHEMA = _ACCOUNT_SCHEMA.extend(
    {vol.Required(CONF_ACCOUNTS, default=list(DEFAULT_ACCOUNTS)): _ACCOUNTS_SELECTOR}
)
_FORMS = {"user": _USER_SCHEMA, "reconfigure": _ACCOUNT_SCHEMA}


def account_schema(step: str) -> vol.Schema:
    """The account form of `step`: user and reconfigure ask for the server, reauth does not."""
    return _FORMS.get(step, CREDENTIALS_SCHEMA)


def _tickers(data: WhiteBitData, selected: Collection[str]) -> vol.Schema:
    options = sorted(data.listed() | set(selected))
    return vol.Schema(
        {
            vol.Required(CONF_TICKERS, default=list(selected)): _select(
                options, None, _DROPDOWN, multiple=True
            )
        }
    )


def tickers_schema(balances: WhiteBitData) -> vol.Schema:
    """A new entry's currencies (those holding a balance preselected) and valuation."""
    return _tickers(balances, sorted(balances.held())).extend(
        {
            vol.Required(CONF_AUTO_TRACK, default=False): BooleanSelector(),
            vol.Required(CONF_QUOTE, default=DEFAULT_QUOTE): _QUOTE_SELECTOR,
        }
    )


def options_schema(
    available: WhiteBitData, selected: Collection[str], markets: list[str]
) -> vol.Schema:
    """The options: every currency listed or selected, and every market offered."""
    return _tickers(available, selected).extend(
        {
            vol.Required(CONF_ACCOUNTS): _ACCOUNTS_SELECTOR,
            vol.Required(CONF_AUTO_TRACK): BooleanSelector(),
            vol.Required(CONF_ZERO_BALANCE): _ZERO_SELECTOR,
            vol.Required(CONF_QUOTE): _QUOTE_SELECTOR,
            vol.Optional(CONF_MARKETS): _select(markets, None, _DROPDOWN, multiple=True),
        }
    )


def selection_errors(user_input: Mapping[str, Any]) -> dict[str, str]:
    """Refuse a selection that would track nothing."""
    if CONF_ACCOUNTS in user_input and not user_input[CONF_ACCOUNTS]:
        return {"base": "no_accounts"}
    if CONF_TICKERS in user_input and not (user_input[CONF_AUTO_TRACK] or user_input[CONF_TICKERS]):
        return {"base": "no_tickers"}
    return {}
