"""Pages of training: the course catalogue, a course with its sessions and enrolments, the
QR screen of a session and the trainee's check-in, and "my courses".

Routes go in a fixed order: load (404), check access (403, audited), call the service, render.
A refused form comes back with status 422 and each message beside its field; its work is done
in a savepoint, so a refusal leaves nothing written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from hamkor.core import clock, exports, import_jobs
from hamkor.core.access import AccessDenied, Action, NotFound, get_for
from hamkor.core.errors import UserError
from hamkor.core.exports import FormatQuery
from hamkor.core.forms import PathId, PathStep, error_map
from hamkor.core.i18n import N_
from hamkor.core.importing import columns_of
from hamkor.core.jobs import Job
from hamkor.core.pages import (
    REFUSED,
    Refusal,
    form_values,
    labelled_options,
    named_options,
    page_size,
    pager_params,
    save_then,
    see_other,
)
from hamkor.core.web import Ctx, Form, PageCtx, Upload, settings_of
from hamkor.directory import pickers
from hamkor.directory import service as directory_service
from hamkor.directory.models import Institution, Person, Specialty
from hamkor.programs.models import Program
from hamkor.training import attendance, cascade, labels, online, service
from hamkor.training import exports as lists
from hamkor.training.access import may_create_course
from hamkor.training.filters import CourseFilter, EnrolmentFilter
from hamkor.training.importing import IMPORT_JOB, import_enrolments
from hamkor.training.models import Course, CourseSession, Enrolment
from hamkor.training.schemas import (
    AttendanceList,
    CascadeSessionCreate,
    CheckInToken,
    CourseCreate,
    CourseUpdate,
    EnrolmentCreate,
    EnrolmentRow,
    MentorshipCreate,
    ScoreChange,
    SelfEnrolment,
    SessionForm,
    SessionLinks,
)

router = APIRouter(include_in_schema=False)
Errors = dict[str, str]


def _render(ctx: Ctx, template: str, status_code: int = 200, **context: Any) -> Response:
    return ctx.render(template, status_code, labels=labels, **context)


def _refusal(refusal: Refusal | None) -> tuple[Errors, int]:
    return ({}, 200) if refusal is None else (refusal.errors, refusal.status_code)


def _choices(ctx: Ctx, model: type[Any]) -> list[tuple[Any, str]]:
    rows = directory_service.choices(db=ctx.db, actor=ctx.actor, model=model)
    return named_options(ctx.translator, rows)


# --- the catalogue and my courses -----------------------------------------------------------


@router.get("/training", response_class=HTMLResponse)
def courses(
    ctx: PageCtx, filters: Annotated[CourseFilter, Query()], export: FormatQuery = None
) -> Response:
    """The courses: search, filters by kind, specialty, institution and days, pages; as a
    file, every course the filters find (each row read as it is written)."""
    actor = ctx.actor
    if export is not None:
        stmt = service.courses_statement(actor, filters).execution_options(yield_per=500)
        return _download(ctx, lists.COURSES, ctx.db.scalars(stmt), export, "")
    page = service.list_courses(db=ctx.db, actor=actor, filters=filters, page_size=page_size(ctx))
    return _render(
        ctx,
        "training/courses.html",
        page=page,
        filters=pager_params(filters),
        kinds=labelled_options(ctx.translator, labels.COURSE_KIND),
        specialties=[(s.code, ctx.translator.name(s.names)) for s in _specialties(ctx)],
        institutions=_choices(ctx, Institution),
        may_create=may_create_course(actor),
    )


def _download(
    ctx: Ctx,
    listing: exports.Listing[Any],
    rows: Iterable[Any],
    export: exports.ExportFormat,
    suffix: str,
) -> Response:
    return exports.download(
        listing, rows, export_format=export, translator=ctx.translator, suffix=suffix
    )


def _specialties(ctx: Ctx) -> list[Specialty]:
    rows = directory_service.choices(db=ctx.db, actor=ctx.actor, model=Specialty)
    return sorted(rows, key=lambda s: ctx.translator.name(s.names).casefold())


@router.get("/training/mine", response_class=HTMLResponse)
def my_courses(ctx: PageCtx) -> Response:
    """The trainee's own courses, with their status, attendance and hours (in the room and
    online), and their online sessions: the join link while one is open, the recordings."""
    enrolments = service.my_enrolments(db=ctx.db, actor=ctx.actor)
    return _render(
        ctx,
        "training/mine.html",
        enrolments=enrolments,
        percents=service.attendance_percents(ctx.db, enrolments),
        attended=attendance.time_attended(ctx.db, enrolments),
        offers=online.offers(
            db=ctx.db, secret_key=_secret(ctx), enrolments=enrolments, now=clock.now()
        ),
    )


# --- course form ----------------------------------------------------------------------------


def _course_form(
    ctx: Ctx, course: Course | None, form: Mapping[str, Any], refusal: Refusal | None = None
) -> Response:
    errors, status = _refusal(refusal)
    return _render(
        ctx,
        "training/course_form.html",
        status,
        course=course,
        form=form,
        errors=errors,
        kinds=labelled_options(ctx.translator, labels.COURSE_KIND),
        programs=named_options(
            ctx.translator,
            directory_service.choices(db=ctx.db, actor=ctx.actor, model=Program),
        ),
        specialties=[(s.code, ctx.translator.name(s.names)) for s in _specialties(ctx)],
        institutions=_choices(ctx, Institution),
        languages=list(labels.LANGUAGE_NAMES.items()),
    )


@router.get("/training/new", response_class=HTMLResponse)
def new_course(ctx: PageCtx) -> Response:
    """The form of a new course, for coordinators."""
    if not may_create_course(ctx.actor):
        raise AccessDenied(Course.__tablename__, None, Action.CHANGE)
    defaults = {"kind": "qualification_course", "language": "ru", "min_attendance_percent": 80}
    return _course_form(ctx, None, defaults)


@router.post("/training", response_class=HTMLResponse)
def create_course(ctx: PageCtx, form: Form) -> Response:
    """Save a new course and open it; a refusal comes back beside its fields."""
    actor = ctx.actor
    return save_then(
        ctx,
        form,
        CourseCreate,
        lambda data: service.create_course(db=ctx.db, actor=actor, data=data),
        done=lambda saved: f"/training/courses/{saved.id}",
        again=lambda refusal: _course_form(ctx, None, form, refusal),
    )


@router.get("/training/courses/{course_id}/edit", response_class=HTMLResponse)
def edit_course(ctx: PageCtx, course_id: PathId) -> Response:
    course = get_for(ctx.db, ctx.actor, Course, course_id, Action.CHANGE)
    return _course_form(ctx, course, form_values(course, CourseCreate))


@router.post("/training/courses/{course_id}/edit", response_class=HTMLResponse)
def update_course(ctx: PageCtx, course_id: PathId, form: Form) -> Response:
    actor = ctx.actor
    course = get_for(ctx.db, actor, Course, course_id, Action.CHANGE)
    return save_then(
        ctx,
        form,
        CourseUpdate,
        lambda data: service.update_course(db=ctx.db, actor=actor, course=course, data=data),
        done=f"/training/courses/{course.id}",
        again=lambda refusal: _course_form(ctx, course, form, refusal),
    )


# --- a course -------------------------------------------------------------------------------


@router.get("/training/courses/{course_id}", response_class=HTMLResponse)
def course_page(
    ctx: PageCtx,
    course_id: PathId,
    filters: Annotated[EnrolmentFilter, Query()],
    export: FormatQuery = None,
) -> Response:
    """A course: its facts, sessions, and the enrolments the reader may see, searched by the
    trainee's name in either script and by status, paged (as a file, every enrolment found)."""
    course = get_for(ctx.db, ctx.actor, Course, course_id)
    if export is not None:
        enrolments = service.list_enrolments(
            db=ctx.db, actor=ctx.actor, course=course, filters=filters
        )
        percents = service.attendance_percents(ctx.db, enrolments)
        rows = lists.enrolment_rows(enrolments, percents)
        return _download(ctx, lists.ENROLMENTS, rows, export, course.code)
    return _course_page(ctx, course, filters=filters)


def _course_page(
    ctx: Ctx,
    course: Course,
    refusal: Refusal | None = None,
    filters: EnrolmentFilter | None = None,
) -> Response:
    errors, status = _refusal(refusal)
    actor = ctx.actor
    filters = filters or EnrolmentFilter()
    manages = service.may_manage(ctx.db, actor, course)
    page = service.page_enrolments(
        db=ctx.db, actor=actor, course=course, filters=filters, size=page_size(ctx)
    )
    me = service.person_of(ctx.db, actor)
    mine = service.enrolment_of(ctx.db, course, me)
    offers = (
        online.offers(db=ctx.db, secret_key=_secret(ctx), enrolments=[mine], now=clock.now())
        if mine
        else []
    )
    return _render(
        ctx,
        "training/course.html",
        status,
        course=course,
        zone=service.course_zone(course).key,
        sessions=service.list_sessions(db=ctx.db, course=course),
        offers={o.session.id: o for o in offers},
        modes=labelled_options(ctx.translator, labels.SESSION_MODE),
        page=page,
        filters=pager_params(filters),
        percents=service.attendance_percents(ctx.db, page.items),
        seats_left=service.seats_left(ctx.db, course),
        manages=manages,
        mine=mine,
        may_ask=me is not None,
        people=_choices(ctx, Person) if manages else [],
        languages=list(labels.LANGUAGE_NAMES.items()),
        errors=errors,
        form={},
    )


def _on_course(
    ctx: Ctx, course: Course, form: Mapping[str, Any], schema: type[Any], save: Callable[[Any], Any]
) -> Response:
    """A form of the course page: back to it, or the page again with the refusal."""
    return save_then(
        ctx,
        form,
        schema,
        save,
        done=f"/training/courses/{course.id}",
        again=lambda refusal: _course_page(ctx, course, refusal),
        pick=pickers.picks(ctx.db, ctx.actor, ctx.translator, people=("person_id",)),
    )


@router.post("/training/courses/{course_id}/enrolments", response_class=HTMLResponse)
def enrol(ctx: PageCtx, course_id: PathId, form: Form) -> Response:
    """A coordinator enrolling a person (a seat, else the waiting list)."""
    actor = ctx.actor
    course = get_for(ctx.db, actor, Course, course_id, Action.CHANGE)
    return _on_course(
        ctx,
        course,
        form,
        EnrolmentCreate,
        lambda data: service.enrol(
            db=ctx.db,
            actor=actor,
            course=course,
            person_id=data.person_id,
            language=data.language,
        ),
    )


@router.post("/training/courses/{course_id}/request", response_class=HTMLResponse)
def request_place(ctx: PageCtx, course_id: PathId, form: Form) -> Response:
    """A trainee asking for a place."""
    actor = ctx.actor
    course = get_for(ctx.db, actor, Course, course_id)
    return _on_course(
        ctx,
        course,
        form,
        SelfEnrolment,
        lambda data: service.request_enrolment(
            db=ctx.db, actor=actor, course=course, language=data.language
        ),
    )


@router.post("/training/courses/{course_id}/sessions", response_class=HTMLResponse)
def add_session(ctx: PageCtx, course_id: PathId, form: Form) -> Response:
    """A new session, its hours on the clocks of the host's city."""
    actor = ctx.actor
    course = get_for(ctx.db, actor, Course, course_id, Action.CHANGE)
    zone = service.course_zone(course)
    return _on_course(
        ctx,
        course,
        form,
        SessionForm,
        lambda data: service.add_session(
            db=ctx.db, actor=actor, course=course, data=data.instants(zone)
        ),
    )


#: The steps of an enrolment and the right to it each needs: its trainee, who may see it, may
#: withdraw it (the service asks anybody else to manage it); the others are the managers'.
_ENROLMENT_STEPS: dict[str, tuple[Callable[..., Enrolment], Action]] = {
    "approve": (service.approve, Action.CHANGE),
    "withdraw": (service.withdraw, Action.VIEW),
    "complete": (service.evaluate_completion, Action.CHANGE),
}


@router.post("/training/enrolments/{enrolment_id}/{step}", response_class=HTMLResponse)
def enrolment_step(ctx: PageCtx, enrolment_id: PathId, step: PathStep, form: Form) -> Response:
    """Approve a request, withdraw, record the score or apply the completion rule."""
    actor = ctx.actor
    if step == "score":
        enrolment = get_for(ctx.db, actor, Enrolment, enrolment_id, Action.CHANGE)
        return _on_course(
            ctx,
            enrolment.course,
            form,
            ScoreChange,
            lambda data: service.set_score(
                db=ctx.db, actor=actor, enrolment=enrolment, score=data.score
            ),
        )
    if step not in _ENROLMENT_STEPS:
        raise NotFound("step", step)
    act, action = _ENROLMENT_STEPS[step]
    enrolment = get_for(ctx.db, actor, Enrolment, enrolment_id, action)
    return _on_course(
        ctx,
        enrolment.course,
        form,
        SelfEnrolment,
        lambda _data: act(db=ctx.db, actor=actor, enrolment=enrolment),
    )


# --- a session: the QR screen, the list, the check-in ---------------------------------------


def _secret(ctx: Ctx) -> str:
    return settings_of(ctx.request).resolved_secret_key()


def _session_page(
    ctx: Ctx,
    session: CourseSession,
    refusal: Refusal | None = None,
    form: Mapping[str, Any] | None = None,
) -> Response:
    errors, status = _refusal(refusal)
    return _render(
        ctx,
        "training/session.html",
        status,
        session=session,
        course=session.course,
        zone=service.session_zone(session).key,
        rows=attendance.session_list(ctx.db, session),
        errors=errors,
        refresh=attendance.WINDOW_SECONDS,
        form=form_values(session, SessionLinks) if form is None else form,
        modes=labelled_options(ctx.translator, labels.SESSION_MODE),
    )


@router.get("/training/sessions/{session_id}", response_class=HTMLResponse)
def session_page(ctx: PageCtx, session_id: PathId) -> Response:
    """A session for its coordinators: the QR code to put on the screen and the list."""
    session = get_for(ctx.db, ctx.actor, CourseSession, session_id, Action.CHANGE)
    return _session_page(ctx, session)


@router.get("/training/sessions/{session_id}/qr", response_class=HTMLResponse)
def session_qr(ctx: PageCtx, session_id: PathId) -> Response:
    """The QR code of now (htmx swaps it in every window)."""
    session = get_for(ctx.db, ctx.actor, CourseSession, session_id, Action.CHANGE)
    token = attendance.checkin_token(secret_key=_secret(ctx), session_id=session.id)
    url = str(ctx.request.url_for("check_in", session_id=session.id).include_query_params(t=token))
    svg = segno.make(url, error="m").svg_inline(omitsize=True, title=ctx._("Check-in code"))
    return _render(
        ctx,
        "training/_qr.html",
        svg=svg,
        url=url,
        seconds=attendance.seconds_to_next_code(),
    )


@router.post("/training/sessions/{session_id}/attendance", response_class=HTMLResponse)
def mark_attendance(ctx: PageCtx, session_id: PathId, form: Form) -> Response:
    """Save who was present from the coordinator's list."""
    actor = ctx.actor
    session = get_for(ctx.db, actor, CourseSession, session_id, Action.CHANGE)
    return save_then(
        ctx,
        {"present": [], "online": [], **form},
        AttendanceList,
        lambda data: attendance.mark_attendance(
            db=ctx.db,
            actor=actor,
            session=session,
            present=set(data.present),
            online=set(data.online),
        ),
        done=f"/training/sessions/{session.id}",
        again=lambda refusal: _session_page(ctx, session, refusal),
    )


@router.post("/training/sessions/{session_id}/links", response_class=HTMLResponse)
def set_links(ctx: PageCtx, session_id: PathId, form: Form) -> Response:
    """Hold the session online or hybrid with its meeting link, and add the recording."""
    actor = ctx.actor
    session = get_for(ctx.db, actor, CourseSession, session_id, Action.CHANGE)
    return save_then(
        ctx,
        form,
        SessionLinks,
        lambda data: service.set_session_links(db=ctx.db, actor=actor, session=session, data=data),
        done=f"/training/sessions/{session.id}",
        again=lambda refusal: _session_page(ctx, session, refusal, form),
    )


@router.get("/training/sessions/{session_id}/join", response_class=HTMLResponse)
def join(ctx: PageCtx, session_id: PathId, token: CheckInToken = "") -> Response:
    """A trainee following their personal join link: present online, then on to the meeting;
    or told plainly why not. A GET that writes, as the QR check-in: the signed token names
    the trainee's enrolment, and following it again changes nothing."""
    session = get_for(ctx.db, ctx.actor, CourseSession, session_id)
    try:
        with ctx.db.begin_nested():
            online.join(
                db=ctx.db,
                actor=ctx.actor,
                session=session,
                token=token,
                secret_key=_secret(ctx),
                now=clock.now(),
            )
    except UserError as error:
        message = error.errors[0].message.render(ctx.language)
        return _render(ctx, "training/check_in.html", 422, session=session, refusal=message)
    return see_other(str(session.meeting_url))


@router.get("/training/check-in/{session_id}", response_class=HTMLResponse)
def check_in(ctx: PageCtx, session_id: PathId, t: CheckInToken = "") -> Response:
    """A trainee's phone opening the QR code: checked in, or told plainly why not.

    A GET that writes: the signed, short-lived token in the address is what a forged request
    cannot have, and a second scan only reports that the trainee is already checked in.
    """
    session = get_for(ctx.db, ctx.actor, CourseSession, session_id)
    try:
        with ctx.db.begin_nested():
            result = attendance.check_in(
                db=ctx.db, actor=ctx.actor, session=session, token=t, secret_key=_secret(ctx)
            )
    except UserError as error:
        message = error.errors[0].message.render(ctx.language)
        return _render(ctx, "training/check_in.html", 422, session=session, refusal=message)
    return _render(
        ctx,
        "training/check_in.html",
        session=session,
        refusal=None,
        already=result.already,
        zone=service.session_zone(session).key,
    )


# --- bulk enrolment -------------------------------------------------------------------------


def _import_page(ctx: Ctx, course: Course, status: int = 200, **context: Any) -> Response:
    defaults: dict[str, Any] = {"errors": {}, "result": None}
    return _render(
        ctx,
        "training/import.html",
        status,
        course=course,
        columns=columns_of(EnrolmentRow),
        **{**defaults, **context},
    )


@router.get("/training/courses/{course_id}/import", response_class=HTMLResponse)
def import_form(ctx: PageCtx, course_id: PathId) -> Response:
    return _import_page(ctx, get_for(ctx.db, ctx.actor, Course, course_id, Action.CHANGE))


@router.post("/training/courses/{course_id}/import", response_class=HTMLResponse)
def import_upload(form: Form, ctx: PageCtx, course_id: PathId) -> Response:
    """Enrol the people of the uploaded file: all of them, or none and what to correct; a file
    of thousands of rows is imported by a job, whose page shows its progress.

    The form comes first: a slow upload holds no database connection while it arrives."""
    actor = ctx.actor
    course = get_for(ctx.db, actor, Course, course_id, Action.CHANGE)
    upload = form.get("file")
    if not isinstance(upload, Upload):
        message = ctx._(N_("This field is required."))
        return _import_page(ctx, course, REFUSED, errors={"file": message})
    try:
        # A refused file writes nothing; the savepoint undoes a write the service refused.
        with ctx.db.begin_nested():
            outcome = import_jobs.start_upload(
                ctx,
                upload,
                kind=IMPORT_JOB,
                back=f"/training/courses/{course.id}/import",
                options={"course_id": course.id},
                run_now=lambda file, limits: import_enrolments(
                    db=ctx.db, actor=actor, course=course, file=file, limits=limits
                ),
            )
    except UserError as error:
        return _import_page(ctx, course, error.status_code, errors=error_map(error, ctx.language))
    if isinstance(outcome, Job):
        return see_other(f"/imports/{outcome.id}")
    return _import_page(ctx, course, 200 if outcome.ok else REFUSED, result=outcome)


# --- the cascade ----------------------------------------------------------------------------


def _reach_page(ctx: Ctx, course: Course, refusal: Refusal | None = None) -> Response:
    errors, status = _refusal(refusal)
    actor = ctx.actor
    manages = service.may_manage(ctx.db, actor, course)
    return _render(
        ctx,
        "training/reach.html",
        status,
        course=course,
        reach=cascade.reach(db=ctx.db, course=course),
        manages=manages,
        people=_choices(ctx, Person) if manages else [],
        institutions=_choices(ctx, Institution) if manages else [],
        errors=errors,
        form={},
    )


@router.get("/training/courses/{course_id}/reach", response_class=HTMLResponse)
def reach_page(ctx: PageCtx, course_id: PathId, export: FormatQuery = None) -> Response:
    """How far the course went: the cascade as a tree and as figures by place (as a file,
    the figures by place)."""
    course = get_for(ctx.db, ctx.actor, Course, course_id)
    if export is not None:
        places = cascade.reach(db=ctx.db, course=course).places
        return _download(ctx, lists.REACH, places, export, course.code)
    return _reach_page(ctx, course)


def _on_reach(
    ctx: Ctx, course: Course, form: Mapping[str, Any], schema: type[Any], save: Callable[[Any], Any]
) -> Response:
    """A form of the reach page: back to it, or the page again with the refusal."""
    return save_then(
        ctx,
        {**form, "course_id": str(course.id)},
        schema,
        save,
        done=f"/training/courses/{course.id}/reach",
        again=lambda refusal: _reach_page(ctx, course, refusal),
        pick=pickers.picks(
            ctx.db,
            ctx.actor,
            ctx.translator,
            people=("mentor_id", "mentee_id", "attendee_ids"),
            multiple=("attendee_ids",),
        ),
    )


@router.post("/training/courses/{course_id}/mentorships", response_class=HTMLResponse)
def add_mentorship(ctx: PageCtx, course_id: PathId, form: Form) -> Response:
    actor = ctx.actor
    course = get_for(ctx.db, actor, Course, course_id)
    return _on_reach(
        ctx,
        course,
        form,
        MentorshipCreate,
        lambda data: cascade.add_mentorship(db=ctx.db, actor=actor, data=data),
    )


@router.post("/training/courses/{course_id}/cascade-sessions", response_class=HTMLResponse)
def record_cascade_session(ctx: PageCtx, course_id: PathId, form: Form) -> Response:
    actor = ctx.actor
    course = get_for(ctx.db, actor, Course, course_id)
    return _on_reach(
        ctx,
        course,
        {"attendee_ids": [], **form},
        CascadeSessionCreate,
        lambda data: cascade.record_session(db=ctx.db, actor=actor, data=data),
    )
