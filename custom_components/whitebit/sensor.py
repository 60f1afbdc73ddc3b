"""Balance and value sensors: several per tracked currency, and the portfolio's value."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import override

from homeassistant.components.sensor import (
    DOMAIN as SENSOR_DOMAIN,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import (
    ACCOUNT_COLLATERAL,
    ACCOUNT_EARN,
    ACCOUNT_MAIN,
    ACCOUNT_TRADE,
    ZERO_UNAVAILABLE,
)
from .coordinator import WhiteBitConfigEntry, WhiteBitCoordinator
from .entity import exact_state, remove_entities
from .holdings import WhiteBitData
from .margin_devices import remove_empty_margin_devices
from .market import market_sensors
from .positions import PositionTracker, position_sensors, summary_sensors
from .subaccount_sensors import sub_account_sensors
from .tracking import Tracking
from .unique_ids import VALUE_KEY, figure_key, registered_unique_ids, ticker_unique_id
from .value_sensors import (
    PORTFOLIO_DESCRIPTION,
    UNVALUED_DESCRIPTION,
    WhiteBitPortfolioSensor,
    WhiteBitSensor,
    WhiteBitUnvaluedSensor,
)

__all__ = ["PORTFOLIO_DESCRIPTION", "TICKER_DESCRIPTIONS", "UNVALUED_DESCRIPTION"]

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
    # One account's figure: whether that account holds the currency now. Such a sensor exists
    # where the account holds or held the currency, once a total sums the accounts.
    held_fn: Callable[[WhiteBitData, str], bool] | None = None


def _trade_available(data: WhiteBitData, ticker: str) -> Decimal | None:
    balance = data.trade_balance(ticker)
    return None if balance is None else balance.available


def _trade_frozen(data: WhiteBitData, ticker: str) -> Decimal | None:
    balance = data.trade_balance(ticker)
    return None if balance is None else balance.freeze


def _value(data: WhiteBitData, ticker: str) -> Decimal | None:
    return None if data.values is None else data.values.get(ticker)


def _trade_held(data: WhiteBitData, ticker: str) -> bool:
    balance = data.trade_balance(ticker)
    return balance is not None and bool(balance.available or balance.freeze)


# A balance goes up and down and has no meaningful reset: "total" lets the recorder keep
# long-term statistics of it.
TICKER_DESCRIPTIONS: tuple[WhiteBitTickerEntityDescription, ...] = (
    WhiteBitTickerEntityDescription(
        key="main_balance",
        translation_key="main_balance",
        state_class=SensorStateClass.TOTAL,
        value_fn=lambda data, ticker: data.main_balance(ticker),
        exists_fn=lambda tracking: ACCOUNT_MAIN in tracking.accounts,
        held_fn=lambda data, ticker: bool(data.main_balance(ticker)),
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
        held_fn=_trade_held,
    ),
    WhiteBitTickerEntityDescription(
        key="trade_frozen",
        translation_key="trade_frozen",
        state_class=SensorStateClass.TOTAL,
        entity_registry_enabled_default=False,
        value_fn=_trade_frozen,
        exists_fn=lambda tracking: ACCOUNT_TRADE in tracking.accounts,
        held_fn=_trade_held,
    ),
    WhiteBitTickerEntityDescription(
        key="collateral",
        translation_key="collateral",
        state_class=SensorStateClass.TOTAL,
        value_fn=lambda data, ticker: data.collateral_balance(ticker),
        exists_fn=lambda tracking: ACCOUNT_COLLATERAL in tracking.accounts,
        held_fn=lambda data, ticker: bool(data.collateral_balance(ticker)),
    ),
    WhiteBitTickerEntityDescription(
        key="earn",
        translation_key="earn",
        state_class=SensorStateClass.TOTAL,
        value_fn=lambda data, ticker: data.earn_balance(ticker),
        exists_fn=lambda tracking: ACCOUNT_EARN in tracking.accounts,
        held_fn=lambda data, ticker: bool(data.earn_balance(ticker)),
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
        key=VALUE_KEY,
        translation_key=VALUE_KEY,
        state_class=SensorStateClass.TOTAL,
        entity_registry_enabled_default=False,
        value_fn=_value,
        exists_fn=lambda tracking: tracking.quote is not None,
        in_quote=True,
    ),
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
        entities += (WhiteBitPortfolioSensor(coordinator), WhiteBitUnvaluedSensor(coordinator))
    entities.extend(market_sensors(coordinator))
    entities.extend(summary_sensors(hass, coordinator))
    entities.extend(sub_account_sensors(hass, coordinator, async_add_entities))
    positions: PositionTracker[SensorEntity] | None = None
    if ACCOUNT_COLLATERAL in coordinator.tracking.accounts:
        positions = PositionTracker(hass, coordinator, async_add_entities, position_sensors)
        entities.extend(positions.start())
    keep = {entity.unique_id for entity in entities}
    remove_entities(hass, entry.entry_id, SENSOR_DOMAIN, lambda unique_id: unique_id not in keep)
    if positions is None:
        # Collateral unticked: the summary's and the positions' devices go with their sensors.
        # (Tracked, the position tracker removes what closed while stopped, devices too.)
        remove_empty_margin_devices(hass, entry.entry_id)
    async_add_entities(entities)
    entry.async_on_unload(coordinator.async_add_listener(tracker.async_update))
    if positions is not None:
        entry.async_on_unload(coordinator.async_add_listener(positions.async_update))


class _TickerTracker:
    """Keeps the sensors of the tracked currencies, adding and removing them as they change.

    With automatic tracking, a currency is tracked while it holds a balance. When it goes to
    zero its sensors are either removed or kept as unavailable, as the user chose; kept ones
    come back after a restart too, found through the entity registry.

    Once a total sums the accounts, an account's own sensor (main, trade, collateral, Earn) is
    made only where that account holds the currency, or did: one registered earlier stays, at
    zero too. Four rows of "UAH 0" said nothing the total did not. Each is made once per
    tracked currency, so automatic tracking's bound on new currencies bounds these too.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        coordinator: WhiteBitCoordinator,
        async_add_entities: AddConfigEntryEntitiesCallback,
    ) -> None:
        self._hass = hass
        self._coordinator = coordinator
        self._add_entities = async_add_entities
        tracking = coordinator.tracking
        self._descriptions = [d for d in TICKER_DESCRIPTIONS if d.exists_fn(tracking)]
        self._keys = {
            d.key: figure_key(d.key, tracking.quote if d.in_quote else None)
            for d in self._descriptions
        }
        # With the main account alone, its balance is the currency's only figure: always there.
        self._held_only = bool(tracking.accounts - {ACCOUNT_MAIN})
        self._registered = registered_unique_ids(hass, coordinator.config_entry.entry_id)
        self._tickers: set[str] = set()
        self._made: set[str] = set()

    def start(self) -> list[SensorEntity]:
        """Return the sensors to set up with: tracked now, or kept from earlier."""
        tickers = set(self._coordinator.data.tickers)
        tracking = self._coordinator.tracking
        if tracking.auto_track and tracking.zero_balance == ZERO_UNAVAILABLE:
            tickers |= self._registered_tickers()
        return self._entities_for(tickers)

    @callback
    def async_update(self) -> None:
        """Follow the tickers the last update tracked, and the accounts that hold them."""
        if not self._coordinator.last_update_success:
            return
        tracked = self._coordinator.data.tickers
        if new := self._entities_for(tracked):
            self._add_entities(new)
        if self._coordinator.tracking.zero_balance == ZERO_UNAVAILABLE:
            return
        if gone := self._tickers - tracked:
            entry_id = self._coordinator.config_entry.entry_id
            unique_ids = {self._unique_id(d, ticker) for ticker in gone for d in self._descriptions}
            remove_entities(self._hass, entry_id, SENSOR_DOMAIN, unique_ids.__contains__)
            self._made -= unique_ids
            self._registered -= unique_ids
            self._tickers -= gone

    def _unique_id(self, description: WhiteBitTickerEntityDescription, ticker: str) -> str:
        entry_id = self._coordinator.config_entry.entry_id
        return ticker_unique_id(entry_id, self._keys[description.key], ticker)

    def _wanted(self, description: WhiteBitTickerEntityDescription, ticker: str) -> bool:
        held = description.held_fn
        if not self._held_only or held is None:
            return True
        registered = self._unique_id(description, ticker) in self._registered
        return registered or held(self._coordinator.data, ticker)

    def _entities_for(self, tickers: Iterable[str]) -> list[SensorEntity]:
        """The sensors of `tickers` wanted now and not made yet."""
        self._tickers.update(tickers)
        entities: list[SensorEntity] = []
        for ticker in sorted(tickers):
            for description in self._descriptions:
                unique_id = self._unique_id(description, ticker)
                if unique_id not in self._made and self._wanted(description, ticker):
                    self._made.add(unique_id)
                    entities.append(
                        WhiteBitTickerSensor(self._coordinator, description, ticker, unique_id)
                    )
        return entities

    def _registered_tickers(self) -> set[str]:
        entry_id = self._coordinator.config_entry.entry_id
        prefixes = [ticker_unique_id(entry_id, key, "") for key in self._keys.values()]
        return {
            unique_id.removeprefix(prefix)
            for unique_id in self._registered
            for prefix in prefixes
            if unique_id.startswith(prefix)
        }


class WhiteBitTickerSensor(WhiteBitSensor):
    """One figure of one currency: a balance, or its value."""

    entity_description: WhiteBitTickerEntityDescription

    def __init__(
        self,
        coordinator: WhiteBitCoordinator,
        description: WhiteBitTickerEntityDescription,
        ticker: str,
        unique_id: str,
    ) -> None:
        """Describe `description`'s figure for `ticker`."""
        super().__init__(coordinator)
        self.entity_description = description
        self._ticker = ticker
        self._attr_unique_id = unique_id
        self._attr_translation_placeholders = {"ticker": ticker}
        quote = coordinator.tracking.quote
        if description.in_quote and quote is not None:
            self._id_currency = quote
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
