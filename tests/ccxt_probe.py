"""Run ccxt's WhiteBIT client against a server and print what it read, as JSON.

Run by tests/test_independent_clients.py with .venv-ccxt's Python (ccxt pins packages Home
Assistant pins differently): `python tests/ccxt_probe.py BASE_URL API_KEY API_SECRET`.
"""

import json
import sys

import ccxt  # type: ignore[import-not-found]


def main() -> None:
    """Load markets, fetch both balances, every ticker, the sub-accounts; print what was read."""
    base_url, api_key, secret = sys.argv[1:4]
    exchange = ccxt.whitebit(
        {
            "apiKey": api_key,
            "secret": secret,
            "enableRateLimit": False,
            "enableLastJsonResponse": True,
        }
    )
    # Only the host changes: every path is ccxt's own.
    exchange.urls["api"]["v4"] = {
        "public": f"{base_url}/api/v4/public",
        "private": f"{base_url}/api/v4",
    }
    trade = exchange.fetch_balance()
    trade_raw = exchange.last_json_response
    main_account = exchange.fetch_balance({"account": "main"})
    main_raw = exchange.last_json_response
    tickers = exchange.fetch_tickers()
    # ccxt has no unified method for sub-accounts: its generic private calls reach them.
    subaccounts = exchange.v4PrivatePostSubAccountList({"limit": 100, "offset": 0})
    first = subaccounts["data"][0]["id"]
    subaccount_balances = exchange.v4PrivatePostSubAccountBalances({"id": first})
    print(  # noqa: T201 - the test reads stdout
        json.dumps(
            {
                "markets": sorted(exchange.markets),
                "currencies": sorted(exchange.currencies),
                "trade_info": trade_raw,
                "trade_free": trade["free"],
                "trade_used": trade["used"],
                "main_info": main_raw,
                "main_total": main_account["total"],
                "subaccounts": subaccounts,
                "subaccount_balances": subaccount_balances,
                "tickers": {
                    symbol: {"raw": ticker["info"]["last_price"], "last": ticker["last"]}
                    for symbol, ticker in tickers.items()
                },
            }
        )
    )


if __name__ == "__main__":
    main()
