"""Requested activities and plan runs: queries and state changes of planning in the app.

Functions take keyword arguments, the session and the actor, and only flush: the request (or
command) commits once. A run is started here (its instance built and frozen, a job queued),
solved by :func:`solve_job` on a worker, then accepted in one transaction or discarded.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, time
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hamkor.care import booking as care_booking
from hamkor.core import audit, jobs
from hamkor.core.access import Action, Actor, NotFound, require
from hamkor.core.db import assign, utcnow
from hamkor.core.errors import FieldError, UserError, problem, refuse_any
from hamkor.core.forms import validate
from hamkor.core.i18n import N_
from hamkor.directory.models import City, Person, Room, Specialty
from hamkor.planning import instance, proposal
from hamkor.planning.instance import Disruption, row_id
from hamkor.planning.models import PlanningRequest, PlanRun, RunStatus
from hamkor.planning.schemas import DisruptionCreate, RequestCreate, RequestRead, RequestUpdate
from hamkor.planning.solver import cpsat
from hamkor.planning.solver.model import Instance, PlacedActivity, Plan
from hamkor.programs import service as programs_service
from hamkor.programs.conflicts import ConflictsMessage
from hamkor.programs.models import Activity, ActivityStatus, Program
from hamkor.programs.schemas import ActivityCreate, ActivityUpdate
from hamkor.training import service as training_service

SOLVE_JOB = "planning.solve"
_CHOOSE = N_("Choose one of the offered values.")


# --- requested activities -------------------------------------------------------------------


def list_requests(*, db: Session, actor: Actor, program: Program) -> Sequence[PlanningRequest]:
    """The program's requested activities, in the order they were asked for."""
    require(db, actor, Action.VIEW, program)
    return db.scalars(
        select(PlanningRequest)
        .where(PlanningRequest.program_id == program.id)
        .order_by(PlanningRequest.id)
    ).all()


def _settle_request(
    db: Session, program: Program, data: RequestCreate
) -> tuple[dict[str, Any], list[Person], list[City]]:
    """The request's column values, named leads and cities, once the directory agrees."""
    errors: list[FieldError] = []
    specialty = db.get(Specialty, data.specialty_id)
    if specialty is None:
        errors.append(problem("specialty_id", _CHOOSE))
    leads = list(db.scalars(select(Person).where(Person.id.in_(data.named_lead_ids))))
    if len(leads) != len(set(data.named_lead_ids)):
        errors.append(problem("named_lead_ids", _CHOOSE))
    elif specialty is not None and any(specialty not in p.specialties for p in leads):
        errors.append(problem("named_lead_ids", N_("A named lead is not of this specialty.")))
    cities = list(db.scalars(select(City).where(City.id.in_(data.city_ids))))
    if len(cities) != len(set(data.city_ids)):
        errors.append(problem("city_ids", _CHOOSE))
    if data.fixed_day is not None and not program.starts_on <= data.fixed_day <= program.ends_on:
        errors.append(
            problem(
                "fixed_day",
                N_("The activity must fall within the program's dates, %(start)s to %(end)s."),
                start=program.starts_on.isoformat(),
                end=program.ends_on.isoformat(),
            )
        )
    refuse_any(errors)
    values = data.model_dump(exclude={"named_lead_ids", "city_ids", "fixed_start"})
    values["fixed_start"] = data.fixed_start.strftime("%H:%M") if data.fixed_start else None
    return values, leads, cities


def create_request(
    *, db: Session, actor: Actor, program: Program, data: RequestCreate
) -> PlanningRequest:
    """A new requested activity of the program."""
    values, leads, cities = _settle_request(db, program, data)
    request = PlanningRequest(program_id=program.id, named_leads=leads, cities=cities, **values)
    db.add(request)
    db.flush()
    return request


def request_values(request: PlanningRequest) -> dict[str, Any]:
    """The request in the fields of :class:`RequestCreate`, as its edit form shows it."""
    values = RequestRead.model_validate(request).model_dump(
        exclude={"id", "program_id", "activity_id"}
    )
    if request.fixed_start:
        values["fixed_start"] = time.fromisoformat(request.fixed_start)
    return values


def update_request(
    *, db: Session, actor: Actor, request: PlanningRequest, data: RequestUpdate
) -> PlanningRequest:
    """Change a request; the result is checked as a new one would be."""
    merged = validate(
        RequestCreate, {**request_values(request), **data.model_dump(exclude_unset=True)}
    )
    values, leads, cities = _settle_request(db, request.program, merged)
    assign(request, values)
    request.named_leads = leads
    request.cities = cities
    db.flush()
    return request


def delete_request(*, db: Session, actor: Actor, request: PlanningRequest) -> None:
    """Delete a request; an activity already made from it stays on the calendar."""
    db.delete(request)
    db.flush()


# --- runs -----------------------------------------------------------------------------------


def _disruption(data: DisruptionCreate | None) -> Disruption:
    if data is None:
        return Disruption()
    return Disruption(
        specialist_id=data.specialist_id,
        day=data.unavailable_day,
        time=data.unavailable_time.strftime("%H:%M") if data.unavailable_time else None,
        room_id=data.room_id,
        closed_days=tuple(data.closed_days),
    )


def start_run(
    *,
    db: Session,
    actor: Actor,
    program: Program,
    time_limit_seconds: int,
    disruption: DisruptionCreate | None = None,
    as_of: datetime | None = None,
) -> PlanRun:
    """Freeze the program's instance as it stands and queue its solve on a worker."""
    programs_service.require_open(program)
    if disruption is not None:
        _check_disruption(db, program, disruption)
    moment = as_of or utcnow()
    gone = _disruption(disruption)
    built = instance.build(db=db, actor=actor, program=program, as_of=moment, disruption=gone)
    run = PlanRun(
        program_id=program.id,
        status=RunStatus.SOLVING,
        time_limit_seconds=time_limit_seconds,
        as_of=moment,
        disruption=gone.to_json() if disruption else {},
        instance=built.model_dump(mode="json"),
        created_by=actor.user_id,
    )
    db.add(run)
    db.flush()
    job = jobs.enqueue(db=db, kind=SOLVE_JOB, payload={"run_id": run.id}, created_by=actor.user_id)
    run.job_id = job.id
    db.flush()
    return run


def _check_disruption(db: Session, program: Program, data: DisruptionCreate) -> None:
    errors: list[FieldError] = []
    if data.specialist_id is not None and db.get(Person, data.specialist_id) is None:
        errors.append(problem("specialist_id", _CHOOSE))
    if data.room_id is not None and db.get(Room, data.room_id) is None:
        errors.append(problem("room_id", _CHOOSE))
    days = [data.unavailable_day, *data.closed_days]
    if any(day is not None and not program.starts_on <= day <= program.ends_on for day in days):
        field = "closed_days" if data.room_id is not None else "unavailable_day"
        errors.append(
            problem(
                field,
                N_("The activity must fall within the program's dates, %(start)s to %(end)s."),
                start=program.starts_on.isoformat(),
                end=program.ends_on.isoformat(),
            )
        )
    refuse_any(errors)


def solve_job(context: jobs.JobContext) -> dict[str, Any]:
    """The worker's part: solve the run's frozen instance, reporting progress, keep the plan."""
    run_id = int(context.payload["run_id"])
    with context.sessions() as db:
        run = db.get(PlanRun, run_id)
        if run is None:
            raise NotFound(PlanRun.__tablename__, run_id)
        frozen = Instance.model_validate(run.instance)
        limit = float(run.time_limit_seconds)

    def on_progress(found: cpsat.Progress) -> None:
        context.progress(
            int(100 * min(1.0, found.seconds / limit)),
            N_("Improving the plan"),
            objective=round(found.objective, 2),
            bound=round(found.bound, 2),
            seconds=round(found.seconds, 1),
        )

    context.progress(0, N_("Searching for a first plan"), force=True)
    plan = cpsat.solve(frozen, time_limit=limit, on_progress=on_progress)
    with context.sessions.begin() as db:
        run = db.get(PlanRun, run_id)
        assert run is not None
        run.plan = plan.model_dump(mode="json")
        run.objective = plan.objective.total
        run.bound = plan.bound
        run.status = RunStatus.PROPOSED
    return {"run_id": run_id, "status": plan.solver.status}


def sync_failed(*, db: Session, run: PlanRun) -> PlanRun:
    """A run whose job failed or was cancelled is marked failed (read when its page is shown);
    the page shows the job's message."""
    ended = (jobs.JobStatus.FAILED, jobs.JobStatus.CANCELLED)
    if run.status == RunStatus.SOLVING and run.job and run.job.status in ended:
        run.status = RunStatus.FAILED
        db.flush()
    return run


def list_runs(*, db: Session, actor: Actor, program: Program) -> Sequence[PlanRun]:
    require(db, actor, Action.VIEW, program)
    return db.scalars(
        select(PlanRun).where(PlanRun.program_id == program.id).order_by(PlanRun.id.desc())
    ).all()


def plan_of(run: PlanRun) -> Plan | None:
    return Plan.model_validate(run.plan) if run.plan else None


def _refuse(text: str, **params: Any) -> UserError:
    return UserError([problem("run", text, **params)], status_code=409)


def accept_run(*, db: Session, actor: Actor, run: PlanRun) -> PlanRun:
    """Write the proposed plan: activities, consultations and trainee places, all or nothing.

    Refused when the run is not a proposal any more (accepted, discarded), when the plan is
    infeasible, when it would add a conflict to the program as it stands now (each named), or
    when the program changed since the instance was built (a stale plan). The program's row is
    locked first, so that no other accept or edit of its plan slips in between the check and
    the writes.
    """
    db.execute(select(Program.id).where(Program.id == run.program_id).with_for_update())
    program = run.program
    programs_service.require_open(program)
    plan = plan_of(run)
    if run.status != RunStatus.PROPOSED or plan is None:
        raise _refuse(N_("This plan is no longer a proposal: it was accepted or discarded."))
    if plan.solver.status == "infeasible":
        raise _refuse(N_("This plan is infeasible and cannot be accepted."))
    frozen = Instance.model_validate(run.instance)
    found = proposal.find_conflicts(db=db, program=program, instance=frozen, plan=plan)
    if found.added:
        message = ConflictsMessage(
            N_("Accepting this plan would add conflicts to the program: %(conflicts)s"),
            sentences=tuple(found.added),
        )
        raise UserError([FieldError("run", message)], status_code=409)
    fresh = instance.build(
        db=db,
        actor=actor,
        program=program,
        as_of=run.as_of,
        disruption=Disruption.from_json(run.disruption) if run.disruption else None,
    )
    if fresh.model_dump(mode="json") != run.instance:
        raise _refuse(N_("The program changed since this plan was made. Plan it again to accept."))
    taken = db.execute(
        update(PlanRun)
        .where(PlanRun.id == run.id, PlanRun.status == RunStatus.PROPOSED)
        .values(status=RunStatus.ACCEPTED, accepted_by=actor.user_id, accepted_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        raise _refuse(N_("This plan is no longer a proposal: it was accepted or discarded."))
    activities = _write_activities(db, actor, program, frozen, plan)
    consultations = ((row_id(c.patient, "p"), c.activity) for c in plan.consultations)
    booked = care_booking.book_planned(
        db=db, actor=actor, placements=_with_activity_ids(consultations, activities)
    )
    attendances = ((row_id(a.trainee, "t"), a.activity) for a in plan.attendances)
    placed = training_service.place_planned(
        db=db, actor=actor, placements=_with_activity_ids(attendances, activities)
    )
    audit.record(
        db,
        action="accept",
        entity=PlanRun.__tablename__,
        entity_id=run.id,
        note=f"activities={len(activities)} consultations={booked} trainees={placed}",
    )
    db.refresh(run)
    return run


def _with_activity_ids(
    pairs: Iterable[tuple[int, str]], activities: dict[str, Activity]
) -> list[tuple[int, int]]:
    """(row id, activity key) pairs of the plan as (row id, activity id) of the written ones."""
    return [(row, activities[key].id) for row, key in pairs if key in activities]


def _write_activities(
    db: Session, actor: Actor, program: Program, frozen: Instance, plan: Plan
) -> dict[str, Activity]:
    """Create or move each placed request's activity through the programs service, which
    checks it as a coordinator's entry is checked; cancel those of the instance's requests the
    plan leaves out (the requests it held as busy times keep theirs)."""
    planned = {activity.id for activity in frozen.activities}
    requests = {
        instance.rid("r", r.id): r
        for r in db.scalars(select(PlanningRequest).where(PlanningRequest.program_id == program.id))
        if instance.rid("r", r.id) in planned
    }
    rooms = {
        room.id: room
        for room in db.scalars(
            select(Room).where(Room.id.in_({row_id(p.room, "m") for p in plan.activities}))
        )
    }
    written: dict[str, Activity] = {}
    for placed in plan.activities:
        request = requests[placed.activity]
        values = _activity_fields(request, placed, rooms[row_id(placed.room, "m")])
        if request.activity is None:
            request.activity = programs_service.create_activity(
                db=db, actor=actor, program=program, data=ActivityCreate(**values)
            )
        else:
            programs_service.update_activity(
                db=db, actor=actor, activity=request.activity, data=ActivityUpdate(**values)
            )
        written[placed.activity] = request.activity
    for key, request in requests.items():
        if key not in written and request.activity is not None:
            programs_service.cancel_activity(db=db, actor=actor, activity=request.activity)
    db.flush()
    return written


def _activity_fields(
    request: PlanningRequest, placed: PlacedActivity, room: Room
) -> dict[str, Any]:
    """The fields of the activity the plan places for ``request``, its hours on the clocks of
    the room's city; an activity already under way or done keeps its status."""
    current = request.activity.status if request.activity else None
    return {
        "kind": request.kind,
        "status": ActivityStatus.PLANNED
        if current in (None, ActivityStatus.CANCELLED, ActivityStatus.REQUESTED)
        else current,
        "titles": dict(request.titles),
        "specialty_id": request.specialty_id,
        "city_id": room.institution.city_id,
        "institution_id": room.institution_id,
        "room_id": room.id,
        "day": placed.day,
        "start_time": time.fromisoformat(placed.start),
        "end_time": time.fromisoformat(placed.end),
        "lead_ids": [row_id(s, "s") for s in placed.leads],
        "trainee_capacity": request.trainee_seats,
    }


def discard_run(*, db: Session, actor: Actor, run: PlanRun) -> PlanRun:
    """Set a proposal aside; nothing of it is written."""
    if run.status not in (RunStatus.PROPOSED, RunStatus.FAILED):
        raise _refuse(N_("This plan is no longer a proposal: it was accepted or discarded."))
    run.status = RunStatus.DISCARDED
    db.flush()
    return run
