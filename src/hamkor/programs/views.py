"""Pages of the programs module: programs, their calendars, brigades, participants, activities.

Routes go in a fixed order: load (404), check access (403, audited), call the service, render.
A refused form comes back with status 422 and each message beside its field; its work is done
in a savepoint, so a refusal leaves nothing written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from hamkor.core import clock, exports
from hamkor.core.access import AccessDenied, Action, get_for
from hamkor.core.dates import OptionalSearchDate
from hamkor.core.exports import FormatQuery
from hamkor.core.forms import PathId
from hamkor.core.i18n import N_, Message, Translator, match_language
from hamkor.core.pages import (
    Picks,
    Refusal,
    form_of,
    form_values,
    labelled_options,
    named_options,
    page_size,
    pager_params,
    save_form,
    save_then,
    told,
)
from hamkor.core.text import LanguageTag
from hamkor.core.web import Ctx, FeedCtx, Form, PageCtx
from hamkor.directory import pickers
from hamkor.directory import service as directory_service
from hamkor.directory.models import City, Country, Institution, Person, Room, Specialty
from hamkor.programs import exports as lists
from hamkor.programs import labels, service
from hamkor.programs.calendar import CalendarBy, local_day
from hamkor.programs.conflicts import describe
from hamkor.programs.filters import ActivityFilter, ParticipantFilter, ProgramFilter
from hamkor.programs.models import (
    Activity,
    ActivityKind,
    ActivityStatus,
    Delegation,
    Participation,
    ParticipationRole,
    Program,
    ProgramKind,
)
from hamkor.programs.routes import child
from hamkor.programs.schemas import (
    ActivityCreate,
    ActivityUpdate,
    DelegationCreate,
    DelegationRead,
    DelegationUpdate,
    ParticipationCreate,
    ParticipationUpdate,
    ProgramCreate,
    ProgramRead,
    ProgramStatusChange,
    ProgramUpdate,
)
from hamkor.programs.timetable import TimetableBy

router = APIRouter(include_in_schema=False)
Options = list[tuple[Any, str]]
Errors = dict[str, str]


# --- helpers shared by the pages ------------------------------------------------------------


def _render(ctx: Ctx, template: str, status_code: int = 200, **context: Any) -> Response:
    """A page of this module, with the label maps and the conflict sentences at hand."""
    return ctx.render(
        template,
        status_code,
        labels=labels,
        describe=lambda conflict: describe(conflict, ctx.translator),
        local_day=local_day,
        **context,
    )


def _refusal(refusal: Refusal | None) -> tuple[Errors, int]:
    """A form's errors beside their fields and its status: 422 when it was refused."""
    return ({}, 200) if refusal is None else (refusal.errors, refusal.status_code)


def _choices(ctx: Ctx, model: type[Any]) -> Options:
    """The rows of a directory table the reader may see, as a select box's options."""
    return named_options(
        ctx.translator, directory_service.choices(db=ctx.db, actor=ctx.actor, model=model)
    )


def _download(
    ctx: Ctx,
    listing: exports.Listing[Any],
    rows: Iterable[Any],
    export: exports.ExportFormat,
    program: Program,
) -> Response:
    """A list of the program as a file, named with the program's code."""
    return exports.download(
        listing, rows, export_format=export, translator=ctx.translator, suffix=program.code
    )


def _with_lists(form: Mapping[str, Any], *names: str) -> dict[str, Any]:
    """The form with its multiple selects: a browser posts nothing when none is chosen."""
    return {**{name: [] for name in names}, **form}


# --- programs -------------------------------------------------------------------------------


@router.get("/programs", response_class=HTMLResponse)
def programs(ctx: PageCtx, filters: Annotated[ProgramFilter, Query()]) -> Response:
    """The programs list: search, filters by status, kind and country, pages."""
    actor = ctx.actor
    page = service.list_programs(db=ctx.db, actor=actor, filters=filters, page_size=page_size(ctx))
    return _render(
        ctx,
        "programs/list.html",
        page=page,
        figures=service.figures(db=ctx.db, program_ids=[p.id for p in page.items]),
        filters=pager_params(filters),
        countries=_choices(ctx, Country),
        may_create=service.may_create_program(actor),
    )


def _program_form(
    ctx: Ctx, program: Program | None, form: Mapping[str, Any], refusal: Refusal | None = None
) -> Response:
    errors, status = _refusal(refusal)
    return _render(
        ctx,
        "programs/program_form.html",
        status,
        program=program,
        form=form,
        errors=errors,
        kinds=labelled_options(ctx.translator, labels.PROGRAM_KIND),
        countries=_choices(ctx, Country),
    )


@router.get("/programs/new", response_class=HTMLResponse)
def new_program(ctx: PageCtx) -> Response:
    """The form of a new program, for coordinators of all programs."""
    if not service.may_create_program(ctx.actor):
        raise AccessDenied(Program.__tablename__, None, Action.CHANGE)
    return _program_form(ctx, None, {"kind": ProgramKind.MEDICAL_DAYS.value})


@router.post("/programs", response_class=HTMLResponse)
def create_program(ctx: PageCtx, form: Form) -> Response:
    """Save a new program and open it; a refusal comes back beside its fields."""
    actor = ctx.actor
    program = save_form(
        ctx,
        form,
        ProgramCreate,
        lambda data: service.create_program(db=ctx.db, actor=actor, data=data),
    )
    if isinstance(program, Refusal):
        return _program_form(ctx, None, form, program)
    return told(ctx, f"/programs/{program.id}", Message(N_("The program is created.")))


def overview_page(
    ctx: Ctx,
    program: Program,
    refusal: Refusal | None = None,
    *,
    template: str = "programs/program.html",
    **context: Any,
) -> Response:
    """The program's overview, in ``template`` (which extends ``programs/program.html``) with
    ``context``. Read at its address, the overview is the program's dashboard, which the
    reports module draws on top of it (``reports.views``); a refused status change comes back
    here, on the plain overview."""
    errors, status = _refusal(refusal)
    overview = service.overview(db=ctx.db, actor=ctx.actor, program=program)
    return _render(
        ctx,
        template,
        status,
        program=program,
        overview=overview,
        status_error=errors.get("status"),
        **context,
    )


@router.get("/programs/{program_id}/edit", response_class=HTMLResponse)
def edit_program(ctx: PageCtx, program_id: PathId) -> Response:
    """The form of the program's names, countries and dates."""
    program = get_for(ctx.db, ctx.actor, Program, program_id, Action.CHANGE)
    return _program_form(ctx, program, form_values(program, ProgramRead))


@router.post("/programs/{program_id}/edit", response_class=HTMLResponse)
def update_program(ctx: PageCtx, program_id: PathId, form: Form) -> Response:
    """Save the program's changes; a refusal comes back beside its fields."""
    actor = ctx.actor
    program = get_for(ctx.db, actor, Program, program_id, Action.CHANGE)
    return save_then(
        ctx,
        form,
        ProgramUpdate,
        lambda data: service.update_program(db=ctx.db, actor=actor, program=program, data=data),
        done=f"/programs/{program.id}",
        again=lambda refusal: _program_form(ctx, program, form, refusal),
    )


@router.post("/programs/{program_id}/status", response_class=HTMLResponse)
def change_status(ctx: PageCtx, program_id: PathId, form: Form) -> Response:
    """Move the program on in its life, or cancel it."""
    actor = ctx.actor
    program = get_for(ctx.db, actor, Program, program_id, Action.CHANGE)
    return save_then(
        ctx,
        form,
        ProgramStatusChange,
        lambda data: service.change_status(
            db=ctx.db, actor=actor, program=program, status=data.status
        ),
        done=f"/programs/{program.id}",
        again=lambda refusal: overview_page(ctx, program, refusal),
        said=lambda changed: Message(
            N_("The program is now: %(status)s."),
            {"status": ctx._(labels.PROGRAM_STATUS[changed.status])},
        ),
    )


# --- calendars and feeds --------------------------------------------------------------------


@router.get("/programs/{program_id}/calendar", response_class=HTMLResponse)
def calendar_page(
    ctx: PageCtx,
    program_id: PathId,
    filters: Annotated[ActivityFilter, Query()],
    by: CalendarBy = CalendarBy.DAY,
    day: OptionalSearchDate = None,
    saved: int | None = None,
    export: FormatQuery = None,
) -> Response:
    """The program's calendar, one day at a time (issue 20: the whole of it ran to 17,000 px),
    in one of four groupings, its conflicts flagged on the rows; with ``?format=csv|xlsx``,
    the rows of the page as a file.

    ``saved`` is the activity a form just saved: its conflicts are shown at the top."""
    actor = ctx.actor
    program = get_for(ctx.db, actor, Program, program_id)
    view = service.calendar_view(
        db=ctx.db,
        actor=actor,
        program=program,
        by=by,
        filters=filters,
        day=day,
        now=clock.now(),
        translator=ctx.translator,
    )
    if export is not None:
        rows = lists.calendar_rows(view.groups, view.flagged)
        return _download(ctx, lists.CALENDAR, rows, export, program)
    return _render(
        ctx,
        "programs/calendar.html",
        program=program,
        view=view,
        by=by,
        views=list(CalendarBy),
        saved=saved,
        may_change=service.may_change(ctx.db, actor, program),
        filters=filters.model_dump(by_alias=True, mode="json"),
        cities=_choices(ctx, City),
        specialties=_choices(ctx, Specialty),
    )


@router.get("/programs/{program_id}/timetable", response_class=HTMLResponse)
def timetable_page(
    ctx: PageCtx,
    program_id: PathId,
    by: TimetableBy = TimetableBy.ROOM,
    day: OptionalSearchDate = None,
) -> Response:
    """One day of the program as a grid: lanes of rooms, specialists or cities, activities as
    blocks sized by their duration, conflicts marked on them; printable on A4 landscape."""
    actor = ctx.actor
    program = get_for(ctx.db, actor, Program, program_id)
    view = service.timetable_view(
        db=ctx.db,
        actor=actor,
        program=program,
        by=by,
        day=day,
        now=clock.now(),
        translator=ctx.translator,
    )
    return _render(
        ctx,
        "programs/timetable.html",
        program=program,
        view=view,
        by=by,
        views=list(TimetableBy),
        may_change=service.may_change(ctx.db, actor, program),
    )


def _feed_response(content: bytes, filename: str) -> Response:
    return Response(
        content,
        media_type="text/calendar; charset=utf-8",
        headers={"content-disposition": f'inline; filename="{filename}"'},
    )


def _feed_translator(ctx: Ctx, lang: str | None) -> Translator:
    """The reader's language, or the one the feed's address asks for (``?lang=kk``)."""
    return Translator(match_language(lang) or ctx.language)


@router.get("/programs/{program_id}/calendar.ics")
def program_feed(ctx: FeedCtx, program_id: PathId, lang: LanguageTag | None = None) -> Response:
    """The program's activities for calendar apps (session or ``Authorization: Bearer``)."""
    actor = ctx.actor
    program = get_for(ctx.db, actor, Program, program_id)
    content = service.feed(
        db=ctx.db, actor=actor, translator=_feed_translator(ctx, lang), program=program
    )
    return _feed_response(content, f"{program.code}.ics")


@router.get("/programs/{program_id}/people/{person_id}/calendar.ics")
def program_person_feed(
    ctx: FeedCtx, program_id: PathId, person_id: PathId, lang: LanguageTag | None = None
) -> Response:
    """One person's activities in the program: those they lead and those of their brigade."""
    actor = ctx.actor
    program = get_for(ctx.db, actor, Program, program_id)
    person = get_for(ctx.db, actor, Person, person_id)
    content = service.feed(
        db=ctx.db,
        actor=actor,
        translator=_feed_translator(ctx, lang),
        program=program,
        person=person,
    )
    return _feed_response(content, f"{program.code}-{person.id}.ics")


@router.get("/people/{person_id}/calendar.ics")
def person_feed(ctx: FeedCtx, person_id: PathId, lang: LanguageTag | None = None) -> Response:
    """One person's activities in every program the reader may see."""
    actor = ctx.actor
    person = get_for(ctx.db, actor, Person, person_id)
    content = service.feed(
        db=ctx.db, actor=actor, translator=_feed_translator(ctx, lang), person=person
    )
    return _feed_response(content, f"person-{person.id}.ics")


@router.get("/programs/{program_id}/itinerary", response_class=HTMLResponse)
def itinerary_page(ctx: PageCtx, program_id: PathId, export: FormatQuery = None) -> Response:
    """Every brigade's itinerary, printable, or as a file."""
    actor = ctx.actor
    program = get_for(ctx.db, actor, Program, program_id)
    itineraries = service.itineraries(db=ctx.db, actor=actor, program=program)
    if export is not None:
        rows = lists.itinerary_rows(itineraries)
        return _download(ctx, lists.ITINERARIES, rows, export, program)
    return _render(ctx, "programs/itinerary.html", program=program, itineraries=itineraries)


# --- activities -----------------------------------------------------------------------------


def _activity_form(
    ctx: Ctx,
    program: Program,
    activity: Activity | None,
    form: Mapping[str, Any],
    refusal: Refusal | None = None,
) -> Response:
    actor = ctx.actor
    errors, status = _refusal(refusal)
    rooms = directory_service.choices(db=ctx.db, actor=actor, model=Room)
    room_options = sorted(
        (
            (
                room.id,
                f"{ctx.translator.name(room.institution.names)} · "
                f"{ctx.translator.name(room.names)} ({room.capacity})",
            )
            for room in rooms
        ),
        key=lambda option: option[1].casefold(),
    )
    people = service.program_people(
        db=ctx.db, actor=actor, program=program, also=activity.leads if activity else ()
    )
    delegations = service.list_delegations(db=ctx.db, actor=actor, program=program)
    return _render(
        ctx,
        "programs/activity_form.html",
        status,
        program=program,
        activity=activity,
        form=form,
        errors=errors,
        kinds=labelled_options(ctx.translator, labels.ACTIVITY_KIND),
        statuses=labelled_options(ctx.translator, labels.ACTIVITY_STATUS),
        specialties=_choices(ctx, Specialty),
        cities=_choices(ctx, City),
        institutions=_choices(ctx, Institution),
        rooms=room_options,
        people=named_options(ctx.translator, people),
        delegations=named_options(ctx.translator, delegations),
    )


def _activity_picks(ctx: Ctx) -> Picks:
    """The activity form's pickers: its room and its leads, typed or suggested."""
    return pickers.picks(
        ctx.db,
        ctx.actor,
        ctx.translator,
        people=("lead_ids",),
        rooms=("room_id",),
        multiple=("lead_ids",),
    )


def _saved_activity_url(activity: Activity) -> str:
    """The calendar, showing the conflicts the saved activity may have brought."""
    day, shown = local_day(activity).isoformat(), activity.id
    return f"/programs/{activity.program_id}/calendar?day={day}&saved={shown}#activity-{shown}"


@router.get("/programs/{program_id}/activities/new", response_class=HTMLResponse)
def new_activity(ctx: PageCtx, program_id: PathId) -> Response:
    """The form of a new activity, on the program's first day."""
    program = get_for(ctx.db, ctx.actor, Program, program_id, Action.CHANGE)
    defaults = {
        "kind": ActivityKind.MASTER_CLASS.value,
        "status": ActivityStatus.PLANNED.value,
        "day": program.starts_on.isoformat(),
        "trainee_capacity": 0,
    }
    return _activity_form(ctx, program, None, defaults)


@router.post("/programs/{program_id}/activities", response_class=HTMLResponse)
def create_activity(ctx: PageCtx, program_id: PathId, form: Form) -> Response:
    """Save a new activity and show it on the calendar with any conflict it brings."""
    actor = ctx.actor
    program = get_for(ctx.db, actor, Program, program_id, Action.CHANGE)
    activity = save_form(
        ctx,
        form,
        ActivityCreate,
        lambda data: service.create_activity(db=ctx.db, actor=actor, program=program, data=data),
        _activity_picks(ctx),
    )
    if isinstance(activity, Refusal):
        return _activity_form(ctx, program, None, form, activity)
    return told(ctx, _saved_activity_url(activity), Message(N_("The activity is added.")))


@router.get("/activities/{activity_id}/edit", response_class=HTMLResponse)
def edit_activity(ctx: PageCtx, activity_id: PathId) -> Response:
    """The form of an activity, its time on the clocks of its city."""
    activity = get_for(ctx.db, ctx.actor, Activity, activity_id, Action.CHANGE)
    form = form_of(service.activity_values(activity))
    return _activity_form(ctx, activity.program, activity, form)


@router.post("/activities/{activity_id}/edit", response_class=HTMLResponse)
def update_activity(ctx: PageCtx, activity_id: PathId, form: Form) -> Response:
    """Save an activity's changes and show it on the calendar with its conflicts."""
    actor = ctx.actor
    activity = get_for(ctx.db, actor, Activity, activity_id, Action.CHANGE)
    return save_then(
        ctx,
        _with_lists(form, "lead_ids"),
        ActivityUpdate,
        lambda data: service.update_activity(db=ctx.db, actor=actor, activity=activity, data=data),
        done=_saved_activity_url(activity),
        again=lambda refusal: _activity_form(ctx, activity.program, activity, form, refusal),
        pick=_activity_picks(ctx),
    )


@router.post("/activities/{activity_id}/delete")
def delete_activity(ctx: PageCtx, activity_id: PathId, _form: Form) -> Response:
    """Delete an activity entered by mistake."""
    actor = ctx.actor
    activity = get_for(ctx.db, actor, Activity, activity_id, Action.CHANGE)
    program_id = activity.program_id
    service.delete_activity(db=ctx.db, actor=actor, activity=activity)
    deleted = Message(N_("The activity is deleted."))
    return told(ctx, f"/programs/{program_id}/calendar", deleted)


# --- delegations (brigades) -----------------------------------------------------------------


@router.get("/programs/{program_id}/delegations", response_class=HTMLResponse)
def delegations(ctx: PageCtx, program_id: PathId) -> Response:
    """The program's brigades with their member and activity counts."""
    actor = ctx.actor
    program = get_for(ctx.db, actor, Program, program_id)
    return _render(
        ctx,
        "programs/delegations.html",
        program=program,
        summaries=service.summarize_delegations(db=ctx.db, actor=actor, program=program),
        may_change=service.may_change(ctx.db, actor, program),
    )


def _delegation_form(
    ctx: Ctx,
    program: Program,
    delegation: Delegation | None,
    form: Mapping[str, Any],
    refusal: Refusal | None = None,
) -> Response:
    errors, status = _refusal(refusal)
    return _render(
        ctx,
        "programs/delegation_form.html",
        status,
        program=program,
        delegation=delegation,
        form=form,
        errors=errors,
        institutions=_choices(ctx, Institution),
    )


@router.get("/programs/{program_id}/delegations/new", response_class=HTMLResponse)
def new_delegation(ctx: PageCtx, program_id: PathId) -> Response:
    """The form of a new brigade."""
    program = get_for(ctx.db, ctx.actor, Program, program_id, Action.CHANGE)
    return _delegation_form(ctx, program, None, {})


@router.post("/programs/{program_id}/delegations", response_class=HTMLResponse)
def create_delegation(ctx: PageCtx, program_id: PathId, form: Form) -> Response:
    """Save a new brigade and open it."""
    actor = ctx.actor
    program = get_for(ctx.db, actor, Program, program_id, Action.CHANGE)
    delegation = save_form(
        ctx,
        form,
        DelegationCreate,
        lambda data: service.create_delegation(db=ctx.db, actor=actor, program=program, data=data),
    )
    if isinstance(delegation, Refusal):
        return _delegation_form(ctx, program, None, form, delegation)
    formed = Message(N_("The brigade is formed."))
    return told(ctx, f"/programs/{program.id}/delegations/{delegation.id}", formed)


@router.get("/programs/{program_id}/delegations/{delegation_id}", response_class=HTMLResponse)
def delegation_page(ctx: PageCtx, program_id: PathId, delegation_id: PathId) -> Response:
    """A brigade: its members and its itinerary across cities."""
    actor = ctx.actor
    delegation = child(ctx, Delegation, program_id, delegation_id)
    program = delegation.program
    return _render(
        ctx,
        "programs/delegation.html",
        program=program,
        delegation=delegation,
        members=service.list_participations(
            db=ctx.db, actor=actor, program=program, delegation_id=delegation.id
        ),
        itineraries=service.itineraries(
            db=ctx.db, actor=actor, program=program, delegation_id=delegation.id
        ),
        may_change=service.may_change(ctx.db, actor, program),
    )


@router.get("/programs/{program_id}/delegations/{delegation_id}/edit", response_class=HTMLResponse)
def edit_delegation(ctx: PageCtx, program_id: PathId, delegation_id: PathId) -> Response:
    """The form of a brigade."""
    delegation = child(ctx, Delegation, program_id, delegation_id, Action.CHANGE)
    form = form_values(delegation, DelegationRead)
    return _delegation_form(ctx, delegation.program, delegation, form)


@router.post("/programs/{program_id}/delegations/{delegation_id}/edit", response_class=HTMLResponse)
def update_delegation(
    ctx: PageCtx, program_id: PathId, delegation_id: PathId, form: Form
) -> Response:
    """Save a brigade's changes."""
    actor = ctx.actor
    delegation = child(ctx, Delegation, program_id, delegation_id, Action.CHANGE)
    return save_then(
        ctx,
        form,
        DelegationUpdate,
        lambda data: service.update_delegation(
            db=ctx.db, actor=actor, delegation=delegation, data=data
        ),
        done=f"/programs/{program_id}/delegations/{delegation.id}",
        again=lambda refusal: _delegation_form(ctx, delegation.program, delegation, form, refusal),
    )


@router.post("/programs/{program_id}/delegations/{delegation_id}/delete")
def delete_delegation(
    ctx: PageCtx, program_id: PathId, delegation_id: PathId, _form: Form
) -> Response:
    """Dissolve a brigade."""
    actor = ctx.actor
    delegation = child(ctx, Delegation, program_id, delegation_id, Action.CHANGE)
    service.delete_delegation(db=ctx.db, actor=actor, delegation=delegation)
    dissolved = Message(N_("The brigade is dissolved."))
    return told(ctx, f"/programs/{program_id}/delegations", dissolved)


# --- participations -------------------------------------------------------------------------


@router.get("/programs/{program_id}/participants", response_class=HTMLResponse)
def participants(
    ctx: PageCtx,
    program_id: PathId,
    filters: Annotated[ParticipantFilter, Query()],
    export: FormatQuery = None,
) -> Response:
    """The program's participants with their brigades, arrivals and departures: searched by
    name in either script, filtered by role and brigade, paged; the file holds every row the
    filters find."""
    actor = ctx.actor
    program = get_for(ctx.db, actor, Program, program_id)
    if export is not None:
        found = service.list_participations(
            db=ctx.db, actor=actor, program=program, filters=filters
        )
        return _download(ctx, lists.PARTICIPANTS, found, export, program)
    page = service.page_participations(
        db=ctx.db, actor=actor, program=program, filters=filters, size=page_size(ctx)
    )
    delegations = service.list_delegations(db=ctx.db, actor=actor, program=program)
    return _render(
        ctx,
        "programs/participants.html",
        program=program,
        page=page,
        filters=pager_params(filters),
        delegations=named_options(ctx.translator, delegations),
        may_change=service.may_change(ctx.db, actor, program),
    )


def _participation_form(
    ctx: Ctx,
    program: Program,
    participation: Participation | None,
    form: Mapping[str, Any],
    refusal: Refusal | None = None,
) -> Response:
    actor = ctx.actor
    errors, status = _refusal(refusal)
    delegations = service.list_delegations(db=ctx.db, actor=actor, program=program)
    return _render(
        ctx,
        "programs/participation_form.html",
        status,
        program=program,
        participation=participation,
        form=form,
        errors=errors,
        people=_choices(ctx, Person),
        roles=labelled_options(ctx.translator, labels.PARTICIPATION_ROLE),
        delegations=named_options(ctx.translator, delegations),
        cities=_choices(ctx, City),
    )


@router.get("/programs/{program_id}/participants/new", response_class=HTMLResponse)
def new_participation(ctx: PageCtx, program_id: PathId) -> Response:
    """The form to add a person to the program."""
    program = get_for(ctx.db, ctx.actor, Program, program_id, Action.CHANGE)
    defaults = {"role": ParticipationRole.SPECIALIST.value}
    return _participation_form(ctx, program, None, defaults)


@router.post("/programs/{program_id}/participants", response_class=HTMLResponse)
def create_participation(ctx: PageCtx, program_id: PathId, form: Form) -> Response:
    """Add a person to the program."""
    actor = ctx.actor
    program = get_for(ctx.db, actor, Program, program_id, Action.CHANGE)
    return save_then(
        ctx,
        form,
        ParticipationCreate,
        lambda data: service.create_participation(
            db=ctx.db, actor=actor, program=program, data=data
        ),
        done=f"/programs/{program.id}/participants",
        again=lambda refusal: _participation_form(ctx, program, None, form, refusal),
        pick=pickers.picks(ctx.db, actor, ctx.translator, people=("person_id",)),
    )


def _participation(
    ctx: Ctx, program_id: PathId, participation_id: PathId
) -> tuple[Program, Participation]:
    participation = child(ctx, Participation, program_id, participation_id, Action.CHANGE)
    return ctx.db.get_one(Program, program_id), participation


@router.get(
    "/programs/{program_id}/participants/{participation_id}/edit", response_class=HTMLResponse
)
def edit_participation(ctx: PageCtx, program_id: PathId, participation_id: PathId) -> Response:
    """The form of a participation, its times on the clocks of its cities."""
    program, participation = _participation(ctx, program_id, participation_id)
    form = form_of(service.participation_values(participation))
    return _participation_form(ctx, program, participation, form)


@router.post(
    "/programs/{program_id}/participants/{participation_id}/edit", response_class=HTMLResponse
)
def update_participation(
    ctx: PageCtx, program_id: PathId, participation_id: PathId, form: Form
) -> Response:
    """Save a participation's changes."""
    actor = ctx.actor
    program, participation = _participation(ctx, program_id, participation_id)
    return save_then(
        ctx,
        form,
        ParticipationUpdate,
        lambda data: service.update_participation(
            db=ctx.db, actor=actor, participation=participation, data=data
        ),
        done=f"/programs/{program.id}/participants",
        again=lambda refusal: _participation_form(ctx, program, participation, form, refusal),
    )


@router.post("/programs/{program_id}/participants/{participation_id}/delete")
def delete_participation(
    ctx: PageCtx, program_id: PathId, participation_id: PathId, _form: Form
) -> Response:
    """Take a person out of the program."""
    program, participation = _participation(ctx, program_id, participation_id)
    service.delete_participation(db=ctx.db, actor=ctx.actor, participation=participation)
    removed = Message(N_("The participant is taken out of the program."))
    return told(ctx, f"/programs/{program.id}/participants", removed)
