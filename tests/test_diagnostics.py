"""Diagnostics."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from homeassistant.const import CONF_API_KEY
from pytest_homeassistant_custom_component.common import load_fixture
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from syrupy.filters import props

from custom_components.whitebit.const import CONF_ACCOUNTS, CONF_API_SECRET
from custom_components.whitebit.pywhitebit import WhiteBitPermissionError
from simulator import DEMO_BALANCES, DEMO_KEY, DEMO_SECRET, DEMO_TRADE

if TYPE_CHECKING:
    from unittest.mock import MagicMock

    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
    from syrupy.assertion import SnapshotAssertion


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
