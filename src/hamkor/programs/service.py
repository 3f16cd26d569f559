"""Programs, brigades, participations and activities: queries and state changes.

Every function takes keyword arguments, the session and the acting user, and only flushes: the
request (or command) commits once. Reads go through ``core.access.restrict``; a write takes the
record its caller loaded with ``core.access.get_for(..., CHANGE)`` (a route, a command, the
planner accepting a plan), so access is checked once, before the service; rows and their
changes reach the audit trail by the flush hook.
Rules that need the database refuse with :class:`UserError` naming the field to correct, and
check everything before anything is written.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, distinct, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload

from hamkor.core.access import (
    AccessDenied,
    Action,
    Actor,
    NotFound,
    can,
    require,
    restrict,
)
from hamkor.core.db import Base, assign
from hamkor.core.errors import FieldError, UserError, problem, refuse_any
from hamkor.core.forms import record_values, validate
from hamkor.core.i18n import DEFAULT_LANGUAGE, N_, Translator, localized
from hamkor.core.models import Membership, Role
from hamkor.core.pagination import Page, paginate
from hamkor.directory.models import City, Country, Institution, Person, Room, Specialty
from hamkor.directory.service import travel_matrix
from hamkor.programs import calendar, conflicts, timetable
from hamkor.programs.calendar import CalendarBy, Group, Itinerary
from hamkor.programs.conflicts import Conflict
from hamkor.programs.filters import ActivityFilter, ParticipantFilter, ProgramFilter
from hamkor.programs.models import (
    Activity,
    ActivityKind,
    ActivityStatus,
    Delegation,
    Participation,
    Program,
    ProgramStatus,
    activity_leads,
)
from hamkor.programs.schemas import (
    ActivityCreate,
    ActivityUpdate,
    DelegationCreate,
    DelegationUpdate,
    ParticipationCreate,
    ParticipationUpdate,
    ProgramCreate,
    ProgramUpdate,
)
from hamkor.programs.timetable import DayPage, Grid, TimetableBy

RowT = TypeVar("RowT", bound=Base)
ChildT = TypeVar("ChildT", Activity, Delegation, Participation)
CreateT = TypeVar("CreateT", bound=BaseModel)

#: A program's life: each status and the ones it may move to. Any may be cancelled.
TRANSITIONS: dict[ProgramStatus, tuple[ProgramStatus, ...]] = {
    ProgramStatus.DRAFT: (ProgramStatus.PLANNED, ProgramStatus.CANCELLED),
    ProgramStatus.PLANNED: (ProgramStatus.RUNNING, ProgramStatus.CANCELLED),
    ProgramStatus.RUNNING: (ProgramStatus.COMPLETED, ProgramStatus.CANCELLED),
    ProgramStatus.COMPLETED: (ProgramStatus.CANCELLED,),
    ProgramStatus.CANCELLED: (),
}
_CHOOSE = N_("Choose one of the offered values.")
_LOCAL_TIME_FIELDS = frozenset({"day", "start_time", "end_time"})


# --- shared helpers -------------------------------------------------------------------------


def _pick(
    db: Session, model: type[RowT], record_id: int | None, field: str, errors: list[FieldError]
) -> RowT | None:
    """The row chosen in ``field``, or a refusal on that field when it does not exist."""
    if record_id is None:
        return None
    found = db.get(model, record_id)
    if found is None:
        errors.append(problem(field, _CHOOSE))
    return found


def _after_update(schema: type[CreateT], current: dict[str, Any], changes: BaseModel) -> CreateT:
    """The record as it would be after ``changes``, checked by the rules of a new record, so
    an update can never reach a state a creation would refuse."""
    return validate(schema, {**current, **changes.model_dump(exclude_unset=True)})


def _code_taken(db: Session, column: InstrumentedAttribute[str], code: str, *scope: Any) -> bool:
    return db.scalar(select(column).where(column == code, *scope).limit(1)) is not None


def _other_than(row: Program | Delegation | None) -> list[ColumnElement[bool]]:
    """The condition that leaves ``row`` itself out of a uniqueness check (none when new)."""
    return [] if row is None else [type(row).id != row.id]


def _instant(
    moment: datetime | None, city: City | None, city_field: str, errors: list[FieldError]
) -> datetime | None:
    """An instant from a time with an offset, or from one read on the clocks of ``city``."""
    if moment is None:
        return None
    if moment.tzinfo is not None:
        return moment.astimezone(UTC)
    if city is None:
        errors.append(problem(city_field, N_("Choose the city whose time this is.")))
        return None
    return moment.replace(tzinfo=ZoneInfo(city.timezone)).astimezone(UTC)


def get_child(
    *,
    db: Session,
    actor: Actor,
    model: type[ChildT],
    record_id: int,
    program_id: int,
    action: Action = Action.VIEW,
) -> ChildT:
    """A brigade, participation or activity reached through its program's address; one of
    another program is not found there (404), whether or not the actor may see it elsewhere:
    the address is checked before access, so it neither depends on the actor's rights nor
    records a denial for a record the caller never reached."""
    row = db.get(model, record_id)
    if row is None or row.program_id != program_id:
        raise NotFound(model.__tablename__, record_id)
    require(db, actor, action, row)
    return row


# --- programs -------------------------------------------------------------------------------


def list_programs(
    *, db: Session, actor: Actor, filters: ProgramFilter, page_size: int
) -> Page[Program]:
    """The programs the actor may see that match the filter, one page of them."""
    return paginate(db, restrict(filters.statement(), actor), number=filters.page, size=page_size)


def current_program(
    *, db: Session, actor: Actor, today: date, among: Collection[int] | None = None
) -> Program | None:
    """The program a reader's workspace opens on (issue 20): the one running ``today``, else
    the next to start, else the latest to have ended; of those ``actor`` sees (and of
    ``among``, when given), cancelled ones left out. Several running: the latest started."""
    visible = restrict(select(Program), actor).where(Program.status != ProgramStatus.CANCELLED)
    if among is not None:
        visible = visible.where(Program.id.in_(among))
    for stmt in (
        visible.where(Program.starts_on <= today, Program.ends_on >= today).order_by(
            Program.starts_on.desc()
        ),
        visible.where(Program.starts_on > today).order_by(Program.starts_on),
        visible.where(Program.ends_on < today).order_by(Program.ends_on.desc()),
    ):
        found: Program | None = db.scalars(stmt.order_by(Program.id).limit(1)).first()
        if found is not None:
            return found
    return None


def may_create_program(actor: Actor) -> bool:
    """Programs are started by coordinators of all programs (and platform admins)."""
    return actor.is_admin or actor.has_global(Role.PROGRAM_COORDINATOR)


def may_change(db: Session, actor: Actor, program: Program) -> bool:
    """Whether the actor may change the program: pages show its edit links only then."""
    return can(db, actor, Action.CHANGE, program)


def _check_program(db: Session, data: ProgramCreate, program: Program | None) -> dict[str, Any]:
    errors: list[FieldError] = []
    _pick(db, Country, data.guest_country_id, "guest_country_id", errors)
    _pick(db, Country, data.host_country_id, "host_country_id", errors)
    if _code_taken(db, Program.code, data.code, *_other_than(program)):
        errors.append(problem("code", N_("The code %(value)s is taken."), value=data.code))
    if program is not None:
        errors += _activities_outside(db, program, data)
    refuse_any(errors)
    return data.model_dump() | {"descriptions": data.descriptions or {}}


def _activities_outside(db: Session, program: Program, data: ProgramCreate) -> list[FieldError]:
    """Refusals for new dates that would leave some of the program's activities outside."""
    days = [
        calendar.local_day(a)
        for a in db.scalars(
            select(Activity).where(
                Activity.program_id == program.id, Activity.status != ActivityStatus.CANCELLED
            )
        )
    ]
    text = N_("Some activities fall outside these dates; move or cancel them first.")
    errors = []
    if any(day < data.starts_on for day in days):
        errors.append(problem("starts_on", text))
    if any(day > data.ends_on for day in days):
        errors.append(problem("ends_on", text))
    return errors


def create_program(*, db: Session, actor: Actor, data: ProgramCreate) -> Program:
    """A new draft program; its creator becomes its coordinator."""
    if not may_create_program(actor):
        raise AccessDenied(Program.__tablename__, None, Action.CHANGE)
    program = Program(**_check_program(db, data, None))
    db.add(program)
    db.flush()
    db.add(Membership(user_id=actor.user_id, role=Role.PROGRAM_COORDINATOR, program_id=program.id))
    db.flush()
    return program


def update_program(*, db: Session, actor: Actor, program: Program, data: ProgramUpdate) -> Program:
    """Change a program's code, kind, names, countries or dates (not its status)."""
    merged = _after_update(ProgramCreate, record_values(program, ProgramCreate), data)
    assign(program, _check_program(db, merged, program))
    db.flush()
    return program


def next_statuses(program: Program) -> tuple[ProgramStatus, ...]:
    """The statuses the program may move to now, offered as buttons on its page."""
    return TRANSITIONS[program.status]


def change_status(*, db: Session, actor: Actor, program: Program, status: ProgramStatus) -> Program:
    """Move a program on in its life (draft → planned → running → completed) or cancel it."""
    if status not in next_statuses(program):
        raise UserError.one("status", N_("The program cannot move from its status to this one."))
    program.status = status
    db.flush()
    return program


def delete_program(*, db: Session, actor: Actor, program: Program) -> None:
    """Delete a draft made by mistake; a program that was planned is cancelled instead."""
    if program.status != ProgramStatus.DRAFT:
        raise UserError.one(
            "status", N_("Only a draft can be deleted; cancel the program instead.")
        )
    db.delete(program)
    db.flush()


def _count_by(
    db: Session,
    column: InstrumentedAttribute[int] | InstrumentedAttribute[int | None],
    ids: Collection[int],
    *where: Any,
) -> dict[int, int]:
    """How many rows there are per value of ``column`` among ``ids``."""
    rows = db.execute(select(column, func.count()).where(column.in_(ids), *where).group_by(column))
    return {key: count for key, count in rows if key is not None}


@dataclass(frozen=True)
class Figures:
    """What a program amounts to, in the figures reports quote."""

    delegates: int = 0
    brigades: int = 0
    activities: int = 0
    cities: int = 0


def figures(*, db: Session, program_ids: Collection[int]) -> dict[int, Figures]:
    """Figures of several programs in three queries (the home page and lists show many)."""
    delegates = _count_by(db, Participation.program_id, program_ids)
    brigades = _count_by(db, Delegation.program_id, program_ids)
    activities = {
        program_id: (count, cities)
        for program_id, count, cities in db.execute(
            select(Activity.program_id, func.count(), func.count(distinct(Activity.city_id)))
            .where(
                Activity.program_id.in_(program_ids),
                Activity.status != ActivityStatus.CANCELLED,
            )
            .group_by(Activity.program_id)
        )
    }
    result = {}
    for program_id in program_ids:
        count, cities = activities.get(program_id, (0, 0))
        result[program_id] = Figures(
            delegates.get(program_id, 0), brigades.get(program_id, 0), count, cities
        )
    return result


@dataclass(frozen=True)
class Overview:
    """A program at a glance: its figures, what happens where, and what clashes."""

    program: Program
    figures: Figures
    by_kind: list[tuple[ActivityKind, int]]
    cities: list[City]
    conflicts: list[Conflict]
    may_change: bool
    next_statuses: tuple[ProgramStatus, ...]


def overview(*, db: Session, actor: Actor, program: Program) -> Overview:
    """The overview page's content for a program the actor may see."""
    activities = list_activities(db=db, actor=actor, program=program)
    live = [a for a in activities if a.status != ActivityStatus.CANCELLED]
    kinds = Counter(ActivityKind(a.kind) for a in live)
    cities = {a.city_id: a.city for a in live}
    return Overview(
        program=program,
        figures=figures(db=db, program_ids=[program.id])[program.id],
        by_kind=[(kind, kinds[kind]) for kind in ActivityKind if kinds[kind]],
        cities=list(cities.values()),
        conflicts=_conflicts(db, activities),
        may_change=may_change(db, actor, program),
        next_statuses=next_statuses(program),
    )


# --- activities -----------------------------------------------------------------------------


def list_activities(
    *, db: Session, actor: Actor, program: Program, filters: ActivityFilter | None = None
) -> list[Activity]:
    """The program's activities the actor may see, by start, narrowed by ``filters``."""
    filters = filters or ActivityFilter()
    found = db.scalars(restrict(filters.statement(program.id), actor))
    return [activity for activity in found if filters.keeps(activity)]


def _travel(db: Session, activities: Sequence[Activity]) -> conflicts.TravelMinutes:
    """Road minutes between the activities' cities, read once for many look-ups."""
    matrix = travel_matrix(db, {activity.city_id for activity in activities})
    return lambda a, b: matrix[a.id, b.id]


def _conflicts(db: Session, activities: Sequence[Activity]) -> list[Conflict]:
    return conflicts.find(activities, _travel(db, activities))


def program_conflicts(*, db: Session, actor: Actor, program: Program) -> list[Conflict]:
    """Every conflict of the program's plan."""
    return _conflicts(db, list_activities(db=db, actor=actor, program=program))


@dataclass(frozen=True)
class CalendarView:
    """The calendar page: one day's groups of activities, and the conflicts of the whole program
    (a filter narrows what is listed, never which conflicts are shown). ``page`` is the day
    shown among the program's days; None when the filter leaves no day."""

    groups: list[Group]
    conflicts: list[Conflict]
    flagged: dict[int, list[Conflict]]
    page: DayPage | None


def calendar_view(
    *,
    db: Session,
    actor: Actor,
    program: Program,
    by: CalendarBy,
    filters: ActivityFilter,
    day: date | None,
    now: datetime,
    translator: Translator,
) -> CalendarView:
    """The calendar page's content for a program the actor may see, one day at a time: ``day``,
    or else today (by ``now``) when the program runs, or else its first day within the filter."""
    everything = list_activities(db=db, actor=actor, program=program)
    days = timetable.program_days(program, filters.from_, filters.to)
    page = timetable.day_page(days, day, timetable.today_of(everything, now))
    shown = (
        list_activities(db=db, actor=actor, program=program, filters=filters)
        if filters.is_set
        else everything
    )
    found = _conflicts(db, everything)
    of_day = [a for a in shown if page is not None and calendar.local_day(a) == page.day]
    return CalendarView(
        groups=calendar.group(of_day, by, translator),
        conflicts=found,
        flagged=conflicts.by_activity(found),
        page=page,
    )


@dataclass(frozen=True)
class TimetableView:
    """The timetable page: the grid of one day, and the conflicts of the whole program."""

    grid: Grid
    conflicts: list[Conflict]
    page: DayPage


def timetable_view(
    *,
    db: Session,
    actor: Actor,
    program: Program,
    by: TimetableBy,
    day: date | None,
    now: datetime,
    translator: Translator,
) -> TimetableView:
    """The timetable of one of the program's days (chosen as the calendar's is), in lanes
    ``by`` room, specialist or city, its blocks flagged with the conflicts the list shows."""
    everything = list_activities(db=db, actor=actor, program=program)
    page = timetable.day_page(
        timetable.program_days(program), day, timetable.today_of(everything, now)
    )
    # A program has at least one day: its end is checked to be on or after its start.
    assert page is not None
    found = _conflicts(db, everything)
    grid = timetable.layout(
        everything,
        day=page.day,
        by=by,
        flagged=conflicts.by_activity(found),
        translator=translator,
    )
    return TimetableView(grid=grid, conflicts=found, page=page)


def activity_values(activity: Activity, zone: ZoneInfo | None = None) -> dict[str, Any]:
    """The activity in the fields of :class:`ActivityCreate`, its time as a day and hours on
    the clocks of ``zone`` (by default its city's), as the edit form shows it."""
    zone = zone or ZoneInfo(activity.city.timezone)
    starts, ends = activity.starts_at.astimezone(zone), activity.ends_at.astimezone(zone)
    values = record_values(activity, ActivityCreate)
    del values["starts_at"], values["ends_at"]
    return values | {
        "day": starts.date(),
        "start_time": starts.time(),
        "end_time": ends.time(),
        "lead_ids": [lead.id for lead in activity.leads],
    }


def _settle_activity(
    db: Session, actor: Actor, program: Program, data: ActivityCreate
) -> tuple[dict[str, Any], list[Person]]:
    """The activity's column values and leads, once every rule of the directory holds."""
    errors: list[FieldError] = []
    city = _pick(db, City, data.city_id, "city_id", errors)
    institution = _pick(db, Institution, data.institution_id, "institution_id", errors)
    room = _pick(db, Room, data.room_id, "room_id", errors)
    specialty = _pick(db, Specialty, data.specialty_id, "specialty_id", errors)
    delegation = _pick(db, Delegation, data.delegation_id, "delegation_id", errors)
    leads = list(db.scalars(select(Person).where(Person.id.in_(data.lead_ids)).order_by(Person.id)))
    if city is None:
        raise UserError(errors)
    if delegation is not None and delegation.program_id != program.id:
        errors.append(problem("delegation_id", _CHOOSE))
    if len(leads) != len(set(data.lead_ids)):
        errors.append(problem("lead_ids", _CHOOSE))
    if institution is not None and institution.city_id != city.id:
        errors.append(problem("institution_id", N_("The institution is not in this city.")))
    if room is not None and institution is None:
        errors.append(problem("institution_id", N_("Choose the institution of the room.")))
    elif room is not None and institution is not None and room.institution_id != institution.id:
        errors.append(problem("room_id", N_("The room belongs to another institution.")))
    if room is not None and data.trainee_capacity > room.capacity:
        errors.append(
            problem(
                "trainee_capacity",
                N_("The room holds at most %(capacity)s people."),
                capacity=room.capacity,
            )
        )
    if specialty is not None:
        others = [lead for lead in leads if specialty not in lead.specialties]
        if others:
            language = actor.language or DEFAULT_LANGUAGE
            errors.append(
                problem(
                    "lead_ids",
                    N_("Not of the activity's specialty: %(names)s."),
                    names=", ".join(localized(p.names, language) for p in others),
                )
            )
    zone = ZoneInfo(city.timezone)
    starts_at, ends_at = data.span(zone)
    errors += _outside_program(program, (starts_at, ends_at), zone, data.time_fields)
    refuse_any(errors)
    values = data.model_dump(exclude={*_LOCAL_TIME_FIELDS, "starts_at", "ends_at", "lead_ids"})
    return values | {"starts_at": starts_at, "ends_at": ends_at}, leads


def _outside_program(
    program: Program, span: tuple[datetime, datetime], zone: ZoneInfo, fields: tuple[str, str]
) -> list[FieldError]:
    """A refusal when the activity's days (on its city's clocks) leave the program's dates."""
    text = N_("The activity must fall within the program's dates, %(start)s to %(end)s.")
    params = {"start": program.starts_on.isoformat(), "end": program.ends_on.isoformat()}
    if span[0].astimezone(zone).date() < program.starts_on:
        return [problem(fields[0], text, **params)]
    if span[1].astimezone(zone).date() > program.ends_on:
        return [problem(fields[1], text, **params)]
    return []


def require_open(program: Program) -> None:
    """Refuse to add to (or plan) a completed or cancelled program."""
    if not program.is_open:
        raise UserError.one(
            "program",
            N_("A completed or cancelled program takes no new activities and no planning."),
        )


def create_activity(
    *, db: Session, actor: Actor, program: Program, data: ActivityCreate
) -> Activity:
    """A new activity of the program. A conflict with others is no refusal: it is shown."""
    require_open(program)
    values, leads = _settle_activity(db, actor, program, data)
    activity = Activity(program_id=program.id, leads=leads, **values)
    db.add(activity)
    db.flush()
    return activity


def update_activity(
    *, db: Session, actor: Actor, activity: Activity, data: ActivityUpdate
) -> Activity:
    """Change an activity. New hours are read on the clocks of its (new) city; without new
    hours its instants stay as they are."""
    changes = data.model_dump(exclude_unset=True)
    if changes.keys() & _LOCAL_TIME_FIELDS:
        city = db.get(City, changes.get("city_id") or activity.city_id) or activity.city
        current = activity_values(activity, ZoneInfo(city.timezone))
    else:
        current = {
            name: value
            for name, value in activity_values(activity).items()
            if name not in _LOCAL_TIME_FIELDS
        } | {"starts_at": activity.starts_at, "ends_at": activity.ends_at}
    merged = _after_update(ActivityCreate, current, data)
    values, leads = _settle_activity(db, actor, activity.program, merged)
    assign(activity, values)
    activity.leads = leads
    db.flush()
    return activity


def mark_done(*, db: Session, actor: Actor, activity: Activity) -> Activity:
    """Record that an activity took place (what was done in it, care and training record);
    one called off stays cancelled."""
    if activity.status != ActivityStatus.CANCELLED:
        activity.status = ActivityStatus.DONE
        db.flush()
    return activity


def cancel_activity(*, db: Session, actor: Actor, activity: Activity) -> Activity:
    """Call off an activity that will not happen; one already done stays as it was."""
    if activity.status != ActivityStatus.DONE:
        activity.status = ActivityStatus.CANCELLED
        db.flush()
    return activity


def delete_activity(*, db: Session, actor: Actor, activity: Activity) -> None:
    """Delete an activity entered by mistake; one that will not happen is cancelled instead."""
    db.delete(activity)
    db.flush()


def program_people(
    *, db: Session, actor: Actor, program: Program, also: Iterable[Person] = ()
) -> list[Person]:
    """The people taking part in the program (and ``also`` these), to choose leads from."""
    stmt = select(Person).where(
        Person.id.in_(select(Participation.person_id).where(Participation.program_id == program.id))
    )
    people = {p.id: p for p in db.scalars(restrict(stmt, actor))}
    people.update((p.id, p) for p in also)
    return list(people.values())


# --- calendars, itineraries, feeds ----------------------------------------------------------


def itineraries(
    *, db: Session, actor: Actor, program: Program, delegation_id: int | None = None
) -> list[Itinerary]:
    """Each brigade's itinerary (or one brigade's), with the road minutes between cities."""
    delegations = list_delegations(db=db, actor=actor, program=program, delegation_id=delegation_id)
    activities = list_activities(db=db, actor=actor, program=program)
    travel = _travel(db, activities)
    by_delegation: dict[int, list[Activity]] = defaultdict(list)
    for activity in activities:
        if activity.delegation_id is not None:
            by_delegation[activity.delegation_id].append(activity)
    return [calendar.itinerary(d, by_delegation[d.id], travel) for d in delegations]


def _feed_statement(actor: Actor, program: Program | None, person: Person | None) -> Select[Any]:
    stmt = restrict(select(Activity).order_by(Activity.starts_at, Activity.id), actor)
    if program is not None:
        stmt = stmt.where(Activity.program_id == program.id)
    if person is not None:
        led = select(activity_leads.c.activity_id).where(activity_leads.c.person_id == person.id)
        brigades = select(Participation.delegation_id).where(Participation.person_id == person.id)
        stmt = stmt.where(or_(Activity.id.in_(led), Activity.delegation_id.in_(brigades)))
    return stmt


def feed(
    *,
    db: Session,
    actor: Actor,
    translator: Translator,
    program: Program | None = None,
    person: Person | None = None,
) -> bytes:
    """An iCalendar feed: a program's activities, or a person's (those they lead and those of
    their brigades) in one program or in every program the actor may see."""
    titles = [translator.name(x.names) for x in (program, person) if x is not None]
    activities = db.scalars(_feed_statement(actor, program, person))
    return calendar.feed(activities, title=" · ".join(titles), translator=translator)


# --- delegations ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DelegationSummary:
    """A brigade as the brigades list shows it."""

    delegation: Delegation
    members: int
    activities: int


def list_delegations(
    *, db: Session, actor: Actor, program: Program, delegation_id: int | None = None
) -> list[Delegation]:
    """The program's brigades (or one of them) the actor may see, by code."""
    stmt = select(Delegation).where(Delegation.program_id == program.id).order_by(Delegation.code)
    if delegation_id is not None:
        stmt = stmt.where(Delegation.id == delegation_id)
    return list(db.scalars(restrict(stmt, actor)))


def summarize_delegations(
    *, db: Session, actor: Actor, program: Program
) -> list[DelegationSummary]:
    """The program's brigades with how many people and activities each has."""
    delegations = list_delegations(db=db, actor=actor, program=program)
    ids = [d.id for d in delegations]
    members = _count_by(db, Participation.delegation_id, ids)
    activities = _count_by(
        db, Activity.delegation_id, ids, Activity.status != ActivityStatus.CANCELLED
    )
    return [
        DelegationSummary(d, members.get(d.id, 0), activities.get(d.id, 0)) for d in delegations
    ]


def _check_delegation(
    db: Session, program: Program, data: DelegationCreate, delegation: Delegation | None
) -> dict[str, Any]:
    errors: list[FieldError] = []
    _pick(db, Institution, data.institution_id, "institution_id", errors)
    scope = [Delegation.program_id == program.id, *_other_than(delegation)]
    if _code_taken(db, Delegation.code, data.code, *scope):
        errors.append(problem("code", N_("The code %(value)s is taken."), value=data.code))
    refuse_any(errors)
    return data.model_dump()


def create_delegation(
    *, db: Session, actor: Actor, program: Program, data: DelegationCreate
) -> Delegation:
    """A new brigade of the program; its code is unique within the program."""
    delegation = Delegation(program_id=program.id, **_check_delegation(db, program, data, None))
    db.add(delegation)
    db.flush()
    return delegation


def update_delegation(
    *, db: Session, actor: Actor, delegation: Delegation, data: DelegationUpdate
) -> Delegation:
    """Rename a brigade, change its code or its sending institution."""
    merged = _after_update(DelegationCreate, record_values(delegation, DelegationCreate), data)
    assign(delegation, _check_delegation(db, delegation.program, merged, delegation))
    db.flush()
    return delegation


def delete_delegation(*, db: Session, actor: Actor, delegation: Delegation) -> None:
    """Dissolve a brigade; its people and activities stay in the program without it."""
    db.delete(delegation)
    db.flush()


# --- participations -------------------------------------------------------------------------


def _participations(
    actor: Actor, program: Program, filters: ParticipantFilter | None = None
) -> Select[Any]:
    """The program's participants the actor may see, by brigade and role, their cities loaded
    with them so that a page of them reads in a fixed number of queries."""
    stmt = (
        select(Participation)
        .where(Participation.program_id == program.id)
        .options(
            selectinload(Participation.arrival_city), selectinload(Participation.departure_city)
        )
        .order_by(Participation.delegation_id, Participation.role, Participation.id)
    )
    return restrict(stmt if filters is None else filters.apply(stmt), actor)


def list_participations(
    *,
    db: Session,
    actor: Actor,
    program: Program,
    delegation_id: int | None = None,
    filters: ParticipantFilter | None = None,
) -> list[Participation]:
    """The program's participants (or one brigade's members), by brigade and role."""
    stmt = _participations(actor, program, filters)
    if delegation_id is not None:
        stmt = stmt.where(Participation.delegation_id == delegation_id)
    return list(db.scalars(stmt))


def page_participations(
    *, db: Session, actor: Actor, program: Program, filters: ParticipantFilter, size: int
) -> Page[Participation]:
    """One page of the program's participants narrowed by ``filters``."""
    stmt = _participations(actor, program, filters)
    return paginate(db, stmt, number=filters.page, size=size)


def _check_participation(
    db: Session, program: Program, data: ParticipationCreate, participation: Participation | None
) -> dict[str, Any]:
    errors: list[FieldError] = []
    person = _pick(db, Person, data.person_id, "person_id", errors)
    delegation = _pick(db, Delegation, data.delegation_id, "delegation_id", errors)
    arrival_city = _pick(db, City, data.arrival_city_id, "arrival_city_id", errors)
    departure_city = _pick(db, City, data.departure_city_id, "departure_city_id", errors)
    if delegation is not None and delegation.program_id != program.id:
        errors.append(problem("delegation_id", _CHOOSE))
    if person is not None and participation is None:
        taken = select(Participation.id).where(
            Participation.program_id == program.id, Participation.person_id == person.id
        )
        if db.scalar(taken) is not None:
            errors.append(problem("person_id", N_("This person already takes part.")))
    arrives = _instant(data.arrives_at, arrival_city, "arrival_city_id", errors)
    departs = _instant(data.departs_at, departure_city, "departure_city_id", errors)
    if arrives is not None and departs is not None and departs < arrives:
        errors.append(problem("departs_at", N_("The departure cannot come before the arrival.")))
    refuse_any(errors)
    return data.model_dump() | {"arrives_at": arrives, "departs_at": departs}


def participation_values(participation: Participation) -> dict[str, Any]:
    """The participation in the fields of :class:`ParticipationCreate`, its arrival and
    departure on the clocks of their cities, as the edit form shows them."""
    values = record_values(participation, ParticipationCreate)
    for field, city in (
        ("arrives_at", participation.arrival_city),
        ("departs_at", participation.departure_city),
    ):
        if values[field] is not None and city is not None:
            values[field] = values[field].astimezone(ZoneInfo(city.timezone)).replace(tzinfo=None)
    return values


def create_participation(
    *, db: Session, actor: Actor, program: Program, data: ParticipationCreate
) -> Participation:
    """Add a person to the program, with their role, brigade, arrival and departure."""
    participation = Participation(
        program_id=program.id, **_check_participation(db, program, data, None)
    )
    db.add(participation)
    db.flush()
    return participation


def update_participation(
    *, db: Session, actor: Actor, participation: Participation, data: ParticipationUpdate
) -> Participation:
    """Change a participant's role, brigade, arrival or departure."""
    current = record_values(participation, ParticipationCreate)
    merged = _after_update(ParticipationCreate, current, data)
    program = db.get_one(Program, participation.program_id)
    assign(participation, _check_participation(db, program, merged, participation))
    db.flush()
    return participation


def delete_participation(*, db: Session, actor: Actor, participation: Participation) -> None:
    """Take a person out of the program; the activities they lead keep them."""
    db.delete(participation)
    db.flush()
