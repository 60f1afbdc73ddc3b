"""WhiteBIT's servers: their URLs, the stream's URL for each, and what a custom URL may be."""

import ipaddress
from typing import Final

from yarl import URL

WHITEBIT_GLOBAL: Final = "https://whitebit.com"
WHITEBIT_EU: Final = "https://whitebit.eu"
# WhiteBIT's private WebSocket lives on the api. host of each server.
_STREAM_URLS: Final = {
    WHITEBIT_GLOBAL: "wss://api.whitebit.com/ws",
    WHITEBIT_EU: "wss://api.whitebit.eu/ws",
}


class InvalidUrlError(ValueError):
    """The custom server URL is not one the client will send a key to."""


def check_base_url(text: str) -> str:
    """Return `text` as a base URL the client may send a key to, or raise InvalidUrlError.

    A custom URL must be https, except on a loopback address (a local proxy or the
    simulator), where nothing crosses a network. URLs with credentials or a query are refused
    too: they would end up in diagnostics and logs.
    """
    try:
        url = URL(text.strip())
    except ValueError as err:
        raise InvalidUrlError from err
    if not url.absolute or not url.host or url.user or url.password or url.query_string:
        raise InvalidUrlError
    if url.scheme not in {"http", "https"} or (url.scheme == "http" and not _loopback(url.host)):
        raise InvalidUrlError
    return str(url).rstrip("/")


def _loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def stream_url(base_url: str) -> str:
    """Return the private WebSocket's URL for a server.

    WhiteBIT's own servers have it on their api. host. A custom URL (a proxy, the simulator)
    serves it at /ws beside the REST API, ws:// where the REST API is http:// (loopback only).
    """
    if (url := _STREAM_URLS.get(base_url)) is not None:
        return url
    parsed = URL(base_url)
    scheme = "wss" if parsed.scheme == "https" else "ws"
    return str(parsed.with_scheme(scheme)).rstrip("/") + "/ws"
