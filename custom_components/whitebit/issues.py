"""What the user is told when something is wrong: repair issues, and fixed reasons.

A failed update's translated message and a flow's form error each name a fixed reason; the
client's own text, which may carry a server's words, stays in the debug log.

The clock issue is per server. Its offset is between this machine and one server, so every
entry on that server measures the same one and the latest poll of any of them is the truth;
a poll on another server says nothing about it. One issue per server also means one message
for one problem, however many accounts there are. Earn access is the key's: per entry.
"""

import hashlib

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN, ISSUE_CLOCK, ISSUE_EARN, ISSUE_SUBACCOUNTS, LOGGER, SERVER_CUSTOM
from .identity import server_name, server_of
from .pywhitebit import (
    NONCE_WINDOW,
    WhiteBitAuthenticationError,
    WhiteBitClockError,
    WhiteBitConnectionError,
    WhiteBitEarnPermissionError,
    WhiteBitPermissionError,
    WhiteBitRateLimitError,
    WhiteBitRedirectError,
    WhiteBitRequestError,
    WhiteBitResponseError,
    WhiteBitSubAccountPermissionError,
    WhiteBitTooLargeError,
)

# A failed update's reason: the last part of its translation key.
_REASONS: tuple[tuple[type[Exception], str], ...] = (
    (WhiteBitRedirectError, "redirect"),
    (WhiteBitTooLargeError, "too_large"),
    (WhiteBitResponseError, "invalid_response"),
    (WhiteBitRequestError, "request_rejected"),
    (WhiteBitRateLimitError, "rate_limited"),
)


def failure_reason(err: Exception) -> str:
    """The fixed reason of a failed request; cannot_connect for an outage or a timeout."""
    return next((reason for kind, reason in _REASONS if isinstance(err, kind)), "cannot_connect")


# Each failure's form error: the first class it is an instance of.
_ERRORS: tuple[tuple[type[Exception] | tuple[type[Exception], ...], str], ...] = (
    (WhiteBitAuthenticationError, "invalid_auth"),
    (WhiteBitEarnPermissionError, "earn_no_access"),
    (WhiteBitSubAccountPermissionError, ISSUE_SUBACCOUNTS),
    (WhiteBitPermissionError, "no_permission"),
    (WhiteBitRateLimitError, "rate_limited"),
    (WhiteBitClockError, "clock_off"),
    (WhiteBitRequestError, "request_rejected"),
    ((WhiteBitConnectionError, WhiteBitResponseError), "cannot_connect"),
)


def form_error(err: BaseException | None) -> dict[str, str]:
    """The form error for a failure: never a traceback in the form, only in the log."""
    if (error := next((e for kind, e in _ERRORS if isinstance(err, kind)), None)) is None:
        LOGGER.error("Unexpected error while talking to WhiteBIT", exc_info=err)
        error = "unknown"
    return {"base": error}


def clock_issue_id(base_url: str) -> str:
    """The clock issue of one server: named after the server, or a hash of a custom URL."""
    if (server := server_of(base_url)) == SERVER_CUSTOM:
        server = hashlib.sha256(base_url.encode()).hexdigest()[:12]
    return f"{ISSUE_CLOCK}_{server}"


def async_report_clock(
    hass: HomeAssistant, base_url: str, skew: float | None, *, refused: bool
) -> None:
    """Raise the server's clock issue while this machine's clock is too far from its clock.

    Nonces are shifted onto WhiteBIT's clock, so polling goes on; but the clock is wrong for
    everything else Home Assistant does too, and only the user can fix its time source.
    """
    off = skew is not None and abs(skew) > NONCE_WINDOW
    # Refused for its time with no offset measured to show: the issue says so instead.
    _async_raise_while(
        hass,
        clock_issue_id(base_url),
        ISSUE_CLOCK if off else f"{ISSUE_CLOCK}_unknown",
        {"seconds": f"{skew:+.0f}" if off and skew else "?", "server": server_name(base_url)},
        active=off or refused,
    )


def earn_issue_id(entry_id: str) -> str:
    """The Earn issue of one entry; earn_issue_entry reads the entry back."""
    return f"{ISSUE_EARN}_{entry_id}"


def earn_issue_entry(issue_id: str) -> str:
    """The entry ID of an Earn issue."""
    return issue_id.removeprefix(f"{ISSUE_EARN}_")


def async_report_earn(hass: HomeAssistant, entry_id: str, title: str, *, refused: bool) -> None:
    """Raise the entry's Earn issue while WhiteBIT refuses its key's lending requests.

    Fixable: its repair flow (repairs.py) stops tracking Earn, or checks again at once.
    """
    _async_raise_while(
        hass,
        earn_issue_id(entry_id),
        ISSUE_EARN,
        {"entry": title},
        active=refused,
        fixable=True,
    )


def async_report_sub_accounts(
    hass: HomeAssistant, entry_id: str, title: str, *, refused: bool
) -> None:
    """Raise the entry's sub-account issue while WhiteBIT refuses its key's sub-account list."""
    _async_raise_while(
        hass, f"{ISSUE_SUBACCOUNTS}_{entry_id}", ISSUE_SUBACCOUNTS, {"entry": title}, active=refused
    )


def _async_raise_while(
    hass: HomeAssistant,
    issue_id: str,
    key: str,
    placeholders: dict[str, str],
    *,
    active: bool,
    fixable: bool = False,
) -> None:
    """Keep a warning issue raised while `active`, and delete it once it is not.

    A fixable one has a repair flow (repairs.py). The clock has none: only the user can fix
    the machine's time source.
    """
    if not active:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=fixable,
        severity=ir.IssueSeverity.WARNING,
        translation_key=key,
        translation_placeholders=placeholders,
    )
