"""The collateral account's summary and open positions: polled, pushed, and warned about.

The summary is read over REST; between reads, pushed positions move it (CollateralSummary.moved)
so that equity and margin fraction follow a PnL change within a second, without a request. The
newest figures win: a REST answer requested before a push that arrived meanwhile does not
replace the pushed positions.
"""

from dataclasses import fields
from typing import TYPE_CHECKING, Any, Final

from .const import LOGGER, REDACTED
from .pywhitebit import (
    CollateralSummary,
    Position,
    Positions,
    WhiteBitClient,
    WhiteBitPermissionError,
    market_money,
)

# What a bug report needs of a position besides its figures, which are redacted as balances are.
_SHOWN: Final = frozenset({"market", "side", "liquidation_stage"})


class MarginFigures:
    """The last summary and positions; None while not known (not read yet, or refused)."""

    def __init__(self) -> None:
        """Nothing known before the first poll."""
        self.summary: CollateralSummary | None = None
        self.positions: Positions | None = None
        # The last summary read, and the positions as they were then: what pushes move it from.
        self._read: tuple[CollateralSummary, Positions] | None = None
        self._refused = False
        self._spoiled = False
        # Pushes taken so far: a poll's answer requested before the last one is older than it.
        self._pushes = 0

    async def async_fetch(self, client: WhiteBitClient) -> None:
        """Read the summary and the positions: two requests.

        A key allowed the collateral balance but not these endpoints keeps its balances: the
        figures are unknown and the user is told once, not asked to reauthenticate.
        """
        pushes = self._pushes
        try:
            summary = await client.collateral_summary()
            positions = await client.open_positions()
        except WhiteBitPermissionError:
            if not self._refused:
                LOGGER.warning(
                    "The API key may not read WhiteBIT's collateral summary or open positions; "
                    "allow it those endpoints in WhiteBIT's API settings to have them as sensors"
                )
            self._refused = True
            self.summary = self.positions = self._read = None
            return
        self._refused = False
        self._read = (summary, positions)
        if self._pushes != pushes:
            # A push arrived while the answers were on their way: its positions are newer, and
            # shown ones must not jump back. The summary read is what they move, as they would
            # have had the push come after it.
            if TYPE_CHECKING:
                assert self.positions is not None  # a push sets them
            self.summary = summary.moved(positions, self.positions)
            return
        self.summary = summary
        self._take(positions)

    def push(self, positions: Positions) -> None:
        """Every open position, from the stream: the summary moves with them."""
        self._pushes += 1
        if self._read is not None:
            summary, then = self._read
            self.summary = summary.moved(then, positions)
        self._take(positions)

    def _take(self, positions: Positions) -> None:
        """Keep the positions; say once when some could not be read, and when all can again."""
        self.positions = positions
        spoiled = bool(positions.invalid or positions.dropped)
        if spoiled and not self._spoiled:
            LOGGER.warning(
                "WhiteBIT sent %d open positions that are not as documented: their sensors are "
                "unavailable until it sends them right",
                len(positions.invalid) + positions.dropped,
            )
        self._spoiled = spoiled

    def diagnostics(self) -> dict[str, Any]:
        """What is known and how it came, for a bug report: every amount redacted.

        Markets, sides and liquidation stages are shown, as tickers are; a figure is redacted,
        or None where WhiteBIT gave none (a liquidation price), which tells the two apart.
        """
        return {
            "refused": self._refused,
            "positions_pushed": self._pushes,
            "summary": None
            if self.summary is None
            else dict.fromkeys((f.name for f in fields(CollateralSummary)), REDACTED),
            "positions": None if self.positions is None else _positions(self.positions),
        }


def _positions(positions: Positions) -> dict[str, Any]:
    return {
        "open": {key: _redacted(position) for key, position in sorted(positions.positions.items())},
        "invalid": sorted(positions.invalid),
        "dropped": positions.dropped,
    }


def _redacted(position: Position) -> dict[str, Any]:
    figures = {f.name: getattr(position, f.name) for f in fields(Position)}
    shown = {
        name: value if name in _SHOWN or value is None else REDACTED
        for name, value in figures.items()
    }
    return {**shown, "money": market_money(position.market)}
