"""Headers a server controls, read into numbers or nothing."""

import pytest

from custom_components.whitebit.pywhitebit.responses import http_date


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("Wed, 25 Nov 2026 12:00:00 GMT", 1795608000.0),
        ("Wed, 25 Nov 2026 12:00:00", 1795608000.0),
        ("nan", None),
        ("", None),
        (None, None),
        ("Wed, 25 Nov 99999 12:00:00 GMT", None),
        ("x" * 100, None),
    ],
)
def test_http_dates(header: str | None, seconds: float | None) -> None:
    """Only a real HTTP date is a time; anything else is none."""
    assert http_date(header) == seconds
