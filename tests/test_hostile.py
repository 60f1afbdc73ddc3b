"""A server that misbehaves on purpose, against the real coordinator in Home Assistant.

What it sends reaches the user only through the client package (tested on its own in
tests/pywhitebit/): here, what the user sees of it: the log lines and the entities.
"""

import json

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.whitebit.const import CONF_AUTO_TRACK, MAX_AUTO_TRACKED
from simulator import DEMO_KEY, Fault, WhiteBitSimulator

from .common import error_lines, warning_lines


async def test_server_text_cannot_forge_log_lines(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: WhiteBitSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A message with a newline and ANSI codes is one escaped line; a 60 KB header is bounded."""
    forged = "down\n2026-11-25 12:00:00 ERROR (MainThread) [homeassistant] \x1b[31mfake\u202e"
    coordinator = init_integration.runtime_data
    for fault in (
        Fault(502, json.dumps({"message": forged})),
        Fault(200, "{}", headers={"X-Filler": "\x1b" * 60_000}),
    ):
        simulator.inject(fault)
        caplog.clear()
        await coordinator.async_refresh()
        await hass.async_block_till_done()
        [line] = error_lines(caplog)
        assert line.isprintable()
        assert len(line) < 600
        await coordinator.async_refresh()  # recovered: the next failure is logged again
        assert coordinator.last_update_success


HOSTILE_NAMES = ["A" * 100_000, "EVIL\nLINE", "\x1b[31mRED", "US\u202eDT", "TAB\tX", "SP ACE"]


async def test_hostile_currency_names_never_become_entities(
    hass: HomeAssistant,
    full_config_entry: MockConfigEntry,
    simulator: WhiteBitSimulator,
    entity_registry: er.EntityRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Automatic tracking: impossible names skipped, and 2,000 held currencies bounded.

    Impossible names are reported once; 2,000 held currencies make entities for
    MAX_AUTO_TRACKED of them, with one warning.
    """
    account = simulator.accounts[DEMO_KEY]
    for name in [*HOSTILE_NAMES, *(f"C{number:04d}" for number in range(2000))]:
        account.balances[name] = "1"
        simulator.list_currency(name)
    full_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        full_config_entry, options={**full_config_entry.options, CONF_AUTO_TRACK: True}
    )
    await hass.config_entries.async_setup(full_config_entry.entry_id)
    await hass.async_block_till_done()
    coordinator = full_config_entry.runtime_data
    await coordinator.async_refresh()
    await hass.async_block_till_done()

    entries = er.async_entries_for_config_entry(entity_registry, full_config_entry.entry_id)
    tickers = {entry.unique_id.rsplit("_", 1)[-1] for entry in entries} - {"value"}
    # Five sensors a currency at most, plus the portfolio.
    assert len(entries) <= 5 * MAX_AUTO_TRACKED + 1
    assert len(coordinator.data.tickers) == MAX_AUTO_TRACKED
    for entry in entries:
        assert len(entry.unique_id) < 100
        assert entry.unique_id.isprintable()
        assert (entry.original_name or "").isprintable()
    assert not tickers & set(HOSTILE_NAMES)
    warnings = warning_lines(caplog)
    assert sum("cannot be currencies" in line for line in warnings) == 1
    assert sum("automatic tracking follows 100" in line for line in warnings) == 1
    assert all(line.isprintable() and len(line) < 1000 for line in warnings)


async def test_ten_thousand_wrong_amounts_make_one_short_line(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: WhiteBitSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every currency of a full answer with a wrong amount: one warning, of bounded length.

    It named them all: a 100 KB line, and another at each poll whose names were new.
    """
    coordinator = init_integration.runtime_data
    for first in (0, 10_000):
        wrong = {f"C{n:05d}": {"main_balance": "-1"} for n in range(first, first + 10_000)}
        simulator.inject(Fault(200, json.dumps(wrong)))
        caplog.clear()
        await coordinator.async_refresh()
        [line] = [line for line in warning_lines(caplog) if "non-negative decimal" in line]
        assert len(line) < 500
        assert f"for C{first:05d}, C{first + 1:05d}, " in line
        assert f"C{first + 4:05d} and 9995 more; its sensors are unavailable" in line
