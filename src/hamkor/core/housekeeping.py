"""The daily purge of what log-ins leave behind: ended sessions, stale throttle counters, and
log-in attempts past their keeping. A scheduled job (``modules.py``); each part is idempotent,
so a run twice, or a retry, deletes nothing more."""

from __future__ import annotations

from typing import Any

from hamkor.core import jobs, security, sessions, throttle
from hamkor.core.i18n import N_
from hamkor.settings import get_settings

PURGE_JOB = "core.purge"
PURGE_LABEL = N_("Purge of ended log-in sessions and old log-in records")


def purge_job(context: jobs.JobContext) -> dict[str, Any]:
    """Purge as of the period's start, in one transaction; how many rows of each."""
    settings = get_settings()
    now = context.as_of()
    with context.sessions.begin() as db:
        return {
            "sessions": sessions.purge_ended(db, policy=sessions.Policy.of(settings), now=now),
            "throttles": throttle.purge_stale(db, settings=settings, now=now),
            "login_attempts": security.purge_login_attempts(db, now=now),
        }
