"""Counters in the database that slow down password guessing and cap public requests.

Issue 15: the log-in limit counted the failures already recorded, so 40 guesses sent at once
were all counted before any was recorded and 14 got past a limit of 5. A counter is now one
``Throttle`` row per (kind, key), and each hit takes that row's lock (an upsert that changes
nothing: a row lock on PostgreSQL, the write lock on SQLite), reads it, decides and writes it
back, so the hits of every request and every process are counted one after another. The
caller commits straight after a hit: the requests running beside it must see the count at
once, and a request that fails later must not give its hit back.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, or_, update
from sqlalchemy.orm import Session

from hamkor.core.db import dialect_insert
from hamkor.core.models import Throttle
from hamkor.settings import Settings


class Kind(StrEnum):
    """What a counter counts."""

    LOGIN_ACCOUNT = "login_account"
    LOGIN_ADDRESS = "login_address"
    PUBLIC = "public"


#: The wait once a log-in limit is reached; it doubles with each failure past the limit. Long
#: enough that a burst of guesses sent together meets it, short enough for an owner who
#: mistyped five times.
FIRST_DELAY = timedelta(seconds=30)
_KEY_LENGTH = 100


@dataclass(frozen=True)
class Rule:
    """How many hits a key may make in a window, and what happens past them.

    Without ``max_delay`` the window is fixed: past the limit, hits are refused until it ends.
    With it, every hit from the ``limit``-th on makes the next one wait, ``FIRST_DELAY`` and
    then twice as long each time up to ``max_delay``; the count is forgotten once a whole
    window has passed since the last wait ended, so a slowed owner is never locked out.
    """

    limit: int
    window: timedelta
    max_delay: timedelta | None = None


@dataclass(frozen=True)
class Verdict:
    """Whether a hit may go ahead; if not, after how many whole seconds to try again."""

    allowed: bool
    retry_after: int = 0


@dataclass(frozen=True)
class _Counter:
    count: int
    window_start: datetime
    blocked_until: datetime | None


def _lock(db: Session, kind: Kind, key: str, now: datetime) -> _Counter:
    """The counter of (kind, key), created empty if new, locked until the transaction ends."""
    new = dialect_insert(db)(Throttle).values(
        kind=kind.value, key=key, count=0, window_start=now, blocked_until=None
    )
    statement = new.on_conflict_do_update(
        index_elements=[Throttle.kind, Throttle.key], set_={"count": Throttle.count}
    ).returning(Throttle.count, Throttle.window_start, Throttle.blocked_until)
    count, window_start, blocked_until = db.execute(statement).one()
    return _Counter(count, window_start, blocked_until)


def _store(db: Session, kind: Kind, key: str, counter: _Counter) -> None:
    db.execute(
        update(Throttle)
        .where(Throttle.kind == kind.value, Throttle.key == key)
        .values(
            count=counter.count,
            window_start=counter.window_start,
            blocked_until=counter.blocked_until,
        )
    )


def _seconds(span: timedelta) -> int:
    return max(1, math.ceil(span.total_seconds()))


def _decide(counter: _Counter, rule: Rule, now: datetime) -> tuple[Verdict, _Counter]:
    """The verdict on one more hit, and the counter as it stands if the hit goes ahead."""
    quiet_since = max(counter.window_start, counter.blocked_until or counter.window_start)
    if now >= quiet_since + rule.window:
        counter = _Counter(0, now, None)
    if counter.blocked_until is not None and now < counter.blocked_until:
        return Verdict(False, _seconds(counter.blocked_until - now)), counter
    count = counter.count + 1
    if rule.max_delay is None:
        if counter.count >= rule.limit:
            return Verdict(False, _seconds(counter.window_start + rule.window - now)), counter
        return Verdict(True), _Counter(count, counter.window_start, None)
    blocked_until = None
    if count >= rule.limit:
        doublings = min(count - rule.limit, 30)
        blocked_until = now + min(FIRST_DELAY * 2**doublings, rule.max_delay)
    return Verdict(True), _Counter(count, counter.window_start, blocked_until)


def hit(db: Session, *, kind: Kind, key: str, rule: Rule, now: datetime) -> Verdict:
    """Count one hit of ``key``, or refuse it (a refused hit changes nothing)."""
    return hit_all(db, [(kind, key, rule)], now=now)


def hit_all(db: Session, counters: list[tuple[Kind, str, Rule]], *, now: datetime) -> Verdict:
    """Count one hit on every counter, or, if any refuses it, on none.

    The counters are locked in the order given; callers keep one order (account before
    address) so that two requests never wait for each other's second lock.
    """
    decisions = []
    for kind, key, rule in counters:
        key = key[:_KEY_LENGTH]
        verdict, counter = _decide(_lock(db, kind, key, now), rule, now)
        decisions.append((kind, key, verdict, counter))
    refused = [verdict.retry_after for _, _, verdict, _ in decisions if not verdict.allowed]
    if refused:
        return Verdict(False, max(refused))
    for kind, key, _, counter in decisions:
        _store(db, kind, key, counter)
    return Verdict(True)


def address_key(address: str) -> str:
    """The key of a client address: IPv6 clients count per /64 network, since one subscriber
    is given a whole /64 and could take a new address for every guess."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:_KEY_LENGTH]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _login_rules(settings: Settings) -> tuple[Rule, Rule]:
    window = timedelta(seconds=settings.login_window_seconds)
    max_delay = timedelta(seconds=settings.login_max_delay_seconds)
    return (
        Rule(settings.login_max_failures, window, max_delay),
        Rule(settings.login_max_failures_per_address, window, max_delay),
    )


def _account_key(username: str) -> str:
    return username.strip().casefold()


def hit_login(
    db: Session, *, username: str, address: str, settings: Settings, now: datetime
) -> Verdict:
    """Count a log-in attempt against its account and its address, before the password is
    checked, or refuse it. The attempt counts as a failure until ``login_succeeded`` says
    otherwise."""
    account, per_address = _login_rules(settings)
    return hit_all(
        db,
        [
            (Kind.LOGIN_ACCOUNT, _account_key(username), account),
            (Kind.LOGIN_ADDRESS, address_key(address), per_address),
        ],
        now=now,
    )


def login_succeeded(db: Session, *, username: str, address: str, settings: Settings) -> None:
    """Reset the account's counter, and give the address its attempt back: the limit per
    address counts failures, so the colleagues behind one hospital's address may all log in."""
    _, per_address = _login_rules(settings)
    db.execute(
        delete(Throttle).where(
            Throttle.kind == Kind.LOGIN_ACCOUNT.value, Throttle.key == _account_key(username)
        )
    )
    key = address_key(address)
    db.execute(
        update(Throttle)
        .where(Throttle.kind == Kind.LOGIN_ADDRESS.value, Throttle.key == key, Throttle.count > 0)
        .values(count=Throttle.count - 1)
    )
    db.execute(
        update(Throttle)
        .where(
            Throttle.kind == Kind.LOGIN_ADDRESS.value,
            Throttle.key == key,
            Throttle.count < per_address.limit,
        )
        .values(blocked_until=None)
    )


def public_rule(settings: Settings) -> Rule:
    """The limit of the routes anyone may call, per address."""
    return Rule(settings.public_rate_limit, timedelta(seconds=settings.public_rate_window_seconds))


def purge_stale(db: Session, *, settings: Settings, now: datetime) -> int:
    """Delete the counters a hit would start afresh anyway (a whole window has passed since
    their window began and since their last wait ended); how many. A hit racing the purge
    holds the row's lock, and the delete then finds it renewed and leaves it."""
    windows = {
        Kind.LOGIN_ACCOUNT: settings.login_window_seconds,
        Kind.LOGIN_ADDRESS: settings.login_window_seconds,
        Kind.PUBLIC: settings.public_rate_window_seconds,
    }
    purged = 0
    for kind, seconds in windows.items():
        quiet_since = now - timedelta(seconds=seconds)
        result = db.execute(
            delete(Throttle).where(
                Throttle.kind == kind.value,
                Throttle.window_start <= quiet_since,
                or_(Throttle.blocked_until.is_(None), Throttle.blocked_until <= quiet_since),
            )
        )
        purged += result.rowcount  # type: ignore[attr-defined]
    return purged
