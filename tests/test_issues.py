"""Fixed reasons for failures, and repair issue IDs, as the user sees them."""

import json
from pathlib import Path

import pytest

from custom_components.whitebit.issues import clock_issue_id, failure_reason
from custom_components.whitebit.pywhitebit import (
    WHITEBIT_EU,
    WHITEBIT_GLOBAL,
    WhiteBitConnectionError,
    WhiteBitRateLimitError,
    WhiteBitRedirectError,
    WhiteBitRequestError,
    WhiteBitResponseError,
    WhiteBitTooLargeError,
)

EXCEPTIONS = json.loads(
    (Path(__file__).parent.parent / "custom_components/whitebit/translations/en.json").read_text(
        encoding="utf-8"
    )
)["exceptions"]


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (WhiteBitConnectionError("Timed out after 10 s waiting for WhiteBIT"), "cannot_connect"),
        (WhiteBitResponseError("not JSON (12 bytes)"), "invalid_response"),
        (WhiteBitTooLargeError("over 4 MiB"), "too_large"),
        (WhiteBitRedirectError(302), "redirect"),
        (WhiteBitRequestError("Validation failed"), "request_rejected"),
        (WhiteBitRateLimitError("Too many requests.", 10), "rate_limited"),
    ],
)
def test_each_failure_has_a_fixed_translated_reason(error: Exception, reason: str) -> None:
    """The message names a reason, in words of its own, never the client's or server's text."""
    assert failure_reason(error) == reason
    messages = [EXCEPTIONS[f"prices_{reason}"]["message"]]
    # A rate limit on balances has its own message, with the wait.
    if reason != "rate_limited":
        messages.append(EXCEPTIONS[f"update_{reason}"]["message"])
    for message in messages:
        assert "{" not in message
        assert str(error) not in message


def test_clock_issues_are_per_server() -> None:
    """Official servers by name, custom ones by a hash of their URL: never one for all."""
    assert clock_issue_id(WHITEBIT_GLOBAL) == "clock_off_global"
    assert clock_issue_id(WHITEBIT_EU) == "clock_off_eu"
    proxy = clock_issue_id("https://proxy.example")
    assert proxy.startswith("clock_off_")
    assert proxy != clock_issue_id("https://proxy.example:8443")
    assert "proxy" not in proxy
