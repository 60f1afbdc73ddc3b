"""One WebSocket connection to WhiteBIT: opened without following redirects, read within bounds.

Nothing received is logged: frames carry amounts, and the authorize frame carries the token.
"""

import asyncio
import json
from typing import Any, Final

import aiohttp
from aiohttp import ClientHandlerType, ClientRequest, ClientResponse

from .errors import WhiteBitRedirectError
from .stream_settings import StreamError, StreamLimits
from .text import safe_text

_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})


async def _refuse_redirect(request: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
    """Stop at a redirect: the handshake's target never changes, so the token stays put."""
    response = await handler(request)
    if response.status in _REDIRECTS:
        response.close()
        raise WhiteBitRedirectError(response.status)
    return response


async def open_websocket(
    session: aiohttp.ClientSession, url: str, limits: StreamLimits
) -> aiohttp.ClientWebSocketResponse:
    """Open `url` through the caller's session's connection pool, refusing any redirect.

    ws_connect has no allow_redirects, and a redirect would take the authorize frame, with its
    token, wherever it points (wss:// to plain ws:// on another host included). A session of
    our own on the caller's connector adds a middleware that refuses a redirect before it is
    followed: nothing is sent to the redirect's target, not even the handshake.
    """
    connector = session.connector
    if connector is None or session.closed:
        msg = "the HTTP session is closed"
        raise StreamError(msg)
    # The caller's default headers too (Home Assistant's User-Agent), as its session would send.
    async with aiohttp.ClientSession(
        connector=connector,
        connector_owner=False,
        headers=session.headers,
        middlewares=(_refuse_redirect,),
    ) as own:
        return await own.ws_connect(
            url, max_msg_size=limits.max_frame_bytes, autoclose=True, autoping=True
        )


class FrameBudget:
    """Frames and bytes per window: a server sending far more than WhiteBIT ever does is a fault.

    Fixed windows: at most twice the bound can pass around a window's edge, which is still far
    below what would cost Home Assistant anything.
    """

    def __init__(self, limits: StreamLimits, now: float) -> None:
        """Start the first window at `now`."""
        self._limits = limits
        self._start = now
        self._frames = 0
        self._bytes = 0

    def spend(self, size: int, now: float) -> None:
        """Count one frame of `size` bytes; raise StreamError past either bound."""
        limits = self._limits
        if now - self._start >= limits.window:
            self._start, self._frames, self._bytes = now, 0, 0
        self._frames += 1
        self._bytes += size
        if self._frames > limits.max_frames or self._bytes > limits.max_bytes:
            msg = (
                f"the server sent more than {limits.max_frames} frames or "
                f"{limits.max_bytes // 1024 // 1024} MiB within {limits.window:g} s"
            )
            raise StreamError(msg)


def decode(message: aiohttp.WSMessage, close_code: int | None) -> tuple[dict[str, Any], int]:
    """A text frame as a JSON object, and its size; anything else ends the connection."""
    if message.type is not aiohttp.WSMsgType.TEXT:
        msg = f"connection closed ({message.type.name}, code {close_code})"
        raise StreamError(msg)
    text: str = message.data
    try:
        frame = json.loads(text)
    except ValueError, RecursionError:
        frame = None
    if not isinstance(frame, dict):
        msg = "WhiteBIT sent a frame that is not a JSON object"
        raise StreamError(msg)
    return frame, len(text)


def raise_for_error(frame: dict[str, Any], what: str) -> None:
    """Raise StreamError for a frame carrying an error; its text escaped and bounded."""
    error = frame.get("error")
    if error is None:
        return
    code = error.get("code") if isinstance(error, dict) else None
    text = error.get("message") if isinstance(error, dict) else None
    shown = safe_text(text, 80) if isinstance(text, str) else "no message"
    msg = f"WhiteBIT refused {what}: code {safe_text(str(code), 20)}, {shown}"
    raise StreamError(msg)


async def receive(
    ws: aiohttp.ClientWebSocketResponse, seconds: float | None
) -> aiohttp.WSMessage | None:
    """The next message; None when `seconds` passed first."""
    try:
        return await ws.receive(timeout=None if seconds is None else max(seconds, 0.001))
    except TimeoutError:
        return None


async def pause() -> None:
    """Let the event loop run: awaiting a frame already buffered does not."""
    await asyncio.sleep(0)
