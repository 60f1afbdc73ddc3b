"""Asynchronous client for WhiteBIT's API v4: the private balance endpoints and the public ticker.

Kept free of Home Assistant imports so it can be tested, fuzzed and benchmarked on its own. The
secret is only ever used as an HMAC key: it is never sent, logged, or put in an exception. The
signed headers go to the configured origin only: no redirect is ever followed.
"""

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal
from http import HTTPStatus
import time
from types import MappingProxyType
from typing import Final, Protocol

import aiohttp

from .earn import FIXED, FLEX, MAX_PAGE_BYTES, Holding, Investments, sum_holdings
from .errors import (
    WhiteBitClockError,
    WhiteBitConnectionError,
    WhiteBitEarnPermissionError,
    WhiteBitPermissionError,
    WhiteBitRedirectError,
    WhiteBitRequestError,
    WhiteBitSubAccountPermissionError,
)
from .margin import CollateralSummary, Positions, parse_positions, parse_summary
from .models import Balances, Market, TradeBalance
from .orders import (
    HISTORY_MAX_BYTES,
    OPEN_ORDERS_PATH,
    ORDER_HISTORY_PATH,
    PAGE,
    FillHistory,
    OrderHistory,
    parse_open_markets,
)
from .parse import (
    parse_collateral_balances,
    parse_main_balances,
    parse_markets,
    parse_trade_balances,
    parse_websocket_token,
)
from .responses import http_date, interpret, retry_after_seconds
from .signing import NONCES, encode_body, key_fingerprint, sign
from .subaccounts import (
    BALANCES_MAX_BYTES,
    BALANCES_PATH,
    LIST_PATH,
    MAX_PAGE_BYTES as SUBACCOUNT_PAGE_BYTES,
    SubAccountBalance,
    SubAccountPages,
    SubAccounts,
    parse_sub_account_balances,
    refusal,
)
from .text import safe_text
from .transfers import TRANSFER_HISTORY_PATH, TRANSFERS_MAX_BYTES, TransferHistory, Transfers
from .transport import MAX_ANSWER_BYTES, read_bounded

MAIN_BALANCE_PATH: Final = "/api/v4/main-account/balance"
TRADE_BALANCE_PATH: Final = "/api/v4/trade-account/balance"
PUBLIC_TICKER_PATH: Final = "/api/v4/public/ticker"
COLLATERAL_BALANCE_PATH: Final = "/api/v4/collateral-account/balance"
COLLATERAL_SUMMARY_PATH: Final = "/api/v4/collateral-account/summary"
OPEN_POSITIONS_PATH: Final = "/api/v4/collateral-account/positions/open"
WEBSOCKET_TOKEN_PATH: Final = "/api/v4/profile/websocket_token"  # noqa: S105 - a path
# What each answer may be, near what real ones can: the main balance lists every currency
# WhiteBIT has (about a thousand, tens of KB), and 1 MiB holds 10,000 of them indented. The
# WebSocket token is under 1 KiB; 64 KiB still takes any error page in full. The ticker, the
# largest, gets MAX_ANSWER_BYTES.
BALANCE_MAX_BYTES: Final = 1024 * 1024
TOKEN_MAX_BYTES: Final = 64 * 1024
DEFAULT_TIMEOUT: Final = 10.0
# WhiteBIT takes a nonceWindow nonce within ±5 s of its own clock.
NONCE_WINDOW: Final = 5.0
# Past this much difference,
# measured from its Date header (whole seconds), nonces are shifted onto WhiteBIT's clock.
CLOCK_TOLERANCE: Final = 2.0
# A Date header further off than this is not a clock to follow, it is a broken server.
_MAX_SKEW: Final = 366 * 24 * 3600.0

type Clock = Callable[[], float]


def _wall_clock() -> float:
    # Looked up at each call, so a test that freezes time.time freezes the client too.
    return time.time()


class _Pages(Protocol):
    """A paged read (.earn, .orders, .transfers, .subaccounts): it asks, reads and decides.

    Each holds its own bounds: records a page, pages in all, ids seen, when to stop.
    """

    def params(self) -> dict[str, object]: ...

    def add(self, data: object) -> bool: ...


class WhiteBitPublicClient:
    """WhiteBIT's public endpoints on one server: no key, nothing signed."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        clock: Clock = _wall_clock,
    ) -> None:
        """Bind the client to a session owned by the caller."""
        self._session = session
        self._base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._clock = clock
        # Added to our clock to get WhiteBIT's; 0 while the two agree within CLOCK_TOLERANCE.
        self._offset = 0.0
        self.clock_skew: float | None = None
        """WhiteBIT's clock minus ours in seconds, from the last answer's Date header."""

    def __repr__(self) -> str:
        """Name the server only: the default repr would not show the secret, but be explicit."""
        return f"{type(self).__name__}({self._base_url!r})"

    @property
    def base_url(self) -> str:
        """The server this client talks to."""
        return self._base_url

    async def markets(self) -> Mapping[str, Market]:
        """Return every market's last price from the public ticker (unsigned, no key sent)."""
        data = await self._answer(lambda: self._send("GET", PUBLIC_TICKER_PATH))
        return MappingProxyType(parse_markets(data))

    async def _answer(self, send: Callable[[], Awaitable[tuple[int, bytes, str | None]]]) -> object:
        status, body, retry_after = await send()
        return interpret(status, body, retry_after_seconds(retry_after, self._clock()))

    async def _send(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        max_bytes: int = MAX_ANSWER_BYTES,
    ) -> tuple[int, bytes, str | None]:
        """Send one request; return the status, the body (at most `max_bytes`), any Retry-After."""
        try:
            async with (
                asyncio.timeout(self._timeout),
                self._session.request(
                    method,
                    self._base_url + path,
                    data=body,
                    headers={**(headers or {}), "Accept-Encoding": "gzip, deflate"},
                    # A redirect would carry the signed headers (and, on 307/308, the body) to
                    # wherever the server points, possibly over plain http.
                    allow_redirects=False,
                    # Inflated by _read, counting as it goes.
                    auto_decompress=False,
                ) as response,
            ):
                self._note_clock(response.headers.get("Date"))
                if HTTPStatus.MULTIPLE_CHOICES <= response.status < HTTPStatus.BAD_REQUEST:
                    raise WhiteBitRedirectError(response.status)
                return (
                    response.status,
                    await read_bounded(response, max_bytes),
                    response.headers.get("Retry-After"),
                )
        except TimeoutError as err:
            msg = f"Timed out after {self._timeout:g} s waiting for WhiteBIT"
            raise WhiteBitConnectionError(msg) from err
        except aiohttp.ClientError as err:
            # aiohttp's texts quote what the server sent (a header, a URL): escape and bound.
            msg = f"Error talking to WhiteBIT: {err.__class__.__name__}: {safe_text(str(err))}"
            raise WhiteBitConnectionError(msg) from err

    def _note_clock(self, date_header: str | None) -> None:
        """Measure WhiteBIT's clock against ours from an answer's Date header."""
        date = http_date(date_header)
        if date is None:
            return
        # The header is cut to the whole second: on average WhiteBIT's clock is half a second on.
        skew = date + 0.5 - self._clock()
        if abs(skew) > _MAX_SKEW:
            return
        self.clock_skew = skew
        self._offset = skew if abs(skew) > CLOCK_TOLERANCE else 0.0


class WhiteBitClient(WhiteBitPublicClient):
    """A client for one API key on one WhiteBIT server."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        api_key: str,
        api_secret: str,
        base_url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        clock: Clock = _wall_clock,
    ) -> None:
        """Bind the client to a session owned by the caller."""
        super().__init__(session, base_url, timeout=timeout, clock=clock)
        self._api_key = api_key
        self._api_secret = api_secret
        self._key_id = key_fingerprint(api_key)

    async def main_balances(self) -> Balances[Decimal]:
        """Return every listed currency's main-account balance, in one request."""
        return parse_main_balances(await self._private(MAIN_BALANCE_PATH, BALANCE_MAX_BYTES))

    async def trade_balances(self) -> Balances[TradeBalance]:
        """Return the trade-account balance of every currency that has one, in one request."""
        return parse_trade_balances(await self._private(TRADE_BALANCE_PATH, BALANCE_MAX_BYTES))

    async def collateral_balances(self) -> Balances[Decimal]:
        """Return the collateral (margin and futures) account's balances, in one request."""
        data = await self._private(COLLATERAL_BALANCE_PATH, BALANCE_MAX_BYTES)
        return parse_collateral_balances(data)

    async def collateral_summary(self) -> CollateralSummary:
        """Return the collateral account's equity, margin, PnL and leverage, in one request."""
        return parse_summary(await self._private(COLLATERAL_SUMMARY_PATH, TOKEN_MAX_BYTES))

    async def open_positions(self) -> Positions:
        """Return every open margin and futures position, in one request."""
        return parse_positions(await self._private(OPEN_POSITIONS_PATH, BALANCE_MAX_BYTES))

    async def earn_balances(self) -> Balances[Decimal]:
        """Everything placed in crypto lending, per currency: active flex and fixed investments.

        Pages are bounded and checked in .earn (size, records, ids, at most MAX_PAGES of each
        kind: more would be a partial sum, so none is given). A key refused here lacks lending
        access, which WhiteBIT grants apart from every other permission:
        WhiteBitEarnPermissionError says so.
        """
        holdings: list[Holding] = []
        for kind in (FLEX, FIXED):
            investments = Investments(kind)
            await self._read_pages(
                kind.path, MAX_PAGE_BYTES, investments, refused=WhiteBitEarnPermissionError
            )
            holdings += investments.holdings
        return sum_holdings(holdings)

    async def sub_accounts(self) -> SubAccounts:
        """The account's sub-accounts: one request, two for 100 or more (see .subaccounts).

        At most MAX_SUBACCOUNTS are followed; `truncated` says when WhiteBIT has more. A key
        refused here may not read sub-accounts: WhiteBitSubAccountPermissionError says so.
        """
        pages = SubAccountPages()
        await self._read_pages(
            LIST_PATH, SUBACCOUNT_PAGE_BYTES, pages, refused=WhiteBitSubAccountPermissionError
        )
        return pages.result()

    async def sub_account_balances(self, sub_account_id: str) -> Balances[SubAccountBalance]:
        """One sub-account's balances, per currency: main, trade (spot) and collateral.

        WhiteBIT's refusals for that sub-account are typed: not confirmed, not active
        (blocked), not found (deleted since listed): each a WhiteBitSubAccountError.
        """
        params = {"id": sub_account_id}
        try:
            data = await self._sub_account_request(BALANCES_PATH, BALANCES_MAX_BYTES, params)
        except WhiteBitRequestError as err:
            raise refusal(err) from err
        return parse_sub_account_balances(data)

    async def _sub_account_request(
        self, path: str, max_bytes: int, params: Mapping[str, object]
    ) -> object:
        try:
            return await self._private(path, max_bytes, params)
        except WhiteBitPermissionError as err:
            raise WhiteBitSubAccountPermissionError(str(err)) from err

    async def executed_orders(self, since: float | None = None) -> FillHistory:
        """Return the orders finished since `since` (one page without it), every market.

        A page of 100 per request; more only while every order on the last page is newer
        than `since`, five pages at most (see OrderHistory).
        """
        history = OrderHistory(since)
        await self._read_pages(ORDER_HISTORY_PATH, HISTORY_MAX_BYTES, history)
        return history.result()

    async def open_order_markets(self) -> frozenset[str]:
        """Return the markets of the first 100 open orders, in one request."""
        params = {"limit": PAGE, "offset": 0}
        return parse_open_markets(await self._private(OPEN_ORDERS_PATH, HISTORY_MAX_BYTES, params))

    async def transfers(self, since: float | None = None) -> TransferHistory:
        """Return the deposits and withdrawals made since `since` (one page without it)."""
        history = Transfers(since)
        await self._read_pages(TRANSFER_HISTORY_PATH, TRANSFERS_MAX_BYTES, history)
        return history.result()

    async def _read_pages(
        self,
        path: str,
        max_bytes: int,
        pages: _Pages,
        *,
        refused: type[WhiteBitPermissionError] | None = None,
    ) -> None:
        """Ask `path` for the next page until `pages` has what it needs (its bounds decide).

        `refused`: the typed error a permission refusal becomes, for a read WhiteBIT grants
        apart (Earn, sub-accounts).
        """
        try:
            while pages.add(await self._private(path, max_bytes, pages.params())):
                pass
        except WhiteBitPermissionError as err:
            if refused is None:
                raise
            raise refused(str(err)) from err

    async def websocket_token(self) -> str:
        """Return a new, short-lived token for one connection to the private WebSocket."""
        return parse_websocket_token(await self._private(WEBSOCKET_TOKEN_PATH, TOKEN_MAX_BYTES))

    async def _private(
        self, path: str, max_bytes: int, params: Mapping[str, object] | None = None
    ) -> object:
        """Sign, send and interpret one private request.

        A nonce WhiteBIT refuses as too far from its clock is sent again once, at once, if that
        very answer's Date header moved our estimate of WhiteBIT's clock: the first request
        after a restart with a wrong clock then succeeds.
        """
        offset = self._offset
        try:
            return await self._signed(path, max_bytes, params)
        except WhiteBitClockError:
            if abs(self._offset - offset) < CLOCK_TOLERANCE:
                raise
        return await self._signed(path, max_bytes, params)

    async def _signed(
        self, path: str, max_bytes: int, params: Mapping[str, object] | None
    ) -> object:
        try:
            return await self._answer(lambda: self._signed_post(path, max_bytes, params))
        except WhiteBitClockError as err:
            err.skew = self.clock_skew
            raise

    def _nonce(self) -> int:
        """A millisecond nonce on WhiteBIT's clock, never repeated for this key."""
        return NONCES.next(self._key_id, int((self._clock() + self._offset) * 1000))

    async def _signed_post(
        self, path: str, max_bytes: int, params: Mapping[str, object] | None
    ) -> tuple[int, bytes, str | None]:
        body = encode_body(path, self._nonce(), params)
        payload, signature = sign(self._api_secret, body)
        headers = {
            "Content-Type": "application/json",
            "X-TXC-APIKEY": self._api_key,
            "X-TXC-PAYLOAD": payload,
            "X-TXC-SIGNATURE": signature,
        }
        return await self._send("POST", path, body, headers, max_bytes)
