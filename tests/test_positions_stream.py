"""Positions and collateral balances pushed over the one stream, against the simulator.

Real time with WhiteBIT's intervals scaled down, as test_stream: polls are five minutes apart,
so every change seen here came by the stream.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.const import STATE_UNAVAILABLE
import pytest

from custom_components.whitebit.const import (
    CONF_ACCOUNTS,
    CONF_ZERO_BALANCE,
    ZERO_REMOVE,
    ZERO_UNAVAILABLE,
)
from custom_components.whitebit.pywhitebit import StreamState, stream_settings
from simulator import COLLATERAL_BALANCE_PATH, DEMO_KEY, WEBSOCKET_TOKEN_PATH
from simulator.margin import COLLATERAL_SUMMARY_PATH, OPEN_POSITIONS_PATH

from .common import warning_lines
from .pywhitebit.stream_servers import FAST, until

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from simulator import WhiteBitSimulator

pytestmark = pytest.mark.stream

PREFIX = "whitebit_127_0_0_1"
POSITION = {
    "market": "BTC_USDT",
    "side": "LONG",
    "amount": "0.1",
    "base_price": "90000",
    "pnl": "-25.5",
    "liq_price": "81000",
    "margin": "900",
}
MARGIN_PATHS = (COLLATERAL_BALANCE_PATH, COLLATERAL_SUMMARY_PATH, OPEN_POSITIONS_PATH)


@pytest.fixture(autouse=True)
def fast(monkeypatch: pytest.MonkeyPatch, simulator: WhiteBitSimulator) -> None:
    """Scaled-down intervals; 1000 USDT of collateral and one open BTC/USDT long."""
    monkeypatch.setattr(stream_settings, "TIMING", FAST)
    simulator.stream.update_interval = 0.05
    simulator.stream.idle_timeout = 0.3
    account = simulator.accounts[DEMO_KEY]
    account.collateral = {"USDT": "1000"}
    account.margin.control(POSITION)


async def _collateral_alone(
    hass: HomeAssistant, entry: MockConfigEntry, zero_balance: str = ZERO_REMOVE
) -> None:
    entry.add_to_hass(hass)
    options = {**entry.options, CONF_ACCOUNTS: ["collateral"], CONF_ZERO_BALANCE: zero_balance}
    hass.config_entries.async_update_entry(entry, options=options)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


@pytest.fixture
async def margin_entry(hass: HomeAssistant, mock_config_entry: MockConfigEntry) -> MockConfigEntry:
    """The collateral account alone: the stream opens for it, though trade is not tracked."""
    await _collateral_alone(hass, mock_config_entry)
    stream = mock_config_entry.runtime_data.stream
    assert stream is not None
    await until(lambda: stream.synced)
    return mock_config_entry


def _state(hass: HomeAssistant, entity_id: str) -> str | None:
    state = hass.states.get(entity_id)
    return None if state is None else state.state


def _requests(simulator: WhiteBitSimulator) -> list[int]:
    return [simulator.stats.requests.get(path, 0) for path in MARGIN_PATHS]


async def test_a_pushed_pnl_change_reaches_the_state_without_a_request(
    hass: HomeAssistant, margin_entry: MockConfigEntry, simulator: WhiteBitSimulator
) -> None:
    """PnL, equity and margin fraction follow WhiteBIT's push; no REST request for them."""
    assert _state(hass, f"sensor.{PREFIX}_btc_usdt_long_pnl") == "-25.5"
    assert _state(hass, f"sensor.{PREFIX}_btc_usdt_long_liquidation_price") == "81000"
    assert _state(hass, f"sensor.{PREFIX}_collateral_equity") == "974.5"
    before = _requests(simulator)
    simulator.accounts[DEMO_KEY].margin.control({"market": "BTC_USDT", "pnl": "40.25"})
    await until(lambda: _state(hass, f"sensor.{PREFIX}_btc_usdt_long_pnl") == "40.25")
    assert _state(hass, f"sensor.{PREFIX}_collateral_equity") == "1040.25"
    assert _state(hass, f"sensor.{PREFIX}_collateral_unrealized_pnl") == "40.25"
    assert _requests(simulator) == before


async def test_a_closed_positions_entities_stop_showing_its_figures(
    hass: HomeAssistant, margin_entry: MockConfigEntry, simulator: WhiteBitSimulator
) -> None:
    """Closed at WhiteBIT: its entities go within a push; a new one appears, no reload."""
    account = simulator.accounts[DEMO_KEY]
    account.margin.control({"market": "BTC_USDT", "close": True})
    await until(lambda: _state(hass, f"sensor.{PREFIX}_btc_usdt_long_pnl") is None)
    assert _state(hass, f"binary_sensor.{PREFIX}_btc_usdt_long_margin_call") is None
    account.margin.control({**POSITION, "side": "SHORT", "amount": "-0.1"})
    await until(lambda: _state(hass, f"sensor.{PREFIX}_btc_usdt_short_amount") == "-0.1")


async def test_a_closed_position_kept_unavailable_by_push(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, simulator: WhiteBitSimulator
) -> None:
    """Kept as unavailable (the entry's choice): a pushed close leaves no figure showing."""
    await _collateral_alone(hass, mock_config_entry, ZERO_UNAVAILABLE)
    pnl = f"sensor.{PREFIX}_btc_usdt_long_pnl"
    await until(lambda: _state(hass, pnl) == "-25.5")
    before = _requests(simulator)
    simulator.accounts[DEMO_KEY].margin.control({"market": "BTC_USDT", "close": True})
    await until(lambda: _state(hass, pnl) == STATE_UNAVAILABLE)
    assert _state(hass, f"binary_sensor.{PREFIX}_btc_usdt_long_margin_call") == STATE_UNAVAILABLE
    assert _requests(simulator) == before


async def test_a_pushed_collateral_balance(
    hass: HomeAssistant, margin_entry: MockConfigEntry, simulator: WhiteBitSimulator
) -> None:
    """balanceMargin: a collateral balance change reaches its sensor without a request."""
    before = _requests(simulator)
    simulator.accounts[DEMO_KEY].collateral["USDT"] = "1250.5"
    await until(lambda: _state(hass, f"sensor.{PREFIX}_usdt_collateral") == "1250.5")
    assert _requests(simulator) == before


async def test_a_key_without_the_websocket_says_what_is_polled(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    simulator: WhiteBitSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The collateral account alone, no WebSocket permission: the warning names what it streams."""
    simulator.accounts[DEMO_KEY].permissions.discard(WEBSOCKET_TOKEN_PATH)
    await _collateral_alone(hass, mock_config_entry)
    stream = mock_config_entry.runtime_data.stream
    assert stream is not None
    await until(lambda: stream.status.state is StreamState.NO_PERMISSION)
    assert [line for line in warning_lines(caplog) if "WebSocket" in line] == [
        (
            "The API key may not open WhiteBIT's WebSocket, so collateral balances and open "
            "positions are polled every 5 minutes instead of pushed. To have them pushed, allow "
            "the key the WebSocket token endpoint in WhiteBIT's API settings and reload the entry"
        )
    ]
