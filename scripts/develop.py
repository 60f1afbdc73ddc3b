"""Run the project: the WhiteBIT simulator and a real Home Assistant with this integration.

Onboards Home Assistant and adds the demo WhiteBIT entry through Home Assistant's own HTTP
APIs, gives the simulator a second key for a person to add by hand in the UI, prints where to
look, and stops everything it started on Ctrl-C. A second run reuses the config directory (and
its user and entry). With --real, no demo entry is added, so a real key can be added in the UI.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
import json
import os
from pathlib import Path
import signal
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulator import DEMO_BALANCES, DEMO_KEY, DEMO_SECRET  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

HOST = "127.0.0.1"
USERNAME = "demo"
PASSWORD = "demo-password"  # noqa: S105 - a local demo login, printed for the user
# The demo's country (WhiteBIT's home market): onboarding asks for one.
COUNTRY = "UA"
# A second account on the simulator, not added: the demo entry is, so this one is for trying
# Add integration by hand. Its key ends in b2c3, which names it beside the demo entry.
SPARE_KEY = "demo-key-spare-0000000000000000b2c3"
SPARE_SECRET = "demo-secret-spare-000000000000000"  # noqa: S105 - a public demo value
SPARE_BALANCES = {"BTC": "0.25", "USDT": "500", "ETH": "1.5"}
CONFIGURATION = """\
# Written by scripts/develop. Only what the WhiteBIT integration is seen through, and nothing
# that needs compilers or hardware.
frontend:
config:
history:
recorder:
  purge_keep_days: 3
logbook:
logger:
  default: warning
  logs:
    custom_components.whitebit: debug
    homeassistant.setup: info
"""


def prepare_config(config: Path, hass_port: int) -> None:
    """Write the configuration and link the integration from the working tree."""
    (config / "custom_components").mkdir(parents=True, exist_ok=True)
    (config / "configuration.yaml").write_text(CONFIGURATION, encoding="utf-8")
    write_http_store(config, hass_port)
    link = config / "custom_components" / "whitebit"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(ROOT / "custom_components" / "whitebit", target_is_directory=True)


def write_http_store(config: Path, hass_port: int) -> None:
    """Bind Home Assistant to loopback on `hass_port`, through its own HTTP config store.

    Since 2026.7 an `http:` block in YAML is imported once as a *pending* trial that reverts to
    the default (all interfaces) after five minutes unless someone confirms it in the UI. Writing
    the store's confirmed ("stable") slot, as the UI would after a confirmation, keeps the
    server on loopback for good. The schema comes from Home Assistant so its defaults match.
    """
    # Imported here: Home Assistant is slow to import and only this needs it.
    from homeassistant.components.http.config import (  # noqa: PLC0415
        HTTP_STORAGE_SCHEMA,
        STORAGE_KEY,
        STORAGE_MINOR_VERSION,
        STORAGE_VERSION,
    )

    stable = dict(HTTP_STORAGE_SCHEMA({"server_host": [HOST], "server_port": hass_port}))
    stable |= {"created_at": datetime.now(UTC).isoformat(), "error": None, "error_message": None}
    store = {
        "version": STORAGE_VERSION,
        "minor_version": STORAGE_MINOR_VERSION,
        "key": STORAGE_KEY,
        "data": {"stable": stable, "pending": None, "yaml_migration_done": True},
    }
    (config / ".storage").mkdir(exist_ok=True)
    (config / ".storage" / STORAGE_KEY).write_text(json.dumps(store, indent=2), encoding="utf-8")


async def wait_for(session: aiohttp.ClientSession, url: str, seconds: float) -> None:
    """Poll `url` until it answers at all."""
    async with asyncio.timeout(seconds):
        while True:
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(url) as response:
                    if response.status < 500:  # noqa: PLR2004
                        return
            await asyncio.sleep(0.5)


async def token(session: aiohttp.ClientSession, hass_url: str, code: str) -> str:
    """Exchange an authorization code for an access token."""
    async with session.post(
        f"{hass_url}/auth/token",
        data={"grant_type": "authorization_code", "code": code, "client_id": f"{hass_url}/"},
    ) as response:
        response.raise_for_status()
        return str((await response.json())["access_token"])


async def login(session: aiohttp.ClientSession, hass_url: str) -> str:
    """Log in as the demo user (after a first run) and return an access token."""
    client_id = f"{hass_url}/"
    async with session.post(
        f"{hass_url}/auth/login_flow",
        json={
            "client_id": client_id,
            "handler": ["homeassistant", None],
            "redirect_uri": client_id,
        },
    ) as response:
        response.raise_for_status()
        flow_id = (await response.json())["flow_id"]
    async with session.post(
        f"{hass_url}/auth/login_flow/{flow_id}",
        json={"client_id": client_id, "username": USERNAME, "password": PASSWORD},
    ) as response:
        response.raise_for_status()
        result = await response.json()
    if result.get("type") != "create_entry":
        msg = f"login as {USERNAME} failed: {result.get('errors')}"
        raise RuntimeError(msg)
    return await token(session, hass_url, result["result"])


async def onboard(session: aiohttp.ClientSession, hass_url: str) -> str:
    """Finish onboarding where it is not done yet; return an access token."""
    client_id = f"{hass_url}/"
    async with session.get(f"{hass_url}/api/onboarding") as response:
        # Once onboarding is complete Home Assistant removes the view: 404 means all done.
        if response.status == 404:  # noqa: PLR2004
            return await login(session, hass_url)
        done = {step["step"] for step in await response.json() if step["done"]}
    if "user" in done:
        access = await login(session, hass_url)
    else:
        async with session.post(
            f"{hass_url}/api/onboarding/users",
            json={
                "client_id": client_id,
                "name": "Demo",
                "username": USERNAME,
                "password": PASSWORD,
                "language": "en",
            },
        ) as response:
            response.raise_for_status()
            access = await token(session, hass_url, (await response.json())["auth_code"])
    headers = {"Authorization": f"Bearer {access}"}
    if "core_config" not in done:
        # What the frontend's location step sends before it finishes the step: without a
        # country, a fresh demo opens with a Repairs item and a badge on Settings.
        await websocket_call(
            session, hass_url, access, {"type": "config/core/update", "country": COUNTRY}
        )
    for step, body in (
        ("core_config", {}),
        ("analytics", {}),
        ("integration", {"client_id": client_id, "redirect_uri": client_id}),
    ):
        if step not in done:
            async with session.post(
                f"{hass_url}/api/onboarding/{step}", json=body, headers=headers
            ) as response:
                response.raise_for_status()
    return access


async def websocket_call(
    session: aiohttp.ClientSession, hass_url: str, access: str, message: dict[str, Any]
) -> object:
    """Send one command over Home Assistant's websocket API and return its result."""
    async with session.ws_connect(f"{hass_url}/api/websocket") as socket:
        await socket.receive_json()  # auth_required
        await socket.send_json({"type": "auth", "access_token": access})
        if (await socket.receive_json())["type"] != "auth_ok":
            msg = "Home Assistant refused the access token"
            raise RuntimeError(msg)
        await socket.send_json({"id": 1, **message})
        answer = await socket.receive_json()
    if not answer.get("success"):
        msg = f"{message['type']} failed: {answer.get('error')}"
        raise RuntimeError(msg)
    return answer.get("result")


async def add_demo_entry(
    session: aiohttp.ClientSession, hass_url: str, access: str, sim_url: str
) -> None:
    """Add the WhiteBIT entry for the demo account, through the config flow's REST API."""
    headers = {"Authorization": f"Bearer {access}"}
    async with session.get(
        f"{hass_url}/api/config/config_entries/entry",
        params={"domain": "whitebit"},
        headers=headers,
    ) as response:
        if await response.json():
            print("WhiteBIT entry already present; reusing it.")
            return
    steps: list[dict[str, Any]] = [
        {"server": "custom", "url": sim_url, "api_key": DEMO_KEY, "api_secret": DEMO_SECRET},
        # Both accounts (the form's default) and values in USDT; TON, on the trade account
        # only and on no market, shows how an unvalued currency is reported.
        {
            "tickers": sorted(set(DEMO_BALANCES) - {"XRP", "EUR"} | {"TON"}),
            "quote_currency": "usdt",
        },
    ]
    async with session.post(
        f"{hass_url}/api/config/config_entries/flow",
        json={"handler": "whitebit", "show_advanced_options": False},
        headers=headers,
    ) as response:
        result = await response.json()
    for user_input in steps:
        async with session.post(
            f"{hass_url}/api/config/config_entries/flow/{result['flow_id']}",
            json=user_input,
            headers=headers,
        ) as response:
            result = await response.json()
        if result.get("errors"):
            msg = f"config flow step {result.get('step_id')} failed: {result['errors']}"
            raise RuntimeError(msg)
    if result.get("type") != "create_entry":
        msg = f"config flow did not finish: {result}"
        raise RuntimeError(msg)


async def add_spare_key(session: aiohttp.ClientSession, sim_url: str) -> None:
    """Give the simulator the second account's key (it starts with the demo account only)."""
    body = {"api_key": SPARE_KEY, "secret": SPARE_SECRET, "balances": SPARE_BALANCES}
    async with session.post(f"{sim_url}/_sim/key", json=body) as response:
        response.raise_for_status()


async def show_sensors(session: aiohttp.ClientSession, hass_url: str, access: str) -> None:
    """Print the WhiteBIT sensors as Home Assistant reports them."""
    headers = {"Authorization": f"Bearer {access}"}
    for _ in range(20):
        async with session.get(f"{hass_url}/api/states", headers=headers) as response:
            states = [
                s for s in await response.json() if s["entity_id"].startswith("sensor.whitebit")
            ]
        if states:
            break
        await asyncio.sleep(0.5)
    width = max((len(s["entity_id"]) for s in states), default=0)
    for state in sorted(states, key=lambda s: s["entity_id"]):
        unit = state["attributes"].get("unit_of_measurement", "")
        print(f"  {state['entity_id']:<{width}} {state['state']} {unit}")


def start(command: list[str], log: Path) -> subprocess.Popen[bytes]:
    """Start a process in its own process group, logging to `log`."""
    with log.open("ab") as out:
        return subprocess.Popen(  # noqa: S603 - our own fixed commands
            command, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a process group: politely, then firmly."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@dataclass
class Stack:
    """The simulator and Home Assistant, started together."""

    config: Path
    sim_port: int
    hass_port: int
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def sim_url(self) -> str:
        """Where the simulator answers."""
        return f"http://{HOST}:{self.sim_port}"

    @property
    def hass_url(self) -> str:
        """Where Home Assistant answers."""
        return f"http://{HOST}:{self.hass_port}"

    @property
    def hass_log(self) -> Path:
        """Home Assistant's own log file."""
        return self.config / "home-assistant.log"

    @property
    def sim_log(self) -> Path:
        """The simulator's output."""
        return self.config / "simulator.log"


@contextlib.asynccontextmanager
async def running(config: Path, sim_port: int, hass_port: int) -> AsyncIterator[Stack]:
    """Start the simulator and Home Assistant; yield once both answer; stop both on exit."""
    prepare_config(config, hass_port)
    stack = Stack(config, sim_port, hass_port)
    python = sys.executable
    try:
        stack.processes.append(
            start([python, "-m", "simulator", "--port", str(sim_port)], stack.sim_log)
        )
        # --skip-pip: every requirement is installed by scripts/setup; nothing is fetched here.
        stack.processes.append(
            start(
                [python, "-m", "homeassistant", "-c", str(config), "--skip-pip"],
                config / "hass.out",
            )
        )
        async with aiohttp.ClientSession() as session:
            await wait_for(session, f"{stack.sim_url}/_sim/state", 30)
            await wait_for(session, f"{stack.hass_url}/api/onboarding", 180)
        yield stack
    finally:
        for process in reversed(stack.processes):
            stop(process)


async def wait_until_stopped(processes: list[subprocess.Popen[bytes]], env_note: str) -> int:
    """Wait for Ctrl-C or SIGTERM, or for a child to exit on its own.

    Explicit handlers rather than KeyboardInterrupt: a shell starting this in the background
    leaves SIGINT ignored, and a test runner stops it with SIGTERM; both must clean up.
    """
    stop_requested = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop_requested.set)
    while not stop_requested.is_set():
        if any(p.poll() is not None for p in processes):
            print("a process exited; see", env_note)
            return 1
        # Plain Popen children have nothing to await; check them once a second.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop_requested.wait(), timeout=1)
    print("stopping Home Assistant and the simulator")
    return 0


async def run(args: argparse.Namespace) -> int:
    """Start everything, set it up, and wait until interrupted."""
    async with running(args.config, args.sim_port, args.port) as stack:
        env_note = f"logs: {stack.sim_log} and {stack.hass_log}"
        async with aiohttp.ClientSession() as session:
            access = await onboard(session, stack.hass_url)
            if not args.real:
                await add_demo_entry(session, stack.hass_url, access, stack.sim_url)
            await add_spare_key(session, stack.sim_url)
            print(f"\nHome Assistant: {stack.hass_url}  (login {USERNAME} / {PASSWORD})")
            demo = "added" if not args.real else "not added (--real)"
            print(f"WhiteBIT simulator: {stack.sim_url}")
            print(f"  demo account, {demo}: key {DEMO_KEY}, secret {DEMO_SECRET}")
            print(
                "  a second account, to add by hand (Add integration > WhiteBIT > Custom URL,"
                f" URL {stack.sim_url}):"
            )
            print(f"    key {SPARE_KEY}")
            print(f"    secret {SPARE_SECRET}")
            print(env_note)
            if args.real:
                print(
                    "Add your key under Settings > Devices & services > Add integration > WhiteBIT."
                )
            else:
                print("Look at Settings > Devices & services > WhiteBIT, or these sensors:")
                await show_sensors(session, stack.hass_url, access)
                print(
                    "A demo order (buy 0.01 BTC_USDT) fills about a minute after the simulator "
                    "started: watch the device's 'Order filled' event, or POST /_sim/fill."
                )
        if args.exit_when_ready:
            return 0
        print("\nCtrl-C stops Home Assistant and the simulator.")
        return await wait_until_stopped(stack.processes, env_note)


def main() -> int:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real", action="store_true", help="do not add the demo entry")
    parser.add_argument("--config", default=str(ROOT / "config"), help="config directory")
    parser.add_argument("--port", type=int, default=8123, help="Home Assistant port")
    parser.add_argument("--sim-port", type=int, default=8800, help="simulator port")
    parser.add_argument(
        "--exit-when-ready", action="store_true", help="stop once the sensors are shown"
    )
    args = parser.parse_args()
    args.config = Path(args.config).resolve()
    try:
        return asyncio.run(run(args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
