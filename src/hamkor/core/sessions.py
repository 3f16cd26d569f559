"""Log-in sessions held in the database, so that a log-out ends them (issue 15).

The session cookie was Starlette's signed cookie: it still read patient pages after a log-out,
for up to 12 hours, since nothing on the server could take it back. Now the cookie carries a
random id; the ``UserSession`` row keeps only its SHA-256 (a copy of the table gives no usable
cookie), and every app process on every machine reads the same rows. A session ends at
log-out, after ``session_idle_minutes`` without a request and ``session_max_hours`` after the
log-in; a log-in always starts a new one.

Forms are protected from other sites by a CSRF token: for a log-in session an HMAC of its id
(nothing to store, and a new one at each log-in); before log-in, a random token kept in its own
cookie and repeated in the form (double submit).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import Response
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from hamkor.core.models import User, UserSession
from hamkor.settings import Settings

SESSION_COOKIE = "hamkor_session"
#: The token of a visitor who has not logged in (the log-in form, the language switch, /verify).
CSRF_COOKIE = "hamkor_csrf"
#: How precisely ``last_seen_at`` is kept: writing it on every request would make each page a
#: write, and the idle time-out needs no better than a minute.
TOUCH_PRECISION = timedelta(minutes=1)
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")


@dataclass(frozen=True)
class Policy:
    """How long a session lasts: ``idle`` without a request, ``lifetime`` at most."""

    idle: timedelta
    lifetime: timedelta

    @classmethod
    def of(cls, settings: Settings) -> Policy:
        return cls(
            idle=timedelta(minutes=settings.session_idle_minutes),
            lifetime=timedelta(hours=settings.session_max_hours),
        )


@dataclass(frozen=True)
class LiveSession:
    """A valid session as a request found it: whose it is, and the CSRF token of its forms."""

    id: int
    user: User
    csrf_token: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _well_formed(token: str | None) -> bool:
    return token is not None and _TOKEN.fullmatch(token) is not None


def _expired(policy: Policy, now: datetime) -> ColumnElement[bool]:
    """The SQL condition of a session that no longer logs anyone in."""
    return or_(
        UserSession.revoked_at.is_not(None),
        UserSession.created_at <= now - policy.lifetime,
        UserSession.last_seen_at <= now - policy.idle,
    )


def start(db: Session, *, user: User, policy: Policy, now: datetime) -> str:
    """A new session for ``user``; returns the cookie's value, which is kept nowhere else.

    The user's ended sessions are deleted here, so that the table stays the size of the
    sessions in use without a scheduled job.
    """
    db.execute(delete(UserSession).where(UserSession.user_id == user.id, _expired(policy, now)))
    token = secrets.token_urlsafe(32)
    row = UserSession(token_hash=_digest(token), user_id=user.id, created_at=now, last_seen_at=now)
    db.add(row)
    db.flush()
    return token


def purge_ended(db: Session, *, policy: Policy, now: datetime) -> int:
    """Delete every session that no longer logs anyone in; how many. ``start`` deletes a
    user's own at each log-in; this (a daily job) those of users who never come back."""
    purged = db.execute(delete(UserSession).where(_expired(policy, now)))
    return int(purged.rowcount)  # type: ignore[attr-defined]


def find(
    db: Session, token: str | None, *, policy: Policy, secret_key: str, now: datetime
) -> LiveSession | None:
    """The live session of a cookie's value, if it is one: not revoked, not idle too long, not
    too old, of an active user. Its ``last_seen_at`` is renewed when a minute old."""
    if not _well_formed(token):
        return None
    assert token is not None
    row = db.execute(
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == _digest(token))
    ).one_or_none()
    if row is None:
        return None
    session, user = row
    if (
        session.revoked_at is not None
        or now - session.created_at >= policy.lifetime
        or now - session.last_seen_at >= policy.idle
        or not user.is_active
    ):
        return None
    if now - session.last_seen_at >= TOUCH_PRECISION:
        _touch(db, session.id, now)
    return LiveSession(session.id, user, csrf_token(secret_key, token))


def _touch(db: Session, session_id: int, now: datetime) -> None:
    """Renew a session's ``last_seen_at``, unless another request is renewing it right now.

    A plain UPDATE, not a change of the loaded row: nothing to audit. It runs in a dependency,
    and the request then waits for a thread for its route while the row stays locked until
    its commit: requests of the same browser that waited for that lock could hold every
    thread, and the first request would never get one (the pages and the API hung so under
    load). So a row locked by another request's renewal is skipped (``SKIP LOCKED``), not
    waited for; that renewal is as good as this one.
    """
    renewable = (
        select(UserSession.id)
        .where(UserSession.id == session_id, UserSession.last_seen_at < now - TOUCH_PRECISION)
        .with_for_update(skip_locked=True)
    )
    db.execute(
        update(UserSession)
        .where(UserSession.id.in_(renewable.scalar_subquery()))
        .values(last_seen_at=now)
    )


def revoke(db: Session, token: str | None, *, now: datetime) -> None:
    """End the session of a cookie's value (a log-out, or the session a log-in replaces)."""
    if not _well_formed(token):
        return
    assert token is not None
    db.execute(
        update(UserSession)
        .where(UserSession.token_hash == _digest(token), UserSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def csrf_token(secret_key: str, token: str) -> str:
    """The CSRF token of a session's forms: derived from its id, so another site, which cannot
    read the cookie, cannot make it."""
    mac = hmac.new(secret_key.encode(), b"csrf:" + token.encode(), hashlib.sha256)
    return mac.hexdigest()


def visitor_csrf_token(cookie: str | None) -> str | None:
    """A visitor's own CSRF token from its cookie, if well formed."""
    return cookie if _well_formed(cookie) else None


def set_session_cookie(response: Response, token: str, settings: Settings) -> None:
    """The session cookie: unreadable by scripts, sent with top-level navigation from other
    sites only (so links into the app keep the reader logged in), over HTTPS only when the
    app is served so."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_max_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )


def forget_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="lax", secure=settings.secure_cookies
    )


def set_visitor_csrf_cookie(response: Response, token: str, settings: Settings) -> None:
    """The visitor's CSRF cookie, with the session cookie's flags; it lasts as the browser."""
    response.set_cookie(
        CSRF_COOKIE, token, httponly=True, samesite="lax", secure=settings.secure_cookies
    )
