"""Diagnostics."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from syrupy.filters import props

from simulator import DEMO_BALANCES, DEMO_KEY, DEMO_SECRET, DEMO_TRADE

if TYPE_CHECKING:
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
