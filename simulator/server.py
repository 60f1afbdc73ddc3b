"""A local stand-in for WhiteBIT's balance API and public ticker, as strict as the real one.

It checks what WhiteBIT checks (key, payload, signature, request path, nonce order, rate limit)
and answers with WhiteBIT's documented bodies and statuses, so the client and the integration can
be tested against real HTTP on loopback. A small control API under /_sim lets tests and the
developer loop change balances, revoke keys and inject faults while it runs.
"""

import asyncio
import base64
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from email.utils import formatdate
import hashlib
import hmac
import json
import time
from typing import Any, Final, Literal, get_args

from aiohttp import web

from .margin import COLLATERAL_SUMMARY_PATH, MARGIN_PATHS, OPEN_POSITIONS_PATH, SimMargin
from .orders import (
    CONTROL_PATHS,
    ORDER_PATHS,
    RATE_LIMITS as ORDER_RATE_LIMITS,
    SimOrders,
    order_control,
)
from .stream import STREAM_FAULTS, StreamHub
from .subaccounts import SUBACCOUNT_PATHS, SimSubAccounts, demo_subaccounts

MAIN_BALANCE_PATH: Final = "/api/v4/main-account/balance"
TRADE_BALANCE_PATH: Final = "/api/v4/trade-account/balance"
PUBLIC_TICKER_PATH: Final = "/api/v4/public/ticker"
PUBLIC_MARKETS_PATH: Final = "/api/v4/public/markets"
PUBLIC_ASSETS_PATH: Final = "/api/v4/public/assets"
COLLATERAL_BALANCE_PATH: Final = "/api/v4/collateral-account/balance"
FLEX_INVESTMENTS_PATH: Final = "/api/v4/main-account/smart-flex/investments"
FIXED_INVESTMENTS_PATH: Final = "/api/v4/main-account/smart/investments"
EARN_PATHS: Final = (FLEX_INVESTMENTS_PATH, FIXED_INVESTMENTS_PATH)
WEBSOCKET_TOKEN_PATH: Final = "/api/v4/profile/websocket_token"  # noqa: S105 - a path
STREAM_PATH: Final = "/ws"
BALANCE_PATHS: Final = (MAIN_BALANCE_PATH, TRADE_BALANCE_PATH, COLLATERAL_BALANCE_PATH)
PRIVATE_PATHS: Final = (
    *BALANCE_PATHS,
    *EARN_PATHS,
    *MARGIN_PATHS,
    *ORDER_PATHS,
    WEBSOCKET_TOKEN_PATH,
    *SUBACCOUNT_PATHS,
)
PUBLIC_PATHS: Final = (PUBLIC_TICKER_PATH, PUBLIC_MARKETS_PATH, PUBLIC_ASSETS_PATH)
# Requests per IP address and endpoint in one window, as WhiteBIT documents them.
RATE_LIMITS: Final = {
    MAIN_BALANCE_PATH: 1000,
    TRADE_BALANCE_PATH: 12000,
    # Under /trade-account/* in WhiteBIT's table? Not documented on its own: the main's limit.
    COLLATERAL_BALANCE_PATH: 1000,
    **dict.fromkeys(EARN_PATHS, 1000),
    **dict.fromkeys(MARGIN_PATHS, 12000),
    WEBSOCKET_TOKEN_PATH: 10,
    **dict.fromkeys(SUBACCOUNT_PATHS, 1000),
    **dict.fromkeys(PUBLIC_PATHS, 2000),
    **ORDER_RATE_LIMITS,
}
RATE_WINDOW: Final = 10.0
# The token endpoint's limit is per minute, not per 10 s.
RATE_WINDOWS: Final = {WEBSOCKET_TOKEN_PATH: 60.0}
# A string nonce is at most this many digits (a 64-bit integer has 19).
_DIGITS: Final = 19
# With nonceWindow, a nonce (ms) must be within this much of the server's clock.
NONCE_WINDOW_MS: Final = 5000
# What a public endpoint's rate limit answers: not always JSON, as WhiteBIT documents.
PUBLIC_TOO_MANY: Final = "<html><body><h1>429 Too Many Requests</h1></body></html>"
# Digits of each currency, as /public/assets gives them; 8 where not listed here.
PRECISIONS: Final = {"USDT": 6, "USDC": 6, "EUR": 2, "UAH": 2, "USD": 2, "DOGE": 8, "BTC": 8}

UNAUTHORIZED: Final = {"code": 10, "message": "Unauthorized request."}
KEY_DISABLED: Final = {
    "code": 2,
    "message": "This action is unauthorized. Enable your key in API settings",
}
# What the lending endpoints answer a key without lending access (HTTP 403).
NO_LENDING_ACCESS: Final = {
    "code": 0,
    "message": "You don't have permission to use this endpoint. Please contact support for more "
    "details",
}
NO_PERMISSION: Final = {
    "code": 0,
    "message": "You don't have permission to use this endpoint. Check your API key settings.",
    "errors": {},
}
TOO_MANY: Final = {"code": 0, "errors": {}, "message": "Too many requests."}
INVALID_PAYLOAD: Final = {"code": 9, "message": "Invalid payload."}
NONCE_OUTSIDE_WINDOW: Final = {
    "code": 0,
    "message": "Your nonce is more than 5 seconds lesser than the current nonce",
    "errors": {},
}
CURRENCY_NOT_FOUND: Final = {
    "code": 30,
    "message": "Validation failed",
    "errors": {"ticker": ["Currency was not found."]},
}

DEMO_KEY: Final = "demo-key-0000000000000000000000000"
DEMO_SECRET: Final = "demo-secret-000000000000000000000"  # noqa: S105 - a public demo value
DEMO_BALANCES: Final = {
    "BTC": "0.51234567",
    "ETH": "0",
    "USDT": "1234.56",
    "UAH": "0",
    "DOGE": "12345.12345678",
    "XRP": "0",
    "SOL": "3.25",
    "EUR": "0",
}
# Trade account: (available, in orders). TON is on no market, so it shows as unvalued.
DEMO_TRADE: Final = {
    "BTC": ("0.1", "0.02"),
    "USDT": ("1000.50", "100.00"),
    "SOL": ("1.5", "0"),
    "TON": ("42", "0"),
}
# Earn: a flex investment in USDT and a fixed one in BTC (and a closed one, which counts nothing).
DEMO_FLEX: Final = [("USDT", "150.25")]
DEMO_FIXED: Final = [("BTC", "0.05", 1), ("ETH", "1", 2)]
# The demo's collateral account (`python -m simulator`): money, and one open BTC/USDT long.
DEMO_COLLATERAL: Final = {"USDT": "5000", "BTC": "0.01"}
DEMO_POSITION: Final = {
    "market": "BTC_USDT",
    "side": "LONG",
    "amount": "0.05",
    "base_price": "88000",
    "pnl": "182.00",
    "liq_price": "70400",
    "margin": "440",
}
# Last prices; SOL_USDT is frozen, so SOL is valued through BTC instead.
DEMO_MARKETS: Final = {
    "BTC_USDT": ("91640.09", False),
    "ETH_USDT": ("3120.5", False),
    "DOGE_USDT": ("0.16", False),
    "SOL_USDT": ("140.2", True),
    "SOL_BTC": ("0.00153", False),
    "USDC_USDT": ("1.0001", False),
    "USDT_EUR": ("0.86", False),
    "USDT_UAH": ("41.5", False),
    "BTC_USD": ("91600", False),
}


def _validation(errors: dict[str, list[str]]) -> dict[str, Any]:
    return {"code": 0, "message": "Validation failed", "errors": errors}


def _now() -> float:
    # Looked up at each call, so a test that freezes time.time freezes the exchange too.
    return time.time()


def _code0(message: str) -> dict[str, Any]:
    return {"code": 0, "message": message, "errors": {}}


def _compact(raw: bytes) -> bool:
    """Whether a JSON body has no white space outside its strings."""
    in_string = escaped = False
    for char in raw.decode("utf-8", "replace"):
        if escaped:
            escaped = False
        elif in_string and char == "\\":
            escaped = True
        elif char == '"':
            in_string = not in_string
        elif not in_string and char in " \t\r\n":
            return False
    return True


class _RejectedError(Exception):
    """A request WhiteBIT would refuse, with the status and body it would refuse it with."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


@dataclass
class SimAccount:
    """One API key of one simulated account."""

    api_key: str
    secret: str
    balances: dict[str, str] = field(default_factory=dict)
    # The trade account: ticker -> (available, in orders).
    trade: dict[str, tuple[str, str]] = field(default_factory=dict)
    # The collateral account: ticker -> amount. Answered as JSON numbers, as WhiteBIT documents
    # it, or as strings (what its Go SDK reads) when collateral_as_strings is set.
    collateral: dict[str, str] = field(default_factory=dict)
    collateral_as_strings: bool = False
    # Open margin and futures positions, and the leverage.
    margin: SimMargin = field(default_factory=SimMargin)
    # Open and finished orders, deposits and withdrawals.
    orders: SimOrders = field(default_factory=SimOrders)
    # Earn: flex investments (currency, invested) and fixed ones (ticker, amount, status).
    flex: list[tuple[str, str]] = field(default_factory=list)
    fixed: list[tuple[str, str, int]] = field(default_factory=list)
    # The account's sub-accounts (see simulator.subaccounts).
    subaccounts: SimSubAccounts = field(default_factory=SimSubAccounts)
    enabled: bool = True
    permissions: set[str] = field(default_factory=lambda: set(PRIVATE_PATHS))
    last_nonce: int = 0
    # nonceWindow nonces seen within the window: each may be used once.
    window_nonces: set[int] = field(default_factory=set)


@dataclass
class SimMarket:
    """One market of the public ticker."""

    last_price: str
    frozen: bool = False
    # The 24-hour change in percent, as the ticker gives it.
    change: str = "0.57"


type FaultAction = Literal["answer", "drop", "truncate"]
FAULT_ACTIONS: Final = get_args(FaultAction.__value__)


@dataclass(frozen=True, slots=True)
class Fault:
    """One faulty answer, served instead of the real one to the next request.

    The next balance request of either account, or with `path`, the next request to that path
    (the public ticker included). `answer` sends `status` with `body` (raw text, so anything
    from HTML to broken JSON) and `headers`; `drop` closes the connection without answering;
    `truncate` announces the whole body but closes the connection half-way through it. `delay`
    seconds pass first, which is how a timeout is made.
    """

    status: int = 200
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    action: FaultAction = "answer"
    delay: float = 0.0
    path: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fault:
        """Build a fault from the control API's JSON, refusing what it cannot be."""
        action = data.get("action", "answer")
        if action not in FAULT_ACTIONS:
            msg = f"unknown action {action!r}"
            raise ValueError(msg)
        body = data.get("body", "")
        headers = {str(k): str(v) for k, v in dict(data.get("headers", {})).items()}
        if not isinstance(body, str):
            # A JSON value rather than raw text: serve it as JSON, as WhiteBIT would.
            body = json.dumps(body)
            headers.setdefault("Content-Type", "application/json")
        return cls(
            status=int(data.get("status", 200)),
            body=body,
            headers=headers,
            action=action,
            delay=float(data.get("delay", 0.0)),
            path=None if data.get("path") is None else str(data["path"]),
        )

    def applies_to(self, path: str) -> bool:
        """Whether this fault is for a request to `path`."""
        return path == self.path if self.path else path in BALANCE_PATHS


@dataclass
class SimStats:
    """What the simulator saw: every request by path and outcome."""

    requests: dict[str, int] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)

    def count(self, path: str, status: int) -> None:
        """Record one answered request."""
        self.requests[path] = self.requests.get(path, 0) + 1
        self.statuses[status] = self.statuses.get(status, 0) + 1


class WhiteBitSimulator:
    """The simulated exchange: currencies, accounts, and the HTTP app that serves them."""

    def __init__(
        self,
        currencies: Iterable[str] = DEMO_BALANCES,
        *,
        rate_limit: int | None = None,
        rate_window: float = RATE_WINDOW,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] | None = None,
    ) -> None:
        """Create an exchange listing `currencies`, with no accounts yet.

        `clock` paces the rate limits; `wall_clock` (seconds since the epoch, time.time by
        default, looked up at each call) is the exchange's time: nonce windows and Date headers.
        """
        self.currencies: list[str] = list(currencies)
        self.accounts: dict[str, SimAccount] = {}
        self.markets: dict[str, SimMarket] = {}
        self.stats = SimStats()
        self.rate_limits = dict(RATE_LIMITS)
        if rate_limit is not None:
            self.set_rate_limit(rate_limit)
        self._rate_window = rate_window
        self._clock = clock
        self._wall_clock = wall_clock or _now
        self._recent: dict[tuple[str, str], deque[float]] = {}
        self.faults: deque[Fault] = deque()
        self.stream = StreamHub(self._trade_of, self._margin_of, clock=clock)

    def _trade_of(self, api_key: str) -> dict[str, tuple[str, str]] | None:
        account = self.accounts.get(api_key)
        return account.trade if account is not None and account.enabled else None

    def _margin_of(self, api_key: str) -> tuple[dict[str, str], SimMargin] | None:
        account = self.accounts.get(api_key)
        return (account.collateral, account.margin) if account is not None else None

    def inject(self, *faults: Fault) -> None:
        """Serve these faults, in order, to the next requests they apply to."""
        self.faults.extend(faults)

    def set_rate_limit(self, limit: int, path: str | None = None) -> None:
        """Allow `limit` requests per window on `path`, or on both balance paths."""
        for each in (path,) if path else BALANCE_PATHS:  # a path of PUBLIC_PATHS too
            self.rate_limits[each] = limit

    def add_account(
        self,
        api_key: str,
        secret: str,
        balances: dict[str, str] | None = None,
        trade: dict[str, tuple[str, str]] | None = None,
    ) -> SimAccount:
        """Add a key; currencies it holds that the exchange did not list become listed."""
        account = SimAccount(api_key, secret, dict(balances or {}), dict(trade or {}))
        for ticker in [*account.balances, *account.trade]:
            self.list_currency(ticker)
        self.accounts[api_key] = account
        return account

    def list_currency(self, ticker: str) -> None:
        """List `ticker` on the exchange, if it is not yet."""
        if ticker not in self.currencies:
            self.currencies.append(ticker)

    def set_price(self, market: str, last_price: str, *, frozen: bool = False) -> None:
        """Open `market` (BASE_QUOTE) at `last_price`, or change its price."""
        self.markets[market] = SimMarket(last_price, frozen)

    def app(self) -> web.Application:
        """Return the aiohttp application serving the API and the control endpoints."""
        app = web.Application()
        app.on_response_prepare.append(self._date_header)
        app.on_shutdown.append(self.stream.close_all)
        app.router.add_post(MAIN_BALANCE_PATH, self._main_balance)
        app.router.add_post(TRADE_BALANCE_PATH, self._trade_balance)
        app.router.add_post(COLLATERAL_BALANCE_PATH, self._collateral_balance)
        app.router.add_post(FLEX_INVESTMENTS_PATH, self._investments)
        app.router.add_post(FIXED_INVESTMENTS_PATH, self._investments)
        app.router.add_post(COLLATERAL_SUMMARY_PATH, self._margin_answer)
        app.router.add_post(OPEN_POSITIONS_PATH, self._margin_answer)
        app.router.add_post(WEBSOCKET_TOKEN_PATH, self._websocket_token)
        for path in SUBACCOUNT_PATHS:
            app.router.add_post(path, self._subaccount_answer)
        for path in ORDER_PATHS:
            app.router.add_post(path, self._orders_answer)
        for path in CONTROL_PATHS:
            app.router.add_post(path, self._order_control)
        app.router.add_get(STREAM_PATH, self.stream.handle)
        app.router.add_get(PUBLIC_TICKER_PATH, self._public_ticker)
        app.router.add_get(PUBLIC_MARKETS_PATH, self._public_markets)
        app.router.add_get(PUBLIC_ASSETS_PATH, self._public_assets)
        # The device page's "Visit" link: WhiteBIT's API-keys page, here a stand-in for it.
        app.router.add_get("/settings/api", self._api_keys_page)
        app.router.add_get("/_sim/state", self._state)
        app.router.add_post("/_sim/balance", self._set_balance)
        app.router.add_post("/_sim/price", self._set_price)
        app.router.add_post("/_sim/key", self._set_key)
        app.router.add_post("/_sim/position", self._set_position)
        app.router.add_post("/_sim/subaccount", self._set_subaccount)
        app.router.add_post("/_sim/fault", self._add_fault)
        app.router.add_post("/_sim/stream", self._stream_fault)
        return app

    # --- the private API ------------------------------------------------------------------

    def _take_fault(self, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.applies_to(path):
                self.faults.remove(fault)
                return fault
        return None

    async def _private(
        self, request: web.Request, answer: Callable[[SimAccount, dict[str, Any]], web.Response]
    ) -> web.StreamResponse:
        """Serve a queued fault, refuse what WhiteBIT would refuse, or answer."""
        if fault := self._take_fault(request.path):
            return await self._serve_fault(request, fault)
        try:
            account, body = await self._authenticate(request)
        except _RejectedError as rejected:
            return self._answer(request, rejected.status, rejected.body)
        return answer(account, body)

    async def _main_balance(self, request: web.Request) -> web.StreamResponse:
        return await self._private(
            request, lambda account, body: self._main_answer(request, account, body)
        )

    def _main_answer(
        self, request: web.Request, account: SimAccount, body: dict[str, Any]
    ) -> web.Response:
        if "ticker" in body:
            ticker = body["ticker"]
            if not isinstance(ticker, str):
                return self._answer(request, 422, _validation({"ticker": ["validation.string"]}))
            return self._answer(request, 200, {"main_balance": account.balances.get(ticker, "0")})
        return self._answer(
            request,
            200,
            {
                ticker: {"main_balance": account.balances.get(ticker, "0")}
                for ticker in self.currencies
            },
        )

    async def _trade_balance(self, request: web.Request) -> web.StreamResponse:
        return await self._private(
            request, lambda account, body: self._trade_answer(request, account, body)
        )

    def _trade_answer(
        self, request: web.Request, account: SimAccount, body: dict[str, Any]
    ) -> web.Response:
        def entry(ticker: str) -> dict[str, str]:
            available, freeze = account.trade.get(ticker, ("0", "0"))
            return {"available": available, "freeze": freeze}

        if "ticker" in body:
            ticker = body["ticker"]
            if not isinstance(ticker, str):
                return self._answer(request, 422, _validation({"ticker": ["validation.string"]}))
            if ticker not in self.currencies:
                return self._answer(request, 422, CURRENCY_NOT_FOUND)
            return self._answer(request, 200, entry(ticker))
        # Unlike the main account's answer, only currencies with a balance are listed.
        return self._answer(
            request,
            200,
            {
                ticker: entry(ticker)
                for ticker in self.currencies
                if any(Decimal(amount) for amount in account.trade.get(ticker, ()))
            },
        )

    async def _collateral_balance(self, request: web.Request) -> web.StreamResponse:
        def answer(account: SimAccount, _body: dict[str, Any]) -> web.Response:
            self.stats.count(request.path, 200)
            if account.collateral_as_strings:
                return web.json_response(account.collateral)
            # Numbers written from the decimal text itself, never through a float.
            numbers = ",".join(f"{json.dumps(t)}:{a}" for t, a in account.collateral.items())
            return web.Response(text="{" + numbers + "}", content_type="application/json")

        return await self._private(request, answer)

    async def _margin_answer(self, request: web.Request) -> web.StreamResponse:
        def answer(account: SimAccount, _body: dict[str, Any]) -> web.Response:
            self.stats.count(request.path, 200)
            margin, collateral = account.margin, account.collateral
            if request.path == COLLATERAL_SUMMARY_PATH:
                return web.json_response(margin.summary(collateral))
            return web.json_response(margin.rest(collateral))

        return await self._private(request, answer)

    async def _orders_answer(self, request: web.Request) -> web.StreamResponse:
        def answer(account: SimAccount, body: dict[str, Any]) -> web.Response:
            return self._answer(request, *account.orders.answer(request.path, body))

        return await self._private(request, answer)

    async def _investments(self, request: web.Request) -> web.StreamResponse:
        """Active or closed flex or fixed investments, a page of limit (≤ 100) from offset.

        As documented: flex filters on `investmentStatus` (1 active, 0 closed), fixed on
        `status` (1 active, 2 closed); a parameter out of range is a 400 "Validation failed".
        """
        flex_path = request.path == FLEX_INVESTMENTS_PATH

        def answer(account: SimAccount, body: dict[str, Any]) -> web.Response:
            limit, offset = body.get("limit", 100), body.get("offset", 0)
            status_field = "investmentStatus" if flex_path else "status"
            status = body.get(status_field)
            errors = {}
            if type(limit) is not int or not 1 <= limit <= 100:  # noqa: PLR2004 - documented
                errors["limit"] = ["The limit must be between 1 and 100."]
            if type(offset) is not int or not 0 <= offset <= 10000:  # noqa: PLR2004
                errors["offset"] = ["The offset must be between 0 and 10000."]
            valid = (0, 1) if flex_path else (1, 2)
            if status is not None and (type(status) is not int or status not in valid):
                errors[status_field] = [f"The selected {status_field} is invalid."]
            if errors:
                return self._answer(request, 400, _validation(errors))
            if flex_path:
                # Every simulated flex investment is active.
                flex = [
                    {
                        "id": f"inv_flex-{n}",
                        "planId": "plan",
                        "currency": currency,
                        "invested": amount,
                        "withAutoReinvest": True,
                        "status": 1,
                        "createdAt": 0,
                        "updatedAt": 0,
                    }
                    for n, (currency, amount) in enumerate(account.flex)
                    if status in {None, 1}
                ]
                page = flex[offset : offset + limit]
                return self._answer(request, 200, {"data": page, "limit": limit, "offset": offset})
            fixed = [
                {
                    "id": f"fixed-{n}",
                    "plan": {"id": "plan", "ticker": ticker, "status": 1, "percent": "10"},
                    "status": state,
                    "created": 0,
                    "updated": 0,
                    "paymentTime": 0,
                    "amount": amount,
                    "interestPaid": "0",
                }
                for n, (ticker, amount, state) in enumerate(account.fixed)
                if status is None or state == status
            ]
            page = fixed[offset : offset + limit]
            return self._answer(request, 200, {"offset": offset, "limit": limit, "records": page})

        return await self._private(request, answer)

    async def _subaccount_answer(self, request: web.Request) -> web.StreamResponse:
        def answer(account: SimAccount, body: dict[str, Any]) -> web.Response:
            subaccounts = account.subaccounts
            if request.path == SUBACCOUNT_PATHS[0]:
                return self._answer(request, *subaccounts.list_answer(body))
            return self._answer(request, *subaccounts.balances_answer(body, self.currencies))

        return await self._private(request, answer)

    async def _websocket_token(self, request: web.Request) -> web.StreamResponse:
        return await self._private(
            request,
            lambda account, _body: self._answer(
                request, 200, {"websocket_token": self.stream.issue_token(account.api_key)}
            ),
        )

    async def _date_header(self, _request: web.Request, response: web.StreamResponse) -> None:
        """Date from the exchange's own clock, as WhiteBIT's servers send theirs."""
        response.headers["Date"] = formatdate(self._wall_clock(), usegmt=True)

    async def _public(
        self, request: web.Request, answer: Callable[[], object]
    ) -> web.StreamResponse:
        """Serve a queued fault, the public rate limit (not JSON), or the answer."""
        if fault := self._take_fault(request.path):
            return await self._serve_fault(request, fault)
        if self._over_limit(request.remote or "", request.path):
            self.stats.count(request.path, 429)
            return web.Response(status=429, text=PUBLIC_TOO_MANY, content_type="text/html")
        return self._answer(request, 200, answer())

    async def _public_ticker(self, request: web.Request) -> web.StreamResponse:
        def ticker() -> dict[str, Any]:
            ids = self._ids()
            return {
                name: {
                    "base_id": ids.get(name.partition("_")[0], 0),
                    "quote_id": ids.get(name.partition("_")[2], 0),
                    "last_price": market.last_price,
                    "quote_volume": "1000000",
                    "base_volume": "1000",
                    "isFrozen": market.frozen,
                    "change": market.change,
                }
                for name, market in self.markets.items()
            }

        return await self._public(request, ticker)

    async def _public_markets(self, request: web.Request) -> web.StreamResponse:
        def markets() -> list[dict[str, Any]]:
            return [
                {
                    "name": name,
                    "stock": name.partition("_")[0],
                    "money": name.partition("_")[2],
                    "stockPrec": str(PRECISIONS.get(name.partition("_")[0], 8)),
                    "moneyPrec": str(PRECISIONS.get(name.partition("_")[2], 8)),
                    "feePrec": "4",
                    "makerFee": "0.1",
                    "takerFee": "0.1",
                    "minAmount": "0.001",
                    "minTotal": "0.001",
                    "maxTotal": "10000000000",
                    "tradesEnabled": not market.frozen,
                    "isCollateral": False,
                    "type": "spot",
                    "isTradFiFutures": False,
                    "delistedAt": None,
                }
                for name, market in self.markets.items()
            ]

        return await self._public(request, markets)

    async def _public_assets(self, request: web.Request) -> web.StreamResponse:
        def assets() -> dict[str, Any]:
            ids = self._ids()
            return {
                ticker: {
                    "name": ticker,
                    "unified_cryptoasset_id": ids[ticker],
                    "can_withdraw": True,
                    "can_deposit": True,
                    "min_withdraw": "0",
                    "max_withdraw": "0",
                    "maker_fee": "0.1",
                    "taker_fee": "0.1",
                    "min_deposit": "0",
                    "max_deposit": "0",
                    "currency_precision": PRECISIONS.get(ticker, 8),
                    "is_memo": False,
                    "memo": {"deposit": False, "withdraw": False},
                    "networks": {"deposits": [ticker], "withdraws": [ticker], "default": ticker},
                    "limits": {"deposit": {}, "withdraw": {}},
                    "confirmations": {ticker: 1},
                }
                for ticker in self.currencies
            }

        return await self._public(request, assets)

    def _ids(self) -> dict[str, int]:
        """A stand-in for the CoinMarketCap ids WhiteBIT gives each currency."""
        return {ticker: number for number, ticker in enumerate(self.currencies, start=1)}

    async def _authenticate(self, request: web.Request) -> tuple[SimAccount, dict[str, Any]]:
        """Check a private request the way WhiteBIT does, in WhiteBIT's order."""
        raw = await request.read()
        if self._over_limit(request.remote or "", request.path):
            raise _RejectedError(429, TOO_MANY)
        payload = request.headers.get("X-TXC-PAYLOAD", "")
        if not payload:
            raise _RejectedError(401, {"code": 0, "message": "Payload not provided."})
        if payload != base64.b64encode(raw).decode("ascii") or not _compact(raw):
            # WhiteBIT checks the body against its canonical, space-free serialisation.
            raise _RejectedError(400, INVALID_PAYLOAD)
        account = self._signed_by(request, payload)
        if not account.enabled:
            raise _RejectedError(401, KEY_DISABLED)
        body = self._valid_body(request, raw)
        self._check_nonce(account, body)
        if request.path not in account.permissions:
            raise _RejectedError(
                403, NO_LENDING_ACCESS if request.path in EARN_PATHS else NO_PERMISSION
            )
        return account, body

    def _signed_by(self, request: web.Request, payload: str) -> SimAccount:
        """Return the account whose key signed `payload`."""
        account = self.accounts.get(request.headers.get("X-TXC-APIKEY", ""))
        if account is None:
            raise _RejectedError(401, UNAUTHORIZED)
        expected = hmac.new(
            account.secret.encode(), payload.encode("ascii"), hashlib.sha512
        ).hexdigest()
        if not hmac.compare_digest(request.headers.get("X-TXC-SIGNATURE", ""), expected):
            raise _RejectedError(401, UNAUTHORIZED)
        return account

    @staticmethod
    def _valid_body(request: web.Request, raw: bytes) -> dict[str, Any]:
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise _RejectedError(400, INVALID_PAYLOAD)
        if "request" not in body:
            raise _RejectedError(422, _code0("Request not provided."))
        if body["request"] != request.path:
            raise _RejectedError(422, _validation({"request": ["validation.in"]}))
        if "nonce" not in body:
            raise _RejectedError(422, _code0("Nonce not provided."))
        # An integer in the OpenAPI files; a string of digits in WhiteBIT's own quickstarts and
        # in ccxt. Both are taken.
        nonce = body["nonce"]
        if isinstance(nonce, str) and nonce.isascii() and nonce.isdigit() and len(nonce) <= _DIGITS:
            body["nonce"] = int(nonce)
        elif not isinstance(nonce, int) or isinstance(nonce, bool):
            raise _RejectedError(422, _validation({"nonce": ["validation.integer"]}))
        if not isinstance(body.get("nonceWindow", False), bool):
            raise _RejectedError(422, _code0("Invalid nonceWindow."))
        return body

    def _check_nonce(self, account: SimAccount, body: dict[str, Any]) -> None:
        """Larger than the key's last nonce; or, with nonceWindow, near now and unused."""
        nonce: int = body["nonce"]
        if not body.get("nonceWindow", False):
            if nonce <= account.last_nonce:
                raise _RejectedError(429, TOO_MANY)
            account.last_nonce = nonce
            return
        now = int(self._wall_clock() * 1000)
        if abs(nonce - now) > NONCE_WINDOW_MS:
            raise _RejectedError(422, NONCE_OUTSIDE_WINDOW)
        account.window_nonces = {n for n in account.window_nonces if now - n <= NONCE_WINDOW_MS}
        if nonce in account.window_nonces:
            raise _RejectedError(429, TOO_MANY)
        account.window_nonces.add(nonce)

    def _over_limit(self, who: str, path: str) -> bool:
        now = self._clock()
        recent = self._recent.setdefault((who, path), deque())
        window = RATE_WINDOWS.get(path, self._rate_window)
        while recent and now - recent[0] >= window:
            recent.popleft()
        if len(recent) >= self.rate_limits[path]:
            return True
        recent.append(now)
        return False

    async def _serve_fault(self, request: web.Request, fault: Fault) -> web.StreamResponse:
        """Answer (or fail to answer) the way `fault` says, in place of WhiteBIT."""
        await request.read()
        self.stats.count(request.path, 0 if fault.action == "drop" else fault.status)
        if fault.delay:
            await asyncio.sleep(fault.delay)
        transport = request.transport
        if fault.action == "drop":
            if transport is not None:
                transport.abort()
            return web.Response()
        # surrogateescape: a fault's text can carry any byte ("\udcff" is the byte 0xff), so a
        # body that is not UTF-8 at all can be served too.
        body = fault.body.encode("utf-8", "surrogateescape")
        if fault.action == "truncate":
            response = web.StreamResponse(status=fault.status, headers=fault.headers)
            response.content_length = len(body)
            await response.prepare(request)
            await response.write(body[: len(body) // 2])
            if transport is not None:
                transport.abort()
            return response
        return web.Response(status=fault.status, body=body, headers=fault.headers)

    def _answer(self, request: web.Request, status: int, body: object) -> web.Response:
        self.stats.count(request.path, status)
        return web.json_response(body, status=status)

    async def _api_keys_page(self, _request: web.Request) -> web.Response:
        keys = "".join(f"<li>…{key[-4:]}</li>" for key in self.accounts)
        return web.Response(
            text=f"<!doctype html><title>API keys</title><h1>API keys</h1><ul>{keys}</ul>",
            content_type="text/html",
        )

    # --- control endpoints ----------------------------------------------------------------

    async def _state(self, _request: web.Request) -> web.Response:
        return web.json_response(
            {
                "currencies": self.currencies,
                "accounts": {
                    key: {
                        "enabled": account.enabled,
                        "balances": account.balances,
                        "trade": account.trade,
                    }
                    for key, account in self.accounts.items()
                },
                "markets": {
                    name: {"last_price": market.last_price, "frozen": market.frozen}
                    for name, market in self.markets.items()
                },
                "requests": self.stats.requests,
                "statuses": {str(k): v for k, v in self.stats.statuses.items()},
                "faults_queued": len(self.faults),
                "stream": {
                    **self.stream.stats.as_dict(),
                    "open": self.stream.open_connections,
                },
            }
        )

    async def _set_balance(self, request: web.Request) -> web.Response:
        """Set a balance: {"api_key", "ticker", "amount"}, of the main account.

        For the trade account: {"api_key", "ticker", "account": "trade", "available", "freeze"};
        for the collateral account: {"api_key", "ticker", "account": "collateral", "amount"}.
        Either is streamed (balanceSpot, balanceMargin) at the next update, as any change is.
        """
        data = await request.json()
        account = self.accounts.get(data.get("api_key", ""))
        trade = data.get("account") == "trade"
        amounts = [
            str(data.get(k, "")) for k in (("available", "freeze") if trade else ("amount",))
        ]
        if account is None or not isinstance(data.get("ticker"), str) or not _decimals(*amounts):
            return web.json_response({"error": "unknown key or invalid amount"}, status=400)
        if trade:
            account.trade[data["ticker"]] = (amounts[0], amounts[1])
        elif data.get("account") == "collateral":
            account.collateral[data["ticker"]] = amounts[0]
        else:
            account.balances[data["ticker"]] = amounts[0]
        self.list_currency(data["ticker"])
        return web.json_response({"ok": True})

    async def _set_position(self, request: web.Request) -> web.Response:
        """Open, move or close a position: {"api_key", "market", "side", figures or "close"}."""
        data = await request.json()
        account = self.accounts.get(data.get("api_key", "")) if isinstance(data, dict) else None
        error = "unknown key" if account is None else account.margin.control(data)
        if error is not None:
            return web.json_response({"error": error}, status=400)
        return web.json_response({"ok": True})

    async def _set_subaccount(self, request: web.Request) -> web.Response:
        """Add, rename, block, fund or delete a sub-account: {"api_key", "id", …} (see there)."""
        data = await request.json()
        account = self.accounts.get(data.get("api_key", "")) if isinstance(data, dict) else None
        error = "unknown key" if account is None else account.subaccounts.control(data)
        if error is not None:
            return web.json_response({"error": error}, status=400)
        return web.json_response({"ok": True})

    async def _order_control(self, request: web.Request) -> web.Response:
        """Place or fill an order, add or move a deposit or withdrawal (simulator.orders)."""
        data = await request.json()
        account = self.accounts.get(data.get("api_key", "")) if isinstance(data, dict) else None
        if account is None:
            return web.json_response({"error": "unknown key"}, status=400)
        reply, status = await order_control(request.path, account.orders, data, self.stream)
        return web.json_response(reply, status=status)

    async def _set_price(self, request: web.Request) -> web.Response:
        """Open, reprice, freeze or close a market.

        {"market", "last_price"?, "frozen"?, "change"?}: no last_price closes it.
        """
        data = await request.json()
        market = data.get("market")
        base, _, quote = str(market).partition("_")
        if not isinstance(market, str) or not base or not quote:
            return web.json_response({"error": "market must be BASE_QUOTE"}, status=400)
        if data.get("last_price") is None:
            self.markets.pop(market, None)
            return web.json_response({"ok": True})
        price = str(data["last_price"])
        if not _decimals(price):
            return web.json_response({"error": "invalid last_price"}, status=400)
        self.set_price(market, price, frozen=bool(data.get("frozen", False)))
        if "change" in data:
            self.markets[market].change = str(data["change"])
        return web.json_response({"ok": True})

    async def _set_key(self, request: web.Request) -> web.Response:
        """Create, enable or disable a key: {"api_key", "secret"?, "enabled"?}."""
        data = await request.json()
        api_key = data.get("api_key")
        if not isinstance(api_key, str) or not api_key:
            return web.json_response({"error": "api_key required"}, status=400)
        account = self.accounts.get(api_key)
        if account is None:
            if not isinstance(data.get("secret"), str):
                return web.json_response({"error": "secret required"}, status=400)
            account = self.add_account(api_key, data["secret"], data.get("balances"))
        if "enabled" in data:
            account.enabled = bool(data["enabled"])
        return web.json_response({"ok": True})

    async def _add_fault(self, request: web.Request) -> web.Response:
        """Queue faults: {"action"?, "status"?, "body"?, "headers"?, "delay"?, "times"?}."""
        data = await request.json()
        try:
            fault = Fault.from_json(data)
            times = int(data.get("times", 1))
        except (TypeError, ValueError) as err:
            return web.json_response({"error": str(err)}, status=400)
        self.inject(*[fault] * times)
        return web.json_response({"ok": True, "queued": len(self.faults)})

    async def _stream_fault(self, request: web.Request) -> web.Response:
        """Misbehave on the open WebSocket connections: {"action": drop|silence|garbage|error}."""
        action = (await request.json()).get("action")
        if action not in STREAM_FAULTS:
            return web.json_response(
                {"error": f"action must be one of {STREAM_FAULTS}"}, status=400
            )
        await self.stream.inject(action)
        return web.json_response({"ok": True, "open": self.stream.open_connections})


def _decimals(*amounts: str) -> bool:
    """Whether every amount is a finite decimal number."""
    try:
        return all(Decimal(amount).is_finite() for amount in amounts)
    except InvalidOperation:
        return False


def demo_simulator(*, margin: bool = False) -> WhiteBitSimulator:
    """Return a simulator with the demo account, its markets, and a few more currencies.

    With `margin`, the account also has collateral and one open position (the developer's
    demo); the tests' exchange has neither unless a test gives them.
    """
    simulator = WhiteBitSimulator([*DEMO_BALANCES, "LTC", "TRX", "TON", "USDC", "WBT"])
    account = simulator.add_account(DEMO_KEY, DEMO_SECRET, DEMO_BALANCES, DEMO_TRADE)
    account.flex, account.fixed = list(DEMO_FLEX), list(DEMO_FIXED)
    account.subaccounts = demo_subaccounts()
    if margin:
        account.collateral = dict(DEMO_COLLATERAL)
        account.margin.control(DEMO_POSITION)
    for market, (price, frozen) in DEMO_MARKETS.items():
        simulator.set_price(market, price, frozen=frozen)
    return simulator
