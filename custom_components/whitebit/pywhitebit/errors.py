"""The errors the WhiteBIT client raises: every failure ends in one of these, never another type."""

from collections.abc import Mapping
from typing import Any


class WhiteBitError(Exception):
    """Base class for every error this client raises."""


class WhiteBitConnectionError(WhiteBitError):
    """WhiteBIT could not be reached, timed out, or answered with a server error."""


class WhiteBitResponseError(WhiteBitError):
    """WhiteBIT answered, but not in the documented shape."""


class WhiteBitRedirectError(WhiteBitResponseError):
    """The server answered with a redirect, which is never followed: the key stays where it is."""

    def __init__(self, status: int) -> None:
        """Name the status only: the target is the server's text, and it is not followed."""
        super().__init__(f"WhiteBIT answered HTTP {status}, a redirect, which is not followed")
        self.status = status


class WhiteBitTooLargeError(WhiteBitResponseError):
    """The answer was larger than any real WhiteBIT answer; it was not read to the end."""


class WhiteBitAuthenticationError(WhiteBitError):
    """The key, the signature, or the key's state (disabled, IP not allowed) was rejected."""


class WhiteBitPermissionError(WhiteBitError):
    """The key is valid but may not use this endpoint."""


class WhiteBitEarnPermissionError(WhiteBitPermissionError):
    """The key may not read crypto lending (Earn): WhiteBIT grants that access on request."""


class WhiteBitRateLimitError(WhiteBitError):
    """HTTP 429: WhiteBIT sends it both for too many requests and for a nonce it refused."""

    def __init__(self, message: str, retry_after: float) -> None:
        """Keep how long to wait before the next request."""
        super().__init__(message)
        self.retry_after = retry_after


class WhiteBitRequestError(WhiteBitError):
    """WhiteBIT refused the request itself (HTTP 400 or 422): repeating it will not help."""

    def __init__(
        self, message: str, errors: Mapping[str, Any] | None = None, reason: str = ""
    ) -> None:
        """Keep the per-field errors WhiteBIT returned, and its message (escaped, bounded)."""
        super().__init__(message)
        self.errors = dict(errors or {})
        self.reason = reason


class WhiteBitSubAccountPermissionError(WhiteBitPermissionError):
    """The key may not read sub-accounts: not the main account's, or without that endpoint."""


class WhiteBitSubAccountError(WhiteBitRequestError):
    """WhiteBIT refused one sub-account's balances for a reason of that sub-account's own."""


class WhiteBitSubAccountNotConfirmedError(WhiteBitSubAccountError):
    """The sub-account is not activated yet: "Account is not confirmed"."""


class WhiteBitSubAccountInactiveError(WhiteBitSubAccountError):
    """The sub-account is blocked or locked: "Sub-account is not active"."""


class WhiteBitSubAccountNotFoundError(WhiteBitSubAccountError):
    """No such sub-account of this account (deleted since it was listed): `id` failed validation."""


class WhiteBitClockError(WhiteBitError):
    """WhiteBIT refused the nonce's time: this machine's clock is too far from WhiteBIT's."""

    def __init__(self, message: str, skew: float | None) -> None:
        """Keep the measured offset (WhiteBIT's clock minus ours, seconds), where known."""
        super().__init__(message)
        self.skew = skew
