"""An honest, simple baseline: place greedily, never undo.

0. The busy times (what the plan may not move) hold their rooms and leads from the start, and
   bound where and when those leads may work (``rules.busy_window``). Pinned activities of the
   accepted plan (re-planning) stay as they are; then every other
   accepted activity that still can (mandatory first, then by weight) stays where it was.
1. The other activities, mandatory first, then by weight (highest first), then id: the first
   day, room and start on the grid (in that order) where enough leads are free; leads already
   working in that city that day are preferred, then the least busy.
2. Patients by priority (highest first), then id: the first reachable session of their
   specialty with a free place.
3. Trainees by id: every activity of interest in their city and days, in time order, that still
   has a seat and does not overlap one already taken.

What cannot be placed is listed in ``unplaced`` with a reason code (``docs/planning.md``).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from datetime import date

from hamkor.planning.solver import rules
from hamkor.planning.solver.model import (
    Activity,
    Attendance,
    Consultation,
    Instance,
    Objective,
    PlacedActivity,
    Plan,
    Room,
    SolverInfo,
    Specialist,
    Unplaced,
    UnplacedKind,
    clock,
    minutes,
)
from hamkor.planning.solver.objective import score

Interval = tuple[int, int]


def _free(busy: list[Interval], start: int, end: int) -> bool:
    return all(end <= b_start or b_end <= start for b_start, b_end in busy)


class State:
    """Who and what is busy when (the instance's busy times first), and where each specialist
    works each day."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        self.travel = rules.travel_table(instance)
        self.taken = rules.Taken.of(instance)
        self.day_start, _ = rules.program_window(instance.program)
        self.days = list(instance.program.days)
        self.room_busy: dict[tuple[str, date], list[Interval]] = defaultdict(list)
        self.spec_busy: dict[tuple[str, date], list[Interval]] = defaultdict(list)
        for key, windows in self.taken.rooms.items():
            self.room_busy[key] += windows
        for key, windows in self.taken.leads.items():
            self.spec_busy[key] += windows
        self.spec_city: dict[tuple[str, date], str] = {}
        self.load: dict[str, int] = defaultdict(int)
        self._windows: dict[tuple[str, date, str], Interval | None] = {}

    def window(self, specialist: Specialist, day: date, city: str) -> Interval | None:
        key = (specialist.id, day, city)
        if key not in self._windows:
            self._windows[key] = rules.specialist_window(
                self.instance, specialist, day, city, self.travel, self.taken
            )
        return self._windows[key]

    def can_lead(self, specialist: Specialist, day: date, city: str, start: int, end: int) -> bool:
        window = self.window(specialist, day, city)
        if window is None or start < window[0] or end > window[1]:
            return False
        sid = specialist.id
        if self.spec_city.get((sid, day), city) != city:
            return False
        if not _free(self.spec_busy[sid, day], start, end):
            return False
        index = self.days.index(day)
        if index > 0:  # came from yesterday's city: today's first start after the trip
            before = self.spec_city.get((sid, self.days[index - 1]))
            if before is not None and before != city:
                first = min([start, *(s for s, _ in self.spec_busy[sid, day])])
                if first < self.day_start + self.travel[before, city]:
                    return False
        if index + 1 < len(self.days):  # tomorrow's city: tomorrow's first start after the trip
            after_day = self.days[index + 1]
            after = self.spec_city.get((sid, after_day))
            if after is not None and after != city:
                first = min(s for s, _ in self.spec_busy[sid, after_day])
                if first < self.day_start + self.travel[city, after]:
                    return False
        return True

    def book(self, placed: PlacedActivity, start: int, end: int) -> None:
        self.room_busy[placed.room, placed.day].append((start, end))
        for lead in placed.leads:
            self.spec_busy[lead, placed.day].append((start, end))
            self.spec_city[lead, placed.day] = placed.city
            self.load[lead] += end - start


def _keep_accepted(state: State, activity: Activity, old: PlacedActivity) -> PlacedActivity | None:
    """Book ``activity`` where the accepted plan has it, if that is still feasible."""
    instance = state.instance
    program = instance.program
    rooms = {room.id: room for room in instance.rooms}
    room = rooms.get(old.room)
    start, end = minutes(old.start), minutes(old.start) + activity.duration_minutes
    if room is None or not rules.room_fits(activity, room) or room.city != old.city:
        return None
    if old.day not in rules.activity_days(program, activity):
        return None
    window = rules.room_window(program, room, old.day)
    if window is None or start not in rules.slot_starts(program, activity, window):
        return None
    if not _free(state.room_busy[room.id, old.day], start, end):
        return None
    eligible = {s.id: s for s in rules.eligible_leads(instance, activity)}
    leads = sorted(set(old.leads))
    if len(leads) != rules.leads_needed(activity) or any(lead not in eligible for lead in leads):
        return None
    if not all(state.can_lead(eligible[lead], old.day, room.city, start, end) for lead in leads):
        return None
    kept = old.model_copy(update={"end": clock(end), "leads": leads})
    state.book(kept, start, end)
    return kept


def first_start(
    state: State, activity: Activity, day: date, room: Room, candidates: list[Specialist]
) -> PlacedActivity | None:
    """The earliest grid start on ``day`` in ``room`` at which the room and enough of the
    ``candidates`` are free (leads already in that city that day first, then the least busy);
    None when there is none. Nothing is booked."""
    program = state.instance.program
    window = rules.room_window(program, room, day)
    if window is None:
        return None
    needed = rules.leads_needed(activity)
    available = [s for s in candidates if state.window(s, day, room.city) is not None]
    if len(available) < needed:
        return None
    available.sort(key=lambda s: (state.spec_city.get((s.id, day)) != room.city, state.load[s.id]))
    for start in rules.slot_starts(program, activity, window):
        end = start + activity.duration_minutes
        if not _free(state.room_busy[room.id, day], start, end):
            continue
        chosen: list[Specialist] = []
        for specialist in available:
            if state.can_lead(specialist, day, room.city, start, end):
                chosen.append(specialist)
                if len(chosen) == needed:
                    break
        if len(chosen) == needed:
            return PlacedActivity(
                activity=activity.id,
                day=day,
                start=clock(start),
                end=clock(end),
                city=room.city,
                room=room.id,
                leads=sorted(s.id for s in chosen),
            )
    return None


def place_first(state: State, activity: Activity) -> tuple[PlacedActivity | None, str, str]:
    """The first feasible placement, or None with a reason code and detail."""
    instance = state.instance
    program = instance.program
    same_kind = [room for room in instance.rooms if room.kind == activity.room_kind]
    in_city = [r for r in same_kind if not activity.cities or r.city in activity.cities]
    if not in_city:
        return None, "no_room_of_kind", f"no {activity.room_kind} in an allowed city"
    rooms = [r for r in in_city if r.capacity >= activity.trainee_seats]
    if not rooms:
        return None, "room_too_small", f"no {activity.room_kind} seats {activity.trainee_seats}"
    candidates = rules.eligible_leads(instance, activity)
    needed = rules.leads_needed(activity)
    if activity.named_leads and len(candidates) < needed:
        return None, "named_lead_unavailable", "a named lead lacks the activity's specialty"
    if len(candidates) < needed:
        return (
            None,
            "no_specialist_of_specialty",
            f"{len(candidates)} specialists of {activity.specialty}, {needed} needed",
        )
    leads_ever_free = False
    for day in rules.activity_days(program, activity):
        for room in rooms:
            if rules.room_window(program, room, day) is None:
                continue
            if sum(1 for s in candidates if state.window(s, day, room.city) is not None) < needed:
                continue
            leads_ever_free = True
            placed = first_start(state, activity, day, room, candidates)
            if placed is not None:
                state.book(placed, minutes(placed.start), minutes(placed.end))
                return placed, "", ""
    if activity.named_leads and not leads_ever_free:
        return None, "named_lead_unavailable", "the named leads are never all available together"
    return None, "no_free_time", "no day, room and start with the room and leads all free"


#: Places one activity (booking it in the state) or says why it cannot: the greedy's
#: :func:`place_first`, or the optimizer's value-aware placer (``solver/start.py``).
Placer = Callable[[State, Activity], tuple[PlacedActivity | None, str, str]]


def greedy(instance: Instance) -> Plan:
    """The greedy plan of ``instance`` (see the module's description)."""
    return build(instance, place_first, order=lambda a: (-a.weight, a.id))


def build(
    instance: Instance,
    place: Placer,
    *,
    order: Callable[[Activity], tuple[float, str] | tuple[float, int, str]],
    name: str = "greedy",
) -> Plan:
    """A plan made in the greedy's steps (see the module's description): pinned activities;
    the accepted activities that can stay where they were; the others (mandatory first, then by
    ``order``) each placed by ``place`` and never moved; then patients and trainees first-fit."""
    began = time.perf_counter()
    state = State(instance)
    placed: list[PlacedActivity] = []
    unplaced: list[Unplaced] = []

    # Pinned activities of the accepted plan are kept as they are, before anything else.
    accepted = {item.activity: item for item in instance.accepted}
    pinned = [accepted[a] for a in instance.pinned if a in accepted]
    for item in pinned:
        state.book(item, minutes(item.start), minutes(item.end))
        placed.append(item)
    done = {item.activity for item in pinned}

    # Mandatory first; within each, what the accepted plan has.
    ordered = sorted(
        (a for a in instance.activities if a.id not in done),
        key=lambda a: (not a.mandatory, a.id not in accepted, *order(a)),
    )
    # What the accepted plan has stays where it was when it still can, before anything moves
    # (so that a moved activity never takes the place of one that could have stayed).
    for activity in ordered:
        old = accepted.get(activity.id)
        kept = _keep_accepted(state, activity, old) if old is not None else None
        if kept is not None:
            placed.append(kept)
            done.add(activity.id)
    for activity in ordered:
        if activity.id in done:
            continue
        result, reason, detail = place(state, activity)
        if result is None:
            unplaced.append(
                Unplaced(kind=UnplacedKind.ACTIVITY, item=activity.id, reason=reason, detail=detail)
            )
        else:
            placed.append(result)
    consultations, missed = _patients(instance, placed)
    attendances, unreached = _trainees(instance, placed)
    plan = Plan(
        program=instance.program.code,
        activities=sorted(placed, key=lambda p: (p.day, p.start, p.room)),
        consultations=consultations,
        attendances=attendances,
        unplaced=[*unplaced, *missed, *unreached],
        objective=Objective(total=0, activities=0, patients=0, trainees=0, travel=0, changes=0),
        solver=SolverInfo(name=name, status="feasible", wall_seconds=0.0),
    )
    activities = {a.id: a for a in instance.activities}
    mandatory_left = any(
        u.kind == UnplacedKind.ACTIVITY and activities[u.item].mandatory for u in unplaced
    )
    status = "infeasible" if mandatory_left else "feasible"
    return plan.model_copy(
        update={
            "objective": score(instance, plan),
            "solver": SolverInfo(
                name=name, status=status, wall_seconds=time.perf_counter() - began
            ),
            "bound": None,
        }
    )


def _patients(
    instance: Instance, placed: list[PlacedActivity]
) -> tuple[list[Consultation], list[Unplaced]]:
    """Patients by priority (highest first), then id: the first reachable session (in time
    order) of their specialty with a free place."""
    activities = {a.id: a for a in instance.activities}
    sessions = sorted(
        (p for p in placed if rules.is_consultation(activities[p.activity])),
        key=lambda p: (p.day, p.start, p.activity),
    )
    free_places = {p.activity: activities[p.activity].patient_capacity for p in sessions}
    by_specialty: dict[str, list[PlacedActivity]] = defaultdict(list)
    for session in sessions:
        by_specialty[activities[session.activity].specialty].append(session)
    consultations: list[Consultation] = []
    unplaced: list[Unplaced] = []
    for patient in sorted(instance.patients, key=lambda p: (-p.priority, p.id)):
        offered = by_specialty.get(patient.specialty, [])
        reachable = [
            s
            for s in offered
            if s.city in patient.cities and (not patient.days or s.day in patient.days)
        ]
        chosen = next((s for s in reachable if free_places[s.activity] > 0), None)
        if chosen is not None:
            free_places[chosen.activity] -= 1
            consultations.append(Consultation(patient=patient.id, activity=chosen.activity))
            continue
        if not offered:
            reason, detail = "no_session_of_specialty", f"no {patient.specialty} session placed"
        elif not reachable:
            reason, detail = "no_session_reachable", "no session in the patient's cities and days"
        else:
            reason, detail = "sessions_full", f"{len(reachable)} reachable sessions are full"
        unplaced.append(
            Unplaced(kind=UnplacedKind.PATIENT, item=patient.id, reason=reason, detail=detail)
        )
    return consultations, unplaced


def _trainees(
    instance: Instance, placed: list[PlacedActivity]
) -> tuple[list[Attendance], list[Unplaced]]:
    """Trainees by id: every activity of interest in their city and days, in time order, that
    still has a seat and does not overlap one already taken."""
    activities = {a.id: a for a in instance.activities}
    teaching = sorted(
        (
            p
            for p in placed
            if not rules.is_consultation(activities[p.activity])
            and activities[p.activity].trainee_seats > 0
        ),
        key=lambda p: (p.day, p.start, p.activity),
    )
    seats = {p.activity: activities[p.activity].trainee_seats for p in teaching}
    by_city: dict[str, list[PlacedActivity]] = defaultdict(list)
    for item in teaching:
        by_city[item.city].append(item)
    attendances: list[Attendance] = []
    unplaced: list[Unplaced] = []
    for trainee in sorted(instance.trainees, key=lambda t: t.id):
        interests = set(trainee.specialties)
        of_interest = [
            p
            for p in by_city.get(trainee.city, [])
            if activities[p.activity].specialty in interests
            and (not trainee.days or p.day in trainee.days)
        ]
        taken: dict[date, list[Interval]] = defaultdict(list)
        count = 0
        for item in of_interest:
            start, end = minutes(item.start), minutes(item.end)
            if seats[item.activity] > 0 and _free(taken[item.day], start, end):
                seats[item.activity] -= 1
                taken[item.day].append((start, end))
                attendances.append(Attendance(trainee=trainee.id, activity=item.activity))
                count += 1
        if count == 0:
            if of_interest:
                reason, detail = "seats_exhausted", f"{len(of_interest)} activities, all full"
            else:
                reason, detail = "no_activity_of_interest", "nothing of interest in city and days"
            unplaced.append(
                Unplaced(kind=UnplacedKind.TRAINEE, item=trainee.id, reason=reason, detail=detail)
            )
    return attendances, unplaced
