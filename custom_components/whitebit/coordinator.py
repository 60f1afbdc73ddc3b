"""One account's balances: polled once per interval, the trade account also pushed.

A poll makes one request per tracked account (prices come from the server's shared price
coordinator). While WhiteBIT's stream is up, the trade account is the stream's, and a poll
fetches it only every TRADE_RESYNC_POLLS-th time.
"""

from dataclasses import replace
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Final, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .const import (
    ACCOUNT_COLLATERAL,
    ACCOUNT_EARN,
    ACCOUNT_MAIN,
    ACCOUNT_TRADE,
    DOMAIN,
    ISSUE_CLOCK,
    ISSUE_EARN,
    LOGGER,
    MAX_AUTO_TRACKED,
    SCAN_INTERVAL,
    TRADE_RESYNC_POLLS,
)
from .holdings import Portfolio, Tracking, WhiteBitData, combine
from .prices import WhiteBitPriceCoordinator
from .pywhitebit import (
    BALANCE_SPOT,
    NONCE_WINDOW,
    Balances,
    StreamState,
    TradeBalance,
    WhiteBitAuthenticationError,
    WhiteBitClient,
    WhiteBitClockError,
    WhiteBitConnectionError,
    WhiteBitEarnPermissionError,
    WhiteBitError,
    WhiteBitPermissionError,
    WhiteBitRateLimitError,
    WhiteBitResponseError,
    WhiteBitStream,
)
from .valuation import PriceBook, sum_values, value_of

type WhiteBitConfigEntry = ConfigEntry[WhiteBitCoordinator]

# Impossible currency names quoted in one warning, at most.
_MAX_NAMES_LOGGED: Final = 5


class WhiteBitCoordinator(DataUpdateCoordinator[WhiteBitData]):
    """Fetches one account's balances, and values them with the server's shared prices."""

    config_entry: WhiteBitConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        config_entry: WhiteBitConfigEntry,
        client: WhiteBitClient,
    ) -> None:
        """Poll every SCAN_INTERVAL; what is tracked comes from the entry's options."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=config_entry,
            name=config_entry.title,
            update_interval=SCAN_INTERVAL,
            # Balances rarely change between polls; listeners are only called when they did.
            always_update=False,
        )
        self.client = client
        # The server's shared prices, when valuation is on; set up by async_setup_entry.
        self.prices: WhiteBitPriceCoordinator | None = None
        self.tracking = Tracking.from_options(config_entry.options)
        # WhiteBIT's WebSocket, when the trade account is tracked; started by _async_setup.
        self.stream: WhiteBitStream | None = None
        # The accounts' last answers: the trade one may come from the stream, between polls.
        self._main: Balances[Decimal] | None = None
        self._trade: Balances[TradeBalance] | None = None
        self._collateral: Balances[Decimal] | None = None
        self._earn: Balances[Decimal] | None = None
        self._earn_error: str | None = None
        self._trade_version = 0
        self._polls_since_trade = 0
        # What the last poll reported, so each problem is logged once, not on every poll.
        self._invalid: frozenset[str] = frozenset()
        self._rejected: frozenset[str] = frozenset()
        self._tracked: frozenset[str] = frozenset()

    @override
    async def _async_setup(self) -> None:
        """Open WhiteBIT's stream for the trade account, before the first poll.

        A background task of the entry: Home Assistant cancels it when the entry unloads (or
        its setup fails), which closes the connection. A balance pushed before the first poll
        has answered is kept: that poll's own trade answer is then the older one.
        """
        if ACCOUNT_TRADE not in self.tracking.accounts:
            return
        entry = self.config_entry
        self.stream = WhiteBitStream(
            self.client, async_get_clientsession(self.hass), on_stopped=self._stream_stopped
        )
        self.stream.subscribe(BALANCE_SPOT, self.async_stream_trade)
        entry.async_create_background_task(
            self.hass, self.stream.run(), f"{DOMAIN} stream of {entry.title}"
        )

    @callback
    def _stream_stopped(self, state: StreamState) -> None:
        """WhiteBIT refused the key (reauth), or the key may not open the WebSocket (poll)."""
        if state is StreamState.AUTH_FAILED:
            # The poll will meet the same refusal; either way it is the same reauth flow.
            self.config_entry.async_start_reauth(self.hass)
            return
        LOGGER.warning(
            "The API key may not open WhiteBIT's WebSocket, so trade balances are polled "
            "every 5 minutes instead of pushed. To have them pushed, allow the key the "
            "WebSocket token endpoint in WhiteBIT's API settings and reload the entry"
        )

    @override
    async def _async_update_data(self) -> WhiteBitData:
        accounts = self.tracking.accounts
        fetch_trade = ACCOUNT_TRADE in accounts and not self._trade_from_stream()
        version = self._trade_version
        try:
            main = await self.client.main_balances() if ACCOUNT_MAIN in accounts else None
            trade = await self.client.trade_balances() if fetch_trade else None
            collateral = (
                await self.client.collateral_balances() if ACCOUNT_COLLATERAL in accounts else None
            )
            earn = await self._async_earn() if ACCOUNT_EARN in accounts else None
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
        except WhiteBitClockError as err:
            self._report_clock(err.skew, refused=True)
            raise UpdateFailed(translation_domain=DOMAIN, translation_key="clock_off") from err
        except WhiteBitError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="update_failed",
                translation_placeholders={"error": str(err)},
            ) from err
        self._report_clock(self.client.clock_skew, refused=False)
        self._main, self._collateral, self._earn = main, collateral, earn
        # An update the stream applied while this answer was on its way is newer: it stays.
        if trade is not None and version == self._trade_version:
            self._trade = trade
        return self._build()

    def _trade_from_stream(self) -> bool:
        """Whether this poll leaves the trade account to the stream.

        While the stream is synced its balances are current. Every TRADE_RESYNC_POLLS-th poll
        fetches the trade account anyway, to catch what the stream may have missed; each
        reconnect resyncs in full too, over the stream.
        """
        if self.stream is None or not self.stream.synced or self._trade is None:
            self._polls_since_trade = 0
            return False
        self._polls_since_trade += 1
        if self._polls_since_trade >= TRADE_RESYNC_POLLS:
            self._polls_since_trade = 0
            return False
        return True

    @callback
    def async_stream_trade(self, balances: Balances[TradeBalance]) -> None:
        """Take the trade account's balances from the stream: all of them, at most once a second.

        One rebuild and one state write per entity, however many frames WhiteBIT's batch held.
        Not async_set_updated_data: that would move the next poll, and with updates every few
        seconds the main account, which has no stream, would never be polled.
        """
        self._trade = balances
        self._trade_version += 1
        self.data = self._build()
        self.async_update_listeners()

    def _build(self) -> WhiteBitData:
        """The data of the last answers: reported once, tracked, and valued."""
        earn_known = self._earn is not None or ACCOUNT_EARN not in self.tracking.accounts
        earn = self._earn if earn_known else Balances[Decimal]({})
        data = combine(self._main, self._trade, self._collateral, earn, earn_known=earn_known)
        self._report_answer(data)
        data = replace(data, tickers=self._follow(data))
        if self.tracking.quote is None:
            return data
        return self._value(data, self.tracking.quote)

    async def _async_earn(self) -> Balances[Decimal] | None:
        """The Earn balances; None, with the figures unknown, when WhiteBIT would not give them.

        Lending access is granted by WhiteBIT on request and can be withdrawn: that is a repair
        issue for Earn alone, not a reauthentication of the whole entry, and other accounts go
        on. A refused key, a rate limit or a clock refusal concern every account and are raised.
        """
        issue_id = f"{ISSUE_EARN}_{self.config_entry.entry_id}"
        try:
            earn = await self.client.earn_balances()
        except WhiteBitEarnPermissionError:
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key=ISSUE_EARN,
                translation_placeholders={"entry": self.config_entry.title},
            )
            return None
        except (WhiteBitConnectionError, WhiteBitResponseError) as err:
            if self._earn_error is None:
                LOGGER.warning("WhiteBIT's Earn figures could not be read: %s", err)
            self._earn_error = str(err)
            return None
        ir.async_delete_issue(self.hass, DOMAIN, issue_id)
        if self._earn_error is not None:
            LOGGER.info("WhiteBIT's Earn figures can be read again")
            self._earn_error = None
        return earn

    def _report_clock(self, skew: float | None, *, refused: bool) -> None:
        """Raise a repair issue while this machine's clock is too far from WhiteBIT's.

        Nonces are shifted onto WhiteBIT's clock, so polling goes on; but the clock is wrong for
        everything else Home Assistant does too, and only the user can fix its time source.
        """
        off = skew is not None and abs(skew) > NONCE_WINDOW
        if not (off or refused):
            ir.async_delete_issue(self.hass, DOMAIN, ISSUE_CLOCK)
            return
        # Refused for its time with no offset measured to show: the issue says so instead.
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            ISSUE_CLOCK,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_CLOCK if off else f"{ISSUE_CLOCK}_unknown",
            translation_placeholders={"seconds": f"{skew:+.0f}" if off and skew else "?"},
        )

    def _report_answer(self, data: WhiteBitData) -> None:
        """Log, once each, currencies whose amount went wrong or right, and impossible names."""
        if broken := data.invalid - self._invalid:
            LOGGER.warning(
                "WhiteBIT sent an amount that is not a non-negative decimal for %s; its sensors "
                "are unavailable until WhiteBIT sends a valid one",
                ", ".join(sorted(broken)),
            )
        if mended := self._invalid - data.invalid:
            LOGGER.info("WhiteBIT sends valid amounts again for %s", ", ".join(sorted(mended)))
        if rejected := data.rejected - self._rejected:
            LOGGER.warning(
                "WhiteBIT listed %d names that cannot be currencies; they are skipped: %s",
                len(rejected),
                ", ".join(sorted(rejected)[:_MAX_NAMES_LOGGED]),
            )
        self._invalid, self._rejected = data.invalid, data.rejected

    def _follow(self, data: WhiteBitData) -> frozenset[str]:
        """The currencies to track this poll: the selected ones, or up to MAX_AUTO_TRACKED held.

        Past the bound, currencies tracked already keep their place and new ones wait, so the
        entities do not churn; the user is warned once.
        """
        if not self.tracking.auto_track:
            return self.tracking.tickers
        held = data.held()
        if len(held) > MAX_AUTO_TRACKED:
            if len(self._tracked) < MAX_AUTO_TRACKED or not self._tracked <= held:
                LOGGER.warning(
                    "%d currencies hold a balance; automatic tracking follows %d of them. Select "
                    "the currencies you want in the options instead",
                    len(held),
                    MAX_AUTO_TRACKED,
                )
            ordered = sorted(held & self._tracked) + sorted(held - self._tracked)
            held = frozenset(ordered[:MAX_AUTO_TRACKED])
        self._tracked = held
        return held

    @callback
    def async_prices_updated(self) -> None:
        """Revalue the last balances with new prices, without a request or a new poll.

        Not async_set_updated_data: that would move this entry's next poll, too.
        """
        quote = self.tracking.quote
        if TYPE_CHECKING:
            assert quote is not None  # it only listens to prices when valuation is on
        self.data = self._value(self.data, quote)
        self.async_update_listeners()

    def _value(self, data: WhiteBitData, quote: str) -> WhiteBitData:
        """Add the values in `quote`; without prices, keep the balances and leave values out.

        Prices come from the server's shared price coordinator, which can fail on its own. That
        must not make the balances, which did arrive, unavailable too.
        """
        prices = self.prices
        # Nor when Earn is unknown: every total lacks it, so no sum of them is the portfolio.
        if (
            prices is None
            or not prices.last_update_success
            or prices.data is None
            or not data.earn_known
        ):
            return replace(data, values=None, portfolio=None)
        book = PriceBook(prices.data, quote)
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
