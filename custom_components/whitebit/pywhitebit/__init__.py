"""pywhitebit: a guarded asyncio client for WhiteBIT's API v4 and its private WebSocket.

Everything a WhiteBIT server (or whoever answers on a custom URL) sends enters through this
package, which bounds and types it before anyone else sees it. It imports nothing from Home
Assistant and needs nothing beyond aiohttp and yarl.
"""

from .amounts import InvalidAmountError, parse_amount
from .client import NONCE_WINDOW, WhiteBitClient, WhiteBitPublicClient
from .errors import (
    WhiteBitAuthenticationError,
    WhiteBitClockError,
    WhiteBitConnectionError,
    WhiteBitEarnPermissionError,
    WhiteBitError,
    WhiteBitPermissionError,
    WhiteBitRateLimitError,
    WhiteBitRedirectError,
    WhiteBitRequestError,
    WhiteBitResponseError,
    WhiteBitTooLargeError,
)
from .models import Balances, Market, TradeBalance, merge_balances
from .servers import WHITEBIT_EU, WHITEBIT_GLOBAL, InvalidUrlError, check_base_url, stream_url
from .stream import StreamState, StreamStatus, WhiteBitStream
from .text import is_currency, safe_text

__all__ = [
    "NONCE_WINDOW",
    "WHITEBIT_EU",
    "WHITEBIT_GLOBAL",
    "Balances",
    "InvalidAmountError",
    "InvalidUrlError",
    "Market",
    "StreamState",
    "StreamStatus",
    "TradeBalance",
    "WhiteBitAuthenticationError",
    "WhiteBitClient",
    "WhiteBitClockError",
    "WhiteBitConnectionError",
    "WhiteBitEarnPermissionError",
    "WhiteBitError",
    "WhiteBitPermissionError",
    "WhiteBitPublicClient",
    "WhiteBitRateLimitError",
    "WhiteBitRedirectError",
    "WhiteBitRequestError",
    "WhiteBitResponseError",
    "WhiteBitStream",
    "WhiteBitTooLargeError",
    "check_base_url",
    "is_currency",
    "merge_balances",
    "parse_amount",
    "safe_text",
    "stream_url",
]
