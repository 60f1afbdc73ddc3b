"""A second signer, written from WhiteBIT's documented recipe rather than from the client.

`guides/first-api-call` and `api-reference/authentication` in WhiteBIT's docs: the body is compact
JSON with `request` and `nonce` (WhiteBIT's own quickstarts send the nonce as a string of digits),
`X-TXC-PAYLOAD` is its base64, and `X-TXC-SIGNATURE` the hex HMAC-SHA512 of that payload keyed
by the secret. It shares no code with custom_components/, so the simulator accepting it shows
that the simulator follows WhiteBIT's rules, not the client's habits.
"""

import base64
import hashlib
import hmac
import json
from typing import Any


def documented_body(request: str, nonce: int | str, **params: Any) -> bytes:
    """The body as WhiteBIT's quickstart builds it, compact, extra parameters after the nonce."""
    return json.dumps(
        {"request": request, "nonce": nonce, **params}, separators=(",", ":")
    ).encode()


def documented_headers(api_key: str, secret: str, body: bytes) -> dict[str, str]:
    """The three signed headers, as the documented recipe computes them."""
    payload = base64.b64encode(body).decode()
    signature = hmac.new(secret.encode(), payload.encode(), hashlib.sha512).hexdigest()
    return {
        "Content-Type": "application/json",
        "X-TXC-APIKEY": api_key,
        "X-TXC-PAYLOAD": payload,
        "X-TXC-SIGNATURE": signature,
    }
