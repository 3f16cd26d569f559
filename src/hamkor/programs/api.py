"""JSON API of the programs module under /api/v1: the same schemas, filters and service
functions as the pages, for tools and for the planning optimizer's clients."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from hamkor.core.access import Action, get_for
from hamkor.core.forms import PathId
from hamkor.core.pages import page_size
from hamkor.core.web import API_ERROR_RESPONSES, ApiCtx
from hamkor.programs import service
from hamkor.programs.conflicts import Conflict, describe
from hamkor.programs.filters import ActivityFilter, ProgramFilter
from hamkor.programs.models import Activity, Delegation, Participation, Program
from hamkor.programs.routes import child
from hamkor.programs.schemas import (
    ActivityCreate,
    ActivityRead,
    ActivityUpdate,
    ConflictRead,
    DelegationCreate,
    DelegationRead,
    DelegationUpdate,
    ParticipationCreate,
    ParticipationRead,
    ParticipationUpdate,
    ProgramCreate,
    ProgramPage,
    ProgramRead,
    ProgramStatusChange,
    ProgramUpdate,
)

router = APIRouter(prefix="/api/v1", tags=["programs"], responses=API_ERROR_RESPONSES)


def _no_content() -> Response:
    return Response(status_code=204)


# --- programs -------------------------------------------------------------------------------


@router.get("/programs")
def list_programs(ctx: ApiCtx, filters: Annotated[ProgramFilter, Query()]) -> ProgramPage:
    """The programs the caller may see, latest first (``?q=&status=&kind=&country=&page=``)."""
    page = service.list_programs(
        db=ctx.db,
        actor=ctx.actor,
        filters=filters,
        page_size=page_size(ctx),
    )
    return ProgramPage(
        items=[ProgramRead.model_validate(p) for p in page.items],
        total=page.total,
        page=page.number,
        pages=page.pages,
    )


@router.post("/programs", status_code=201)
def create_program(ctx: ApiCtx, data: ProgramCreate) -> ProgramRead:
    """A new draft program; the caller becomes its coordinator."""
    program = service.create_program(db=ctx.db, actor=ctx.actor, data=data)
    return ProgramRead.model_validate(program)


@router.get("/programs/{program_id}")
def get_program(ctx: ApiCtx, program_id: PathId) -> ProgramRead:
    """One program the caller may see."""
    return ProgramRead.model_validate(get_for(ctx.db, ctx.actor, Program, program_id))


@router.patch("/programs/{program_id}")
def update_program(ctx: ApiCtx, program_id: PathId, data: ProgramUpdate) -> ProgramRead:
    """Change what is given; the result must still end on or after its start."""
    program = get_for(ctx.db, ctx.actor, Program, program_id, Action.CHANGE)
    program = service.update_program(db=ctx.db, actor=ctx.actor, program=program, data=data)
    return ProgramRead.model_validate(program)


@router.post("/programs/{program_id}/status")
def change_status(ctx: ApiCtx, program_id: PathId, data: ProgramStatusChange) -> ProgramRead:
    """Move the program on: draft → planned → running → completed, or cancel it."""
    program = get_for(ctx.db, ctx.actor, Program, program_id, Action.CHANGE)
    program = service.change_status(db=ctx.db, actor=ctx.actor, program=program, status=data.status)
    return ProgramRead.model_validate(program)


@router.delete("/programs/{program_id}", status_code=204)
def delete_program(ctx: ApiCtx, program_id: PathId) -> Response:
    """Delete a draft; later programs are cancelled instead."""
    program = get_for(ctx.db, ctx.actor, Program, program_id, Action.CHANGE)
    service.delete_program(db=ctx.db, actor=ctx.actor, program=program)
    return _no_content()


@router.get("/programs/{program_id}/conflicts")
def conflicts(ctx: ApiCtx, program_id: PathId) -> list[ConflictRead]:
    """Every conflict of the program's plan, explained in the caller's language."""
    actor = ctx.actor
    program = get_for(ctx.db, actor, Program, program_id)
    found = service.program_conflicts(db=ctx.db, actor=actor, program=program)
    return [_conflict(c, ctx) for c in found]


def _conflict(conflict: Conflict, ctx: ApiCtx) -> ConflictRead:
    return ConflictRead(
        kind=conflict.kind,
        activity_ids=list(conflict.activity_ids),
        person_id=conflict.person.id if conflict.person else None,
        room_id=conflict.room.id if conflict.room else None,
        delegation_id=conflict.delegation.id if conflict.delegation else None,
        from_city_id=conflict.from_city.id if conflict.from_city else None,
        to_city_id=conflict.to_city.id if conflict.to_city else None,
        needed_minutes=conflict.needed_minutes,
        available_minutes=conflict.available_minutes,
        message=describe(conflict, ctx.translator),
    )


# --- activities -----------------------------------------------------------------------------


@router.get("/programs/{program_id}/activities")
def list_activities(
    ctx: ApiCtx, program_id: PathId, filters: Annotated[ActivityFilter, Query()]
) -> list[ActivityRead]:
    """The program's activities by start (``?from=&to=&city=&specialty=``; days are each
    activity's own city's)."""
    actor = ctx.actor
    program = get_for(ctx.db, actor, Program, program_id)
    found = service.list_activities(db=ctx.db, actor=actor, program=program, filters=filters)
    return [ActivityRead.model_validate(a) for a in found]


@router.post("/programs/{program_id}/activities", status_code=201)
def create_activity(ctx: ApiCtx, program_id: PathId, data: ActivityCreate) -> ActivityRead:
    """A new activity: ``starts_at``/``ends_at`` as ISO 8601 instants with offsets, or ``day``,
    ``start_time`` and ``end_time`` on the clocks of the activity's city."""
    program = get_for(ctx.db, ctx.actor, Program, program_id, Action.CHANGE)
    activity = service.create_activity(db=ctx.db, actor=ctx.actor, program=program, data=data)
    return ActivityRead.model_validate(activity)


@router.get("/programs/{program_id}/activities/{activity_id}")
def get_activity(ctx: ApiCtx, program_id: PathId, activity_id: PathId) -> ActivityRead:
    """One activity of the program; its instants are in UTC."""
    activity = child(ctx, Activity, program_id, activity_id)
    return ActivityRead.model_validate(activity)


@router.patch("/programs/{program_id}/activities/{activity_id}")
def update_activity(
    ctx: ApiCtx, program_id: PathId, activity_id: PathId, data: ActivityUpdate
) -> ActivityRead:
    """Change what is given; the result is checked as a new activity would be."""
    actor = ctx.actor
    activity = child(ctx, Activity, program_id, activity_id, Action.CHANGE)
    updated = service.update_activity(db=ctx.db, actor=actor, activity=activity, data=data)
    return ActivityRead.model_validate(updated)


@router.delete("/programs/{program_id}/activities/{activity_id}", status_code=204)
def delete_activity(ctx: ApiCtx, program_id: PathId, activity_id: PathId) -> Response:
    """Delete an activity entered by mistake (cancel one that will not happen)."""
    actor = ctx.actor
    activity = child(ctx, Activity, program_id, activity_id, Action.CHANGE)
    service.delete_activity(db=ctx.db, actor=actor, activity=activity)
    return _no_content()


# --- delegations ----------------------------------------------------------------------------


@router.get("/programs/{program_id}/delegations")
def list_delegations(ctx: ApiCtx, program_id: PathId) -> list[DelegationRead]:
    """The program's brigades, by code."""
    actor = ctx.actor
    program = get_for(ctx.db, actor, Program, program_id)
    found = service.list_delegations(db=ctx.db, actor=actor, program=program)
    return [DelegationRead.model_validate(d) for d in found]


@router.post("/programs/{program_id}/delegations", status_code=201)
def create_delegation(ctx: ApiCtx, program_id: PathId, data: DelegationCreate) -> DelegationRead:
    """A new brigade; its code is unique within the program."""
    program = get_for(ctx.db, ctx.actor, Program, program_id, Action.CHANGE)
    delegation = service.create_delegation(db=ctx.db, actor=ctx.actor, program=program, data=data)
    return DelegationRead.model_validate(delegation)


@router.get("/programs/{program_id}/delegations/{delegation_id}")
def get_delegation(ctx: ApiCtx, program_id: PathId, delegation_id: PathId) -> DelegationRead:
    """One brigade of the program."""
    delegation = child(ctx, Delegation, program_id, delegation_id)
    return DelegationRead.model_validate(delegation)


@router.patch("/programs/{program_id}/delegations/{delegation_id}")
def update_delegation(
    ctx: ApiCtx, program_id: PathId, delegation_id: PathId, data: DelegationUpdate
) -> DelegationRead:
    """Change what is given of a brigade."""
    actor = ctx.actor
    delegation = child(ctx, Delegation, program_id, delegation_id, Action.CHANGE)
    updated = service.update_delegation(db=ctx.db, actor=actor, delegation=delegation, data=data)
    return DelegationRead.model_validate(updated)


@router.delete("/programs/{program_id}/delegations/{delegation_id}", status_code=204)
def delete_delegation(ctx: ApiCtx, program_id: PathId, delegation_id: PathId) -> Response:
    """Dissolve a brigade; its members and activities stay in the program."""
    actor = ctx.actor
    delegation = child(ctx, Delegation, program_id, delegation_id, Action.CHANGE)
    service.delete_delegation(db=ctx.db, actor=actor, delegation=delegation)
    return _no_content()


# --- participations -------------------------------------------------------------------------


@router.get("/programs/{program_id}/participations")
def list_participations(ctx: ApiCtx, program_id: PathId) -> list[ParticipationRead]:
    """The program's participants, by brigade and role."""
    actor = ctx.actor
    program = get_for(ctx.db, actor, Program, program_id)
    found = service.list_participations(db=ctx.db, actor=actor, program=program)
    return [ParticipationRead.model_validate(p) for p in found]


@router.post("/programs/{program_id}/participations", status_code=201)
def create_participation(
    ctx: ApiCtx, program_id: PathId, data: ParticipationCreate
) -> ParticipationRead:
    """Add a person; arrival and departure without an offset are on their cities' clocks."""
    program = get_for(ctx.db, ctx.actor, Program, program_id, Action.CHANGE)
    participation = service.create_participation(
        db=ctx.db, actor=ctx.actor, program=program, data=data
    )
    return ParticipationRead.model_validate(participation)


@router.get("/programs/{program_id}/participations/{participation_id}")
def get_participation(
    ctx: ApiCtx, program_id: PathId, participation_id: PathId
) -> ParticipationRead:
    """One participation of the program; its instants are in UTC."""
    participation = child(ctx, Participation, program_id, participation_id)
    return ParticipationRead.model_validate(participation)


@router.patch("/programs/{program_id}/participations/{participation_id}")
def update_participation(
    ctx: ApiCtx, program_id: PathId, participation_id: PathId, data: ParticipationUpdate
) -> ParticipationRead:
    """Change what is given of a participation."""
    actor = ctx.actor
    participation = child(ctx, Participation, program_id, participation_id, Action.CHANGE)
    updated = service.update_participation(
        db=ctx.db, actor=actor, participation=participation, data=data
    )
    return ParticipationRead.model_validate(updated)


@router.delete("/programs/{program_id}/participations/{participation_id}", status_code=204)
def delete_participation(ctx: ApiCtx, program_id: PathId, participation_id: PathId) -> Response:
    """Take a person out of the program."""
    actor = ctx.actor
    participation = child(ctx, Participation, program_id, participation_id, Action.CHANGE)
    service.delete_participation(db=ctx.db, actor=actor, participation=participation)
    return _no_content()
