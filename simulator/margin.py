"""The simulated collateral account's positions and summary, as WhiteBIT's docs give them.

REST answers in camelCase (`/collateral-account/summary`, `/positions/open`); the stream's
`positionsMargin_update` in snake_case, an object `{total, records}`. The summary is computed
from the money currency's collateral balance and the positions, so moving a position moves it.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Final

COLLATERAL_SUMMARY_PATH: Final = "/api/v4/collateral-account/summary"
OPEN_POSITIONS_PATH: Final = "/api/v4/collateral-account/positions/open"
MARGIN_PATHS: Final = (COLLATERAL_SUMMARY_PATH, OPEN_POSITIONS_PATH)
# The fields a control request may set on a position, with their defaults for a new one.
_FIGURES: Final = ("amount", "base_price", "pnl", "liq_price", "margin")
_STAGES: Final = (None, "margin_call", "liquidation")


@dataclass
class SimPosition:
    """One open position; `amount` is negative for a short one."""

    id: int
    market: str
    side: str
    amount: str
    base_price: str
    pnl: str = "0"
    liq_price: str | None = None
    liq_stage: str | None = None
    margin: str = "0"

    def rest(self, free_margin: str) -> dict[str, Any]:
        """As /positions/open lists it (camelCase; `unrealizedPnl` is the floating PnL)."""
        return {
            "positionId": self.id,
            "market": self.market,
            "openDate": 1651568067.789679,
            "modifyDate": 1651568067.789679,
            "amount": self.amount,
            "basePrice": self.base_price,
            "liquidationPrice": self.liq_price,
            "liquidationState": self.liq_stage,
            "pnl": "0",
            "pnlPercent": "0",
            "margin": self.margin,
            "freeMargin": free_margin,
            "funding": "0",
            "unrealizedPnl": self.pnl,
            "unrealizedFunding": "0",
            "tpsl": None,
            "positionSide": self.side,
        }

    def stream(self, free_margin: str) -> dict[str, Any]:
        """As positionsMargin_update lists it (snake_case; `pnl` is the floating PnL)."""
        return {
            "id": self.id,
            "market": self.market,
            "ctime": 1704067200,
            "mtime": 1704067200,
            "amount": self.amount,
            "amount_in_money": str(abs(Decimal(self.amount)) * Decimal(self.base_price)),
            "base_price": self.base_price,
            "pnl": self.pnl,
            "liq_price": self.liq_price,
            "liq_stage": self.liq_stage,
            "unrealized_funding": "0",
            "funding": "0",
            "margin": self.margin,
            "free_margin": free_margin,
            "realized_pnl": "0",
            "position_side": self.side,
        }


@dataclass
class SimMargin:
    """An account's open positions, keyed `MARKET_SIDE`, and its leverage."""

    positions: dict[str, SimPosition] = field(default_factory=dict)
    money: str = "USDT"
    leverage: int = 10
    next_id: int = 1

    def summary(self, collateral: Mapping[str, str]) -> dict[str, Any]:
        """The account's summary: equity is the money balance plus every position's PnL."""
        pnl = sum((Decimal(p.pnl) for p in self.positions.values()), Decimal(0))
        margin = sum((Decimal(p.margin) for p in self.positions.values()), Decimal(0))
        equity = Decimal(collateral.get(self.money, "0")) + pnl
        fraction = margin / equity if equity > 0 else Decimal(0)
        return {
            "equity": str(equity),
            "margin": str(margin),
            "freeMargin": str(equity - margin),
            "unrealizedFunding": "0",
            "pnl": str(pnl),
            "leverage": self.leverage,
            "marginFraction": str(round(fraction, 4)),
        }

    def rest(self, collateral: Mapping[str, str]) -> list[dict[str, Any]]:
        """The answer of /positions/open."""
        free = self.summary(collateral)["freeMargin"]
        return [p.rest(free) for p in self.positions.values()]

    def update(self, collateral: Mapping[str, str]) -> dict[str, Any]:
        """A positionsMargin_update frame, listing every position."""
        free = self.summary(collateral)["freeMargin"]
        records = [p.stream(free) for p in self.positions.values()]
        return {
            "id": None,
            "method": "positionsMargin_update",
            "params": {"total": len(records), "records": records},
        }

    def control(self, data: Mapping[str, Any]) -> str | None:
        """Open, move or close a position (`/_sim/position`); the error, or None.

        `{"market", "side": "LONG"|"SHORT", "close": true}` closes it; otherwise the figures
        given (amount, base_price, pnl, liq_price, margin, liq_stage) are set, opening the
        position if it is not open (amount and base_price are then required).
        """
        market, side = data.get("market"), data.get("side", "LONG")
        if not isinstance(market, str) or side not in {"LONG", "SHORT"}:
            return "market and side (LONG or SHORT) expected"
        key = f"{market}_{side}"
        if data.get("close"):
            return None if self.positions.pop(key, None) else "no such position"
        figures = {name: data[name] for name in _FIGURES if name in data}
        if error := _check(figures, data.get("liq_stage")):
            return error
        position = self.positions.get(key)
        if position is None:
            if "amount" not in figures or "base_price" not in figures:
                return "a new position needs amount and base_price"
            position = SimPosition(self.next_id, market, side, "0", "0")
            self.next_id += 1
            self.positions[key] = position
        for name, value in figures.items():
            setattr(position, name, None if value is None else str(value))
        if "liq_stage" in data:
            position.liq_stage = data["liq_stage"]
        return None


def _check(figures: Mapping[str, object], stage: object) -> str | None:
    """What is wrong with a control request's figures, if anything."""
    if any(v is None for n, v in figures.items() if n != "liq_price"):
        return "only liq_price may be null"
    if not _decimals(v for v in figures.values() if v is not None):
        return "invalid amount"
    return None if stage in _STAGES else "invalid liq_stage"


def _decimals(values: Iterable[object]) -> bool:
    try:
        return all(Decimal(str(value)).is_finite() for value in values)
    except InvalidOperation:
        return False
