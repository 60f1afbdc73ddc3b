"""What every currency sensor shares, and the portfolio's sensors: its value, what it leaves out."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, override

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.generated.currencies import ACTIVE_CURRENCIES
from homeassistant.helpers.typing import StateType

from .const import CRYPTO_PRECISION, FIAT_LIKE_TICKERS, FIAT_PRECISION
from .coordinator import WhiteBitCoordinator
from .entity import WhiteBitEntity, exact_state
from .holdings import Portfolio
from .unique_ids import PORTFOLIO_KEY, entry_unique_id, figure_key


@dataclass(frozen=True, kw_only=True)
class PortfolioSensorEntityDescription(SensorEntityDescription):
    """A figure of the portfolio, and the attribute that lists the currencies it leaves out."""

    value_fn: Callable[[Portfolio], StateType]
    unvalued_attribute: str


PORTFOLIO_DESCRIPTION: Final = PortfolioSensorEntityDescription(
    key=PORTFOLIO_KEY,
    translation_key=PORTFOLIO_KEY,
    state_class=SensorStateClass.TOTAL,
    value_fn=lambda portfolio: exact_state(portfolio.value),
    unvalued_attribute="unvalued",
)
# A sensor of its own, next to the value on the device page and the dashboard, which show no
# attributes (the value's `unvalued` attribute lists the same currencies, for templates): a sum
# that leaves SOL out must say so where it is read. A count, so a card shows it at a glance and
# an automation can require zero; the currencies themselves in an attribute.
UNVALUED_DESCRIPTION: Final = PortfolioSensorEntityDescription(
    key="unvalued",
    translation_key="unvalued",
    value_fn=lambda portfolio: len(portfolio.unvalued),
    unvalued_attribute="currencies",
)


class CurrencyUnitSensor(SensorEntity):
    """A sensor whose unit is a currency: the entry's and the sub-accounts' alike."""

    def _set_unit(self, unit: str, *, derived: bool) -> None:
        """Set the unit, and what follows from it: device class and display precision.

        Only a derived figure (a value: amount times price) gets a display precision. A
        balance is shown with its own digits, which WhiteBIT keeps within the currency's
        precision (its /public/assets): a fixed precision would only add zeros, and show a
        zero balance as 0.00000000.
        """
        self._attr_native_unit_of_measurement = unit
        # Monetary only for real currencies (ISO 4217, as Home Assistant lists them): its
        # frontend formats the unit as money, which it cannot do for BTC or USDT.
        self._attr_device_class = SensorDeviceClass.MONETARY if unit in ACTIVE_CURRENCIES else None
        if derived:
            self._attr_suggested_display_precision = (
                FIAT_PRECISION if unit in FIAT_LIKE_TICKERS else CRYPTO_PRECISION
            )


class WhiteBitSensor(WhiteBitEntity, CurrencyUnitSensor):
    """A WhiteBIT sensor of the entry's own whose unit is a currency."""

    # A value's currency, which its entity ID carries (and its name does not: the unit says it,
    # and the device page has no room for "Portfolio value (USDT)" next to its state).
    _id_currency: str | None = None

    @property
    @override
    def suggested_object_id(self) -> str | None:
        """The name's, and a value's currency: a sensor of another currency gets another ID.

        Home Assistant gives a removed entity's ID to the next one of the same name: a EUR
        portfolio would take over the USDT one's entity ID, and with it its statistics, whose
        unit then changes ("The unit has changed").
        """
        name = super().suggested_object_id
        if name is None or self._id_currency is None:
            return name
        return f"{name} {self._id_currency}"


def _quote(coordinator: WhiteBitCoordinator) -> str:
    quote = coordinator.tracking.quote
    if TYPE_CHECKING:
        assert quote is not None  # only created when valuation is on
    return quote


class PortfolioFigureSensor(WhiteBitEntity, SensorEntity):
    """A sensor that shows a figure of the portfolio: known only while the portfolio is."""

    entity_description: PortfolioSensorEntityDescription

    @property
    @override
    def available(self) -> bool:
        """Unavailable while either the balances or the prices cannot be fetched."""
        return super().available and self.coordinator.data.portfolio is not None

    @property
    @override
    def native_value(self) -> StateType:
        """The description's figure of the portfolio."""
        portfolio = self.coordinator.data.portfolio
        return None if portfolio is None else self.entity_description.value_fn(portfolio)

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """What is left out of the value, so a partial sum never passes for the whole."""
        portfolio = self.coordinator.data.portfolio
        attribute = self.entity_description.unvalued_attribute
        return None if portfolio is None else {attribute: list(portfolio.unvalued)}


class WhiteBitPortfolioSensor(PortfolioFigureSensor, WhiteBitSensor):
    """The value of every tracked balance in the quote currency: one sensor per currency."""

    entity_description = PORTFOLIO_DESCRIPTION

    def __init__(self, coordinator: WhiteBitCoordinator) -> None:
        """Describe the portfolio of the coordinator's entry, in its quote currency."""
        super().__init__(coordinator)
        quote = _quote(coordinator)
        self._attr_unique_id = entry_unique_id(
            coordinator.config_entry.entry_id, figure_key(PORTFOLIO_KEY, quote)
        )
        self._id_currency = quote
        self._set_unit(quote, derived=True)


class WhiteBitUnvaluedSensor(PortfolioFigureSensor):
    """How many tracked currencies the portfolio value leaves out, and which."""

    entity_description = UNVALUED_DESCRIPTION

    def __init__(self, coordinator: WhiteBitCoordinator) -> None:
        """Count for the coordinator's entry; the same sensor whatever the quote currency."""
        super().__init__(coordinator)
        self._attr_unique_id = entry_unique_id(
            coordinator.config_entry.entry_id, UNVALUED_DESCRIPTION.key
        )
