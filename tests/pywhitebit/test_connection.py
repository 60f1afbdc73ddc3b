"""Opening the WebSocket: through the caller's pool, as the caller's session would."""

from aiohttp import ClientSession, web

from custom_components.whitebit.pywhitebit.connection import open_websocket
from custom_components.whitebit.pywhitebit.stream_settings import LIMITS

from .conftest import Serve


async def test_the_handshake_carries_the_callers_default_headers(
    serve: Serve,
) -> None:
    """Home Assistant's session sends its User-Agent; the handshake made for it does too."""
    seen: list[str | None] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        seen.append(request.headers.get("User-Agent"))
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.close()
        return ws

    url = await serve(handler)
    async with ClientSession(headers={"User-Agent": "HomeAssistant/2026.10.4"}) as session:
        ws = await open_websocket(session, url.replace("http", "ws", 1) + "/ws", LIMITS)
        await ws.close()
        assert not session.closed
    assert seen == ["HomeAssistant/2026.10.4"]
