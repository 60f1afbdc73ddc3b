"""The collateral account's summary and open positions as entities, polled (mocked client).

Pushed positions are in test_positions_stream.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from homeassistant.const import STATE_ON, STATE_UNAVAILABLE
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
import pytest

from custom_components.whitebit.const import (
    CONF_ACCOUNTS,
    CONF_ZERO_BALANCE,
    ZERO_REMOVE,
    ZERO_UNAVAILABLE,
)
from custom_components.whitebit.pywhitebit import WhiteBitPermissionError
from custom_components.whitebit.pywhitebit.margin import parse_positions

from .common import INTERVAL, tick, warning_lines

if TYPE_CHECKING:
    from unittest.mock import MagicMock

    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

pytestmark = pytest.mark.usefixtures("freeze_first")

PREFIX = "whitebit_global_key_0000"
BTC_LONG = f"sensor.{PREFIX}_btc_usdt_long"


def _record(market: str, side: str = "LONG", **changes: Any) -> dict[str, Any]:
    return {
        "market": market,
        "amount": "-2" if side == "SHORT" else "2",
        "basePrice": "150",
        "unrealizedPnl": "-3.5",
        "liquidationPrice": "180",
        "liquidationState": None,
        "margin": "30",
        "freeMargin": "100",
        "positionSide": side,
        **changes,
    }


async def _setup(
    hass: HomeAssistant, entry: MockConfigEntry, zero_balance: str = ZERO_REMOVE
) -> MockConfigEntry:
    entry.add_to_hass(hass)
    options = {**entry.options, CONF_ACCOUNTS: ["main", "collateral"]}
    hass.config_entries.async_update_entry(
        entry, options={**options, CONF_ZERO_BALANCE: zero_balance}
    )
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


def _devices(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, dr.DeviceEntry]:
    """The entry's devices by name: the account's, the summary's and one per position."""
    registry = dr.async_get(hass)
    return {
        str(device.name): device
        for device in dr.async_entries_for_config_entry(registry, entry.entry_id)
    }


def _device_name(hass: HomeAssistant, entity_id: str) -> str | None:
    registered = er.async_get(hass).async_get(entity_id)
    assert registered is not None
    assert registered.device_id is not None
    device = dr.async_get(hass).async_get(registered.device_id)
    return None if device is None else device.name


def _state(hass: HomeAssistant, entity_id: str) -> str | None:
    state = hass.states.get(entity_id)
    return None if state is None else state.state


async def test_summary_and_positions_from_the_documented_answers(
    hass: HomeAssistant,
    global_entry: MockConfigEntry,
    mock_whitebit_client: MagicMock,
    entity_registry: er.EntityRegistry,
) -> None:
    """WhiteBIT's figures exactly, in USDT; a position is a device named by market and side.

    Its entities carry short names ("PnL"), which fit a device page's row; the device name
    holds the account's title, so entity IDs read as they did when all were on one device.
    """
    await _setup(hass, global_entry)
    account = "WhiteBIT Global (key …0000)"
    devices = _devices(hass, global_entry)
    positions = {f"{account} BTC/USDT long", f"{account} ETH/USDT long"}
    assert set(devices) == {account, f"{account} collateral", *positions}
    for name in (f"{account} collateral", f"{account} BTC/USDT long"):
        assert devices[name].via_device_id == devices[account].id
    assert _device_name(hass, f"sensor.{PREFIX}_collateral_equity") == f"{account} collateral"
    assert _device_name(hass, f"{BTC_LONG}_pnl") == f"{account} BTC/USDT long"
    margin_call_id = f"binary_sensor.{PREFIX}_btc_usdt_long_margin_call"
    assert _device_name(hass, margin_call_id) == f"{account} BTC/USDT long"
    equity = hass.states.get(f"sensor.{PREFIX}_collateral_equity")
    assert equity is not None
    assert equity.state == "15000.5"
    assert equity.attributes["unit_of_measurement"] == "USDT"
    assert _state(hass, f"sensor.{PREFIX}_collateral_unrealized_pnl") == "150.25"
    assert _state(hass, f"sensor.{PREFIX}_collateral_free_margin") == "10000.5"
    for rare in ("margin_fraction", "leverage"):
        registered = entity_registry.async_get(f"sensor.{PREFIX}_collateral_{rare}")
        assert registered is not None
        assert registered.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    pnl = hass.states.get(f"{BTC_LONG}_pnl")
    assert pnl is not None
    assert pnl.state == "-168.42"
    assert pnl.attributes["friendly_name"] == f"{account} BTC/USDT long PnL"
    assert _state(hass, f"{BTC_LONG}_amount") == "0.1"
    assert hass.states.get(f"{BTC_LONG}_amount").attributes["unit_of_measurement"] == "BTC"
    assert _state(hass, f"{BTC_LONG}_liquidation_price") == "unknown"  # null: none given
    margin_call = hass.states.get(f"binary_sensor.{PREFIX}_btc_usdt_long_margin_call")
    assert margin_call is not None
    assert margin_call.state == STATE_ON
    assert margin_call.attributes["stage"] == "margin_call"


@pytest.mark.parametrize("zero_balance", [ZERO_REMOVE, ZERO_UNAVAILABLE])
async def test_positions_come_and_go_without_a_reload(
    hass: HomeAssistant,
    global_entry: MockConfigEntry,
    mock_whitebit_client: MagicMock,
    freezer: FrozenDateTimeFactory,
    zero_balance: str,
) -> None:
    """A new position gets entities; a closed one's go (or stay unavailable, as chosen)."""
    await _setup(hass, global_entry, zero_balance)
    mock_whitebit_client.open_positions.return_value = parse_positions(
        [_record("ETH_USDT"), _record("SOL_PERP", "SHORT", liquidationState="liquidation")]
    )
    await tick(hass, freezer, INTERVAL)
    assert _state(hass, f"sensor.{PREFIX}_sol_perp_short_pnl") == "-3.5"
    assert _state(hass, f"sensor.{PREFIX}_sol_perp_short_amount") == "-2"
    stage = hass.states.get(f"binary_sensor.{PREFIX}_sol_perp_short_margin_call")
    assert stage is not None
    assert stage.attributes["stage"] == "liquidation"
    closed = _state(hass, f"{BTC_LONG}_pnl")
    assert closed == (None if zero_balance == ZERO_REMOVE else STATE_UNAVAILABLE)
    binary = _state(hass, f"binary_sensor.{PREFIX}_btc_usdt_long_margin_call")
    assert binary == (None if zero_balance == ZERO_REMOVE else STATE_UNAVAILABLE)
    # Its device goes with it, or stays for its unavailable entities; new ones get theirs.
    devices = {
        name.removeprefix("WhiteBIT Global (key …0000)") for name in _devices(hass, global_entry)
    }
    kept = set() if zero_balance == ZERO_REMOVE else {" BTC/USDT long"}
    assert devices == {"", " collateral", " ETH/USDT long", " SOL/PERP short", *kept}


async def test_a_refused_summary_keeps_the_balances(
    hass: HomeAssistant,
    global_entry: MockConfigEntry,
    mock_whitebit_client: MagicMock,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A key that may not read the summary: its sensors unavailable, one warning, no reauth."""
    await _setup(hass, global_entry)
    mock_whitebit_client.collateral_summary.side_effect = WhiteBitPermissionError("no")
    await tick(hass, freezer, INTERVAL)
    await tick(hass, freezer, INTERVAL)
    assert _state(hass, f"sensor.{PREFIX}_collateral_equity") == STATE_UNAVAILABLE
    assert _state(hass, f"sensor.{PREFIX}_btc_collateral") not in {None, STATE_UNAVAILABLE}
    # Positions unknown: nothing is removed on the strength of not knowing.
    assert _state(hass, f"{BTC_LONG}_pnl") == STATE_UNAVAILABLE
    assert len([line for line in warning_lines(caplog) if "collateral summary" in line]) == 1
    assert not hass.config_entries.flow.async_progress()
    mock_whitebit_client.collateral_summary.side_effect = None
    await tick(hass, freezer, INTERVAL)
    assert _state(hass, f"sensor.{PREFIX}_collateral_equity") == "15000.5"


async def test_a_bad_position_spoils_only_itself(
    hass: HomeAssistant,
    global_entry: MockConfigEntry,
    mock_whitebit_client: MagicMock,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An absurd PnL: that position unavailable, the others shown, one warning."""
    await _setup(hass, global_entry)
    bad = parse_positions([_record("BTC_USDT", unrealizedPnl="NaN"), _record("ETH_USDT")])
    mock_whitebit_client.open_positions.return_value = bad
    await tick(hass, freezer, INTERVAL)
    await tick(hass, freezer, INTERVAL)
    assert _state(hass, f"{BTC_LONG}_pnl") == STATE_UNAVAILABLE
    assert _state(hass, f"sensor.{PREFIX}_eth_usdt_long_pnl") == "-3.5"
    assert len([line for line in warning_lines(caplog) if "not as documented" in line]) == 1
    mock_whitebit_client.open_positions.return_value = replace(bad, invalid=frozenset())
    await tick(hass, freezer, INTERVAL)
    assert _state(hass, f"{BTC_LONG}_pnl") is None


async def test_positions_pushed_before_any_summary(
    hass: HomeAssistant,
    global_entry: MockConfigEntry,
    mock_whitebit_client: MagicMock,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Positions pushed while the summary cannot be read: shown; the summary stays unknown."""
    mock_whitebit_client.collateral_summary.side_effect = WhiteBitPermissionError("no")
    entry = await _setup(hass, global_entry)
    entry.runtime_data.async_stream_positions(parse_positions([_record("ETH_USDT")]))
    await hass.async_block_till_done()
    assert _state(hass, f"sensor.{PREFIX}_eth_usdt_long_pnl") == "-3.5"
    assert _state(hass, f"sensor.{PREFIX}_collateral_equity") == STATE_UNAVAILABLE


async def test_a_position_entity_the_user_deleted(
    hass: HomeAssistant,
    global_entry: MockConfigEntry,
    mock_whitebit_client: MagicMock,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
) -> None:
    """An entity deleted by hand before its position closes: the others still go."""
    await _setup(hass, global_entry)
    entity_registry.async_remove(f"{BTC_LONG}_pnl")
    mock_whitebit_client.open_positions.return_value = parse_positions([])
    await tick(hass, freezer, INTERVAL)
    assert _state(hass, f"{BTC_LONG}_margin") is None
    assert entity_registry.async_get(f"{BTC_LONG}_margin") is None


async def test_a_push_during_a_poll_is_not_overwritten_by_its_answer(
    hass: HomeAssistant,
    global_entry: MockConfigEntry,
    mock_whitebit_client: MagicMock,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Positions pushed while a poll's request is on its way: its older answer does not win."""
    entry = await _setup(hass, global_entry)
    polled = parse_positions([_record("BTC_USDT", unrealizedPnl="-3.5")])
    pushed = parse_positions([_record("BTC_USDT", unrealizedPnl="12.5")])

    async def answer_after_a_push() -> object:
        entry.runtime_data.async_stream_positions(pushed)
        return polled

    mock_whitebit_client.open_positions.side_effect = answer_after_a_push
    await tick(hass, freezer, INTERVAL)
    assert _state(hass, f"{BTC_LONG}_pnl") == "12.5"
    # The summary read (equity 15000.5), moved by the pushed PnL over the polled one (+16).
    assert _state(hass, f"sensor.{PREFIX}_collateral_equity") == "15016.5"
    # A poll with no push meanwhile is the newest again.
    mock_whitebit_client.open_positions.side_effect = None
    mock_whitebit_client.open_positions.return_value = polled
    await tick(hass, freezer, INTERVAL)
    assert _state(hass, f"{BTC_LONG}_pnl") == "-3.5"
    assert _state(hass, f"sensor.{PREFIX}_collateral_equity") == "15000.5"


async def test_a_positions_figures_are_in_its_markets_money(
    hass: HomeAssistant,
    global_entry: MockConfigEntry,
    mock_whitebit_client: MagicMock,
    freezer: FrozenDateTimeFactory,
) -> None:
    """BTC_USDC's PnL in USDC, not USDT; a perpetual's in USDT, as WhiteBIT documents."""
    await _setup(hass, global_entry)
    mock_whitebit_client.open_positions.return_value = parse_positions(
        [_record("BTC_USDC"), _record("SOL_PERP", "SHORT")]
    )
    await tick(hass, freezer, INTERVAL)
    units = {
        entity_id: hass.states.get(f"sensor.{PREFIX}_{entity_id}").attributes["unit_of_measurement"]
        for entity_id in (
            "btc_usdc_long_pnl",
            "btc_usdc_long_liquidation_price",
            "btc_usdc_long_amount",
            "sol_perp_short_margin",
            "sol_perp_short_amount",
        )
    }
    assert units == {
        "btc_usdc_long_pnl": "USDC",
        "btc_usdc_long_liquidation_price": "USDC",
        "btc_usdc_long_amount": "BTC",
        "sol_perp_short_margin": "USDT",
        "sol_perp_short_amount": "SOL",
    }


async def test_a_position_is_named_in_the_users_language(
    hass: HomeAssistant,
    global_entry: MockConfigEntry,
    mock_whitebit_client: MagicMock,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Ukrainian: the side as a Ukrainian trader says it, on the device; short entity names."""
    hass.config.language = "uk"
    mock_whitebit_client.open_positions.return_value = parse_positions(
        [_record("BTC_USDT"), _record("SOL_PERP", "SHORT")]
    )
    await _setup(hass, global_entry)
    account = "WhiteBIT Global (key …0000)"
    assert set(_devices(hass, global_entry)) == {
        account,
        f"{account} заставний рахунок",
        f"{account} BTC/USDT лонг",
        f"{account} SOL/PERP шорт",
    }
    names = {
        entity_id: hass.states.get(entity_id).attributes["friendly_name"].removeprefix(account)
        for entity_id in (
            f"{BTC_LONG}_pnl",
            f"sensor.{PREFIX}_sol_perp_short_liquidation_price",
            f"binary_sensor.{PREFIX}_sol_perp_short_margin_call",
        )
    }
    assert names == {
        f"{BTC_LONG}_pnl": " BTC/USDT лонг PnL",
        f"sensor.{PREFIX}_sol_perp_short_liquidation_price": " SOL/PERP шорт Ціна ліквідації",
        f"binary_sensor.{PREFIX}_sol_perp_short_margin_call": " SOL/PERP шорт Маржин-кол",
    }


async def test_entities_of_an_earlier_version_move_to_their_devices(
    hass: HomeAssistant,
    global_entry: MockConfigEntry,
    mock_whitebit_client: MagicMock,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """Registered on the account's device before: same entity IDs, now on their own devices."""
    global_entry.add_to_hass(hass)
    account = device_registry.async_get_or_create(
        config_entry_id=global_entry.entry_id, identifiers={("whitebit", global_entry.entry_id)}
    )
    earlier = {
        f"{global_entry.entry_id}_position_pnl_BTC_USDT_long": f"{PREFIX}_btc_usdt_long_pnl",
        f"{global_entry.entry_id}_equity": f"{PREFIX}_collateral_equity",
    }
    for unique_id, object_id in earlier.items():
        entity_registry.async_get_or_create(
            "sensor",
            "whitebit",
            unique_id,
            suggested_object_id=object_id,
            config_entry=global_entry,
            device_id=account.id,
        )
    await _setup(hass, global_entry)
    name = "WhiteBIT Global (key …0000)"
    assert _device_name(hass, f"{BTC_LONG}_pnl") == f"{name} BTC/USDT long"
    assert _device_name(hass, f"sensor.{PREFIX}_collateral_equity") == f"{name} collateral"
    assert _state(hass, f"{BTC_LONG}_pnl") == "-168.42"


@pytest.mark.parametrize("zero_balance", [ZERO_REMOVE, ZERO_UNAVAILABLE])
async def test_a_position_closed_while_stopped(
    hass: HomeAssistant,
    global_entry: MockConfigEntry,
    mock_whitebit_client: MagicMock,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
    zero_balance: str,
) -> None:
    """Closed while stopped: at the next start removed, or unavailable (not restored), as chosen.

    Unavailable as live entities, not Home Assistant's restored leftovers; reopened, same IDs.
    """
    entry = await _setup(hass, global_entry, zero_balance)
    assert _state(hass, f"{BTC_LONG}_pnl") == "-168.42"
    mock_whitebit_client.open_positions.return_value = parse_positions([])
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    position = "WhiteBIT Global (key …0000) BTC/USDT long"
    assert (position in _devices(hass, entry)) is (zero_balance == ZERO_UNAVAILABLE)
    for entity_id in (f"{BTC_LONG}_pnl", f"binary_sensor.{PREFIX}_btc_usdt_long_margin_call"):
        state = hass.states.get(entity_id)
        if zero_balance == ZERO_REMOVE:
            assert state is None
            assert entity_registry.async_get(entity_id) is None
        else:
            assert state is not None
            assert state.state == STATE_UNAVAILABLE
            assert "restored" not in state.attributes
    mock_whitebit_client.open_positions.return_value = parse_positions([_record("BTC_USDT")])
    await tick(hass, freezer, INTERVAL)
    assert _state(hass, f"{BTC_LONG}_pnl") == "-3.5"
    assert _state(hass, f"binary_sensor.{PREFIX}_btc_usdt_long_margin_call") == "off"


async def test_positions_unknown_at_start_are_kept(
    hass: HomeAssistant,
    global_entry: MockConfigEntry,
    mock_whitebit_client: MagicMock,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Positions not readable at the next start: nothing removed on the strength of not knowing."""
    entry = await _setup(hass, global_entry)
    mock_whitebit_client.open_positions.side_effect = WhiteBitPermissionError("no")
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    pnl = hass.states.get(f"{BTC_LONG}_pnl")
    assert pnl is not None
    assert pnl.state == STATE_UNAVAILABLE
    assert "restored" not in pnl.attributes
    # Known again, and closed: removed then.
    mock_whitebit_client.open_positions.side_effect = None
    mock_whitebit_client.open_positions.return_value = parse_positions([])
    await tick(hass, freezer, INTERVAL)
    assert _state(hass, f"{BTC_LONG}_pnl") is None


async def test_unticking_the_collateral_account_removes_every_position_entity(
    hass: HomeAssistant,
    global_entry: MockConfigEntry,
    mock_whitebit_client: MagicMock,
    entity_registry: er.EntityRegistry,
) -> None:
    """Collateral unticked: the margin calls go with the positions' sensors, no row left over.

    The browser test found the margin call left on the device page, unavailable.
    """
    entry = await _setup(hass, global_entry)
    margin_call = f"binary_sensor.{PREFIX}_btc_usdt_long_margin_call"
    assert _state(hass, margin_call) == STATE_ON
    hass.config_entries.async_update_entry(
        entry, options={**entry.options, CONF_ACCOUNTS: ["main"]}
    )
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(margin_call) is None
    assert entity_registry.async_get(margin_call) is None
    assert hass.states.get(f"{BTC_LONG}_pnl") is None
    # The summary's and the position's devices go with their entities: the account's stays.
    assert set(_devices(hass, entry)) == {"WhiteBIT Global (key …0000)"}


async def _remove_device(
    hass: HomeAssistant, ws_client: Any, device_id: str, entry_id: str
) -> bool:
    """Delete a device as the device page's "Delete" does; whether Home Assistant did."""
    await ws_client.send_json_auto_id(
        {
            "type": "config/device_registry/remove_config_entry",
            "config_entry_id": entry_id,
            "device_id": device_id,
        }
    )
    response = await ws_client.receive_json()
    await hass.async_block_till_done()
    return bool(response["success"])


async def test_a_closed_positions_kept_device_can_be_deleted(
    hass: HomeAssistant,
    global_entry: MockConfigEntry,
    mock_whitebit_client: MagicMock,
    freezer: FrozenDateTimeFactory,
    hass_ws_client: Any,
) -> None:
    """Kept unavailable after a close, a position's device may be deleted; nothing else may.

    The account's, the summary's and an open position's would come back at the next poll.
    Deleted, and the same position opened again: its entities and device are made anew.
    """
    assert await async_setup_component(hass, "config", {})
    entry = await _setup(hass, global_entry, ZERO_UNAVAILABLE)
    mock_whitebit_client.open_positions.return_value = parse_positions([_record("ETH_USDT")])
    await tick(hass, freezer, INTERVAL)
    account = "WhiteBIT Global (key …0000)"
    devices = _devices(hass, entry)
    ws_client = await hass_ws_client(hass)
    for kept in (account, f"{account} collateral", f"{account} ETH/USDT long"):
        assert not await _remove_device(hass, ws_client, devices[kept].id, entry.entry_id)
    closed = devices[f"{account} BTC/USDT long"].id
    # While positions cannot be read, not even a closed one's device: it may have reopened.
    mock_whitebit_client.open_positions.side_effect = WhiteBitPermissionError("no")
    await tick(hass, freezer, INTERVAL)
    # A new connection after each jump of the frozen clock, which times the old one out.
    ws_client = await hass_ws_client(hass)
    assert not await _remove_device(hass, ws_client, closed, entry.entry_id)
    mock_whitebit_client.open_positions.side_effect = None
    await tick(hass, freezer, INTERVAL)
    ws_client = await hass_ws_client(hass)
    assert await _remove_device(hass, ws_client, closed, entry.entry_id)
    assert f"{account} BTC/USDT long" not in _devices(hass, entry)
    assert er.async_get(hass).async_get(f"{BTC_LONG}_pnl") is None
    mock_whitebit_client.open_positions.return_value = parse_positions([_record("BTC_USDT")])
    await tick(hass, freezer, INTERVAL)
    assert _state(hass, f"{BTC_LONG}_pnl") == "-3.5"
    assert f"{account} BTC/USDT long" in _devices(hass, entry)
