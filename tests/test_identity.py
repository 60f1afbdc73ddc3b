"""Identity: what a server choice and a custom URL resolve to, and how entries are named."""

from homeassistant.const import CONF_URL
import pytest

from custom_components.whitebit.const import CONF_SERVER, SERVER_CUSTOM
from custom_components.whitebit.identity import (
    default_name,
    entry_title,
    entry_unique_id,
    generated_titles,
    resolve_base_url,
    server_of,
    title_for_key,
)
from custom_components.whitebit.pywhitebit.servers import InvalidUrlError


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://localhost:8800/", "http://localhost:8800"),
        ("http://[::1]:8800", "http://[::1]:8800"),
        ("http://127.0.0.5:8800", "http://127.0.0.5:8800"),
        ("https://proxy.example/whitebit/", "https://proxy.example/whitebit"),
    ],
)
def test_accepted_custom_urls(url: str, expected: str) -> None:
    """Loopback over http and anything over https are accepted, trailing slash dropped."""
    assert resolve_base_url({CONF_SERVER: SERVER_CUSTOM, CONF_URL: url}) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://192.168.1.10:8800",  # plain http off loopback would carry the key in clear
        "ftp://127.0.0.1",
        "https://user:pass@whitebit.com",
        "https://whitebit.com/?token=1",
        "whitebit.com",
        "",
    ],
)
def test_refused_custom_urls(url: str) -> None:
    """What the key must never be sent to."""
    with pytest.raises(InvalidUrlError):
        resolve_base_url({CONF_SERVER: SERVER_CUSTOM, CONF_URL: url})


def test_names_and_ids() -> None:
    """Titles name the server and the key's end; the unique ID hides the key entirely."""
    key = "0123456789abcdef0123456789abWXYZ"
    assert entry_title("global", "https://whitebit.com", key) == "WhiteBIT Global (key …WXYZ)"
    assert entry_title("custom", "http://127.0.0.1:8800", key) == "WhiteBIT 127.0.0.1 (key …WXYZ)"
    # A key too short to spare four characters shows none.
    assert entry_title("eu", "https://whitebit.eu", "short-key") == "WhiteBIT EU"
    assert generated_titles("https://whitebit.com", key) == {
        "WhiteBIT Global (key …WXYZ)",
        "WhiteBIT Global",
    }
    assert server_of("https://whitebit.eu") == "eu"
    assert server_of("http://127.0.0.1:8800") == "custom"
    unique_id = entry_unique_id("https://whitebit.com", "my-key")
    assert "my-key" not in unique_id
    assert unique_id != entry_unique_id("https://whitebit.eu", "my-key")


def test_default_names_and_a_new_key() -> None:
    """New entries are "WhiteBIT", with the key's end beside another on the same server.

    When the key changes, a title the integration made follows it in its own style (the
    earlier "WhiteBIT Global (key …)" included); plain "WhiteBIT" and a chosen name stay.
    """
    old, new = "0123456789abcdef0123456789ab0000", "0123456789abcdef0123456789ab1111"
    assert default_name(old, shared=False) == "WhiteBIT"
    assert default_name(old, shared=True) == "WhiteBIT …0000"
    assert default_name("short-key", shared=True) == "WhiteBIT"
    before, after = ("https://whitebit.com", old), ("https://whitebit.com", new)
    assert title_for_key("WhiteBIT …0000", before, after) == "WhiteBIT …1111"
    assert title_for_key("WhiteBIT", before, after) == "WhiteBIT"
    assert title_for_key("Savings", before, after) == "Savings"
    assert title_for_key("WhiteBIT Global (key …0000)", before, after) == (
        "WhiteBIT Global (key …1111)"
    )
    # Moved to WhiteBIT EU with the new key: the earlier style names the new server.
    moved = ("https://whitebit.eu", new)
    assert title_for_key("WhiteBIT Global", before, moved) == "WhiteBIT EU (key …1111)"
