"""The simulated sub-accounts of one account: WhiteBIT's list and balances answers, and control.

Shapes from WhiteBIT's OpenAPI file (`SubAccount`, `/sub-account/list`, `/sub-account/balances`):
the list is `{offset, limit, data: [record]}`, a page of `limit` (1 to 100, default 30) from
`offset` (≤ 10000), filtered by `search`; the balances are `{ticker: [{main, spot,
collateral}]}`, every listed currency, or one with `ticker`. Documented refusals: 422 "Account is
not confirmed"; for an id that is not the account's, and for a blocked sub-account, the
bodies kyc-url documents ("validation.exists", "Sub-account is not active"). Whether the
balances of a blocked sub-account are refused is not documented: here they are answered (its
funds are still there), and `refuse_blocked` makes them refused.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Final

SUBACCOUNT_LIST_PATH: Final = "/api/v4/sub-account/list"
SUBACCOUNT_BALANCES_PATH: Final = "/api/v4/sub-account/balances"
SUBACCOUNT_PATHS: Final = (SUBACCOUNT_LIST_PATH, SUBACCOUNT_BALANCES_PATH)
ACTIVE: Final = "active"
BLOCKED: Final = "blocked"
NOT_CONFIRMED: Final = {"code": 0, "message": "Account is not confirmed"}
NOT_ACTIVE: Final = {"code": 400, "message": "Sub-account is not active"}
NOT_FOUND: Final = {
    "code": 0,
    "message": "Validation failed",
    "errors": {"id": ["validation.exists"]},
}
_DEFAULT_LIMIT: Final = 30
_MAX_LIMIT: Final = 100
_MAX_OFFSET: Final = 10000
_ACCOUNTS: Final = ("main", "spot", "collateral")

# The demo's two sub-accounts: savings on the main account, a bot trading on spot and margin.
DEMO_SUBACCOUNTS: Final = (
    {
        "id": "8e667b4a-0b71-4988-8af5-9474dbfaeb51",
        "alias": "Savings",
        "balances": {"USDT": {"main": "2500"}, "BTC": {"main": "0.25"}},
    },
    {
        "id": "3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
        "alias": "Trading bot",
        "collateral_enabled": True,
        "balances": {"USDT": {"main": "10", "spot": "740.5", "collateral": "300"}},
    },
)


@dataclass
class SimSubAccount:
    """One sub-account: its record's fields, and per currency (main, spot, collateral)."""

    id: str
    alias: str
    status: str = ACTIVE
    confirmed: bool = True
    spot_enabled: bool = True
    collateral_enabled: bool = False
    balances: dict[str, tuple[str, str, str]] = field(default_factory=dict)

    def record(self) -> dict[str, Any]:
        """As the list gives it, with the fields the integration must not keep (e-mail…)."""
        return {
            "id": self.id,
            "alias": self.alias,
            "userId": f"u-{self.id[:8]}",
            "email": "s***@example.com",
            "status": self.status,
            "color": "#FF5733",
            "kyc": {"shareKyc": False, "kycStatus": "verified"},
            "permissions": {
                "spotEnabled": self.spot_enabled,
                "collateralEnabled": self.collateral_enabled,
            },
        }


@dataclass
class SimSubAccounts:
    """The sub-accounts of one account, in the order they were created."""

    accounts: dict[str, SimSubAccount] = field(default_factory=dict)
    refuse_blocked: bool = False

    def list_answer(self, body: dict[str, Any]) -> tuple[int, object]:
        """A page of the list, or WhiteBIT's 400 for a limit, offset or search out of range."""
        limit, offset = body.get("limit", _DEFAULT_LIMIT), body.get("offset", 0)
        search = body.get("search", "")
        errors = {}
        if type(limit) is not int or not 1 <= limit <= _MAX_LIMIT:
            errors["limit"] = ["The limit must be between 1 and 100."]
        if type(offset) is not int or not 0 <= offset <= _MAX_OFFSET:
            errors["offset"] = ["The offset must be between 0 and 10000."]
        if not isinstance(search, str):
            errors["search"] = ["The search must be a string."]
        if errors:
            return 400, {"code": 0, "message": "Validation failed", "errors": errors}
        found = [
            account.record()
            for account in self.accounts.values()
            if search.casefold() in account.alias.casefold()
        ]
        return 200, {"offset": offset, "limit": limit, "data": found[offset : offset + limit]}

    def balances_answer(
        self, body: dict[str, Any], currencies: Iterable[str]
    ) -> tuple[int, object]:
        """Every listed currency's balances (or one `ticker`'s), or WhiteBIT's refusal."""
        sub_id = body.get("id")
        account = self.accounts.get(sub_id) if isinstance(sub_id, str) else None
        if account is None:
            return 400, NOT_FOUND
        if not account.confirmed:
            return 422, NOT_CONFIRMED
        if account.status != ACTIVE and self.refuse_blocked:
            return 400, NOT_ACTIVE
        tickers = list(dict.fromkeys([*currencies, *account.balances]))
        if "ticker" in body:
            if body["ticker"] not in tickers:
                errors = {"ticker": ["Currency was not found."]}
                return 422, {"code": 30, "message": "Validation failed", "errors": errors}
            tickers = [body["ticker"]]
        zero = ("0", "0", "0")
        return 200, {
            ticker: [dict(zip(_ACCOUNTS, account.balances.get(ticker, zero), strict=True))]
            for ticker in tickers
        }

    def control(self, data: dict[str, Any]) -> str | None:
        """Add, rename, block, confirm, fund or delete one: None, or what is wrong.

        {"id", "alias"?, "status"?, "confirmed"?, "spot_enabled"?, "collateral_enabled"?,
        "balances"?: {ticker: {"main"?, "spot"?, "collateral"?}}, "delete"?: true}
        """
        sub_id = data.get("id")
        if not isinstance(sub_id, str) or not sub_id:
            return "id required"
        if data.get("delete"):
            return None if self.accounts.pop(sub_id, None) else "unknown sub-account"
        account = self.accounts.get(sub_id) or SimSubAccount(sub_id, "")
        for name in ("alias", "status"):
            if name in data and not isinstance(data[name], str):
                return f"{name} must be a string"
        for name in ("confirmed", "spot_enabled", "collateral_enabled"):
            if name in data and not isinstance(data[name], bool):
                return f"{name} must be true or false"
        balances = data.get("balances", {})
        error = _balances_error(balances)
        if error is not None:
            return error
        account.alias = data.get("alias", account.alias)
        account.status = data.get("status", account.status)
        account.confirmed = data.get("confirmed", account.confirmed)
        account.spot_enabled = data.get("spot_enabled", account.spot_enabled)
        account.collateral_enabled = data.get("collateral_enabled", account.collateral_enabled)
        for ticker, amounts in balances.items():
            old = dict(zip(_ACCOUNTS, account.balances.get(ticker, ("0", "0", "0")), strict=True))
            new = old | {name: str(amounts[name]) for name in _ACCOUNTS if name in amounts}
            account.balances[ticker] = (new["main"], new["spot"], new["collateral"])
        self.accounts[sub_id] = account
        return None


def _balances_error(balances: object) -> str | None:
    if not isinstance(balances, dict):
        return "balances must be an object"
    for ticker, amounts in balances.items():
        if not isinstance(amounts, dict) or not set(amounts) <= set(_ACCOUNTS):
            return f"balances of {ticker} must be an object of main, spot, collateral"
        try:
            if not all(Decimal(str(amount)).is_finite() for amount in amounts.values()):
                return f"invalid amount for {ticker}"
        except InvalidOperation:
            return f"invalid amount for {ticker}"
    return None


def demo_subaccounts() -> SimSubAccounts:
    """The demo's sub-accounts, freshly made."""
    subaccounts = SimSubAccounts()
    for demo in DEMO_SUBACCOUNTS:
        subaccounts.control(dict(demo))
    return subaccounts
