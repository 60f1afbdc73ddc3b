"""The sub-accounts' sensors: on each one's device, per currency it holds, and their values.

Per currency: main, trade (spot), collateral (only for a sub-account allowed collateral) and
the total, named and defaulted as the entry's own (the trade figure off by default). With
valuation on, each sub-account's value, and on the entry's device the sum of them all. A
sub-account or currency that appears gets its sensors at the poll that shows it; a currency
back at zero loses them or keeps them unavailable, as the entry's own. A sub-account that goes
is no balance at zero: it loses its device (subaccounts.py), which takes its sensors along.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any, override

from homeassistant.components.sensor import (
    DOMAIN as SENSOR_DOMAIN,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import MAX_AUTO_TRACKED, ZERO_UNAVAILABLE
from .coordinator import WhiteBitCoordinator
from .entity import account_device, exact_state, remove_entities
from .holdings import Portfolio
from .pywhitebit import SubAccount, SubAccountBalance
from .subaccounts import (
    SubAccountsData,
    WhiteBitSubAccountCoordinator,
    registered_sub_accounts,
    sub_account_device,
    sync_devices,
)
from .unique_ids import registered_unique_ids
from .valuation import PriceBook
from .value_sensors import CurrencyUnitSensor


@dataclass(frozen=True, kw_only=True)
class WhiteBitSubAccountEntityDescription(SensorEntityDescription):
    """Describes one figure kept for every currency a sub-account holds."""

    value_fn: Callable[[SubAccountBalance], Decimal]
    # Whether the sub-account has the sensor at all.
    exists_fn: Callable[[SubAccount], bool] = lambda _account: True


# The entry's names (translation keys) and state class; a balance has no meaningful reset.
SUB_ACCOUNT_DESCRIPTIONS: tuple[WhiteBitSubAccountEntityDescription, ...] = (
    WhiteBitSubAccountEntityDescription(
        key="sub_main",
        translation_key="main_balance",
        state_class=SensorStateClass.TOTAL,
        value_fn=lambda balance: balance.main,
    ),
    # Off by default, as the entry's trade breakdown: the total covers it on a dashboard.
    WhiteBitSubAccountEntityDescription(
        key="sub_trade",
        translation_key="sub_trade",
        state_class=SensorStateClass.TOTAL,
        entity_registry_enabled_default=False,
        value_fn=lambda balance: balance.spot,
    ),
    # A sub-account WhiteBIT does not let trade on margin holds no collateral.
    WhiteBitSubAccountEntityDescription(
        key="sub_collateral",
        translation_key="collateral",
        state_class=SensorStateClass.TOTAL,
        value_fn=lambda balance: balance.collateral,
        exists_fn=lambda account: account.collateral_enabled is not False,
    ),
    WhiteBitSubAccountEntityDescription(
        key="sub_total",
        translation_key="total_balance",
        state_class=SensorStateClass.TOTAL,
        value_fn=lambda balance: balance.total,
    ),
)
SUB_PORTFOLIO_DESCRIPTION = SensorEntityDescription(
    key="sub_portfolio_value",
    translation_key="portfolio_value",
    state_class=SensorStateClass.TOTAL,
)
SUB_ACCOUNTS_VALUE_DESCRIPTION = SensorEntityDescription(
    key="sub_accounts_value",
    translation_key="sub_accounts_value",
    state_class=SensorStateClass.TOTAL,
)


def sub_account_sensors(
    hass: HomeAssistant,
    main: WhiteBitCoordinator,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> list[SensorEntity]:
    """The sub-accounts' sensors to set up with, kept in step with each poll after.

    Sub-accounts not followed (any more): no sensors, and their devices go.
    """
    subs = main.sub_accounts
    if subs is None:
        sync_devices(hass, main, None)
        return []
    tracker = _SubAccountTracker(hass, main, subs, async_add_entities)
    main.config_entry.async_on_unload(subs.async_add_listener(tracker.async_update))
    entities = tracker.start()
    if main.tracking.quote is not None:
        description = SUB_ACCOUNTS_VALUE_DESCRIPTION
        entities.append(
            WhiteBitSubAccountValueSensor(
                subs,
                main,
                description,
                f"{main.config_entry.entry_id}_{description.key}",
                account_device(main),
                _sub_accounts_value,
            )
        )
    return entities


class _SubAccountTracker:
    """The sensors of each followed sub-account, added and removed as polls change them."""

    def __init__(
        self,
        hass: HomeAssistant,
        main: WhiteBitCoordinator,
        subs: WhiteBitSubAccountCoordinator,
        async_add_entities: AddConfigEntryEntitiesCallback,
    ) -> None:
        self._hass = hass
        self._main = main
        self._subs = subs
        self._add_entities = async_add_entities
        # Unique IDs of the sensors made, and the currencies they are of, per sub-account id.
        self._made: dict[str, set[str]] = {}
        self._tickers: dict[str, set[str]] = {}

    def start(self) -> list[SensorEntity]:
        """The sensors of the first poll; if it failed, those an earlier run made, unavailable.

        A failed poll is no word on what is gone: the sensors registered before (and their
        devices) stay until a poll that succeeds says their sub-account went.
        """
        if not self._subs.last_update_success:
            return self._kept()
        sync_devices(self._hass, self._main, self._subs.data)
        # Currencies kept at zero before the restart: set up unavailable, not left restored.
        registered = registered_unique_ids(self._hass, self._main.config_entry.entry_id)
        for sub_id in self._subs.data.accounts:
            self._tickers[sub_id] = self._registered_tickers(sub_id, registered)
        return self._follow()

    @callback
    def async_update(self) -> None:
        """Follow the last poll: devices first, then sensors; nothing on a failed poll."""
        if not self._subs.last_update_success:
            return
        for sub_id in sync_devices(self._hass, self._main, self._subs.data):
            self._made.pop(sub_id, None)
            self._tickers.pop(sub_id, None)
        if new := self._follow():
            self._add_entities(new)

    def _follow(self) -> list[SensorEntity]:
        """Make the sensors a sub-account now needs; remove those it no longer does."""
        entities: list[SensorEntity] = []
        gone: set[str] = set()
        entry_id = self._main.config_entry.entry_id
        for sub_id, state in self._subs.data.accounts.items():
            account = state.account
            device = sub_account_device(entry_id, sub_id, account.name)
            descriptions = [d for d in SUB_ACCOUNT_DESCRIPTIONS if d.exists_fn(account)]
            tickers = self._kept_tickers(sub_id, state.tickers)
            wanted = self._wanted(sub_id, device, tickers, descriptions)
            made = self._made.get(sub_id, set())
            gone |= made - wanted.keys()
            entities += [wanted[unique_id]() for unique_id in sorted(wanted.keys() - made)]
            self._made[sub_id] = set(wanted)
            self._tickers[sub_id] = set(tickers)
        if gone:
            remove_entities(self._hass, entry_id, SENSOR_DOMAIN, gone.__contains__)
        return entities

    def _kept_tickers(self, sub_id: str, held: Sequence[str]) -> Sequence[str]:
        """Those held, then those kept at zero in the room left: MAX_AUTO_TRACKED at most."""
        if self._main.tracking.zero_balance != ZERO_UNAVAILABLE:
            return held
        at_zero = sorted(self._tickers.get(sub_id, set()).difference(held))
        return [*held, *at_zero][:MAX_AUTO_TRACKED]

    def _registered_tickers(self, sub_id: str, registered: set[str]) -> set[str]:
        """The currencies a sub-account has a sensor of in the entity registry."""
        prefix = _unique_id(self._main.config_entry.entry_id, sub_id, "")
        figures = [u.removeprefix(prefix) for u in registered if u.startswith(prefix)]
        return {
            figure.removeprefix(f"{d.key}_")
            for figure in figures
            for d in SUB_ACCOUNT_DESCRIPTIONS
            if figure.startswith(f"{d.key}_")
        }

    def _kept(self) -> list[SensorEntity]:
        """The sensors registered for each sub-account device of the entry, as they were."""
        entry_id = self._main.config_entry.entry_id
        registered = registered_unique_ids(self._hass, entry_id)
        entities: list[SensorEntity] = []
        for sub_id, device in registered_sub_accounts(self._hass, entry_id).items():
            self._tickers[sub_id] = tickers = self._registered_tickers(sub_id, registered)
            info = sub_account_device(entry_id, sub_id, str(device.name))
            wanted = self._wanted(sub_id, info, tickers, SUB_ACCOUNT_DESCRIPTIONS)
            kept = sorted(wanted.keys() & registered)
            entities += [wanted[unique_id]() for unique_id in kept]
            self._made[sub_id] = set(kept)
        return entities

    def _wanted(
        self,
        sub_id: str,
        device: DeviceInfo,
        tickers: Iterable[str],
        descriptions: Sequence[WhiteBitSubAccountEntityDescription],
    ) -> dict[str, Callable[[], SensorEntity]]:
        """The sensors a sub-account holding `tickers` needs, by unique ID: made only when new."""
        subs, main = self._subs, self._main
        entry_id = main.config_entry.entry_id
        wanted: dict[str, Callable[[], SensorEntity]] = {}
        for ticker in tickers:
            for description in descriptions:
                unique_id = _unique_id(entry_id, sub_id, f"{description.key}_{ticker}")
                wanted[unique_id] = partial(
                    WhiteBitSubAccountSensor, subs, description, unique_id, sub_id, ticker, device
                )
        if main.tracking.quote is not None:
            unique_id = _unique_id(entry_id, sub_id, SUB_PORTFOLIO_DESCRIPTION.key)
            wanted[unique_id] = partial(
                WhiteBitSubAccountValueSensor,
                subs,
                main,
                SUB_PORTFOLIO_DESCRIPTION,
                unique_id,
                device,
                partial(_sub_account_value, sub_id),
            )
        return wanted


def _unique_id(entry_id: str, sub_id: str, figure: str) -> str:
    return f"{entry_id}_sub_{sub_id}_{figure}"


def _sub_account_value(
    sub_id: str, data: SubAccountsData, book: PriceBook | None
) -> Portfolio | None:
    state = data.accounts.get(sub_id)
    return None if state is None else state.value(book)


def _sub_accounts_value(data: SubAccountsData, book: PriceBook | None) -> Portfolio | None:
    return data.value(book)


class _SubAccountsEntity(CoordinatorEntity[WhiteBitSubAccountCoordinator], CurrencyUnitSensor):
    """A sensor read from the sub-accounts' poll."""

    _attr_has_entity_name = True

    def __init__(
        self,
        subs: WhiteBitSubAccountCoordinator,
        description: SensorEntityDescription,
        unique_id: str,
        unit: str,
        *,
        derived: bool,
    ) -> None:
        super().__init__(subs)
        self.entity_description = description
        self._attr_unique_id = unique_id
        self._set_unit(unit, derived=derived)


class WhiteBitSubAccountSensor(_SubAccountsEntity):
    """One figure of one currency of one sub-account."""

    entity_description: WhiteBitSubAccountEntityDescription

    def __init__(
        self,
        subs: WhiteBitSubAccountCoordinator,
        description: WhiteBitSubAccountEntityDescription,
        unique_id: str,
        sub_id: str,
        ticker: str,
        device: DeviceInfo,
    ) -> None:
        """Describe `description`'s figure of `ticker` on the sub-account's device."""
        super().__init__(subs, description, unique_id, ticker, derived=False)
        self._sub_id = sub_id
        self._ticker = ticker
        self._attr_device_info = device
        self._attr_translation_placeholders = {"ticker": ticker}

    @property
    def _balance(self) -> SubAccountBalance | None:
        """None while unknown, and while kept at zero: the last amount is not shown."""
        state = self.coordinator.data.accounts.get(self._sub_id)
        if state is None or state.balances is None or self._ticker in state.invalid:
            return None
        return state.balances.get(self._ticker) if self._ticker in state.tickers else None

    @property
    @override
    def available(self) -> bool:
        """Unavailable while polling fails, while the amount is not known, and at zero."""
        return super().available and self._balance is not None

    @property
    @override
    def native_value(self) -> str | None:
        """Return the figure exactly."""
        balance = self._balance
        return None if balance is None else exact_state(self.entity_description.value_fn(balance))


class WhiteBitSubAccountValueSensor(_SubAccountsEntity):
    """A value in the quote currency, revalued when either balances or prices change.

    One sub-account's, on its device; or the sum of them all, on the entry's device.
    """

    def __init__(
        self,
        subs: WhiteBitSubAccountCoordinator,
        main: WhiteBitCoordinator,
        description: SensorEntityDescription,
        unique_id: str,
        device: DeviceInfo,
        portfolio_fn: Callable[[SubAccountsData, PriceBook | None], Portfolio | None],
    ) -> None:
        """Describe one value; only made when valuation is on."""
        quote = main.tracking.quote
        if TYPE_CHECKING:
            assert quote is not None
        super().__init__(subs, description, unique_id, quote, derived=True)
        self._main = main
        self._attr_device_info = device
        self._portfolio_fn = portfolio_fn
        self._portfolio: Portfolio | None = None

    def _revalue(self) -> None:
        """Value the last poll at the last prices: once an update, not at every property read."""
        # None until the first poll that read the sub-accounts.
        data: SubAccountsData | None = self.coordinator.data
        self._portfolio = None if data is None else self._portfolio_fn(data, self._main.book())

    @override
    async def async_added_to_hass(self) -> None:
        """Listen to the server's prices too; value what is known for the first state."""
        await super().async_added_to_hass()
        prices = self._main.prices
        if TYPE_CHECKING:
            assert prices is not None  # valuation on: the entry set up the server's prices
        self.async_on_remove(prices.async_add_listener(self._handle_coordinator_update))
        self._revalue()

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        """New balances or new prices: revalue, then write the state."""
        self._revalue()
        super()._handle_coordinator_update()

    @property
    @override
    def available(self) -> bool:
        """Unavailable while the balances or the prices cannot be fetched."""
        return super().available and self._portfolio is not None

    @property
    @override
    def native_value(self) -> str | None:
        """The value of what could be valued."""
        portfolio = self._portfolio
        return None if portfolio is None else exact_state(portfolio.value)

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """What is left out of the value, so a partial sum never passes for the whole."""
        portfolio = self._portfolio
        return None if portfolio is None else {"unvalued": list(portfolio.unvalued)}
