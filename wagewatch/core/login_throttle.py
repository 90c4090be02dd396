"""Sign-in throttling: growing delays by account and by address instead of a lock anyone can set.

The old rule locked an account after five failures. Anyone could therefore lock any account,
the administrator's included, and only a real account ever said "已被锁定" (a username oracle).
Here a failed sign-in is counted under three keys, each in a sliding window of
LOGIN_THROTTLE_WINDOW_MINUTES:

- `pair`: this name from this address. After LOGIN_FREE_FAILURES failures the next attempt from
  that address waits 2, 4, 8 … seconds, up to LOGIN_MAX_DELAY_SECONDS. Someone guessing one
  password from one machine is slowed to a crawl, and the real user at another address is not.
- `addr`: this address, every name. Failures under more than LOGIN_ADDRESS_MAX_NAMES distinct names
  (a password spray), or more than LOGIN_ADDRESS_FREE_FAILURES failures, delay every attempt from
  the address: 1, 2, 4 … minutes, up to LOGIN_MAX_DELAY_SECONDS.
- `acct`: this name from every address (a guess spread over many machines). Only past
  LOGIN_ACCOUNT_FREE_FAILURES failures, and capped at LOGIN_ACCOUNT_MAX_DELAY_SECONDS. One address
  cannot reach this threshold, because its own `pair` delays hold it to a few tries per window. A
  distributed attack can slow the real user by at most this cap per try, never lock them out.
  An administrator can clear every limit of an account from its page ("立即解锁").

Unknown names are counted exactly like real ones, and while a limit runs the password is not
checked at all, so the answer never says whether an account exists. Keys hold keyed digests
(`lookup_digest`), never a name or an address in clear; the log line says who was limited
(without a password).

The counters are rows of `LoginThrottle`, changed under `select_for_update`, so every process and
machine sees the same counts. (The notify app's `rate_limit_hit` counts hits in fixed windows; a
growing delay needs the time of the last failure as well, hence a table of its own.)
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from wagewatch.history.services import event_append

from .models import LoginThrottle, User
from .protected import lookup_digest

logger = logging.getLogger("wagewatch.security")


def now() -> datetime:
    """One clock for the throttle (tests move it)."""
    return timezone.now()


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def window() -> timedelta:
    return timedelta(minutes=_setting("LOGIN_THROTTLE_WINDOW_MINUTES", 15))


def name_digest(username: str) -> str:
    return lookup_digest("login_name", (username or "").strip().casefold() or "-")[:40]


def address_digest(address: str) -> str:
    return lookup_digest("login_addr", address or "unknown")[:40]


@dataclass(frozen=True)
class Keys:
    account: str
    address: str

    @property
    def acct(self) -> str:
        return f"acct:{self.account}"

    @property
    def addr(self) -> str:
        return f"addr:{self.address}"

    @property
    def pair(self) -> str:
        return f"pair:{self.address}:{self.account}"

    @property
    def all(self) -> list[str]:
        return [self.pair, self.addr, self.acct]


def keys_for(username: str, address: str) -> Keys:
    return Keys(account=name_digest(username), address=address_digest(address))


def wait_seconds(username: str, address: str) -> int:
    """Seconds before `username` may try again from `address` (0: now)."""
    moment = now()
    until = (
        LoginThrottle.objects.filter(key__in=keys_for(username, address).all, blocked_until__gt=moment)
        .order_by("-blocked_until")
        .values_list("blocked_until", flat=True)
        .first()
    )
    return max(1, math.ceil((until - moment).total_seconds())) if until else 0


def wait_message(seconds: int) -> str:
    """The one answer while a limit runs, the same for every name."""
    return f"尝试过于频繁,请 {max(1, math.ceil(seconds / 60))} 分钟后再试。"


def _delay(excess: int, *, first: int, cap: int) -> int:
    """first, 2·first, 4·first … seconds for the 1st, 2nd, 3rd … failure past the free ones."""
    if excess <= 0:
        return 0
    return min(cap, first * 2 ** min(excess - 1, 30))


def _bump(key: str, moment: datetime, *, account: str = "", address: str = "") -> LoginThrottle:
    """Count one failure on `key` (a new window when the last one ran out); the row is locked."""
    try:
        with transaction.atomic():
            row, created = LoginThrottle.objects.select_for_update().get_or_create(
                key=key,
                defaults={"account": account, "address": address, "failures": 1, "window_start": moment, "last_failure_at": moment},
            )
    except IntegrityError:  # another request created it between our get and create
        row, created = LoginThrottle.objects.select_for_update().get(key=key), False
    if not created:
        if row.window_start <= moment - window():
            row.failures, row.window_start, row.blocked_until = 1, moment, None
        else:
            row.failures += 1
        row.last_failure_at = moment
    return row


@transaction.atomic
def failure_record(*, username: str, address: str) -> int:
    """Count a failed sign-in; returns the seconds the next attempt must wait (0: none)."""
    moment = now()
    keys = keys_for(username, address)
    cap = _setting("LOGIN_MAX_DELAY_SECONDS", 900)
    started: list[tuple[str, LoginThrottle, int]] = []

    def block(row: LoginThrottle, delay: int, scope: str) -> None:
        was_blocked = row.blocked_until is not None and row.blocked_until > moment
        row.blocked_until = moment + timedelta(seconds=delay) if delay else row.blocked_until
        row.save()
        if delay and not was_blocked:
            started.append((scope, row, delay))

    pair = _bump(keys.pair, moment, account=keys.account, address=keys.address)
    block(pair, _delay(pair.failures - _setting("LOGIN_FREE_FAILURES", 5) + 1, first=2, cap=cap), "pair")

    acct = _bump(keys.acct, moment, account=keys.account)
    account_cap = _setting("LOGIN_ACCOUNT_MAX_DELAY_SECONDS", 60)
    block(acct, _delay(acct.failures - _setting("LOGIN_ACCOUNT_FREE_FAILURES", 20) + 1, first=2, cap=account_cap), "account")

    addr = _bump(keys.addr, moment, address=keys.address)
    names = (
        LoginThrottle.objects.filter(address=keys.address, key__startswith="pair:", last_failure_at__gt=moment - window())
        .values("account")
        .distinct()
        .count()
    )
    excess = max(
        names - _setting("LOGIN_ADDRESS_MAX_NAMES", 10) + 1,
        addr.failures - _setting("LOGIN_ADDRESS_FREE_FAILURES", 30) + 1,
    )
    block(addr, _delay(excess, first=60, cap=cap), "address")

    if started:
        _record_started(username=username, address=address, started=started)
    return wait_seconds(username, address)


def _record_started(*, username: str, address: str, started) -> None:
    """A limit began: one log line each (never the password), and for a real account an event on
    its timeline, so the office sees that someone is guessing."""
    account = User.objects.filter(username=(username or "").strip()).first()
    who = account.username if account is not None else f"(未登记的用户名 {name_digest(username)[:12]})"
    for scope, row, delay in started:
        logger.warning(
            "login throttled: scope=%s address=%s account=%s failures=%d wait=%ds", scope, address or "-", who, row.failures, delay
        )
        if account is not None and scope in {"pair", "account"}:
            event_append(
                actor=None,
                action="user.login_throttled",
                obj=account,
                payload={
                    "limited_by": "one_address" if scope == "pair" else "all_addresses",
                    "failed_logins": row.failures,
                    "wait_seconds": delay,
                },
            )


def refusal_record(*, username: str, address: str, wait: int) -> None:
    """An attempt refused while a limit ran (its password was not checked)."""
    logger.info("login refused while throttled: address=%s account=%s wait=%ds", address or "-", name_digest(username)[:12], wait)


@transaction.atomic
def success_record(*, username: str, address: str) -> None:
    """The right password from this address: its own count for this name starts again. The
    address's and the account's counts stay (other names from here, other addresses)."""
    LoginThrottle.objects.filter(key=keys_for(username, address).pair).delete()


@transaction.atomic
def account_clear(*, username: str) -> int:
    """Lift every limit on one name (an administrator's unlock); returns the rows removed."""
    digest = name_digest(username)
    deleted, _ = LoginThrottle.objects.filter(account=digest).delete()
    return deleted


def account_wait_seconds(username: str) -> int:
    """The longest limit on a name from any address (for the administrator's user page)."""
    moment = now()
    until = (
        LoginThrottle.objects.filter(account=name_digest(username), blocked_until__gt=moment)
        .order_by("-blocked_until")
        .values_list("blocked_until", flat=True)
        .first()
    )
    return max(1, math.ceil((until - moment).total_seconds())) if until else 0


def purge(*, older_than: timedelta | None = None) -> int:
    """Delete rows whose window and limit ran out (called by the notify purge task)."""
    moment = now()
    cutoff = moment - (older_than or window())
    deleted, _ = LoginThrottle.objects.filter(last_failure_at__lt=cutoff).exclude(blocked_until__gt=moment).delete()
    return deleted
