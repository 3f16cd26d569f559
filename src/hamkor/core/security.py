"""Passwords (Argon2), API tokens and CSRF token checks; log-in throttling is ``throttle``."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from hamkor.core.access import Actor, Grant
from hamkor.core.db import utcnow
from hamkor.core.models import ApiToken, LoginAttempt, Membership, User

_hasher = PasswordHasher()
TOKEN_PREFIX = "hk_"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(user: User, password: str) -> bool:
    """Check a password, upgrading the stored hash when Argon2's parameters have moved on."""
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return True


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_api_token(
    db: Session, *, user: User, name: str, scopes: list[str], expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Create a token; the secret is returned once and only its digest is kept."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        prefix=secret[:10],
        token_hash=token_digest(secret),
        scopes=sorted(set(scopes)),
        expires_at=expires_at,
    )
    db.add(token)
    db.flush()
    return token, secret


@dataclass(frozen=True)
class TokenUse:
    """What a valid bearer token stands for: who acts, with which roles, and what it may do."""

    token_id: int
    scopes: tuple[str, ...]
    last_used_at: datetime | None
    actor: Actor


_TOKEN_GRANTS = (
    select(
        ApiToken.id,
        ApiToken.scopes,
        ApiToken.last_used_at,
        ApiToken.revoked_at,
        ApiToken.expires_at,
        User.id.label("user_id"),
        User.username,
        User.language,
        User.is_active,
        Membership.role,
        Membership.institution_id,
        Membership.program_id,
    )
    .join(User, User.id == ApiToken.user_id)
    .outerjoin(Membership, Membership.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("digest"))
    .order_by(Membership.id)
)


def token_use(db: Session, secret: str) -> TokenUse | None:
    """The actor behind a bearer token that is neither revoked nor expired, if still active.

    Every API call asks, so the token, its user and the user's roles come as plain rows of one
    statement: loading them as ORM objects cost as much as the rest of a booking's checks. The
    user row itself is loaded only if a route asks for it (``Ctx.user``).
    """
    digest = token_digest(secret)
    rows = db.connection().execute(_TOKEN_GRANTS, {"digest": digest}).all()
    if not rows:
        return None
    first = rows[0]
    if first.revoked_at is not None or not first.is_active:
        return None
    if first.expires_at is not None and first.expires_at <= utcnow():
        return None
    grants = tuple(Grant.of(row) for row in rows if row.role is not None)
    actor = Actor(first.user_id, first.username, grants, first.language)
    return TokenUse(first.id, tuple(first.scopes), first.last_used_at, actor)


#: How precisely an API token's ``last_used_at`` is kept: writing it on every call made all the
#: clients sharing a token wait for one another on its row lock until each commit.
LAST_USED_PRECISION = timedelta(minutes=1)


def note_token_use(db: Session, use: TokenUse) -> None:
    """Record when a token was last used (shown on the API tokens page), at most once per
    ``LAST_USED_PRECISION``; the flush hook audits the change, as every write.

    The token's row is loaded only when the value read with the token is stale, and written
    only if it is still stale as loaded: a request that finds it renewed by another since
    leaves it alone. This runs in a dependency, and the request then waits for a thread for its
    route with the row locked until its commit: clients sharing the token that waited for the
    lock could hold every thread, so that the first request never got one (the booking
    benchmark hung so). A row locked by another request's renewal is skipped (``SKIP
    LOCKED``), not waited for.
    """
    now = utcnow()
    if use.last_used_at is not None and use.last_used_at > now - LAST_USED_PRECISION:
        return
    token = db.scalar(
        select(ApiToken).where(ApiToken.id == use.token_id).with_for_update(skip_locked=True)
    )
    if token is None:
        return
    if token.last_used_at is None or token.last_used_at <= now - LAST_USED_PRECISION:
        token.last_used_at = now


_FEED_SALT = "hamkor.calendar-feed"


def _password_fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def feed_key(secret_key: str, user: User) -> str:
    """A key that lets a calendar client, which cannot send headers, read the user's feeds.

    It carries a fingerprint of the password hash, so changing the password revokes every
    feed address given out before.
    """
    signer = URLSafeSerializer(secret_key, salt=_FEED_SALT)
    return signer.dumps({"u": user.id, "p": _password_fingerprint(user)})


def user_for_feed_key(db: Session, secret_key: str, key: str) -> User | None:
    """The active user a feed key was made for, unless it was forged or revoked."""
    try:
        claims = URLSafeSerializer(secret_key, salt=_FEED_SALT).loads(key)
    except BadSignature:
        return None
    if not isinstance(claims, dict) or not isinstance(claims.get("u"), int):
        return None
    user = db.get(User, claims["u"])
    if user is None or not user.is_active:
        return None
    return user if hmac.compare_digest(str(claims.get("p")), _password_fingerprint(user)) else None


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_matches(expected: str | None, given: str | None) -> bool:
    """Whether the form's or header's token is the session's. Ours are ASCII; ``compare_digest``
    raises on any other string, which made a mistyped token a 500 (issue 15)."""
    return bool(expected and given and given.isascii() and hmac.compare_digest(expected, given))


def authenticate(db: Session, *, username: str, password: str, address: str) -> User | None:
    """The user with these credentials, recording the attempt either way (``throttle`` has
    decided beforehand whether it may be made)."""
    user = db.scalar(select(User).where(User.username == username))
    ok = user is not None and user.is_active and verify_password(user, password)
    if user is None:
        # Spend the same time as a real check so that timing does not reveal unknown names.
        _hasher.hash(password)
    db.add(LoginAttempt(username=username.casefold(), address=address, succeeded=ok))
    db.flush()
    return user if ok else None


#: How long the record of a log-in attempt is kept for an operator to read.
LOGIN_ATTEMPTS_KEPT = timedelta(days=90)


def purge_login_attempts(db: Session, *, now: datetime) -> int:
    """Delete the records of log-in attempts older than ``LOGIN_ATTEMPTS_KEPT``; how many."""
    purged = db.execute(delete(LoginAttempt).where(LoginAttempt.at < now - LOGIN_ATTEMPTS_KEPT))
    return int(purged.rowcount)  # type: ignore[attr-defined]
