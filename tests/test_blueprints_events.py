"""The event blueprints load with Home Assistant's validation, and run on the integration's events.

The integration runs against the simulator (its event reads on, marker `events`); the
automation is made from the blueprint as a user imports it; a fill or deposit at WhiteBIT is a
notification after the next poll, once; a reload is none.
"""

from pathlib import Path
import shutil
from typing import Any

from homeassistant.components.blueprint.models import Blueprint
from homeassistant.components.blueprint.schemas import BLUEPRINT_SCHEMA
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import load_yaml_dict
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_mock_service

from simulator import DEMO_KEY, WhiteBitSimulator

from .test_events import BUY, DEPOSIT, FILLED, _poll, _reload, _setup

pytestmark = pytest.mark.events

BLUEPRINTS = Path(__file__).resolve().parent.parent / "blueprints" / "automation" / "whitebit"


@pytest.mark.parametrize("name", ["order_filled.yaml", "deposit_arrived.yaml"])
def test_blueprint_schema(name: str) -> None:
    """Home Assistant's blueprint schema takes each, every input is declared, links point home."""
    blueprint = Blueprint(
        load_yaml_dict(BLUEPRINTS / name), expected_domain="automation", schema=BLUEPRINT_SCHEMA
    )
    assert blueprint.metadata["source_url"].endswith(f"/blueprints/automation/whitebit/{name}")
    assert blueprint.inputs["actions"]["selector"] == {"action": {}}


async def _automation(
    hass: HomeAssistant, tmp_path: Path, name: str, inputs: dict[str, Any]
) -> list[ServiceCall]:
    hass.config.config_dir = str(tmp_path)
    shutil.copytree(BLUEPRINTS, tmp_path / "blueprints" / "automation" / "whitebit")
    calls = async_mock_service(hass, "test", "automation")
    config = {"use_blueprint": {"path": f"whitebit/{name}", "input": inputs}}
    assert await async_setup_component(hass, "automation", {"automation": config})
    await hass.async_block_till_done()
    [automation_id] = hass.states.async_entity_ids("automation")
    assert hass.states.get(automation_id).state == "on"
    return calls


def _messages(calls: list[ServiceCall]) -> list[str]:
    return [call.data["message"] for call in calls]


@pytest.mark.parametrize("partial", [True, False])
async def test_order_filled_notifies_once_per_fill(
    hass: HomeAssistant,
    simulator: WhiteBitSimulator,
    full_config_entry: MockConfigEntry,
    tmp_path: Path,
    partial: bool,  # noqa: FBT001 - a parameter
) -> None:
    """A whole fill, and a partial one if asked: one message each, amounts as written."""
    await _setup(hass, full_config_entry, ["trade"])
    message = "{{ fill.side }} {{ fill.executed_amount }} {{ fill.market }} at {{ fill.price }}"
    action = {"action": "test.automation", "data": {"message": message}}
    calls = await _automation(
        hass,
        tmp_path,
        "order_filled.yaml",
        {"order_filled": FILLED, "partial": partial, "actions": [action]},
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
    tmp_path: Path,
) -> None:
    """Pending: nothing yet. Credited: one message. A reload and later polls: none."""
    await _setup(hass, full_config_entry, ["main"])
    message = "{{ deposit.amount }} {{ deposit.currency }} arrived"
    action = {"action": "test.automation", "data": {"message": message}}
    calls = await _automation(
        hass, tmp_path, "deposit_arrived.yaml", {"deposit_event": DEPOSIT, "actions": [action]}
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
