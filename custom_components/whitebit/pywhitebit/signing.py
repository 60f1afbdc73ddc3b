"""Signing WhiteBIT's private requests: the body, its HMAC, and nonces never used twice.

The secret is only ever used as an HMAC key: it is never sent, logged, or put in an exception.
"""

import base64
from collections import deque
from collections.abc import Mapping
import hashlib
import hmac
import json
import threading
from typing import Final

# Nonces remembered per key, to never sign one twice within WhiteBIT's window.
_REMEMBERED: Final = 256


class _RecentNonces:
    """The last nonces signed for each key in this process.

    WhiteBIT refuses a nonceWindow nonce used twice, and two clients of one key can sign in the
    same millisecond: a config flow checking the key while the entry polls, or an entry and its
    reload. Order does not matter with the window, so no lock is held across a request, and the
    clock's reading is followed even when it steps back, rather than outrun by a stale,
    far-ahead nonce. The last _REMEMBERED are kept: a poll signs one or two, so that is minutes
    of requests, far more than fit in WhiteBIT's ±5 s; counting rather than timing them stays
    right when the clock jumps.
    """

    def __init__(self) -> None:
        self._recent: dict[str, deque[int]] = {}
        self._lock = threading.Lock()

    def next(self, key_id: str, now_ms: int) -> int:
        """The first millisecond from `now_ms` on not signed lately for this key."""
        with self._lock:
            recent = self._recent.setdefault(key_id, deque(maxlen=_REMEMBERED))
            nonce = now_ms
            while nonce in recent:
                nonce += 1
            recent.append(nonce)
        return nonce


NONCES: Final = _RecentNonces()


def key_fingerprint(api_key: str) -> str:
    """Return a stable identifier for a key that does not reveal it."""
    return hashlib.sha256(api_key.encode()).hexdigest()


def sign(secret: str, body: bytes) -> tuple[str, str]:
    """Return the X-TXC-PAYLOAD and X-TXC-SIGNATURE headers for a request body."""
    payload = base64.b64encode(body).decode("ascii")
    signature = hmac.new(secret.encode(), payload.encode("ascii"), hashlib.sha512).hexdigest()
    return payload, signature


def encode_body(request: str, nonce: int, params: Mapping[str, object] | None = None) -> bytes:
    """Serialise a request body the way it is signed: compact JSON, as WhiteBIT requires.

    `nonceWindow` asks WhiteBIT to accept any unused nonce within ±5 s of its clock instead of
    one larger than every nonce it has seen for the key. So a restart with the clock stepped
    back, or two Home Assistant instances sharing a key, cannot lock each other out.
    """
    body = {"request": request, "nonce": nonce, "nonceWindow": True, **(params or {})}
    return json.dumps(body, separators=(",", ":")).encode()
