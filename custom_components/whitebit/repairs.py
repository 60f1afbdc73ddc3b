"""Repair flows: what the user can do about an issue from the issue itself.

WhiteBIT withdrew (or never granted) the key's Earn access: only WhiteBIT can give it back, but
the user can stop tracking Earn here, without finding the entry's options, or check again at
once after WhiteBIT says access is back.
"""

from typing import TYPE_CHECKING

from homeassistant.components.repairs import RepairsFlow
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from .const import ACCOUNT_EARN, ACCOUNT_MAIN, CONF_ACCOUNTS, DOMAIN
from .coordinator import WhiteBitConfigEntry
from .issues import earn_issue_entry, earn_issue_id

if TYPE_CHECKING:
    # Named from 2026.10; annotations are not evaluated, so older releases never import it.
    from homeassistant.components.repairs import RepairsFlowResult


class EarnRepairFlow(RepairsFlow):
    """Stop tracking Earn, or read it again now."""

    def __init__(self, entry_id: str) -> None:
        """Fix the Earn issue of `entry_id`."""
        self._entry_id = entry_id

    def _entry(self) -> WhiteBitConfigEntry | None:
        """The entry, while it is loaded: unloading it takes its issue along."""
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        return entry if entry is not None and entry.state is ConfigEntryState.LOADED else None

    async def async_step_init(
        self,
        user_input: dict[str, str] | None = None,  # noqa: ARG002 - a menu is shown, not filled
    ) -> RepairsFlowResult:
        """Offer both ways out.

        The issue exists only while its entry is loaded (unloading takes it along), so the
        entry is there; each way out checks again, since the entry may unload meanwhile.
        """
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        return self.async_show_menu(
            step_id="init",
            menu_options=["stop_tracking", "retry"],
            description_placeholders={"entry": entry.title if entry else ""},
        )

    async def async_step_stop_tracking(
        self,
        user_input: dict[str, str] | None = None,  # noqa: ARG002 - a menu choice has no input
    ) -> RepairsFlowResult:
        """Untick Earn in the options and reload: the totals go back to the other accounts."""
        if (entry := self._entry()) is None:
            return self.async_abort(reason="not_loaded")
        # An entry tracking Earn alone keeps the main account: an entry tracks something.
        accounts = [a for a in entry.options[CONF_ACCOUNTS] if a != ACCOUNT_EARN]
        options = {**entry.options, CONF_ACCOUNTS: accounts or [ACCOUNT_MAIN]}
        self.hass.config_entries.async_update_entry(entry, options=options)
        self.hass.config_entries.async_schedule_reload(entry.entry_id)
        return self.async_create_entry(data={})

    async def async_step_retry(
        self,
        user_input: dict[str, str] | None = None,  # noqa: ARG002 - a menu choice has no input
    ) -> RepairsFlowResult:
        """Poll now; if WhiteBIT still refuses, the issue stays and says so."""
        if (entry := self._entry()) is None:
            return self.async_abort(reason="not_loaded")
        await entry.runtime_data.async_refresh()
        if ir.async_get(self.hass).async_get_issue(DOMAIN, earn_issue_id(entry.entry_id)):
            return self.async_abort(reason="still_refused")
        return self.async_create_entry(data={})


async def async_create_fix_flow(
    hass: HomeAssistant,  # noqa: ARG001 - the signature Home Assistant calls
    issue_id: str,
    data: dict[str, str | int | float | None] | None,  # noqa: ARG001 - the signature, too
) -> RepairsFlow:
    """The repair flow of a fixable issue: only the Earn issue is one."""
    return EarnRepairFlow(earn_issue_entry(issue_id))
