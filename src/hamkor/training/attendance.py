"""Attendance: QR self check-in with signed rotating tokens, and the coordinator's list.

During a session its page shows a QR code of the check-in address with a token signed with the
app's secret. The token names the session and a time window of ``WINDOW_SECONDS``; the page
shows a new one every window, and a token is accepted in its own window and the next one only,
so a photo of the code sent to an absent colleague is soon worthless. A trainee opening the
address while logged in is checked in; both ways of recording are audited by the flush hook.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from hamkor.core.access import Actor
from hamkor.core.db import utcnow
from hamkor.core.errors import UserError
from hamkor.core.i18n import N_
from hamkor.training.models import (
    Attendance,
    AttendanceMethod,
    CourseSession,
    Enrolment,
    EnrolmentStatus,
    SessionMode,
)
from hamkor.training.service import SEATED, person_of

#: How long one QR code is shown before the next replaces it.
WINDOW_SECONDS = 30
#: How many windows a token is accepted in: its own and the next (a scan during a refresh).
WINDOWS_ACCEPTED = 2
#: Trainees may check in from a little before the session starts until it ends.
EARLY = timedelta(minutes=15)
_SALT = "hamkor.training.check-in"
NOT_ENROLLED = N_("You are not enrolled in this course.")
NOT_ONLINE = N_("This session is not held online.")


def _window(moment: datetime) -> int:
    return int(moment.timestamp()) // WINDOW_SECONDS


def _signer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=_SALT)


def checkin_token(*, secret_key: str, session_id: int, now: datetime | None = None) -> str:
    """The token of the code shown now for the session."""
    return str(_signer(secret_key).dumps({"s": session_id, "w": _window(now or utcnow())}))


def seconds_to_next_code(now: datetime | None = None) -> int:
    """How long the code shown now stays on screen."""
    return WINDOW_SECONDS - int((now or utcnow()).timestamp()) % WINDOW_SECONDS


def _read(secret_key: str, token: str, session_id: int, now: datetime) -> None:
    """Refuse a token that is forged, of another session, or older than its windows."""
    try:
        claims = _signer(secret_key).loads(token)
        token_session, window = int(claims["s"]), int(claims["w"])
    except (BadSignature, KeyError, TypeError, ValueError) as error:
        raise UserError.one("token", N_("This check-in code is not valid.")) from error
    if token_session != session_id:
        raise UserError.one("token", N_("This check-in code is for another session."))
    age = _window(now) - window
    if not 0 <= age < WINDOWS_ACCEPTED:
        raise UserError.one(
            "token", N_("This check-in code has expired. Scan the code on the screen again.")
        )


@dataclass(frozen=True)
class CheckIn:
    """The outcome of a scan: the attendance, and whether it had been recorded already."""

    attendance: Attendance
    already: bool


def _recorded(db: Session, session_id: int, enrolment_id: int) -> Attendance | None:
    return db.scalar(
        select(Attendance).where(
            Attendance.session_id == session_id, Attendance.enrolment_id == enrolment_id
        )
    )


def check_in(
    *,
    db: Session,
    actor: Actor,
    session: CourseSession,
    token: str,
    secret_key: str,
    now: datetime | None = None,
) -> CheckIn:
    """Check the actor in to a session they may see by the token of its QR code; being
    enrolled in its course is what lets them in."""
    now = now or utcnow()
    _read(secret_key, token, session.id, now)
    if not session.starts_at - EARLY <= now <= session.ends_at:
        raise UserError.one(
            "token",
            N_("Check-in is open from 15 minutes before the session starts until it ends."),
        )
    person = person_of(db, actor)
    enrolment = None
    if person is not None:
        enrolment = db.scalar(
            select(Enrolment).where(
                Enrolment.course_id == session.course_id,
                Enrolment.person_id == person.id,
                Enrolment.status == EnrolmentStatus.ENROLLED,
            )
        )
    if enrolment is None:
        raise UserError.one("token", NOT_ENROLLED)
    return record(
        db=db,
        actor=actor,
        session=session,
        enrolment=enrolment,
        method=AttendanceMethod.QR,
        now=now,
    )


def record(
    *,
    db: Session,
    actor: Actor,
    session: CourseSession,
    enrolment: Enrolment,
    method: AttendanceMethod,
    now: datetime,
) -> CheckIn:
    """The trainee present at the session, recorded once: a second scan or join only reports
    the record there is, so every way of attending counts the same towards completion."""
    existing = _recorded(db, session.id, enrolment.id)
    if existing is not None:
        return CheckIn(existing, already=True)
    attendance = Attendance(
        session_id=session.id,
        enrolment_id=enrolment.id,
        method=method,
        recorded_at=now,
        recorded_by_id=actor.user_id,
    )
    db.add(attendance)
    db.flush()
    return CheckIn(attendance, already=False)


def session_list(db: Session, session: CourseSession) -> list[tuple[Enrolment, Attendance | None]]:
    """The trainees holding a seat in the session's course, each with their attendance."""
    enrolments = db.scalars(
        select(Enrolment)
        .where(Enrolment.course_id == session.course_id, Enrolment.status.in_(SEATED))
        .order_by(Enrolment.id)
    ).all()
    present = {
        a.enrolment_id: a
        for a in db.scalars(select(Attendance).where(Attendance.session_id == session.id))
    }
    return [(enrolment, present.get(enrolment.id)) for enrolment in enrolments]


def mark_attendance(
    *,
    db: Session,
    actor: Actor,
    session: CourseSession,
    present: Collection[int],
    online: Collection[int] = (),
) -> list[Attendance]:
    """Set who was present at the session from the coordinator's list: the enrolments in
    ``present`` are marked (those already recorded keep their record), the others cleared.
    Of them, those in ``online`` followed an online or hybrid session from afar (the meeting's
    own participant report, for a trainee who did not use their join link)."""
    rows = session_list(db, session)
    seated = {enrolment.id for enrolment, _ in rows}
    if set(present) - seated:
        raise UserError.one("present", N_("Choose trainees holding a seat in this course."))
    if set(online) - set(present):
        raise UserError.one("online", N_("Mark online only trainees who were present."))
    if online and session.mode == SessionMode.IN_PERSON:
        raise UserError.one("online", NOT_ONLINE)
    kept: list[Attendance] = []
    for enrolment, attendance in rows:
        if enrolment.id in present and attendance is None:
            attendance = Attendance(
                session_id=session.id,
                enrolment_id=enrolment.id,
                method=AttendanceMethod.ONLINE if enrolment.id in online else AttendanceMethod.LIST,
                recorded_by_id=actor.user_id,
            )
            db.add(attendance)
        elif enrolment.id not in present and attendance is not None:
            db.delete(attendance)
            continue
        if attendance is not None:
            kept.append(attendance)
    db.flush()
    return kept


@dataclass(frozen=True)
class TimeAttended:
    """How long a trainee was present at their course's sessions, in the room and online (the
    sessions' lengths, in minutes)."""

    in_person_minutes: int = 0
    online_minutes: int = 0


def time_attended(db: Session, enrolments: Sequence[Enrolment]) -> dict[int, TimeAttended]:
    """Each trainee's time at the sessions they attended, split by how they attended; one
    query for a whole list."""
    seconds: dict[int, dict[bool, float]] = {e.id: {False: 0.0, True: 0.0} for e in enrolments}
    rows = db.execute(
        select(
            Attendance.enrolment_id,
            Attendance.method,
            CourseSession.starts_at,
            CourseSession.ends_at,
        )
        .join(CourseSession, CourseSession.id == Attendance.session_id)
        .where(Attendance.enrolment_id.in_(list(seconds)))
    )
    for enrolment_id, method, starts_at, ends_at in rows:
        online = method == AttendanceMethod.ONLINE
        seconds[enrolment_id][online] += (ends_at - starts_at).total_seconds()
    return {
        enrolment_id: TimeAttended(
            in_person_minutes=round(split[False] / 60), online_minutes=round(split[True] / 60)
        )
        for enrolment_id, split in seconds.items()
    }
