"""The event blueprints load with Home Assistant's validation, and run on the integration's events.

The integration runs against the simulator (its event reads on, marker `events`); the
automation is made from the blueprint as a user imports it; a fill or deposit at WhiteBIT is a
notification after the next poll, once; a reload is none.
"""

from typing import Any

from homeassistant.core import HomeAssistant, ServiceCall
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from simulator import DEMO_KEY, WhiteBitSimulator

from .test_events import BUY, DEPOSIT, FILLED, _poll, _reload, _setup

pytestmark = pytest.mark.events


def _messages(calls: list[ServiceCall]) -> list[str]:
    return [call.data["message"] for call in calls]


@pytest.mark.parametrize("partial", [True, False])
async def test_order_filled_notifies_once_per_fill(
    hass: HomeAssistant,
    simulator: WhiteBitSimulator,
    full_config_entry: MockConfigEntry,
    automation: Any,
    partial: bool,  # noqa: FBT001 - a parameter
) -> None:
    """A whole fill, and a partial one if asked: one message each, amounts as written."""
    await _setup(hass, full_config_entry, ["trade"])
    message = "{{ fill.side }} {{ fill.executed_amount }} {{ fill.market }} at {{ fill.price }}"
    action = {"action": "test.automation", "data": {"message": message}}
    calls = await automation(
        "order_filled.yaml", {"order_filled": FILLED, "partial": partial, "actions": [action]}
    )
    orders = simulator.accounts[DEMO_KEY].orders
    orders.fill({**BUY, "amount": "0.00000001"})
    orders.fill({**BUY, "side": "sell", "amount": "2", "executed": "0.5"})
    await _poll(hass, full_config_entry)
    await _reload(hass, full_config_entry)
    await _poll(hass, full_config_entry)
    expected = ["buy 0.00000001 BTC_USDT at 90000"]
    assert _messages(calls) == expected + (["sell 0.5 BTC_USDT at 90000"] if partial else [])


async def test_deposit_arrived_notifies_when_it_is_credited(
    hass: HomeAssistant,
    simulator: WhiteBitSimulator,
    full_config_entry: MockConfigEntry,
    automation: Any,
) -> None:
    """Pending: nothing yet. Credited: one message. A reload and later polls: none."""
    await _setup(hass, full_config_entry, ["main"])
    message = "{{ deposit.amount }} {{ deposit.currency }} arrived"
    action = {"action": "test.automation", "data": {"message": message}}
    calls = await automation(
        "deposit_arrived.yaml", {"deposit_event": DEPOSIT, "actions": [action]}
    )
    orders = simulator.accounts[DEMO_KEY].orders
    deposit = orders.transfer(1, {"ticker": "USDT", "amount": "250.5", "status": 15})
    await _poll(hass, full_config_entry)
    assert _messages(calls) == []
    assert not isinstance(deposit, str)
    orders.transfer(1, {"id": deposit.id, "status": 7})
    await _poll(hass, full_config_entry)
    await _reload(hass, full_config_entry)
    await _poll(hass, full_config_entry)
    assert _messages(calls) == ["250.5 USDT arrived"]
