"""Fixtures: WhiteBIT's client mocked with its documented answers, or a simulator on loopback.

`mock_whitebit_client` is the client autospec'd, answering with the JSON fixtures in
tests/fixtures/ (WhiteBIT's documented examples) read through pywhitebit's own parsers; with
`global_entry` it serves tests of what the integration does with answers (the flows, setup,
the whole sensor surface). The simulator and the entries pointing at it serve the end-to-end
tests, kept on purpose where the wire is the point: polling over time and its request counts
(test_coordinator), faults on the wire (test_faults, test_hostile), the stream (test_stream),
pushed updates (test_tracking, test_answer_warnings, test_valuation), and one flow from the
first form to a loaded entry (test_config_flow).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Generator, Mapping
from decimal import Decimal
import json
import logging
import shutil
from typing import TYPE_CHECKING, Any, override
from unittest.mock import AsyncMock, MagicMock, PropertyMock, patch

from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer
from homeassistant.const import CONF_API_KEY, CONF_SCAN_INTERVAL, CONF_URL, Platform
from homeassistant.core import ServiceCall, State
from homeassistant.helpers import entity_registry as er, frame
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_mock_service,
    load_fixture,
)
from pytest_homeassistant_custom_component.syrupy import (
    HomeAssistantSnapshotExtension,
    HomeAssistantSnapshotSerializer,
)
from syrupy.assertion import SnapshotAssertion
from syrupy.types import SerializableData

from custom_components.whitebit import PLATFORMS
from custom_components.whitebit.const import (
    CONF_ACCOUNTS,
    CONF_API_SECRET,
    CONF_AUTO_TRACK,
    CONF_QUOTE,
    CONF_TICKERS,
    CONF_ZERO_BALANCE,
    DOMAIN,
    LEGACY_OPTIONS,
)
from custom_components.whitebit.identity import entry_unique_id
from custom_components.whitebit.pywhitebit import WHITEBIT_GLOBAL, Balances
from custom_components.whitebit.pywhitebit.earn import (
    FIXED,
    FLEX,
    Holding,
    Investments,
    Kind,
    sum_holdings,
)
from custom_components.whitebit.pywhitebit.margin import parse_positions, parse_summary
from custom_components.whitebit.pywhitebit.orders import FillHistory, OrderHistory
from custom_components.whitebit.pywhitebit.parse import (
    parse_collateral_balances,
    parse_main_balances,
    parse_markets,
    parse_trade_balances,
)
from custom_components.whitebit.pywhitebit.transfers import TransferHistory, Transfers
from simulator import DEMO_KEY, DEMO_SECRET, WhiteBitSimulator, demo_simulator

from .common import BLUEPRINTS

if TYPE_CHECKING:
    from pathlib import Path

    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant

ENTRY_ID = "01JWHITEBITTESTENTRY000000"
TITLE = "WhiteBIT (127.0.0.1)"
SELECTED = ["BTC", "DOGE", "ETH", "USDT"]
# Everything this version offers: both accounts, and values in USDT.
FULL_OPTIONS = {
    CONF_ACCOUNTS: ["main", "trade"],
    CONF_TICKERS: ["BTC", "DOGE", "ETH", "SOL", "TON", "USDT"],
    CONF_AUTO_TRACK: False,
    CONF_ZERO_BALANCE: "remove",
    CONF_QUOTE: "usdt",
}
# What the 1.3 flow makes of a 1.1 entry: main balances of the selected currencies, no values.
MAIN_OPTIONS = {**LEGACY_OPTIONS, CONF_TICKERS: SELECTED}
# Every secret a test hands to the integration; none may ever show up in a log line.
TEST_SECRETS = (DEMO_SECRET, "second-secret-1111111111111111", "wrong-secret-2222222222222")


class _Serializer(HomeAssistantSnapshotSerializer):
    """Home Assistant's snapshot serializer, the same on every supported release.

    2026.10 keeps capability and state attribute keys as enum members, 2026.5 as plain strings;
    they are equal, and written as strings, so one snapshot holds for both.
    """

    @classmethod
    @override
    def _serializable_entity_registry_entry(cls, data: er.RegistryEntry) -> SerializableData:
        return _plain_keys(super()._serializable_entity_registry_entry(data), "capabilities")

    @classmethod
    @override
    def _serializable_state(cls, data: State) -> SerializableData:
        return _plain_keys(super()._serializable_state(data), "attributes")


def _plain_keys(serialized: Any, field: str) -> Any:
    if isinstance(mapping := serialized.get(field), Mapping):
        serialized[field] = {str(key): value for key, value in mapping.items()}
    return serialized


class _SnapshotExtension(HomeAssistantSnapshotExtension):
    serializer_class = _Serializer


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Home Assistant's snapshots, with capability keys written the same on every release."""
    return snapshot.use_extension(_SnapshotExtension)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Load custom_components/ in every test."""


@pytest.fixture(autouse=True)
def no_secret_in_logs(caplog: pytest.LogCaptureFixture) -> Generator[None]:
    """Fail any test that lets a secret reach a log line, at any level, tracebacks included."""
    caplog.set_level("DEBUG")
    yield
    for record in every_record(caplog):
        text = record.getMessage() + (record.exc_text or "")
        if record.exc_info and record.exc_info[1] is not None:
            text += repr(record.exc_info[1])
        for secret in TEST_SECRETS:
            assert secret not in text, f"secret in log line: {record.getMessage()[:200]}"
    assert not any(secret in caplog.text for secret in TEST_SECRETS)


def every_record(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """The test's log records of every phase: `caplog.records` in a teardown has only its own."""
    return [*caplog.get_records("setup"), *caplog.get_records("call"), *caplog.records]


@pytest.fixture(autouse=True)
def no_deprecated_calls(caplog: pytest.LogCaptureFixture) -> Generator[None]:
    """Fail any test in which Home Assistant reports this integration's use of a deprecated API.

    Such a report is only a warning today and an error at the release it names: caught here,
    on the newest release the suite runs, before a user's Home Assistant refuses it. Home
    Assistant reports each call site once per process: forgotten here, so every test sees its own.
    """
    frame._REPORTED_INTEGRATIONS.clear()
    yield
    reports = [
        record.getMessage()[:300]
        for record in every_record(caplog)
        if record.name == "homeassistant.helpers.frame"
        and "custom integration 'whitebit'" in record.getMessage()
    ]
    assert not reports, reports


@pytest.fixture(autouse=True)
def no_stream(request: pytest.FixtureRequest) -> Generator[None]:
    """Keep WhiteBIT's WebSocket closed, except in tests marked `stream`.

    The others test polling: a connection opening in the background, at its own pace, would
    make their request counts and timings depend on it. Closed, the trade account is polled,
    exactly as when the stream is down.
    """
    if request.node.get_closest_marker("stream"):
        yield
        return
    with patch(
        "custom_components.whitebit.pywhitebit.stream.WhiteBitStream.run",
        AsyncMock(return_value=None),
    ):
        yield


@pytest.fixture(autouse=True)
def no_events(request: pytest.FixtureRequest) -> Generator[None]:
    """Leave order and transfer events out, except in tests marked `events`.

    The others test balances, prices and positions: their request counts and entity sets stay
    those of the balances, and each feature's tests do not change when another is added.
    Tests marked `events` have the event entities and the three reads a poll adds for them.
    """
    if request.node.get_closest_marker("events"):
        yield
        return
    without = [platform for platform in PLATFORMS if platform is not Platform.EVENT]
    with (
        patch(
            "custom_components.whitebit.events_data.TradeEvents.async_poll",
            AsyncMock(return_value=None),
        ),
        patch("custom_components.whitebit.PLATFORMS", without),
    ):
        yield


@pytest.fixture
def freeze_first(freezer: FrozenDateTimeFactory) -> FrozenDateTimeFactory:
    """Freeze time, on a whole second, before the entry is set up.

    Before setup, so the first poll is scheduled on frozen time. On a whole second, because Home
    Assistant schedules polls from int(loop.time()): from a random fraction of a second a poll
    could land up to a second early, and tests assert the interval to the second.
    """
    freezer.move_to("2026-11-25 12:00:00+00:00")
    return freezer


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Create every entity enabled, as core's fixture of this name does."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        return_value=True,
        new_callable=PropertyMock,
    ):
        yield


@pytest.fixture
def simulator() -> WhiteBitSimulator:
    """Return the demo exchange; tests change it to provoke faults."""
    return demo_simulator()


@pytest.fixture
async def sim_server(
    simulator: WhiteBitSimulator,
    socket_enabled: None,  # a listening socket; connections stay limited to 127.0.0.1
) -> AsyncGenerator[TestServer]:
    """Serve the simulator on a loopback port for the duration of a test."""
    server = TestServer(simulator.app(), host="127.0.0.1")
    # No access log: its timing fields misbehave under frozen time, and it is only noise here.
    await server.start_server(access_log=None)
    yield server
    await server.close()


type Serve = Callable[[Callable[[web.Request], Awaitable[web.StreamResponse]]], Awaitable[str]]


@pytest.fixture
async def session() -> AsyncGenerator[ClientSession]:
    """A plain aiohttp session, as Home Assistant's shared one (which follows redirects)."""
    async with ClientSession() as client_session:
        yield client_session


@pytest.fixture
async def serve(socket_enabled: None) -> AsyncGenerator[Serve]:
    """Start loopback servers answering every path with a handler; each returns its base URL."""
    servers: list[TestServer] = []

    async def start(handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> str:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handler)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        servers.append(server)
        return str(server.make_url("")).rstrip("/")

    yield start
    for server in servers:
        await server.close()


@pytest.fixture
def sim_url(sim_server: TestServer) -> str:
    """The simulator's base URL."""
    return str(sim_server.make_url("")).rstrip("/")


@pytest.fixture
def closed_url(socket_enabled: None) -> str:
    """A loopback URL nothing listens on."""
    return "http://127.0.0.1:9"


def _entry(
    sim_url: str, options: dict[str, Any], minor_version: int, title: str = TITLE
) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        entry_id=ENTRY_ID,
        title=title,
        version=1,
        minor_version=minor_version,
        unique_id=entry_unique_id(sim_url, DEMO_KEY),
        data={CONF_URL: sim_url, CONF_API_KEY: DEMO_KEY, CONF_API_SECRET: DEMO_SECRET},
        options=options,
    )


@pytest.fixture
def mock_config_entry(sim_url: str) -> MockConfigEntry:
    """Return an entry for the demo account on the simulator: main balances, no values."""
    return _entry(sim_url, MAIN_OPTIONS, minor_version=3)


@pytest.fixture
def legacy_config_entry(sim_url: str) -> MockConfigEntry:
    """Return an entry for the demo account as version 1.1 stored it: main balances only."""
    return _entry(sim_url, {CONF_TICKERS: SELECTED, CONF_SCAN_INTERVAL: 300}, minor_version=1)


@pytest.fixture
def global_entry() -> MockConfigEntry:
    """Return an entry on WhiteBIT Global, tracking main balances, for the mocked client."""
    return _entry(WHITEBIT_GLOBAL, MAIN_OPTIONS, 3, title="WhiteBIT Global (key …0000)")


def _earn(*pages: tuple[Kind, object]) -> Balances[Decimal]:
    """What the client sums from one documented page of each kind of investment."""
    holdings: list[Holding] = []
    for kind, page in pages:
        investments = Investments(kind)
        investments.add(page)
        holdings += investments.holdings
    return sum_holdings(holdings)


def executed_orders(page: object, since: float | None = None) -> FillHistory:
    """What the client reads from one documented page of the order history."""
    history = OrderHistory(since)
    history.add(page)
    return history.result()


def transfers(page: object, since: float | None = None) -> TransferHistory:
    """What the client reads from one documented page of deposits and withdrawals."""
    history = Transfers(since)
    history.add(page)
    return history.result()


def _fixture(name: str) -> Any:
    """A fixture decoded as the client decodes an answer: a number is the Decimal of its text."""
    return json.loads(load_fixture(name), parse_float=Decimal)


@pytest.fixture
def mock_whitebit_client() -> Generator[MagicMock]:
    """WhiteBIT's clients where the integration makes them, autospec'd, with fixture answers.

    One mock stands for both the signed client and the public one the prices use, so a test
    sets any answer or failure (`markets` included) on it alone.
    """
    with (
        patch("custom_components.whitebit.checks.WhiteBitClient", autospec=True) as client_class,
        patch("custom_components.whitebit.WhiteBitClient", new=client_class),
        patch(
            "custom_components.whitebit.prices.WhiteBitPublicClient", autospec=True
        ) as public_class,
    ):
        client = client_class.return_value

        def made(_session: object, *args: str, **_options: object) -> MagicMock:
            # The server it was made for: the last argument, after the key and secret if any.
            client.base_url = args[-1]
            return client

        client_class.side_effect = public_class.side_effect = made
        client.base_url = WHITEBIT_GLOBAL
        client.clock_skew = None
        client.main_balances.return_value = parse_main_balances(_fixture("main_balance.json"))
        client.trade_balances.return_value = parse_trade_balances(_fixture("trade_balance.json"))
        client.collateral_balances.return_value = parse_collateral_balances(
            _fixture("collateral_balance.json")
        )
        client.earn_balances.return_value = _earn(
            (FLEX, _fixture("earn_flex.json")), (FIXED, _fixture("earn_fixed.json"))
        )
        client.markets.return_value = parse_markets(_fixture("ticker.json"))
        client.collateral_summary.return_value = parse_summary(_fixture("collateral_summary.json"))
        client.open_positions.return_value = parse_positions(_fixture("open_positions.json"))
        client.executed_orders.return_value = executed_orders(_fixture("order_history.json"))
        client.open_order_markets.return_value = frozenset({"BTC_USDT"})
        client.transfers.return_value = transfers(_fixture("main_history.json"))
        yield client


@pytest.fixture
async def init_global(
    hass: HomeAssistant, global_entry: MockConfigEntry, mock_whitebit_client: MagicMock
) -> MockConfigEntry:
    """Set up the entry on WhiteBIT Global, answered by the mocked client."""
    global_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(global_entry.entry_id)
    await hass.async_block_till_done()
    return global_entry


@pytest.fixture
def full_config_entry(sim_url: str) -> MockConfigEntry:
    """Return an entry made by this version's flow, tracking both accounts with values."""
    return _entry(sim_url, FULL_OPTIONS, minor_version=3)


@pytest.fixture
async def init_full(hass: HomeAssistant, full_config_entry: MockConfigEntry) -> MockConfigEntry:
    """Set up the full entry against the simulator."""
    full_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(full_config_entry.entry_id)
    await hass.async_block_till_done()
    return full_config_entry


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> MockConfigEntry:
    """Set up the entry against the simulator."""
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    return mock_config_entry


@pytest.fixture
async def automation(hass: HomeAssistant, tmp_path: Path) -> Any:
    """Set up one automation from a blueprint in a fresh config directory; return its calls."""
    hass.config.config_dir = str(tmp_path)
    shutil.copytree(BLUEPRINTS, tmp_path / "blueprints" / "automation" / "whitebit")
    calls = async_mock_service(hass, "test", "automation")

    async def setup(name: str, inputs: dict[str, Any]) -> list[ServiceCall]:
        config = {"use_blueprint": {"path": f"whitebit/{name}", "input": inputs}}
        assert await async_setup_component(hass, "automation", {"automation": config})
        await hass.async_block_till_done()
        # Loaded and on: an invalid blueprint or input would leave it unavailable, or absent.
        [automation_id] = hass.states.async_entity_ids("automation")
        assert hass.states.get(automation_id).state == "on"
        return calls

    return setup
