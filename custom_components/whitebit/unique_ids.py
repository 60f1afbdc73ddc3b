"""The sensors' unique IDs, and what the entity registry remembers through them.

A value's unique ID carries the currency it is in: USDT and EUR figures are two series, and
one sensor switching between them would show USDT history on an EUR axis and make Home
Assistant stop its long-term statistics ("The unit has changed"). Each gets its own sensor;
the other's history stays as it was, and comes back with the same entity ID if the user goes
back to that currency (Home Assistant restores a deleted entity's ID by its unique ID).
"""

from typing import Any, Final

from homeassistant.components.sensor import DOMAIN as SENSOR_DOMAIN
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er

PORTFOLIO_KEY: Final = "portfolio_value"
VALUE_KEY: Final = "value"


def figure_key(key: str, quote: str | None) -> str:
    """The part of a unique ID that names the figure: a value's names its currency too."""
    return key if quote is None else f"{key}_{quote}"


def ticker_unique_id(entry_id: str, key: str, ticker: str) -> str:
    """One currency's figure; `key` from figure_key."""
    return f"{entry_id}_{key}_{ticker}"


def entry_unique_id(entry_id: str, key: str) -> str:
    """A figure of the whole entry; `key` from figure_key."""
    return f"{entry_id}_{key}"


def registered_unique_ids(hass: HomeAssistant, entry_id: str) -> set[str]:
    """The unique IDs of the entry's sensors in the registry, disabled ones included."""
    registry = er.async_get(hass)
    return {
        entry.unique_id
        for entry in er.async_entries_for_config_entry(registry, entry_id)
        if entry.domain == SENSOR_DOMAIN
    }


def registered_tickers(hass: HomeAssistant, entry_id: str, key: str) -> frozenset[str]:
    """The currencies that have a sensor of `key` (from figure_key) in the registry."""
    prefix = ticker_unique_id(entry_id, key, "")
    return frozenset(
        unique_id.removeprefix(prefix)
        for unique_id in registered_unique_ids(hass, entry_id)
        if unique_id.startswith(prefix)
    )


@callback
def value_in(
    registry_entry: er.RegistryEntry, *, entry_id: str, quote: str
) -> dict[str, Any] | None:
    """Give a value sensor of an entry from before 1.4 its currency's unique ID.

    For er.async_migrate_entries: the entity keeps its entity ID, settings and history. Other
    entities (balances, prices, margin calls) are left as they are.
    """
    unique_id = registry_entry.unique_id
    if unique_id == entry_unique_id(entry_id, PORTFOLIO_KEY):
        return {"new_unique_id": entry_unique_id(entry_id, figure_key(PORTFOLIO_KEY, quote))}
    if unique_id.startswith(prefix := ticker_unique_id(entry_id, VALUE_KEY, "")):
        ticker = unique_id.removeprefix(prefix)
        key = figure_key(VALUE_KEY, quote)
        return {"new_unique_id": ticker_unique_id(entry_id, key, ticker)}
    return None
