"""Diagnostics."""

from __future__ import annotations

from datetime import timedelta
import json
from typing import TYPE_CHECKING

from homeassistant.const import CONF_API_KEY
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import load_fixture
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from syrupy.filters import props

from custom_components.whitebit.const import CONF_ACCOUNTS, CONF_API_SECRET
from custom_components.whitebit.diagnostics import async_get_config_entry_diagnostics
from custom_components.whitebit.pywhitebit import WhiteBitPermissionError
from simulator import DEMO_BALANCES, DEMO_KEY, DEMO_SECRET, DEMO_TRADE
from simulator.orders import TRANSFER_HISTORY_PATH

if TYPE_CHECKING:
    from unittest.mock import MagicMock

    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
    from syrupy.assertion import SnapshotAssertion

    from simulator import WhiteBitSimulator


async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_full: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """Key, secret, unique ID and amounts are redacted; the shape is what a report needs."""
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, init_full)
    assert diagnostics == snapshot(exclude=props("created_at", "modified_at", "url"))
    dumped = json.dumps(diagnostics)
    assert DEMO_SECRET not in dumped
    assert DEMO_KEY not in dumped
    assert init_full.unique_id not in dumped
    amounts = {*DEMO_BALANCES.values(), *(a for pair in DEMO_TRADE.values() for a in pair)}
    for amount in amounts - {"0"}:
        assert f'"{amount}"' not in dumped


async def _with_collateral(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entry.add_to_hass(hass)
    options = {**entry.options, CONF_ACCOUNTS: ["main", "collateral"]}
    hass.config_entries.async_update_entry(entry, options=options)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def test_diagnostics_of_margin(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    global_entry: MockConfigEntry,
    mock_whitebit_client: MagicMock,
    snapshot: SnapshotAssertion,
) -> None:
    """The collateral summary and positions: markets, sides and stages; no figure, no key."""
    await _with_collateral(hass, global_entry)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, global_entry)
    assert diagnostics["margin"] == snapshot
    dumped = json.dumps(diagnostics)
    assert global_entry.data[CONF_API_KEY] not in dumped
    assert global_entry.data[CONF_API_SECRET] not in dumped
    figures = [
        *json.loads(load_fixture("collateral_summary.json")).values(),
        *(
            record[name]
            for record in json.loads(load_fixture("open_positions.json"))
            for name in ("amount", "basePrice", "pnl", "margin", "freeMargin")
        ),
    ]
    # Every figure but the integer leverage is a string: none of them is in the dump.
    for figure in figures:
        assert not isinstance(figure, str) or f'"{figure}"' not in dumped


async def test_diagnostics_of_a_refused_margin(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    global_entry: MockConfigEntry,
    mock_whitebit_client: MagicMock,
) -> None:
    """A key that may not read the summary or positions: said so, nothing else known."""
    mock_whitebit_client.collateral_summary.side_effect = WhiteBitPermissionError("no")
    await _with_collateral(hass, global_entry)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, global_entry)
    assert diagnostics["margin"] == {
        "refused": True,
        "positions_pushed": 0,
        "summary": None,
        "positions": None,
    }


@pytest.mark.events
async def test_diagnostics_of_events(
    freeze_first: FrozenDateTimeFactory,
    hass: HomeAssistant,
    simulator: WhiteBitSimulator,
    init_full: MockConfigEntry,
) -> None:
    """The events' cursor as counts and ages, each read's state; no id, amount or hash."""
    orders = simulator.accounts[DEMO_KEY].orders
    orders.clock = lambda: dt_util.utcnow().timestamp()
    coordinator = init_full.runtime_data
    await coordinator.async_refresh()  # the first poll learns what is there
    await hass.async_block_till_done()
    fill = orders.fill(
        {"market": "BTC_USDT", "side": "buy", "amount": "0.0173", "price": "91234.5"}
        | {"client_order_id": "take-profit-7"}
    )
    deposit = orders.transfer(1, {"ticker": "BTC", "amount": "0.4321", "network": "BTC"})
    assert not isinstance(fill, str)
    assert not isinstance(deposit, str)
    await coordinator.async_refresh()  # fires them
    await hass.async_block_till_done()
    simulator.accounts[DEMO_KEY].permissions.discard(TRANSFER_HISTORY_PATH)
    freeze_first.tick(timedelta(seconds=90))
    await coordinator.async_refresh()
    await hass.async_block_till_done()

    # Called as the platform is, not over HTTP: aiohttp's access log fails on frozen time.
    diagnostics = await async_get_config_entry_diagnostics(hass, init_full)
    assert diagnostics["events"] == {
        "fills": True,
        "transfers": True,
        "reads": {
            "order history": "ok",
            "open orders": "ok",
            "deposit and withdrawal history": "failing",
        },
        "fills_remembered": 1,
        "transfers_remembered": 1,
        "markets_followed": 1,
        "fills_pushed": True,
        "events_waiting": 0,
        "orders_since_age": 90,
        "transfers_since_age": 90,
        "fills_forgotten_before_age": None,
        "transfers_forgotten_before_age": None,
    }
    # What the cursor holds (ids, times) and what the records carry: none of it.
    dumped = json.dumps(diagnostics)
    record = deposit.record()
    assert fill.ftime is not None
    for private in (
        str(fill.id),
        fill.client_order_id,
        fill.amount,
        fill.price,
        str(fill.money),
        deposit.id,
        deposit.amount,
        record["address"],
        deposit.transaction_hash,
        str(fill.ftime)[:10],
    ):
        assert private not in dumped
    assert fill.market not in json.dumps(diagnostics["events"])
