"""The collateral (margin and futures) account: its summary and its open positions.

WhiteBIT writes a position twice over: REST in camelCase (`basePrice`, `liquidationPrice`),
the `positionsMargin` WebSocket channel in snake_case (`base_price`, `liq_price`). Both are read
into the same Position. A position with a missing or absurd field spoils only itself: if its
market and side can still be read it is `invalid` (its figures unknown), else it is dropped
and counted. An answer or frame with more than MAX_POSITIONS records is refused whole: part of
the positions would pass the others off as closed.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from types import MappingProxyType
from typing import Final

from .amounts import InvalidAmountError, number_amount, signed_number_amount
from .errors import WhiteBitResponseError
from .parse import get_field
from .text import is_currency

# WhiteBIT lists a few hundred collateral markets and a position per market and side; ten
# times as many records as could exist is refused before any is read.
MAX_POSITIONS: Final = 1_000
# A leverage WhiteBIT could offer (it offers up to 100x).
MAX_LEVERAGE: Final = 1_000
LONG: Final = "long"
SHORT: Final = "short"
# liquidationState / liq_stage: documented as null, "margin_call" or "liquidation".
STAGES: Final = frozenset({"margin_call", "liquidation"})

# WhiteBIT's collateral summary names no currency, and a perpetual market (BTC_PERP) names none
# either: its docs give both in USDT ("Perpetual futures markets report `USDT` as the money
# currency": `money` of GET /api/v4/public/markets, openapi/public/http-v4.yaml; the same in
# concepts/markets.mdx). A margin market's money is its quote (BTC_USDT: USDT).
COLLATERAL_MONEY: Final = "USDT"
PERPETUAL: Final = "PERP"

type Read = Callable[[object], Decimal]


@dataclass(frozen=True, slots=True)
class CollateralSummary:
    """The collateral account as a whole, in its money currency."""

    equity: Decimal
    margin: Decimal
    free_margin: Decimal
    unrealized_funding: Decimal
    pnl: Decimal
    leverage: Decimal
    margin_fraction: Decimal

    def moved(self, before: Positions, after: Positions) -> CollateralSummary:
        """The summary after the positions moved from `before` (when it was read) to `after`.

        Equity moves with the positions' unrealized PnL, margin with their margins, free
        margin with both; the fraction is margin over equity again. So a pushed PnL change
        reaches equity and margin fraction without a request.
        """
        pnl = _total(after, "pnl") - _total(before, "pnl")
        margin = _total(after, "margin") - _total(before, "margin")
        equity = self.equity + pnl
        used = self.margin + margin
        return replace(
            self,
            equity=equity,
            margin=used,
            free_margin=self.free_margin + pnl - margin,
            pnl=self.pnl + pnl,
            margin_fraction=used / equity if equity > 0 else self.margin_fraction,
        )


@dataclass(frozen=True, slots=True)
class Position:
    """One open position: `amount` is negative for a short one."""

    market: str
    side: str
    amount: Decimal
    base_price: Decimal
    # Unrealized, in the market's money.
    pnl: Decimal
    liquidation_price: Decimal | None
    liquidation_stage: str | None
    margin: Decimal
    free_margin: Decimal

    @property
    def key(self) -> str:
        """What tells the position apart: its market and side (`BTC_USDT_long`)."""
        return position_key(self.market, self.side)

    @property
    def margin_call(self) -> bool:
        """Whether WhiteBIT has put the position in a liquidation stage."""
        return self.liquidation_stage is not None


@dataclass(frozen=True, slots=True)
class Positions:
    """Every open position, by key; `invalid` keys have figures that could not be read."""

    positions: Mapping[str, Position]
    invalid: frozenset[str] = frozenset()
    # Records that could not even be told apart (no market, no side): left out, counted.
    dropped: int = 0

    @property
    def open(self) -> frozenset[str]:
        """The key of every open position, its figures readable or not."""
        return frozenset(self.positions) | self.invalid


def _total(positions: Positions, figure: str) -> Decimal:
    return sum((getattr(p, figure) for p in positions.positions.values()), Decimal(0))


def position_key(market: str, side: str) -> str:
    """The key of a market's position on one side."""
    return f"{market}_{side}"


def market_money(market: str) -> str:
    """The currency a market's PnL, margin, prices and fees are in: its money side."""
    quote = market.partition("_")[2]
    return COLLATERAL_MONEY if quote == PERPETUAL else quote


def is_market(name: object) -> bool:
    """Whether `name` can be a collateral market: BASE_QUOTE or BASE_PERP of two names."""
    if not isinstance(name, str):
        return False
    base, _, quote = name.partition("_")
    return is_currency(base) and is_currency(quote) and "_" not in quote


def _optional_price(value: object) -> Decimal | None:
    return None if value is None else number_amount(value)


def _stage(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str) and value in STAGES:
        return value
    raise InvalidAmountError


def _side(entry: Mapping[str, object]) -> str | None:
    """LONG/SHORT as given; BOTH (one-way mode) or none: the amount's sign says."""
    side = entry.get("position_side", entry.get("positionSide"))
    if side in {"LONG", "SHORT"}:
        return str(side).lower()
    try:
        amount = signed_number_amount(entry.get("amount"))
    except InvalidAmountError:
        return None
    return SHORT if amount < 0 else LONG


def _read_position(entry: Mapping[str, object], market: str, side: str) -> Position:
    """One record, in either spelling; raises InvalidAmountError for a figure not as documented.

    REST's `pnl` is the realized part and `unrealizedPnl` the floating one; the stream's `pnl`
    is the floating one. Position.pnl is the floating one either way.
    """
    pnl = entry["unrealizedPnl"] if "unrealizedPnl" in entry else get_field(entry, "pnl")
    return Position(
        market=market,
        side=side,
        amount=signed_number_amount(get_field(entry, "amount")),
        base_price=number_amount(get_field(entry, "base_price", "basePrice")),
        pnl=signed_number_amount(pnl),
        liquidation_price=_optional_price(get_field(entry, "liq_price", "liquidationPrice")),
        liquidation_stage=_stage(get_field(entry, "liq_stage", "liquidationState")),
        margin=number_amount(get_field(entry, "margin")),
        free_margin=signed_number_amount(get_field(entry, "free_margin", "freeMargin")),
    )


def parse_positions(records: object) -> Positions:
    """A list of position records (REST's answer, or the stream's `records`)."""
    if not isinstance(records, list):
        msg = f"WhiteBIT sent {type(records).__name__} where positions were expected"
        raise WhiteBitResponseError(msg)
    if len(records) > MAX_POSITIONS:
        msg = f"WhiteBIT sent {len(records)} positions, more than {MAX_POSITIONS}: not read"
        raise WhiteBitResponseError(msg)
    positions: dict[str, Position] = {}
    invalid: set[str] = set()
    dropped = 0
    for entry in records:
        if not isinstance(entry, dict):
            dropped += 1
            continue
        market, side = entry.get("market"), _side(entry)
        if not isinstance(market, str) or not is_market(market) or side is None:
            dropped += 1
            continue
        key = position_key(market, side)
        if key in positions or key in invalid:
            dropped += 1  # one position per market and side: a second is not WhiteBIT's
            continue
        try:
            positions[key] = _read_position(entry, market, side)
        except InvalidAmountError:
            invalid.add(key)
    return Positions(MappingProxyType(positions), frozenset(invalid), dropped)


def _is_update(value: object) -> bool:
    return isinstance(value, dict) and "records" in value


def parse_positions_update(params: object) -> Positions:
    """`positionsMargin_update`'s params: `{total, records: [...]}`.

    The records' list alone, or the object wrapped in a list as other channels' params are,
    is taken too.
    """
    if isinstance(params, dict):
        params = params.get("records")
    elif isinstance(params, list) and len(params) == 1 and _is_update(params[0]):
        params = params[0]["records"]  # the object wrapped in a list, as other channels
    return parse_positions(params)


def parse_summary(data: object) -> CollateralSummary:
    """`/collateral-account/summary`: strings, leverage an integer (either is taken)."""
    if not isinstance(data, dict):
        msg = f"WhiteBIT sent {type(data).__name__} where the collateral summary was expected"
        raise WhiteBitResponseError(msg)
    try:
        summary = CollateralSummary(
            equity=signed_number_amount(get_field(data, "equity")),
            margin=number_amount(get_field(data, "margin")),
            free_margin=signed_number_amount(get_field(data, "freeMargin")),
            unrealized_funding=signed_number_amount(get_field(data, "unrealizedFunding")),
            pnl=signed_number_amount(get_field(data, "pnl")),
            leverage=number_amount(get_field(data, "leverage")),
            margin_fraction=number_amount(get_field(data, "marginFraction")),
        )
    except InvalidAmountError as err:
        msg = "WhiteBIT's collateral summary has a figure that is not an amount"
        raise WhiteBitResponseError(msg) from err
    if summary.leverage > MAX_LEVERAGE:
        msg = "WhiteBIT's collateral summary has an absurd leverage"
        raise WhiteBitResponseError(msg)
    return summary
