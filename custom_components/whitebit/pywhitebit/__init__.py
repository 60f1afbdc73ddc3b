"""pywhitebit: a guarded asyncio client for WhiteBIT's API v4 and its private WebSocket.

Everything a WhiteBIT server (or whoever answers on a custom URL) sends enters through this
package, which bounds and types it before anyone else sees it. It imports nothing from Home
Assistant and needs nothing beyond aiohttp and yarl.
"""

from .amounts import InvalidAmountError, parse_amount
from .channels import (
    BALANCE_MARGIN,
    BALANCE_SPOT,
    MAX_ASSETS,
    POSITIONS_MARGIN,
    BalanceState,
    Channel,
    ChannelState,
    balance_margin,
    balance_spot,
)
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
    WhiteBitSubAccountError,
    WhiteBitSubAccountInactiveError,
    WhiteBitSubAccountNotConfirmedError,
    WhiteBitSubAccountNotFoundError,
    WhiteBitSubAccountPermissionError,
    WhiteBitTooLargeError,
)
from .fills import MAX_FILLS_PER_DELIVERY, Fills, orders_executed
from .margin import (
    COLLATERAL_MONEY,
    MAX_POSITIONS,
    CollateralSummary,
    Position,
    Positions,
    market_money,
    position_key,
)
from .models import Balances, Market, TradeBalance, merge_balances
from .orders import FILL_KINDS, FILLED, PARTIALLY_FILLED, Fill, FillHistory, subscribed_markets
from .servers import WHITEBIT_EU, WHITEBIT_GLOBAL, InvalidUrlError, check_base_url, stream_url
from .stream import WhiteBitStream
from .stream_settings import StreamError, StreamLimits, StreamState, StreamStatus, StreamTiming
from .subaccounts import MAX_SUBACCOUNTS, SubAccount, SubAccountBalance, SubAccounts
from .text import is_currency, safe_text
from .transfers import (
    COMPLETED,
    DEPOSIT,
    FAILED,
    PENDING,
    STAGES,
    WITHDRAWAL,
    Transfer,
    TransferHistory,
)

__all__ = [
    "BALANCE_MARGIN",
    "BALANCE_SPOT",
    "COLLATERAL_MONEY",
    "COMPLETED",
    "DEPOSIT",
    "FAILED",
    "FILLED",
    "FILL_KINDS",
    "MAX_ASSETS",
    "MAX_FILLS_PER_DELIVERY",
    "MAX_POSITIONS",
    "MAX_SUBACCOUNTS",
    "NONCE_WINDOW",
    "PARTIALLY_FILLED",
    "PENDING",
    "POSITIONS_MARGIN",
    "STAGES",
    "WHITEBIT_EU",
    "WHITEBIT_GLOBAL",
    "WITHDRAWAL",
    "BalanceState",
    "Balances",
    "Channel",
    "ChannelState",
    "CollateralSummary",
    "Fill",
    "FillHistory",
    "Fills",
    "InvalidAmountError",
    "InvalidUrlError",
    "Market",
    "Position",
    "Positions",
    "StreamError",
    "StreamLimits",
    "StreamState",
    "StreamStatus",
    "StreamTiming",
    "SubAccount",
    "SubAccountBalance",
    "SubAccounts",
    "TradeBalance",
    "Transfer",
    "TransferHistory",
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
    "WhiteBitSubAccountError",
    "WhiteBitSubAccountInactiveError",
    "WhiteBitSubAccountNotConfirmedError",
    "WhiteBitSubAccountNotFoundError",
    "WhiteBitSubAccountPermissionError",
    "WhiteBitTooLargeError",
    "balance_margin",
    "balance_spot",
    "check_base_url",
    "is_currency",
    "market_money",
    "merge_balances",
    "orders_executed",
    "parse_amount",
    "position_key",
    "safe_text",
    "stream_url",
    "subscribed_markets",
]
