"""A local stand-in for WhiteBIT's private balance API, as strict as the real one.

It checks what WhiteBIT checks (key, payload, signature, request path, nonce order, rate limit)
and answers with WhiteBIT's documented bodies and statuses, so the client and the integration can
be tested against real HTTP on loopback. A small control API under /_sim lets tests and the
developer loop change balances, revoke keys and inject faults while it runs.
"""

from __future__ import annotations

import asyncio
import base64
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
import hashlib
import hmac
import json
import time
from typing import TYPE_CHECKING, Any, Final, Literal, get_args

from aiohttp import web

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

MAIN_BALANCE_PATH: Final = "/api/v4/main-account/balance"
RATE_LIMIT: Final = 1000
RATE_WINDOW: Final = 10.0

UNAUTHORIZED: Final = {"code": 10, "message": "Unauthorized request."}
KEY_DISABLED: Final = {
    "code": 2,
    "message": "This action is unauthorized. Enable your key in API settings",
}
NO_PERMISSION: Final = {
    "code": 0,
    "message": "You don't have permission to use this endpoint. Check your API key settings.",
    "errors": {},
}
TOO_MANY: Final = {"code": 0, "errors": {}, "message": "Too many requests."}

DEMO_KEY: Final = "demo-key-0000000000000000000000000"
DEMO_SECRET: Final = "demo-secret-000000000000000000000"  # noqa: S105 - a public demo value
DEMO_BALANCES: Final = {
    "BTC": "0.51234567",
    "ETH": "0",
    "USDT": "1234.56",
    "UAH": "0",
    "DOGE": "12345.123456789012345678",
    "XRP": "0",
    "SOL": "3.25",
    "EUR": "0",
}


def _validation(errors: dict[str, list[str]]) -> dict[str, Any]:
    return {"code": 0, "message": "Validation failed", "errors": errors}


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
    enabled: bool = True
    permissions: set[str] = field(default_factory=lambda: {MAIN_BALANCE_PATH})
    last_nonce: int = 0


type FaultAction = Literal["answer", "drop", "truncate"]
FAULT_ACTIONS: Final = get_args(FaultAction.__value__)


@dataclass(frozen=True, slots=True)
class Fault:
    """One faulty answer, served instead of the real one to the next private request.

    `answer` sends `status` with `body` (raw text, so anything from HTML to broken JSON) and
    `headers`; `drop` closes the connection without answering; `truncate` announces the whole
    body but closes the connection half-way through it. `delay` seconds pass first, which is
    how a timeout is made.
    """

    status: int = 200
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    action: FaultAction = "answer"
    delay: float = 0.0

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
        )


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
        rate_limit: int = RATE_LIMIT,
        rate_window: float = RATE_WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Create an exchange listing `currencies`, with no accounts yet."""
        self.currencies: list[str] = list(currencies)
        self.accounts: dict[str, SimAccount] = {}
        self.stats = SimStats()
        self._rate_limit = rate_limit
        self._rate_window = rate_window
        self._clock = clock
        self._recent: dict[tuple[str, str], deque[float]] = {}
        self.faults: deque[Fault] = deque()

    def inject(self, *faults: Fault) -> None:
        """Serve these faults, in order, to the next private requests."""
        self.faults.extend(faults)

    def add_account(
        self, api_key: str, secret: str, balances: dict[str, str] | None = None
    ) -> SimAccount:
        """Add a key; currencies in `balances` the exchange did not list become listed."""
        account = SimAccount(api_key, secret, dict(balances or {}))
        for ticker in account.balances:
            if ticker not in self.currencies:
                self.currencies.append(ticker)
        self.accounts[api_key] = account
        return account

    def app(self) -> web.Application:
        """Return the aiohttp application serving the API and the control endpoints."""
        app = web.Application()
        app.router.add_post(MAIN_BALANCE_PATH, self._main_balance)
        app.router.add_get("/_sim/state", self._state)
        app.router.add_post("/_sim/balance", self._set_balance)
        app.router.add_post("/_sim/key", self._set_key)
        app.router.add_post("/_sim/fault", self._add_fault)
        return app

    # --- the private API ------------------------------------------------------------------

    async def _main_balance(self, request: web.Request) -> web.StreamResponse:
        if self.faults:
            return await self._serve_fault(request, self.faults.popleft())
        try:
            account, body = await self._authenticate(request)
        except _RejectedError as rejected:
            return self._answer(request, rejected.status, rejected.body)
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

    async def _authenticate(self, request: web.Request) -> tuple[SimAccount, dict[str, Any]]:
        """Check a private request the way WhiteBIT does, in WhiteBIT's order."""
        raw = await request.read()
        api_key = request.headers.get("X-TXC-APIKEY", "")
        if self._over_limit(api_key or request.remote or "", request.path):
            raise _RejectedError(429, TOO_MANY)
        account = self._signed_by(request, raw)
        if not account.enabled:
            raise _RejectedError(401, KEY_DISABLED)
        body = self._valid_body(request, raw)
        if body["nonce"] <= account.last_nonce:
            raise _RejectedError(429, TOO_MANY)
        account.last_nonce = body["nonce"]
        if request.path not in account.permissions:
            raise _RejectedError(403, NO_PERMISSION)
        return account, body

    def _signed_by(self, request: web.Request, raw: bytes) -> SimAccount:
        """Return the account whose key signed `raw`: payload and signature must both match."""
        account = self.accounts.get(request.headers.get("X-TXC-APIKEY", ""))
        payload = request.headers.get("X-TXC-PAYLOAD", "")
        if account is None or payload != base64.b64encode(raw).decode("ascii"):
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
            raise _RejectedError(422, _validation({"request": ["validation.required"]}))
        if body.get("request") != request.path:
            raise _RejectedError(422, _validation({"request": ["validation.in"]}))
        nonce = body.get("nonce")
        if not isinstance(nonce, int) or isinstance(nonce, bool):
            raise _RejectedError(422, _validation({"nonce": ["validation.integer"]}))
        return body

    def _over_limit(self, who: str, path: str) -> bool:
        now = self._clock()
        recent = self._recent.setdefault((who, path), deque())
        while recent and now - recent[0] >= self._rate_window:
            recent.popleft()
        if len(recent) >= self._rate_limit:
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
        body = fault.body.encode()
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

    # --- control endpoints ----------------------------------------------------------------

    async def _state(self, _request: web.Request) -> web.Response:
        return web.json_response(
            {
                "currencies": self.currencies,
                "accounts": {
                    key: {"enabled": account.enabled, "balances": account.balances}
                    for key, account in self.accounts.items()
                },
                "requests": self.stats.requests,
                "statuses": {str(k): v for k, v in self.stats.statuses.items()},
                "faults_queued": len(self.faults),
            }
        )

    async def _set_balance(self, request: web.Request) -> web.Response:
        data = await request.json()
        account = self.accounts.get(data.get("api_key", ""))
        amount = str(data.get("amount", ""))
        try:
            valid = account is not None and Decimal(amount).is_finite()
        except InvalidOperation:
            valid = False
        if not valid or not isinstance(data.get("ticker"), str):
            return web.json_response({"error": "unknown key or invalid amount"}, status=400)
        assert account is not None  # noqa: S101 - checked by valid
        account.balances[data["ticker"]] = amount
        if data["ticker"] not in self.currencies:
            self.currencies.append(data["ticker"])
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


def demo_simulator() -> WhiteBitSimulator:
    """Return a simulator with the demo account and a few more listed currencies."""
    simulator = WhiteBitSimulator([*DEMO_BALANCES, "LTC", "TRX", "TON", "USDC", "WBT"])
    simulator.add_account(DEMO_KEY, DEMO_SECRET, DEMO_BALANCES)
    return simulator
