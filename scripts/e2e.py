"""Browser end-to-end test: a person sets WhiteBIT up through Home Assistant's own UI.

Starts the simulator and a real Home Assistant (as scripts/develop does, on free ports and a
fresh config directory), then drives Home Assistant's frontend in Debian's headless Chromium:
onboarding, Add integration, a wrong secret, the right one, the currency step, the sensors, a
balance change, the collateral account's summary and a position pushed, a revoked key,
re-authentication with a new key, and the device page and options form in each language the
integration speaks. Every step saves a
screenshot in artifacts/e2e/; a failure saves failure.png and prints the end of Home
Assistant's log. --docs copies the README's pictures into docs/screenshots/.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass
from decimal import Decimal
import json
from pathlib import Path
import re
import shutil
import signal
import socket
import sys
import time
import traceback
from typing import TYPE_CHECKING, Any

import aiohttp
from homeassistant.util.yaml import parse_yaml
from playwright.async_api import ConsoleMessage, Page, async_playwright, expect

sys.path.insert(0, str(Path(__file__).resolve().parent))

from develop import PASSWORD, ROOT, USERNAME, Stack, running

from simulator import DEMO_BALANCES, DEMO_KEY, DEMO_SECRET, TRADE_BALANCE_PATH
from simulator.margin import COLLATERAL_SUMMARY_PATH, OPEN_POSITIONS_PATH, SimMargin
from simulator.orders import ORDER_HISTORY_PATH
from simulator.server import COLLATERAL_BALANCE_PATH, DEMO_COLLATERAL, DEMO_POSITION

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

CHROMIUM = Path("/usr/bin/chromium")
# Headless, and quiet: this machine's network is closed, and without these Chromium keeps
# trying to reach Google's services at every start.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "artifacts" / "e2e"
DOCS = ROOT / "docs" / "screenshots"
# The screenshots the README shows, by step name.
DOCS_SHOTS = (
    "form-invalid-auth",
    "tickers",
    "device",
    "states",
    "reauth-prompt",
    "reauth-form",
    "two-accounts",
    "device-uk",
    "device-de",
    "options-de",
    "device-pl",
    "options-pl",
    "dashboard",
    "order-filled",
    "sub-accounts-third",
    "margin-device",
    "collateral-device",
    "position-uk",
)
TIMEOUT_MS = 30_000
# The README's dashboard, and where the walk makes it.
DASHBOARD = parse_yaml((ROOT / "docs" / "dashboard.yaml").read_text("utf-8"))
DASHBOARD_PATH = "whitebit-portfolio"
# Home Assistant reloads an entry 30 s after its entities are enabled (RELOAD_AFTER_UPDATE_DELAY).
ENABLE_RELOAD_TIMEOUT_MS = 60_000
ENGLISH = json.loads(
    (ROOT / "custom_components" / "whitebit" / "translations" / "en.json").read_text("utf-8")
)
TRANSLATIONS = ENGLISH["config"]
# Every language the integration speaks besides English, each seen on the device page and in the
# options form at the end of the walk.
LANGUAGES = ("uk", "de", "es", "fr", "it", "nl", "pl", "pt", "tr")


def _translations(language: str) -> dict[str, Any]:
    path = ROOT / "custom_components" / "whitebit" / "translations" / f"{language}.json"
    return dict(json.loads(path.read_text("utf-8")))


def _names(language: str) -> dict[str, str]:
    """The sensors' names in one language, with the demo's longest ticker put in."""
    sensors = _translations(language)["entity"]["sensor"]
    return {
        key: sensor["name"].format(ticker="DOGE", currency="USDT")
        for key, sensor in sensors.items()
        if key in {"main_balance", "total_balance", "portfolio_value"}
    }


def _all_names(language: str) -> dict[str, str]:
    """Every sensor's name the walk's first entry has at its end, as the device page shows it.

    Each with the ticker whose row leaves its name the least room: DOGE's balances and value
    (12,345.12345678 DOGE is the widest state), BTC's trade figures, USDT in Earn. The margin
    summary's and positions' names are on devices of their own (margin_names); the collateral
    balances' rows are measured with every row, whole or not, but not asked for by name.
    """
    sensors = _translations(language)["entity"]["sensor"]
    tickers = {"trade_available": "BTC", "trade_frozen": "BTC", "earn": "USDT"}
    return {
        key: sensor["name"].format(
            ticker=tickers.get(key, "DOGE"), market="BTC/USDT", currency="USDT"
        )
        for key, sensor in sensors.items()
        if key not in COLLATERAL_ONLY | SUB_ACCOUNT_ONLY
    }


# The collateral summary's sensors, on the device "WhiteBIT collateral"; the last two are
# created disabled (enabled for every_language's measurement).
SUMMARY_KEYS = ("equity", "margin", "free_margin", "unrealized_pnl", "margin_fraction", "leverage")
# A position's sensors, on the position's device ("WhiteBIT BTC/USDT long").
POSITION_KEYS = tuple(
    f"position_{figure}"
    for figure in ("amount", "pnl", "liquidation_price", "base_price", "margin")
)
# The sensors an entry has only with the collateral account tracked.
COLLATERAL_ONLY = frozenset({"collateral", *SUMMARY_KEYS, *POSITION_KEYS})


def margin_names(language: str, keys: tuple[str, ...]) -> dict[str, str]:
    """The names of the margin sensors `keys` in one language (a position's: and its margin call).

    Each on its own device's page, which must show them whole.
    """
    entity = _translations(language)["entity"]
    names = {key: entity["sensor"][key]["name"] for key in keys}
    if keys == POSITION_KEYS:
        names["margin_call"] = entity["binary_sensor"]["margin_call"]["name"]
    return names


# The sensors only a sub-account's device has (its other names are the entry's own).
SUB_ACCOUNT_ONLY = frozenset({"sub_trade"})
# A sub-account created at WhiteBIT while Home Assistant runs.
NEW_SUB_ACCOUNT = {"id": "5b2f0c1e-9d8a-4e7b-a6c5-d4e3f2a1b0c9", "alias": "Holiday fund"}

# The enabled rows' names, as the device page must show them whole.
ENGLISH_NAMES = _names("en")
# How long a device page's rows may take to be all there, once it shows.
ROWS_SETTLE_S = 5.0
NEW_KEY = "demo-key-rotated-000000000000000000"
NEW_SECRET = "demo-secret-rotated-0000000000000"  # noqa: S105 - a public demo value
WRONG_SECRET = "not-the-secret-0000000000000000000"  # noqa: S105 - deliberately wrong
# A second account on the same server, to tell apart from the first by its key's end.
SECOND_KEY = "demo-key-savings-0000000000000a1b2"
SECOND_SECRET = "demo-secret-savings-00000000000000"  # noqa: S105 - a public demo value
SECRETS = (DEMO_SECRET, NEW_SECRET, WRONG_SECRET, SECOND_SECRET)
CHANGED_BTC = "0.75000001"
# 0.63234567 BTC x 91640.09 + 12345.12345678 DOGE x 0.16 + 2335.06 USDT, each to 8 decimals.
PORTFOLIO = "62258.49386299"


# A position opened at WhiteBIT while Home Assistant runs, beside the demo's BTC/USDT long: a
# short, so both sides are named. Its PnL then moves, as WhiteBIT pushes it every second.
NEW_POSITION = {
    "market": "ETH_USDT",
    "side": "SHORT",
    "amount": "-2",
    "base_price": "3150",
    "pnl": "59.00",
    "liq_price": "4480.5",
    "margin": "630",
}
MOVED_PNL = "-12.25"
# How soon a pushed PnL must reach the state, and a closed position's figures leave it.
PUSH_LIMIT_S = 3.0
CLOSE_LIMIT_S = 5.0


# What the first entry is called: the flow's default name, alone on its server. The second, on
# the same server, gets its key's last four characters by default.
ENTRY_TITLE = "WhiteBIT"
SECOND_TITLE = f"WhiteBIT …{SECOND_KEY[-4:]}"
# Entity IDs follow the entry's title.
SENSOR_PREFIX = "sensor.whitebit"
BTC_SENSOR = f"{SENSOR_PREFIX}_btc_main"
ORDER_FILLED = f"event.{SENSOR_PREFIX.removeprefix('sensor.')}_order_filled"
# The new position's entity IDs (from its English name, "ETH/USDT short PnL"); every one of
# them must stop showing a figure once it closes, the margin-call binary sensor too.
NEW_POSITION_ID = "eth_usdt_short"
NEW_POSITION_ENTITIES = (
    *(
        f"{SENSOR_PREFIX}_{NEW_POSITION_ID}_{figure}"
        for figure in ("amount", "pnl", "liquidation_price", "base_price", "margin")
    ),
    f"binary_{SENSOR_PREFIX}_{NEW_POSITION_ID}_margin_call",
)
# The REST reads a pushed position change must not cause.
MARGIN_READS = (COLLATERAL_SUMMARY_PATH, OPEN_POSITIONS_PATH)
# What each tracked currency shows by default, with both accounts tracked.
DEFAULT_FIGURES = ("main", "total")


def free_port() -> int:
    """Return a loopback port nothing listens on, so a running scripts/develop is left alone."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Run:
    """One browser session against one stack, with numbered screenshots."""

    page: Page
    stack: Stack
    shots: Path
    count: int = 0

    async def shot(self, name: str) -> None:
        """Save a screenshot of the page as it is now."""
        self.count += 1
        # After a navigation the frontend's launch screen fades out over the page.
        await self.page.locator("#ha-launch-screen").wait_for(state="hidden")
        # Dialogs fade in; "disabled" fast-forwards CSS animations so the picture is settled.
        await self.page.screenshot(
            path=self.shots / f"{self.count:02d}-{name}.png", animations="disabled"
        )

    async def sim(self, path: str, body: dict[str, Any]) -> None:
        """Change the simulator through its control API."""
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{self.stack.sim_url}/_sim/{path}", json=body) as response,
        ):
            response.raise_for_status()

    async def sim_requests(self, path: str) -> int:
        """How many requests to `path` the simulator has answered."""
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{self.stack.sim_url}/_sim/state") as response,
        ):
            state = await response.json()
        return int(state["requests"].get(path, 0))

    async def click_button(self, name: str) -> None:
        """Click the one visible button with this accessible name."""
        await self.page.get_by_role("button", name=name, exact=True).click()

    async def close_dialog(self, button: str, *, in_footer: bool = False) -> None:
        """Close a dialog with its button, and wait until the frontend has finished closing it.

        A closing dialog pops its own browser-history entry with history.back(); navigating
        before that lands would be undone by it. `in_footer` picks the footer's button where
        the header has one of the same name (the ✕ is also called "Close").
        """
        scope = self.page.locator("ha-dialog-footer") if in_footer else self.page
        await scope.get_by_role("button", name=button, exact=True).click()
        await expect(self.page.get_by_role("dialog")).to_have_count(0)
        await self.page.wait_for_function("() => !(history.state && history.state.dialog)")

    async def action(self, action: str, entity_id: str) -> None:
        """Run a homeassistant.* action on one sensor, as the frontend's action runner does.

        The entry's ⋮ → Reload is not used: its "The integration was reloaded" dialog is
        shown from the entry's row, which a failing setup moves to another group, so the
        dialog came or not by timing (absent in every run here, present in one CI run, where
        it took the next click).
        """
        await self.page.evaluate(
            """([action, entityId]) => document.querySelector("home-assistant").hass
                .callService("homeassistant", action, {entity_id: entityId})""",
            [action, entity_id],
        )

    async def expect_states(self, expected: dict[str, str]) -> None:
        """Check raw states on Developer tools → States, where no display rounding applies.

        Keys are object IDs after the entry's prefix, such as "btc_main". Each is
        searched for on its own: the table only renders the rows in view.
        """
        await self.page.goto(f"{self.stack.hass_url}/developer-tools/state")
        search = self.page.locator("ha-input-search[slot=filter-entities] input")
        for object_id, state in expected.items():
            entity_id = f"{SENSOR_PREFIX}_{object_id}"
            await search.fill(entity_id)
            row = self.page.locator("div[role=row]").filter(has_text=entity_id)
            # The second cell is the state; to_have_text matches it whole, so "0" is not
            # satisfied by "0.75000001".
            await expect(row.locator("div[role=cell]").nth(1)).to_have_text(state)


async def onboard(run: Run) -> None:
    """Onboarding in the UI: user, location, country, analytics."""
    page = run.page
    await page.goto(run.stack.hass_url)
    await run.click_button("Create my smart home")
    for name, value in (
        ("name", "Demo"),
        ("username", USERNAME),
        ("password", PASSWORD),
        ("password_confirm", PASSWORD),
    ):
        await page.locator(f"input[name={name}]").fill(value)
    await run.shot("onboarding-user")
    await run.click_button("Create account")
    await expect(page.get_by_text("Home location")).to_be_visible()
    await run.click_button("Next")
    await expect(page.get_by_text("the country your home is in")).to_be_visible()
    await run.click_button("Next")
    await expect(page.get_by_text("Help us help you")).to_be_visible()
    await run.click_button("Next")
    await run.click_button("Finish")
    await expect(page.get_by_role("link", name="Settings")).to_be_visible()


async def add_integration(run: Run) -> None:
    """Settings → Devices & services → Add integration → WhiteBIT; a wrong secret first."""
    page = run.page
    user = TRANSLATIONS["step"]["user"]
    await page.get_by_role("link", name="Settings").click()
    await page.get_by_role("link", name="Devices & services").click()
    await run.click_button("Add integration")
    # The dialog's own search field: the page's filter behind it is a textbox too, and before
    # the dialog had drawn its field, "the last textbox" was the page's (2026.10, twice here).
    await page.get_by_placeholder("Search for a brand name").fill("WhiteBIT")
    await page.get_by_text("WhiteBIT", exact=True).first.click()
    # The form speaks the integration's own translations.
    await expect(page.get_by_text(user["title"])).to_be_visible()
    await expect(page.get_by_role("radiogroup", name=user["data"]["server"])).to_be_visible()
    for field in ("api_key", "api_secret"):
        # The frontend appends "*" to required fields' names.
        await expect(page.get_by_role("textbox", name=user["data"][field])).to_be_visible()
    # A custom server's URL is on the same form, under the server: no step of its own.
    await expect(page.locator("input[name=url]")).to_have_count(1)
    # Main and trade are tracked unless the user unticks one; collateral is offered, unticked.
    labels = ENGLISH["selector"]["accounts"]["options"]
    for account in ("main", "trade"):
        await expect(page.get_by_role("checkbox", name=labels[account])).to_be_checked()
    await expect(page.get_by_role("checkbox", name=labels["collateral"])).not_to_be_checked()
    await page.get_by_role("radio", name="Custom URL").click()
    await page.locator("input[name=url]").fill(run.stack.sim_url)
    await page.locator("input[name=api_key]").fill(DEMO_KEY)
    await page.locator("input[name=api_secret]").fill(WRONG_SECRET)
    await run.shot("form")
    await run.click_button("Submit")
    await expect(page.get_by_text(TRANSLATIONS["error"]["invalid_auth"])).to_be_visible()
    await run.shot("form-invalid-auth")


async def pick_tickers(run: Run) -> None:
    """The right secret, then the currency step: drop SOL, add ETH (a zero balance).

    The value is in Home Assistant's own currency by default (USD, set at onboarding), which
    WhiteBIT trades in; the walk picks USDT, as the figures below are in it. The name stays
    the default, WhiteBIT.
    """
    page = run.page
    # After the error the server, URL and key are still there; only the secret is typed again.
    await expect(page.locator("input[name=url]")).to_have_value(run.stack.sim_url)
    await expect(page.locator("input[name=api_key]")).to_have_value(DEMO_KEY)
    await expect(page.locator("input[name=api_secret]")).to_have_value("")
    await page.locator("input[name=api_secret]").fill(DEMO_SECRET)
    await run.click_button("Submit")
    tickers = TRANSLATIONS["step"]["tickers"]
    await expect(page.get_by_text(tickers["title"])).to_be_visible()
    await expect(page.get_by_text(tickers["data"]["auto_track"]).first).to_be_visible()
    await expect(page.locator("input[name=name]")).to_have_value(ENTRY_TITLE)
    await pick_quote(run, tickers["data"]["quote_currency"], "USD", "USDT")
    # Preselected: the currencies holding a balance, on the main or the trade account.
    chips = page.locator("ha-input-chip")
    for ticker in ("BTC", "DOGE", "SOL", "TON", "USDT"):
        await expect(chips.filter(has_text=ticker)).to_have_count(1)
    await chips.filter(has_text="SOL").locator("button.remove").click()
    # The picker opens from a button named after the field (Home Assistant 2026.10's frontend)
    # or from "Add" beside the chips (2026.11's).
    dialog = page.locator("ha-dialog, dialog-data-entry-flow").first
    opener = page.get_by_role("button", name=tickers["data"]["tickers"], exact=True).or_(
        dialog.get_by_role("button", name="Add", exact=True)
    )
    # Typed into the picker's own search field: a stray keystroke on the page would open
    # Home Assistant's global search instead. Once more if the click met the list while it
    # was still being filtered (seen once on a loaded machine: the picker closed, no chip).
    for attempt in range(2):
        if await page.locator("ha-picker-combo-box input").count() == 0:
            await opener.first.click()
        await page.locator("ha-picker-combo-box input").fill("ETH")
        item = page.locator("ha-combo-box-item").filter(has_text="ETH").first
        await expect(item).to_be_visible()
        await item.click()
        try:
            await expect(chips.filter(has_text="ETH")).to_have_count(1, timeout=5_000)
            break
        except AssertionError:
            if attempt:
                raise
    await expect(chips.filter(has_text="SOL")).to_have_count(0)
    await run.shot("tickers")
    await run.click_button("Submit")
    # Home Assistant's own last step: naming the new device.
    await run.close_dialog("Skip and finish")


async def pick_quote(run: Run, label: str, shown: str, wanted: str) -> None:
    """Check that the portfolio-value dropdown shows `shown`, then choose `wanted` in it."""
    page = run.page
    field = page.locator("ha-selector-select").filter(has_text=label).last
    await expect(field).to_contain_text(shown)
    # The select's box is the field's top; its helper text is below it.
    box = await field.bounding_box()
    if box is None:
        msg = f"the {label!r} field is not on the page"
        raise AssertionError(msg)
    await page.mouse.click(box["x"] + box["width"] / 2, box["y"] + 24)
    # The list's items: options of 2026.11's select, list items of 2026.10's.
    items = page.locator("[role=option], [role=menuitem], ha-list-item, mwc-list-item")
    await items.filter(has_text=re.compile(rf"^\s*{wanted}\s*$")).first.click()
    await expect(field).to_contain_text(wanted)


async def see_sensors(run: Run) -> None:
    """The device page shows the amounts; Developer tools shows them to the last digit."""
    page = run.page
    await page.goto(f"{run.stack.hass_url}/config/integrations/integration/whitebit")
    await page.locator("a[href*='/config/devices/device/']").first.click()
    sensors = page.locator("ha-card").filter(has_text="Sensors")
    # Balances with their own digits (a zero reads 0); the portfolio, a value, to 2 decimals.
    for text in ("0.51234567 BTC", "1,234.56 USDT", "0 ETH", "12,345.12345678 DOGE"):
        await expect(sensors).to_contain_text(text)
    await expect(sensors).to_contain_text("62,258.49 USDT")
    await expect(sensors).not_to_contain_text("SOL")
    await expect_rows_fit(run, ENGLISH_NAMES)
    # The device's "Visit" link: WhiteBIT's API-keys page on the server, which answers.
    visit = page.get_by_role("link", name="Visit")
    await expect(visit).to_have_attribute("href", f"{run.stack.sim_url}/settings/api")
    await expect(await page.request.get(f"{run.stack.sim_url}/settings/api")).to_be_ok()
    await run.shot("device")
    await run.expect_states(
        {
            "btc_main": DEMO_BALANCES["BTC"],
            "doge_main": DEMO_BALANCES["DOGE"],
            "usdt_main": DEMO_BALANCES["USDT"],
            # ETH is at zero everywhere: its total, and no "ETH main 0" row.
            "eth_total": "0",
            # Main plus the trade account's 0.1 available and 0.02 in orders; TON only trades.
            "btc_total": "0.63234567",
            "ton_total": "42",
            # BTC, DOGE and USDT at the simulator's prices; TON has no market.
            "portfolio_value_usdt": PORTFOLIO,
            "not_valued": "1",
        }
    )
    await expect_default_set(run, ["BTC", "DOGE", "ETH", "TON", "USDT"])
    # The picture shows every figure of the first currencies, not just the last one searched.
    await page.locator("ha-input-search[slot=filter-entities] input").fill("sensor.whitebit")
    await run.shot("states")


# Each hui-generic-entity-row of the page, through the shadow roots: its name, whether the name is
# cut (wider than its box), how many pixels its box has to spare beside it, and whether the state
# wraps.
ROWS_JS = """() => {
    const found = [];
    const walk = (root) => {
        for (const el of root.querySelectorAll("*")) {
            if (el.shadowRoot) walk(el.shadowRoot);
            if (el.localName !== "hui-generic-entity-row") continue;
            const info = el.shadowRoot.querySelector(".info");
            const value = el.shadowRoot.querySelector(".value");
            // An event entity's row has no value: its time is drawn elsewhere.
            const line = value ? parseFloat(getComputedStyle(value).lineHeight) : 0;
            const text = document.createRange();
            text.selectNodeContents(info);
            const style = getComputedStyle(info);
            const room = info.clientWidth - parseFloat(style.paddingLeft)
                - parseFloat(style.paddingRight);
            found.push({
                name: info.textContent.trim(),
                cut: info.scrollWidth > info.clientWidth,
                spare: Math.floor(room - text.getBoundingClientRect().width),
                state: el.textContent.trim(),
                wraps: value ? value.getBoundingClientRect().height > 1.5 * line : false,
            });
        }
    };
    walk(document);
    return found;
}"""


def rows_problem(rows: list[dict[str, Any]], names: dict[str, str]) -> str | None:
    """What is wrong with the measured rows, or None."""
    if not rows:
        return "no sensor rows on the device page"
    if cut := [row["name"] for row in rows if row["cut"]]:
        return f"names cut at 1280 px: {cut}"
    shown = " ".join(row["name"] for row in rows)
    if missing := [name for name in names.values() if name not in shown]:
        return f"names {missing} not among the rows {[row['name'] for row in rows]}"
    return None


async def expect_rows_fit(run: Run, names: dict[str, str]) -> list[dict[str, Any]]:
    """Every sensor row on the device page shows its whole name; the rows, measured.

    Measured on the rendered rows (the page is 1280 px wide): a name the frontend cuts with
    an ellipsis is wider than its box. The rows' names must include each figure's translated
    name, so a page in the wrong language fails. A state that wraps (taller than one line) is
    reported, not failed: 2026.10's frontend gives a state about 110 px, which no name can widen,
    and a balance keeps its digits (12,345.12345678 DOGE takes two lines there).

    Measured again for a few seconds until it holds: rows come as the reloaded entry adds its
    entities. A cut name stays cut, and fails when that time is up.
    """
    deadline = time.monotonic() + ROWS_SETTLE_S
    while True:
        rows: list[dict[str, Any]] = await run.page.evaluate(ROWS_JS)
        problem = rows_problem(rows, names)
        if problem is None:
            break
        if time.monotonic() > deadline:
            raise AssertionError(problem)
        await asyncio.sleep(0.2)
    if wrapped := [row["state"] for row in rows if row["wraps"]]:
        print(f"     states on two lines: {wrapped}")
    return rows


async def set_language(run: Run, language: str) -> None:
    """Switch the language: Home Assistant's, in which it names entities, and the frontend's.

    As a Ukrainian household has them: Settings → System → General, and the profile's picker.
    The entry is reloaded so that its entities take their names in the new language.
    """
    await run.page.evaluate(
        """async (language) => {
            const root = document.querySelector("home-assistant");
            await root.hass.callWS({type: "config/core/update", language: language});
            root.dispatchEvent(new CustomEvent("hass-language-select", {detail: language}));
        }""",
        language,
    )
    await run.action("reload_config_entry", BTC_SENSOR)
    await run.page.wait_for_function(
        """(language) => document.querySelector("home-assistant").hass.language === language""",
        arg=language,
    )


async def expect_default_set(run: Run, tickers: list[str]) -> None:
    """Each currency's total, its main balance where held; the portfolio and what it leaves out.

    The trade breakdown (available, in orders) and the per-currency values exist, disabled.
    Read from the frontend's own state list, which holds only enabled entities.
    """
    object_ids = await run.page.evaluate(
        """(prefix) => Object.keys(document.querySelector("home-assistant").hass.states)
            .filter((id) => id.startsWith(prefix)).map((id) => id.slice(prefix.length))""",
        f"{SENSOR_PREFIX}_",
    )
    expected = {"portfolio_value_usdt", "not_valued"} | {
        f"{ticker.lower()}_{figure}"
        for ticker in tickers
        for figure in DEFAULT_FIGURES
        if figure != "main" or Decimal(DEMO_BALANCES.get(ticker, "0"))
    }
    if set(object_ids) != expected:
        msg = f"enabled sensors {sorted(object_ids)}, expected {sorted(expected)}"
        raise AssertionError(msg)


async def trade_pushed(run: Run) -> None:
    """A trade balance changed at WhiteBIT appears on the open device page within seconds.

    Pushed by WhiteBIT's WebSocket: no reload, and no trade-account request meanwhile (the
    next poll is minutes away).
    """
    page = run.page
    await page.goto(f"{run.stack.hass_url}/config/integrations/integration/whitebit")
    await page.locator("a[href*='/config/devices/device/']").first.click()
    sensors = page.locator("ha-card").filter(has_text="Sensors")
    await expect(sensors).to_contain_text("42 TON")
    polls = await run.sim_requests(TRADE_BALANCE_PATH)
    body = {"api_key": DEMO_KEY, "ticker": "TON", "account": "trade"}
    await run.sim("balance", {**body, "available": "43.5", "freeze": "0"})
    await expect(sensors).to_contain_text("43.5 TON", timeout=5_000)
    if await run.sim_requests(TRADE_BALANCE_PATH) != polls:
        msg = "the trade account was polled: the change did not come by the stream"
        raise AssertionError(msg)
    await run.shot("pushed")


async def tick_account(
    run: Run, account: str, menu_shot: str, form_shot: str | None = None
) -> None:
    """Tick one of the balances to track in the entry's options, as a person does, and save."""
    page = run.page
    options = ENGLISH["options"]["step"]
    await open_options(run, "Configure", options["init"], "accounts", menu_shot)
    label = ENGLISH["selector"]["accounts"]["options"][account]
    # The checkbox's own input is drawn over by its ripple; a person clicks the label anyway.
    await page.get_by_text(label, exact=True).click()
    await expect(page.get_by_role("checkbox", name=label)).to_be_checked()
    if form_shot is not None:
        await run.shot(form_shot)
    await run.click_button("Submit")
    await expect(page.get_by_text("Options successfully saved.")).to_be_visible()
    await run.close_dialog("Finish")


async def options_add_earn_and_a_price(run: Run) -> None:
    """The entry's options (the cog on its row) add Earn and a market; both show on the device.

    The options are a menu: each choice opens a short form of its own, saved on its own.
    """
    page = run.page
    options = ENGLISH["options"]["step"]
    await tick_account(run, "earn", "options-menu", "options-accounts")

    await open_options(run, "Configure", options["init"], "markets", "options-menu-again")
    label = options["markets"]["data"]["markets"]
    # The picker opens from a button named after the field (2026.10) or from the field's own
    # "Add" (2026.11).
    field = page.locator("ha-selector-select, ha-selector").filter(has_text=label).last
    opener = page.get_by_role("button", name=label, exact=True).or_(
        field.get_by_role("button", name="Add", exact=True)
    )
    await opener.first.click()
    await page.locator("ha-picker-combo-box input").fill("BTC_USDT")
    await page.locator("ha-combo-box-item").filter(has_text="BTC_USDT").first.click()
    await run.shot("options-market")
    await run.click_button("Submit")
    await expect(page.get_by_text("Options successfully saved.")).to_be_visible()
    await run.close_dialog("Finish")
    await page.locator("a[href*='/config/devices/device/']").first.click()
    sensors = page.locator("ha-card").filter(has_text="Sensors")
    await expect(sensors).to_contain_text("BTC/USDT")
    await expect(sensors).to_contain_text("91,640.09 USDT")
    # The demo's active investments: 150.25 USDT flex, 0.05 BTC fixed (a closed ETH one is not).
    await expect(sensors).to_contain_text("150.25 USDT")
    await expect(sensors).to_contain_text("0.05 BTC")
    await expect_rows_fit(run, {"market_price": "BTC/USDT", "earn": "USDT in Earn"})
    await run.shot("price-sensor")


async def open_options(
    run: Run, configure: str, menu: dict[str, Any], step: str, shot: str
) -> None:
    """Open the first entry's options from its cog, see the menu, and pick `step` in it.

    `configure` is the cog's name in the frontend's language; `menu` the options' menu
    strings in the integration's.
    """
    page = run.page
    await navigate(run, "/config/integrations/integration/whitebit")
    # The first entry's row comes first (the entries are sorted by title).
    await page.get_by_role("button", name=configure, exact=True).first.click()
    await expect(page.get_by_text(menu["title"])).to_be_visible()
    for label in menu["menu_options"].values():
        await expect(page.get_by_text(label, exact=True).first).to_be_visible()
    await run.shot(shot)
    await page.get_by_text(menu["menu_options"][step], exact=True).first.click()


async def balance_changes(run: Run) -> None:
    """A balance changed at WhiteBIT appears once the entry is reloaded (a fresh poll)."""
    await run.sim("balance", {"api_key": DEMO_KEY, "ticker": "BTC", "amount": CHANGED_BTC})
    await run.action("reload_config_entry", BTC_SENSOR)
    await run.expect_states({"btc_main": CHANGED_BTC})
    await run.shot("balance-changed")


async def sub_accounts(run: Run) -> None:
    """Sub-accounts ticked in the options: the demo's two are devices; a third comes at a poll.

    Ticked in the options form as a person does; the entry reloads with them. The third is
    created at WhiteBIT (the simulator's control API) and shows after "Update entity" polls,
    as the schedule would within 5 minutes, without a reload.
    """
    page = run.page
    await tick_account(run, "subaccounts", "options-menu-sub-accounts")
    await page.goto(f"{run.stack.hass_url}/config/devices/dashboard?domain=whitebit")
    for alias in ("Savings", "Trading bot"):
        await expect(page.get_by_text(alias, exact=True).first).to_be_visible()
    await run.shot("sub-accounts")
    balances = {"USDT": {"main": "321"}}
    await run.sim("subaccount", {"api_key": DEMO_KEY, **NEW_SUB_ACCOUNT, "balances": balances})
    await run.action("update_entity", "sensor.savings_usdt_main")
    await expect(page.get_by_text(NEW_SUB_ACCOUNT["alias"], exact=True).first).to_be_visible()
    await run.shot("sub-accounts-third")
    await page.get_by_text(NEW_SUB_ACCOUNT["alias"], exact=True).first.click()
    sensors = page.locator("ha-card").filter(has_text="Sensors")
    await expect(sensors).to_contain_text("321 USDT")
    await run.shot("sub-account-device")


def _exact(amount: object) -> str:
    """An amount as a state shows it: exactly, without trailing zeros (5182.00 is 5182)."""
    return f"{Decimal(str(amount)).normalize():f}"


def margin_expected(positions: list[dict[str, Any]]) -> dict[str, str]:
    """The summary's figures and the new position's, as the simulator computes them.

    The simulator's own model (simulator.margin) given the demo's collateral and these
    positions: its summary is what /collateral-account/summary answers. Keys are entity IDs.
    """
    margin = SimMargin()
    for position in positions:
        if error := margin.control(position):
            raise AssertionError(error)
    summary = margin.summary(DEMO_COLLATERAL)
    expected = {
        "collateral_equity": _exact(summary["equity"]),
        "collateral_unrealized_pnl": _exact(summary["pnl"]),
        "collateral_free_margin": _exact(summary["freeMargin"]),
    }
    if short := margin.positions.get(f"{NEW_POSITION['market']}_{NEW_POSITION['side']}"):
        expected[f"{NEW_POSITION_ID}_liquidation_price"] = _exact(short.liq_price)
        expected[f"{NEW_POSITION_ID}_pnl"] = _exact(short.pnl)
    return {f"{SENSOR_PREFIX}_{object_id}": state for object_id, state in expected.items()}


async def wait_states(
    run: Run, expected: Mapping[str, str | None], since: float, limit_s: float
) -> float:
    """Seconds from `since` until the frontend's states are `expected`; fail past `limit_s`.

    None expects no figure: the entity gone, or unavailable. Timed on the frontend's own state
    list, which every card and row shows, polled every 50 ms.
    """
    await run.page.wait_for_function(
        """(expected) => {
            const states = document.querySelector("home-assistant").hass.states;
            return Object.entries(expected).every(([id, want]) => {
                const state = states[id];
                if (want !== null) return state !== undefined && state.state === want;
                return state === undefined || ["unavailable", "unknown"].includes(state.state);
            });
        }""",
        arg=dict(expected),
        timeout=max(since + limit_s - time.monotonic(), 0.001) * 1000,
        polling=50,
    )
    return time.monotonic() - since


def _object_ids(states: dict[str, str]) -> dict[str, str]:
    """Entity IDs to object IDs after the entry's prefix, as expect_states takes them."""
    return {key.removeprefix(f"{SENSOR_PREFIX}_"): state for key, state in states.items()}


async def margin_positions(run: Run) -> None:
    """The collateral account ticked in the options: its summary and open positions as sensors.

    Ticked as a person does; the entry reloads with it, with the demo's BTC/USDT long. A
    position opened at WhiteBIT then shows without a reload; its PnL, pushed by positionsMargin,
    reaches the state within 3 s with no REST request; closed, its entities stop showing its
    figures within 5 s, and its device goes. No update_entity here: the next step's poll must
    not meet a cooldown. The names on the position's and the summary's device pages must be whole.
    """
    page = run.page
    await tick_account(run, "collateral", "options-menu-collateral", "options-collateral")
    # The reloaded entry's first poll reads the summary and the demo's long.
    await wait_states(run, margin_expected([DEMO_POSITION]), time.monotonic(), TIMEOUT_MS / 1000)
    key = {"api_key": DEMO_KEY}
    started = time.monotonic()
    await run.sim("position", {**key, **NEW_POSITION})
    opened = await wait_states(
        run, margin_expected([DEMO_POSITION, NEW_POSITION]), started, PUSH_LIMIT_S
    )
    await run.expect_states(_object_ids(margin_expected([DEMO_POSITION, NEW_POSITION])))
    # A device per position, its rows named short enough to be whole ("Liquidation price").
    position_device = await device_of(run, f"{SENSOR_PREFIX}_{NEW_POSITION_ID}_pnl")
    await navigate(run, f"/config/devices/device/{position_device}")
    sensors = page.locator("ha-card").filter(has_text="Sensors")
    await expect(sensors).to_contain_text("4,480.50 USDT")
    rows = await expect_rows_fit(run, margin_names("en", POSITION_KEYS))
    await run.shot("margin-device")
    summary_rows = await expect_device_rows_fit(
        run, f"{SENSOR_PREFIX}_collateral_equity", margin_names("en", SUMMARY_KEYS[:4])
    )
    await run.shot("collateral-device")
    reads = [await run.sim_requests(path) for path in MARGIN_READS]
    moved_position = {**NEW_POSITION, "pnl": MOVED_PNL}
    started = time.monotonic()
    await run.sim("position", {**key, **moved_position})
    moved = margin_expected([DEMO_POSITION, moved_position])
    pushed = await wait_states(run, moved, started, PUSH_LIMIT_S)
    if [await run.sim_requests(path) for path in MARGIN_READS] != reads:
        msg = "the summary or positions were read: the PnL did not come by the stream"
        raise AssertionError(msg)
    started = time.monotonic()
    await run.sim(
        "position",
        {**key, "market": NEW_POSITION["market"], "side": NEW_POSITION["side"], "close": True},
    )
    gone: dict[str, str | None] = dict.fromkeys(NEW_POSITION_ENTITIES)
    closed = await wait_states(run, gone, started, CLOSE_LIMIT_S)
    # Its device goes with its entities: no empty device left in the list.
    await page.wait_for_function(
        """(id) => !(id in document.querySelector("home-assistant").hass.devices)""",
        arg=position_device,
    )
    # The summary moves back with it.
    await wait_states(run, margin_expected([DEMO_POSITION]), time.monotonic(), PUSH_LIMIT_S)
    # A collateral balance changed at WhiteBIT comes by balanceMargin, not by a poll.
    read = await run.sim_requests(COLLATERAL_BALANCE_PATH)
    started = time.monotonic()
    await run.sim("balance", {**key, "ticker": "USDT", "account": "collateral", "amount": "4321"})
    balance = await wait_states(
        run, {f"{SENSOR_PREFIX}_usdt_collateral": "4321"}, started, PUSH_LIMIT_S
    )
    if await run.sim_requests(COLLATERAL_BALANCE_PATH) != read:
        msg = "the collateral balance was read: the change did not come by the stream"
        raise AssertionError(msg)
    print(
        f"     opened in the state after {opened:.2f} s, pushed PnL after {pushed:.2f} s, "
        f"closed position's figures and device gone after {closed:.2f} s, pushed collateral "
        f"balance after {balance:.2f} s; least room "
        f"{min(row['spare'] for row in rows + summary_rows)} px on the margin device pages"
    )
    # The demo's long stays open and collateral ticked: every_language measures their names.


async def device_of(run: Run, entity_id: str) -> str:
    """The device ID of an entity, as the frontend knows it."""
    return str(
        await run.page.evaluate(
            """(id) => document.querySelector("home-assistant").hass.entities[id].device_id""",
            entity_id,
        )
    )


async def expect_device_rows_fit(
    run: Run, entity_id: str, names: dict[str, str]
) -> list[dict[str, Any]]:
    """Open the page of `entity_id`'s device; its rows show `names`, each whole."""
    await navigate(run, f"/config/devices/device/{await device_of(run, entity_id)}")
    await expect(run.page.get_by_text(next(iter(names.values()))).first).to_be_visible()
    return await expect_rows_fit(run, names)


async def revoke_and_reauthenticate(run: Run) -> None:
    """A key revoked while running leads to the re-authentication prompt at the next poll.

    "Update entity" polls now, as the schedule would later: the path a key revoked at
    WhiteBIT takes in real life. The reload of the step before made a new coordinator, so
    no refresh cooldown delays this poll.
    """
    page = run.page
    await run.sim("key", {"api_key": DEMO_KEY, "enabled": False})
    await run.action("update_entity", BTC_SENSOR)
    # The entry stays loaded; its sensors show that they have no current figure.
    await run.expect_states({"btc_main": "unavailable", "portfolio_value_usdt": "unavailable"})
    await page.goto(f"{run.stack.hass_url}/config/integrations/integration/whitebit")
    await expect(page.get_by_text("Needs attention")).to_be_visible()
    await expect(page.get_by_text("Failed to set up")).to_have_count(0)
    await run.shot("reauth-prompt")
    balances = {**DEMO_BALANCES, "BTC": CHANGED_BTC}
    await run.sim("key", {"api_key": NEW_KEY, "secret": NEW_SECRET, "balances": balances})
    await run.click_button("Reconfigure")
    reauth = TRANSLATIONS["step"]["reauth_confirm"]
    await expect(page.get_by_text(reauth["title"].format(name=ENTRY_TITLE))).to_be_visible()
    await run.shot("reauth-form")
    await page.locator("input[name=api_key]").fill(NEW_KEY)
    await page.locator("input[name=api_secret]").fill(NEW_SECRET)
    await run.click_button("Submit")
    await expect(page.get_by_text("Re-authentication was successful")).to_be_visible()
    await run.close_dialog("Close", in_footer=True)
    await expect(page.get_by_text("Needs attention")).to_have_count(0)
    await run.expect_states({"btc_main": CHANGED_BTC, "doge_main": DEMO_BALANCES["DOGE"]})
    await run.shot("restored")


async def two_accounts(run: Run) -> None:
    """A second account on the same server is told apart by default: its key's end.

    Added through the config flow's REST API on the frontend's own connection: the form itself
    was driven in the steps before.
    """
    page = run.page
    await run.sim("key", {"api_key": SECOND_KEY, "secret": SECOND_SECRET, "balances": {"BTC": "1"}})
    await page.evaluate(
        """async ([url, key, secret]) => {
            const hass = document.querySelector("home-assistant").hass;
            const path = "config/config_entries/flow";
            let step = await hass.callApi("POST", path, {handler: "whitebit"});
            for (const data of [
                {server: "custom", url: url, api_key: key, api_secret: secret, accounts: ["main"]},
                {tickers: ["BTC"], auto_track: false, quote_currency: "none"},
            ]) {
                step = await hass.callApi("POST", `${path}/${step.flow_id}`, data);
            }
            if (step.type !== "create_entry") throw new Error(JSON.stringify(step));
        }""",
        [run.stack.sim_url, SECOND_KEY, SECOND_SECRET],
    )
    # The first keeps its name through the new key; the second has its key's end. A tile
    # shows a sensor's friendly name, which starts with its device's.
    titles = [ENTRY_TITLE, SECOND_TITLE]
    second = f"sensor.whitebit_{SECOND_KEY[-4:]}_btc_main"
    # The new entry's sensors come once it is set up, after the flow has ended.
    await page.wait_for_function(
        """(id) => id in document.querySelector("home-assistant").hass.states""", arg=second
    )
    names = await page.evaluate(
        """(ids) => ids.map((id) =>
            document.querySelector("home-assistant").hass.states[id]?.attributes.friendly_name)""",
        [BTC_SENSOR, second],
    )
    if names != [f"{title} BTC main" for title in titles]:
        msg = f"tiles would read {names}, not {titles[0]} BTC main and {titles[1]} BTC main"
        raise AssertionError(msg)
    await page.goto(f"{run.stack.hass_url}/config/integrations/integration/whitebit")
    for title in titles:
        await expect(page.get_by_text(title, exact=True).first).to_be_visible()
    await run.shot("two-accounts")
    await page.goto(f"{run.stack.hass_url}/config/devices/dashboard?domain=whitebit")
    for title in titles:
        await expect(page.get_by_text(title, exact=True).first).to_be_visible()
    await run.shot("two-devices")


async def order_filled_event(run: Run) -> None:
    """An order filled at WhiteBIT is an event on the entry's Order filled entity within seconds.

    The entry's key is the one reauthentication gave it, whose account has no order yet: an
    open order, and the next poll (asked for with update_entity) makes BTC/USDT a market the
    stream follows; the fill is then pushed by ordersExecuted. Seen in the entity's attributes
    (market, amount) and its logbook.
    """
    page = run.page
    body = {"market": "BTC_USDT", "side": "sell", "amount": "0.02", "price": "95000"}
    await run.sim("order", {"api_key": NEW_KEY, **body})
    polls = await run.sim_requests(ORDER_HISTORY_PATH)
    await run.action("update_entity", BTC_SENSOR)
    async with asyncio.timeout(10):
        while await run.sim_requests(ORDER_HISTORY_PATH) == polls:  # noqa: ASYNC110 - a count on the server, not an event here
            await asyncio.sleep(0.1)
    # Then the subscription with the new market list goes out on the open connection.
    await asyncio.sleep(1)
    polls = await run.sim_requests(ORDER_HISTORY_PATH)
    await run.sim("fill", {"api_key": NEW_KEY, **body, "client_order_id": "e2e-take-profit"})
    await page.wait_for_function(
        """(id) => {
            const state = document.querySelector("home-assistant").hass.states[id];
            return state && state.attributes.client_order_id === "e2e-take-profit"
                && state.attributes.market === "BTC_USDT"
                && state.attributes.executed_amount === "0.02";
        }""",
        arg=ORDER_FILLED,
        timeout=5_000,
    )
    if await run.sim_requests(ORDER_HISTORY_PATH) != polls:
        msg = "the order history was read: the fill did not come by the stream"
        raise AssertionError(msg)
    await navigate(run, f"/logbook?entity_id={ORDER_FILLED}")
    logbook = page.locator("ha-logbook")
    await expect(
        logbook.get_by_text(ENGLISH["entity"]["event"]["order_filled"]["name"]).first
    ).to_be_visible()
    await run.shot("order-filled")


async def navigate(run: Run, path: str) -> None:
    """Go to a frontend page as its own links do: no reload of the frontend, no launch screen."""
    await run.page.evaluate(
        """(path) => {
            history.pushState(null, "", path);
            window.dispatchEvent(new CustomEvent("location-changed", {detail: {replace: false}}));
        }""",
        path,
    )
    await run.page.wait_for_url(f"**{path}")


async def enable_disabled_sensors(run: Run) -> int:
    """Enable the first entry's sensors created disabled, as a person does in their settings.

    The trade breakdown, the values and the 24 h change then show on the device page, so their
    names are measured too. Home Assistant reloads the entry 30 s after the last change by
    itself, and only that reload (not one of ours) adds them: it is waited for here, as a person
    waits for the sensors to appear. Met in the middle of a language instead, it emptied the
    device page under the measurement in one CI run, where a slow language took the walk past
    the 30 s.
    """
    enabled: list[str] = await run.page.evaluate(
        """async (entityId) => {
            const hass = document.querySelector("home-assistant").hass;
            const all = await hass.callWS({type: "config/entity_registry/list"});
            const entry = all.find((e) => e.entity_id === entityId).config_entry_id;
            const off = all.filter((e) => e.config_entry_id === entry && e.disabled_by);
            for (const e of off) {
                await hass.callWS({
                    type: "config/entity_registry/update",
                    entity_id: e.entity_id,
                    disabled_by: null,
                });
            }
            return off.map((e) => e.entity_id);
        }""",
        BTC_SENSOR,
    )
    await run.page.wait_for_function(
        """(ids) => {
            const states = document.querySelector("home-assistant").hass.states;
            // Home Assistant 2026.11 writes an enabled entity's placeholder at once (restored:
            // true, unavailable); the entity itself comes with the reload.
            return ids.every((id) => id in states && !states[id].attributes.restored);
        }""",
        arg=enabled,
        timeout=ENABLE_RELOAD_TIMEOUT_MS,
    )
    return len(enabled)


async def options_form(run: Run, language: str) -> None:
    """The first entry's options form, opened from its cog as a person does, in `language`."""
    page = run.page
    strings = _translations(language)
    configure = await page.evaluate(
        """() => document.querySelector("home-assistant").hass
            .localize("ui.panel.config.integrations.config_entry.configure")"""
    )
    if not configure:
        msg = f"the frontend has no label for the options cog in {language}"
        raise AssertionError(msg)
    menu = strings["options"]["step"]["init"]
    await open_options(run, configure, menu, "accounts", f"options-menu-{language}")
    title = strings["options"]["step"]["accounts"]["title"]
    await expect(page.get_by_text(title, exact=True).first).to_be_visible()
    # Its own form: Earn was ticked in its options before; the second entry's is not.
    earn = strings["selector"]["accounts"]["options"]["earn"]
    await expect(page.get_by_role("checkbox", name=earn)).to_be_checked()
    await run.shot(f"options-{language}")
    # Closed with its ✕ (named "Close" in the frontend's language): after a menu, Escape no
    # longer reaches the dialog, whose focus went with the menu item clicked.
    close = await page.evaluate(
        """() => document.querySelector("home-assistant").hass.localize("ui.common.close")"""
    )
    await run.close_dialog(close or "Close")


async def dashboard(run: Run) -> None:
    """The README's dashboard (docs/dashboard.yaml), made through Home Assistant's websocket API.

    A new storage dashboard, its configuration saved as the raw editor saves it; the entity IDs
    are the walk's entry's. The portfolio value comes first, with what it leaves out under it.
    """
    page = run.page
    config = json.loads(json.dumps(DASHBOARD).replace("sensor.whitebit_", f"{SENSOR_PREFIX}_"))
    await page.evaluate(
        """async ([path, config]) => {
            const hass = document.querySelector("home-assistant").hass;
            await hass.callWS({
                type: "lovelace/dashboards/create",
                url_path: path,
                title: config.title,
                icon: "mdi:briefcase-variant",
                mode: "storage",
                show_in_sidebar: true,
                require_admin: false,
            });
            await hass.callWS({type: "lovelace/config/save", url_path: path, config: config});
        }""",
        [DASHBOARD_PATH, config],
    )
    await page.goto(f"{run.stack.hass_url}/{DASHBOARD_PATH}/portfolio")
    headline = page.locator("hui-sensor-card").first
    await expect(headline).to_contain_text("Portfolio value")
    await expect(headline).to_contain_text("USDT")
    # TON has no market: counted and named under the value.
    left_out = page.locator("hui-entities-card").first
    await expect(left_out).to_contain_text("Not valued")
    await expect(left_out).to_contain_text("Left out")
    await expect(left_out).to_contain_text("TON")
    await expect(page.locator("hui-entities-card").nth(1)).to_contain_text("BTC")
    await run.shot("dashboard")


async def every_language(run: Run) -> None:
    """Each language the integration speaks: the device page's rows whole, the options form.

    Per language one switch (Home Assistant's and the frontend's language, and a reload of the
    entry so that its sensors take their names in it) and the two pages, reached as the
    frontend's links reach them. Last in the walk: the sensors enabled here make Home Assistant
    reload the entry 30 s later, which is waited for before the first language.
    """
    page = run.page
    device_id = await device_of(run, BTC_SENSOR)
    # The key was rotated (revoke_and_reauthenticate), which the simulator makes a new account;
    # at WhiteBIT the account and its open long stay. Opened again, for its device's names.
    await run.sim("position", {"api_key": NEW_KEY, **DEMO_POSITION})
    await page.wait_for_function(
        """(id) => id in document.querySelector("home-assistant").hass.entities""",
        arg=f"{SENSOR_PREFIX}_btc_usdt_long_pnl",
    )
    started = time.monotonic()
    enabled = await enable_disabled_sensors(run)
    print(
        f"     {enabled} sensors created disabled, enabled for the measurement "
        f"(Home Assistant's reload after {time.monotonic() - started:.1f} s)"
    )
    for language in LANGUAGES:
        started = time.monotonic()
        names = _all_names(language)
        await set_language(run, language)
        await navigate(run, f"/config/devices/device/{device_id}")
        await expect(page.get_by_text(names["main_balance"]).first).to_be_visible()
        rows = await expect_rows_fit(run, names)
        await run.shot(f"device-{language}")
        # The margin devices: the collateral summary's, and the demo's BTC/USDT long.
        margin: list[dict[str, Any]] = []
        for entity_id, keys in (
            (f"{SENSOR_PREFIX}_collateral_equity", SUMMARY_KEYS),
            (f"{SENSOR_PREFIX}_btc_usdt_long_pnl", POSITION_KEYS),
        ):
            margin += await expect_device_rows_fit(run, entity_id, margin_names(language, keys))
        await run.shot(f"position-{language}")
        await options_form(run, language)
        tight = min(rows, key=lambda row: row["spare"])
        tight_margin = min(margin, key=lambda row: row["spare"])
        print(
            f"     {language}: {len(rows) + len(margin)} names whole; least room "
            f"{tight['spare']} px for {tight['name']!r}, on the margin devices "
            f"{tight_margin['spare']} px for {tight_margin['name']!r} "
            f"({time.monotonic() - started:.1f} s)"
        )


STEPS: tuple[Callable[[Run], Awaitable[None]], ...] = (
    onboard,
    add_integration,
    pick_tickers,
    see_sensors,
    trade_pushed,
    options_add_earn_and_a_price,
    # While the demo's TON (on no market) is held: the picture shows what is left out.
    dashboard,
    balance_changes,
    sub_accounts,
    margin_positions,
    revoke_and_reauthenticate,
    two_accounts,
    order_filled_event,
    every_language,
)


def secrets_in(path: Path) -> list[str]:
    """Return which of the test's secrets appear in a log file."""
    text = path.read_text("utf-8", errors="replace") if path.exists() else ""
    return [f"secret #{i}" for i, secret in enumerate(SECRETS) if secret in text]


def report_failure(stack: Stack, error: BaseException) -> None:
    """Print what a person needs to see why it failed, where CI shows it."""
    print("".join(traceback.format_exception(error)), file=sys.stderr)
    print(f"screenshots: {ARTIFACTS}", file=sys.stderr)
    print(f"Home Assistant log: {stack.hass_log}; its last lines:", file=sys.stderr)
    if stack.hass_log.exists():
        lines = stack.hass_log.read_text("utf-8", errors="replace").splitlines()
        print("\n".join(lines[-80:]), file=sys.stderr)
    # Again, last: a CI page that keeps only the head and the tail of the output still shows it.
    print(f"FAILED: {type(error).__name__}: {error}"[:2000], file=sys.stderr)


async def run_steps(stack: Stack) -> int:
    """Drive the browser through every step; 0 when all pass."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        console: list[str] = []
        try:
            page = await browser.new_page(
                viewport={"width": 1280, "height": 800}, reduced_motion="reduce"
            )
            page.set_default_timeout(TIMEOUT_MS)
            expect.set_options(timeout=TIMEOUT_MS)

            def record(message: ConsoleMessage) -> None:
                console.append(f"{message.type}: {message.text}")

            # The frontend's console goes next to the screenshots, for reading after a failure.
            page.on("console", record)
            run = Run(page, stack, ARTIFACTS)
            for step in STEPS:
                started = time.monotonic()
                try:
                    await step(run)
                except Exception as error:  # noqa: BLE001 - reported with all we have
                    await page.screenshot(path=ARTIFACTS / "failure.png")
                    print(f"FAIL {step.__name__}", file=sys.stderr)
                    report_failure(stack, error)
                    return 1
                print(f"ok   {step.__name__:<28} {time.monotonic() - started:5.1f} s")
        finally:
            (ARTIFACTS / "console.log").write_text("\n".join(console), encoding="utf-8")
            await browser.close()
    return 0


async def main_async(args: argparse.Namespace) -> int:
    """Start a fresh stack, run the steps, check the logs for secrets."""
    # Ctrl-C or a CI runner's SIGTERM cancels the run, so every finally below still stops
    # the browser, Home Assistant and the simulator (they run in process groups of their own).
    task = asyncio.current_task()
    assert task is not None  # noqa: S101 - always inside asyncio.run
    for signum in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signum, task.cancel)
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    config = ARTIFACTS / "config"
    config.mkdir(parents=True)
    async with running(config, free_port(), free_port()) as stack:
        print(f"Home Assistant on {stack.hass_url}, simulator on {stack.sim_url}")
        result = await run_steps(stack)
    # Home Assistant's log only: the simulator prints the demo secret for the user on purpose.
    leaked = secrets_in(stack.hass_log)
    if leaked:
        print(f"FAIL: a secret appears in the logs ({', '.join(leaked)})", file=sys.stderr)
        result = 1
    if result == 0 and args.docs:
        DOCS.mkdir(parents=True, exist_ok=True)
        for png in sorted(ARTIFACTS.glob("*.png")):
            name = png.stem.split("-", 1)[1]
            if name in DOCS_SHOTS:
                shutil.copyfile(png, DOCS / f"{name}.png")
        print(f"README pictures updated in {DOCS}")
    print(f"screenshots in {ARTIFACTS}")
    return result


def main() -> int:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--docs", action="store_true", help="copy the README's screenshots to docs/screenshots"
    )
    args = parser.parse_args()
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} is missing: run scripts/e2e, which installs it", file=sys.stderr)
        return 2
    try:
        return asyncio.run(main_async(args))
    except asyncio.CancelledError:
        print("e2e: interrupted; everything it started is stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
