"""Distance learning (issue 18): online sessions' links, the personal join link, online
attendance counted towards completion and CME hours, on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re
from datetime import date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from hamkor.core.access import Actor
from hamkor.core.db import utcnow
from hamkor.core.errors import UserError, from_validation
from hamkor.core.forms import error_map
from hamkor.core.models import AuditEntry, User
from hamkor.reports.indicators import compute
from hamkor.reports.sources import Reading
from hamkor.training import attendance, online, service
from hamkor.training.models import (
    Attendance,
    AttendanceMethod,
    CourseSession,
    Enrolment,
    EnrolmentStatus,
    SessionMode,
)
from hamkor.training.schemas import SessionLinks
from tests.fixtures.core import ClientFactory
from tests.fixtures.directory import bearer
from tests.fixtures.programs import KzUzDays, submit
from tests.fixtures.training import EnrolmentFactory, MasterClass, TraineeFactory

SECRET = "test-secret-key"  # the test app's too
EN = {"accept-language": "en"}
OUTSIDE = "The join link works from 15 minutes before the session starts until it ends."
MEETING = "https://meet.example.org/opcab-2"


def refused(error: pytest.ExceptionInfo[UserError]) -> dict[str, str]:
    return error_map(error.value, "en")


@pytest.fixture
def live(db: Session, master_class: MasterClass) -> CourseSession:
    """The master class's second session, held online."""
    session = master_class.sessions[1]
    session.mode = SessionMode.HYBRID
    session.meeting_url = MEETING
    db.commit()
    return session


@pytest.fixture
def enrolment(master_class: MasterClass, create_enrolment: EnrolmentFactory) -> Enrolment:
    return create_enrolment(master_class.course, master_class.trainee.person)


def token_of(session: CourseSession, enrolment: Enrolment, secret: str = SECRET) -> str:
    url = online.join_url(secret_key=secret, session=session, enrolment=enrolment)
    return parse_qs(urlsplit(url).query)["token"][0]


def join(
    db: Session, user: User, session: CourseSession, token: str, now: datetime
) -> attendance.CheckIn:
    return online.join(
        db=db, actor=Actor.of(user), session=session, token=token, secret_key=SECRET, now=now
    )


def test_the_join_link_records_online_attendance_once(
    db: Session, master_class: MasterClass, live: CourseSession, enrolment: Enrolment
) -> None:
    user = master_class.trainee.user
    now = live.starts_at - timedelta(minutes=10)
    first = join(db, user, live, token_of(live, enrolment), now)
    again = join(db, user, live, token_of(live, enrolment), now + timedelta(minutes=30))
    assert (first.already, again.already) == (False, True)
    rows = db.scalars(select(Attendance)).all()
    assert [(a.session_id, a.method, a.recorded_at, a.recorded_by_id) for a in rows] == [
        (live.id, AttendanceMethod.ONLINE, now.replace(tzinfo=rows[0].recorded_at.tzinfo), user.id)
    ]
    audited = select(AuditEntry.action).where(AuditEntry.entity == "training_attendance")
    assert db.scalars(audited).all() == ["create"]


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("forged", "This join link is not valid."),
        ("other secret", "This join link is not valid."),
        ("other session", "This join link is for another session."),
        ("other trainee", "This join link was given to another trainee."),
        (
            "too early",
            "The join link works from 15 minutes before the session starts until it ends.",
        ),
        ("over", "The join link works from 15 minutes before the session starts until it ends."),
        ("withdrawn", "You are not enrolled in this course."),
        ("in the room only", "This session is not held online."),
    ],
)
def test_a_join_link_is_refused_with_its_reason_and_writes_nothing(
    db: Session,
    master_class: MasterClass,
    live: CourseSession,
    enrolment: Enrolment,
    create_enrolment: EnrolmentFactory,
    create_trainee: TraineeFactory,
    case: str,
    message: str,
) -> None:
    user = master_class.trainee.user
    now = live.starts_at + timedelta(minutes=5)
    token = token_of(live, enrolment)
    if case == "forged":
        token = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    elif case == "other secret":
        token = token_of(live, enrolment, secret="another")
    elif case == "other session":
        other = master_class.sessions[2]
        other.mode, other.meeting_url = SessionMode.ONLINE, MEETING
        token = token_of(other, enrolment)
    elif case == "other trainee":
        colleague = create_trainee()
        create_enrolment(master_class.course, colleague.person)
        user = colleague.user  # follows the link given to the first trainee
    elif case == "too early":
        now = live.starts_at - timedelta(minutes=16)
    elif case == "over":
        now = live.ends_at + timedelta(seconds=1)
    elif case == "withdrawn":
        enrolment.status = EnrolmentStatus.WITHDRAWN
    elif case == "in the room only":
        live.mode = SessionMode.IN_PERSON
    db.flush()
    with pytest.raises(UserError) as error:
        join(db, user, live, token, now)
    assert refused(error) == {"token": message}
    assert db.scalars(select(Attendance)).all() == []


def test_online_attendance_counts_towards_completion_and_cme_hours(
    db: Session,
    kz_uz_days: KzUzDays,
    master_class: MasterClass,
    live: CourseSession,
    enrolment: Enrolment,
    admin: User,
) -> None:
    """Two sessions in the room and one online are 100 %: the trainee completes, and the
    course's 6 hours are counted in the reports' CME hours (one attended trainee)."""
    first, _, last = master_class.sessions
    coordinator = Actor.of(kz_uz_days.coordinator)
    attendance.mark_attendance(db=db, actor=coordinator, session=first, present={enrolment.id})
    attendance.mark_attendance(db=db, actor=coordinator, session=last, present={enrolment.id})
    assert service.attendance_percent(db, enrolment) == 66
    join(db, master_class.trainee.user, live, token_of(live, enrolment), live.starts_at)
    assert service.attendance_percent(db, enrolment) == 100
    assert attendance.time_attended(db, [enrolment])[enrolment.id] == attendance.TimeAttended(
        in_person_minutes=240, online_minutes=120
    )
    done = service.evaluate_completion(
        db=db, actor=coordinator, enrolment=enrolment, now=last.ends_at
    )
    assert done.status == EnrolmentStatus.COMPLETED
    reading = Reading(Actor.of(admin), date(2025, 12, 31))
    figures = {
        f.key: f.value
        for f in compute(
            db,
            reading,
            program_ids=[kz_uz_days.program.id],
            keys=["cme_hours", "trainees_attended"],
        )
    }
    assert figures == {"cme_hours": 6, "trainees_attended": 1}


def test_what_a_trainee_is_offered_before_during_and_after(
    db: Session, master_class: MasterClass, live: CourseSession, enrolment: Enrolment
) -> None:
    def shown(now: datetime) -> tuple[bool, str | None, bool] | None:
        found = online.offers(db=db, secret_key=SECRET, enrolments=[enrolment], now=now)
        assert [o.session.id for o in found] in ([], [live.id])
        return (
            (bool(found[0].join_url), found[0].recording_url, found[0].upcoming) if found else None
        )

    assert shown(live.starts_at - timedelta(hours=1)) == (False, None, True)
    assert shown(live.starts_at - timedelta(minutes=15)) == (True, None, False)
    assert shown(live.ends_at) == (True, None, False)
    # Over without a recording: nothing left to show; with it, the recording.
    assert shown(live.ends_at + timedelta(minutes=1)) is None
    live.recording_url = "https://video.example.org/opcab-2"
    assert shown(live.ends_at + timedelta(minutes=1)) == (False, live.recording_url, False)
    # Completed trainees keep the recording; a withdrawn one is shown nothing.
    enrolment.status = EnrolmentStatus.COMPLETED
    assert shown(live.ends_at + timedelta(days=3)) == (False, live.recording_url, False)
    enrolment.status = EnrolmentStatus.WITHDRAWN
    assert shown(live.ends_at + timedelta(days=3)) is None


def _links(**values: str) -> SessionLinks:
    try:
        return SessionLinks.model_validate(values)
    except ValidationError as error:
        raise from_validation(error) from error


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        (
            {"mode": "online", "meeting_url": "javascript:alert(1)"},
            {"meeting_url": "Give a web address that starts with https://."},
        ),
        (
            {
                "mode": "online",
                "meeting_url": MEETING,
                "recording_url": "ftp://files.example.org/a",
            },
            {"recording_url": "Give a web address that starts with https://."},
        ),
        (
            {"mode": "online", "meeting_url": "https://" + "a" * 500},
            {"meeting_url": "Must be at most 500 characters."},
        ),
        ({"mode": "online"}, {"meeting_url": "An online session needs its meeting link."}),
        (
            {"mode": "in_person", "meeting_url": MEETING},
            {"meeting_url": "Only an online or hybrid session has links."},
        ),
        ({"mode": "radio", "meeting_url": MEETING}, {"mode": "Choose one of the offered values."}),
    ],
)
def test_bad_links_are_refused_by_field_and_nothing_changes(
    db: Session,
    kz_uz_days: KzUzDays,
    live: CourseSession,
    values: dict[str, str],
    errors: dict[str, str],
) -> None:
    with pytest.raises(UserError) as error:
        service.set_session_links(
            db=db, actor=Actor.of(kz_uz_days.coordinator), session=live, data=_links(**values)
        )
    assert refused(error) == errors
    db.refresh(live)
    assert (live.mode, live.meeting_url) == (SessionMode.HYBRID, MEETING)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=st.builds(
        str.__add__,
        st.sampled_from(["", "https://", "http://", "HTTPS://", "javascript:", "data:", "//"]),
        st.text(max_size=60),
    )
)
def test_only_web_addresses_pass_as_links(text: str) -> None:
    try:
        link = _links(mode="online", meeting_url=text).meeting_url
    except UserError:
        return
    if link is None:  # a blank box is no link
        assert not text.strip()
        return
    assert urlsplit(link).scheme in ("http", "https")
    assert urlsplit(link).hostname


def test_the_api_sets_links_shows_them_to_managers_only_and_joins(
    db: Session,
    app_client: TestClient,
    kz_uz_days: KzUzDays,
    master_class: MasterClass,
    enrolment: Enrolment,
) -> None:
    session = master_class.sessions[0]
    coordinator = bearer(db, kz_uz_days.coordinator)
    trainee = bearer(db, master_class.trainee.user)
    path = f"/api/v1/training/sessions/{session.id}"
    bad = app_client.put(
        f"{path}/links",
        json={"mode": "online", "meeting_url": "data:text/html,x"},
        headers=coordinator,
    )
    assert bad.status_code == 422
    assert "meeting_url" in bad.text
    assert (
        app_client.put(
            f"{path}/links", json={"mode": "online", "meeting_url": MEETING}, headers=trainee
        ).status_code
        == 403
    )
    saved = app_client.put(
        f"{path}/links", json={"mode": "online", "meeting_url": MEETING}, headers=coordinator
    )
    assert saved.status_code == 200
    assert saved.json()["meeting_url"] == MEETING
    listed = f"/api/v1/training/courses/{master_class.course.id}/sessions"
    first = app_client.get(listed, headers=coordinator).json()[0]
    assert (first["mode"], first["meeting_url"]) == ("online", MEETING)
    first = app_client.get(listed, headers=trainee).json()[0]
    assert (first["mode"], first["meeting_url"]) == ("online", None)
    # The session is in 2025: over, so no join link, and no recording yet.
    mine = app_client.get(f"{path}/online", headers=trainee).json()
    assert (mine["join_url"], mine["recording_url"]) == (None, None)
    outside = app_client.post(
        f"{path}/join", json={"token": token_of(session, enrolment)}, headers=trainee
    )
    assert outside.status_code == 422
    assert "The join link works from 15 minutes before" in outside.text
    assert db.scalars(select(Attendance)).all() == []


def test_a_trainee_joins_from_my_courses_and_lands_in_the_meeting(
    db: Session,
    client_for: ClientFactory,
    master_class: MasterClass,
    live: CourseSession,
    enrolment: Enrolment,
    create_enrolment: EnrolmentFactory,
    create_trainee: TraineeFactory,
) -> None:
    now = utcnow()
    live.starts_at, live.ends_at = now - timedelta(minutes=10), now + timedelta(minutes=50)
    db.commit()
    client = client_for(master_class.trainee.user)
    page = client.get("/training/mine", headers=EN).text
    found = re.search(r'class="button primary join" href="([^"]+)"', page)
    assert found is not None
    link = html.unescape(found.group(1))
    assert MEETING not in page  # the meeting itself only behind the personal link
    for _ in range(2):
        followed = client.get(link, headers=EN, follow_redirects=False)
        assert (followed.status_code, followed.headers["location"]) == (303, MEETING)
    assert [a.method for a in db.scalars(select(Attendance))] == [AttendanceMethod.ONLINE]
    mine = client.get("/training/mine", headers=EN).text
    assert "online 1 hr" in mine
    colleague = create_trainee()
    create_enrolment(master_class.course, colleague.person)
    forwarded = client_for(colleague.user).get(link, headers=EN, follow_redirects=False)
    assert forwarded.status_code == 422
    assert "This join link was given to another trainee." in forwarded.text
    assert len(db.scalars(select(Attendance)).all()) == 1


def test_the_coordinator_sets_the_links_on_the_session_page(
    db: Session, client_for: ClientFactory, kz_uz_days: KzUzDays, master_class: MasterClass
) -> None:
    session = master_class.sessions[0]
    client = client_for(kz_uz_days.coordinator)
    page = f"/training/sessions/{session.id}"
    form = {"mode": "online", "meeting_url": "javascript:alert(1)", "recording_url": ""}
    bad = submit(client, page, f"{page}/links", form)
    assert bad.status_code == 422
    assert "Give a web address that starts with https://." in bad.text
    good = submit(client, page, f"{page}/links", {**form, "meeting_url": MEETING})
    assert good.status_code == 303
    db.refresh(session)
    assert (session.mode, session.meeting_url, session.recording_url) == (
        SessionMode.ONLINE,
        MEETING,
        None,
    )


def test_the_coordinator_ticks_who_followed_online_on_the_list(
    db: Session,
    kz_uz_days: KzUzDays,
    master_class: MasterClass,
    live: CourseSession,
    enrolment: Enrolment,
    create_enrolment: EnrolmentFactory,
    create_trainee: TraineeFactory,
) -> None:
    other = create_enrolment(master_class.course, create_trainee().person)
    coordinator = Actor.of(kz_uz_days.coordinator)
    with pytest.raises(UserError) as error:
        attendance.mark_attendance(
            db=db, actor=coordinator, session=live, present={enrolment.id}, online={other.id}
        )
    assert refused(error) == {"online": "Mark online only trainees who were present."}
    in_the_room = master_class.sessions[0]
    with pytest.raises(UserError) as error:
        attendance.mark_attendance(
            db=db, actor=coordinator, session=in_the_room, present={other.id}, online={other.id}
        )
    assert refused(error) == {"online": "This session is not held online."}
    assert db.scalars(select(Attendance)).all() == []
    marked = attendance.mark_attendance(
        db=db,
        actor=coordinator,
        session=live,
        present={enrolment.id, other.id},
        online={other.id},
    )
    assert sorted((a.enrolment_id, a.method) for a in marked) == [
        (enrolment.id, AttendanceMethod.LIST),
        (other.id, AttendanceMethod.ONLINE),
    ]
