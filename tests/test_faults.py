"""The fault matrix: every way WhiteBIT or the network can fail a poll, and the recovery after.

Each case injects one faulty answer into the simulator, lets a poll meet it, and asserts the
defined outcome: which sensors are unavailable, the one error line logged, when the next poll
comes, and whether a re-authentication flow starts. Then WhiteBIT answers normally again and
every sensor must show exactly the state it had before: nothing is lost.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
import json
import logging
import time
from typing import TYPE_CHECKING, Literal
from unittest.mock import patch

from aiohttp.test_utils import TestServer
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import CONF_API_KEY, STATE_UNAVAILABLE
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
import pytest

from custom_components.whitebit.const import CONF_API_SECRET, DOMAIN
from custom_components.whitebit.issues import clock_issue_id
from simulator import (
    DEMO_KEY,
    DEMO_SECRET,
    KEY_DISABLED,
    NO_PERMISSION,
    TOO_MANY,
    UNAUTHORIZED,
    Fault,
    WhiteBitSimulator,
)

from .common import BTC, INTERVAL, error_lines, requests_seen, tick, warning_lines

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

pytestmark = pytest.mark.usefixtures("freeze_first")

SENSORS = {
    BTC: "0.51234567",
    "sensor.whitebit_127_0_0_1_doge_main": "12345.12345678",
    "sensor.whitebit_127_0_0_1_eth_main": "0",
    "sensor.whitebit_127_0_0_1_usdt_main": "1234.56",
}
# The well-formed parts of faulty answers carry this amount; it must never reach a log line.
AMOUNT = "7.7777777"
GOOD = {ticker: {"main_balance": AMOUNT} for ticker in ("BTC", "DOGE", "ETH", "USDT")}
TRUNCATED = json.dumps(GOOD)[:-7]
HTML_502 = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"


BAD_BTC = "not a non-negative decimal for BTC"


def _with(ticker: str, value: object) -> str:
    return _with_entry(ticker, {"main_balance": value})


def _with_entry(ticker: str, entry: object) -> str:
    return json.dumps({**GOOD, ticker: entry})


@dataclass(frozen=True)
class Case:
    """One fault and what must follow from it."""

    fault: Fault
    # "poll": the poll fails, sensors go unavailable until a later poll succeeds.
    # "reauth": the key is refused; polling stops and Home Assistant asks for a key.
    # "currency": one entry is wrong: that currency's sensor goes unavailable, with one
    # warning, and every other currency takes the answer's amount.
    outcome: Literal["poll", "reauth", "currency"]
    # A fragment of the one error line the failed poll logs (a warning for "currency").
    logged: str
    # When the next poll comes after the failed one.
    retry: timedelta = INTERVAL


CASES = {
    # The next poll is due 300 s after this one gave up, 10 s after it began; the test is
    # then 15 s past the start (see _meet_fault), so 295 s remain.
    "timeout": Case(
        Fault(delay=60), "poll", "Timed out after 10 s", retry=INTERVAL - timedelta(seconds=5)
    ),
    "dropped connection": Case(Fault(action="drop"), "poll", "ServerDisconnectedError"),
    "reset mid-body": Case(
        Fault(
            action="truncate", body=json.dumps(GOOD), headers={"Content-Type": "application/json"}
        ),
        "poll",
        "ClientPayloadError",
    ),
    "500 html": Case(
        Fault(500, "<html><body>Internal Server Error</body></html>"), "poll", "HTTP 500: <html>"
    ),
    "502 html": Case(Fault(502, HTML_502), "poll", "HTTP 502: <html><head><title>502"),
    "502 empty": Case(Fault(502, ""), "poll", "HTTP 502: (empty body)"),
    "503 html": Case(
        Fault(503, "<html><body>Service Unavailable</body></html>"), "poll", "HTTP 503: <html>"
    ),
    "503 empty": Case(Fault(503, ""), "poll", "HTTP 503: (empty body)"),
    "500 empty": Case(Fault(500, ""), "poll", "HTTP 500: (empty body)"),
    "truncated json": Case(Fault(200, TRUNCATED), "poll", f"not JSON ({len(TRUNCATED)} bytes)"),
    "a list": Case(Fault(200, "[]"), "poll", "list where balances were expected"),
    "null": Case(Fault(200, "null"), "poll", "NoneType where balances were expected"),
    "a number": Case(Fault(200, _with("BTC", 0.5)), "currency", BAD_BTC),
    "missing main_balance": Case(Fault(200, json.dumps({**GOOD, "BTC": {}})), "currency", BAD_BTC),
    "entry not an object": Case(Fault(200, _with_entry("BTC", ["0.5"])), "currency", BAD_BTC),
    "negative": Case(Fault(200, _with("BTC", "-1")), "currency", BAD_BTC),
    "NaN": Case(Fault(200, _with("BTC", "NaN")), "currency", BAD_BTC),
    "Infinity": Case(Fault(200, _with("BTC", "Infinity")), "currency", BAD_BTC),
    "not a number": Case(Fault(200, _with("BTC", "lots")), "currency", BAD_BTC),
    "non-ASCII digits": Case(Fault(200, _with("BTC", "\u0661.5")), "currency", BAD_BTC),
    "61 digits": Case(Fault(200, _with("BTC", "1" * 61)), "currency", BAD_BTC),
    "huge exponent": Case(Fault(200, _with("BTC", "1e999")), "currency", BAD_BTC),
    "non-UTF-8 error page": Case(Fault(502, "\udcff"), "poll", "HTTP 502: \ufffd"),
    "deeply nested": Case(Fault(200, "[" * 100_000), "poll", "not JSON (100000 bytes)"),
    "400 invalid payload": Case(
        Fault(400, json.dumps({"code": 9, "message": "Invalid payload."})),
        "poll",
        "refused the request (HTTP 400): Invalid payload.",
    ),
    "422 code 10, market not found": Case(
        Fault(422, json.dumps({"code": 10, "message": "Market not found or disabled"})),
        "poll",
        "Market not found",
    ),
    "401 code 10": Case(Fault(401, json.dumps(UNAUTHORIZED)), "reauth", "rejected the API key"),
    "401 code 2, key disabled": Case(
        Fault(401, json.dumps(KEY_DISABLED)), "reauth", "or the key is disabled"
    ),
    "403 permission": Case(Fault(403, json.dumps(NO_PERMISSION)), "reauth", "may not read"),
    "429 nonce": Case(
        Fault(429, json.dumps(TOO_MANY)), "poll", "retrying in 10 s", retry=timedelta(seconds=10)
    ),
    "429 rate limit": Case(
        Fault(429, json.dumps(TOO_MANY), headers={"Retry-After": "30"}),
        "poll",
        "retrying in 30 s",
        retry=timedelta(seconds=30),
    ),
    # Whatever Retry-After says, the next poll comes after a finite wait within 1 s and 300 s.
    **{
        f"429 Retry-After: {header}": Case(
            Fault(429, json.dumps(TOO_MANY), headers={"Retry-After": header}),
            "poll",
            f"retrying in {seconds} s",
            retry=timedelta(seconds=seconds),
        )
        for header, seconds in (
            ("nan", 10),
            ("inf", 10),
            ("-5", 10),
            ("1e9", 10),
            ("99999999", 300),
            ("0", 1),
            ("Wed, 25 Nov 2026 12:05:30 GMT", 30),
            ("soon", 10),
        )
    },
    "422": Case(
        Fault(422, json.dumps({"code": 0, "message": "Validation failed", "errors": {"x": ["y"]}})),
        "poll",
        "Validation failed",
    ),
}


def _debug_text(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(
        record.getMessage()
        for record in caplog.records
        if record.levelno == logging.DEBUG and record.name == "custom_components.whitebit"
    )


def _states(hass: HomeAssistant) -> dict[str, str]:
    return {entity_id: hass.states.get(entity_id).state for entity_id in SENSORS}


def _reauth_flows(hass: HomeAssistant) -> list[str]:
    return [
        flow["flow_id"]
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if flow["context"]["source"] == SOURCE_REAUTH
    ]


async def _meet_fault(
    hass: HomeAssistant,
    simulator: WhiteBitSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    fault: Fault,
) -> list[str]:
    """Inject `fault`, let the next poll meet it, return the error lines it logged."""
    assert _states(hass) == SENSORS
    simulator.inject(fault)
    caplog.clear()
    polls = requests_seen(simulator)
    if fault.delay:
        # The poll waits on the client's 10 s timeout and the server on its delay. Frozen time
        # only moves when the test moves it, so: let the request reach the server, then move
        # time past both while the poll is still running.
        await tick(hass, freezer, INTERVAL, wait_for_polls=False)
        # Only zero-length sleeps: on frozen time any other sleep would never end.
        for _ in range(100_000):
            if requests_seen(simulator) > polls:
                break
            await asyncio.sleep(0)
        await tick(hass, freezer, timedelta(seconds=15), wait_for_polls=False)
        await hass.async_block_till_done(wait_background_tasks=True)
    else:
        await tick(hass, freezer, INTERVAL)
    assert requests_seen(simulator) == polls + 1
    assert not simulator.faults
    return error_lines(caplog)


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
async def test_fault_then_recovery(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: WhiteBitSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    case: Case,
) -> None:
    """Each fault has its defined outcome, and the last good state returns afterwards."""
    errors = await _meet_fault(hass, simulator, freezer, caplog, case.fault)
    assert AMOUNT not in caplog.text
    polls = requests_seen(simulator)
    if case.outcome == "currency":
        assert not errors
        assert [line for line in warning_lines(caplog) if case.logged in line] == [
            line for line in warning_lines(caplog) if "WhiteBIT" in line
        ]
        assert len(warning_lines(caplog)) == 1
        assert _states(hass) == {**dict.fromkeys(SENSORS, AMOUNT), BTC: STATE_UNAVAILABLE}
        await tick(hass, freezer, INTERVAL)
        assert _states(hass) == SENSORS
        return
    assert len(errors) == 1, errors
    # A key refused or a wait to honour is in the translated error line; any other fault's
    # detail (the client's own text) is in the debug log only, the error line a fixed reason.
    told = case.outcome == "reauth" or "retrying" in case.logged
    assert case.logged in (errors[0] if told else _debug_text(caplog))
    assert told or case.logged not in errors[0]
    assert set(_states(hass).values()) == {STATE_UNAVAILABLE}

    if case.outcome == "reauth":
        assert len(_reauth_flows(hass)) == 1
        # Polling stops: a refused key is not retried behind the person's back.
        await tick(hass, freezer, 3 * INTERVAL)
        assert requests_seen(simulator) == polls
        result = await hass.config_entries.flow.async_configure(
            _reauth_flows(hass)[0], {CONF_API_KEY: DEMO_KEY, CONF_API_SECRET: DEMO_SECRET}
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "reauth_successful"
        await hass.async_block_till_done()
    else:
        assert not _reauth_flows(hass)
        # Nothing until the retry is due, then exactly one poll, which succeeds.
        await tick(hass, freezer, case.retry - timedelta(seconds=5))
        assert requests_seen(simulator) == polls
        await tick(hass, freezer, timedelta(seconds=5))
        assert requests_seen(simulator) == polls + 1

    assert _states(hass) == SENSORS
    assert not error_lines(caplog)[1:]


async def test_connection_refused_then_recovery(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: WhiteBitSimulator,
    sim_server: TestServer,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """WhiteBIT unreachable: sensors unavailable, polling goes on, and they return with it."""
    port = sim_server.port
    await sim_server.close()
    caplog.clear()
    await tick(hass, freezer, INTERVAL)
    errors = error_lines(caplog)
    assert len(errors) == 1
    assert "Could not reach WhiteBIT for the balances" in errors[0]
    assert "ClientConnectorError" in _debug_text(caplog)
    assert set(_states(hass).values()) == {STATE_UNAVAILABLE}

    # WhiteBIT comes back on the same address.
    replacement = TestServer(simulator.app(), host="127.0.0.1", port=port)
    await replacement.start_server(access_log=None)
    try:
        await tick(hass, freezer, INTERVAL)
        assert _states(hass) == SENSORS
    finally:
        await replacement.close()


async def test_different_currency_set_then_recovery(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: WhiteBitSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An answer without a selected currency makes only that sensor unavailable.

    A currency WhiteBIT adds is not tracked until someone selects it; nothing is logged as an
    error, because delisting is WhiteBIT's decision, not a fault of the poll.
    """
    answer = {
        "DOGE": {"main_balance": "12345.12345678"},
        "ETH": {"main_balance": "0"},
        "USDT": {"main_balance": "1234.56"},
        "NEWCOIN": {"main_balance": "5"},
    }
    errors = await _meet_fault(hass, simulator, freezer, caplog, Fault(200, json.dumps(answer)))
    assert not errors
    assert _states(hass) == {**SENSORS, BTC: STATE_UNAVAILABLE}
    assert not [e for e in hass.states.async_entity_ids("sensor") if "newcoin" in e]
    await tick(hass, freezer, INTERVAL)
    assert _states(hass) == SENSORS


async def test_exponent_amount_is_that_exact_amount(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: WhiteBitSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """WhiteBIT has sent "9.5e-07": it is that amount, and the state is written fixed-point."""
    errors = await _meet_fault(
        hass, simulator, freezer, caplog, Fault(200, _with("BTC", "9.5e-07"))
    )
    assert not errors
    assert not warning_lines(caplog)
    assert _states(hass) == {**dict.fromkeys(SENSORS, AMOUNT), BTC: "0.00000095"}


@pytest.mark.parametrize("hours", [-1, 24])
@pytest.mark.usefixtures("init_integration")
async def test_clock_far_off_keeps_polling_and_raises_a_repair(
    hass: HomeAssistant,
    simulator: WhiteBitSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    issue_registry: ir.IssueRegistry,
    hours: int,
) -> None:
    """This machine's clock an hour back or a day ahead of WhiteBIT's (which keeps real time).

    WhiteBIT refuses a nonceWindow nonce more than 5 s off its clock. The first refused request
    tells WhiteBIT's time in its Date header; the client moves its nonces onto that clock and
    asks again at once, so the poll succeeds. The user gets a repair issue naming the offset,
    which goes away once the clock is right again. Only the wall clock is off: the event loop's
    monotonic clock, which schedules the polls, is not.
    """
    client = hass.config_entries.async_entries(DOMAIN)[0].runtime_data.client
    simulator.accounts[DEMO_KEY].balances["BTC"] = "2"
    with patch.object(client, "_clock", lambda: time.time() + hours * 3600):
        await tick(hass, freezer, INTERVAL)
        assert hass.states.get(BTC).state == "2"
        issue = issue_registry.async_get_issue(DOMAIN, clock_issue_id(client.base_url))
        assert issue is not None
        assert issue.translation_placeholders == {
            "seconds": f"{-hours * 3600:+d}",
            "server": "WhiteBIT 127.0.0.1",
        }
        simulator.accounts[DEMO_KEY].balances["BTC"] = "3"
        await tick(hass, freezer, INTERVAL)
        assert hass.states.get(BTC).state == "3"
    # One refusal, on the first request; the corrected nonces were all taken.
    assert simulator.stats.statuses.get(422) == 1
    assert not error_lines(caplog)
    # The clock put right: the next poll succeeds and the repair issue is gone. Its first request
    # still carried the old correction: one more refusal, whose Date header undoes it.
    await tick(hass, freezer, INTERVAL)
    assert hass.states.get(BTC).state == "3"
    assert issue_registry.async_get_issue(DOMAIN, clock_issue_id(client.base_url)) is None
    assert simulator.stats.statuses.get(422) == 2
    assert not error_lines(caplog)
