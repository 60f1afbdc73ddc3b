"""Server text made safe for a log line, and what may be a currency name."""

import re
from typing import Final

# What may stand in a message taken from a server, after escaping.
MAX_TEXT: Final = 200

# Every currency WhiteBIT lists is ASCII letters and digits (1INCH, 0G, USDT); its asset list
# also has payment-provider keys such as EUR_SEPA_BCB. Nothing else can be a currency: no
# control character, space, bidirectional override or megabyte-long name becomes an entity.
_CURRENCY: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")


def safe_text(text: str, limit: int = MAX_TEXT) -> str:
    r"""Return server text fit for one log line: control characters escaped, length bounded.

    Newlines, ANSI escapes and bidirectional overrides would let a server forge log lines or
    turn text around; they are written as escapes (`\\n`, `\\x1b`, `\\u202e`) instead.
    """
    out: list[str] = []
    size = 0
    for char in text:
        piece = char if char.isprintable() else char.encode("unicode_escape").decode("ascii")
        size += len(piece)
        if size > limit:
            out.append("…")
            break
        out.append(piece)
    return "".join(out)


def is_currency(name: object) -> bool:
    """Whether `name` can be a WhiteBIT currency."""
    return isinstance(name, str) and _CURRENCY.fullmatch(name) is not None
