"""Constants for the WhiteBIT integration."""

from datetime import timedelta
import logging
from typing import Final

from .pywhitebit import WHITEBIT_EU, WHITEBIT_GLOBAL

DOMAIN: Final = "whitebit"
LOGGER = logging.getLogger(__package__)

CONF_API_SECRET: Final = "api_secret"  # noqa: S105 - a field name, not a secret
CONF_SERVER: Final = "server"
CONF_TICKERS: Final = "tickers"
CONF_ACCOUNTS: Final = "accounts"
CONF_AUTO_TRACK: Final = "auto_track"
CONF_ZERO_BALANCE: Final = "zero_balance"
CONF_QUOTE: Final = "quote_currency"
# Markets (BASE_QUOTE) that get price sensors; absent from entries made before them.
CONF_MARKETS: Final = "markets"

ACCOUNT_MAIN: Final = "main"
ACCOUNT_TRADE: Final = "trade"
# The collateral (margin and futures) account.
ACCOUNT_COLLATERAL: Final = "collateral"
# Crypto lending: active flex and fixed investments.
ACCOUNT_EARN: Final = "earn"
# The main account's sub-accounts: a device each (see subaccounts.py), not an account of its own.
ACCOUNT_SUBACCOUNTS: Final = "subaccounts"
ACCOUNTS: Final = (
    ACCOUNT_MAIN,
    ACCOUNT_TRADE,
    ACCOUNT_COLLATERAL,
    ACCOUNT_EARN,
    ACCOUNT_SUBACCOUNTS,
)
# What a new entry tracks unless the user changes it: coins bought on WhiteBIT sit on the trade
# account, deposits and withdrawals go through the main one, and the total needs both.
# Collateral is for who trades on margin, and needs its own key permission.
DEFAULT_ACCOUNTS: Final = (ACCOUNT_MAIN, ACCOUNT_TRADE)

# What happens to an automatically tracked currency's sensors when its balance goes to zero.
ZERO_REMOVE: Final = "remove"
ZERO_UNAVAILABLE: Final = "unavailable"

# Portfolio valuation: off, or a currency WhiteBIT has markets in. The stored choice is the
# selector's option, which Home Assistant wants lowercase ("usdt"); the ticker is its upper case.
QUOTE_NONE: Final = "none"
# Offered first, in this order, before the other quote currencies of the server's markets; and
# offered when the markets cannot be fetched. Home Assistant's own currency is the default when
# it is among the offered ones, else USDT.
COMMON_QUOTES: Final = ("USDT", "USD", "EUR", "UAH", "BTC")
DEFAULT_QUOTE: Final = "usdt"


def quote_ticker(option: str) -> str | None:
    """The ticker a stored quote option values in, or None for valuation off."""
    return None if option == QUOTE_NONE else option.upper()


# What an entry is called unless the person names it; with the key's end when another entry on
# the same server has it already.
DEFAULT_NAME: Final = "WhiteBIT"

# What entries made before these options existed (minor version 1) did: main balances of the
# chosen currencies, no valuation. Migration fills them in, so such entries make no new request.
LEGACY_OPTIONS: Final = {
    CONF_ACCOUNTS: [ACCOUNT_MAIN],
    CONF_AUTO_TRACK: False,
    CONF_ZERO_BALANCE: ZERO_REMOVE,
    CONF_QUOTE: QUOTE_NONE,
}

# Automatic tracking follows at most this many currencies (each is up to five sensors): a server
# listing thousands of held currencies must not flood Home Assistant with entities.
MAX_AUTO_TRACKED: Final = 100

# The repair issue raised while this machine's clock is too far from WhiteBIT's.
ISSUE_CLOCK: Final = "clock_off"
# Raised per entry while WhiteBIT refuses the key's Earn requests (lending access withdrawn).
ISSUE_EARN: Final = "earn_no_access"
# Raised per entry while WhiteBIT refuses the key's sub-account requests.
ISSUE_SUBACCOUNTS: Final = "subaccounts_no_access"

SERVER_GLOBAL: Final = "global"
SERVER_EU: Final = "eu"
SERVER_CUSTOM: Final = "custom"
SERVER_URLS: Final = {SERVER_GLOBAL: WHITEBIT_GLOBAL, SERVER_EU: WHITEBIT_EU}
SERVER_TITLES: Final = {
    SERVER_GLOBAL: "WhiteBIT Global",
    SERVER_EU: "WhiteBIT EU",
}

# Balances move when the user trades, not every few seconds; five minutes keeps dashboards fresh
# while using a negligible share of the 1,000 requests per 10 s WhiteBIT allows a key. Not an
# option: a user who wants another rate turns polling off and calls homeassistant.update_entity.
SCAN_INTERVAL: Final = timedelta(minutes=5)
# While WhiteBIT's stream is up, the trade account is polled once an hour rather than every poll.
TRADE_RESYNC_POLLS: Final = 12

# Amounts of fiat money and of coins pegged to it read best with cents; everything else with the
# eight decimals exchanges commonly quote crypto in.
FIAT_LIKE_TICKERS: Final = frozenset(
    {
        "USD",
        "EUR",
        "UAH",
        "GBP",
        "PLN",
        "TRY",
        "KZT",
        "GEL",
        "USDT",
        "USDC",
        "DAI",
        "EURR",
        "TUSD",
        "FDUSD",
        "PYUSD",
        "USDE",
    }
)
FIAT_PRECISION: Final = 2
# Digits kept in Decimal arithmetic: enough for any sum or product of 40-digit amounts and
# prices before the last rounding. Python's default context keeps 28, which rounds them.
DECIMAL_DIGITS: Final = 100
CRYPTO_PRECISION: Final = 8
# What diagnostics write in place of an amount or a key: the word Home Assistant's own uses.
REDACTED: Final = "**REDACTED**"
