"""Order fills, deposits and withdrawals as event entities: each fires once, and only its own.

Against the simulator, with polls run by hand (the stream stays closed here: test_events_stream
has it). What a user sees is asserted: the event entities' states and attributes, each state
written once per event, and log lines.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import timedelta
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, cast
from unittest.mock import MagicMock, patch

from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er, storage
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.whitebit import events_data
from custom_components.whitebit.const import CONF_ACCOUNTS, DOMAIN
from custom_components.whitebit.identity import entry_unique_id
from custom_components.whitebit.pywhitebit import WhiteBitPermissionError
from simulator import DEMO_KEY, MAIN_BALANCE_PATH, TRADE_BALANCE_PATH, Fault
from simulator.orders import OPEN_ORDERS_PATH, ORDER_HISTORY_PATH, TRANSFER_HISTORY_PATH

from .common import error_lines, warning_lines

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory

    from simulator import WhiteBitSimulator

pytestmark = pytest.mark.events

PREFIX = "event.whitebit_127_0_0_1"
FILLED = f"{PREFIX}_order_filled"
DEPOSIT = f"{PREFIX}_deposit"
WITHDRAWAL = f"{PREFIX}_withdrawal"
BUY = {"market": "BTC_USDT", "side": "buy", "amount": "0.01", "price": "90000"}

ATTRIBUTES = (
    "market",
    "side",
    "amount",
    "price",
    "executed_amount",
    "executed_money",
    "fee",
    "fee_currency",
    "order_id",
    "client_order_id",
)

type Fired = list[tuple[str, dict[str, Any]]]


def watch(hass: HomeAssistant, entity_id: str) -> Fired:
    """The events `entity_id` fires from now on: (event type, attributes), in order.

    As the logbook and an automation's state trigger with `not_from: unavailable` see them:
    each event is a new state (its time); a state restored when the entity is added again
    (after a reload or restart) is not an event.
    """
    fired: Fired = []

    @callback
    def changed(event: Event[EventStateChangedData]) -> None:
        old, new = event.data["old_state"], event.data["new_state"]
        if old is None or new is None or STATE_UNAVAILABLE in {old.state, new.state}:
            return
        if new.state != old.state:
            fired.append((new.attributes["event_type"], dict(new.attributes)))

    async_track_state_change_event(hass, [entity_id], changed)
    return fired


async def _poll(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    await entry.runtime_data.async_refresh()
    await hass.async_block_till_done()


async def _reload(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()


async def _setup(hass: HomeAssistant, entry: MockConfigEntry, accounts: list[str]) -> None:
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry, options={**entry.options, CONF_ACCOUNTS: accounts}
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


@pytest.mark.parametrize(
    ("accounts", "expected"),
    [
        (["main", "trade"], {FILLED, DEPOSIT, WITHDRAWAL}),
        (["trade"], {FILLED}),
        (["main"], {DEPOSIT, WITHDRAWAL}),
        (["collateral"], set()),
    ],
)
async def test_event_entities_follow_the_tracked_accounts(
    hass: HomeAssistant,
    full_config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    accounts: list[str],
    expected: set[str],
) -> None:
    """Fills need the trade account, deposits and withdrawals the main one; named in English."""
    await _setup(hass, full_config_entry, accounts)
    assert set(hass.states.async_entity_ids("event")) == expected
    names = {
        entry.entity_id: entry.translation_key
        for entry in er.async_entries_for_config_entry(entity_registry, full_config_entry.entry_id)
        if entry.domain == "event"
    }
    assert set(names) == expected
    if FILLED in expected:
        state = hass.states.get(FILLED)
        assert state is not None
        assert state.name == "WhiteBIT (127.0.0.1) Order filled"
        assert state.attributes["event_types"] == ["filled", "partially_filled"]
        assert state.state == STATE_UNKNOWN


async def test_first_start_replays_nothing_then_a_fill_and_a_deposit_fire_once(
    hass: HomeAssistant, simulator: WhiteBitSimulator, full_config_entry: MockConfigEntry
) -> None:
    """Old fills and deposits are history; the new ones fire once, not again on later polls."""
    orders = simulator.accounts[DEMO_KEY].orders
    orders.fill(BUY)
    orders.transfer(1, {"ticker": "USDT", "amount": "100"})
    await _setup(hass, full_config_entry, ["main", "trade"])
    fills, deposits = watch(hass, FILLED), watch(hass, DEPOSIT)
    await _poll(hass, full_config_entry)
    assert (fills, deposits) == ([], [])

    orders.fill({**BUY, "side": "sell", "client_order_id": "take-profit-1"})
    orders.transfer(1, {"ticker": "BTC", "amount": "0.5", "network": "BTC", "fee": "0.0001"})
    await _poll(hass, full_config_entry)
    await _poll(hass, full_config_entry)
    assert len(fills) == 1
    kind, attributes = fills[0]
    assert kind == "filled"
    assert {key: attributes[key] for key in ATTRIBUTES} == {
        "market": "BTC_USDT",
        "side": "sell",
        "amount": "0.01",
        "price": "90000",
        "executed_amount": "0.01",
        "executed_money": "900",
        "fee": "0.9",
        "fee_currency": "USDT",
        "order_id": orders.finished[0].id,
        "client_order_id": "take-profit-1",
    }
    assert [(kind, a["currency"], a["amount"], a["network"]) for kind, a in deposits] == [
        ("completed", "BTC", "0.5", "BTC")
    ]


async def test_a_pending_deposit_fires_when_it_completes_and_never_again(
    hass: HomeAssistant, simulator: WhiteBitSimulator, full_config_entry: MockConfigEntry
) -> None:
    """Pending, then completed: two events; a reload and later polls add none."""
    orders = simulator.accounts[DEMO_KEY].orders
    await _setup(hass, full_config_entry, ["main"])
    deposits, withdrawals = watch(hass, DEPOSIT), watch(hass, WITHDRAWAL)
    deposit = orders.transfer(1, {"ticker": "USDT", "amount": "250", "status": 15})
    orders.transfer(2, {"ticker": "BTC", "amount": "0.1", "status": 4})
    await _poll(hass, full_config_entry)
    assert [kind for kind, _ in deposits] == ["pending"]
    assert [(kind, a["status"]) for kind, a in withdrawals] == [("failed", 4)]
    assert not isinstance(deposit, str)
    orders.transfer(1, {"id": deposit.id, "status": 3})
    await _poll(hass, full_config_entry)
    await _reload(hass, full_config_entry)
    deposits_after = watch(hass, DEPOSIT)
    await _poll(hass, full_config_entry)
    assert [kind for kind, _ in deposits] == ["pending", "completed"]
    assert deposits_after == []
    # A completed deposit that WhiteBIT lists as pending again does not go back.
    orders.transfers[1].status = 15
    await _poll(hass, full_config_entry)
    assert deposits_after == []


async def test_what_happened_while_home_assistant_was_off_fires_once_on_return(
    hass: HomeAssistant, simulator: WhiteBitSimulator, full_config_entry: MockConfigEntry
) -> None:
    """Fills made while the entry was unloaded fire at its return, each once.

    Fired by the first poll, before the entities are added: they wait for them.
    """
    orders = simulator.accounts[DEMO_KEY].orders
    await _setup(hass, full_config_entry, ["trade"])
    fills = watch(hass, FILLED)
    orders.fill(BUY)
    await _poll(hass, full_config_entry)
    assert len(fills) == 1
    assert await hass.config_entries.async_unload(full_config_entry.entry_id)
    orders.fill({**BUY, "market": "ETH_USDT", "amount": "2", "executed": "1"})
    orders.fill({**BUY, "market": "DOGE_USDT"})
    assert await hass.config_entries.async_setup(full_config_entry.entry_id)
    await hass.async_block_till_done()
    assert [(kind, a["market"]) for kind, a in fills[1:]] == [
        ("partially_filled", "ETH_USDT"),
        ("filled", "DOGE_USDT"),
    ]


async def test_requests_per_poll(
    hass: HomeAssistant, simulator: WhiteBitSimulator, full_config_entry: MockConfigEntry
) -> None:
    """Events add three requests a poll: order history, open orders, transfers. One page each."""
    orders = simulator.accounts[DEMO_KEY].orders
    for _ in range(150):
        orders.fill(BUY)
    await _setup(hass, full_config_entry, ["main", "trade"])
    before = dict(simulator.stats.requests)
    await _poll(hass, full_config_entry)
    added = {
        path: count - before.get(path, 0)
        for path, count in simulator.stats.requests.items()
        if count != before.get(path, 0)
    }
    assert added == {
        MAIN_BALANCE_PATH: 1,
        TRADE_BALANCE_PATH: 1,
        ORDER_HISTORY_PATH: 1,
        OPEN_ORDERS_PATH: 1,
        TRANSFER_HISTORY_PATH: 1,
    } | {path: 1 for path in added if path.startswith("/api/v4/public")}


async def test_each_entry_hears_only_its_own_events(
    hass: HomeAssistant, simulator: WhiteBitSimulator, full_config_entry: MockConfigEntry
) -> None:
    """Two keys on one server: a fill of one account fires on its entry's entity alone."""
    other_key, other_secret = "other-key-11111111111111111111", "second-secret-1111111111111111"
    simulator.add_account(other_key, other_secret, {"USDT": "1"})
    await _setup(hass, full_config_entry, ["trade"])
    url = full_config_entry.data["url"]
    other = MockConfigEntry(
        domain=DOMAIN,
        title="Other",
        version=1,
        minor_version=3,
        unique_id=entry_unique_id(url, other_key),
        data={"url": url, "api_key": other_key, "api_secret": other_secret},
        options=dict(full_config_entry.options),
    )
    other.add_to_hass(hass)
    assert await hass.config_entries.async_setup(other.entry_id)
    await hass.async_block_till_done()
    mine, theirs = watch(hass, FILLED), watch(hass, "event.other_order_filled")
    simulator.accounts[other_key].orders.fill(BUY)
    await _poll(hass, full_config_entry)
    await _poll(hass, other)
    assert (len(mine), len(theirs)) == (0, 1)


async def test_hostile_text_is_escaped_in_attributes(
    hass: HomeAssistant, simulator: WhiteBitSimulator, full_config_entry: MockConfigEntry
) -> None:
    """A client order id or a network with control characters arrives escaped and bounded."""
    orders = simulator.accounts[DEMO_KEY].orders
    await _setup(hass, full_config_entry, ["main", "trade"])
    fills, deposits = watch(hass, FILLED), watch(hass, DEPOSIT)
    orders.fill({**BUY, "client_order_id": "\x1b[2J\nALERT: send BTC to x" + "y" * 300})
    orders.transfer(1, {"ticker": "USDT", "amount": "1", "network": "TRC20\u202e\r\n" * 10})
    await _poll(hass, full_config_entry)
    client_id = fills[0][1]["client_order_id"]
    network = deposits[0][1]["network"]
    for text in (client_id, network):
        assert text.isprintable()
        assert len(text) <= 65
    assert client_id.startswith("\\x1b[2J\\nALERT")


async def test_a_refused_history_is_said_once_and_the_balances_go_on(
    hass: HomeAssistant,
    simulator: WhiteBitSimulator,
    full_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A key without the history permissions: one warning, balances fine; then it recovers."""
    account = simulator.accounts[DEMO_KEY]
    account.permissions.discard(ORDER_HISTORY_PATH)
    await _setup(hass, full_config_entry, ["main", "trade"])
    await _poll(hass, full_config_entry)
    assert full_config_entry.runtime_data.last_update_success
    lines = [line for line in warning_lines(caplog) if "could not be read" in line]
    assert lines == ["WhiteBIT's order history could not be read: the key may not read it"]
    account.permissions.add(ORDER_HISTORY_PATH)
    fills = watch(hass, FILLED)
    await _poll(hass, full_config_entry)
    assert "WhiteBIT's order history can be read again" in caplog.text
    account.orders.fill(BUY)
    await _poll(hass, full_config_entry)
    # The first read that worked learnt what was there; what came after it fires.
    assert len(fills) == 1
    assert not error_lines(caplog)
    with patch.object(
        full_config_entry.runtime_data.client,
        "transfers",
        side_effect=WhiteBitPermissionError("no"),
    ):
        await _poll(hass, full_config_entry)
    assert any("deposit and withdrawal history" in line for line in warning_lines(caplog))
    # Open orders refused: the fills still come from the history.
    account.permissions.discard(OPEN_ORDERS_PATH)
    account.orders.fill(BUY)
    await _poll(hass, full_config_entry)
    assert len(fills) == 2
    assert any("open orders could not be read" in line for line in warning_lines(caplog))


async def test_the_cursor_is_bounded(
    hass: HomeAssistant,
    simulator: WhiteBitSimulator,
    full_config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """However many fills and transfers, the stored cursor keeps a bounded number of them."""
    monkeypatch.setattr(events_data, "MAX_FIRED", 10)
    monkeypatch.setattr(events_data, "MAX_TRANSFERS", 5)
    orders = simulator.accounts[DEMO_KEY].orders
    await _setup(hass, full_config_entry, ["main", "trade"])
    fills = watch(hass, FILLED)
    for _ in range(30):
        orders.fill(BUY)
        orders.transfer(1, {"ticker": "USDT", "amount": "1"})
    await _poll(hass, full_config_entry)
    await _reload(hass, full_config_entry)
    stored = hass_storage[f"{DOMAIN}.{full_config_entry.entry_id}.events"]["data"]
    assert (len(stored["fired"]["items"]), len(stored["stages"]["items"])) == (10, 5)
    await _poll(hass, full_config_entry)
    assert len(fills) == 30
    assert await hass.config_entries.async_remove(full_config_entry.entry_id)
    await hass.async_block_till_done()
    assert f"{DOMAIN}.{full_config_entry.entry_id}.events" not in hass_storage


def _ids(fired: Fired, key: str = "order_id") -> list[Any]:
    return [attributes[key] for _, attributes in fired]


async def test_events_wait_for_their_entity_a_bounded_few(
    hass: HomeAssistant,
    simulator: WhiteBitSimulator,
    full_config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A disabled entity hears nothing; what waits for it is bounded; enabled, it hears again."""
    monkeypatch.setattr(events_data, "MAX_WAITING", 3)
    await _setup(hass, full_config_entry, ["trade"])
    entity_registry.async_update_entity(FILLED, disabled_by=er.RegistryEntryDisabler.USER)
    await _reload(hass, full_config_entry)
    orders = simulator.accounts[DEMO_KEY].orders
    for _ in range(5):
        orders.fill(BUY)
    await _poll(hass, full_config_entry)
    events = full_config_entry.runtime_data.events
    heard: list[str] = []
    remove: Callable[[], None] = events.async_listen(
        "order_filled", lambda kind, _record: heard.append(kind)
    )
    assert heard == ["filled"] * 3
    remove()
    remove()


async def test_a_clock_that_does_not_move_does_not_hold_events_back(
    hass: HomeAssistant, simulator: WhiteBitSimulator, full_config_entry: MockConfigEntry
) -> None:
    """Events a millisecond apart need a clock that moves; a stuck one is waited for briefly."""
    await _setup(hass, full_config_entry, ["trade"])
    orders = simulator.accounts[DEMO_KEY].orders
    first, second = orders.fill(BUY), orders.fill({**BUY, "market": "ETH_USDT"})
    stuck = dt_util.utcnow()
    with patch("homeassistant.util.dt.utcnow", return_value=stuck):
        await _poll(hass, full_config_entry)
    state = hass.states.get(FILLED)
    assert state is not None
    assert state.attributes["market"] == "ETH_USDT"
    assert not isinstance(first, str)
    assert not isinstance(second, str)


USDT_MAIN = "sensor.whitebit_127_0_0_1_usdt_main"
HISTORY_500 = Fault(
    status=HTTPStatus.INTERNAL_SERVER_ERROR, body="<html>oops", path=ORDER_HISTORY_PATH
)


def _fault_history(
    simulator: WhiteBitSimulator, entry: MockConfigEntry
) -> AbstractContextManager[Any]:
    """The order history answers 500 with HTML to the next two polls."""
    del entry
    simulator.inject(HISTORY_500, HISTORY_500)
    return nullcontext()


def _break_history(
    simulator: WhiteBitSimulator, entry: MockConfigEntry
) -> AbstractContextManager[Any]:
    """Reading the order history raises what no client error is: a bug, until the patch ends."""
    del simulator
    client = entry.runtime_data.client
    return patch.object(client, "executed_orders", side_effect=ValueError("a bug"))


@pytest.mark.parametrize("fault", [_fault_history, _break_history], ids=["http_500", "bug"])
async def test_a_failing_events_poll_leaves_the_balances_alone(
    hass: HomeAssistant,
    simulator: WhiteBitSimulator,
    full_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    fault: Callable[[WhiteBitSimulator, MockConfigEntry], AbstractContextManager[Any]],
) -> None:
    """The balances show each poll's figure; the history's failure is said once, then its end.

    A fill made while the history failed fires once when it can be read again: none is lost.
    """
    account = simulator.accounts[DEMO_KEY]
    await _setup(hass, full_config_entry, ["main", "trade"])
    fills = watch(hass, FILLED)
    caplog.clear()
    with fault(simulator, full_config_entry):
        account.orders.fill(BUY)
        for figure in ("1001", "1002"):
            account.balances["USDT"] = figure
            await _poll(hass, full_config_entry)
            state = hass.states.get(USDT_MAIN)
            assert state is not None
            assert state.state == figure
    said = [
        line
        for line in (*warning_lines(caplog), *error_lines(caplog))
        if "order history could not be read" in line
    ]
    assert len(said) == 1
    assert fills == []
    await _poll(hass, full_config_entry)
    await _poll(hass, full_config_entry)
    assert "WhiteBIT's order history can be read again" in caplog.text
    assert len(fills) == 1


def _gate(entry: MockConfigEntry) -> tuple[asyncio.Event, AbstractContextManager[Any]]:
    """The order history answers only once the returned event is set."""
    client = entry.runtime_data.client
    read, gate = client.executed_orders, asyncio.Event()

    async def held(since: float | None) -> Any:
        await gate.wait()
        return await read(since)

    return gate, patch.object(client, "executed_orders", side_effect=held)


async def test_the_balances_do_not_wait_for_the_events_poll(
    hass: HomeAssistant, simulator: WhiteBitSimulator, full_config_entry: MockConfigEntry
) -> None:
    """A slow order history holds no balance back; polls meanwhile leave the read in flight be.

    When it answers, its fill fires once.
    """
    account = simulator.accounts[DEMO_KEY]
    await _setup(hass, full_config_entry, ["main", "trade"])
    fills = watch(hass, FILLED)
    coordinator = full_config_entry.runtime_data
    gate, held = _gate(full_config_entry)
    with held as history:
        account.orders.fill(BUY)
        for figure in ("1001", "1002"):
            account.balances["USDT"] = figure
            # Not _poll: waiting for Home Assistant to settle would wait for the history.
            async with asyncio.timeout(2):
                await coordinator.async_refresh()
            state = hass.states.get(USDT_MAIN)
            assert state is not None
            assert state.state == figure
        assert history.call_count == 1
        assert fills == []
        gate.set()
        await hass.async_block_till_done()
    assert len(fills) == 1
    await _poll(hass, full_config_entry)
    assert len(fills) == 1


async def test_an_unload_ends_the_events_poll_in_flight_and_loses_nothing(
    hass: HomeAssistant, simulator: WhiteBitSimulator, full_config_entry: MockConfigEntry
) -> None:
    """Unloaded while the history is on its way: at once, and the fill fires after the setup."""
    await _setup(hass, full_config_entry, ["trade"])
    fills = watch(hass, FILLED)
    gate, held = _gate(full_config_entry)
    with held:
        simulator.accounts[DEMO_KEY].orders.fill(BUY)
        async with asyncio.timeout(2):
            await full_config_entry.runtime_data.async_refresh()
            assert await hass.config_entries.async_unload(full_config_entry.entry_id)
    assert fills == []
    assert not gate.is_set()
    assert await hass.config_entries.async_setup(full_config_entry.entry_id)
    await hass.async_block_till_done()
    await _poll(hass, full_config_entry)
    assert len(fills) == 1


def _cursor_writes(entry: MockConfigEntry) -> int:
    """How many times the entry's cursor reached storage (hass_storage mocks the disk)."""
    key = f"{DOMAIN}.{entry.entry_id}.events"
    writes = cast("MagicMock", storage.Store._async_write_data)
    return sum(1 for call in writes.call_args_list if call.args[0].key == key)


async def _poll_and_settle(
    hass: HomeAssistant, entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """A poll, then time past the cursor's delayed write."""
    await _poll(hass, entry)
    freezer.tick(timedelta(seconds=events_data.SAVE_DELAY * 2))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


async def test_the_cursor_is_written_only_when_it_changed(
    hass: HomeAssistant,
    simulator: WhiteBitSimulator,
    full_config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
) -> None:
    """Polls that bring nothing new write nothing; a new fill, one write holding it."""
    orders = simulator.accounts[DEMO_KEY].orders
    orders.fill(BUY)
    orders.transfer(1, {"ticker": "USDT", "amount": "100"})
    await _setup(hass, full_config_entry, ["main", "trade"])
    await _poll_and_settle(hass, full_config_entry, freezer)
    before = _cursor_writes(full_config_entry)
    assert before == 1  # the first start learnt what was there
    for _ in range(3):
        await _poll_and_settle(hass, full_config_entry, freezer)
    assert _cursor_writes(full_config_entry) == before
    orders.fill(BUY)
    await _poll_and_settle(hass, full_config_entry, freezer)
    await _poll_and_settle(hass, full_config_entry, freezer)
    assert _cursor_writes(full_config_entry) == before + 1
    stored = hass_storage[f"{DOMAIN}.{full_config_entry.entry_id}.events"]["data"]
    assert len(stored["fired"]["items"]) == 2
