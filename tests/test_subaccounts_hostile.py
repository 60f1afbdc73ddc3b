"""Sub-accounts when something is wrong: a key without the permission, refusals, hostile aliases.

As a user sees them: the form's error, the repair issue, device names, entity states and the
log, against the simulator.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.whitebit.const import CONF_ACCOUNTS, DOMAIN, ZERO_UNAVAILABLE
from custom_components.whitebit.diagnostics import async_get_config_entry_diagnostics
from simulator import (
    DEMO_KEY,
    DEMO_SECRET,
    NONCE_OUTSIDE_WINDOW,
    SUBACCOUNT_BALANCES_PATH,
    SUBACCOUNT_LIST_PATH,
    SUBACCOUNT_PATHS,
    TOO_MANY,
    UNAUTHORIZED,
    Fault,
)
from simulator.subaccounts import NOT_ACTIVE, NOT_FOUND

from .common import INTERVAL, error_lines, tick
from .test_subaccounts import BOT, SAVINGS, SUBACCOUNTS, _setup, control, sub_devices

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant

    from simulator import WhiteBitSimulator

pytestmark = pytest.mark.usefixtures("freeze_first")

ISSUE = "subaccounts_no_access"


@pytest.fixture
async def with_subs_loaded(
    hass: HomeAssistant, full_config_entry: MockConfigEntry
) -> MockConfigEntry:
    """The full entry with sub-accounts ticked, set up."""
    return await _setup(hass, full_config_entry)


def _all_sub_devices(hass: HomeAssistant, entry: MockConfigEntry) -> list[dr.DeviceEntry]:
    """Every sub-account device of the entry, duplicates included."""
    return [
        device
        for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
        if device.via_device_id is not None
    ]


def _forbid(simulator: WhiteBitSimulator, *, allowed: bool = False) -> None:
    permissions = simulator.accounts[DEMO_KEY].permissions
    (permissions.update if allowed else permissions.difference_update)(SUBACCOUNT_PATHS)


async def test_the_flows_name_the_missing_permission(
    hass: HomeAssistant, simulator: WhiteBitSimulator, sim_url: str, init_full: MockConfigEntry
) -> None:
    """Ticked with a key that may not read sub-accounts: a form error, in setup and options."""
    _forbid(simulator)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    user = {"server": "custom", "url": sim_url, "api_key": "other-key", "api_secret": DEMO_SECRET}
    simulator.add_account("other-key", DEMO_SECRET).permissions.difference_update(SUBACCOUNT_PATHS)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**user, CONF_ACCOUNTS: ["main", "subaccounts"]}
    )
    assert result["errors"] == {"base": ISSUE}

    before = dict(init_full.options)
    result = await hass.config_entries.options.async_init(init_full.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "accounts"}
    )
    accounts = {CONF_ACCOUNTS: SUBACCOUNTS}
    result = await hass.config_entries.options.async_configure(result["flow_id"], accounts)
    assert result["errors"] == {"base": ISSUE}
    assert dict(init_full.options) == before
    _forbid(simulator, allowed=True)
    result = await hass.config_entries.options.async_configure(result["flow_id"], accounts)
    await hass.async_block_till_done()
    assert sorted(sub_devices(hass, init_full)) == ["Savings", "Trading bot"]


async def test_permission_withdrawn_is_a_repair_issue(
    hass: HomeAssistant,
    full_config_entry: MockConfigEntry,
    simulator: WhiteBitSimulator,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Refused later: a repair issue, sensors unavailable, devices kept, no reauth; then back."""
    entry = await _setup(hass, full_config_entry)
    _forbid(simulator)
    await tick(hass, freezer, INTERVAL)
    issue = issue_registry.async_get_issue(DOMAIN, f"{ISSUE}_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_placeholders == {"entry": entry.title}
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert sorted(sub_devices(hass, entry)) == ["Savings", "Trading bot"]
    assert hass.states.get("sensor.savings_btc_main").state == STATE_UNAVAILABLE
    assert hass.states.get("sensor.whitebit_127_0_0_1_btc_main").state == "0.51234567"

    _forbid(simulator, allowed=True)
    await tick(hass, freezer, INTERVAL)
    assert issue_registry.async_get_issue(DOMAIN, f"{ISSUE}_{entry.entry_id}") is None
    assert hass.states.get("sensor.savings_btc_main").state == "0.25"

    # Refused from the start: the entry loads all the same; what was there stays, unavailable.
    _forbid(simulator)
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, f"{ISSUE}_{entry.entry_id}") is not None
    assert hass.states.get("sensor.savings_btc_main").state == STATE_UNAVAILABLE
    assert hass.states.get("sensor.whitebit_127_0_0_1_btc_main").state == "0.51234567"
    _forbid(simulator, allowed=True)
    await tick(hass, freezer, INTERVAL)
    assert hass.states.get("sensor.savings_btc_main").state == "0.25"
    # Unloading takes the entry's issue along; a reload raises it again if it still applies.
    await hass.config_entries.async_unload(entry.entry_id)
    assert issue_registry.async_get_issue(DOMAIN, f"{ISSUE}_{entry.entry_id}") is None


@pytest.mark.parametrize(
    "case",
    [
        (SUBACCOUNT_LIST_PATH, 429, TOO_MANY, "rate_limited"),
        (SUBACCOUNT_LIST_PATH, 401, UNAUTHORIZED, "invalid_auth"),
        (SUBACCOUNT_LIST_PATH, 422, NONCE_OUTSIDE_WINDOW, "clock_off"),
        (SUBACCOUNT_BALANCES_PATH, 503, "busy", "update_cannot_connect"),
        (SUBACCOUNT_BALANCES_PATH, 200, "[1]", "update_invalid_response"),
    ],
)
async def test_a_failed_poll(
    hass: HomeAssistant,
    with_subs_loaded: MockConfigEntry,
    simulator: WhiteBitSimulator,
    freezer: FrozenDateTimeFactory,
    case: tuple[str, int, object, str],
) -> None:
    """Any failure: the sub-accounts unavailable for one poll, devices kept, the rest goes on."""
    path, status, body, reason = case
    text = body if isinstance(body, str) else json.dumps(body)
    # Twice: the client sends a nonce refused for its time once more, at once.
    simulator.inject(*[Fault(status, text, path=path)] * 2)
    await tick(hass, freezer, INTERVAL)
    subs = with_subs_loaded.runtime_data.sub_accounts
    assert subs is not None
    assert subs.last_exception is not None
    assert subs.last_exception.translation_key == reason
    assert hass.states.get("sensor.trading_bot_usdt_main").state == STATE_UNAVAILABLE
    assert sorted(sub_devices(hass, with_subs_loaded)) == ["Savings", "Trading bot"]
    simulator.faults.clear()
    await tick(hass, freezer, INTERVAL)
    await tick(hass, freezer, INTERVAL)
    assert hass.states.get("sensor.trading_bot_usdt_main").state == "10"


@pytest.mark.parametrize("body", [NOT_FOUND, NOT_ACTIVE])
async def test_gone_since_listed(
    hass: HomeAssistant,
    with_subs_loaded: MockConfigEntry,
    simulator: WhiteBitSimulator,
    freezer: FrozenDateTimeFactory,
    body: dict[str, object],
) -> None:
    """Listed, then refused as not found or not active: that one goes, the others stay."""
    simulator.inject(Fault(400, json.dumps(body), path=SUBACCOUNT_BALANCES_PATH))
    await tick(hass, freezer, INTERVAL)
    # Requests go in WhiteBIT's order: Savings meets the refusal.
    assert sorted(sub_devices(hass, with_subs_loaded)) == ["Trading bot"]
    assert hass.states.get("sensor.trading_bot_usdt_main").state == "10"


async def test_hostile_aliases(
    hass: HomeAssistant,
    with_subs_loaded: MockConfigEntry,
    simulator: WhiteBitSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Control characters escaped, duplicates kept apart by id, a 1 MB alias never read."""
    control(simulator, id=SAVINGS, alias="Bot\n\x1b[31mERROR forged\u202e")
    control(simulator, id=BOT, alias="Twin")
    control(simulator, id="third", alias="Twin", balances={"BTC": {"main": "2"}})
    await tick(hass, freezer, INTERVAL)
    devices = sub_devices(hass, with_subs_loaded)
    assert sorted(devices) == ["Bot\\n\\x1b[31mERROR forged\\u202e", "Twin"]
    twins = [d for d in _all_sub_devices(hass, with_subs_loaded) if d.name == "Twin"]
    assert len(twins) == 2
    # Entity IDs stay what they were made as: the bot's keep its old name.
    assert hass.states.get("sensor.trading_bot_usdt_main").state == "10"
    assert hass.states.get("sensor.twin_btc_main").state == "2"

    control(simulator, id=BOT, alias="x" * 1024 * 1024)
    await tick(hass, freezer, INTERVAL)
    assert hass.states.get("sensor.trading_bot_usdt_main").state == STATE_UNAVAILABLE
    assert len(_all_sub_devices(hass, with_subs_loaded)) == 3
    error = (
        "Error fetching WhiteBIT (127.0.0.1) sub-accounts data: WhiteBIT's answer with the "
        "balances was larger than any real one, and was not read"
    )
    assert [line for line in error_lines(caplog) if "sub-accounts" in line] == [error]
    control(simulator, id=BOT, alias="y" * 100)
    await tick(hass, freezer, INTERVAL)
    # A device name's worth: cut after 64 characters.
    assert "y" * 64 + "…" in sub_devices(hass, with_subs_loaded)


async def test_diagnostics_keep_no_id_or_alias(
    hass: HomeAssistant, with_subs_loaded: MockConfigEntry
) -> None:
    """Counts and states only: no id, alias or e-mail of a sub-account."""
    diagnostics = await async_get_config_entry_diagnostics(hass, with_subs_loaded)
    text = json.dumps(diagnostics, default=str)
    for secret in (SAVINGS, BOT, "Savings", "Trading bot", "example.com"):
        assert secret not in text
    assert diagnostics["sub_accounts"]["listed"] == 2
    assert diagnostics["sub_accounts"]["followed"] == [
        {"balances_known": True, "currencies": 2, "collateral_enabled": False},
        {"balances_known": True, "currencies": 1, "collateral_enabled": True},
    ]


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_a_failed_first_poll_keeps_what_an_earlier_run_made(
    hass: HomeAssistant,
    with_subs_loaded: MockConfigEntry,
    simulator: WhiteBitSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Set up again while the list fails: every sub-account sensor and device stays, unavailable.

    Before, the start-up sweep removed every sensor the failed poll had not made: a restart
    during an outage of WhiteBIT's sub-account list lost the sensors' settings and history.
    They go only once a poll that succeeds says their sub-account is gone.
    """
    entry = with_subs_loaded
    registry = er.async_get(hass)

    def sub_sensors() -> set[str]:
        return {
            registry_entry.entity_id
            for registry_entry in er.async_entries_for_config_entry(registry, entry.entry_id)
            if "_sub_" in registry_entry.unique_id
        }

    before = sub_sensors()
    assert "sensor.savings_btc_main" in before
    assert await hass.config_entries.async_unload(entry.entry_id)
    simulator.inject(Fault(500, "busy", path=SUBACCOUNT_LIST_PATH))
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    subs = entry.runtime_data.sub_accounts
    assert subs is not None
    assert not subs.last_update_success
    assert sub_sensors() == before
    assert sorted(sub_devices(hass, entry)) == ["Savings", "Trading bot"]
    for entity_id in before:
        assert hass.states.get(entity_id).state == STATE_UNAVAILABLE, entity_id

    # The next poll succeeds: back, and WhiteBIT's word on what is gone counts again.
    control(simulator, id=BOT, delete=True)
    await tick(hass, freezer, INTERVAL)
    assert hass.states.get("sensor.savings_btc_main").state == "0.25"
    assert sorted(sub_devices(hass, entry)) == ["Savings"]
    assert not [entity_id for entity_id in sub_sensors() if "trading_bot" in entity_id]


async def test_currencies_kept_at_zero_are_bounded(
    hass: HomeAssistant,
    full_config_entry: MockConfigEntry,
    simulator: WhiteBitSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A server cycling a sub-account's currencies cannot pile up sensors kept at zero.

    Those held come first; those at zero keep the room left (here 3 currencies, as held), in
    name order, and the rest go.
    """
    registry = er.async_get(hass)

    def currencies() -> set[str]:
        prefix = f"{full_config_entry.entry_id}_sub_{SAVINGS}_sub_main_"
        return {
            registry_entry.unique_id.removeprefix(prefix)
            for registry_entry in registry.entities.values()
            if registry_entry.unique_id.startswith(prefix)
        }

    with (
        patch("custom_components.whitebit.subaccounts.MAX_AUTO_TRACKED", 3),
        patch("custom_components.whitebit.subaccount_sensors.MAX_AUTO_TRACKED", 3),
    ):
        await _setup(hass, full_config_entry, zero_balance=ZERO_UNAVAILABLE)
        assert currencies() == {"BTC", "USDT"}
        zero = {"BTC": {"main": "0"}, "USDT": {"main": "0"}}
        control(simulator, id=SAVINGS, balances={**zero, "ETH": {"main": "1"}})
        await tick(hass, freezer, INTERVAL)
        assert currencies() == {"BTC", "ETH", "USDT"}
        for n, ticker in enumerate(("XRP", "DOGE", "TON")):
            funded = {ticker: {"main": "1"}}
            control(simulator, id=SAVINGS, balances={"ETH": {"main": "0"}, **funded})
            await tick(hass, freezer, INTERVAL)
            assert len(currencies()) == 3, n
            assert ticker in currencies()
            control(simulator, id=SAVINGS, balances={ticker: {"main": "0"}})
        assert currencies() == {"BTC", "DOGE", "TON"}
    assert hass.states.get("sensor.savings_btc_main").state == STATE_UNAVAILABLE
    assert hass.states.get("sensor.savings_ton_main").state == "1"
    assert hass.states.get("sensor.savings_xrp_main") is None
