"""Fills pushed over the stream: an event within the second, once, whatever comes again.

Real time with WhiteBIT's intervals scaled down (test_stream's FAST); polls are run by hand, so
an event seen between them came by the stream.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from custom_components.whitebit.pywhitebit import MAX_FILLS_PER_DELIVERY, stream_settings
from simulator import DEMO_KEY
from simulator.orders import SimOrder, order_control

from .common import warning_lines
from .pywhitebit.stream_servers import FAST, until
from .test_events import BUY, FILLED, _poll, _setup, watch

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from simulator import WhiteBitSimulator

pytestmark = [pytest.mark.stream, pytest.mark.events]


@pytest.fixture(autouse=True)
def fast(monkeypatch: pytest.MonkeyPatch, simulator: WhiteBitSimulator) -> None:
    """Scaled-down intervals; an open BTC/USDT order, so that market is followed at once."""
    monkeypatch.setattr(stream_settings, "TIMING", FAST)
    simulator.stream.update_interval = 0.05
    simulator.stream.idle_timeout = 0.3
    simulator.accounts[DEMO_KEY].orders.place(BUY)


def _subscribed(simulator: WhiteBitSimulator) -> set[str]:
    """The markets the simulator's connections have ordersExecuted for."""
    return {
        market
        for connection in simulator.stream._connections
        for market in connection.order_markets.get("ordersExecuted", ())
    }


async def _fill(simulator: WhiteBitSimulator, **order: str) -> SimOrder:
    orders = simulator.accounts[DEMO_KEY].orders
    data = {"api_key": DEMO_KEY, **BUY, **order}
    reply, status = await order_control("/_sim/fill", orders, data, simulator.stream)
    assert status == 200, reply
    return orders.finished[0]


async def test_a_fill_is_an_event_within_the_second_and_the_poll_adds_nothing(
    hass: HomeAssistant, simulator: WhiteBitSimulator, full_config_entry: MockConfigEntry
) -> None:
    """Pushed: the event comes without a poll; the next poll reads the same order, fires none.

    A market the account starts trading (an open order) is followed from the next poll on,
    with the whole list sent again.
    """
    await _setup(hass, full_config_entry, ["trade"])
    stream = full_config_entry.runtime_data.stream
    assert stream is not None
    await until(lambda: stream.synced and _subscribed(simulator) == {"BTC_USDT"})
    fills = watch(hass, FILLED)
    order = await _fill(simulator, client_order_id="dca-7")
    await until(lambda: len(fills) == 1)
    assert (fills[0][1]["order_id"], fills[0][1]["client_order_id"]) == (order.id, "dca-7")
    await _poll(hass, full_config_entry)
    assert len(fills) == 1

    simulator.accounts[DEMO_KEY].orders.place({**BUY, "market": "DOGE_USDT"})
    await _poll(hass, full_config_entry)
    await until(lambda: _subscribed(simulator) == {"BTC_USDT", "DOGE_USDT"})
    await _fill(simulator, market="DOGE_USDT")
    await until(lambda: len(fills) == 2)
    assert fills[1][1]["market"] == "DOGE_USDT"


async def test_nothing_fires_twice_across_a_reconnect(
    hass: HomeAssistant, simulator: WhiteBitSimulator, full_config_entry: MockConfigEntry
) -> None:
    """The connection drops; WhiteBIT sending the same order again after it fires nothing."""
    await _setup(hass, full_config_entry, ["trade"])
    stream = full_config_entry.runtime_data.stream
    assert stream is not None
    await until(lambda: stream.synced and bool(_subscribed(simulator)))
    fills = watch(hass, FILLED)
    order = await _fill(simulator)
    await until(lambda: len(fills) == 1)
    reconnects = stream.status.reconnects
    await simulator.stream.inject("drop")
    await until(lambda: stream.synced and stream.status.reconnects > reconnects)
    await until(lambda: bool(_subscribed(simulator)))
    frames = {"ordersExecuted": order.executed_update()}
    await simulator.stream.publish(DEMO_KEY, order.market, frames)
    second = await _fill(simulator)
    await until(lambda: len(fills) == 2)
    assert [attributes["order_id"] for _, attributes in fills] == [order.id, second.id]


async def test_a_flood_past_the_bound_is_said_and_the_poll_brings_the_rest(
    hass: HomeAssistant,
    simulator: WhiteBitSimulator,
    full_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """More fills in a delivery than the bound: a warning, and the poll fires the rest, once."""
    await _setup(hass, full_config_entry, ["trade"])
    stream = full_config_entry.runtime_data.stream
    assert stream is not None
    await until(lambda: stream.synced and bool(_subscribed(simulator)))
    fills = watch(hass, FILLED)
    count = MAX_FILLS_PER_DELIVERY + 20
    orders = simulator.accounts[DEMO_KEY].orders
    filled = [orders.fill(BUY) for _ in range(count)]
    # One frame listing them all: more than a delivery takes, whatever the timing.
    records = [
        order.executed_update()["params"][0] for order in filled if isinstance(order, SimOrder)
    ]
    frame = {"id": None, "method": "ordersExecuted_update", "params": records}
    await simulator.stream.publish(DEMO_KEY, "BTC_USDT", {"ordersExecuted": frame})
    await until(lambda: len(fills) == MAX_FILLS_PER_DELIVERY)
    await until(lambda: any("more fills in a second" in line for line in warning_lines(caplog)))
    await _poll(hass, full_config_entry)
    ids = [attributes["order_id"] for _, attributes in fills]
    assert len(ids) == len(set(ids)) == count
