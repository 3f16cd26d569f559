"""The daily purge: ended sessions, throttle counters a hit would start afresh, and log-in
records past their keeping go; the rest stays, and a second run deletes nothing (issue 16)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hamkor.core import housekeeping, jobs, security
from hamkor.core.models import LoginAttempt, Throttle, User, UserSession
from hamkor.core.throttle import Kind
from hamkor.settings import get_settings

DAY = datetime(2026, 12, 6, tzinfo=UTC)


def _context(session_factory: sessionmaker[Session]) -> jobs.JobContext:
    progress = jobs.Progress(session_factory, 0, attempt=1)
    return jobs.JobContext(0, {"period_start": DAY.isoformat()}, None, session_factory, progress)


def _count(db: Session, model: type) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def test_the_purge_deletes_what_ended_and_keeps_the_rest(
    db: Session, session_factory: sessionmaker[Session], admin: User
) -> None:
    settings = get_settings()
    idle = timedelta(minutes=settings.session_idle_minutes)
    window = timedelta(seconds=settings.login_window_seconds)
    db.add_all(
        [
            UserSession(token_hash="a" * 64, user_id=admin.id, created_at=DAY, last_seen_at=DAY),
            UserSession(
                token_hash="b" * 64,
                user_id=admin.id,
                created_at=DAY - idle * 3,
                last_seen_at=DAY - idle * 2,
            ),
            Throttle(kind=Kind.LOGIN_ACCOUNT, key="fresh", count=3, window_start=DAY),
            Throttle(kind=Kind.LOGIN_ACCOUNT, key="stale", count=3, window_start=DAY - window * 2),
            Throttle(
                kind=Kind.LOGIN_ADDRESS,
                key="still waiting",
                count=9,
                window_start=DAY - window * 3,
                blocked_until=DAY,
            ),
            LoginAttempt(username="a", address="10.0.0.1", at=DAY, succeeded=True),
            LoginAttempt(
                username="a",
                address="10.0.0.1",
                at=DAY - security.LOGIN_ATTEMPTS_KEPT - timedelta(days=1),
                succeeded=False,
            ),
        ]
    )
    db.commit()
    sessions_before = _count(db, UserSession)

    purged = housekeeping.purge_job(_context(session_factory))
    again = housekeeping.purge_job(_context(session_factory))

    assert purged == {"sessions": 1, "throttles": 1, "login_attempts": 1}
    assert again == {"sessions": 0, "throttles": 0, "login_attempts": 0}
    db.expire_all()
    assert _count(db, UserSession) == sessions_before - 1
    assert set(db.scalars(select(Throttle.key))) == {"fresh", "still waiting"}
    assert db.scalars(select(LoginAttempt.at)).all() == [DAY]
