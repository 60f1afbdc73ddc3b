"""Server text fit for a log line, and what may be a currency name."""

import pytest

from custom_components.whitebit.pywhitebit.text import safe_text


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("line\nERROR fake line", "line\\nERROR fake line"),
        ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),
        ("abc\u202eevil", "abc\\u202eevil"),
        ("x" * 500, "x" * 200 + "…"),
    ],
)
def test_server_text_is_escaped_and_bounded(text: str, escaped: str) -> None:
    """No control character reaches a log line, and nothing longer than 200 characters."""
    assert safe_text(text) == escaped
