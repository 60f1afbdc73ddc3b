"""Balance and value sensors: several per tracked currency, and the portfolio's value."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, override

from homeassistant.components.sensor import (
    DOMAIN as SENSOR_DOMAIN,
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.generated.currencies import ACTIVE_CURRENCIES
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import (
    ACCOUNT_COLLATERAL,
    ACCOUNT_EARN,
    ACCOUNT_MAIN,
    ACCOUNT_TRADE,
    CRYPTO_PRECISION,
    FIAT_LIKE_TICKERS,
    FIAT_PRECISION,
    ZERO_UNAVAILABLE,
)
from .coordinator import WhiteBitConfigEntry, WhiteBitCoordinator
from .entity import WhiteBitEntity, exact_state
from .holdings import WhiteBitData
from .market import market_sensors
from .positions import PositionTracker, position_sensors, summary_sensors
from .subaccount_sensors import sub_account_sensors
from .tracking import Tracking

# The coordinator does all I/O; entities only read its data.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class WhiteBitTickerEntityDescription(SensorEntityDescription):
    """Describes one figure kept for every tracked currency."""

    value_fn: Callable[[WhiteBitData, str], Decimal | None]
    # Whether an entry tracking this way has the sensor at all.
    exists_fn: Callable[[Tracking], bool]
    # Values are in the quote currency; balances in the currency itself.
    in_quote: bool = False


def _trade_available(data: WhiteBitData, ticker: str) -> Decimal | None:
    balance = data.trade_balance(ticker)
    return None if balance is None else balance.available


def _trade_frozen(data: WhiteBitData, ticker: str) -> Decimal | None:
    balance = data.trade_balance(ticker)
    return None if balance is None else balance.freeze


def _value(data: WhiteBitData, ticker: str) -> Decimal | None:
    return None if data.values is None else data.values.get(ticker)


# A balance goes up and down and has no meaningful reset: "total" lets the recorder keep
# long-term statistics of it.
TICKER_DESCRIPTIONS: tuple[WhiteBitTickerEntityDescription, ...] = (
    WhiteBitTickerEntityDescription(
        key="main_balance",
        translation_key="main_balance",
        state_class=SensorStateClass.TOTAL,
        value_fn=lambda data, ticker: data.main_balance(ticker),
        exists_fn=lambda tracking: ACCOUNT_MAIN in tracking.accounts,
    ),
    # The trade breakdown is there for who wants it, but off by default: the main balance and
    # the total are what most people keep on a dashboard, and four figures per currency were a
    # wall of numbers.
    WhiteBitTickerEntityDescription(
        key="trade_available",
        translation_key="trade_available",
        state_class=SensorStateClass.TOTAL,
        entity_registry_enabled_default=False,
        value_fn=_trade_available,
        exists_fn=lambda tracking: ACCOUNT_TRADE in tracking.accounts,
    ),
    WhiteBitTickerEntityDescription(
        key="trade_frozen",
        translation_key="trade_frozen",
        state_class=SensorStateClass.TOTAL,
        entity_registry_enabled_default=False,
        value_fn=_trade_frozen,
        exists_fn=lambda tracking: ACCOUNT_TRADE in tracking.accounts,
    ),
    WhiteBitTickerEntityDescription(
        key="collateral",
        translation_key="collateral",
        state_class=SensorStateClass.TOTAL,
        value_fn=lambda data, ticker: data.collateral_balance(ticker),
        exists_fn=lambda tracking: ACCOUNT_COLLATERAL in tracking.accounts,
    ),
    WhiteBitTickerEntityDescription(
        key="earn",
        translation_key="earn",
        state_class=SensorStateClass.TOTAL,
        value_fn=lambda data, ticker: data.earn_balance(ticker),
        exists_fn=lambda tracking: ACCOUNT_EARN in tracking.accounts,
    ),
    # With the main account alone, the total would repeat the main balance; it only adds
    # something once another account's figures are in it.
    WhiteBitTickerEntityDescription(
        key="total_balance",
        translation_key="total_balance",
        state_class=SensorStateClass.TOTAL,
        value_fn=lambda data, ticker: data.total(ticker),
        exists_fn=lambda tracking: bool(tracking.accounts - {ACCOUNT_MAIN}),
    ),
    # One per currency is many sensors few users want; the portfolio value covers most needs.
    WhiteBitTickerEntityDescription(
        key="value",
        translation_key="value",
        state_class=SensorStateClass.TOTAL,
        entity_registry_enabled_default=False,
        value_fn=_value,
        exists_fn=lambda tracking: tracking.quote is not None,
        in_quote=True,
    ),
)

PORTFOLIO_DESCRIPTION = SensorEntityDescription(
    key="portfolio_value",
    translation_key="portfolio_value",
    state_class=SensorStateClass.TOTAL,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: WhiteBitConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors of the tracked currencies and keep them in step with the balances."""
    coordinator = entry.runtime_data
    tracker = _TickerTracker(hass, coordinator, async_add_entities)
    entities: list[SensorEntity] = tracker.start()
    if coordinator.tracking.quote is not None:
        entities.append(WhiteBitPortfolioSensor(coordinator, PORTFOLIO_DESCRIPTION))
    entities.extend(market_sensors(coordinator))
    entities.extend(summary_sensors(coordinator))
    entities.extend(sub_account_sensors(hass, coordinator, async_add_entities))
    positions: PositionTracker[SensorEntity] | None = None
    if ACCOUNT_COLLATERAL in coordinator.tracking.accounts:
        positions = PositionTracker(hass, coordinator, async_add_entities, position_sensors)
        entities.extend(positions.start())
    keep = {entity.unique_id for entity in entities}
    _remove_entities(er.async_get(hass), entry.entry_id, lambda unique_id: unique_id not in keep)
    async_add_entities(entities)
    if coordinator.tracking.auto_track:
        entry.async_on_unload(coordinator.async_add_listener(tracker.async_update))
    if positions is not None:
        entry.async_on_unload(coordinator.async_add_listener(positions.async_update))


def _remove_entities(
    registry: er.EntityRegistry, entry_id: str, remove: Callable[[str], bool]
) -> None:
    """Remove the entry's sensors whose unique ID `remove` picks, disabled ones included.

    Removing the registry entry removes a running entity too.
    """
    for registry_entry in er.async_entries_for_config_entry(registry, entry_id):
        if registry_entry.domain == SENSOR_DOMAIN and remove(registry_entry.unique_id):
            registry.async_remove(registry_entry.entity_id)


def _unique_id(entry_id: str, key: str, ticker: str) -> str:
    return f"{entry_id}_{key}_{ticker}"


class _TickerTracker:
    """Keeps one set of sensors per tracked currency, adding and removing them as it changes.

    With automatic tracking, a currency is tracked while it holds a balance. When it goes to
    zero its sensors are either removed or kept as unavailable, as the user chose; kept ones
    come back after a restart too, found through the entity registry.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        coordinator: WhiteBitCoordinator,
        async_add_entities: AddConfigEntryEntitiesCallback,
    ) -> None:
        self._registry = er.async_get(hass)
        self._coordinator = coordinator
        self._add_entities = async_add_entities
        self._descriptions = [d for d in TICKER_DESCRIPTIONS if d.exists_fn(coordinator.tracking)]
        self._tickers: set[str] = set()

    def start(self) -> list[SensorEntity]:
        """Return the sensors to set up with: tracked now, or kept from earlier."""
        tickers = set(self._coordinator.data.tickers)
        tracking = self._coordinator.tracking
        if tracking.auto_track and tracking.zero_balance == ZERO_UNAVAILABLE:
            tickers |= self._registered_tickers()
        return self._entities_for(tickers)

    @callback
    def async_update(self) -> None:
        """Follow the tickers the last poll tracked."""
        if not self._coordinator.last_update_success:
            return
        tracked = self._coordinator.data.tickers
        if new := tracked - self._tickers:
            self._add_entities(self._entities_for(new))
        if self._coordinator.tracking.zero_balance == ZERO_UNAVAILABLE:
            return
        if gone := self._tickers - tracked:
            entry_id = self._coordinator.config_entry.entry_id
            unique_ids = {
                _unique_id(entry_id, description.key, ticker)
                for ticker in gone
                for description in self._descriptions
            }
            _remove_entities(self._registry, entry_id, unique_ids.__contains__)
            self._tickers -= gone

    def _entities_for(self, tickers: Iterable[str]) -> list[SensorEntity]:
        self._tickers.update(tickers)
        return [
            WhiteBitTickerSensor(self._coordinator, description, ticker)
            for ticker in sorted(tickers)
            for description in self._descriptions
        ]

    def _registered_tickers(self) -> set[str]:
        entry_id = self._coordinator.config_entry.entry_id
        prefixes = [f"{entry_id}_{d.key}_" for d in self._descriptions]
        tickers: set[str] = set()
        for registry_entry in er.async_entries_for_config_entry(self._registry, entry_id):
            for prefix in prefixes:
                if registry_entry.unique_id.startswith(prefix):
                    tickers.add(registry_entry.unique_id.removeprefix(prefix))
        return tickers


class WhiteBitSensor(WhiteBitEntity, SensorEntity):
    """A WhiteBIT sensor whose unit is a currency."""

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


class WhiteBitTickerSensor(WhiteBitSensor):
    """One figure of one currency: a balance, or its value."""

    entity_description: WhiteBitTickerEntityDescription

    def __init__(
        self,
        coordinator: WhiteBitCoordinator,
        description: WhiteBitTickerEntityDescription,
        ticker: str,
    ) -> None:
        """Describe `description`'s figure for `ticker`."""
        super().__init__(coordinator)
        self.entity_description = description
        self._ticker = ticker
        self._attr_unique_id = _unique_id(
            coordinator.config_entry.entry_id, description.key, ticker
        )
        self._attr_translation_placeholders = {"ticker": ticker}
        quote = coordinator.tracking.quote
        if description.in_quote and quote is not None:
            self._set_unit(quote, derived=True)
        else:
            self._set_unit(ticker, derived=False)

    @property
    def _amount(self) -> Decimal | None:
        return self.entity_description.value_fn(self.coordinator.data, self._ticker)

    @property
    @override
    def available(self) -> bool:
        """Unavailable while polling fails, and when the figure is not known.

        Not known: the currency is no longer tracked (kept after going to zero), WhiteBIT no
        longer lists it, or there is no market price to value it at.
        """
        data = self.coordinator.data
        return super().available and self._ticker in data.tickers and self._amount is not None

    @property
    @override
    def native_value(self) -> str | None:
        """Return the figure exactly."""
        return exact_state(self._amount)


class WhiteBitPortfolioSensor(WhiteBitSensor):
    """The value of every tracked balance in the quote currency."""

    def __init__(
        self, coordinator: WhiteBitCoordinator, description: SensorEntityDescription
    ) -> None:
        """Describe the portfolio of the coordinator's entry."""
        super().__init__(coordinator)
        self.entity_description = description
        self._attr_unique_id = f"{coordinator.config_entry.entry_id}_{description.key}"
        quote = coordinator.tracking.quote
        if TYPE_CHECKING:
            assert quote is not None  # only created when valuation is on
        self._set_unit(quote, derived=True)

    @property
    @override
    def available(self) -> bool:
        """Unavailable while either the balances or the prices cannot be fetched."""
        return super().available and self.coordinator.data.portfolio is not None

    @property
    @override
    def native_value(self) -> str | None:
        """Return the value of what could be valued."""
        portfolio = self.coordinator.data.portfolio
        return None if portfolio is None else exact_state(portfolio.value)

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """List what is left out of the value, so a partial sum never passes for the whole."""
        portfolio = self.coordinator.data.portfolio
        return None if portfolio is None else {"unvalued": list(portfolio.unvalued)}
