"""The blueprints users import load with Home Assistant's own validation, and do what they say."""

import asyncio
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.blueprint.models import Blueprint
from homeassistant.components.blueprint.schemas import BLUEPRINT_SCHEMA
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util.yaml import load_yaml_dict
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.whitebit.const import DOMAIN

from .common import BLUEPRINTS

BALANCE = "sensor.whitebit_global_usdt_main"
PORTFOLIO = "sensor.whitebit_global_portfolio_value"


def test_every_blueprint_is_validated() -> None:
    """The schema check below runs on each blueprint shipped: none missed, none renamed away."""
    assert {path.name for path in BLUEPRINTS.glob("*.yaml")} == {
        "balance_below.yaml",
        "deposit_arrived.yaml",
        "order_filled.yaml",
        "portfolio_moved.yaml",
        "position_near_liquidation.yaml",
    }


@pytest.mark.parametrize("name", sorted(path.name for path in BLUEPRINTS.glob("*.yaml")))
def test_blueprint_schema(name: str) -> None:
    """Home Assistant's blueprint schema takes each, every input is declared, links point home."""
    blueprint = Blueprint(
        load_yaml_dict(BLUEPRINTS / name), expected_domain="automation", schema=BLUEPRINT_SCHEMA
    )
    assert blueprint.metadata["source_url"].endswith(f"/blueprints/automation/whitebit/{name}")
    assert blueprint.inputs["actions"]["selector"] == {"action": {}}


async def _settle() -> None:
    """Let a state change reach the automation.

    Not async_block_till_done, which would wait for the automation's open window (an hour).
    """
    for _ in range(20):
        await asyncio.sleep(0)


def _notify(message: str) -> list[dict[str, Any]]:
    return [{"action": "test.automation", "data": {"message": message}}]


async def test_balance_below_a_threshold(hass: HomeAssistant, automation: Any) -> None:
    """Once when the balance crosses below the threshold, again only after it rose above."""
    hass.states.async_set(
        BALANCE, "150", {"unit_of_measurement": "USDT", "friendly_name": "USDT main balance"}
    )
    calls = await automation(
        "balance_below.yaml",
        {
            "balance": BALANCE,
            "threshold": 100,
            "actions": _notify("{{ balance_name }} is {{ amount }}"),
        },
    )
    for state in ("120", "99.5", "98", "150", "50"):
        hass.states.async_set(BALANCE, state, hass.states.get(BALANCE).attributes)
        await hass.async_block_till_done()
    assert [call.data["message"] for call in calls] == [
        "USDT main balance is 99.5 USDT",
        "USDT main balance is 50 USDT",
    ]


async def test_portfolio_moved_by_a_percentage(
    hass: HomeAssistant, automation: Any, freezer: FrozenDateTimeFactory
) -> None:
    """5 % within an hour: a 6 % rise is reported; a 2 % one, or one after the hour, is not."""
    hass.states.async_set(PORTFOLIO, "1000", {"unit_of_measurement": "USDT"})
    calls = await automation(
        "portfolio_moved.yaml",
        {
            "portfolio": PORTFOLIO,
            "percent": 5,
            "period": {"hours": 1},
            "actions": _notify("{{ change }} % from {{ start }} to {{ value }}"),
        },
    )
    # A change opens a window from 1000; +2 % stays quiet, +6 % within it is reported.
    for state in ("1000.5", "1020", "1060"):
        hass.states.async_set(PORTFOLIO, state, {"unit_of_measurement": "USDT"})
        await _settle()
    assert [call.data["message"] for call in calls] == ["5.95 % from 1000.5 to 1060.0"]

    # A new window from 1060; nothing moves 5 % within the hour, and it closes quietly.
    hass.states.async_set(PORTFOLIO, "1061", {"unit_of_measurement": "USDT"})
    await _settle()
    freezer.tick(timedelta(hours=1, seconds=1))
    async_fire_time_changed(hass)
    await _settle()
    # The next change opens a fresh window: a fall of 6 % from 1061 is reported.
    for state in ("1062", "997"):
        hass.states.async_set(PORTFOLIO, state, {"unit_of_measurement": "USDT"})
        await _settle()
    assert [call.data["message"] for call in calls][1:] == ["-6.12 % from 1062.0 to 997.0"]


LIQUIDATION = "sensor.whitebit_global_btc_usdt_long_liquidation_price"
PRICE = "sensor.whitebit_global_btc_usdt_price"
MARGIN_CALL = "binary_sensor.whitebit_global_btc_usdt_long_margin_call"


async def test_position_near_liquidation(hass: HomeAssistant, automation: Any) -> None:
    """Once when the price comes within the distance, again after it left; and on a margin call.

    An unknown liquidation price (none given) is no distance at all: nothing fires.
    """
    # Named by its device, as the integration registers it; Ukrainian here, any language works.
    entry = MockConfigEntry(domain=DOMAIN)
    entry.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, "position")},
        name="WhiteBIT Global BTC/USDT лонг",
    )
    er.async_get(hass).async_get_or_create(
        "sensor",
        DOMAIN,
        "liquidation",
        suggested_object_id=LIQUIDATION.removeprefix("sensor."),
        config_entry=entry,
        device_id=device.id,
    )
    name = "WhiteBIT Global BTC/USDT лонг Ціна ліквідації"
    hass.states.async_set(LIQUIDATION, "80000", {"friendly_name": name})
    hass.states.async_set(PRICE, "90000")
    hass.states.async_set(MARGIN_CALL, "off")
    calls = await automation(
        "position_near_liquidation.yaml",
        {
            "liquidation_price": LIQUIDATION,
            "price": PRICE,
            "margin_call": MARGIN_CALL,
            "percent": 5,
            "actions": _notify("{{ position }}: {{ reason }} {{ distance }}"),
        },
    )
    for price in ("85000", "84000", "83500", "90000", "82000"):
        hass.states.async_set(PRICE, price)
        await hass.async_block_till_done()
    hass.states.async_set(LIQUIDATION, "unknown", {"friendly_name": name})
    hass.states.async_set(PRICE, "80001")
    await hass.async_block_till_done()
    hass.states.async_set(MARGIN_CALL, "on")
    await hass.async_block_till_done()
    assert [call.data["message"] for call in calls] == [
        "WhiteBIT Global BTC/USDT лонг: near 4.76",
        "WhiteBIT Global BTC/USDT лонг: near 2.44",
        "WhiteBIT Global BTC/USDT лонг: margin_call unknown",
    ]
