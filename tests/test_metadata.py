"""Translations, manifest and HACS metadata are complete and consistent."""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

import pytest

from custom_components.whitebit.const import (
    ACCOUNTS,
    QUOTE_NONE,
    QUOTE_TICKERS,
    ZERO_REMOVE,
    ZERO_UNAVAILABLE,
)
from custom_components.whitebit.sensor import PORTFOLIO_DESCRIPTION, TICKER_DESCRIPTIONS

ROOT = Path(__file__).parent.parent
INTEGRATION = ROOT / "custom_components" / "whitebit"


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _leaves(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(_leaves(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


@pytest.mark.parametrize("language", ["uk"])
def test_translations_are_complete(language: str) -> None:
    """Every English string exists in the translation, with the same placeholders."""
    english = _leaves(_load(INTEGRATION / "translations" / "en.json"))
    other = _leaves(_load(INTEGRATION / "translations" / f"{language}.json"))
    assert other.keys() == english.keys()
    for key, text in english.items():
        assert set(re.findall(r"{\w+}", other[key])) == set(re.findall(r"{\w+}", text)), key
        assert other[key].strip(), key


def test_every_entity_has_a_name_and_icon() -> None:
    """Each entity description has a translated name and an icon."""
    english = _load(INTEGRATION / "translations" / "en.json")
    icons = _load(INTEGRATION / "icons.json")
    keys = {d.translation_key for d in (*TICKER_DESCRIPTIONS, PORTFOLIO_DESCRIPTION)}
    assert keys == set(english["entity"]["sensor"]) == set(icons["entity"]["sensor"])


def test_every_choice_is_translated() -> None:
    """Each option of each select offered in a form has a label."""
    selectors = _load(INTEGRATION / "translations" / "en.json")["selector"]
    assert set(selectors["accounts"]["options"]) == set(ACCOUNTS)
    assert set(selectors["quote_currency"]["options"]) == {QUOTE_NONE, *QUOTE_TICKERS}
    assert set(selectors["zero_balance"]["options"]) == {ZERO_REMOVE, ZERO_UNAVAILABLE}


def test_manifest() -> None:
    """What HACS and Home Assistant require, and no runtime requirements."""
    manifest = _load(INTEGRATION / "manifest.json")
    assert manifest["domain"] == "whitebit"
    assert manifest["requirements"] == []
    assert manifest["iot_class"] == "cloud_polling"
    assert manifest["config_flow"] is True
    assert manifest["integration_type"] == "service"
    assert re.fullmatch(r"\d+\.\d+\.\d+", manifest["version"])
    for key in ("name", "codeowners", "documentation", "issue_tracker"):
        assert manifest[key]
    # Home Assistant's hassfest order: domain, name, then the rest alphabetically.
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])


def test_hacs_json() -> None:
    """hacs.json names the integration and the minimum Home Assistant version."""
    hacs = _load(ROOT / "hacs.json")
    assert hacs["name"] == "WhiteBIT"
    assert re.fullmatch(r"\d{4}\.\d+\.\d+", hacs["homeassistant"])
    assert set(hacs) <= {"name", "homeassistant", "render_readme", "hacs", "country"}


def test_brand_icon() -> None:
    """The brand icon is a 256x256 PNG."""
    data = (INTEGRATION / "brand" / "icon.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20]), int.from_bytes(data[20:24])
    assert (width, height) == (256, 256)
