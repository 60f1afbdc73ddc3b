"""What WhiteBIT's answers mean: decoded JSON into balances, prices and tokens.

Nothing here trusts the data: a currency name that cannot be one is dropped, one wrong amount
takes down only its own currency.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
import re
from types import MappingProxyType
from typing import Final

from .amounts import InvalidAmountError, number_amount, parse_amount, signed_amount
from .errors import WhiteBitResponseError
from .models import Balances, Market, TradeBalance
from .text import is_currency, safe_text

# A WebSocket token: WhiteBIT documents no format; printable ASCII, no space, up to 1 KiB.
_TOKEN: Final = re.compile(r"[!-~]{1,1024}")
# WhiteBIT lists about a thousand currencies and a thousand markets. Ten times that is refused
# before a single entry is read: a hostile megabyte of `"A1":0,` would otherwise be 150,000
# currencies read, reported and valued on every poll.
MAX_CURRENCIES: Final = 10_000
MAX_MARKETS: Final = 10_000
# A record's id (Earn investments, transfers): WhiteBIT's are UUIDs, with a prefix for flex
# investments ("inv_…"); 128 characters is far beyond.
MAX_RECORD_ID: Final = 128


def _entries(data: object, what: str, bound: int) -> dict[str, object]:
    """The answer's object, refused whole if it is not one or has more than `bound` entries."""
    if not isinstance(data, dict):
        msg = f"WhiteBIT returned {type(data).__name__} where {what} were expected"
        raise WhiteBitResponseError(msg)
    if len(data) > bound:
        msg = f"WhiteBIT returned {len(data)} {what}, more than {bound}: not read"
        raise WhiteBitResponseError(msg)
    return data


def parse_balances[T](data: object, read: Callable[[object], T]) -> Balances[T]:
    """Read ticker -> entry, with `read` raising for an entry that is not as documented."""
    data = _entries(data, "balances", MAX_CURRENCIES)
    amounts: dict[str, T] = {}
    invalid: set[str] = set()
    rejected: set[str] = set()
    for ticker, entry in data.items():
        if not is_currency(ticker):
            rejected.add(safe_text(ticker, 40))
            continue
        try:
            amounts[ticker] = read(entry)
        except InvalidAmountError:
            invalid.add(ticker)
    return Balances(MappingProxyType(amounts), frozenset(invalid), frozenset(rejected))


def get_field(entry: object, *names: str) -> object:
    """The first of `names` a record has (WhiteBIT spells some twice: `deal_stock`, `dealStock`).

    Raises InvalidAmountError for a record that is not an object or has none of them: a
    missing figure spoils its record, as a wrong one does.
    """
    if isinstance(entry, Mapping):
        for name in names:
            if name in entry:
                return entry[name]
    raise InvalidAmountError


def is_record_id(value: object) -> bool:
    """Whether `value` can be a record's id: a string of MAX_RECORD_ID at most, or an integer.

    WhiteBIT documents strings (UUIDs); an integer is taken too. Not a bool: True is no id.
    """
    return (isinstance(value, str) and 0 < len(value) <= MAX_RECORD_ID) or type(value) is int


@dataclass(frozen=True, slots=True)
class PagedList:
    """A paged answer's list of records: where it stands, its page's length, how it is named.

    `answer`, `plural` and `one` name what was read in an error ("sub-account list",
    "sub-accounts", "a sub-account").
    """

    key: str
    page: int
    answer: str
    plural: str
    one: str
    usable_id: Callable[[object], bool]

    def records(self, data: object) -> list[dict[str, object]]:
        """The page's records, refused whole unless each is an object with a usable id.

        Counted before any record is looked at: a page asked for `page` records has no more.
        """
        records = data.get(self.key) if isinstance(data, dict) else None
        if not isinstance(records, list):
            msg = f"WhiteBIT's {self.answer} has no {self.key} list"
            raise WhiteBitResponseError(msg)
        if len(records) > self.page:
            msg = f"WhiteBIT sent {len(records)} {self.plural} on a page of {self.page}: not read"
            raise WhiteBitResponseError(msg)
        if not all(isinstance(r, dict) and self.usable_id(r.get("id")) for r in records):
            msg = f"WhiteBIT's {self.answer} holds a record that is not {self.one} with an id"
            raise WhiteBitResponseError(msg)
        return records


def parse_main_balances(data: object) -> Balances[Decimal]:
    """Parse the main-account answer: `{"BTC": {"main_balance": "0.5"}, ...}`."""
    return parse_balances(data, lambda entry: parse_amount(get_field(entry, "main_balance")))


def parse_trade_balances(data: object) -> Balances[TradeBalance]:
    """Parse the trade-account answer; it lists only currencies with a balance."""
    return parse_balances(
        data,
        lambda entry: TradeBalance(
            available=parse_amount(get_field(entry, "available")),
            freeze=parse_amount(get_field(entry, "freeze")),
        ),
    )


def parse_collateral_balances(data: object) -> Balances[Decimal]:
    """Parse the collateral answer, `{"BTC": 1, "USDT": "1000.5"}`: numbers or strings.

    WhiteBIT documents numbers and its Go SDK reads strings; both are taken exactly. A number
    arrives as the Decimal of its JSON text (the decoder never makes it a float).
    """
    return parse_balances(data, number_amount)


def parse_websocket_token(data: object) -> str:
    """Read `{"websocket_token": "…"}`; a token is printable ASCII of a sane length."""
    token = data.get("websocket_token") if isinstance(data, dict) else None
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        msg = "WhiteBIT's answer holds no usable WebSocket token"
        raise WhiteBitResponseError(msg)
    return token


def parse_markets(data: object) -> dict[str, Market]:
    """Parse the public ticker into market name -> Market.

    The answer lists hundreds of markets. One that is not in the documented shape (a name that
    is not BASE_QUOTE of two currencies, a price that is not a decimal, a frozen flag that is
    not a bool) is left out rather than failing the rest: a currency only it could value is then
    reported as unvalued, which the user sees.
    """
    data = _entries(data, "markets", MAX_MARKETS)
    markets: dict[str, Market] = {}
    for name, entry in data.items():
        base, _, quote = name.partition("_")
        if not (is_currency(base) and is_currency(quote)) or "_" in quote:
            continue
        if not isinstance(entry, dict) or not isinstance(frozen := entry.get("isFrozen"), bool):
            continue
        try:
            price = parse_amount(entry.get("last_price"))
        except InvalidAmountError:
            continue
        markets[name] = Market(base, quote, price, frozen, signed_amount(entry.get("change")))
    return markets
