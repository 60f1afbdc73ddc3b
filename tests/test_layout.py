"""The shape the code must keep: one guarded door, a thin Home Assistant side, small modules."""

from __future__ import annotations

import ast
from pathlib import Path
import subprocess
import sys

import pytest

ROOT = Path(__file__).resolve().parent.parent
INTEGRATION = ROOT / "custom_components" / "whitebit"
PACKAGE = INTEGRATION / "pywhitebit"
# What the client package may import besides the standard library: what a PyPI release would
# declare as its requirements, and what Home Assistant already ships.
PACKAGE_REQUIREMENTS = {"aiohttp", "yarl"}
# Protocol work that belongs in the package alone: connecting the WebSocket, signing, the
# signed headers.
PROTOCOL_MARKERS = ("ws_connect", "X-TXC", "hmac")
MAX_MODULE_LINES = 400
MAX_CONFIG_FLOW_LINES = 300


def _modules(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


@pytest.mark.parametrize("module", _modules(PACKAGE), ids=lambda p: p.name)
def test_package_imports_no_home_assistant(module: Path) -> None:
    """The client package imports the standard library, aiohttp, yarl and itself: no more."""
    tree = ast.parse(module.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            top = name.partition(".")[0]
            assert top in sys.stdlib_module_names or top in PACKAGE_REQUIREMENTS, (
                f"{module.name} imports {name}"
            )


def test_package_works_without_home_assistant() -> None:
    """Imported as a top-level package, as from PyPI, with Home Assistant made unimportable."""
    code = (
        "import sys; sys.modules['homeassistant'] = None\n"
        "import pywhitebit\n"
        "assert pywhitebit.parse_amount('9.5e-07') == pywhitebit.parse_amount('0.00000095')\n"
        "assert all(hasattr(pywhitebit, name) for name in pywhitebit.__all__)\n"
        "print('ok')\n"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter on our own code
        [sys.executable, "-c", code],
        cwd=INTEGRATION,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={"PYTHONPATH": str(INTEGRATION)},
    )
    assert result.stdout.strip() == "ok", result.stderr
    assert (PACKAGE / "py.typed").exists()


@pytest.mark.parametrize("module", _modules(INTEGRATION), ids=lambda p: p.name)
def test_protocol_stays_in_the_package(module: Path) -> None:
    """Nothing outside the package connects the WebSocket or signs a request."""
    if PACKAGE in module.parents:
        return
    text = module.read_text(encoding="utf-8")
    for marker in PROTOCOL_MARKERS:
        assert marker not in text, f"{module.name} contains {marker}"


@pytest.mark.parametrize("module", _modules(INTEGRATION), ids=lambda p: p.name)
def test_modules_are_small_enough_to_read(module: Path) -> None:
    """No module over 400 lines; the config flow at most 300."""
    lines = len(module.read_text(encoding="utf-8").splitlines())
    limit = MAX_CONFIG_FLOW_LINES if module.name == "config_flow.py" else MAX_MODULE_LINES
    assert lines <= limit, f"{module.name} has {lines} lines"
