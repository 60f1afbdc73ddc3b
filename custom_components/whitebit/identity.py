"""How an entry is named and identified: its server choice, title and unique ID."""

from collections.abc import Mapping
import hashlib
from typing import Any, Final

from homeassistant.const import CONF_URL
from yarl import URL

from .const import CONF_SERVER, DEFAULT_NAME, SERVER_CUSTOM, SERVER_TITLES, SERVER_URLS
from .pywhitebit import check_base_url

# How much of the key a title shows, and how long a key must be for that to be harmless.
_KEY_SHOWN: Final = 4
_MIN_KEY_SHOWN: Final = 16


def resolve_base_url(user_input: Mapping[str, Any]) -> str:
    """Return the base URL for the chosen server; a custom URL must pass the client's rules."""
    server = user_input[CONF_SERVER]
    if server in SERVER_URLS:
        return SERVER_URLS[server]
    return check_base_url(str(user_input.get(CONF_URL, "")))


def entry_unique_id(base_url: str, api_key: str) -> str:
    """Identify an account on a server without revealing its key.

    WhiteBIT's balance API reports no account ID, so the key stands for the account. Only a
    SHA-256 of it is stored, which cannot be turned back into the key.
    """
    return hashlib.sha256(f"{base_url}\n{api_key}".encode()).hexdigest()


def default_name(api_key: str, *, shared: bool) -> str:
    """What a new entry is called unless the person names it: its device and entity IDs too.

    Plain "WhiteBIT", so that a dashboard tile reads "WhiteBIT BTC main" and its entity ID
    sensor.whitebit_btc_main. When another entry is on the same server (`shared`), the key's
    last characters tell the two apart: WhiteBIT's API settings list keys, so that is what a
    person can match. Four characters of a key of dozens reveal nothing usable, and a key too
    short to spare them gets none. The secret is never part of it.
    """
    if not shared or len(api_key) < _MIN_KEY_SHOWN:
        return DEFAULT_NAME
    return f"{DEFAULT_NAME} …{api_key[-_KEY_SHOWN:]}"


def entry_title(server: str, base_url: str, api_key: str) -> str:
    """The title earlier versions gave every entry: its server and its key's end.

    Entries keep it (and the entity IDs made from it); a new key changes its key's end.
    """
    name = SERVER_TITLES.get(server) or server_name(base_url)
    if len(api_key) < _MIN_KEY_SHOWN:
        return name
    return f"{name} (key …{api_key[-_KEY_SHOWN:]})"


def title_for_key(title: str, old: tuple[str, str], new: tuple[str, str]) -> str:
    """An entry's title once its (base URL, key) goes from `old` to `new`.

    A title the integration made follows the key, in its own style; one the person chose, or
    plain "WhiteBIT", which names no key, stays.
    """
    if title != DEFAULT_NAME and title == default_name(old[1], shared=True):
        return default_name(new[1], shared=True)
    if title in generated_titles(*old):
        return entry_title(server_of(new[0]), *new)
    return title


def server_name(base_url: str) -> str:
    """Name a server as a person knows it: WhiteBIT Global or EU, or a custom URL's host."""
    return SERVER_TITLES.get(server_of(base_url)) or f"WhiteBIT {URL(base_url).host}"


def generated_titles(base_url: str, api_key: str) -> set[str]:
    """Every title the integration gives such an entry, this version's and earlier ones'.

    An entry with one of these titles was not renamed by the user, so it may be renamed when
    its key changes.
    """
    server = server_of(base_url)
    legacy = SERVER_TITLES.get(server) or f"WhiteBIT ({URL(base_url).host})"
    return {entry_title(server, base_url, api_key), legacy}


def server_of(base_url: str) -> str:
    """Return the server choice that gives `base_url`."""
    return next((s for s, url in SERVER_URLS.items() if url == base_url), SERVER_CUSTOM)
