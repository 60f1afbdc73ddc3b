"""One account's balances: polled once per interval, the trade account also pushed.

A poll makes one request per tracked account (prices come from the server's shared price
coordinator). While WhiteBIT's stream is up, the trade account is the stream's, and a poll
fetches it only every TRADE_RESYNC_POLLS-th time.
"""

import asyncio
from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_URL
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .answer_warnings import AnswerWarnings
from .const import (
    ACCOUNT_COLLATERAL,
    ACCOUNT_EARN,
    ACCOUNT_TRADE,
    DOMAIN,
    LOGGER,
    SCAN_INTERVAL,
    TRADE_RESYNC_POLLS,
)
from .events_data import TradeEvents
from .holdings import Answers, WhiteBitData, async_fetch_balances, combine
from .issues import async_report_clock, async_report_earn, failure_reason
from .margin_data import MarginFigures
from .prices import WhiteBitPriceCoordinator
from .pywhitebit import (
    BALANCE_MARGIN,
    BALANCE_SPOT,
    POSITIONS_MARGIN,
    Balances,
    Positions,
    StreamState,
    TradeBalance,
    WhiteBitAuthenticationError,
    WhiteBitClient,
    WhiteBitClockError,
    WhiteBitEarnPermissionError,
    WhiteBitError,
    WhiteBitPermissionError,
    WhiteBitRateLimitError,
    WhiteBitStream,
)
from .tracking import AutoTracker, Tracking
from .unique_ids import registered_tickers
from .valuation import PriceBook, value_holdings

if TYPE_CHECKING:
    from .subaccounts import WhiteBitSubAccountCoordinator

type WhiteBitConfigEntry = ConfigEntry[WhiteBitCoordinator]


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
        self._earn_failing = False
        self._trade_version = 0
        self._collateral_version = 0
        # Polls since each pushed account was last fetched over REST.
        self._polls_since: dict[str, int] = {}
        # The collateral account's summary and positions, when it is tracked.
        self.margin = MarginFigures()
        # What was said about the answers, so each problem is logged once, not on every one.
        self._warnings = AnswerWarnings()
        self._auto_tracker = AutoTracker()
        # Currencies that held something in Earn: those with an Earn sensor from earlier runs,
        # and any an answer has shown since. Only their totals wait for Earn when it fails.
        self._earn_held = registered_tickers(hass, config_entry.entry_id, ACCOUNT_EARN)
        # Fills, deposits and withdrawals as events: read each poll, fills pushed too.
        self.events = TradeEvents(hass, config_entry.entry_id, self.tracking.accounts)
        self._events_poll: asyncio.Task[None] | None = None
        # The sub-accounts' own coordinator, when followed; set up by async_setup_entry.
        self.sub_accounts: WhiteBitSubAccountCoordinator | None = None

    @override
    async def _async_setup(self) -> None:
        """Open WhiteBIT's stream for the trade and collateral accounts, before the first poll.

        One connection for both. A background task of the entry: Home Assistant cancels it
        when the entry unloads (or its setup fails), which closes the connection. A balance
        pushed before the first poll has answered is kept: that poll's own answer is then the
        older one.
        """
        await self.events.async_load()
        accounts = self.tracking.accounts
        if not accounts & {ACCOUNT_TRADE, ACCOUNT_COLLATERAL}:
            return
        entry = self.config_entry
        self.stream = WhiteBitStream(
            self.client, async_get_clientsession(self.hass), on_stopped=self._stream_stopped
        )
        if ACCOUNT_TRADE in accounts:
            self.stream.subscribe(BALANCE_SPOT, self.async_stream_trade)
        if ACCOUNT_COLLATERAL in accounts:
            self.stream.subscribe(POSITIONS_MARGIN, self.async_stream_positions)
            self.stream.subscribe(BALANCE_MARGIN, self.async_stream_collateral)
        self.events.attach(self.stream)
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
        # Named by what this entry streams: the collateral account alone streams no trade balance.
        accounts = self.tracking.accounts
        streamed = [
            *(["trade balances"] if ACCOUNT_TRADE in accounts else []),
            *(["collateral balances", "open positions"] if ACCOUNT_COLLATERAL in accounts else []),
        ]
        LOGGER.warning(
            "The API key may not open WhiteBIT's WebSocket, so %s are polled every 5 minutes "
            "instead of pushed. To have them pushed, allow the key the WebSocket token endpoint "
            "in WhiteBIT's API settings and reload the entry",
            " and ".join((", ".join(streamed[:-1]), streamed[-1])) if streamed[1:] else streamed[0],
        )

    @override
    async def _async_update_data(self) -> WhiteBitData:
        accounts = self._accounts_to_poll()
        version, collateral_version = self._trade_version, self._collateral_version
        try:
            answers = await async_fetch_balances(self.client, accounts, earn_apart=True)
            if ACCOUNT_COLLATERAL in accounts:
                await self.margin.async_fetch(self.client)
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
            async_report_clock(self.hass, self.client.base_url, err.skew, refused=True)
            raise UpdateFailed(translation_domain=DOMAIN, translation_key="clock_off") from err
        except WhiteBitError as err:
            # The client's text is for a bug report, not for the translated message.
            LOGGER.debug("Balances of %s could not be fetched: %s", self.name, err)
            raise UpdateFailed(
                translation_domain=DOMAIN, translation_key=f"update_{failure_reason(err)}"
            ) from err
        async_report_clock(self.hass, self.client.base_url, self.client.clock_skew, refused=False)
        self._poll_events()
        if ACCOUNT_EARN in accounts:
            self._report_earn(answers)
        self._main, self._earn = answers.main, answers.earn
        # An update the stream applied while this answer was on its way is newer: it stays.
        if answers.trade is not None and version == self._trade_version:
            self._trade = answers.trade
        if answers.collateral is not None and collateral_version == self._collateral_version:
            self._collateral = answers.collateral
        return self._build()

    def _poll_events(self) -> None:
        """Read the fills and transfers once this poll's balances are out: they never wait.

        Not eager: the task starts after the balances are published. The events' reads are
        theirs alone: whatever fails there is said by TradeEvents and tried again next poll,
        never a failed balance refresh. One at a time: while the last read is still on its way
        (WhiteBIT slow), this poll leaves it be, and the next one reads on from where it ended.
        """
        if self._events_poll is not None and not self._events_poll.done():
            return
        self._events_poll = self.config_entry.async_create_task(
            self.hass, self.events.async_poll(self.client), "events poll", eager_start=False
        )

    def _accounts_to_poll(self) -> frozenset[str]:
        """The tracked accounts, less those the stream keeps current this time."""
        pushed = {ACCOUNT_TRADE: self._trade, ACCOUNT_COLLATERAL: self._collateral}
        return frozenset(
            account
            for account in self.tracking.accounts
            if account not in pushed or not self._from_stream(account, pushed[account])
        )

    def _from_stream(self, account: str, last: Balances[Any] | None) -> bool:
        """Whether this poll leaves `account` (trade, or collateral with positions) to the stream.

        While the stream is synced its figures are current. Every TRADE_RESYNC_POLLS-th poll
        fetches the account anyway, to catch what the stream may have missed; each reconnect
        resyncs in full too, over the stream.
        """
        if self.stream is None or not self.stream.synced or last is None:
            self._polls_since[account] = 0
            return False
        self._polls_since[account] = self._polls_since.get(account, 0) + 1
        if self._polls_since[account] >= TRADE_RESYNC_POLLS:
            self._polls_since[account] = 0
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

    @callback
    def async_stream_positions(self, positions: Positions) -> None:
        """Take every open position from the stream; the summary moves with them."""
        self.margin.push(positions)
        self.data = self._build()
        self.async_update_listeners()

    @callback
    def async_stream_collateral(self, balances: Balances[Decimal]) -> None:
        """Take the collateral account's balances from the stream."""
        self._collateral = balances
        self._collateral_version += 1
        self.data = self._build()
        self.async_update_listeners()

    def _build(self) -> WhiteBitData:
        """The data of the last answers: reported once, tracked, and valued."""
        earn_known = self._earn is not None or ACCOUNT_EARN not in self.tracking.accounts
        earn = self._earn if earn_known else Balances[Decimal]({})
        data = combine(
            self._main,
            self._trade,
            self._collateral,
            earn,
            earn_known=earn_known,
            earn_held=self._earn_held,
        )
        self._earn_held = data.earn_held
        self._warnings.report(data)
        tickers = self.tracking.tickers
        if self.tracking.auto_track:
            tickers = self._auto_tracker.follow(data.held())
        data = replace(
            data, tickers=tickers, summary=self.margin.summary, positions=self.margin.positions
        )
        if self.tracking.quote is None:
            return data
        return value_holdings(data, self.book())

    def book(self) -> PriceBook | None:
        """The server's last prices in the quote currency; None while they fail."""
        prices, quote = self.prices, self.tracking.quote
        return None if prices is None or quote is None else prices.book(quote)

    def _report_earn(self, answers: Answers) -> None:
        """Say when Earn cannot be read: a repair issue when refused, else a log line.

        Lending access is granted by WhiteBIT on request and can be withdrawn: that is a repair
        issue for Earn alone, not a reauthentication of the whole entry. An outage of Earn
        alone is logged when it starts and when it ends.
        """
        error = answers.earn_error
        entry = self.config_entry
        if isinstance(error, WhiteBitEarnPermissionError):
            async_report_earn(self.hass, entry.entry_id, entry.title, refused=True)
            return
        if error is not None:
            if not self._earn_failing:
                LOGGER.warning("WhiteBIT's Earn figures could not be read: %s", error)
            self._earn_failing = True
            return
        async_report_earn(self.hass, entry.entry_id, entry.title, refused=False)
        if self._earn_failing:
            LOGGER.info("WhiteBIT's Earn figures can be read again")
            self._earn_failing = False

    @override
    async def async_shutdown(self) -> None:
        """Take this entry's repair issues along when it unloads (removed, disabled, reloaded).

        A reloaded entry raises them again at its first poll if they still apply. The server's
        clock issue goes with the last entry on that server only: the others still measure it.
        """
        await super().async_shutdown()
        if (events_poll := self._events_poll) is not None:
            # Ended first, so the cursor written next is the last one: nothing fires after it.
            events_poll.cancel()
            await asyncio.wait([events_poll])
        await self.events.async_unload()
        entry, url = self.config_entry, self.client.base_url
        async_report_earn(self.hass, entry.entry_id, entry.title, refused=False)
        others = self.hass.config_entries.async_loaded_entries(DOMAIN)
        if not any(o.entry_id != entry.entry_id and o.data[CONF_URL] == url for o in others):
            async_report_clock(self.hass, url, None, refused=False)

    @callback
    def async_prices_updated(self) -> None:
        """Revalue the last balances with new prices, without a request or a new poll.

        Not async_set_updated_data: that would move this entry's next poll, too. The entry
        listens before its first poll has answered; prices arriving then have nothing to value.
        """
        # Typed as always there, but None until the first poll has answered.
        if (data := cast("WhiteBitData | None", self.data)) is None:
            return
        self.data = value_holdings(data, self.book())
        self.async_update_listeners()
