"""Balance sensors: one per selected currency."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.components.sensor import (
    DOMAIN as SENSOR_DOMAIN,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.helpers import entity_registry as er

from .const import CONF_TICKERS, CRYPTO_PRECISION, FIAT_LIKE_TICKERS, FIAT_PRECISION
from .entity import WhiteBitEntity

if TYPE_CHECKING:
    from collections.abc import Callable
    from decimal import Decimal

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import WhiteBitConfigEntry, WhiteBitCoordinator, WhiteBitData

# The coordinator does all I/O; entities only read its data.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class WhiteBitBalanceEntityDescription(SensorEntityDescription):
    """Describes one kind of balance, read for a given ticker."""

    value_fn: Callable[[WhiteBitData, str], Decimal | None]


BALANCE_DESCRIPTIONS: tuple[WhiteBitBalanceEntityDescription, ...] = (
    WhiteBitBalanceEntityDescription(
        key="main_balance",
        translation_key="main_balance",
        # A balance goes up and down and has no meaningful reset: "total" lets the recorder
        # keep long-term statistics of it.
        state_class=SensorStateClass.TOTAL,
        value_fn=lambda data, ticker: data.main.get(ticker),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: WhiteBitConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a sensor per selected ticker and drop those of tickers no longer selected."""
    coordinator = entry.runtime_data
    entities = [
        WhiteBitBalanceSensor(coordinator, description, ticker)
        for ticker in entry.options[CONF_TICKERS]
        for description in BALANCE_DESCRIPTIONS
    ]
    _remove_stale_entities(hass, entry, {entity.unique_id for entity in entities})
    async_add_entities(entities)


def _remove_stale_entities(
    hass: HomeAssistant, entry: WhiteBitConfigEntry, keep: set[str | None]
) -> None:
    registry = er.async_get(hass)
    for registry_entry in er.async_entries_for_config_entry(registry, entry.entry_id):
        if registry_entry.domain == SENSOR_DOMAIN and registry_entry.unique_id not in keep:
            registry.async_remove(registry_entry.entity_id)


class WhiteBitBalanceSensor(WhiteBitEntity, SensorEntity):
    """One balance of one currency."""

    entity_description: WhiteBitBalanceEntityDescription

    def __init__(
        self,
        coordinator: WhiteBitCoordinator,
        description: WhiteBitBalanceEntityDescription,
        ticker: str,
    ) -> None:
        """Describe the balance of `ticker`."""
        super().__init__(coordinator)
        self.entity_description = description
        self._ticker = ticker
        self._attr_unique_id = f"{coordinator.config_entry.entry_id}_{description.key}_{ticker}"
        self._attr_translation_placeholders = {"ticker": ticker}
        self._attr_native_unit_of_measurement = ticker
        self._attr_suggested_display_precision = (
            FIAT_PRECISION if ticker in FIAT_LIKE_TICKERS else CRYPTO_PRECISION
        )

    @property
    def _amount(self) -> Decimal | None:
        return self.entity_description.value_fn(self.coordinator.data, self._ticker)

    @property
    def available(self) -> bool:
        """Unavailable while polling fails, or when WhiteBIT stops listing the currency."""
        return super().available and self._amount is not None

    @property
    def native_value(self) -> str | None:
        """Return the amount exactly as WhiteBIT reported it.

        A fixed-point string rather than the Decimal: Home Assistant turns a state into text
        with str(), which writes small Decimals in exponent form (0.00000001 becomes 1E-8).
        """
        amount = self._amount
        return None if amount is None else f"{amount:f}"
