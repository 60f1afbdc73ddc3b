"""Earn refused: what waits for it, and the repair that fixes it from the issue itself.

The user's side of the repair is Home Assistant's repairs API, as its frontend calls it.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.translation import async_get_translations
from homeassistant.setup import async_setup_component
import pytest

from custom_components.whitebit.const import CONF_ACCOUNTS, DOMAIN
from simulator import DEMO_KEY, EARN_PATHS

from .common import INTERVAL, tick

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

    from simulator import WhiteBitSimulator

pytestmark = pytest.mark.usefixtures("freeze_first")

PREFIX = "sensor.whitebit_127_0_0_1"
FIX = "/api/repairs/issues/fix"


@pytest.fixture
async def refused(
    hass: HomeAssistant,
    full_config_entry: MockConfigEntry,
    simulator: WhiteBitSimulator,
    freezer: FrozenDateTimeFactory,
) -> MockConfigEntry:
    """The full entry with Earn (101.5 USDT in it), then WhiteBIT refusing Earn."""
    assert await async_setup_component(hass, "repairs", {})
    account = simulator.accounts[DEMO_KEY]
    account.flex, account.fixed = [("USDT", "1.5")], [("USDT", "100", 1)]
    full_config_entry.add_to_hass(hass)
    options = {**full_config_entry.options, CONF_ACCOUNTS: ["main", "trade", "earn"]}
    hass.config_entries.async_update_entry(full_config_entry, options=options)
    await hass.config_entries.async_setup(full_config_entry.entry_id)
    await hass.async_block_till_done()
    account.permissions.difference_update(EARN_PATHS)
    await tick(hass, freezer, INTERVAL)
    return full_config_entry


async def _choose(hass_client: ClientSessionGenerator, entry: MockConfigEntry, step: str) -> Any:
    """Open the issue's repair as the frontend does, and pick `step` from its menu."""
    client = await hass_client()
    issue_id = f"earn_no_access_{entry.entry_id}"
    response = await client.post(FIX, json={"handler": DOMAIN, "issue_id": issue_id})
    assert response.status == HTTPStatus.OK
    menu = await response.json()
    assert menu["type"] == "menu"
    assert menu["menu_options"] == ["stop_tracking", "retry"]
    assert menu["description_placeholders"] == {"entry": entry.title}
    response = await client.post(f"{FIX}/{menu['flow_id']}", json={"next_step_id": step})
    assert response.status == HTTPStatus.OK
    return await response.json()


async def test_the_issue_names_the_brand_once(
    hass: HomeAssistant, refused: MockConfigEntry
) -> None:
    """The title read "WhiteBIT no longer lets WhiteBIT 127.0.0.1 (key …0000) read Earn"."""
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"earn_no_access_{refused.entry_id}")
    strings = await async_get_translations(hass, "en", "issues", [DOMAIN])
    title = strings[f"component.{DOMAIN}.issues.earn_no_access.title"].format(
        **issue.translation_placeholders
    )
    assert title == f"Earn can no longer be read for {refused.title}"
    assert title.count("WhiteBIT") == refused.title.count("WhiteBIT") == 1


async def test_a_restart_keeps_only_what_was_in_earn_waiting(
    hass: HomeAssistant, refused: MockConfigEntry
) -> None:
    """Reloaded while Earn is still refused: USDT, which was in Earn, still waits; BTC does not.

    Nothing of this run's Earn answers survives a reload; the Earn sensors registered do.
    """
    await hass.config_entries.async_reload(refused.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(f"{PREFIX}_usdt_total").state == STATE_UNAVAILABLE
    assert hass.states.get(f"{PREFIX}_btc_total").state == "0.63234567"
    assert hass.states.get(f"{PREFIX}_not_valued").attributes["currencies"] == ["TON", "USDT"]


async def test_the_repair_stops_tracking_earn(
    hass: HomeAssistant, refused: MockConfigEntry, hass_client: ClientSessionGenerator
) -> None:
    """Stop tracking Earn: the option unticked, the entry reloaded, every total back."""
    result = await _choose(hass_client, refused, "stop_tracking")
    assert result["type"] == "create_entry"
    await hass.async_block_till_done()
    assert refused.options[CONF_ACCOUNTS] == ["main", "trade"]
    assert not ir.async_get(hass).async_get_issue(DOMAIN, f"earn_no_access_{refused.entry_id}")
    # 1234.56 main + 1000.50 available + 100.00 in orders; no Earn sensor any more.
    assert hass.states.get(f"{PREFIX}_usdt_total").state == "2335.06"
    assert hass.states.get(f"{PREFIX}_usdt_in_earn") is None
    assert hass.states.get(f"{PREFIX}_not_valued").state == "1"


async def test_the_repair_checks_again(
    hass: HomeAssistant,
    refused: MockConfigEntry,
    simulator: WhiteBitSimulator,
    hass_client: ClientSessionGenerator,
) -> None:
    """Check again now: still refused says so and keeps the issue; granted, it is fixed."""
    issues = ir.async_get(hass)
    issue_id = f"earn_no_access_{refused.entry_id}"
    result = await _choose(hass_client, refused, "retry")
    assert (result["type"], result["reason"]) == ("abort", "still_refused")
    assert issues.async_get_issue(DOMAIN, issue_id) is not None

    simulator.accounts[DEMO_KEY].permissions.update(EARN_PATHS)
    result = await _choose(hass_client, refused, "retry")
    assert result["type"] == "create_entry"
    await hass.async_block_till_done()
    assert issues.async_get_issue(DOMAIN, issue_id) is None
    assert hass.states.get(f"{PREFIX}_usdt_in_earn").state == "101.5"
    assert hass.states.get(f"{PREFIX}_usdt_total").state == "2436.56"


@pytest.mark.parametrize("step", ["stop_tracking", "retry"])
async def test_the_repair_of_an_unloaded_entry_says_so(
    hass: HomeAssistant,
    refused: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    step: str,
) -> None:
    """Opened, then the entry unloaded (a reload in another tab): told, nothing changed."""
    client = await hass_client()
    issue_id = f"earn_no_access_{refused.entry_id}"
    response = await client.post(FIX, json={"handler": DOMAIN, "issue_id": issue_id})
    menu = await response.json()
    await hass.config_entries.async_unload(refused.entry_id)
    response = await client.post(f"{FIX}/{menu['flow_id']}", json={"next_step_id": step})
    result = await response.json()
    assert (result["type"], result["reason"]) == ("abort", "not_loaded")
    assert refused.options[CONF_ACCOUNTS] == ["main", "trade", "earn"]
