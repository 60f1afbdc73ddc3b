"""The simulated sub-accounts answer as WhiteBIT documents, and refuse what WhiteBIT refuses.

Requests are signed by the documented recipe (tests/signer.py), not by the client.
"""

from typing import Any

from aiohttp import ClientSession
import pytest

from simulator import (
    DEMO_KEY,
    DEMO_SECRET,
    DEMO_SUBACCOUNTS,
    SUBACCOUNT_BALANCES_PATH,
    SUBACCOUNT_LIST_PATH,
    SUBACCOUNT_PATHS,
    WhiteBitSimulator,
)

from .signer import documented_body, documented_headers

SAVINGS = str(DEMO_SUBACCOUNTS[0]["id"])
BOT = str(DEMO_SUBACCOUNTS[1]["id"])


class _Caller:
    """Signs each request with the next nonce, as WhiteBIT's recipe does."""

    def __init__(self, session: ClientSession, url: str, key: str = DEMO_KEY) -> None:
        self.session, self.url, self.key, self.nonce = session, url, key, 0

    async def post(self, path: str, **params: Any) -> tuple[int, Any]:
        self.nonce += 1
        body = documented_body(path, self.nonce, **params)
        headers = documented_headers(self.key, DEMO_SECRET, body)
        async with self.session.post(self.url + path, data=body, headers=headers) as response:
            return response.status, await response.json()

    async def control(self, **data: Any) -> tuple[int, Any]:
        async with self.session.post(
            f"{self.url}/_sim/subaccount", json={"api_key": self.key, **data}
        ) as response:
            return response.status, await response.json()


@pytest.fixture
def caller(session: ClientSession, sim_url: str) -> _Caller:
    """A signed caller of the demo key."""
    return _Caller(session, sim_url)


async def test_the_demo_list_in_the_documented_shape(caller: _Caller) -> None:
    """{offset, limit, data}: the demo's two, with every documented field, default limit 30."""
    status, body = await caller.post(SUBACCOUNT_LIST_PATH)
    assert status == 200
    assert (body["offset"], body["limit"]) == (0, 30)
    assert [(r["id"], r["alias"], r["status"]) for r in body["data"]] == [
        (SAVINGS, "Savings", "active"),
        (BOT, "Trading bot", "active"),
    ]
    assert set(body["data"][0]) == {
        "id",
        "alias",
        "userId",
        "email",
        "status",
        "color",
        "kyc",
        "permissions",
    }
    assert body["data"][1]["permissions"] == {"spotEnabled": True, "collateralEnabled": True}


async def test_pages_search_and_validation(caller: _Caller) -> None:
    """A page of limit from offset; search on the alias; out of range is a 400."""
    assert (await caller.post(SUBACCOUNT_LIST_PATH, limit=1, offset=1))[1]["data"][0]["id"] == BOT
    assert (await caller.post(SUBACCOUNT_LIST_PATH, offset=2))[1]["data"] == []
    _, found = await caller.post(SUBACCOUNT_LIST_PATH, search="trad")
    assert [r["id"] for r in found["data"]] == [BOT]
    for bad in ({"limit": 0}, {"limit": 101}, {"offset": 10001}, {"offset": "0"}, {"search": 1}):
        status, body = await caller.post(SUBACCOUNT_LIST_PATH, **bad)
        assert status == 400
        assert body["message"] == "Validation failed"
        assert set(body["errors"]) == set(bad)


async def test_balances_a_list_per_currency(caller: _Caller, simulator: WhiteBitSimulator) -> None:
    """Every listed currency, each a list of one {main, spot, collateral}; or one ticker."""
    status, body = await caller.post(SUBACCOUNT_BALANCES_PATH, id=BOT)
    assert status == 200
    assert set(body) == set(simulator.currencies)
    assert body["USDT"] == [{"main": "10", "spot": "740.5", "collateral": "300"}]
    assert body["BTC"] == [{"main": "0", "spot": "0", "collateral": "0"}]
    assert await caller.post(SUBACCOUNT_BALANCES_PATH, id=SAVINGS, ticker="BTC") == (
        200,
        {"BTC": [{"main": "0.25", "spot": "0", "collateral": "0"}]},
    )
    status, body = await caller.post(SUBACCOUNT_BALANCES_PATH, id=SAVINGS, ticker="NOPE")
    assert (status, body["errors"]) == (422, {"ticker": ["Currency was not found."]})


async def test_refusals_of_one_sub_account(caller: _Caller, simulator: WhiteBitSimulator) -> None:
    """Unknown id 400, unconfirmed 422, blocked answered unless refuse_blocked is set."""
    status, body = await caller.post(SUBACCOUNT_BALANCES_PATH, id="nope")
    assert (status, body["errors"]) == (400, {"id": ["validation.exists"]})
    assert (await caller.post(SUBACCOUNT_BALANCES_PATH))[0] == 400
    assert (await caller.control(id=SAVINGS, confirmed=False))[0] == 200
    assert await caller.post(SUBACCOUNT_BALANCES_PATH, id=SAVINGS) == (
        422,
        {"code": 0, "message": "Account is not confirmed"},
    )
    assert (await caller.control(id=BOT, status="blocked"))[0] == 200
    assert (await caller.post(SUBACCOUNT_BALANCES_PATH, id=BOT))[0] == 200
    simulator.accounts[DEMO_KEY].subaccounts.refuse_blocked = True
    assert await caller.post(SUBACCOUNT_BALANCES_PATH, id=BOT) == (
        400,
        {"code": 400, "message": "Sub-account is not active"},
    )


async def test_control_adds_renames_funds_and_deletes(caller: _Caller) -> None:
    """Each change is in the next answer."""
    assert await caller.control(id="new", alias="Kids", balances={"ETH": {"spot": "2"}}) == (
        200,
        {"ok": True},
    )
    await caller.control(id="new", alias="Family", balances={"ETH": {"main": "1"}})
    _, listed = await caller.post(SUBACCOUNT_LIST_PATH)
    assert [r["alias"] for r in listed["data"]] == ["Savings", "Trading bot", "Family"]
    _, eth = await caller.post(SUBACCOUNT_BALANCES_PATH, id="new", ticker="ETH")
    assert eth == {"ETH": [{"main": "1", "spot": "2", "collateral": "0"}]}
    await caller.control(id=SAVINGS, delete=True)
    _, listed = await caller.post(SUBACCOUNT_LIST_PATH)
    assert [r["id"] for r in listed["data"]] == [BOT, "new"]


@pytest.mark.parametrize(
    "bad",
    [
        {},
        {"id": ""},
        {"id": "x", "delete": True},
        {"id": "x", "alias": 1},
        {"id": "x", "confirmed": "no"},
        {"id": "x", "balances": []},
        {"id": "x", "balances": {"BTC": {"free": "1"}}},
        {"id": "x", "balances": {"BTC": {"main": "NaN"}}},
        {"id": "x", "balances": {"BTC": {"main": "lots"}}},
    ],
)
async def test_control_refuses_nonsense(caller: _Caller, bad: dict[str, Any]) -> None:
    """Nothing half-applied: a 400 and the sub-accounts as they were."""
    status, body = await caller.control(**bad)
    assert status == 400
    assert body["error"]
    assert len((await caller.post(SUBACCOUNT_LIST_PATH))[1]["data"]) == 2


async def test_unknown_key_for_control(session: ClientSession, sim_url: str) -> None:
    """The control API names the key it changes."""
    assert (await _Caller(session, sim_url, key="nobody").control(id="x"))[0] == 400


async def test_the_same_checks_as_every_private_endpoint(
    caller: _Caller, simulator: WhiteBitSimulator
) -> None:
    """Signature, nonce order, permission (403, WhiteBIT's text) and 1,000 per 10 s."""
    assert all(simulator.rate_limits[path] == 1000 for path in SUBACCOUNT_PATHS)
    body = documented_body(SUBACCOUNT_LIST_PATH, 99)
    headers = documented_headers(DEMO_KEY, "wrong", body)
    async with caller.session.post(
        caller.url + SUBACCOUNT_LIST_PATH, data=body, headers=headers
    ) as response:
        assert response.status == 401
    assert (await caller.post(SUBACCOUNT_LIST_PATH))[0] == 200
    caller.nonce = 0
    assert (await caller.post(SUBACCOUNT_LIST_PATH))[0] == 429
    caller.nonce = 100
    simulator.accounts[DEMO_KEY].permissions.discard(SUBACCOUNT_BALANCES_PATH)
    status, refused = await caller.post(SUBACCOUNT_BALANCES_PATH, id=BOT)
    assert status == 403
    assert refused["message"].startswith("You don't have permission to use this endpoint")
    # Three list requests so far in this window, refused ones included, as WhiteBIT counts.
    simulator.set_rate_limit(5, SUBACCOUNT_LIST_PATH)
    statuses = [(await caller.post(SUBACCOUNT_LIST_PATH))[0] for _ in range(3)]
    assert statuses == [200, 200, 429]
