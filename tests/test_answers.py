"""Reading WhiteBIT's answers: amounts, currency names, balances, markets, escaping."""

from decimal import Decimal

import pytest

from custom_components.whitebit.pywhitebit.amounts import InvalidAmountError, parse_amount
from custom_components.whitebit.pywhitebit.errors import WhiteBitResponseError
from custom_components.whitebit.pywhitebit.models import Market, TradeBalance
from custom_components.whitebit.pywhitebit.parse import (
    parse_main_balances,
    parse_markets,
    parse_trade_balances,
    parse_websocket_token,
)
from custom_components.whitebit.pywhitebit.responses import http_date
from custom_components.whitebit.pywhitebit.text import is_currency, safe_text


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("0.5", "0.5"),
        ("9.5e-07", "0.00000095"),  # seen from WhiteBIT in balance updates
        ("1E-8", "0.00000001"),
        ("1e5", "100000"),
        ("1.", "1"),
        (".5", "0.5"),
        ("9" * 40 + "." + "1" * 40, "9" * 40 + "." + "1" * 40),
    ],
)
def test_amounts_in_any_decimal_notation(text: str, amount: str) -> None:
    """A finite, non-negative amount is that exact Decimal, written fixed-point as a state."""
    assert f"{parse_amount(text):f}" == amount


@pytest.mark.parametrize(
    "value",
    [
        "-1",
        "NaN",
        "Infinity",
        "inf",
        " 1",
        "0x10",
        "",
        ".",
        "e5",
        "1e",
        "1" * 41,
        "1e41",
        "1e-41",
        "1e999",
        "\u0661",
        1.5,
        1,
        True,
        None,
    ],
)
def test_amounts_that_are_not_amounts(value: object) -> None:
    """Signs, NaN, other scripts' digits, absurd magnitudes and number types are refused."""
    with pytest.raises(InvalidAmountError):
        parse_amount(value)


def test_one_bad_currency_leaves_the_others() -> None:
    """Each entry is read on its own: a wrong one is `invalid`, the rest are amounts."""
    balances = parse_main_balances(
        {
            "BTC": {"main_balance": "0.5"},
            "ETH": {"main_balance": "-1"},
            "DOGE": {"main_balance": 2.5},
            "XRP": {},
            "SOL": ["1"],
            "USDT": {"main_balance": "9.5e-07"},
        }
    )
    assert dict(balances.amounts) == {"BTC": Decimal("0.5"), "USDT": Decimal("9.5e-07")}
    assert balances.invalid == {"ETH", "DOGE", "XRP", "SOL"}
    assert not balances.rejected
    with pytest.raises(WhiteBitResponseError, match="list where balances were expected"):
        parse_main_balances([])


def test_names_that_cannot_be_currencies_are_skipped() -> None:
    """Control characters, spaces, bidi overrides and megabyte names never become currencies."""
    hostile = ["BTC\n", "\x1b[31mRED", "US\u202eDT", "A B", "x" * 1_000_000, "", "_X", "БТК"]
    balances = parse_trade_balances(
        {
            **{name: {"available": "1", "freeze": "0"} for name in hostile},
            "1INCH": {"available": "1", "freeze": "0"},
            "EUR_SEPA_BCB": {"available": "2", "freeze": "0.5"},
        }
    )
    assert dict(balances.amounts) == {
        "1INCH": TradeBalance(Decimal(1), Decimal(0)),
        "EUR_SEPA_BCB": TradeBalance(Decimal(2), Decimal("0.5")),
    }
    assert len(balances.rejected) == len(hostile)
    # Reported escaped and short: no newline, escape or override reaches a log line.
    for name in balances.rejected:
        assert name.isprintable()
        assert len(name) <= 41
    assert all(not is_currency(name) for name in hostile)


def test_markets_parse_and_skip_what_is_not_a_market() -> None:
    """Good markets are kept; a malformed one is left out instead of failing the rest."""
    good = {"last_price": "9164.09", "isFrozen": False, "base_id": 1, "quote_id": 825}
    markets = parse_markets(
        {
            "BTC_USDT": good,
            "SOL_USDT": {**good, "last_price": "140.2", "isFrozen": True},
            "PEPE_USDT": {**good, "last_price": "1.2e-05"},
            "NOUNDERSCORE": good,
            "A_B_C": good,
            "_USDT": good,
            "B\nTC_USDT": good,
            "ETH_USDT": {**good, "last_price": "NaN"},
            "XRP_USDT": {**good, "last_price": 2.5},
            "TRX_USDT": {**good, "isFrozen": "no"},
            "LTC_USDT": ["not", "a", "dict"],
        }
    )
    assert markets == {
        "BTC_USDT": Market("BTC", "USDT", Decimal("9164.09"), frozen=False),
        "SOL_USDT": Market("SOL", "USDT", Decimal("140.2"), frozen=True),
        "PEPE_USDT": Market("PEPE", "USDT", Decimal("0.000012"), frozen=False),
    }
    with pytest.raises(WhiteBitResponseError, match="list where markets were expected"):
        parse_markets([])


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("line\nERROR fake line", "line\\nERROR fake line"),
        ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),
        ("abc\u202eevil", "abc\\u202eevil"),
        ("x" * 500, "x" * 200 + "…"),
    ],
)
def test_server_text_is_escaped_and_bounded(text: str, escaped: str) -> None:
    """No control character reaches a log line, and nothing longer than 200 characters."""
    assert safe_text(text) == escaped


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("Wed, 25 Nov 2026 12:00:00 GMT", 1795608000.0),
        ("Wed, 25 Nov 2026 12:00:00", 1795608000.0),
        ("nan", None),
        ("", None),
        (None, None),
        ("Wed, 25 Nov 99999 12:00:00 GMT", None),
        ("x" * 100, None),
    ],
)
def test_http_dates(header: str | None, seconds: float | None) -> None:
    """Only a real HTTP date is a time; anything else is none."""
    assert http_date(header) == seconds


@pytest.mark.parametrize(
    "answer",
    [
        {},
        [],
        {"websocket_token": 5},
        {"websocket_token": ""},
        {"websocket_token": "a b"},
        {"websocket_token": "\u202e"},
        {"websocket_token": "x" * 1025},
    ],
)
def test_unusable_websocket_tokens(answer: object) -> None:
    """A token must be printable ASCII without spaces, at most 1 KiB: else no connection."""
    with pytest.raises(WhiteBitResponseError, match="no usable WebSocket token"):
        parse_websocket_token(answer)
    assert parse_websocket_token({"websocket_token": "Ab1-_.~"}) == "Ab1-_.~"
