"""Translations, manifest and HACS metadata are complete and consistent."""

from __future__ import annotations

import json
from pathlib import Path
import re
import string
from typing import Any

import pytest
import yaml

from custom_components.whitebit.binary_sensor import MARGIN_CALL
from custom_components.whitebit.const import (
    ACCOUNTS,
    QUOTE_NONE,
    ZERO_REMOVE,
    ZERO_UNAVAILABLE,
)
from custom_components.whitebit.margin_devices import COLLATERAL_DEVICE_KEY, POSITION_DEVICE_KEY
from custom_components.whitebit.market import MARKET_DESCRIPTIONS
from custom_components.whitebit.positions import POSITION_DESCRIPTIONS, SUMMARY_DESCRIPTIONS
from custom_components.whitebit.pywhitebit.margin import LONG, SHORT
from custom_components.whitebit.sensor import (
    PORTFOLIO_DESCRIPTION,
    TICKER_DESCRIPTIONS,
    UNVALUED_DESCRIPTION,
)
from custom_components.whitebit.subaccount_sensors import (
    SUB_ACCOUNT_DESCRIPTIONS,
    SUB_ACCOUNTS_VALUE_DESCRIPTION,
    SUB_PORTFOLIO_DESCRIPTION,
)

ROOT = Path(__file__).parent.parent
INTEGRATION = ROOT / "custom_components" / "whitebit"


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are all distinct: json.loads would keep the last of two."""
    keys = [key for key, _ in pairs]
    assert len(set(keys)) == len(keys), f"duplicate keys {keys}"
    return dict(pairs)


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=_unique)


def _leaves(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(_leaves(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


# The languages the integration speaks (README, "Translations"); a file added or lost is caught.
LANGUAGES = {"en", "uk", "de", "es", "fr", "it", "nl", "pl", "pt", "tr"}
TRANSLATIONS = sorted(path.stem for path in (INTEGRATION / "translations").glob("*.json"))


def test_the_languages_are_the_ten() -> None:
    """The translations directory holds exactly the languages the README lists."""
    assert set(TRANSLATIONS) == LANGUAGES
    assert len(TRANSLATIONS) == len(LANGUAGES)


def _placeholders(text: str) -> list[str]:
    return sorted(field for _, field, _, _ in string.Formatter().parse(text) if field is not None)


@pytest.mark.parametrize("language", sorted(LANGUAGES - {"en"}))
def test_translations_are_complete(language: str) -> None:
    """Every English string exists in the translation, with the same placeholders.

    The same placeholders each as often: a text that drops {entry} or says it twice reads
    wrong in that language only, where no English-speaking reviewer looks.
    """
    english = _leaves(_load(INTEGRATION / "translations" / "en.json"))
    other = _leaves(_load(INTEGRATION / "translations" / f"{language}.json"))
    assert other.keys() == english.keys()
    for key, text in english.items():
        assert isinstance(other[key], str), key
        assert _placeholders(other[key]) == _placeholders(text), key
        assert other[key].strip(), key


# hassfest's rules (script/hassfest/translations.py in Home Assistant core): a translation key is
# lowercase letters, digits, "-" and "_", neither first nor last nor doubled; a text holds no
# HTML, no URL, no surrounding space, and only placeholders that are identifiers, unquoted.
HASSFEST_KEY = re.compile(r"^(?!.+[_-]{2})(?![_-])[a-z0-9-_]+(?<![_-])$")
HASSFEST_URL = re.compile(
    r"(((ftp|ftps|scp|http|https|mqtt|mqtts|socket|socks5):\/\/|www\.)"
    r"[a-z0-9]+([\-\.]{1}[a-z0-9]+)*\.[a-z]{2,5}(:[0-9]{1,5})?(\/.*)?)",
    re.IGNORECASE,
)


def _keys(tree: dict[str, Any], path: str = "") -> list[tuple[str, str]]:
    """Every key of the tree, with where it stands."""
    out: list[tuple[str, str]] = []
    for key, value in tree.items():
        out.append((key, f"{path}{key}"))
        if isinstance(value, dict):
            out.extend(_keys(value, f"{path}{key}."))
    return out


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_translations_pass_hassfest(language: str) -> None:
    """Every key (selectors, entities, errors, exceptions, issues) and every text, as hassfest.

    The rule for keys is applied to all of them, field names included, which hassfest checks
    in most places but not all: stricter than it, never looser.
    """
    tree = _load(INTEGRATION / "translations" / f"{language}.json")
    for key, where in _keys(tree):
        assert HASSFEST_KEY.match(key), f"invalid translation key {key!r} at {where}"
    for where, text in _leaves(tree).items():
        assert isinstance(text, str), where
        assert text == text.strip(), where
        assert not re.search(r"<[a-z/!]", text, re.IGNORECASE), f"HTML at {where}"
        assert not HASSFEST_URL.search(text), f"URL at {where}"
        assert not re.search(r"'{\w+}'", text), f"quoted placeholder at {where}"
        for _, field, _, _ in string.Formatter().parse(text):
            assert field is None or field.isidentifier(), f"placeholder {field!r} at {where}"


def test_the_old_quote_key_would_fail() -> None:
    """The rule above is the one that refused the integration: "USDT" is not a key."""
    assert not HASSFEST_KEY.match("USDT")
    assert not HASSFEST_KEY.match("_x")
    assert not HASSFEST_KEY.match("a__b")
    assert HASSFEST_KEY.match("quote_currency")


# Every rule of the Integration Quality Scale, as hassfest lists them (ALL_RULES in
# script/hassfest/quality_scale.py).
QUALITY_SCALE_RULES = [
    "action-setup",
    "appropriate-polling",
    "brands",
    "common-modules",
    "config-flow",
    "config-flow-test-coverage",
    "dependency-transparency",
    "docs-actions",
    "docs-conditions",
    "docs-high-level-description",
    "docs-installation-instructions",
    "docs-removal-instructions",
    "docs-triggers",
    "entity-event-setup",
    "entity-unique-id",
    "has-entity-name",
    "runtime-data",
    "test-before-configure",
    "test-before-setup",
    "unique-config-entry",
    "action-exceptions",
    "config-entry-unloading",
    "docs-configuration-parameters",
    "docs-installation-parameters",
    "entity-unavailable",
    "integration-owner",
    "log-when-unavailable",
    "parallel-updates",
    "reauthentication-flow",
    "test-coverage",
    "devices",
    "diagnostics",
    "discovery",
    "discovery-update-info",
    "docs-data-update",
    "docs-examples",
    "docs-known-limitations",
    "docs-supported-devices",
    "docs-supported-functions",
    "docs-troubleshooting",
    "docs-use-cases",
    "dynamic-devices",
    "entity-category",
    "entity-device-class",
    "entity-disabled-by-default",
    "entity-translations",
    "exception-translations",
    "icon-translations",
    "reconfiguration-flow",
    "repair-issues",
    "stale-devices",
    "async-dependency",
    "inject-websession",
    "strict-typing",
]


def test_quality_scale_lists_every_rule() -> None:
    """Each rule once, with a status; an exemption or a todo always says why."""
    rules = yaml.safe_load((INTEGRATION / "quality_scale.yaml").read_text(encoding="utf-8"))
    rules = rules["rules"]
    assert sorted(rules) == sorted(QUALITY_SCALE_RULES)
    for name, rule in rules.items():
        status = rule if isinstance(rule, str) else rule["status"]
        assert status in {"done", "exempt", "todo"}, name
        if status != "done":
            assert rule["comment"].strip(), name


def test_every_entity_has_a_name_and_icon() -> None:
    """Each entity description has a translated name and an icon."""
    english = _load(INTEGRATION / "translations" / "en.json")
    icons = _load(INTEGRATION / "icons.json")
    descriptions = (
        *TICKER_DESCRIPTIONS,
        PORTFOLIO_DESCRIPTION,
        UNVALUED_DESCRIPTION,
        *MARKET_DESCRIPTIONS,
        *SUMMARY_DESCRIPTIONS,
        *SUB_ACCOUNT_DESCRIPTIONS,
        SUB_PORTFOLIO_DESCRIPTION,
        SUB_ACCOUNTS_VALUE_DESCRIPTION,
        *POSITION_DESCRIPTIONS,
    )
    keys = {d.translation_key for d in descriptions}
    assert keys == set(english["entity"]["sensor"]) == set(icons["entity"]["sensor"])
    binary = {MARGIN_CALL.translation_key}
    assert (
        binary == set(english["entity"]["binary_sensor"]) == set(icons["entity"]["binary_sensor"])
    )


def test_every_device_has_a_name() -> None:
    """Each translated device name: the summary's, and a position's on either side."""
    english = _load(INTEGRATION / "translations" / "en.json")
    positions = {f"{POSITION_DEVICE_KEY}_{side}" for side in (LONG, SHORT)}
    assert set(english["device"]) == {COLLATERAL_DEVICE_KEY, *positions}


def test_every_choice_is_translated() -> None:
    """Each option of each select offered in a form has a label."""
    selectors = _load(INTEGRATION / "translations" / "en.json")["selector"]
    assert set(selectors["accounts"]["options"]) == set(ACCOUNTS)
    # The quote currencies are tickers, shown as they are; only "Off" is a word.
    assert set(selectors["quote_currency"]["options"]) == {QUOTE_NONE}
    assert set(selectors["zero_balance"]["options"]) == {ZERO_REMOVE, ZERO_UNAVAILABLE}


def test_manifest() -> None:
    """What HACS and Home Assistant require, and no runtime requirements."""
    manifest = _load(INTEGRATION / "manifest.json")
    assert manifest["domain"] == "whitebit"
    assert manifest["requirements"] == []
    assert manifest["iot_class"] == "cloud_push"  # trade balances pushed; README says why
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
    # The minimum is the oldest release the suite runs on (scripts/test --oldest).
    oldest = re.search(
        r"^homeassistant==(\d{4}\.\d+)\.\d+$",
        (ROOT / "requirements-oldest.in").read_text(encoding="utf-8"),
        re.MULTILINE,
    )
    assert oldest is not None
    assert hacs["homeassistant"] == f"{oldest[1]}.0"
    assert set(hacs) <= {"name", "homeassistant", "render_readme", "hacs", "country"}


def test_brand_icon() -> None:
    """The brand icon is a 256x256 PNG."""
    data = (INTEGRATION / "brand" / "icon.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20]), int.from_bytes(data[20:24])
    assert (width, height) == (256, 256)
