"""A server that misbehaves on purpose, against the real client and the real coordinator.

Each test stands for an attack or a broken server seen on loopback before the fix: a redirect
that carried the signed key elsewhere, an answer without end, text that forged log lines,
currency names that became entities, and nonces refused across restarts and between two
instances. (Retry-After: nan is in the fault matrix, asserted as the next poll's time.) The
outcome asserted is the one a user or an attacker would see: what a sink received, peak
memory, the log line, the entities, the answers WhiteBIT gave.
"""

import asyncio
from collections.abc import Awaitable
import contextlib
import json
import logging
from pathlib import Path
import sys
import time
import tracemalloc
import zlib

from aiohttp import ClientSession, web
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.whitebit.const import CONF_AUTO_TRACK, MAX_AUTO_TRACKED
from custom_components.whitebit.pywhitebit.client import WhiteBitClient
from custom_components.whitebit.pywhitebit.errors import (
    WhiteBitConnectionError,
    WhiteBitError,
    WhiteBitRedirectError,
    WhiteBitTooLargeError,
)
from custom_components.whitebit.pywhitebit.transport import MAX_ANSWER_BYTES
from simulator import DEMO_KEY, DEMO_SECRET, Fault, WhiteBitSimulator

from .common import error_lines, warning_lines
from .conftest import Serve

ROOT = Path(__file__).resolve().parent.parent


def _client(session: ClientSession, url: str) -> WhiteBitClient:
    return WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, url, timeout=5)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_a_redirect_is_never_followed(
    session: ClientSession, serve: Serve, status: int
) -> None:
    """The signed request stays with the configured server; the sink receives nothing."""
    received: list[dict[str, str]] = []

    async def sink(request: web.Request) -> web.Response:
        received.append(dict(request.headers))
        return web.json_response({"BTC": {"main_balance": "1"}})

    sink_url = await serve(sink)

    async def redirect(_request: web.Request) -> web.Response:
        return web.Response(status=status, headers={"Location": f"{sink_url}/steal?x=" + "y" * 500})

    client = _client(session, await serve(redirect))
    with pytest.raises(WhiteBitRedirectError) as caught:
        await client.main_balances()
    with pytest.raises(WhiteBitRedirectError):
        await client.markets()
    assert received == []
    # The error names the status, not where the server pointed.
    assert str(status) in str(caught.value)
    assert "steal" not in str(caught.value)


async def _peak_memory(call: Awaitable[object]) -> tuple[BaseException | None, int]:
    tracemalloc.start()
    try:
        await call
    except WhiteBitError as err:
        return err, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return None, 0


async def test_an_endless_body_stops_at_the_limit(
    session: ClientSession, socket_enabled: None
) -> None:
    """A body without end: a typed error once 4 MiB have arrived, memory near that bound.

    A raw stream server, so that the client hanging up mid-body (as it should) ends the
    server's loop cleanly, with every error it raises retrieved.
    """
    sent = [0]

    async def endless(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        chunk = b"[" + b"0," * 32767
        deadline = time.monotonic() + 10
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n")
            # Bounded in size and time: at most 64 MiB, 10 s, or until the client goes away.
            while sent[0] < 64 * 2**20 and time.monotonic() < deadline:
                writer.write(chunk)
                await writer.drain()
                sent[0] += len(chunk)
        except ConnectionError, asyncio.IncompleteReadError:
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    server = await asyncio.start_server(endless, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        call = _client(session, f"http://127.0.0.1:{port}").main_balances()
        error, peak = await _peak_memory(call)
    finally:
        server.close()
        await server.wait_closed()
    assert isinstance(error, WhiteBitTooLargeError)
    assert sent[0] < 64 * 2**20
    assert peak < 3 * MAX_ANSWER_BYTES, f"peak {peak / 2**20:.1f} MiB"


async def test_a_gzip_bomb_stops_at_the_limit(session: ClientSession, serve: Serve) -> None:
    """256 KiB of gzip that inflate to 256 MiB: counted after inflating, stopped at 4 MiB."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b"\0" * 2**20
    bomb = b"".join(packer.compress(block) for _ in range(256)) + packer.flush()
    assert len(bomb) < 2**20

    async def gzip(_request: web.Request) -> web.Response:
        return web.Response(
            body=bomb, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"}
        )

    error, peak = await _peak_memory(_client(session, await serve(gzip)).main_balances())
    assert isinstance(error, WhiteBitTooLargeError)
    assert peak < 3 * MAX_ANSWER_BYTES, f"peak {peak / 2**20:.1f} MiB"


async def test_an_announced_huge_body_is_not_read(session: ClientSession, serve: Serve) -> None:
    """Content-Length of 500 MB is refused before a byte of the body is read."""

    async def huge(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.content_length = 500_000_000
        await response.prepare(request)
        await response.write(b"{")
        return response

    error, _ = await _peak_memory(_client(session, await serve(huge)).main_balances())
    assert isinstance(error, WhiteBitTooLargeError)


async def test_server_text_cannot_forge_log_lines(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: WhiteBitSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A message with a newline and ANSI codes is one escaped line; a 60 KB header is bounded."""
    forged = "down\n2026-11-25 12:00:00 ERROR (MainThread) [homeassistant] \x1b[31mfake\u202e"
    coordinator = init_integration.runtime_data
    for fault in (
        Fault(502, json.dumps({"message": forged})),
        Fault(200, "{}", headers={"X-Filler": "\x1b" * 60_000}),
    ):
        simulator.inject(fault)
        caplog.clear()
        await coordinator.async_refresh()
        await hass.async_block_till_done()
        [line] = error_lines(caplog)
        assert line.isprintable()
        assert len(line) < 600
        await coordinator.async_refresh()  # recovered: the next failure is logged again
        assert coordinator.last_update_success


HOSTILE_NAMES = ["A" * 1_000_000, "EVIL\nLINE", "\x1b[31mRED", "US\u202eDT", "TAB\tX", "SP ACE"]


async def test_hostile_currency_names_never_become_entities(
    hass: HomeAssistant,
    full_config_entry: MockConfigEntry,
    simulator: WhiteBitSimulator,
    entity_registry: er.EntityRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Automatic tracking: impossible names skipped, and 2,000 held currencies bounded.

    Impossible names are reported once; 2,000 held currencies make entities for
    MAX_AUTO_TRACKED of them, with one warning.
    """
    account = simulator.accounts[DEMO_KEY]
    for name in [*HOSTILE_NAMES, *(f"C{number:04d}" for number in range(2000))]:
        account.balances[name] = "1"
        simulator.list_currency(name)
    full_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        full_config_entry, options={**full_config_entry.options, CONF_AUTO_TRACK: True}
    )
    await hass.config_entries.async_setup(full_config_entry.entry_id)
    await hass.async_block_till_done()
    coordinator = full_config_entry.runtime_data
    await coordinator.async_refresh()
    await hass.async_block_till_done()

    entries = er.async_entries_for_config_entry(entity_registry, full_config_entry.entry_id)
    tickers = {entry.unique_id.rsplit("_", 1)[-1] for entry in entries} - {"value"}
    # Five sensors a currency at most, plus the portfolio.
    assert len(entries) <= 5 * MAX_AUTO_TRACKED + 1
    assert len(coordinator.data.tickers) == MAX_AUTO_TRACKED
    for entry in entries:
        assert len(entry.unique_id) < 100
        assert entry.unique_id.isprintable()
        assert (entry.original_name or "").isprintable()
    assert not tickers & set(HOSTILE_NAMES)
    warnings = warning_lines(caplog)
    assert sum("cannot be currencies" in line for line in warnings) == 1
    assert sum("automatic tracking follows 100" in line for line in warnings) == 1
    assert all(line.isprintable() and len(line) < 1000 for line in warnings)


async def _worker(
    url: str, offset: float, polls: int, interval: float, start: float | None = None
) -> list[str]:
    """Run tests/nonce_worker.py: a separate process polling with its own clock."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "tests" / "nonce_worker.py"),
        url,
        DEMO_KEY,
        DEMO_SECRET,
        str(offset),
        str(polls),
        str(interval),
        str(start or time.time()),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={"PYTHONPATH": str(ROOT)},
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, stderr.decode()[-2000:]
    return json.loads(stdout)


@pytest.mark.parametrize("slow", [0.0, 1.5])
async def test_two_instances_sharing_a_key_both_keep_working(
    sim_url: str, simulator: WhiteBitSimulator, slow: float
) -> None:
    """Two processes, one key, polls interleaved 0.1 s apart (one clock 1.5 s slow): all taken.

    With a strictly rising nonce, the instance with the lower clock was refused every time.
    What remains possible is two processes signing the very same millisecond (of their own
    clocks): WhiteBIT's nonces are milliseconds, so that one request gets a 429 and the poll
    comes again 10 s later. The schedule here (every 0.25 s) never lands on the other's
    millisecond, on purpose; at 0.2 s with the 1.5 s offset it does, on the eighth poll.
    """
    start = time.time() + 2  # both processes started and ready
    first, second = await asyncio.gather(
        _worker(sim_url, 0.0, 10, 0.25, start), _worker(sim_url, -slow, 10, 0.25, start + 0.1)
    )
    assert first == second == ["ok"] * 10
    assert simulator.stats.statuses == {200: 20}


@pytest.mark.parametrize("hours", [1, 24])
async def test_a_restart_after_the_clock_is_put_back_works_at_once(
    sim_url: str, simulator: WhiteBitSimulator, hours: int
) -> None:
    """A process with its clock an hour (a day) ahead, then a restart with the clock put right.

    Each first poll succeeds: the wrong clock is corrected from WhiteBIT's Date header (one
    refused request, then the same call succeeds), and the corrected one needs nothing.
    """
    assert await _worker(sim_url, hours * 3600.0, 3, 0.05) == ["ok"] * 3
    assert await _worker(sim_url, 0.0, 3, 0.05) == ["ok"] * 3
    assert simulator.stats.statuses == {422: 1, 200: 6}


async def test_connection_errors_quote_no_more_than_a_line(
    session: ClientSession, serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    """Aiohttp's own texts quote what the server sent; they are escaped and bounded too."""

    async def header_bomb(request: web.Request) -> web.StreamResponse:
        transport = request.transport
        assert transport is not None
        transport.write(b"HTTP/1.1 200 OK\r\nX-A: " + b"\x1b" * 60_000 + b"\r\n\r\n")
        transport.close()
        return web.Response()

    caplog.set_level(logging.DEBUG)
    with pytest.raises(WhiteBitConnectionError) as caught:
        await _client(session, await serve(header_bomb)).main_balances()
    assert len(str(caught.value)) < 400
    assert str(caught.value).isprintable()
