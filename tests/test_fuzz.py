"""Property tests for the parser and the signer, with hypothesis.

Whatever WhiteBIT (or something pretending to be it) sends, the client either returns
well-formed balances or raises its own typed error; every signature it makes verifies with an
HMAC computed independently of the code under test.
"""

from __future__ import annotations

import base64
from decimal import Decimal
import hashlib
import itertools
import json
import re
from typing import Any

from hypothesis import HealthCheck, example, given, settings, strategies as st

from custom_components.whitebit.api import (
    NonceSource,
    WhiteBitError,
    WhiteBitRateLimitError,
    WhiteBitResponseError,
    _interpret,
    encode_body,
    parse_main_balances,
    parse_markets,
    parse_trade_balances,
    sign,
)

PLAIN_DECIMAL = re.compile(r"[0-9]{1,40}(\.[0-9]{1,40})?", re.ASCII)
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
    assert set(balances) == set(data)
    for ticker, amount in balances.items():
        raw = data[ticker]["main_balance"]
        # Only plain ASCII decimals get through, and they come out exactly as they went in.
        assert PLAIN_DECIMAL.fullmatch(raw), raw
        assert isinstance(amount, Decimal)
        assert amount.is_finite()
        assert amount >= 0
        assert amount == Decimal(raw)


@given(JSON)
def test_any_json_value_parses_or_raises_the_typed_error(data: object) -> None:
    """Any JSON value at all: balances, or WhiteBitError, never anything else."""
    _check_balances(data)


@given(BALANCE_ANSWERS)
# Arabic-Indic three: \d and Decimal() both accept it, WhiteBIT never sends it.
@example({"BTC": {"main_balance": "\u0663"}})
@example({"BTC": {"main_balance": "1e-8"}})
@example({"BTC": {"main_balance": "1" * 41}})
def test_balance_shaped_answers(data: dict[str, Any]) -> None:
    """Answers shaped like WhiteBIT's, with every kind of amount string in them."""
    _check_balances(data)


@given(
    status=st.integers(min_value=100, max_value=599),
    text=st.text(max_size=300) | JSON.map(json.dumps),
    retry_after=st.none() | st.text(max_size=10) | st.integers().map(str),
)
@settings(suppress_health_check=[HealthCheck.too_slow])
@example(status=100, text="NaN", retry_after=None)
def test_any_answer_is_data_or_a_typed_error(
    status: int, text: str, retry_after: str | None
) -> None:
    """Any status, body and Retry-After: parsed JSON, or a WhiteBitError with bounded fields."""
    try:
        data = _interpret(status, text, retry_after)
    except WhiteBitError as err:
        error = err
    else:
        assert status < 400
        # Compared as JSON text: a bare NaN body parses to a float that equals nothing.
        assert json.dumps(data) == json.dumps(json.loads(text))
        return
    # Error texts are quoted in logs: bounded, whatever the body's size.
    assert len(str(error)) < 400
    if isinstance(error, WhiteBitRateLimitError):
        assert 1.0 <= error.retry_after <= 300.0


def _independent_hmac_sha512(key: bytes, message: bytes) -> str:
    """HMAC-SHA512 from its definition (RFC 2104), not from the hmac module."""
    block = 128
    if len(key) > block:
        key = hashlib.sha512(key).digest()
    key = key.ljust(block, b"\0")
    inner = hashlib.sha512(bytes(b ^ 0x36 for b in key) + message).digest()
    return hashlib.sha512(bytes(b ^ 0x5C for b in key) + inner).hexdigest()


PARAMS = st.dictionaries(
    st.text(min_size=1, max_size=10).filter(lambda k: k not in {"request", "nonce"}),
    st.text(max_size=20) | st.integers() | st.booleans(),
    max_size=4,
)


@given(
    secret=st.text(max_size=200),
    request=st.text(max_size=60),
    nonce=st.integers(min_value=0, max_value=2**63),
    params=PARAMS,
)
def test_every_signature_verifies(
    secret: str, request: str, nonce: int, params: dict[str, str | int | bool]
) -> None:
    """The payload is the body's base64; the signature is HMAC-SHA512 of it, in lowercase hex."""
    body = encode_body(request, nonce, **params)
    payload, signature = sign(secret, body)
    assert base64.b64decode(payload, validate=True) == body
    assert signature == _independent_hmac_sha512(secret.encode(), payload.encode("ascii"))
    assert re.fullmatch(r"[0-9a-f]{128}", signature)
    # The body is the compact JSON WhiteBIT documents, and says what was asked.
    assert json.loads(body) == {"request": request, "nonce": nonce, **params}
    assert json.dumps(json.loads(body), separators=(",", ":")).encode() == body


@given(st.lists(st.floats(min_value=0, max_value=4e9), min_size=1, max_size=50))
def test_nonces_increase_whatever_the_clock_does(readings: list[float]) -> None:
    """A clock that jumps back and forth still yields strictly increasing nonces."""
    clock = iter(readings)
    source = NonceSource(clock=lambda: next(clock))
    nonces = [source.next("key") for _ in readings]
    assert all(later > earlier for earlier, later in itertools.pairwise(nonces))


@given(JSON)
def test_any_json_as_trade_balances_or_markets(data: object) -> None:
    """The trade answer and the ticker parse to exact plain decimals, or raise a typed error."""
    try:
        trade = parse_trade_balances(data)
    except WhiteBitResponseError:
        pass
    else:
        for balance in trade.values():
            assert balance.available.is_finite()
            assert balance.freeze.is_finite()
            assert balance.total >= 0
    try:
        markets = parse_markets(data)
    except WhiteBitResponseError:
        return
    for name, market in markets.items():
        assert name == f"{market.base}_{market.quote}"
        assert market.last_price.is_finite()
        assert market.last_price >= 0
