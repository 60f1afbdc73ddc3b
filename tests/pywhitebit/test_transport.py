"""Bounded reads: inflated by the client, counted as they arrive, cut at each endpoint's bound."""

import asyncio
from collections.abc import Awaitable, Callable
import contextlib
from decimal import Decimal
import gzip
import time
import tracemalloc
import zlib

from aiohttp import ClientSession, web
import pytest

from custom_components.whitebit.pywhitebit.client import BALANCE_MAX_BYTES, WhiteBitClient
from custom_components.whitebit.pywhitebit.errors import (
    WhiteBitError,
    WhiteBitResponseError,
    WhiteBitTooLargeError,
)
from simulator import DEMO_KEY, DEMO_SECRET

from .conftest import RawServer, Serve


def _client(session: ClientSession, url: str) -> WhiteBitClient:
    return WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, url, timeout=5)


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
    """A body without end: a typed error once the balance bound (1 MiB) has arrived, memory near it.

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
    assert peak < 3 * BALANCE_MAX_BYTES, f"peak {peak / 2**20:.1f} MiB"


async def test_a_gzip_bomb_stops_at_the_limit(session: ClientSession, serve: Serve) -> None:
    """256 KiB of gzip that inflate to 256 MiB: counted after inflating, stopped at 1 MiB."""
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
    assert peak < 3 * BALANCE_MAX_BYTES, f"peak {peak / 2**20:.1f} MiB"


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


@pytest.mark.parametrize(
    ("encoding", "pack"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("identity", lambda body: body),
    ],
)
async def test_compressed_answers_are_read(
    session: ClientSession,
    raw_server: RawServer,
    encoding: str,
    pack: Callable[[bytes], bytes],
) -> None:
    """Gzip and deflate, the encodings the client asks for, are inflated (by the client)."""
    url = await raw_server(
        web.Response(
            body=pack(b'{"BTC":{"main_balance":"0.5"}}'),
            headers={"Content-Encoding": encoding, "Content-Type": "application/json"},
        )
    )
    balances = await WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, url).main_balances()
    assert balances.amounts == {"BTC": Decimal("0.5")}


@pytest.mark.parametrize(
    ("encoding", "body", "message"),
    [
        ("gzip", b"\x1f\x8b not gzip at all", "not the compressed data it said"),
        ("br", b"\x0b\x02\x80{}\x03", "an encoding it was not asked for: br"),
    ],
)
async def test_compressed_answers_that_are_not(
    session: ClientSession, raw_server: RawServer, encoding: str, body: bytes, message: str
) -> None:
    """Broken gzip, or an encoding the client never asked for: a typed error."""
    url = await raw_server(web.Response(body=body, headers={"Content-Encoding": encoding}))
    with pytest.raises(WhiteBitResponseError, match=message):
        await WhiteBitClient(session, DEMO_KEY, DEMO_SECRET, url).main_balances()


@pytest.mark.parametrize(
    ("call", "kib"),
    [
        ("main_balances", 1024),
        ("trade_balances", 1024),
        ("collateral_balances", 1024),
        ("websocket_token", 64),
        ("markets", 4096),
    ],
)
async def test_each_endpoint_reads_no_more_than_its_bound(
    session: ClientSession, serve: Serve, call: str, kib: int
) -> None:
    """An answer of the endpoint's bound is read; one byte more is refused, the bound named."""
    size = [0]

    async def padded(_request: web.Request) -> web.Response:
        return web.json_response(body=b'{"pad":"' + b"x" * (size[0] - 10) + b'"}')

    client = _client(session, await serve(padded))

    async def too_large(body_size: int) -> str | None:
        size[0] = body_size
        try:
            await getattr(client, call)()
        except WhiteBitTooLargeError as err:
            return str(err)
        except WhiteBitError:
            pass  # read, and found not to be what was asked for: not a matter of size
        return None

    assert await too_large(kib * 1024) is None
    assert (
        await too_large(kib * 1024 + 1) == f"WhiteBIT's answer is larger than {kib} KiB; not read"
    )
