"""Polls WhiteBIT once per interval: one request per tracked account, one for prices."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_SCAN_INTERVAL
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .api import (
    TradeBalance,
    WhiteBitAuthenticationError,
    WhiteBitClient,
    WhiteBitError,
    WhiteBitPermissionError,
    WhiteBitRateLimitError,
)
from .const import (
    ACCOUNT_MAIN,
    ACCOUNT_TRADE,
    CONF_ACCOUNTS,
    CONF_AUTO_TRACK,
    CONF_QUOTE,
    CONF_TICKERS,
    CONF_ZERO_BALANCE,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
    LOGGER,
    QUOTE_NONE,
)
from .valuation import PriceBook, sum_values, value_of

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping

    from homeassistant.core import HomeAssistant

type WhiteBitConfigEntry = ConfigEntry[WhiteBitCoordinator]


_NO_TRADE: Final = TradeBalance(available=Decimal(0), freeze=Decimal(0))


@dataclass(frozen=True, slots=True)
class Tracking:
    """What an entry tracks, read once from its options."""

    accounts: frozenset[str]
    tickers: frozenset[str]
    auto_track: bool
    zero_balance: str
    quote: str | None

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> Tracking:
        """Read the options as the current minor version writes them."""
        quote = options[CONF_QUOTE]
        return cls(
            accounts=frozenset(options[CONF_ACCOUNTS]),
            tickers=frozenset(options[CONF_TICKERS]),
            auto_track=options[CONF_AUTO_TRACK],
            zero_balance=options[CONF_ZERO_BALANCE],
            quote=None if quote == QUOTE_NONE else quote,
        )


@dataclass(frozen=True, slots=True)
class Portfolio:
    """The value of every tracked balance, and the currencies that could not be valued."""

    value: Decimal
    unvalued: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class WhiteBitData:
    """One poll's result.

    Balances cover every currency WhiteBIT reported, tracked or not: they come in the same
    answer, and they let the options flow offer the full list without another request. `main`
    or `trade` is None when that account is not tracked.
    """

    main: Mapping[str, Decimal] | None = None
    trade: Mapping[str, TradeBalance] | None = None
    # The currencies tracked this poll: the selected ones, or those holding a balance.
    tickers: frozenset[str] = frozenset()
    # Filled only when valuation is on and the prices could be fetched.
    values: Mapping[str, Decimal | None] | None = None
    portfolio: Portfolio | None = None

    def listed(self) -> set[str]:
        """Every currency WhiteBIT reported on a tracked account."""
        return set(self.main or ()) | set(self.trade or ())

    def trade_balance(self, ticker: str) -> TradeBalance | None:
        """The trade balance; the answer leaves out currencies without one, which hold zero."""
        return None if self.trade is None else self.trade.get(ticker, _NO_TRADE)

    def total(self, ticker: str) -> Decimal | None:
        """Main plus trade (available and frozen), over the tracked accounts.

        None when the main account is tracked and no longer lists the currency: the amount is
        then unknown, which is not the same as zero.
        """
        total = Decimal(0)
        if self.main is not None:
            if ticker not in self.main:
                return None
            total += self.main[ticker]
        trade = self.trade_balance(ticker)
        if trade is not None:
            total += trade.total
        return total

    def held(self) -> frozenset[str]:
        """The currencies with a balance on a tracked account."""
        return frozenset(t for t in self.listed() if self.total(t))


async def async_fetch_balances(client: WhiteBitClient, accounts: Collection[str]) -> WhiteBitData:
    """Fetch the balances of `accounts`: one request per account, never one per currency."""
    main = await client.main_balances() if ACCOUNT_MAIN in accounts else None
    trade = await client.trade_balances() if ACCOUNT_TRADE in accounts else None
    return WhiteBitData(main=main, trade=trade)


class WhiteBitCoordinator(DataUpdateCoordinator[WhiteBitData]):
    """Fetches one account's balances, and when valuation is on, market prices."""

    config_entry: WhiteBitConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        config_entry: WhiteBitConfigEntry,
        client: WhiteBitClient,
    ) -> None:
        """Set the interval from the entry's options."""
        seconds = config_entry.options.get(CONF_SCAN_INTERVAL)
        super().__init__(
            hass,
            LOGGER,
            config_entry=config_entry,
            name=config_entry.title,
            update_interval=(timedelta(seconds=seconds) if seconds else DEFAULT_SCAN_INTERVAL),
            # Balances rarely change between polls; listeners are only called when they did.
            always_update=False,
        )
        self.client = client
        self.tracking = Tracking.from_options(config_entry.options)
        self._prices_failing = False

    @override
    async def _async_update_data(self) -> WhiteBitData:
        try:
            data = await async_fetch_balances(self.client, self.tracking.accounts)
        except WhiteBitAuthenticationError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="invalid_auth"
            ) from err
        except WhiteBitPermissionError as err:
            # A new key with the balance permission is the fix, which is what reauth asks for.
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="no_permission"
            ) from err
        except WhiteBitRateLimitError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="rate_limited",
                translation_placeholders={"seconds": f"{err.retry_after:g}"},
                retry_after=err.retry_after,
            ) from err
        except WhiteBitError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="update_failed",
                translation_placeholders={"error": str(err)},
            ) from err
        tracking = self.tracking
        tickers = data.held() if tracking.auto_track else tracking.tickers
        data = replace(data, tickers=tickers)
        if tracking.quote is None:
            return data
        return await self._async_value(data, tracking.quote)

    async def _async_value(self, data: WhiteBitData, quote: str) -> WhiteBitData:
        """Add the values in `quote`; without prices, keep the balances and leave values out.

        Prices come from a public endpoint that can fail on its own. That must not make the
        balances, which did arrive, unavailable too, so only the value sensors go unavailable.
        """
        try:
            markets = await self.client.markets()
        except WhiteBitError as err:
            if not self._prices_failing:
                LOGGER.warning(
                    "Could not fetch market prices from WhiteBIT; values are unavailable "
                    "until it answers: %s",
                    err,
                )
            self._prices_failing = True
            return data
        if self._prices_failing:
            LOGGER.info("Fetching market prices from WhiteBIT recovered")
            self._prices_failing = False

        book = PriceBook(markets, quote)
        values: dict[str, Decimal | None] = {}
        for ticker in sorted(data.tickers):
            total = data.total(ticker)
            if total is None:
                values[ticker] = None  # the amount itself is unknown
            else:
                # A zero is worth zero in any currency: no price needed, none looked up.
                values[ticker] = value_of(total, book.price(ticker) if total else None)
        value = sum_values(v for v in values.values() if v is not None)
        # Listed rather than counted as zero: a partial sum must not pass for the whole.
        unvalued = tuple(ticker for ticker, v in values.items() if v is None)
        return replace(data, values=MappingProxyType(values), portfolio=Portfolio(value, unvalued))
