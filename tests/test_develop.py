"""scripts/develop's second key: what it prints can be added by hand, beside the demo entry.

The demo entry is added for the developer already; the add-integration walk needs a key that
is not configured yet. The printed key and secret must work on the simulator's URL, and the
account they add is told apart from the demo entry by default.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
import sys
from types import ModuleType
from typing import TYPE_CHECKING

from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_API_KEY, CONF_NAME, CONF_URL
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from custom_components.whitebit.const import CONF_API_SECRET, CONF_SERVER, DOMAIN, SERVER_CUSTOM

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

DEVELOP = Path(__file__).resolve().parent.parent / "scripts" / "develop.py"


def _develop() -> ModuleType:
    spec = importlib.util.spec_from_file_location("develop", DEVELOP)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Its dataclass looks its module up by name while it is made.
    sys.modules.setdefault("develop", module)
    spec.loader.exec_module(module)
    return module


async def test_the_second_key_can_be_added_by_hand(
    hass: HomeAssistant, init_full: MockConfigEntry, sim_url: str
) -> None:
    """The key develop gives the simulator goes through Add integration, named by its end."""
    develop = _develop()
    await develop.add_spare_key(async_get_clientsession(hass), sim_url)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_SERVER: SERVER_CUSTOM,
            CONF_URL: sim_url,
            CONF_API_KEY: develop.SPARE_KEY,
            CONF_API_SECRET: develop.SPARE_SECRET,
        },
    )
    assert result["step_id"] == "tickers"
    # What it holds comes preselected.
    assert result["data_schema"]({CONF_NAME: "x"})["tickers"] == sorted(develop.SPARE_BALANCES)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"WhiteBIT …{develop.SPARE_KEY[-4:]}"
    assert result["title"] != init_full.title
