"""Market price sensors: the last price of markets the user picked, and their 24-hour change.

They read the server's shared price coordinator, the public ticker the valuation fetches anyway:
no request of their own, whatever the number of markets.
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import override

from homeassistant.components.sensor import (
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .coordinator import WhiteBitCoordinator
from .entity import account_device, exact_state
from .prices import WhiteBitPriceCoordinator
from .pywhitebit import Market


@dataclass(frozen=True, kw_only=True)
class WhiteBitMarketEntityDescription(SensorEntityDescription):
    """Describes one figure kept for every picked market."""

    value_fn: Callable[[Market], Decimal | None]
    # The unit for a market: its quote currency, or a percentage.
    unit_fn: Callable[[str], str]


# A price is a measurement, not a total: no monetary device class (Home Assistant allows that
# class only with the total state classes), and the unit is the quote currency.
MARKET_DESCRIPTIONS: tuple[WhiteBitMarketEntityDescription, ...] = (
    WhiteBitMarketEntityDescription(
        key="market_price",
        translation_key="market_price",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda market: market.last_price,
        unit_fn=lambda quote: quote,
    ),
    WhiteBitMarketEntityDescription(
        key="market_change",
        translation_key="market_change",
        state_class=SensorStateClass.MEASUREMENT,
        entity_registry_enabled_default=False,
        value_fn=lambda market: market.change,
        unit_fn=lambda _quote: PERCENTAGE,
    ),
)


def market_sensors(coordinator: WhiteBitCoordinator) -> list[SensorEntity]:
    """The sensors of the entry's picked markets; none when it picked none."""
    prices = coordinator.prices
    if prices is None:
        return []
    return [
        WhiteBitMarketSensor(prices, coordinator, description, market)
        for market in coordinator.tracking.markets
        for description in MARKET_DESCRIPTIONS
    ]


class WhiteBitMarketSensor(CoordinatorEntity[WhiteBitPriceCoordinator], SensorEntity):
    """One figure of one market, on the account's device."""

    _attr_has_entity_name = True
    entity_description: WhiteBitMarketEntityDescription

    def __init__(
        self,
        prices: WhiteBitPriceCoordinator,
        account: WhiteBitCoordinator,
        description: WhiteBitMarketEntityDescription,
        market: str,
    ) -> None:
        """Describe `description`'s figure of `market` (BASE_QUOTE)."""
        super().__init__(prices)
        self.entity_description = description
        self._market = market
        base, _, quote = market.partition("_")
        self._attr_device_info = account_device(account)
        self._attr_unique_id = f"{account.config_entry.entry_id}_{description.key}_{market}"
        self._attr_translation_placeholders = {"market": f"{base}/{quote}"}
        self._attr_native_unit_of_measurement = description.unit_fn(quote)

    @property
    def _value(self) -> Decimal | None:
        prices = self.coordinator.data
        market = None if prices is None else prices.markets.get(self._market)
        if market is None or market.frozen:
            return None
        return self.entity_description.value_fn(market)

    @property
    @override
    def available(self) -> bool:
        """Unavailable while prices fail, and for a market frozen or no longer listed."""
        return super().available and self._value is not None

    @property
    @override
    def native_value(self) -> str | None:
        """The last price (or change) exactly as the ticker gave it."""
        return exact_state(self._value)
