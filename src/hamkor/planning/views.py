"""Pages of planning: a program's requested activities, "plan this program", the progress of
a solve, the review of the proposal beside the current timetable, accept, and re-planning.

Routes go in a fixed order: load (404), check access (403, audited), call the service, render.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from hamkor.core.access import Action, get_for
from hamkor.core.errors import UserError
from hamkor.core.forms import PathId, error_map
from hamkor.core.i18n import N_, Message
from hamkor.core.pages import (
    Picks,
    Refusal,
    form_of,
    labelled_options,
    named_options,
    save_then,
    told,
)
from hamkor.core.web import Ctx, Form, PageCtx
from hamkor.directory import labels as directory_labels
from hamkor.directory import pickers
from hamkor.directory import service as directory_service
from hamkor.directory.models import City, Person, Room, Specialty
from hamkor.planning import labels, proposal, review, service
from hamkor.planning.instance import row_id
from hamkor.planning.models import PlanningRequest, PlanRun, RunStatus
from hamkor.planning.schemas import (
    TIME_LIMITS,
    DisruptionCreate,
    PlanStart,
    RequestCreate,
    RequestUpdate,
)
from hamkor.planning.solver.model import Instance
from hamkor.programs import labels as program_labels
from hamkor.programs import service as programs_service
from hamkor.programs.models import Activity, ActivityKind, Program

router = APIRouter(include_in_schema=False)
_LISTS = ("named_lead_ids", "city_ids")


def _render(ctx: Ctx, template: str, status_code: int = 200, **context: Any) -> Response:
    return ctx.render(
        template,
        status_code,
        labels=program_labels,
        planning_labels=labels,
        room_kind_labels=directory_labels.ROOM_KIND,
        time_limits=TIME_LIMITS,
        **context,
    )


def _with_lists(form: Mapping[str, Any]) -> dict[str, Any]:
    """Multiple selects and check boxes post nothing when none is chosen."""
    return {**{name: [] for name in _LISTS}, "mandatory": False, "pinned": False, **form}


# --- requested activities -------------------------------------------------------------------


@router.get("/programs/{program_id}/planning", response_class=HTMLResponse)
def planning_page(ctx: PageCtx, program_id: PathId) -> Response:
    """The program's requested activities, its plan runs, and the button to plan it."""
    actor = ctx.actor
    program = get_for(ctx.db, actor, Program, program_id)
    return _render(
        ctx,
        "planning/requests.html",
        program=program,
        requests=service.list_requests(db=ctx.db, actor=actor, program=program),
        runs=service.list_runs(db=ctx.db, actor=actor, program=program),
        may_change=programs_service.may_change(ctx.db, actor, program),
    )


def _request_form(
    ctx: Ctx,
    program: Program,
    request: PlanningRequest | None,
    form: Mapping[str, Any],
    refusal: Refusal | None = None,
) -> Response:
    actor = ctx.actor
    people = programs_service.program_people(
        db=ctx.db, actor=actor, program=program, also=request.named_leads if request else ()
    )
    return _render(
        ctx,
        "planning/request_form.html",
        422 if refusal else 200,
        program=program,
        request_row=request,
        form=form,
        errors=refusal.errors if refusal else {},
        kinds=labelled_options(ctx.translator, program_labels.ACTIVITY_KIND),
        room_kinds=labelled_options(ctx.translator, directory_labels.ROOM_KIND),
        specialties=named_options(
            ctx.translator, directory_service.choices(db=ctx.db, actor=actor, model=Specialty)
        ),
        cities=named_options(
            ctx.translator, directory_service.choices(db=ctx.db, actor=actor, model=City)
        ),
        people=named_options(ctx.translator, people),
    )


@router.get("/programs/{program_id}/planning/requests/new", response_class=HTMLResponse)
def new_request(ctx: PageCtx, program_id: PathId) -> Response:
    program = get_for(ctx.db, ctx.actor, Program, program_id, Action.CHANGE)
    defaults = {
        "kind": ActivityKind.MASTER_CLASS.value,
        "duration_minutes": 120,
        "leads_count": 1,
        "trainee_seats": 0,
        "weight": 1,
    }
    return _request_form(ctx, program, None, defaults)


def _request_picks(ctx: Ctx) -> Picks:
    """The leads a request names, typed or suggested."""
    leads = ("named_lead_ids",)
    return pickers.picks(ctx.db, ctx.actor, ctx.translator, people=leads, multiple=leads)


@router.post("/programs/{program_id}/planning/requests", response_class=HTMLResponse)
def create_request(ctx: PageCtx, program_id: PathId, form: Form) -> Response:
    actor = ctx.actor
    program = get_for(ctx.db, actor, Program, program_id, Action.CHANGE)
    return save_then(
        ctx,
        _with_lists(form),
        RequestCreate,
        lambda data: service.create_request(db=ctx.db, actor=actor, program=program, data=data),
        done=f"/programs/{program.id}/planning",
        again=lambda refusal: _request_form(ctx, program, None, form, refusal),
        pick=_request_picks(ctx),
    )


@router.get("/planning/requests/{request_id}/edit", response_class=HTMLResponse)
def edit_request(ctx: PageCtx, request_id: PathId) -> Response:
    request = get_for(ctx.db, ctx.actor, PlanningRequest, request_id, Action.CHANGE)
    return _request_form(ctx, request.program, request, form_of(service.request_values(request)))


@router.post("/planning/requests/{request_id}/edit", response_class=HTMLResponse)
def update_request(ctx: PageCtx, request_id: PathId, form: Form) -> Response:
    actor = ctx.actor
    request = get_for(ctx.db, actor, PlanningRequest, request_id, Action.CHANGE)
    return save_then(
        ctx,
        _with_lists(form),
        RequestUpdate,
        lambda data: service.update_request(db=ctx.db, actor=actor, request=request, data=data),
        done=f"/programs/{request.program_id}/planning",
        again=lambda refusal: _request_form(ctx, request.program, request, form, refusal),
        pick=_request_picks(ctx),
    )


@router.post("/planning/requests/{request_id}/delete")
def delete_request(ctx: PageCtx, request_id: PathId, _form: Form) -> Response:
    actor = ctx.actor
    request = get_for(ctx.db, actor, PlanningRequest, request_id, Action.CHANGE)
    program_id = request.program_id
    service.delete_request(db=ctx.db, actor=actor, request=request)
    deleted = Message(N_("The request is deleted."))
    return told(ctx, f"/programs/{program_id}/planning", deleted)


# --- runs -----------------------------------------------------------------------------------


@router.post("/programs/{program_id}/plan", response_class=HTMLResponse)
def plan_program(ctx: PageCtx, program_id: PathId, form: Form) -> Response:
    """Start planning the program: freeze its instance and queue the solve."""
    program = get_for(ctx.db, ctx.actor, Program, program_id, Action.CHANGE)
    return save_then(
        ctx,
        form,
        PlanStart,
        lambda data: service.start_run(
            db=ctx.db, actor=ctx.actor, program=program, time_limit_seconds=data.time_limit_seconds
        ),
        done=lambda saved: f"/planning/runs/{saved.id}",
        again=lambda refusal: _render(
            ctx,
            "planning/refused.html",
            refusal.status_code,
            program=program,
            errors=refusal.errors,
        ),
    )


def _replan_form(
    ctx: Ctx, program: Program, form: Mapping[str, Any], refusal: Refusal | None = None
) -> Response:
    actor = ctx.actor
    people = programs_service.program_people(db=ctx.db, actor=actor, program=program)
    rooms = directory_service.choices(db=ctx.db, actor=actor, model=Room)
    return _render(
        ctx,
        "planning/replan.html",
        422 if refusal else 200,
        program=program,
        form=form,
        errors=refusal.errors if refusal else {},
        people=named_options(ctx.translator, people),
        rooms=[(room.id, _room_name(ctx, room)) for room in rooms],
    )


@router.get("/programs/{program_id}/replan", response_class=HTMLResponse)
def replan_form(ctx: PageCtx, program_id: PathId) -> Response:
    """The form of a disruption: a specialist unavailable from a time, or a room closed."""
    program = get_for(ctx.db, ctx.actor, Program, program_id, Action.CHANGE)
    return _replan_form(ctx, program, {"time_limit_seconds": 60})


@router.post("/programs/{program_id}/replan", response_class=HTMLResponse)
def replan(ctx: PageCtx, program_id: PathId, form: Form) -> Response:
    """Re-plan around the disruption, keeping what is done or pinned."""
    program = get_for(ctx.db, ctx.actor, Program, program_id, Action.CHANGE)
    return save_then(
        ctx,
        {"closed_days": [], **form},
        DisruptionCreate,
        lambda data: service.start_run(
            db=ctx.db,
            actor=ctx.actor,
            program=program,
            time_limit_seconds=data.time_limit_seconds,
            disruption=data,
        ),
        done=lambda saved: f"/planning/runs/{saved.id}",
        again=lambda refusal: _replan_form(ctx, program, form, refusal),
        pick=pickers.picks(
            ctx.db, ctx.actor, ctx.translator, people=("specialist_id",), rooms=("room_id",)
        ),
    )


def _room_name(ctx: Ctx, room: Room) -> str:
    return f"{ctx.translator.name(room.institution.names)} · {ctx.translator.name(room.names)}"


def _names(ctx: Ctx, instance: Instance) -> dict[str, str]:
    """What each id of the instance is called for the reader: requests, rooms, people, cities."""
    db, name = ctx.db, ctx.translator.name
    found: dict[str, str] = {}
    requests = [row_id(a.id, "r") for a in instance.activities if a.id.startswith("r")]
    for request in db.scalars(select(PlanningRequest).where(PlanningRequest.id.in_(requests))):
        found[f"r{request.id}"] = name(request.titles)
    typed = [row_id(a.id, "a") for a in instance.activities if a.id.startswith("a")]
    for activity in db.scalars(select(Activity).where(Activity.id.in_(typed))):
        found[f"a{activity.id}"] = name(activity.titles)
    rooms = [row_id(r.id, "m") for r in instance.rooms]
    for room in db.scalars(select(Room).where(Room.id.in_(rooms))):
        found[f"m{room.id}"] = _room_name(ctx, room)
    people = [row_id(s.id, "s") for s in instance.specialists]
    people += [row_id(t.id, "t") for t in instance.trainees]
    for person in db.scalars(select(Person).where(Person.id.in_(people))):
        found[f"s{person.id}"] = found[f"t{person.id}"] = name(person.names)
    cities = [row_id(c.id, "c") for c in instance.cities]
    for city in db.scalars(select(City).where(City.id.in_(cities))):
        found[f"c{city.id}"] = name(city.names)
    return found


def _run_page(ctx: Ctx, run: PlanRun, refusal: Mapping[str, str] | None = None) -> Response:
    instance = Instance.model_validate(run.instance)
    plan = service.plan_of(run)
    lines = review.compare(instance, plan) if plan else []
    found = (
        proposal.find_conflicts(db=ctx.db, program=run.program, instance=instance, plan=plan)
        if plan is not None and run.status == RunStatus.PROPOSED
        else None
    )
    return _render(
        ctx,
        "planning/run.html",
        409 if refusal else 200,
        program=run.program,
        run=run,
        job=run.job,
        plan=plan,
        lines=lines,
        counts=review.counts(lines),
        found=found,
        names=_names(ctx, instance),
        may_change=programs_service.may_change(ctx.db, ctx.actor, run.program),
        errors=refusal or {},
    )


@router.get("/planning/runs/{run_id}", response_class=HTMLResponse)
def run_page(ctx: PageCtx, run_id: PathId) -> Response:
    """A run: its progress while it solves (reload or htmx), then the review of its proposal."""
    run = get_for(ctx.db, ctx.actor, PlanRun, run_id)
    service.sync_failed(db=ctx.db, run=run)
    return _run_page(ctx, run)


@router.get("/planning/runs/{run_id}/progress", response_class=HTMLResponse)
def run_progress(ctx: PageCtx, run_id: PathId) -> Response:
    """The progress panel htmx polls every second; once the solve ends, the page reloads."""
    run = get_for(ctx.db, ctx.actor, PlanRun, run_id)
    service.sync_failed(db=ctx.db, run=run)
    response = _render(ctx, "planning/_progress.html", run=run, job=run.job)
    if run.status != RunStatus.SOLVING:
        response.headers["HX-Refresh"] = "true"
    return response


@router.post("/planning/runs/{run_id}/accept", response_class=HTMLResponse)
def accept_run(ctx: PageCtx, run_id: PathId, _form: Form) -> Response:
    """Write the proposal; a second or stale accept comes back with the reason."""
    run = get_for(ctx.db, ctx.actor, PlanRun, run_id, Action.CHANGE)
    try:
        with ctx.db.begin_nested():
            service.accept_run(db=ctx.db, actor=ctx.actor, run=run)
    except UserError as error:
        ctx.db.refresh(run)
        return _run_page(ctx, run, error_map(error, ctx.language))
    accepted = Message(N_("The plan is accepted: the calendar shows it."))
    return told(ctx, f"/programs/{run.program_id}/calendar", accepted)


@router.post("/planning/runs/{run_id}/discard", response_class=HTMLResponse)
def discard_run(ctx: PageCtx, run_id: PathId, _form: Form) -> Response:
    actor = ctx.actor
    run = get_for(ctx.db, actor, PlanRun, run_id, Action.CHANGE)
    try:
        service.discard_run(db=ctx.db, actor=actor, run=run)
    except UserError as error:
        return _run_page(ctx, run, error_map(error, ctx.language))
    discarded = Message(N_("The proposal is discarded."))
    return told(ctx, f"/programs/{run.program_id}/planning", discarded)
