"""Trade balances pushed over WhiteBIT's private WebSocket, against the simulator's /ws.

Real time, with WhiteBIT's intervals scaled down (pings every 0.1 s, updates every 50 ms,
waits from 10 ms): polls are five minutes apart, so every change seen here came by the stream.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
import pytest
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)

from custom_components.whitebit.const import CONF_AUTO_TRACK, CONF_TICKERS
from custom_components.whitebit.pywhitebit import StreamState, WhiteBitStream, stream_settings
from custom_components.whitebit.pywhitebit.servers import stream_url
from simulator import (
    DEMO_KEY,
    DEMO_SECRET,
    TRADE_BALANCE_PATH,
    WEBSOCKET_TOKEN_PATH,
    Fault,
)

from .common import warning_lines
from .pywhitebit.stream_servers import FAST, until

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

    from simulator import WhiteBitSimulator


pytestmark = pytest.mark.stream

PREFIX = "sensor.whitebit_127_0_0_1"


@pytest.fixture(autouse=True)
def fast(monkeypatch: pytest.MonkeyPatch, simulator: WhiteBitSimulator) -> None:
    """WhiteBIT's intervals, scaled down so faults and recoveries take a fraction of a second."""
    monkeypatch.setattr(stream_settings, "TIMING", FAST)
    simulator.stream.update_interval = 0.05
    simulator.stream.idle_timeout = 0.3


def _stream(entry: MockConfigEntry) -> WhiteBitStream:
    stream = entry.runtime_data.stream
    assert stream is not None
    return stream


async def _connected(entry: MockConfigEntry) -> WhiteBitStream:
    stream = _stream(entry)
    await until(lambda: stream.synced)
    return stream


def _state(hass: HomeAssistant, object_id: str) -> str:
    return hass.states.get(f"{PREFIX}_{object_id}").state


async def test_a_trade_change_arrives_without_a_poll(
    hass: HomeAssistant, init_full: MockConfigEntry, simulator: WhiteBitSimulator
) -> None:
    """A change at WhiteBIT reaches the total and the portfolio within one update."""
    await _connected(init_full)
    polls = simulator.stats.requests[TRADE_BALANCE_PATH]
    portfolio = _state(hass, "portfolio_value_usdt")
    simulator.accounts[DEMO_KEY].trade["BTC"] = ("1.1", "0.02")

    await until(lambda: _state(hass, "btc_total") == "1.63234567")
    assert _state(hass, "portfolio_value_usdt") != portfolio
    assert simulator.stats.requests[TRADE_BALANCE_PATH] == polls
    assert simulator.stream.open_connections == 1


async def test_polls_leave_the_trade_account_to_the_stream(
    hass: HomeAssistant, init_full: MockConfigEntry, simulator: WhiteBitSimulator
) -> None:
    """While it is up, polls skip the trade account, except once every 12 (an hour)."""
    await _connected(init_full)
    coordinator = init_full.runtime_data
    before = dict(simulator.stats.requests)
    for _ in range(24):
        await coordinator.async_refresh()
    after = simulator.stats.requests
    assert after["/api/v4/main-account/balance"] - before["/api/v4/main-account/balance"] == 24
    assert after[TRADE_BALANCE_PATH] - before[TRADE_BALANCE_PATH] == 2
    assert after[WEBSOCKET_TOKEN_PATH] == 1


async def test_a_poll_answer_older_than_a_pushed_update_is_dropped(
    hass: HomeAssistant, init_full: MockConfigEntry, simulator: WhiteBitSimulator
) -> None:
    """The hourly trade poll is slow; meanwhile the stream pushes a change: the push stays."""
    await _connected(init_full)
    coordinator = init_full.runtime_data
    for _ in range(11):  # the 12th poll is the one that fetches the trade account
        await coordinator.async_refresh()
    old = json.dumps({"BTC": {"available": "0.1", "freeze": "0.02"}})
    simulator.inject(Fault(200, old, path=TRADE_BALANCE_PATH, delay=0.3))
    poll = asyncio.create_task(coordinator.async_refresh())
    await until(lambda: simulator.stats.requests[TRADE_BALANCE_PATH] == 2)
    simulator.accounts[DEMO_KEY].trade["BTC"] = ("0.3", "0")
    await until(lambda: _state(hass, "btc_total") == "0.81234567")
    await poll
    assert simulator.stats.requests[TRADE_BALANCE_PATH] == 2
    assert _state(hass, "btc_total") == "0.81234567"


@pytest.mark.parametrize("fault", ["drop", "garbage", "error", "silence"])
async def test_every_fault_ends_in_a_resynced_connection(
    hass: HomeAssistant,
    init_full: MockConfigEntry,
    simulator: WhiteBitSimulator,
    fault: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A cut, a frame that is not JSON, an error frame, a missing pong: a new connection.

    It has a fresh token, and its full state includes what changed while it was down.
    """
    stream = await _connected(init_full)
    await simulator.stream.inject(fault)  # type: ignore[arg-type]
    simulator.accounts[DEMO_KEY].trade["TON"] = ("7", "0")
    await until(lambda: stream.status.reconnects >= 1 and stream.synced)
    await until(lambda: _state(hass, "ton_total") == "7")
    # A fresh token per connection. A loaded machine can miss a fast test pong once more, so a
    # second reconnect is allowed, each with its own token too.
    assert simulator.stats.requests[WEBSOCKET_TOKEN_PATH] == stream.status.reconnects + 1
    assert simulator.stream.open_connections == 1
    assert "WhiteBIT's stream ended" in caplog.text
    assert "WhiteBIT's stream is back" in caplog.text


async def test_refused_tokens_are_retried_with_growing_waits(
    hass: HomeAssistant, simulator: WhiteBitSimulator, full_config_entry: MockConfigEntry
) -> None:
    """Three refused tokens (a WhiteBIT outage): three waits, then a connection."""
    simulator.inject(*[Fault(503, "busy", path=WEBSOCKET_TOKEN_PATH)] * 3)
    full_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(full_config_entry.entry_id)
    stream = await _connected(full_config_entry)
    assert stream.status.reconnects == 3
    assert simulator.stats.requests[WEBSOCKET_TOKEN_PATH] == 4


async def test_a_rate_limited_token_waits_as_told(
    hass: HomeAssistant, simulator: WhiteBitSimulator, full_config_entry: MockConfigEntry
) -> None:
    """A 429 for the token: the next attempt waits Retry-After, not the (shorter) backoff."""
    simulator.inject(Fault(429, "{}", headers={"Retry-After": "1"}, path=WEBSOCKET_TOKEN_PATH))
    # When the simulator answered each token request: the gap is what the server sees, however
    # late a loaded test machine gets round to looking.
    answered: list[float] = []
    count = simulator.stats.count

    def timed(path: str, status: int) -> None:
        if path == WEBSOCKET_TOKEN_PATH:
            answered.append(time.monotonic())
        count(path, status)

    simulator.stats.count = timed  # type: ignore[method-assign]
    full_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(full_config_entry.entry_id)
    await _connected(full_config_entry)
    assert len(answered) == 2
    assert answered[1] - answered[0] >= 0.9


async def test_a_key_without_the_token_permission_polls(
    hass: HomeAssistant,
    simulator: WhiteBitSimulator,
    full_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """One clear warning, no retry loop, and the trade account polled as before."""
    simulator.accounts[DEMO_KEY].permissions.discard(WEBSOCKET_TOKEN_PATH)
    full_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(full_config_entry.entry_id)
    stream = _stream(full_config_entry)
    await until(lambda: stream.status.state is StreamState.NO_PERMISSION)
    await asyncio.sleep(0.2)
    assert simulator.stats.requests[WEBSOCKET_TOKEN_PATH] == 1
    assert [line for line in warning_lines(caplog) if "WebSocket" in line] == [
        (
            "The API key may not open WhiteBIT's WebSocket, so trade balances are polled every "
            "5 minutes instead of pushed. To have them pushed, allow the key the WebSocket token "
            "endpoint in WhiteBIT's API settings and reload the entry"
        )
    ]
    polls = simulator.stats.requests[TRADE_BALANCE_PATH]
    await full_config_entry.runtime_data.async_refresh()
    assert simulator.stats.requests[TRADE_BALANCE_PATH] == polls + 1
    assert full_config_entry.state is ConfigEntryState.LOADED


async def test_a_refused_key_starts_reauth(
    hass: HomeAssistant, init_full: MockConfigEntry, simulator: WhiteBitSimulator
) -> None:
    """The key disabled while streaming: the next connection's token is refused; reauth."""
    stream = await _connected(init_full)
    simulator.accounts[DEMO_KEY].enabled = False
    await simulator.stream.inject("drop")
    await until(lambda: stream.status.state is StreamState.AUTH_FAILED)
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler("whitebit")
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert flows[0]["context"]["entry_id"] == init_full.entry_id


async def test_unloading_closes_the_connection_and_ends_the_task(
    hass: HomeAssistant, init_full: MockConfigEntry, simulator: WhiteBitSimulator
) -> None:
    """No task and no connection outlive the entry."""
    await _connected(init_full)

    def stream_tasks() -> list[asyncio.Task[Any]]:
        return [t for t in asyncio.all_tasks() if t.get_name().startswith("whitebit stream")]

    assert len(stream_tasks()) == 1
    await hass.config_entries.async_unload(init_full.entry_id)
    await hass.async_block_till_done()
    await until(lambda: not stream_tasks() and simulator.stream.open_connections == 0)
    assert init_full.state is ConfigEntryState.NOT_LOADED


async def test_one_connection_per_entry_across_reloads(
    hass: HomeAssistant, init_full: MockConfigEntry, simulator: WhiteBitSimulator
) -> None:
    """A reload closes the old connection before the new one is the only one."""
    await _connected(init_full)
    await hass.config_entries.async_reload(init_full.entry_id)
    await hass.async_block_till_done()
    await _connected(init_full)
    await until(lambda: simulator.stream.open_connections == 1)
    assert simulator.stream.stats.connections == 2


async def test_automatic_tracking_follows_a_streamed_change(
    hass: HomeAssistant, simulator: WhiteBitSimulator, full_config_entry: MockConfigEntry
) -> None:
    """A currency bought between polls gets its sensors from the stream's update."""
    full_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        full_config_entry,
        options={**full_config_entry.options, CONF_AUTO_TRACK: True, CONF_TICKERS: []},
    )
    await hass.config_entries.async_setup(full_config_entry.entry_id)
    await _connected(full_config_entry)
    assert hass.states.get(f"{PREFIX}_ltc_total") is None
    simulator.list_currency("LTC")
    simulator.accounts[DEMO_KEY].trade["LTC"] = ("3", "0")
    await until(lambda: hass.states.get(f"{PREFIX}_ltc_total") is not None)
    await until(lambda: _state(hass, "ltc_total") == "3")


async def test_diagnostics_show_the_stream_without_secrets(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_full: MockConfigEntry,
    simulator: WhiteBitSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """State, reconnects and ages; no token, key or amount, in diagnostics or in any log line."""
    caplog.set_level(logging.DEBUG)
    await _connected(init_full)
    simulator.accounts[DEMO_KEY].trade["BTC"] = ("0.3", "0")
    await until(lambda: _state(hass, "btc_total") == "0.81234567")
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, init_full)
    assert diagnostics["stream"]["state"] == "connected"
    assert diagnostics["stream"]["reconnects"] == 0
    assert diagnostics["stream"]["channels"] == ["balanceSpot"]
    assert diagnostics["stream"]["last_message_age"] < 5
    dumped = json.dumps(diagnostics) + caplog.text
    tokens = simulator.stream.issued_tokens
    assert tokens
    for secret in (*tokens, DEMO_KEY, DEMO_SECRET, "0.81234567"):
        assert secret not in dumped


def test_stream_urls() -> None:
    """WhiteBIT's own servers stream from api.<host>; a custom URL from its own /ws."""
    assert stream_url("https://whitebit.com") == "wss://api.whitebit.com/ws"
    assert stream_url("https://whitebit.eu") == "wss://api.whitebit.eu/ws"
    assert stream_url("http://127.0.0.1:8800") == "ws://127.0.0.1:8800/ws"
    assert stream_url("https://proxy.example/whitebit") == "wss://proxy.example/whitebit/ws"


async def test_an_update_with_a_bad_amount_marks_only_that_currency(
    hass: HomeAssistant, init_full: MockConfigEntry, simulator: WhiteBitSimulator
) -> None:
    """A negative amount in an update: that currency is unknown, the others stay."""
    stream = await _connected(init_full)
    simulator.accounts[DEMO_KEY].trade["BTC"] = ("-1", "0")
    await until(lambda: _state(hass, "btc_total") == STATE_UNAVAILABLE)
    assert _state(hass, "ton_total") == "42"
    simulator.accounts[DEMO_KEY].trade["BTC"] = ("0.5", "0")
    await until(lambda: _state(hass, "btc_total") == "1.01234567")
    assert stream.status.reconnects == 0
