"""Answers into typed results: balances, markets, tokens; bounded before they are read."""

from collections.abc import Callable, Sized
from decimal import Decimal

import pytest

from custom_components.whitebit.pywhitebit.errors import WhiteBitResponseError
from custom_components.whitebit.pywhitebit.models import Market, TradeBalance
from custom_components.whitebit.pywhitebit.parse import (
    parse_collateral_balances,
    parse_main_balances,
    parse_markets,
    parse_trade_balances,
    parse_websocket_token,
)
from custom_components.whitebit.pywhitebit.responses import interpret
from custom_components.whitebit.pywhitebit.text import is_currency


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


def test_numbers_and_strings_are_read_exactly() -> None:
    """WhiteBIT's documented numbers and its Go SDK's strings; nothing through a float."""
    body = (
        b'{"BTC":0.1,"USDT":1000,"ETH":"2.5","DOGE":1.5E+3,"SOL":100.000000000000000000001,'
        b'"X":-1,"Y":true,"Z":1e999999999,"W":null}'
    )
    balances = parse_collateral_balances(interpret(200, body, 10))
    assert balances.amounts == {
        "BTC": Decimal("0.1"),
        "USDT": Decimal(1000),
        "ETH": Decimal("2.5"),
        "DOGE": Decimal(1500),
        "SOL": Decimal("100.000000000000000000001"),
    }
    assert str(balances.amounts["BTC"]) == "0.1"
    assert balances.invalid == {"X", "Y", "Z", "W"}


@pytest.mark.parametrize(
    ("parse", "name", "entry"),
    [
        (parse_main_balances, "C%d", b'{"main_balance":"1"}'),
        (parse_trade_balances, "C%d", b'{"available":"1","freeze":"0"}'),
        (parse_collateral_balances, "C%d", b'"1"'),
        (parse_markets, "C%d_USDT", b'{"last_price":"1","isFrozen":false}'),
    ],
)
def test_more_entries_than_any_real_answer_are_refused_unread(
    parse: Callable[[object], Sized], name: str, entry: bytes
) -> None:
    """10,000 entries are read; one more, and the answer is refused before any entry is read.

    Half a million bare `"A1":0` entries fit in 4 MiB: each was read, and reported as a currency
    with a wrong amount, on every poll.
    """

    def answer(count: int) -> object:
        entries = (b'"%s":%s' % ((name % n).encode(), entry) for n in range(count))
        return interpret(200, b"{" + b",".join(entries) + b"}", 10)

    result = parse(answer(10_000))
    assert len(getattr(result, "amounts", result)) == 10_000
    with pytest.raises(WhiteBitResponseError, match=r"10001 .*, more than 10000: not read"):
        parse(answer(10_001))
