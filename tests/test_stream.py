"""Trade balances pushed over WhiteBIT's private WebSocket, against the simulator's /ws.

Real time, with WhiteBIT's intervals scaled down (pings every 0.1 s, updates every 50 ms,
waits from 10 ms): polls are five minutes apart, so every change seen here came by the stream.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import Decimal
import json
import logging
from typing import TYPE_CHECKING, Any

from aiohttp import web
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
import pytest
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)

from custom_components.whitebit.const import CONF_AUTO_TRACK, CONF_TICKERS
from custom_components.whitebit.pywhitebit import stream as stream_module
from custom_components.whitebit.pywhitebit.client import WhiteBitClient
from custom_components.whitebit.pywhitebit.models import Balances, TradeBalance
from custom_components.whitebit.pywhitebit.servers import stream_url
from custom_components.whitebit.pywhitebit.stream import StreamState, WhiteBitStream, backoff_delay
from simulator import (
    DEMO_KEY,
    DEMO_SECRET,
    TRADE_BALANCE_PATH,
    WEBSOCKET_TOKEN_PATH,
    Fault,
)

from .common import warning_lines

if TYPE_CHECKING:
    from aiohttp import ClientSession
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

    from simulator import WhiteBitSimulator

    from .conftest import Serve

pytestmark = pytest.mark.stream

PREFIX = "sensor.whitebit_127_0_0_1"


@pytest.fixture(autouse=True)
def fast(monkeypatch: pytest.MonkeyPatch, simulator: WhiteBitSimulator) -> None:
    """WhiteBIT's intervals, scaled down so faults and recoveries take a fraction of a second."""
    monkeypatch.setattr(stream_module, "PING_INTERVAL", 0.1)
    monkeypatch.setattr(stream_module, "PONG_TIMEOUT", 0.05)
    monkeypatch.setattr(stream_module, "REPLY_TIMEOUT", 1.0)
    monkeypatch.setattr(stream_module, "BACKOFF_FIRST", 0.01)
    monkeypatch.setattr(stream_module, "BACKOFF_MAX", 0.05)
    simulator.stream.update_interval = 0.05
    simulator.stream.idle_timeout = 0.3


async def until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    """Wait until `condition` holds; fail after `seconds`."""
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110 - the conditions are states, not events
            await asyncio.sleep(0.01)


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
    portfolio = _state(hass, "portfolio_value")
    simulator.accounts[DEMO_KEY].trade["BTC"] = ("1.1", "0.02")

    await until(lambda: _state(hass, "btc_total") == "1.63234567")
    assert _state(hass, "portfolio_value") != portfolio
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
    await until(lambda: stream.status.reconnects == 1 and stream.synced)
    await until(lambda: _state(hass, "ton_total") == "7")
    assert simulator.stats.requests[WEBSOCKET_TOKEN_PATH] == 2
    assert simulator.stream.open_connections == 1
    assert "WhiteBIT's stream ended" in caplog.text
    assert "trade balances are pushed again" in caplog.text


async def test_pings_keep_an_idle_connection(
    hass: HomeAssistant, init_full: MockConfigEntry, simulator: WhiteBitSimulator
) -> None:
    """WhiteBIT closes after 60 s (here 0.3 s) without a client message; pings prevent it."""
    stream = await _connected(init_full)
    await asyncio.sleep(1.0)
    assert stream.status.reconnects == 0
    assert simulator.stream.stats.connections == 1


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
    full_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(full_config_entry.entry_id)
    stream = _stream(full_config_entry)
    await until(lambda: stream.status.reconnects == 1)
    started = asyncio.get_running_loop().time()
    await _connected(full_config_entry)
    assert asyncio.get_running_loop().time() - started >= 0.9


def test_backoff_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    """From half of 1 s to 1 s at first, doubling, never above 300 s; never below half."""
    monkeypatch.undo()  # WhiteBIT's real bounds, not the scaled-down ones
    assert (stream_module.BACKOFF_FIRST, stream_module.BACKOFF_MAX) == (1.0, 300.0)
    for attempt in range(40):
        low, high = backoff_delay(attempt, lambda: 0.0), backoff_delay(attempt, lambda: 1.0)
        ceiling = min(300.0, 2.0**attempt)
        assert (low, high) == (ceiling / 2, ceiling)
    assert 0.5 <= backoff_delay(0) <= 1.0


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


# --- hostile servers --------------------------------------------------------------------------


class _Sink:
    """What the stream hands the coordinator."""

    def __init__(self) -> None:
        self.calls: list[tuple[Balances[TradeBalance], bool]] = []

    def __call__(self, balances: Balances[TradeBalance], *, full: bool) -> None:
        self.calls.append((balances, full))


async def _hostile(
    serve: Serve, frames: list[str | bytes], session: ClientSession, sim_url: str
) -> tuple[WhiteBitStream, _Sink, asyncio.Task[None]]:
    """A stream whose /ws answers authorize, then sends `frames`; tokens from the simulator."""

    async def handler(request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        async for message in ws:
            frame = json.loads(message.data)
            if frame["method"] in {"authorize", "balanceSpot_subscribe"}:
                await ws.send_json({"id": frame["id"], "result": {"status": "success"}})
            elif frame["method"] == "balanceSpot_request":
                await ws.send_json({"id": frame["id"], "result": {}, "error": None})
                for sent in frames:
                    if isinstance(sent, bytes):
                        await ws.send_bytes(sent)
                    else:
                        await ws.send_str(sent)
        return ws

    url = await serve(handler)
    sink = _Sink()
    client = WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, sim_url)
    stream = WhiteBitStream(client, session, url + "/ws", sink, lambda: None)
    return stream, sink, asyncio.create_task(stream.run())


def _update(balances: dict[str, Any]) -> str:
    return json.dumps({"id": None, "method": "balanceSpot_update", "params": [balances]})


@pytest.mark.parametrize(
    "frame",
    [
        "[1, 2]",
        "null",
        "not json",
        b"\x00\xff binary",
        "[" * 100_000,
        '{"id": null, "method": "balanceSpot_update", "params": []}',
        '{"id": null, "method": "balanceSpot_update", "params": [[1]]}',
        '{"id": null, "result": null, "error": {"code": "\\u001b[31m", "message": 5}}',
        '{"id": null, "method": "balanceSpot_update", "params": [{"B": "'
        + "x" * 5_000_000
        + '"}]}',
    ],
    ids=[
        "array",
        "null",
        "not-json",
        "binary",
        "deep",
        "no-balances",
        "not-an-object",
        "odd-error",
        "over-4-MiB",
    ],
)
async def test_hostile_frames_end_the_connection(
    serve: Serve,
    session: ClientSession,
    sim_url: str,
    frame: str | bytes,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Whatever the frame, the connection ends and a new one starts; nothing is applied."""
    stream, sink, task = await _hostile(serve, [frame], session, sim_url)
    try:
        await until(lambda: stream.status.reconnects >= 2)
    finally:
        task.cancel()
    assert all(full for _, full in sink.calls)
    assert "\x1b" not in caplog.text


async def test_a_silent_server_and_frames_to_ignore(
    serve: Serve, session: ClientSession, sim_url: str
) -> None:
    """No answer to authorize ends the attempt; answers to nothing asked are ignored."""

    async def silent(request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for _ in ws:
            pass
        return ws

    url = await serve(silent)
    client = WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, sim_url)
    stream = WhiteBitStream(client, session, url + "/ws", _Sink(), lambda: None)
    task = asyncio.create_task(stream.run())
    try:
        await until(lambda: stream.status.reconnects >= 1)
    finally:
        task.cancel()
    assert stream.status.state is not StreamState.CONNECTED

    frames: list[str | bytes] = [
        '{"id": 99, "result": "late", "error": null}',
        _update({"BTC": {"available": "2", "freeze": "0"}}),
    ]
    stream, sink, task = await _hostile(serve, frames, session, sim_url)
    try:
        await until(lambda: len(sink.calls) == 2)
    finally:
        task.cancel()
    assert sink.calls[1][0].amounts == {"BTC": TradeBalance(Decimal(2), Decimal(0))}
    assert sink.calls[1][1] is False
    assert stream.status.reconnects == 0


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
