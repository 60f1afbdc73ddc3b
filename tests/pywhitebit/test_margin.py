"""The collateral account: summary, open positions and both margin channels, bounded."""

from __future__ import annotations

from decimal import Decimal
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web
import pytest

from custom_components.whitebit.pywhitebit import (
    BALANCE_MARGIN,
    MAX_ASSETS,
    MAX_POSITIONS,
    POSITIONS_MARGIN,
    Position,
    WhiteBitClient,
    WhiteBitResponseError,
    balance_margin,
)
from custom_components.whitebit.pywhitebit.amounts import InvalidAmountError, signed_number_amount
from custom_components.whitebit.pywhitebit.margin import (
    is_market,
    parse_positions,
    parse_positions_update,
    parse_summary,
)
from simulator import DEMO_KEY, DEMO_SECRET

if TYPE_CHECKING:
    from aiohttp import ClientSession

    from tests.conftest import Serve

FIXTURES = Path(__file__).parent.parent / "fixtures"


def _load(name: str) -> Any:
    """A fixture decoded as the client decodes an answer: a number is the Decimal of its text."""
    return json.loads((FIXTURES / name).read_text(), parse_float=Decimal)


def _record(**changes: object) -> dict[str, object]:
    """The documented stream record, with `changes`."""
    record: dict[str, object] = dict(_load("positions_update.json")["params"]["records"][0])
    record.update(changes)
    return {name: value for name, value in record.items() if value is not ...}


async def test_documented_summary_and_positions_through_the_client(
    session: ClientSession, serve: Serve
) -> None:
    """WhiteBIT's documented answers read exactly.

    The documented example has no `unrealizedPnl`: its `pnl` is taken then.
    """
    answers = {
        "/api/v4/collateral-account/summary": (FIXTURES / "collateral_summary.json").read_text(),
        "/api/v4/collateral-account/positions/open": (FIXTURES / "open_positions.json").read_text(),
    }

    async def answer(request: web.Request) -> web.Response:
        return web.Response(text=answers[request.path], content_type="application/json")

    url = await serve(answer)
    client = WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, url)
    summary = await client.collateral_summary()
    assert summary.equity == Decimal("15000.50")
    assert summary.free_margin == Decimal("10000.50")
    assert summary.pnl == Decimal("150.25")
    assert summary.leverage == 3
    assert summary.margin_fraction == Decimal("0.3333")
    positions = await client.open_positions()
    btc = positions.positions["BTC_USDT_long"]
    assert btc == Position(
        market="BTC_USDT",
        side="long",
        amount=Decimal("0.1"),
        base_price=Decimal("45658.349"),
        pnl=Decimal("-168.42"),
        liquidation_price=None,
        liquidation_stage="margin_call",
        margin=Decimal("8316.74"),
        free_margin=Decimal("619385.67"),
    )
    assert btc.margin_call
    assert btc.key == "BTC_USDT_long"
    assert set(positions.positions) == {"BTC_USDT_long", "ETH_USDT_long"}


def test_documented_stream_frames() -> None:
    """The documented positionsMargin and balanceMargin updates, through their channels."""
    state = POSITIONS_MARGIN.make_state()
    state.update(_load("positions_update.json")["params"])
    (position,) = state.take().positions.values()
    assert position.pnl == Decimal("-0.47")
    assert position.amount == Decimal("-0.01")
    assert position.liquidation_price == Decimal(65000)
    assert not position.margin_call
    assert state.refused == 0
    margin = BALANCE_MARGIN.make_state()
    margin.update(_load("balance_margin_update.json")["params"])
    assert dict(margin.take().amounts) == {
        "BTC": Decimal("0.0006092"),
        "USDT": Decimal("0.00538073"),
    }
    margin.snapshot({"ETH": {"balance": "2", "borrow": "0"}, "XRP": {"borrow": "0"}})
    assert dict(margin.take().amounts) == {"ETH": Decimal(2)}
    assert margin.take().invalid == {"XRP"}
    assert BALANCE_MARGIN.subscribe == "balanceMargin_subscribe"
    assert balance_margin(("BTC",)).params == ("BTC",)
    assert not POSITIONS_MARGIN.has_snapshot


def test_each_frame_replaces_the_positions() -> None:
    """A position a frame leaves out is closed; an empty list means none is open."""
    state = POSITIONS_MARGIN.make_state()
    state.snapshot({"records": [_record(), _record(market="ETH_USDT")]})
    assert len(state.take().positions) == 2
    state.update({"total": 0, "records": []})
    assert not state.take().positions
    state.update([{"records": [_record()]}])  # the object wrapped in a list, as other channels
    assert set(state.take().positions) == {"BTC_USDT_long"}
    state.update([_record(market="ETH_USDT")])  # the records' list alone
    assert set(state.take().positions) == {"ETH_USDT_long"}


def test_one_bad_position_spoils_only_itself() -> None:
    """A wrong figure: that position is invalid; no market or side: it is dropped, counted."""
    positions = parse_positions_update(
        {
            "records": [
                _record(market="BTC_USDT"),
                _record(market="ETH_USDT", pnl="NaN"),
                _record(market="SOL_PERP", liq_price="-5"),
                _record(market="XRP_USDT", liq_stage="doomed"),
                _record(market="ADA_USDT", margin=...),
                _record(market="BTC\nUSDT"),
                _record(market="A_B_C"),
                _record(market=7),
                _record(market="DOT_USDT", position_side="BOTH", amount="x"),
                _record(market="BTC_USDT"),  # a second position on one market and side
                "not a record",
            ]
        }
    )
    assert set(positions.positions) == {"BTC_USDT_long"}
    assert positions.invalid == {
        "ETH_USDT_long",
        "SOL_PERP_long",
        "XRP_USDT_long",
        "ADA_USDT_long",
    }
    assert positions.dropped == 6


def test_rest_floating_pnl_is_unrealized_pnl() -> None:
    """REST's `pnl` is realized from partial closes; `unrealizedPnl`, when given, is the PnL."""
    (record,) = _load("open_positions.json")[:1]
    positions = parse_positions([{**record, "unrealizedPnl": "-12.5"}])
    assert positions.positions["BTC_USDT_long"].pnl == Decimal("-12.5")


def test_side_in_one_way_mode_comes_from_the_amount() -> None:
    """BOTH (one-way mode): a negative amount is short; LONG and SHORT are taken as given."""
    positions = parse_positions(
        [
            _record(market="BTC_USDT", position_side="BOTH", amount="-1"),
            _record(market="ETH_PERP", position_side="BOTH", amount="2"),
            _record(market="SOL_USDT", position_side="SHORT", amount="-3"),
        ]
    )
    assert set(positions.positions) == {"BTC_USDT_short", "ETH_PERP_long", "SOL_USDT_short"}


def test_bounds_on_positions_and_balances() -> None:
    """Past MAX_POSITIONS records or MAX_ASSETS balances a frame is refused whole."""
    records = [_record(market=f"C{i}_USDT") for i in range(MAX_POSITIONS)]
    assert len(parse_positions(records).positions) == MAX_POSITIONS
    with pytest.raises(WhiteBitResponseError, match="more than"):
        parse_positions([*records, _record()])
    with pytest.raises(WhiteBitResponseError, match="str where positions"):
        parse_positions_update({"records": "x"})
    state = BALANCE_MARGIN.make_state()
    entries = [{"a": f"C{i}", "B": "1"} for i in range(MAX_ASSETS + 1)]
    with pytest.raises(WhiteBitResponseError, match="more than"):
        state.update(entries)
    with pytest.raises(WhiteBitResponseError, match="without balances"):
        state.update({"a": "BTC"})
    state.update([{"a": "BTC\x1b", "B": "1"}, "junk", {"a": "ETH", "B": 2}])
    taken = state.take()
    assert dict(taken.amounts) == {"ETH": Decimal(2)}
    assert len(taken.rejected) == 2


def test_summary_figures_are_checked() -> None:
    """Numbers or strings; a missing or absurd figure, or an absurd leverage, is refused."""
    summary = parse_summary(
        {
            "equity": Decimal("-1.5"),
            "margin": "0",
            "freeMargin": "-2",
            "unrealizedFunding": "-0.1",
            "pnl": "-3",
            "leverage": 100,
            "marginFraction": "0",
        }
    )
    assert (summary.equity, summary.free_margin, summary.pnl) == (
        Decimal("-1.5"),
        Decimal(-2),
        Decimal(-3),
    )
    base = _load("collateral_summary.json")
    for change in ({"pnl": "1e9999"}, {"margin": "-1"}, {"leverage": True}, {"equity": None}):
        with pytest.raises(WhiteBitResponseError, match="not an amount"):
            parse_summary({**base, **change})
    with pytest.raises(WhiteBitResponseError, match="absurd leverage"):
        parse_summary({**base, "leverage": 1001})
    with pytest.raises(WhiteBitResponseError, match="list where the collateral summary"):
        parse_summary([])


@pytest.mark.parametrize(
    ("value", "expected"),
    [("-0.47", Decimal("-0.47")), (-5, Decimal(-5)), ("3", Decimal(3)), (Decimal("-1.5"), None)],
)
def test_signed_amounts(value: object, expected: Decimal | None) -> None:
    """A sign is allowed; the magnitude keeps every bound of an amount."""
    assert signed_number_amount(value) == (expected if expected is not None else value)


@pytest.mark.parametrize("value", ["--1", "-", "-NaN", -1.5, True, "-1e999", "+1"])
def test_signed_amounts_refused(value: object) -> None:
    """Two signs, a bare sign, NaN, floats, bools and absurd magnitudes are refused."""
    with pytest.raises(InvalidAmountError):
        signed_number_amount(value)


def test_market_names() -> None:
    """BASE_QUOTE or BASE_PERP of two currency names, nothing else."""
    assert is_market("BTC_USDT")
    assert is_market("BTC_PERP")
    for name in ("BTC", "BTC_", "_USDT", "A_B_C", "BTC_US DT", None, "x" * 100 + "_USDT"):
        assert not is_market(name)


def test_summary_moves_with_pushed_positions() -> None:
    """A pushed PnL change moves equity, free margin and the fraction; margin with margins."""
    summary = parse_summary(_load("collateral_summary.json"))
    before = parse_positions([_record(pnl="10", margin="100")])
    after = parse_positions([_record(pnl="-40", margin="100"), _record(market="ETH_USDT")])
    moved = summary.moved(before, after)
    assert moved.pnl == Decimal("150.25") - 50 - Decimal("0.47")
    assert moved.equity == Decimal("15000.50") - 50 - Decimal("0.47")
    assert moved.margin == Decimal("5023.8")
    assert moved.free_margin == Decimal("10000.50") - 50 - Decimal("0.47") - Decimal("23.8")
    assert moved.margin_fraction == moved.margin / moved.equity
    assert moved.leverage == summary.leverage
    broke = summary.moved(before, parse_positions([_record(pnl="-20000", margin="100")]))
    assert broke.margin_fraction == summary.margin_fraction  # no fraction of a negative equity
