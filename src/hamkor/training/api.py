"""JSON API of training under /api/v1/training: the same schemas, filter and service functions
as the pages. A route loads the record it names with ``get_for`` (404, or an audited 403) and
hands it to the service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from hamkor.core import clock
from hamkor.core.access import Action, get_for
from hamkor.core.forms import PathId
from hamkor.core.pages import page_size
from hamkor.core.web import API_ERROR_RESPONSES, ApiCtx, settings_of
from hamkor.training import attendance, cascade, online, service
from hamkor.training.filters import CourseFilter
from hamkor.training.models import Course, CourseSession, Enrolment
from hamkor.training.schemas import (
    AttendanceList,
    CascadeSessionCreate,
    CascadeSessionRead,
    CheckInToken,
    CourseCreate,
    CoursePage,
    CourseRead,
    CourseUpdate,
    EnrolmentCreate,
    EnrolmentRead,
    MentorshipCreate,
    MentorshipRead,
    OnlineRead,
    ReachNode,
    ReachPlace,
    ReachRead,
    ScoreChange,
    SelfEnrolment,
    SessionCreate,
    SessionLinks,
    SessionRead,
)

router = APIRouter(prefix="/api/v1/training", tags=["training"], responses=API_ERROR_RESPONSES)


class CheckInRequest(BaseModel):
    """The token of the QR code the trainee scanned."""

    token: CheckInToken


class CheckInRead(BaseModel):
    enrolment_id: int
    session_id: int
    already_checked_in: bool


class JoinRequest(BaseModel):
    """The token of the trainee's personal join link."""

    token: CheckInToken


class JoinRead(BaseModel):
    """Present online; the meeting to go on to."""

    enrolment_id: int
    session_id: int
    already_joined: bool
    meeting_url: str


@router.get("/courses")
def list_courses(ctx: ApiCtx, filters: Annotated[CourseFilter, Query()]) -> CoursePage:
    """Courses, latest first (``?q=&kind=&specialty=&program=&issuer=&from=&to=&page=``)."""
    page = service.list_courses(
        db=ctx.db, actor=ctx.actor, filters=filters, page_size=page_size(ctx)
    )
    return CoursePage(
        items=[CourseRead.model_validate(c) for c in page.items],
        total=page.total,
        page=page.number,
        pages=page.pages,
    )


@router.post("/courses", status_code=201)
def create_course(ctx: ApiCtx, data: CourseCreate) -> CourseRead:
    """A new course of the caller's program or institution."""
    return CourseRead.model_validate(service.create_course(db=ctx.db, actor=ctx.actor, data=data))


@router.get("/courses/{course_id}")
def get_course(ctx: ApiCtx, course_id: PathId) -> CourseRead:
    return CourseRead.model_validate(get_for(ctx.db, ctx.actor, Course, course_id))


@router.patch("/courses/{course_id}")
def update_course(ctx: ApiCtx, course_id: PathId, data: CourseUpdate) -> CourseRead:
    """Change what is given; the result is checked as a new course."""
    course = get_for(ctx.db, ctx.actor, Course, course_id, Action.CHANGE)
    course = service.update_course(db=ctx.db, actor=ctx.actor, course=course, data=data)
    return CourseRead.model_validate(course)


@router.get("/courses/{course_id}/sessions")
def list_sessions(ctx: ApiCtx, course_id: PathId) -> list[SessionRead]:
    """The course's sessions; their meeting and recording links only to its managers."""
    course = get_for(ctx.db, ctx.actor, Course, course_id)
    manages = service.may_manage(ctx.db, ctx.actor, course)
    return [
        _session_read(s, manages=manages) for s in service.list_sessions(db=ctx.db, course=course)
    ]


def _session_read(session: CourseSession, *, manages: bool = True) -> SessionRead:
    read = SessionRead.model_validate(session)
    return read if manages else read.model_copy(update={"meeting_url": None, "recording_url": None})


@router.post("/courses/{course_id}/sessions", status_code=201)
def add_session(ctx: ApiCtx, course_id: PathId, data: SessionCreate) -> SessionRead:
    """A new session; its start must fall within the course's days on the host's clocks."""
    course = get_for(ctx.db, ctx.actor, Course, course_id, Action.CHANGE)
    session = service.add_session(db=ctx.db, actor=ctx.actor, course=course, data=data)
    return _session_read(session)


@router.put("/sessions/{session_id}/links")
def set_session_links(ctx: ApiCtx, session_id: PathId, data: SessionLinks) -> SessionRead:
    """Hold the session in person, online or hybrid, with its meeting and recording links."""
    session = get_for(ctx.db, ctx.actor, CourseSession, session_id, Action.CHANGE)
    service.set_session_links(db=ctx.db, actor=ctx.actor, session=session, data=data)
    return _session_read(session)


@router.get("/sessions/{session_id}/online")
def my_online_session(ctx: ApiCtx, session_id: PathId) -> OnlineRead:
    """An online session as the calling trainee sees it now: their personal join link while it
    is open (from 15 minutes before the start), the recording once it is over."""
    session = get_for(ctx.db, ctx.actor, CourseSession, session_id)
    shown = online.my_offer(
        db=ctx.db,
        actor=ctx.actor,
        session=session,
        secret_key=settings_of(ctx.request).resolved_secret_key(),
        now=clock.now(),
    )
    return OnlineRead(
        session_id=session.id,
        mode=session.mode,
        opens_at=shown.opens_at,
        ends_at=session.ends_at,
        join_url=str(ctx.request.base_url).rstrip("/") + shown.join_url if shown.join_url else None,
        recording_url=shown.recording_url,
    )


@router.post("/sessions/{session_id}/join")
def join(ctx: ApiCtx, session_id: PathId, data: JoinRequest) -> JoinRead:
    """Record the caller present online by the token of their join link (as following the
    link does); answers the meeting to go on to."""
    session = get_for(ctx.db, ctx.actor, CourseSession, session_id)
    result = online.join(
        db=ctx.db,
        actor=ctx.actor,
        session=session,
        token=data.token,
        secret_key=settings_of(ctx.request).resolved_secret_key(),
        now=clock.now(),
    )
    return JoinRead(
        enrolment_id=result.attendance.enrolment_id,
        session_id=session.id,
        already_joined=result.already,
        meeting_url=str(session.meeting_url),
    )


@router.delete("/sessions/{session_id}", status_code=204)
def delete_session(ctx: ApiCtx, session_id: PathId) -> Response:
    """Remove a session entered by mistake, with its attendance."""
    session = get_for(ctx.db, ctx.actor, CourseSession, session_id, Action.CHANGE)
    service.delete_session(db=ctx.db, actor=ctx.actor, session=session)
    return Response(status_code=204)


@router.get("/courses/{course_id}/enrolments")
def list_enrolments(ctx: ApiCtx, course_id: PathId) -> list[EnrolmentRead]:
    """The course's enrolments the caller may see (a trainee sees their own)."""
    course = get_for(ctx.db, ctx.actor, Course, course_id)
    found = service.list_enrolments(db=ctx.db, actor=ctx.actor, course=course)
    return [EnrolmentRead.model_validate(e) for e in found]


@router.post("/courses/{course_id}/enrolments", status_code=201)
def enrol(ctx: ApiCtx, course_id: PathId, data: EnrolmentCreate) -> EnrolmentRead:
    """Enrol a person: a seat if one is free, else the waiting list."""
    course = get_for(ctx.db, ctx.actor, Course, course_id, Action.CHANGE)
    enrolment = service.enrol(
        db=ctx.db,
        actor=ctx.actor,
        course=course,
        person_id=data.person_id,
        language=data.language,
    )
    return EnrolmentRead.model_validate(enrolment)


@router.post("/courses/{course_id}/request", status_code=201)
def request_place(ctx: ApiCtx, course_id: PathId, data: SelfEnrolment) -> EnrolmentRead:
    """The caller asks for a place; a coordinator approves it."""
    course = get_for(ctx.db, ctx.actor, Course, course_id)
    enrolment = service.request_enrolment(
        db=ctx.db, actor=ctx.actor, course=course, language=data.language
    )
    return EnrolmentRead.model_validate(enrolment)


@router.get("/me/enrolments")
def my_enrolments(ctx: ApiCtx) -> list[EnrolmentRead]:
    """The caller's own enrolments."""
    return [
        EnrolmentRead.model_validate(e) for e in service.my_enrolments(db=ctx.db, actor=ctx.actor)
    ]


@router.post("/enrolments/{enrolment_id}/approve")
def approve(ctx: ApiCtx, enrolment_id: PathId) -> EnrolmentRead:
    enrolment = get_for(ctx.db, ctx.actor, Enrolment, enrolment_id, Action.CHANGE)
    return EnrolmentRead.model_validate(
        service.approve(db=ctx.db, actor=ctx.actor, enrolment=enrolment)
    )


@router.post("/enrolments/{enrolment_id}/withdraw")
def withdraw(ctx: ApiCtx, enrolment_id: PathId) -> EnrolmentRead:
    """Withdraw (the trainee, or a coordinator of the course); a seat set free goes to the
    first on the waiting list."""
    enrolment = get_for(ctx.db, ctx.actor, Enrolment, enrolment_id)
    return EnrolmentRead.model_validate(
        service.withdraw(db=ctx.db, actor=ctx.actor, enrolment=enrolment)
    )


@router.put("/enrolments/{enrolment_id}/score")
def set_score(ctx: ApiCtx, enrolment_id: PathId, data: ScoreChange) -> EnrolmentRead:
    enrolment = get_for(ctx.db, ctx.actor, Enrolment, enrolment_id, Action.CHANGE)
    return EnrolmentRead.model_validate(
        service.set_score(db=ctx.db, actor=ctx.actor, enrolment=enrolment, score=data.score)
    )


@router.post("/enrolments/{enrolment_id}/complete")
def complete(ctx: ApiCtx, enrolment_id: PathId) -> EnrolmentRead:
    """Apply the completion rule (and issue the certificate when the trainee completes)."""
    enrolment = get_for(ctx.db, ctx.actor, Enrolment, enrolment_id, Action.CHANGE)
    return EnrolmentRead.model_validate(
        service.evaluate_completion(db=ctx.db, actor=ctx.actor, enrolment=enrolment)
    )


@router.put("/sessions/{session_id}/attendance")
def mark_attendance(ctx: ApiCtx, session_id: PathId, data: AttendanceList) -> list[int]:
    """Set who was present; answers the enrolments marked present."""
    session = get_for(ctx.db, ctx.actor, CourseSession, session_id, Action.CHANGE)
    marked = attendance.mark_attendance(
        db=ctx.db,
        actor=ctx.actor,
        session=session,
        present=set(data.present),
        online=set(data.online),
    )
    return sorted(a.enrolment_id for a in marked)


@router.post("/sessions/{session_id}/check-in")
def check_in(ctx: ApiCtx, session_id: PathId, data: CheckInRequest) -> CheckInRead:
    """Check the caller in by the token of the session's QR code."""
    result = attendance.check_in(
        db=ctx.db,
        actor=ctx.actor,
        session=get_for(ctx.db, ctx.actor, CourseSession, session_id),
        token=data.token,
        secret_key=settings_of(ctx.request).resolved_secret_key(),
    )
    return CheckInRead(
        enrolment_id=result.attendance.enrolment_id,
        session_id=session_id,
        already_checked_in=result.already,
    )


def _node(node: cascade.Node) -> ReachNode:
    return ReachNode(
        person_id=node.person.id, level=node.level, children=[_node(c) for c in node.children]
    )


@router.get("/courses/{course_id}/reach")
def reach(ctx: ApiCtx, course_id: PathId) -> ReachRead:
    """How far the course went: level 1 (completed it), 2 (their mentees), 3 (mentees' mentees)."""
    found = cascade.reach(db=ctx.db, course=get_for(ctx.db, ctx.actor, Course, course_id))
    return ReachRead(
        course_id=course_id,
        levels=found.levels,
        places=[
            ReachPlace(
                country_id=p.country.id if p.country else None,
                city_id=p.city.id if p.city else None,
                level_1=p.counts[1],
                level_2=p.counts[2],
                level_3=p.counts[3],
            )
            for p in found.places
        ],
        tree=[_node(n) for n in found.roots],
        cascade_sessions=len(found.sessions),
        cascade_attendees=found.attendees,
    )


@router.post("/mentorships", status_code=201)
def add_mentorship(ctx: ApiCtx, data: MentorshipCreate) -> MentorshipRead:
    """A trained doctor mentoring a colleague at home."""
    return MentorshipRead.model_validate(
        cascade.add_mentorship(db=ctx.db, actor=ctx.actor, data=data)
    )


@router.post("/cascade-sessions", status_code=201)
def record_cascade_session(ctx: ApiCtx, data: CascadeSessionCreate) -> CascadeSessionRead:
    """A session a mentor held at home, with who came."""
    return CascadeSessionRead.model_validate(
        cascade.record_session(db=ctx.db, actor=ctx.actor, data=data)
    )
