"""Distance learning (issue 18): online sessions, personal join links and online attendance.

An online or hybrid session has a meeting link. Each enrolled trainee is given a personal join
link, ``/training/sessions/ID/join?token=TOKEN``, whose token names the session and their
enrolment, signed with the app's secret as the QR check-in codes are (itsdangerous, a salt of
its own). Following it while the session is open (from 15 minutes before the start until the
end) records their attendance, method ``online``, which counts towards completion and the
course's CME credits exactly like a QR check-in, and then sends them to the meeting. The
recording is offered once the session is over.

The token carries no time of its own: the session's window is what limits it, and the
enrolment it names must still be the follower's and still enrolled, so a forwarded link lets
nobody else in and a withdrawn trainee's link stops working.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from hamkor.core.access import Actor
from hamkor.core.errors import UserError
from hamkor.core.i18n import N_
from hamkor.training.attendance import EARLY, NOT_ENROLLED, NOT_ONLINE, CheckIn, record
from hamkor.training.models import (
    AttendanceMethod,
    CourseSession,
    Enrolment,
    EnrolmentStatus,
    SessionMode,
)
from hamkor.training.service import SEATED, person_of

_SALT = "hamkor.training.join"


def _signer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=_SALT)


def is_online(session: CourseSession) -> bool:
    return session.mode != SessionMode.IN_PERSON and session.meeting_url is not None


def is_open(session: CourseSession, now: datetime) -> bool:
    """Whether trainees may join now: from a little before the start until the end."""
    return is_online(session) and session.starts_at - EARLY <= now <= session.ends_at


def join_url(*, secret_key: str, session: CourseSession, enrolment: Enrolment) -> str:
    """The trainee's personal join link of the session (a path on this site)."""
    token = _signer(secret_key).dumps({"s": session.id, "e": enrolment.id})
    return f"/training/sessions/{session.id}/join?token={token}"


@dataclass(frozen=True)
class Offer:
    """An online session as one trainee sees it: their join link while it is open, the
    recording once it is over (each ``None`` when not to be shown now)."""

    session: CourseSession
    join_url: str | None
    recording_url: str | None
    upcoming: bool

    @property
    def opens_at(self) -> datetime:
        return self.session.starts_at - EARLY


def offer(
    *, secret_key: str, session: CourseSession, enrolment: Enrolment, now: datetime
) -> Offer | None:
    """What of an online session the trainee holding ``enrolment`` is shown now: nothing for
    a session in the room or a trainee without a seat; the join link only to the enrolled."""
    if not is_online(session) or enrolment.status not in SEATED:
        return None
    joins = enrolment.status == EnrolmentStatus.ENROLLED and is_open(session, now)
    over = now > session.ends_at
    return Offer(
        session=session,
        join_url=join_url(secret_key=secret_key, session=session, enrolment=enrolment)
        if joins
        else None,
        recording_url=session.recording_url if over else None,
        upcoming=now < session.starts_at - EARLY,
    )


def offers(
    *, db: Session, secret_key: str, enrolments: Sequence[Enrolment], now: datetime
) -> list[Offer]:
    """The online sessions of the trainee's courses still worth showing: those to come, the
    one open now, and those over whose recording is there; in the order they are held (one
    query for all the courses)."""
    by_course = {e.course_id: e for e in enrolments}
    sessions = db.scalars(
        select(CourseSession)
        .where(
            CourseSession.course_id.in_(list(by_course)),
            CourseSession.mode != SessionMode.IN_PERSON,
        )
        .order_by(CourseSession.starts_at, CourseSession.id)
    )
    found = (
        offer(secret_key=secret_key, session=s, enrolment=by_course[s.course_id], now=now)
        for s in sessions
    )
    return [o for o in found if o and (now <= o.session.ends_at or o.recording_url)]


def my_offer(
    *, db: Session, actor: Actor, session: CourseSession, secret_key: str, now: datetime
) -> Offer:
    """The online session as the actor, a trainee of its course, is shown it now."""
    person = person_of(db, actor)
    enrolment = (
        db.scalar(
            select(Enrolment).where(
                Enrolment.course_id == session.course_id, Enrolment.person_id == person.id
            )
        )
        if person is not None
        else None
    )
    if enrolment is None or enrolment.status not in SEATED:
        raise UserError.one("", NOT_ENROLLED)
    found = offer(secret_key=secret_key, session=session, enrolment=enrolment, now=now)
    if found is None:
        raise UserError.one("", NOT_ONLINE)
    return found


def _enrolment_id(secret_key: str, token: str, session_id: int) -> int:
    """The enrolment a join token was given to, unless it is forged or for another session."""
    try:
        claims = _signer(secret_key).loads(token)
        token_session, enrolment_id = int(claims["s"]), int(claims["e"])
    except (BadSignature, KeyError, TypeError, ValueError) as error:
        raise UserError.one("token", N_("This join link is not valid.")) from error
    if token_session != session_id:
        raise UserError.one("token", N_("This join link is for another session."))
    return enrolment_id


def join(
    *,
    db: Session,
    actor: Actor,
    session: CourseSession,
    token: str,
    secret_key: str,
    now: datetime,
) -> CheckIn:
    """Record the actor present online at the session by their personal join link; the caller
    then sends them to ``session.meeting_url``. Following the link again changes nothing."""
    enrolment_id = _enrolment_id(secret_key, token, session.id)
    if not is_online(session):
        raise UserError.one("token", NOT_ONLINE)
    if not is_open(session, now):
        raise UserError.one(
            "token",
            N_("The join link works from 15 minutes before the session starts until it ends."),
        )
    enrolment = db.get(Enrolment, enrolment_id)
    person = person_of(db, actor)
    if enrolment is None or person is None or enrolment.person_id != person.id:
        raise UserError.one("token", N_("This join link was given to another trainee."))
    if enrolment.status != EnrolmentStatus.ENROLLED:
        raise UserError.one("token", NOT_ENROLLED)
    return record(
        db=db,
        actor=actor,
        session=session,
        enrolment=enrolment,
        method=AttendanceMethod.ONLINE,
        now=now,
    )
