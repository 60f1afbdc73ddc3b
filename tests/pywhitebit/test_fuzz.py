"""Property tests for the parser and the signer, with hypothesis.

Whatever WhiteBIT (or something pretending to be it) sends, the client either returns
well-formed balances or raises its own typed error; every signature it makes verifies with an
HMAC computed independently of the code under test.
"""

from __future__ import annotations

import base64
from decimal import Decimal
import hashlib
import json
import math
import re
from typing import Any

from hypothesis import HealthCheck, example, given, settings, strategies as st

from custom_components.whitebit.pywhitebit.client import NONCE_WINDOW
from custom_components.whitebit.pywhitebit.earn import FLEX, PAGE, Investments, sum_holdings
from custom_components.whitebit.pywhitebit.errors import (
    WhiteBitError,
    WhiteBitRateLimitError,
    WhiteBitResponseError,
)
from custom_components.whitebit.pywhitebit.parse import (
    parse_main_balances,
    parse_markets,
    parse_trade_balances,
)
from custom_components.whitebit.pywhitebit.responses import (
    MAX_RETRY_AFTER,
    MIN_RETRY_AFTER,
    interpret,
    retry_after_seconds,
)
from custom_components.whitebit.pywhitebit.signing import _RecentNonces, encode_body, sign
from custom_components.whitebit.pywhitebit.text import is_currency, safe_text

PLAIN_DECIMAL = re.compile(r"[0-9]{1,40}(\.[0-9]{1,40})?", re.ASCII)
# Every notation an accepted amount may be in: ASCII digits, one point, an exponent.
ACCEPTED = re.compile(r"[0-9]*\.?[0-9]*([eE][+-]?[0-9]{1,3})?", re.ASCII)
JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
JSON = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=25,
)
# Strings that look like amounts, and the near misses a parser gets wrong.
AMOUNTS = (
    st.from_regex(PLAIN_DECIMAL, fullmatch=True)
    | st.from_regex(r"-?[0-9]{0,70}([.,][0-9]{0,70})?([eE][+-]?[0-9]{1,3})?", fullmatch=True)
    | st.sampled_from(
        ["NaN", "Infinity", "-0", "+1", " 1", "1 ", "1_000", "\u0663", "\uff11", "0x10", ""]
    )
    | st.text(max_size=12)
)
BALANCE_ANSWERS = st.dictionaries(
    st.text(min_size=1, max_size=10),
    st.fixed_dictionaries({"main_balance": AMOUNTS | JSON_SCALARS})
    | st.dictionaries(st.sampled_from(["main_balance", "available", "freeze"]), AMOUNTS),
    max_size=8,
)


def _check_balances(data: object) -> None:
    """The whole contract of the parser, for any input."""
    try:
        balances = parse_main_balances(data)
    except WhiteBitError:
        return
    assert isinstance(data, dict)
    # Every currency is read, rejected as a name, or marked invalid: none is lost silently.
    for ticker in data:
        if is_currency(ticker):
            assert (ticker in balances.amounts) != (ticker in balances.invalid), ticker
        else:
            assert safe_text(ticker, 40) in balances.rejected, ticker
    assert len(balances.amounts) + len(balances.invalid) <= len(data)
    assert not set(balances.amounts) & balances.invalid
    for ticker, amount in balances.amounts.items():
        raw = data[ticker]["main_balance"]
        # Only ASCII decimals get through, and they come out exactly as they went in.
        assert ACCEPTED.fullmatch(raw), raw
        assert amount.is_finite()
        assert amount >= 0
        assert amount == Decimal(raw)
        whole, _, fraction = f"{amount:f}".partition(".")
        assert len(whole) <= 41
        assert len(fraction) <= 40


@given(JSON)
def test_any_json_value_parses_or_raises_the_typed_error(data: object) -> None:
    """Any JSON value at all: balances, or WhiteBitError, never anything else."""
    _check_balances(data)


@given(BALANCE_ANSWERS)
# Arabic-Indic three: \d and Decimal() both accept it, WhiteBIT never sends it.
@example({"BTC": {"main_balance": "\u0663"}})
@example({"BTC": {"main_balance": "9.5e-07"}})
@example({"BTC": {"main_balance": "1e999"}})
@example({"BTC": {"main_balance": "1" * 41}})
def test_balance_shaped_answers(data: dict[str, Any]) -> None:
    """Answers shaped like WhiteBIT's, with every kind of amount string in them."""
    _check_balances(data)


@given(
    status=st.integers(min_value=100, max_value=599),
    body=st.binary(max_size=400)
    | st.text(max_size=300).map(str.encode)
    | JSON.map(lambda value: json.dumps(value).encode()),
    retry_after=st.none() | st.text(max_size=40) | st.integers().map(str),
)
# No deadline: the 100,000 brackets alone take longer than one on a loaded machine.
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@example(status=100, body=b"NaN", retry_after=None)
@example(status=200, body=b"[" * 100_000, retry_after=None)
@example(status=502, body=b"\xff\xfe<html>", retry_after=None)
@example(status=429, body=b'{"message":"a\\nb\\u001b[31m"}', retry_after="nan")
def test_any_answer_is_data_or_a_typed_error(
    status: int, body: bytes, retry_after: str | None
) -> None:
    """Any status, any bytes, any Retry-After: parsed JSON, or a WhiteBitError fit for a log.

    Fit for a log: printable (no newline, escape or override a server could forge lines with)
    and bounded, whatever the body's size.
    """
    try:
        data = interpret(status, body, retry_after_seconds(retry_after, 0.0))
    except WhiteBitError as err:
        error = err
    else:
        assert status < 400
        # Compared as text: a bare NaN body parses to a float that equals nothing. Fractions are
        # Decimals: the collateral answer's numbers must not pass through a float.
        assert repr(data) == repr(json.loads(body, parse_float=Decimal))
        return
    assert len(str(error)) < 400
    assert str(error).isprintable()
    if isinstance(error, WhiteBitRateLimitError):
        assert MIN_RETRY_AFTER <= error.retry_after <= MAX_RETRY_AFTER


@given(
    header=st.none() | st.text(max_size=80) | st.floats().map(str) | st.integers().map(str),
    now=st.floats(min_value=0, max_value=4e9),
)
@example(header="nan", now=0.0)
@example(header="Fri, 31 Dec 9999 23:59:59 GMT", now=0.0)
def test_any_retry_after_is_a_finite_wait_within_bounds(header: str | None, now: float) -> None:
    """NaN, infinities, negatives, huge numbers, dates and garbage: always 1 s to 300 s."""
    seconds = retry_after_seconds(header, now)
    assert math.isfinite(seconds)
    assert MIN_RETRY_AFTER <= seconds <= MAX_RETRY_AFTER


def _independent_hmac_sha512(key: bytes, message: bytes) -> str:
    """HMAC-SHA512 from its definition (RFC 2104), not from the hmac module."""
    block = 128
    if len(key) > block:
        key = hashlib.sha512(key).digest()
    key = key.ljust(block, b"\0")
    inner = hashlib.sha512(bytes(b ^ 0x36 for b in key) + message).digest()
    return hashlib.sha512(bytes(b ^ 0x5C for b in key) + inner).hexdigest()


@given(
    secret=st.text(max_size=200),
    request=st.text(max_size=60),
    nonce=st.integers(min_value=0, max_value=2**63),
)
def test_every_signature_verifies(secret: str, request: str, nonce: int) -> None:
    """The payload is the body's base64; the signature is HMAC-SHA512 of it, in lowercase hex."""
    body = encode_body(request, nonce)
    payload, signature = sign(secret, body)
    assert base64.b64decode(payload, validate=True) == body
    assert signature == _independent_hmac_sha512(secret.encode(), payload.encode("ascii"))
    assert re.fullmatch(r"[0-9a-f]{128}", signature)
    # The body is the compact JSON WhiteBIT documents, and says what was asked.
    assert json.loads(body) == {"request": request, "nonce": nonce, "nonceWindow": True}
    assert json.dumps(json.loads(body), separators=(",", ":")).encode() == body


@given(st.lists(st.integers(min_value=0, max_value=4 * 10**12), min_size=1, max_size=50))
def test_nonces_stay_in_the_window_and_never_repeat_inside_it(readings: list[int]) -> None:
    """Whatever the clock does, each nonce is near the clock's reading and new to the window.

    Near: within WhiteBIT's ±5 s of the reading. New: unlike every earlier nonce still inside
    that window.
    """
    nonces = _RecentNonces()
    window = int(NONCE_WINDOW * 1000)
    issued: list[int] = []
    for now in readings:
        nonce = nonces.next("key", now)
        assert 0 <= nonce - now < window
        assert all(nonce != earlier for earlier in issued if abs(earlier - now) < window)
        issued.append(nonce)


SHAPED = st.dictionaries(
    st.text(max_size=10),
    st.dictionaries(
        st.sampled_from(["available", "freeze", "last_price", "isFrozen"]), AMOUNTS | st.booleans()
    ),
    max_size=6,
)


@given(JSON | SHAPED)
@example({"BTC": {"available": "9.5e-07", "freeze": "1"}})
@example({"BTC_USDT": {"last_price": "1e-5", "isFrozen": False}})
def test_any_json_as_trade_balances_or_markets(data: object) -> None:
    """The trade answer and the ticker parse to the exact decimals sent, or a typed error."""
    try:
        trade = parse_trade_balances(data)
    except WhiteBitResponseError:
        pass
    else:
        assert isinstance(data, dict)
        for ticker, balance in trade.amounts.items():
            assert balance.available == Decimal(data[ticker]["available"])
            assert balance.freeze == Decimal(data[ticker]["freeze"])
            assert balance.total >= 0
    try:
        markets = parse_markets(data)
    except WhiteBitResponseError:
        return
    assert isinstance(data, dict)
    for name, market in markets.items():
        assert name == f"{market.base}_{market.quote}"
        assert market.last_price == Decimal(data[name]["last_price"])
        assert market.last_price >= 0
        assert market.frozen is data[name]["isFrozen"]


EARN_RECORDS = st.lists(
    st.fixed_dictionaries(
        {
            "id": st.text(max_size=3) | st.integers(0, 5) | JSON_SCALARS,
            "currency": st.sampled_from(["USDT", "BTC", "", "A B"]) | JSON_SCALARS,
            "invested": AMOUNTS | JSON_SCALARS,
            "status": st.sampled_from([1, "1", 0, 2, True, 1.0, None]),
        }
    )
    | JSON,
    max_size=120,
)


@given(st.fixed_dictionaries({"data": EARN_RECORDS}) | JSON)
@example({"data": [{"id": 1, "currency": "USDT", "invested": "1", "status": 1}] * 2})
@example({"data": [{"id": True, "currency": "USDT", "invested": "1", "status": 1}]})
def test_any_json_as_an_earn_page(data: object) -> None:
    """A page is read whole or refused: each id once, only status 1, at most a page of them."""
    investments = Investments(FLEX)
    try:
        more = investments.add(data)
    except WhiteBitResponseError:
        return
    assert isinstance(data, dict)
    records = data["data"]
    assert len(records) <= PAGE
    assert all(isinstance(record, dict) and record.get("id") is not None for record in records)
    first = {}
    for record in records:
        first.setdefault(record["id"], record)
    statuses = [record.get("status") for record in first.values()]
    active = [s for s in statuses if s in (1, "1") and not isinstance(s, bool | float | Decimal)]
    assert len(investments.holdings) == len(active)
    assert more == (len(records) == PAGE)
    balances = sum_holdings(investments.holdings)
    for currency, amount in balances.amounts.items():
        assert is_currency(currency)
        assert amount.is_finite()
        assert amount >= 0
