"""Earn (crypto lending) in Home Assistant: paginated, with access on request, and under attack.

The client's own bounds on Earn pages are tested in tests/pywhitebit/test_earn.py; here, what a
user sees of them, and the simulator's Earn endpoints against WhiteBIT's documentation.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import contextlib
import itertools
import threading
import time
import tracemalloc
from typing import TYPE_CHECKING, Any

from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_API_KEY, CONF_URL, STATE_UNAVAILABLE
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.whitebit.const import CONF_ACCOUNTS, CONF_API_SECRET, DOMAIN
from custom_components.whitebit.identity import entry_unique_id
from simulator import (
    DEMO_KEY,
    DEMO_SECRET,
    EARN_PATHS,
    FIXED_INVESTMENTS_PATH,
    FLEX_INVESTMENTS_PATH,
    MAIN_BALANCE_PATH,
    Fault,
)

from .common import INTERVAL, tick, warning_lines
from .conftest import ENTRY_ID, FULL_OPTIONS, TITLE
from .signer import documented_body, documented_headers

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant

    from simulator import WhiteBitSimulator

pytestmark = pytest.mark.usefixtures("freeze_first")

PREFIX = "sensor.whitebit_127_0_0_1"
_STEPS = itertools.count()
type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _earning(simulator: WhiteBitSimulator, flex: int = 1) -> None:
    account = simulator.accounts[DEMO_KEY]
    # USDT: `flex` flex investments of 1.5, and a fixed 100; a closed fixed BTC counts nothing.
    account.flex = [("USDT", "1.5")] * flex
    account.fixed = [("USDT", "100", 1), ("BTC", "5", 2)]


@pytest.fixture
async def with_earn(
    hass: HomeAssistant, full_config_entry: MockConfigEntry, simulator: WhiteBitSimulator
) -> MockConfigEntry:
    """The full entry with Earn tracked too."""
    _earning(simulator)
    full_config_entry.add_to_hass(hass)
    options = {**full_config_entry.options, CONF_ACCOUNTS: ["main", "trade", "earn"]}
    hass.config_entries.async_update_entry(full_config_entry, options=options)
    await hass.config_entries.async_setup(full_config_entry.entry_id)
    await hass.async_block_till_done()
    return full_config_entry


async def test_earn_in_totals_and_portfolio(
    hass: HomeAssistant, with_earn: MockConfigEntry
) -> None:
    """Active investments per currency, in the total and the portfolio, to the last digit."""
    assert hass.states.get(f"{PREFIX}_usdt_in_earn").state == "101.5"
    # BTC's only investment is closed: nothing in Earn, so no "BTC in Earn 0" row.
    assert hass.states.get(f"{PREFIX}_btc_in_earn") is None
    # 1234.56 main + 1000.50 + 100.00 trade + 101.5 Earn.
    assert hass.states.get(f"{PREFIX}_usdt_total").state == "2436.56"
    # The demo's 62924.48821707 USDT, plus 101.5 USDT in Earn.
    assert hass.states.get(f"{PREFIX}_portfolio_value_usdt").state == "63025.98821707"


async def test_pagination_is_bounded(
    hass: HomeAssistant,
    with_earn: MockConfigEntry,
    simulator: WhiteBitSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """250 flex investments: three pages; more than 1,000: no partial sum, and a warning."""
    _earning(simulator, flex=250)
    before = dict(simulator.stats.requests)
    await tick(hass, freezer, INTERVAL)
    assert simulator.stats.requests[FLEX_INVESTMENTS_PATH] - before[FLEX_INVESTMENTS_PATH] == 3
    assert simulator.stats.requests[FIXED_INVESTMENTS_PATH] - before[FIXED_INVESTMENTS_PATH] == 1
    assert hass.states.get(f"{PREFIX}_usdt_in_earn").state == "475"

    _earning(simulator, flex=1001)
    before = dict(simulator.stats.requests)
    await tick(hass, freezer, INTERVAL)
    assert simulator.stats.requests[FLEX_INVESTMENTS_PATH] - before[FLEX_INVESTMENTS_PATH] == 10
    assert hass.states.get(f"{PREFIX}_usdt_in_earn").state == STATE_UNAVAILABLE
    assert hass.states.get(f"{PREFIX}_usdt_total").state == STATE_UNAVAILABLE
    assert hass.states.get(f"{PREFIX}_usdt_main").state == "1234.56"


async def test_access_withdrawn_is_a_repair_issue_not_a_reauth(
    hass: HomeAssistant,
    with_earn: MockConfigEntry,
    simulator: WhiteBitSimulator,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """403 on Earn while running: a repair issue; only what was in Earn waits for it.

    Before, every total and the portfolio went unavailable, BTC's too, which had nothing there.
    Now USDT's total (101.5 was in Earn) is unavailable, the others go on, and the portfolio
    goes on without USDT, which its Not valued sensor counts.
    """
    simulator.accounts[DEMO_KEY].permissions.difference_update(EARN_PATHS)
    for _ in range(3):
        await tick(hass, freezer, INTERVAL)
    issue = issue_registry.async_get_issue(DOMAIN, f"earn_no_access_{with_earn.entry_id}")
    assert issue is not None
    assert issue.translation_placeholders == {"entry": with_earn.title}
    assert issue.is_fixable
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert hass.states.get(f"{PREFIX}_usdt_in_earn").state == STATE_UNAVAILABLE
    assert hass.states.get(f"{PREFIX}_usdt_total").state == STATE_UNAVAILABLE
    assert hass.states.get(f"{PREFIX}_btc_total").state == "0.63234567"
    # The demo's 62924.48821707 USDT, less USDT's own 2335.06.
    assert hass.states.get(f"{PREFIX}_portfolio_value_usdt").state == "60589.42821707"
    not_valued = hass.states.get(f"{PREFIX}_not_valued")
    assert (not_valued.state, not_valued.attributes["currencies"]) == ("2", ["TON", "USDT"])
    assert hass.states.get(f"{PREFIX}_usdt_main").state == "1234.56"
    assert not [line for line in warning_lines(caplog) if "Earn" in line]

    simulator.accounts[DEMO_KEY].permissions.update(EARN_PATHS)
    await tick(hass, freezer, INTERVAL)
    assert issue_registry.async_get_issue(DOMAIN, f"earn_no_access_{with_earn.entry_id}") is None
    assert hass.states.get(f"{PREFIX}_usdt_in_earn").state == "101.5"


async def test_a_failing_earn_request_is_logged_once(
    hass: HomeAssistant,
    with_earn: MockConfigEntry,
    simulator: WhiteBitSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A broken Earn answer: one warning, Earn unknown, main polled as usual; then one info."""
    before = simulator.stats.requests[MAIN_BALANCE_PATH]
    simulator.inject(*[Fault(503, "busy", path=FLEX_INVESTMENTS_PATH)] * 2)
    for _ in range(2):
        await tick(hass, freezer, INTERVAL)
        assert hass.states.get(f"{PREFIX}_usdt_in_earn").state == STATE_UNAVAILABLE
        assert hass.states.get(f"{PREFIX}_usdt_main").state == "1234.56"
    assert simulator.stats.requests[MAIN_BALANCE_PATH] == before + 2
    assert [line for line in warning_lines(caplog) if "Earn" in line] == [
        "WhiteBIT's Earn figures could not be read: WhiteBIT answered HTTP 503: busy"
    ]
    await tick(hass, freezer, INTERVAL)
    assert "WhiteBIT's Earn figures can be read again" in caplog.text
    assert hass.states.get(f"{PREFIX}_usdt_in_earn").state == "101.5"


async def test_the_flow_names_the_missing_lending_access(
    hass: HomeAssistant, simulator: WhiteBitSimulator, sim_url: str
) -> None:
    """Earn ticked without lending access: a form error saying what to ask WhiteBIT for."""
    simulator.accounts[DEMO_KEY].permissions.difference_update(EARN_PATHS)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    user = {"server": "custom", "url": sim_url, "api_key": DEMO_KEY, "api_secret": DEMO_SECRET}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**user, CONF_ACCOUNTS: ["main", "earn"]}
    )
    assert result["errors"] == {"base": "earn_no_access"}


async def test_options_refuse_earn_without_lending_access(
    hass: HomeAssistant, init_full: MockConfigEntry, simulator: WhiteBitSimulator
) -> None:
    """Ticking Earn in the options checks the key first; without access the entry is unchanged."""
    simulator.accounts[DEMO_KEY].permissions.difference_update(EARN_PATHS)
    before = dict(init_full.options)
    result = await hass.config_entries.options.async_init(init_full.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "accounts"}
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_ACCOUNTS: ["main", "trade", "earn"]}
    )
    assert result["errors"] == {"base": "earn_no_access"}
    assert dict(init_full.options) == before
    simulator.accounts[DEMO_KEY].permissions.update(EARN_PATHS)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_ACCOUNTS: ["main", "trade", "earn"]}
    )
    await hass.async_block_till_done()
    assert init_full.options[CONF_ACCOUNTS] == ["main", "trade", "earn"]
    # The demo's active investments: 150.25 USDT flex and 0.05 BTC fixed.
    assert hass.states.get(f"{PREFIX}_usdt_in_earn").state == "150.25"
    assert hass.states.get(f"{PREFIX}_btc_in_earn").state == "0.05"


class _ThreadServer:
    """An aiohttp app served from a thread of its own, on its own event loop.

    The client hangs up half-way through each bomb, as it should; aiohttp then leaves a
    "Connection lost" future on the serving loop now and then. On Home Assistant's loop the test
    harness takes that for the integration's error; on a loop of its own it stays the server's.
    """

    def __init__(self, app: web.Application) -> None:
        self._loop = asyncio.new_event_loop()
        self._loop.set_exception_handler(lambda _loop, _context: None)
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server = TestServer(app, host="127.0.0.1")

    def start(self) -> str:
        self._thread.start()
        start = self._server.start_server(access_log=None)
        asyncio.run_coroutine_threadsafe(start, self._loop).result(timeout=10)
        return str(self._server.make_url("")).rstrip("/")

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self._server.close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()


def _bomb_server(simulator: WhiteBitSimulator) -> tuple[_ThreadServer, list[str]]:
    """The simulator, but each Earn page two million bare zeros, streamed without a length.

    Balances, the ticker and the key's checks are the simulator's own; only Earn is hostile.
    """
    bomb = b'{"data":[' + b",".join([b"0"] * 2_090_000) + b'],"limit":100,"offset":0}'
    asked: list[str] = []

    @web.middleware
    async def earn_bomb(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path not in EARN_PATHS:
            return await handler(request)
        asked.append(request.path)
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        with contextlib.suppress(ConnectionError):  # the client hangs up, as it should
            for start in range(0, len(bomb), 2**16):
                await response.write(bomb[start : start + 2**16])
            await response.write_eof()
        return response

    app = simulator.app()
    app.middlewares.append(earn_bomb)
    return _ThreadServer(app), asked


async def test_an_earn_bomb_leaves_home_assistant_whole(
    hass: HomeAssistant,
    simulator: WhiteBitSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    socket_enabled: None,
    entity_registry_enabled_by_default: None,
) -> None:
    """Every Earn page ~4 MiB of zeros: Earn unavailable, the rest fine, one warning, little memory.

    Before the fix one poll against this server took 1.6 GB and over a minute of CPU.
    """
    server, asked = _bomb_server(simulator)
    url = await hass.async_add_executor_job(server.start)
    entry = MockConfigEntry(
        domain=DOMAIN,
        entry_id=ENTRY_ID,
        title=TITLE,
        version=1,
        minor_version=3,
        unique_id=entry_unique_id(url, DEMO_KEY),
        data={CONF_URL: url, CONF_API_KEY: DEMO_KEY, CONF_API_SECRET: DEMO_SECRET},
        options={**FULL_OPTIONS, CONF_ACCOUNTS: ["main", "trade", "earn"]},
    )
    entry.add_to_hass(hass)
    try:
        await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        tracemalloc.start()
        try:
            await tick(hass, freezer, INTERVAL)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        print(f"Earn bomb, one poll through Home Assistant: peak {peak / 2**20:.1f} MiB traced")  # noqa: T201 - the measure asked for
        assert peak < 100 * 2**20
        # One refused page a poll, at setup and at the poll: never the ten pages of before.
        assert asked == [FLEX_INVESTMENTS_PATH] * 2
        # Earn never read: no currency is known to be in it, so no Earn sensor, and the totals
        # are those of the other accounts (the warning below says Earn is missing).
        assert hass.states.get(f"{PREFIX}_usdt_in_earn") is None
        assert hass.states.get(f"{PREFIX}_usdt_total").state == "2335.06"
        assert hass.states.get(f"{PREFIX}_usdt_main").state == "1234.56"
        assert hass.states.get(f"{PREFIX}_btc_available").state == "0.1"
        refused = "WhiteBIT's answer is larger than 512 KiB; not read"
        assert [line for line in warning_lines(caplog) if "Earn" in line] == [
            f"WhiteBIT's Earn figures could not be read: {refused}"
        ]
    finally:
        await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_add_executor_job(server.close)


async def _ask(sim_url: str, path: str, **params: object) -> tuple[int, dict[str, Any]]:
    """One request signed by WhiteBIT's documented recipe, not by the client."""
    # Time is frozen here: each request takes a millisecond more, never a nonce used already.
    nonce = int(time.time() * 1000) + next(_STEPS)
    body = documented_body(path, nonce, nonceWindow=True, **params)
    headers = documented_headers(DEMO_KEY, DEMO_SECRET, body)
    async with (
        ClientSession() as session,
        session.post(sim_url + path, data=body, headers=headers) as answer,
    ):
        return answer.status, await answer.json()


async def test_the_simulator_pages_earn_as_documented(
    sim_url: str, simulator: WhiteBitSimulator
) -> None:
    """As documented: `limit` ≤ 100, `offset`, both shapes, each list's status filter, else 400."""
    simulator.accounts[DEMO_KEY].flex = [("USDT", "1")] * 150
    status, page = await _ask(sim_url, FLEX_INVESTMENTS_PATH, investmentStatus=1, offset=100)
    assert status == 200
    assert set(page) == {"data", "limit", "offset"}
    assert (page["limit"], page["offset"], len(page["data"])) == (100, 100, 50)
    record = page["data"][0]
    assert set(record) == {
        "id",
        "planId",
        "currency",
        "invested",
        "withAutoReinvest",
        "status",
        "createdAt",
        "updatedAt",
    }
    assert (record["currency"], record["invested"], record["status"]) == ("USDT", "1", 1)
    status, page = await _ask(sim_url, FLEX_INVESTMENTS_PATH, investmentStatus=0)
    assert (status, page["data"]) == (200, [])

    status, page = await _ask(sim_url, FIXED_INVESTMENTS_PATH, status=2, limit=1)
    assert status == 200
    assert set(page) == {"offset", "limit", "records"}
    [record] = page["records"]
    assert (record["plan"]["ticker"], record["status"], record["amount"]) == ("ETH", 2, "1")
    assert {"id", "created", "updated", "paymentTime", "interestPaid"} <= set(record)

    for path, params, field in (
        (FLEX_INVESTMENTS_PATH, {"limit": 101}, "limit"),
        (FLEX_INVESTMENTS_PATH, {"offset": -1}, "offset"),
        (FLEX_INVESTMENTS_PATH, {"investmentStatus": 2}, "investmentStatus"),
        (FIXED_INVESTMENTS_PATH, {"status": 0}, "status"),
        (FIXED_INVESTMENTS_PATH, {"limit": True}, "limit"),
    ):
        status, page = await _ask(sim_url, path, **params)
        assert status == 400
        assert page["message"] == "Validation failed"
        assert set(page["errors"]) == {field}
