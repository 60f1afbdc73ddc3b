"""The forms of the config and options flows: their schemas, and what a selection must hold."""

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from homeassistant.const import CONF_API_KEY, CONF_NAME, CONF_URL
from homeassistant.helpers.selector import (
    BooleanSelector,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .const import (
    ACCOUNTS,
    COMMON_QUOTES,
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
    SERVER_CUSTOM,
    SERVER_GLOBAL,
    SERVER_URLS,
    ZERO_REMOVE,
    ZERO_UNAVAILABLE,
)
from .holdings import WhiteBitData
from .pywhitebit import Market

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
    options: list[str] | list[SelectOptionDict],
    key: str | None,
    mode: SelectSelectorMode,
    *,
    multiple: bool = False,
) -> SelectSelector:
    config = SelectSelectorConfig(options=options, multiple=multiple, mode=mode)
    if key is not None:
        config["translation_key"] = key
    return SelectSelector(config)


_LIST, _DROPDOWN = SelectSelectorMode.LIST, SelectSelectorMode.DROPDOWN
# The server first, as a person chooses it first; a custom server's URL right under it, on the
# same form, so that choosing one takes no step of its own and an error asks for nothing twice.
_ACCOUNT_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_SERVER, default=SERVER_GLOBAL): _select(
            [*SERVER_URLS, SERVER_CUSTOM], CONF_SERVER, _LIST
        ),
        vol.Optional(CONF_URL): TextSelector(TextSelectorConfig(type=TextSelectorType.URL)),
    }
).extend(CREDENTIALS_SCHEMA.schema)
_ACCOUNTS_SELECTOR = _select(list(ACCOUNTS), CONF_ACCOUNTS, _LIST, multiple=True)
_ZERO_SELECTOR = _select([ZERO_REMOVE, ZERO_UNAVAILABLE], CONF_ZERO_BALANCE, _LIST)
_USER_SCHEMA = _ACCOUNT_SCHEMA.extend(
    {vol.Required(CONF_ACCOUNTS, default=list(DEFAULT_ACCOUNTS)): _ACCOUNTS_SELECTOR}
)
_FORMS = {"user": _USER_SCHEMA, "reconfigure": _ACCOUNT_SCHEMA}
ACCOUNTS_SCHEMA = vol.Schema({vol.Required(CONF_ACCOUNTS): _ACCOUNTS_SELECTOR})


def account_schema(step: str) -> vol.Schema:
    """The account form of `step`: user and reconfigure ask for the server, reauth does not."""
    return _FORMS.get(step, CREDENTIALS_SCHEMA)


def offered_quotes(markets: Mapping[str, Market] | None, kept: Collection[str]) -> list[str]:
    """The quote options: every currency the server's trading markets are priced in.

    The common ones first (USDT, USD, EUR, UAH, BTC), then the others alphabetically. Without
    markets (they could not be fetched), the common ones, so that the form still opens; the
    check on saving then says why. A choice made before (`kept`) stays offered.
    """
    quotes = {m.quote for m in (markets or {}).values() if not m.frozen} or set(COMMON_QUOTES)
    # Stored lowercase and read back upper case: a ticker that is not all upper case would
    # not survive that, and WhiteBIT writes tickers in upper case.
    quotes = {q.lower() for q in quotes if q == q.upper()} | (set(kept) - {QUOTE_NONE})
    common = [q.lower() for q in COMMON_QUOTES if q.lower() in quotes]
    return common + sorted(quotes - set(common))


def default_quote(quotes: Collection[str], currency: str) -> str:
    """Home Assistant's own currency when the server trades in it, else USDT."""
    return currency.lower() if currency.lower() in quotes else DEFAULT_QUOTE


def _quote_selector(quotes: list[str]) -> SelectSelector:
    options = [SelectOptionDict(value=QUOTE_NONE, label=QUOTE_NONE)]
    # A ticker reads as itself in every language; only "Off" is translated.
    options += [SelectOptionDict(value=quote, label=quote.upper()) for quote in quotes]
    return _select(options, CONF_QUOTE, _DROPDOWN)


def quote_schema(quotes: list[str]) -> vol.Schema:
    """The valuation: off, or one of `quotes`."""
    return vol.Schema({vol.Required(CONF_QUOTE): _quote_selector(quotes)})


def _tickers(data: WhiteBitData, selected: Collection[str]) -> vol.Schema:
    options = sorted(data.listed() | set(selected))
    return vol.Schema(
        {
            vol.Required(CONF_TICKERS, default=list(selected)): _select(
                options, None, _DROPDOWN, multiple=True
            )
        }
    )


def tickers_schema(balances: WhiteBitData, quotes: list[str], quote: str) -> vol.Schema:
    """A new entry's currencies (those holding a balance preselected), valuation and name."""
    return _tickers(balances, sorted(balances.held())).extend(
        {
            vol.Required(CONF_AUTO_TRACK, default=False): BooleanSelector(),
            vol.Required(CONF_QUOTE, default=quote): _quote_selector(quotes),
            vol.Optional(CONF_NAME): TextSelector(),
        }
    )


def currencies_schema(available: WhiteBitData, selected: Collection[str]) -> vol.Schema:
    """The options' currencies: every one listed or selected, and what automatic tracking does."""
    return _tickers(available, selected).extend(
        {
            vol.Required(CONF_AUTO_TRACK): BooleanSelector(),
            vol.Required(CONF_ZERO_BALANCE): _ZERO_SELECTOR,
        }
    )


def markets_schema(markets: list[str]) -> vol.Schema:
    """The markets offered for price sensors."""
    return vol.Schema(
        {vol.Optional(CONF_MARKETS): _select(markets, None, _DROPDOWN, multiple=True)}
    )


def selection_errors(user_input: Mapping[str, Any]) -> dict[str, str]:
    """Refuse a selection that would track nothing."""
    if CONF_ACCOUNTS in user_input and not user_input[CONF_ACCOUNTS]:
        return {"base": "no_accounts"}
    if CONF_TICKERS in user_input and not (user_input[CONF_AUTO_TRACK] or user_input[CONF_TICKERS]):
        return {"base": "no_tickers"}
    return {}
