"""Sub-accounts in Home Assistant: a device each, sensors per currency, following WhiteBIT.

Against the simulator, as a user sees them: devices in the device registry, entity states, log
lines, and the requests WhiteBIT receives per poll.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from unittest.mock import patch

from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.whitebit.const import (
    CONF_ACCOUNTS,
    CONF_ZERO_BALANCE,
    DOMAIN,
    ZERO_REMOVE,
    ZERO_UNAVAILABLE,
)
from custom_components.whitebit.subaccounts import SubAccountState
from simulator import (
    DEMO_KEY,
    DEMO_SUBACCOUNTS,
    SUBACCOUNT_BALANCES_PATH,
    SUBACCOUNT_LIST_PATH,
    SUBACCOUNT_PATHS,
)

from .common import INTERVAL, tick, warning_lines

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from syrupy.assertion import SnapshotAssertion

    from simulator import WhiteBitSimulator

pytestmark = pytest.mark.usefixtures("freeze_first")

SAVINGS = str(DEMO_SUBACCOUNTS[0]["id"])
BOT = str(DEMO_SUBACCOUNTS[1]["id"])
SUBACCOUNTS = ["main", "trade", "subaccounts"]
SUM = "sensor.whitebit_127_0_0_1_sub_accounts_value"


async def _setup(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    accounts: list[str] = SUBACCOUNTS,
    zero_balance: str = ZERO_REMOVE,
) -> MockConfigEntry:
    entry.add_to_hass(hass)
    options = {CONF_ACCOUNTS: accounts, CONF_ZERO_BALANCE: zero_balance}
    hass.config_entries.async_update_entry(entry, options={**entry.options, **options})
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


@pytest.fixture
async def with_subs(hass: HomeAssistant, full_config_entry: MockConfigEntry) -> MockConfigEntry:
    """The full entry (valued in USDT) with sub-accounts ticked."""
    return await _setup(hass, full_config_entry)


def sub_devices(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, dr.DeviceEntry]:
    """The entry's sub-account devices, by the name a user sees."""
    registry = dr.async_get(hass)
    return {
        device.name_by_user or str(device.name): device
        for device in dr.async_entries_for_config_entry(registry, entry.entry_id)
        if device.via_device_id is not None
    }


def control(simulator: WhiteBitSimulator, **data: Any) -> None:
    """What the /_sim/subaccount endpoint does, for the demo key."""
    assert simulator.accounts[DEMO_KEY].subaccounts.control(data) is None


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_the_demo_sub_accounts(
    hass: HomeAssistant,
    with_subs: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Two devices named by alias, under the account's device; their sensors and values."""
    devices = sub_devices(hass, with_subs)
    assert sorted(devices) == ["Savings", "Trading bot"]
    registry = dr.async_get(hass)
    [parent] = [
        device
        for device in dr.async_entries_for_config_entry(registry, with_subs.entry_id)
        if (DOMAIN, with_subs.entry_id) in device.identifiers
    ]
    assert {device.via_device_id for device in devices.values()} == {parent.id}
    entries = sorted(
        (
            entry
            for entry in er.async_entries_for_config_entry(entity_registry, with_subs.entry_id)
            if "_sub" in entry.unique_id
        ),
        key=lambda entry: entry.entity_id,
    )
    assert entries
    for entry in entries:
        assert entry == snapshot(name=f"{entry.entity_id}-entry")
        assert hass.states.get(entry.entity_id) == snapshot(name=f"{entry.entity_id}-state")


async def test_the_default_set(hass: HomeAssistant, with_subs: MockConfigEntry) -> None:
    """Main, collateral (where allowed) and total on; trade off; values exact; the sum."""
    states = {state.entity_id: state.state for state in hass.states.async_all("sensor")}
    assert states["sensor.savings_btc_main"] == "0.25"
    assert states["sensor.savings_usdt_total"] == "2500"
    assert "sensor.savings_usdt_collateral" not in states
    assert "sensor.savings_usdt_trade" not in states  # off by default
    assert states["sensor.trading_bot_usdt_main"] == "10"
    assert states["sensor.trading_bot_usdt_collateral"] == "300"
    assert states["sensor.trading_bot_usdt_total"] == "1050.5"
    # Only the currencies each holds: the bot has no BTC sensor.
    assert "sensor.trading_bot_btc_main" not in states
    assert states["sensor.trading_bot_portfolio_value"] == "1050.5"
    savings = float(states["sensor.savings_portfolio_value"])
    assert float(states[SUM]) == pytest.approx(savings + 1050.5)


async def test_new_prices_revalue_once_without_a_poll(
    hass: HomeAssistant, with_subs: MockConfigEntry, simulator: WhiteBitSimulator
) -> None:
    """New prices revalue each sub-account and the sum, without a sub-account request.

    Each value is computed once per update (four sub-account valuations: one per sub-account
    sensor, one per sub-account in the sum), not at every read of state and attributes.
    """
    prices = with_subs.runtime_data.prices
    assert prices is not None
    listed = simulator.stats.requests[SUBACCOUNT_LIST_PATH]
    simulator.set_price("BTC_USDT", "100000")
    with patch.object(
        SubAccountState, "value", autospec=True, side_effect=SubAccountState.value
    ) as valued:
        await prices.async_refresh()
        await hass.async_block_till_done()
    assert valued.call_count == 4
    assert hass.states.get("sensor.savings_portfolio_value").state == "27500"
    assert hass.states.get(SUM).state == "28550.5"
    assert simulator.stats.requests[SUBACCOUNT_LIST_PATH] == listed


async def test_without_valuation(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, simulator: WhiteBitSimulator
) -> None:
    """Valuation off: the balances alone, no value sensor, and no price request for them.

    The entry's own main balance is not repeated as a total: sub-accounts are no account of it.
    """
    await _setup(hass, mock_config_entry, ["main", "subaccounts"])
    states = {state.entity_id: state.state for state in hass.states.async_all("sensor")}
    assert states["sensor.whitebit_127_0_0_1_btc_main"] == "0.51234567"
    assert "sensor.whitebit_127_0_0_1_btc_total" not in states
    assert states["sensor.trading_bot_usdt_total"] == "1050.5"
    assert not [entity_id for entity_id in states if "value" in entity_id]
    assert "/api/v4/public/ticker" not in simulator.stats.requests


async def test_requests_per_poll_and_the_bound(
    hass: HomeAssistant,
    with_subs: MockConfigEntry,
    simulator: WhiteBitSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """One list request and one balances request per sub-account: 2 + N at most, 102 at 100.

    Past 100, the first 100 are followed with one warning, and one merely missing from the
    cut list keeps its device.
    """
    requests = simulator.stats.requests

    async def one_poll() -> tuple[int, int]:
        before = {path: requests.get(path, 0) for path in SUBACCOUNT_PATHS}
        await tick(hass, freezer, INTERVAL)
        return (
            requests.get(SUBACCOUNT_LIST_PATH, 0) - before[SUBACCOUNT_LIST_PATH],
            requests.get(SUBACCOUNT_BALANCES_PATH, 0) - before[SUBACCOUNT_BALANCES_PATH],
        )

    assert await one_poll() == (1, 2)
    for n in range(100):
        control(simulator, id=f"sub-{n:03}", alias=f"Bot {n}")
    assert await one_poll() == (2, 100)
    devices = sub_devices(hass, with_subs)
    assert len(devices) == 100
    assert "Bot 97" in devices
    assert "Bot 98" not in devices

    control(simulator, id=SAVINGS, delete=True)
    assert await one_poll() == (2, 100)
    # Savings went from the list, which is still cut: its device stays (Bot 98 takes its place).
    devices = sub_devices(hass, with_subs)
    assert "Savings" in devices
    assert "Bot 98" in devices
    assert hass.states.get("sensor.savings_btc_main").state == STATE_UNAVAILABLE
    warning = (
        "WhiteBIT (127.0.0.1) has more than 100 sub-accounts: the first 100 in WhiteBIT's "
        "order are followed, and no device is removed for one missing from the list"
    )
    assert [line for line in warning_lines(caplog) if "sub-accounts" in line] == [warning]
    # Back under the bound: the list is whole, and what it lacks is gone.
    for n in range(5):
        control(simulator, id=f"sub-{n:03}", delete=True)
    assert await one_poll() == (1, 96)
    devices = sub_devices(hass, with_subs)
    assert len(devices) == 96
    assert "Savings" not in devices


async def test_created_renamed_blocked_deleted(
    hass: HomeAssistant,
    with_subs: MockConfigEntry,
    simulator: WhiteBitSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Each change at WhiteBIT shows at the next poll, without a reload."""
    control(simulator, id="new-1", alias="Family", balances={"BTC": {"main": "1"}})
    await tick(hass, freezer, INTERVAL)
    assert sorted(sub_devices(hass, with_subs)) == ["Family", "Savings", "Trading bot"]
    assert hass.states.get("sensor.family_btc_main").state == "1"

    # A currency that appears gets its sensors; one back at zero loses them.
    control(simulator, id="new-1", balances={"USDT": {"spot": "5"}, "BTC": {"main": "0"}})
    await tick(hass, freezer, INTERVAL)
    assert hass.states.get("sensor.family_usdt_total").state == "5"
    assert hass.states.get("sensor.family_btc_main") is None

    # Renamed at WhiteBIT: the device follows, unless the user named it.
    registry = dr.async_get(hass)
    bot = sub_devices(hass, with_subs)["Trading bot"]
    registry.async_update_device(bot.id, name_by_user="My bot")
    control(simulator, id="new-1", alias="Kids")
    control(simulator, id=BOT, alias="Grid bot")
    await tick(hass, freezer, INTERVAL)
    assert sorted(sub_devices(hass, with_subs)) == ["Kids", "My bot", "Savings"]
    # The entity keeps its id and history.
    assert hass.states.get("sensor.family_usdt_total").state == "5"

    control(simulator, id=SAVINGS, status="blocked")
    control(simulator, id="new-1", delete=True)
    await tick(hass, freezer, INTERVAL)
    assert sorted(sub_devices(hass, with_subs)) == ["My bot"]
    assert hass.states.get("sensor.family_usdt_total") is None
    assert hass.states.get("sensor.savings_btc_main") is None
    entities = er.async_entries_for_config_entry(er.async_get(hass), with_subs.entry_id)
    assert not [e for e in entities if SAVINGS in e.unique_id or "new-1" in e.unique_id]

    # Unblocked: back, with its sensors.
    control(simulator, id=SAVINGS, status="active")
    await tick(hass, freezer, INTERVAL)
    assert hass.states.get("sensor.savings_btc_main").state == "0.25"


async def test_not_confirmed_is_unavailable(
    hass: HomeAssistant,
    with_subs: MockConfigEntry,
    simulator: WhiteBitSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Balances refused as "not confirmed": its sensors unavailable, its device kept."""
    control(simulator, id=SAVINGS, confirmed=False)
    await tick(hass, freezer, INTERVAL)
    assert "Savings" in sub_devices(hass, with_subs)
    assert hass.states.get("sensor.savings_btc_main").state == STATE_UNAVAILABLE
    assert hass.states.get("sensor.savings_portfolio_value").state == STATE_UNAVAILABLE
    assert hass.states.get(SUM).state == STATE_UNAVAILABLE
    assert hass.states.get("sensor.trading_bot_usdt_main").state == "10"


async def test_unticked_removes_the_devices(
    hass: HomeAssistant, with_subs: MockConfigEntry, simulator: WhiteBitSimulator
) -> None:
    """Sub-accounts unticked in the options: no request, and their devices and sensors go."""
    hass.config_entries.async_update_entry(
        with_subs, options={**with_subs.options, CONF_ACCOUNTS: ["main", "trade"]}
    )
    await hass.config_entries.async_reload(with_subs.entry_id)
    await hass.async_block_till_done()
    listed = simulator.stats.requests[SUBACCOUNT_LIST_PATH]
    assert sub_devices(hass, with_subs) == {}
    assert hass.states.get("sensor.savings_btc_main") is None
    assert hass.states.get(SUM) is None
    assert hass.states.get("sensor.whitebit_127_0_0_1_btc_main").state == "0.51234567"
    await hass.config_entries.async_reload(with_subs.entry_id)
    assert simulator.stats.requests[SUBACCOUNT_LIST_PATH] == listed


def _seen(hass: HomeAssistant, entity_id: str) -> tuple[str | None, bool, bool]:
    """What a user sees: the state, whether it is a restored leftover, whether it is registered."""
    state = hass.states.get(entity_id)
    registered = er.async_get(hass).async_get(entity_id) is not None
    if state is None:
        return None, False, registered
    return state.state, "restored" in state.attributes, registered


def _at_zero(zero_balance: str) -> tuple[str | None, bool, bool]:
    """A currency at zero: kept unavailable (live, registered), or gone altogether."""
    if zero_balance == ZERO_UNAVAILABLE:
        return STATE_UNAVAILABLE, False, True
    return None, False, False


@pytest.mark.parametrize("zero_balance", [ZERO_REMOVE, ZERO_UNAVAILABLE])
async def test_a_currency_back_at_zero(
    hass: HomeAssistant,
    full_config_entry: MockConfigEntry,
    simulator: WhiteBitSimulator,
    freezer: FrozenDateTimeFactory,
    zero_balance: str,
) -> None:
    """A sub-account's currency at zero follows the entry's choice, as the entry's own do.

    Before, its sensors went whatever the user chose. Kept, they are unavailable (never the
    last amount), through a reload too; holding again, they come back under the same IDs.
    """
    entry = await _setup(hass, full_config_entry, zero_balance=zero_balance)
    sensors = ("sensor.savings_btc_main", "sensor.savings_btc_total")
    assert [_seen(hass, entity_id) for entity_id in sensors] == [("0.25", False, True)] * 2
    control(simulator, id=SAVINGS, balances={"BTC": {"main": "0"}})
    await tick(hass, freezer, INTERVAL)
    assert [_seen(hass, entity_id) for entity_id in sensors] == [_at_zero(zero_balance)] * 2
    assert hass.states.get("sensor.savings_portfolio_value").state == "2500"
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert [_seen(hass, entity_id) for entity_id in sensors] == [_at_zero(zero_balance)] * 2

    control(simulator, id=SAVINGS, balances={"BTC": {"main": "0.5"}})
    await tick(hass, freezer, INTERVAL)
    assert [_seen(hass, entity_id) for entity_id in sensors] == [("0.5", False, True)] * 2


@pytest.mark.parametrize("zero_balance", [ZERO_REMOVE, ZERO_UNAVAILABLE])
async def test_at_zero_while_stopped(
    hass: HomeAssistant,
    full_config_entry: MockConfigEntry,
    simulator: WhiteBitSimulator,
    zero_balance: str,
) -> None:
    """Back at zero while Home Assistant was stopped: at the start, removed or set up unavailable.

    Never left behind as a restored entity showing nothing live.
    """
    entry = await _setup(hass, full_config_entry, zero_balance=zero_balance)
    assert await hass.config_entries.async_unload(entry.entry_id)
    control(simulator, id=SAVINGS, balances={"BTC": {"main": "0"}})
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert _seen(hass, "sensor.savings_btc_main") == _at_zero(zero_balance)
    assert hass.states.get("sensor.savings_usdt_main").state == "2500"


async def test_a_sub_account_that_goes_is_no_zero_balance(
    hass: HomeAssistant,
    full_config_entry: MockConfigEntry,
    simulator: WhiteBitSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Currencies kept unavailable at zero; its sub-account deleted: device and sensors go."""
    entry = await _setup(hass, full_config_entry, zero_balance=ZERO_UNAVAILABLE)
    control(simulator, id=SAVINGS, balances={"BTC": {"main": "0"}})
    await tick(hass, freezer, INTERVAL)
    assert _seen(hass, "sensor.savings_btc_main") == (STATE_UNAVAILABLE, False, True)
    control(simulator, id=SAVINGS, delete=True)
    await tick(hass, freezer, INTERVAL)
    assert sorted(sub_devices(hass, entry)) == ["Trading bot"]
    for entity_id in ("sensor.savings_btc_main", "sensor.savings_usdt_main"):
        assert _seen(hass, entity_id) == (None, False, False)
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert _seen(hass, "sensor.savings_btc_main") == (None, False, False)
