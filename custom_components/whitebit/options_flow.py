"""The options flow: a menu of what can change, each on a short form of its own.

One long form put its error at the top, out of view of the field it was about; each form here
fits the dialog, and saves only what it shows.
"""

from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigEntryState,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.const import CONF_URL

from .checks import async_markets, async_quotes, async_validate
from .const import (
    CONF_ACCOUNTS,
    CONF_MARKETS,
    CONF_QUOTE,
    CONF_TICKERS,
    LEGACY_OPTIONS,
)
from .coordinator import WhiteBitConfigEntry
from .forms import (
    ACCOUNTS_SCHEMA,
    currencies_schema,
    markets_schema,
    quote_schema,
    selection_errors,
)

if TYPE_CHECKING:
    # What Home Assistant's types name since 2026.9 (see forms.py).
    import probatio as vol

# The menu's entries, each a step of this flow, in the order a person looks for them.
MENU = ("currencies", "accounts", "valuation", "markets")


def entry_options(entry: ConfigEntry) -> dict[str, Any]:
    """The entry's options, with what a not yet migrated entry (one never set up) lacks."""
    return {**LEGACY_OPTIONS, **entry.options}


class WhiteBitOptionsFlow(OptionsFlowWithReload):
    """Change what is tracked and how it is valued."""

    config_entry: WhiteBitConfigEntry

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:  # noqa: ARG002 - a menu has no input
        """Offer what can change."""
        return self.async_show_menu(step_id="init", menu_options=list(MENU))

    async def async_step_currencies(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The currencies, with those WhiteBIT currently lists, and automatic tracking."""
        entry = self.config_entry
        options = entry_options(entry)
        errors: dict[str, str] = {}
        if user_input is not None and not (errors := selection_errors(user_input)):
            return self._save(user_input)
        if entry.state is ConfigEntryState.LOADED:
            # The coordinator's last poll already lists every currency; no extra request.
            available = entry.runtime_data.data
        else:
            available, fetched = await async_validate(self.hass, entry.data, options[CONF_ACCOUNTS])
            errors = errors or fetched
        schema = currencies_schema(available, options[CONF_TICKERS])
        return self._form("currencies", schema, user_input, errors)

    async def async_step_accounts(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The balances to track.

        An account added here was never fetched with this key; finding out now that the key
        may not read it beats a reload that ends in a reauthentication prompt.
        """
        errors: dict[str, str] = {}
        if user_input is not None and not (errors := selection_errors(user_input)):
            before = entry_options(self.config_entry)[CONF_ACCOUNTS]
            added = set(user_input[CONF_ACCOUNTS]) - set(before)
            _, errors = await async_validate(self.hass, self.config_entry.data, added)
            if not errors:
                return self._save(user_input)
        return self._form("accounts", ACCOUNTS_SCHEMA, user_input, errors)

    async def async_step_valuation(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The currency the portfolio is valued in, from those the server's markets use."""
        data = self.config_entry.data
        stored = entry_options(self.config_entry)[CONF_QUOTE]
        errors: dict[str, str] = {}
        if user_input is not None:
            quote = user_input[CONF_QUOTE]
            _, errors = await async_validate(self.hass, data, (), "" if quote == stored else quote)
            if not errors:
                return self._save(user_input)
        kept = {stored, *(user_input or {}).values()}
        quotes = await async_quotes(self.hass, data[CONF_URL], kept)
        return self._form("valuation", quote_schema(quotes), user_input, errors)

    async def async_step_markets(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The markets that get price sensors; those picked before stay offered."""
        if user_input is not None:
            # A multiple select left empty is not sent: no market, then.
            return self._save({CONF_MARKETS: user_input.get(CONF_MARKETS, [])})
        options = entry_options(self.config_entry)
        listed = await async_markets(self.hass, self.config_entry.data[CONF_URL])
        markets = sorted(listed | set(options.get(CONF_MARKETS, ())))
        return self._form("markets", markets_schema(markets), None, {})

    def _save(self, changes: dict[str, Any]) -> ConfigFlowResult:
        """Store what one form changed, the other options as they were."""
        return self.async_create_entry(data={**entry_options(self.config_entry), **changes})

    def _form(
        self,
        step: str,
        schema: vol.Schema,
        user_input: dict[str, Any] | None,
        errors: dict[str, str],
    ) -> ConfigFlowResult:
        """A form showing what the user chose, else the stored options."""
        shown = user_input or entry_options(self.config_entry)
        return self.async_show_form(
            step_id=step,
            data_schema=self.add_suggested_values_to_schema(schema, shown),
            errors=errors,
        )
