"""Sub-accounts: polled apart from the account's own balances, and a device each.

A coordinator of its own, so the main poll stays as it was and a refusal here (the key may
not read sub-accounts) makes only the sub-accounts unavailable. A poll is one list request
(two at MAX_SUBACCOUNTS or more) and one balances request per active sub-account, at most
CONCURRENT at a time. A blocked sub-account is not followed: no request, and its device goes.

Devices are kept here too, by the sub-account's id (aliases repeat and change): made or
renamed after each poll, and removed (Home Assistant's stale-devices rule) once WhiteBIT no
longer lists the sub-account as active. While the list is cut short (`truncated`), one that is
merely missing from it keeps its device: it may exist beyond the cut.
"""

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, override

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .const import DOMAIN, ISSUE_SUBACCOUNTS, LOGGER, MAX_AUTO_TRACKED, SCAN_INTERVAL
from .coordinator import WhiteBitConfigEntry, WhiteBitCoordinator
from .entity import registered_account_device
from .holdings import Portfolio
from .issues import async_report_sub_accounts, failure_reason
from .pywhitebit import (
    MAX_SUBACCOUNTS,
    SubAccount,
    SubAccountBalance,
    WhiteBitAuthenticationError,
    WhiteBitClient,
    WhiteBitClockError,
    WhiteBitError,
    WhiteBitRateLimitError,
    WhiteBitSubAccountInactiveError,
    WhiteBitSubAccountNotConfirmedError,
    WhiteBitSubAccountNotFoundError,
    WhiteBitSubAccountPermissionError,
)
from .valuation import PriceBook, sum_values, value_of

# Balances requests in flight at once: 100 sub-accounts still take a few seconds, and a burst
# stays far below WhiteBIT's 1,000 requests per 10 s.
CONCURRENT: Final = 5


@dataclass(frozen=True, slots=True)
class SubAccountState:
    """One followed sub-account: what the list says, and its balances.

    `balances` is None while WhiteBIT will not give them (not confirmed yet): its sensors are
    unavailable. `tickers` are the currencies it holds (or whose amount is unknown), sorted,
    at most MAX_AUTO_TRACKED, as automatic tracking follows: each gets sensors.
    """

    account: SubAccount
    balances: Mapping[str, SubAccountBalance] | None
    invalid: frozenset[str] = frozenset()
    tickers: tuple[str, ...] = ()

    def value(self, book: PriceBook | None) -> Portfolio | None:
        """What it holds in the quote currency; None without prices or balances."""
        if book is None or self.balances is None:
            return None
        values = {
            ticker: None
            if (balance := self.balances.get(ticker)) is None
            else value_of(balance.total, book.price(ticker) if balance.total else None)
            for ticker in self.tickers
        }
        unvalued = tuple(ticker for ticker, value in values.items() if value is None)
        return Portfolio(sum_values(v for v in values.values() if v is not None), unvalued)


@dataclass(frozen=True, slots=True)
class SubAccountsData:
    """One poll: the followed sub-accounts by id, in WhiteBIT's order, and what was listed."""

    accounts: Mapping[str, SubAccountState] = field(default_factory=dict)
    # Every id the list gave, blocked ones included.
    listed: frozenset[str] = frozenset()
    truncated: bool = False

    def value(self, book: PriceBook | None) -> Portfolio | None:
        """The sum over every followed sub-account; None if one cannot be valued at all."""
        portfolios = [state.value(book) for state in self.accounts.values()]
        if any(portfolio is None for portfolio in portfolios):
            return None
        known = [portfolio for portfolio in portfolios if portfolio is not None]
        unvalued = sorted({ticker for portfolio in known for ticker in portfolio.unvalued})
        return Portfolio(sum_values(p.value for p in known), tuple(unvalued))


class WhiteBitSubAccountCoordinator(DataUpdateCoordinator[SubAccountsData]):
    """Lists the sub-accounts and fetches each active one's balances, every SCAN_INTERVAL."""

    config_entry: WhiteBitConfigEntry

    def __init__(
        self, hass: HomeAssistant, entry: WhiteBitConfigEntry, client: WhiteBitClient
    ) -> None:
        """Poll with the entry's client, on the entry's interval."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{entry.title} sub-accounts",
            update_interval=SCAN_INTERVAL,
            always_update=False,
        )
        self.client = client
        self._limit = asyncio.Semaphore(CONCURRENT)
        # Each sub-account's currencies at its last answer: kept while its balances are refused.
        self._tickers: dict[str, tuple[str, ...]] = {}
        self._truncated_said = False

    @override
    async def _async_update_data(self) -> SubAccountsData:
        try:
            listed = await self.client.sub_accounts()
            active = [account for account in listed.accounts if account.active]
            answers = await asyncio.gather(
                *(self._balances(account) for account in active), return_exceptions=True
            )
            # Every request has ended: the first failure is the poll's.
            for answer in answers:
                if isinstance(answer, BaseException):
                    raise answer
        except WhiteBitError as err:
            raise self._failure(err) from err
        self._report(refused=False)
        self._say_truncated(truncated=listed.truncated)
        accounts = {
            account.id: state
            for account, state in zip(active, answers, strict=True)
            if isinstance(state, SubAccountState)
        }
        return SubAccountsData(
            accounts, frozenset(account.id for account in listed.accounts), listed.truncated
        )

    async def _balances(self, account: SubAccount) -> SubAccountState | None:
        """One sub-account's state; None when WhiteBIT says it is gone or blocked since listed."""
        async with self._limit:
            try:
                answer = await self.client.sub_account_balances(account.id)
            except WhiteBitSubAccountNotConfirmedError:
                return SubAccountState(account, None, tickers=self._tickers.get(account.id, ()))
            except WhiteBitSubAccountInactiveError, WhiteBitSubAccountNotFoundError:
                return None
        # An amount that stopped making sense may still be money: unavailable, not dropped.
        held = {ticker for ticker, balance in answer.amounts.items() if balance.total}
        tickers = tuple(sorted(held | answer.invalid)[:MAX_AUTO_TRACKED])
        self._tickers[account.id] = tickers
        return SubAccountState(account, answer.amounts, frozenset(answer.invalid), tickers)

    def _failure(self, err: WhiteBitError) -> UpdateFailed:
        """The translated reason a poll failed; a withdrawn permission is a repair issue too."""
        LOGGER.debug("Sub-accounts of %s could not be fetched: %s", self.name, err)
        key = f"update_{failure_reason(err)}"
        placeholders: dict[str, str] | None = None
        retry_after: float | None = None
        if isinstance(err, WhiteBitSubAccountPermissionError):
            self._report(refused=True)
            key = ISSUE_SUBACCOUNTS
        elif isinstance(err, WhiteBitAuthenticationError):
            # The entry's own poll meets the same refusal and asks for a new key.
            key = "invalid_auth"
        elif isinstance(err, WhiteBitClockError):
            key = "clock_off"
        elif isinstance(err, WhiteBitRateLimitError):
            key, placeholders = "rate_limited", {"seconds": f"{err.retry_after:g}"}
            retry_after = err.retry_after
        return UpdateFailed(
            translation_domain=DOMAIN,
            translation_key=key,
            translation_placeholders=placeholders,
            retry_after=retry_after,
        )

    def _say_truncated(self, *, truncated: bool) -> None:
        """Warn once when WhiteBIT lists more sub-accounts than are followed."""
        if truncated and not self._truncated_said:
            LOGGER.warning(
                "%s has more than %d sub-accounts: the first %d in WhiteBIT's order are "
                "followed, and no device is removed for one missing from the list",
                self.config_entry.title,
                MAX_SUBACCOUNTS,
                MAX_SUBACCOUNTS,
            )
        self._truncated_said = truncated

    def _report(self, *, refused: bool) -> None:
        entry = self.config_entry
        async_report_sub_accounts(self.hass, entry.entry_id, entry.title, refused=refused)

    @override
    async def async_shutdown(self) -> None:
        """Take the entry's sub-account issue along when it unloads; a reload raises it again."""
        await super().async_shutdown()
        self._report(refused=False)


async def async_start_sub_accounts(
    hass: HomeAssistant, entry: WhiteBitConfigEntry, client: WhiteBitClient
) -> WhiteBitSubAccountCoordinator:
    """The entry's sub-account coordinator after its first poll.

    A failed first poll does not fail the entry: the account's own balances work without
    sub-accounts, whose devices appear at the first poll that reads them (those of an earlier
    run stay, their sensors unavailable).
    """
    coordinator = WhiteBitSubAccountCoordinator(hass, entry, client)
    await coordinator.async_refresh()
    return coordinator


def _identifier(entry_id: str, sub_id: str) -> tuple[str, str]:
    # Per entry: two entries of one account (two keys) each keep their own devices.
    return (DOMAIN, f"{entry_id}_sub_{sub_id}")


def sub_account_device(entry_id: str, sub_id: str, name: str) -> DeviceInfo:
    """The device of one sub-account, named by its alias (SubAccount.name)."""
    return DeviceInfo(
        identifiers={_identifier(entry_id, sub_id)},
        entry_type=dr.DeviceEntryType.SERVICE,
        manufacturer="WhiteBIT",
        name=name,
    )


def registered_sub_accounts(hass: HomeAssistant, entry_id: str) -> dict[str, dr.DeviceEntry]:
    """The entry's sub-account devices in the device registry, by sub-account id."""
    prefix = _identifier(entry_id, "")[1]
    devices: dict[str, dr.DeviceEntry] = {}
    for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry_id):
        ids = [value for domain, value in device.identifiers if domain == DOMAIN]
        if ids and ids[0].startswith(prefix):
            devices[ids[0].removeprefix(prefix)] = device
    return devices


def sync_devices(
    hass: HomeAssistant,
    main: WhiteBitCoordinator,
    data: SubAccountsData | None,
) -> set[str]:
    """Make, rename and remove the sub-accounts' devices; return the ids that lost theirs.

    With `data` None (sub-accounts not followed), every sub-account device of the entry goes.
    A name the user gave (name_by_user) is theirs: only the alias underneath follows WhiteBIT.
    """
    registry = dr.async_get(hass)
    entry_id = main.config_entry.entry_id
    removed: set[str] = set()
    for sub_id, device in registered_sub_accounts(hass, entry_id).items():
        if data is not None and sub_id in data.accounts:
            continue
        # Cut off the list, it may exist still; listed (blocked) or not listed at all, it goes.
        if data is not None and data.truncated and sub_id not in data.listed:
            continue
        registry.async_remove_device(device.id)
        removed.add(sub_id)
    if data is None or not data.accounts:
        return removed
    parent = registered_account_device(hass, main)
    for state in data.accounts.values():
        device = registry.async_get_or_create(
            config_entry_id=entry_id,
            **sub_account_device(entry_id, state.account.id, state.account.name),
        )
        if device.via_device_id != parent.id:
            registry.async_update_device(device.id, via_device_id=parent.id)
    return removed


def sub_accounts_diagnostics(subs: WhiteBitSubAccountCoordinator | None) -> dict[str, Any] | None:
    """Counts and states only: ids and aliases are personal data, amounts are private."""
    if subs is None:
        return None
    data: SubAccountsData | None = subs.data
    return {
        "last_update_success": subs.last_update_success,
        "last_exception": repr(subs.last_exception) if subs.last_exception else None,
        "listed": None if data is None else len(data.listed),
        "truncated": None if data is None else data.truncated,
        "followed": [
            {
                "balances_known": state.balances is not None,
                "currencies": len(state.tickers),
                "collateral_enabled": state.account.collateral_enabled,
            }
            for state in (data.accounts.values() if data else ())
        ],
    }
