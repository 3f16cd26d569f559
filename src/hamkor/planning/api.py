"""JSON API of planning under /api/v1: requested activities and plan runs, by the same service
functions as the pages."""

from __future__ import annotations

from fastapi import APIRouter, Response

from hamkor.core.access import Action, NotFound, get_for
from hamkor.core.forms import PathId
from hamkor.core.web import API_ERROR_RESPONSES, ApiCtx, Ctx
from hamkor.planning import service
from hamkor.planning.models import PlanningRequest, PlanRun
from hamkor.planning.schemas import (
    DisruptionCreate,
    PlanStart,
    RequestCreate,
    RequestRead,
    RequestUpdate,
    RunDetail,
    RunRead,
)
from hamkor.programs.models import Program

router = APIRouter(prefix="/api/v1", tags=["planning"], responses=API_ERROR_RESPONSES)


def _request(ctx: Ctx, program_id: int, request_id: int, action: Action) -> PlanningRequest:
    request = get_for(ctx.db, ctx.actor, PlanningRequest, request_id, action)
    if request.program_id != program_id:
        raise NotFound(PlanningRequest.__tablename__, request_id)
    return request


def _run(run: PlanRun, detail: bool = False) -> RunRead:
    progress = run.job.progress if run.job else 0
    schema = RunDetail if detail else RunRead
    return schema.model_validate(run).model_copy(update={"progress": progress})


@router.get("/programs/{program_id}/requests")
def list_requests(ctx: ApiCtx, program_id: PathId) -> list[RequestRead]:
    """The program's requested activities (what the planner places)."""
    actor = ctx.actor
    program = get_for(ctx.db, actor, Program, program_id)
    found = service.list_requests(db=ctx.db, actor=actor, program=program)
    return [RequestRead.model_validate(r) for r in found]


@router.post("/programs/{program_id}/requests", status_code=201)
def create_request(ctx: ApiCtx, program_id: PathId, data: RequestCreate) -> RequestRead:
    """A new requested activity of the program."""
    program = get_for(ctx.db, ctx.actor, Program, program_id, Action.CHANGE)
    made = service.create_request(db=ctx.db, actor=ctx.actor, program=program, data=data)
    return RequestRead.model_validate(made)


@router.get("/programs/{program_id}/requests/{request_id}")
def get_request(ctx: ApiCtx, program_id: PathId, request_id: PathId) -> RequestRead:
    return RequestRead.model_validate(_request(ctx, program_id, request_id, Action.VIEW))


@router.patch("/programs/{program_id}/requests/{request_id}")
def update_request(
    ctx: ApiCtx, program_id: PathId, request_id: PathId, data: RequestUpdate
) -> RequestRead:
    """Change what is given; the result is checked as a new request would be."""
    request = _request(ctx, program_id, request_id, Action.CHANGE)
    changed = service.update_request(db=ctx.db, actor=ctx.actor, request=request, data=data)
    return RequestRead.model_validate(changed)


@router.delete("/programs/{program_id}/requests/{request_id}", status_code=204)
def delete_request(ctx: ApiCtx, program_id: PathId, request_id: PathId) -> Response:
    request = _request(ctx, program_id, request_id, Action.CHANGE)
    service.delete_request(db=ctx.db, actor=ctx.actor, request=request)
    return Response(status_code=204)


@router.post("/programs/{program_id}/runs", status_code=202)
def start_run(ctx: ApiCtx, program_id: PathId, data: PlanStart) -> RunRead:
    """Plan the program: the solve is queued; poll the run for its progress and proposal."""
    program = get_for(ctx.db, ctx.actor, Program, program_id, Action.CHANGE)
    run = service.start_run(
        db=ctx.db,
        actor=ctx.actor,
        program=program,
        time_limit_seconds=data.time_limit_seconds,
    )
    return _run(run)


@router.post("/programs/{program_id}/replans", status_code=202)
def replan(ctx: ApiCtx, program_id: PathId, data: DisruptionCreate) -> RunRead:
    """Re-plan around a disruption (a specialist unavailable from a local day and time, or a
    room closed on some days), keeping what is done or pinned."""
    program = get_for(ctx.db, ctx.actor, Program, program_id, Action.CHANGE)
    run = service.start_run(
        db=ctx.db,
        actor=ctx.actor,
        program=program,
        time_limit_seconds=data.time_limit_seconds,
        disruption=data,
    )
    return _run(run)


@router.get("/planning/runs/{run_id}")
def get_run(ctx: ApiCtx, run_id: PathId) -> RunDetail:
    """A run with its instance (``hamkor.plan-instance/1``) and plan (``hamkor.plan/1``)."""
    run = get_for(ctx.db, ctx.actor, PlanRun, run_id)
    service.sync_failed(db=ctx.db, run=run)
    detail = _run(run, detail=True)
    assert isinstance(detail, RunDetail)
    return detail


@router.post("/planning/runs/{run_id}/accept")
def accept_run(ctx: ApiCtx, run_id: PathId) -> RunRead:
    """Write the proposal in one transaction (409 when accepted before or stale)."""
    run = get_for(ctx.db, ctx.actor, PlanRun, run_id, Action.CHANGE)
    return _run(service.accept_run(db=ctx.db, actor=ctx.actor, run=run))


@router.post("/planning/runs/{run_id}/discard")
def discard_run(ctx: ApiCtx, run_id: PathId) -> RunRead:
    """Set a proposal aside; nothing of it is written."""
    run = get_for(ctx.db, ctx.actor, PlanRun, run_id, Action.CHANGE)
    return _run(service.discard_run(db=ctx.db, actor=ctx.actor, run=run))
