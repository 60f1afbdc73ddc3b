"""Fixtures for the client package's own tests: loopback servers and a session, no Home Assistant.

They replace the integration's fixtures of the same names, so these tests depend on nothing of
Home Assistant's: what the package needs is aiohttp, a loopback socket and the simulator. The
`serve` fixture (any handler on a loopback server) comes from tests/conftest.py, which needs
no Home Assistant for it.
"""

from collections.abc import AsyncGenerator, Awaitable, Callable

from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer
import pytest

from simulator import WhiteBitSimulator, demo_simulator

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
type Serve = Callable[[Handler], Awaitable[str]]
type RawServer = Callable[[web.Response | Callable[[], Awaitable[web.Response]]], Awaitable[str]]


@pytest.fixture
def auto_enable_custom_integrations() -> None:
    """No Home Assistant here: the package must work without one."""


@pytest.fixture
def simulator() -> WhiteBitSimulator:
    """Return the demo exchange; tests change it to provoke faults."""
    return demo_simulator()


@pytest.fixture
async def session() -> AsyncGenerator[ClientSession]:
    """A plain aiohttp session, as a caller of the package would bring."""
    async with ClientSession() as client_session:
        yield client_session


@pytest.fixture
def raw_server(serve: Serve) -> RawServer:
    """Serve one fixed answer (or handler) at every path; return the base URL."""

    async def start(answer: web.Response | Callable[[], Awaitable[web.Response]]) -> str:
        async def handler(_request: web.Request) -> web.Response:
            return answer if isinstance(answer, web.Response) else await answer()

        return await serve(handler)

    return start


@pytest.fixture
async def sim_url(simulator: WhiteBitSimulator, socket_enabled: None) -> AsyncGenerator[str]:
    """The simulator, served on a loopback port for the test; its base URL."""
    server = TestServer(simulator.app(), host="127.0.0.1")
    await server.start_server(access_log=None)
    yield str(server.make_url("")).rstrip("/")
    await server.close()


@pytest.fixture
def closed_url(socket_enabled: None) -> str:
    """A loopback URL nothing listens on."""
    return "http://127.0.0.1:9"
