"""The simulator against clients nobody on this project wrote: ccxt, and WhiteBIT's own recipe.

A test of the integration's client against the simulator only proves that the two agree. These
prove that the simulator takes what WhiteBIT takes: ccxt's whole WhiteBIT flow (markets, assets,
a string nonce, both balances, the ticker), and a request signed by WhiteBIT's documented recipe
with a string nonce and `nonceWindow`.
"""

import asyncio
import json
from pathlib import Path
import sys
import time

from aiohttp import ClientSession

from simulator import (
    DEMO_BALANCES,
    DEMO_KEY,
    DEMO_MARKETS,
    DEMO_SECRET,
    DEMO_SUBACCOUNTS,
    DEMO_TRADE,
    MAIN_BALANCE_PATH,
    SUBACCOUNT_BALANCES_PATH,
    SUBACCOUNT_LIST_PATH,
    TRADE_BALANCE_PATH,
    WhiteBitSimulator,
)

from .signer import documented_body, documented_headers

ROOT = Path(__file__).resolve().parent.parent
CCXT_PYTHON = ROOT / ".venv-ccxt" / "bin" / "python"


async def test_ccxt_reads_the_demo_account(sim_url: str, simulator: WhiteBitSimulator) -> None:
    """The ccxt client (4.5.90), unchanged but for the host, reads the demo's exact figures."""
    assert CCXT_PYTHON.exists(), "scripts/setup provisions .venv-ccxt"
    process = await asyncio.create_subprocess_exec(
        str(CCXT_PYTHON),
        str(ROOT / "tests" / "ccxt_probe.py"),
        sim_url,
        DEMO_KEY,
        DEMO_SECRET,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, stderr.decode()[-2000:]
    seen = json.loads(stdout)

    assert seen["markets"] == sorted(name.replace("_", "/") for name in DEMO_MARKETS)
    assert set(simulator.currencies) <= set(seen["currencies"])
    # The trade account: only what it holds, to the digit.
    assert seen["trade_info"] == {
        ticker: {"available": available, "freeze": freeze}
        for ticker, (available, freeze) in DEMO_TRADE.items()
    }
    # ccxt's own reading of them (floats, as ccxt keeps balances).
    assert seen["trade_free"] == {t: float(available) for t, (available, _) in DEMO_TRADE.items()}
    assert seen["trade_used"] == {t: float(freeze) for t, (_, freeze) in DEMO_TRADE.items()}
    # The main account (ccxt's account=main): every listed currency, zeros included.
    assert seen["main_info"] == {
        ticker: {"main_balance": DEMO_BALANCES.get(ticker, "0")} for ticker in simulator.currencies
    }
    assert seen["main_total"] == {
        ticker: float(DEMO_BALANCES.get(ticker, "0")) for ticker in simulator.currencies
    }
    assert seen["tickers"] == {
        name.replace("_", "/"): {"raw": price, "last": float(price)}
        for name, (price, _frozen) in DEMO_MARKETS.items()
    }
    # The sub-accounts, through ccxt's generic private calls (it has no unified method).
    assert [(s["id"], s["alias"]) for s in seen["subaccounts"]["data"]] == [
        (demo["id"], demo["alias"]) for demo in DEMO_SUBACCOUNTS
    ]
    assert seen["subaccount_balances"]["BTC"] == [{"main": "0.25", "spot": "0", "collateral": "0"}]
    # ccxt sends its nonce as a string; each of its signed requests was accepted.
    for path in (
        MAIN_BALANCE_PATH,
        TRADE_BALANCE_PATH,
        SUBACCOUNT_LIST_PATH,
        SUBACCOUNT_BALANCES_PATH,
    ):
        assert simulator.stats.requests[path] == 1
    assert simulator.stats.statuses.get(200, 0) == sum(simulator.stats.statuses.values())


async def test_documented_recipe_with_nonce_window(
    sim_url: str, simulator: WhiteBitSimulator
) -> None:
    """WhiteBIT's recipe, string nonce and nonceWindow: accepted once, refused when reused."""
    nonce = str(int(time.time() * 1000))
    body = documented_body(TRADE_BALANCE_PATH, nonce, nonceWindow=True)
    headers = documented_headers(DEMO_KEY, DEMO_SECRET, body)
    async with ClientSession() as session:
        async with session.post(sim_url + TRADE_BALANCE_PATH, data=body, headers=headers) as answer:
            assert answer.status == 200
            assert (await answer.json())["BTC"] == {"available": "0.1", "freeze": "0.02"}
        async with session.post(sim_url + TRADE_BALANCE_PATH, data=body, headers=headers) as answer:
            assert answer.status == 429
            assert (await answer.json())["message"] == "Too many requests."
    assert sys.version_info >= (3, 14)
