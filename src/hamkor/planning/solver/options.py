"""What an instance allows, read once for every solver that models it (CP-SAT and the LP bound).

Pre-filtering, before any variable is made: the *options* of an activity are its (day, room)
pairs with the grid starts that fit the room's hours, the room's busy times and enough leads
present in that city (arrival, departure and busy times included); the candidate leads of each
day come with their working window. Patients and trainees are grouped in *classes* of people
interchangeable in every plan, by the *cells* (specialty, city, day) they can reach.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from hamkor.planning.solver import rules
from hamkor.planning.solver.model import (
    Activity,
    Instance,
    PlacedActivity,
    Specialist,
    minutes,
)


@dataclass
class Option:
    day: int
    room: str
    city: str
    starts: list[int]


@dataclass
class ActivityOptions:
    activity: Activity
    options: list[Option] = field(default_factory=list)
    #: day index -> candidate leads on that day with their (earliest start, latest end) window
    leads: dict[int, dict[str, tuple[int, int]]] = field(default_factory=dict)
    reason: str = ""
    detail: str = ""


class Data:
    """Pre-computed lookups shared by the model builder and the reason finder."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        prog = instance.program
        self.days: list[date] = list(prog.days)
        self.day_index = {d: i for i, d in enumerate(self.days)}
        self.ds = minutes(prog.day_start)
        self.de = minutes(prog.day_end)
        self.slot = prog.slot_minutes
        self.grid = list(range(self.ds, self.de, self.slot))
        self.cities = [c.id for c in instance.cities]
        self.travel: dict[tuple[str, str], int] = {}
        for t in instance.travel:
            self.travel[(t.a, t.b)] = t.minutes
            self.travel[(t.b, t.a)] = t.minutes
        self.rooms = {r.id: r for r in instance.rooms}
        self.specs = {s.id: s for s in instance.specialists}
        self.taken = rules.Taken.of(instance)
        self._table = rules.travel_table(instance)
        self._city_bounds: dict[tuple[str, int, str], tuple[int, int]] = {}
        self.by_specialty: dict[str, list[Specialist]] = defaultdict(list)
        for s in instance.specialists:
            for sp in s.specialties:
                self.by_specialty[sp].append(s)

    def t(self, a: str, b: str) -> int:
        if a == b:
            return 0
        return self.travel.get((a, b), 0)

    def room_window(self, room_id: str, d: int) -> tuple[int, int] | None:
        room = self.rooms[room_id]
        day = self.days[d]
        if day in room.closed:
            return None
        lo, hi = self.ds, self.de
        for h in room.hours:
            if h.day == day:
                lo, hi = max(lo, minutes(h.start)), min(hi, minutes(h.end))
        return (lo, hi) if lo < hi else None

    def spec_window(self, s: Specialist, d: int) -> tuple[int, int] | None:
        """Working window of a day, ignoring the travel part of arrival and departure."""
        day = self.days[d]
        if day in s.unavailable:
            return None
        lo, hi = self.ds, self.de
        for h in s.hours:
            if h.day == day:
                lo, hi = minutes(h.start), minutes(h.end)
        if s.arrival is not None:
            if day < s.arrival.day:
                return None
            if day == s.arrival.day:
                lo = max(lo, minutes(s.arrival.time))
        if s.departure is not None:
            if day > s.departure.day:
                return None
            if day == s.departure.day:
                hi = min(hi, minutes(s.departure.time))
        return (lo, hi) if lo < hi else None

    def city_bounds(self, s: Specialist, d: int, city: str) -> tuple[int, int]:
        """Earliest start and latest end in ``city`` on day ``d`` from arrival, departure and
        the specialist's busy times; an empty window (end before start) where they may not
        lead there that day."""
        key = (s.id, d, city)
        if key not in self._city_bounds:
            day = self.days[d]
            lo, hi = 0, 24 * 60
            if s.arrival is not None and day == s.arrival.day:
                lo = minutes(s.arrival.time) + self.t(s.arrival.city, city)
            if s.departure is not None and day == s.departure.day:
                hi = minutes(s.departure.time) - self.t(city, s.departure.city)
            busy = rules.busy_window(self.instance, self.taken, self._table, s.id, day, city)
            self._city_bounds[key] = (max(lo, busy[0]), hi) if busy is not None else (0, -1)
        return self._city_bounds[key]


def options_of(data: Data, act: Activity, pinned: PlacedActivity | None) -> ActivityOptions:
    res = ActivityOptions(act)
    dur = act.duration_minutes
    if pinned is not None and pinned.day in data.day_index and pinned.room in data.rooms:
        d = data.day_index[pinned.day]
        room = data.rooms[pinned.room]
        res.options.append(Option(d, room.id, room.city, [minutes(pinned.start)]))
        res.leads[d] = {s: (0, 24 * 60) for s in pinned.leads if s in data.specs}
        if len(res.leads[d]) != len(pinned.leads):
            res.reason, res.detail = "named_lead_unavailable", "a pinned lead is unknown"
            res.options.clear()
        return res
    if pinned is not None:
        res.reason, res.detail = "no_free_time", "the pinned day or room is unknown"
        return res
    kind_rooms = [r for r in data.rooms.values() if r.kind == act.room_kind]
    if act.cities:
        kind_rooms = [r for r in kind_rooms if r.city in act.cities]
    if not kind_rooms:
        res.reason = "no_room_of_kind"
        where = f" in {', '.join(act.cities)}" if act.cities else ""
        res.detail = f"no {act.room_kind.value} room{where}"
        return res
    rooms = [r for r in kind_rooms if r.capacity >= act.trainee_seats]
    if not rooms:
        res.reason = "room_too_small"
        res.detail = f"no {act.room_kind.value} room holds {act.trainee_seats} trainees"
        return res
    if act.named_leads:
        cands: list[Specialist] = []
        for sid in act.named_leads:
            s = data.specs.get(sid)
            if s is None or act.specialty not in s.specialties:
                res.reason = "named_lead_unavailable"
                res.detail = f"named lead {sid} is unknown or lacks {act.specialty}"
                return res
            cands.append(s)
        need = len(cands)
    else:
        cands = list(data.by_specialty.get(act.specialty, []))
        need = act.leads
        if len(cands) < need:
            res.reason = "no_specialist_of_specialty"
            res.detail = f"{len(cands)} specialist(s) of {act.specialty}, {need} needed"
            return res
    days = range(len(data.days))
    if act.fixed_day is not None:
        days = range(0)
        if act.fixed_day in data.day_index:
            i = data.day_index[act.fixed_day]
            days = range(i, i + 1)
    fixed = minutes(act.fixed_start) if act.fixed_start is not None else None
    lead_short = False
    for d in days:
        lead_win: dict[str, tuple[int, int]] = {}
        for s in cands:
            win = data.spec_window(s, d)
            if win is not None and win[1] - win[0] >= dur:
                lead_win[s.id] = win
        if len(lead_win) < need:
            lead_short = True
            continue
        los = sorted(w[0] for w in lead_win.values())
        his = sorted((w[1] for w in lead_win.values()), reverse=True)
        # the need-th earliest start / latest end bound any feasible lead set
        lo_any, hi_any = los[need - 1], his[need - 1]
        opts: list[Option] = []
        for r in rooms:
            win = data.room_window(r.id, d)
            if win is None:
                continue
            lo, hi = max(win[0], lo_any), min(win[1], hi_any)
            # the starts at which enough leads can be there (arrival and departure included)
            city_win = [
                (max(w[0], b[0]), min(w[1], b[1]))
                for w, b in (
                    (w, data.city_bounds(data.specs[sid], d, r.city)) for sid, w in lead_win.items()
                )
            ]
            starts = [
                t
                for t in data.grid
                if t >= lo
                and t + dur <= hi
                and (fixed is None or t == fixed)
                and data.taken.free((r.id, data.days[d]), t, t + dur, room=True)
                and sum(1 for a, b in city_win if a <= t and t + dur <= b) >= need
            ]
            if starts:
                opts.append(Option(d, r.id, r.city, starts))
        if not opts:
            continue
        first, last = min(min(o.starts) for o in opts), max(max(o.starts) for o in opts)
        lead_win = {
            s: w
            for s, w in lead_win.items()
            if w[0] <= last and w[1] >= first + dur and w[1] - w[0] >= dur
        }
        if len(lead_win) < need:
            lead_short = True
            continue
        res.options.extend(opts)
        res.leads[d] = lead_win
    if not res.options:
        if act.named_leads and lead_short:
            res.reason = "named_lead_unavailable"
            res.detail = "a named lead is not available when a room is"
        elif lead_short:
            res.reason = "no_specialist_of_specialty"
            res.detail = f"not enough specialists of {act.specialty} available when a room is"
        else:
            res.reason = "no_free_time"
            res.detail = "no start on the slot grid fits the day, the room and the leads"
    return res


def every_option(data: Data) -> dict[str, ActivityOptions]:
    """The options of every activity of the instance, a pinned one at its accepted place."""
    accepted = {p.activity: p for p in data.instance.accepted}
    pinned = set(data.instance.pinned)
    return {
        a.id: options_of(data, a, accepted.get(a.id) if a.id in pinned else None)
        for a in data.instance.activities
    }


#: A cell: (specialty, city, day index), where sessions or teaching activities take people.
Cell = tuple[str, str, int]


def lead_fits(
    data: Data, s: Specialist, d: int, option: Option, window: tuple[int, int], dur: int
) -> bool:
    """Whether ``s`` can lead an activity of ``dur`` minutes at one of the option's starts,
    within their window that day and their arrival and departure bounds in the option's city."""
    lo, hi = data.city_bounds(s, d, option.city)
    lo, hi = max(lo, window[0]), min(hi, window[1])
    return any(lo <= t and t + dur <= hi for t in option.starts)


def teaching(activity: Activity) -> bool:
    """An activity trainees attend: not a consultation session, with seats."""
    return activity.trainee_seats > 0 and activity.consultation_minutes is None


def patient_classes(
    data: Data, opts: Mapping[str, ActivityOptions], cell_of: Mapping[str, Mapping[Cell, object]]
) -> tuple[list[tuple[list[str], int, list[Cell]]], dict[Cell, int]]:
    """Patients grouped by (priority, the cells they can reach), and each cell's capacity.

    Two patients of the same priority who can reach the same cells are interchangeable in
    every plan; a patient who can reach no cell is left out (never consulted)."""
    capacity: dict[Cell, int] = defaultdict(int)
    for aid, cells in cell_of.items():
        for cell in cells:
            capacity[cell] += opts[aid].activity.patient_capacity
    capacity = defaultdict(int, {cell: cap for cell, cap in capacity.items() if cap > 0})
    ndays = range(len(data.days))
    classes: dict[tuple[int, tuple[Cell, ...]], list[str]] = {}
    for pat in data.instance.patients:
        days = [d for d in ndays if not pat.days or data.days[d] in pat.days]
        reach = tuple(
            sorted(
                (pat.specialty, city, d)
                for city in set(pat.cities)
                for d in days
                if (pat.specialty, city, d) in capacity
            )
        )
        if reach:
            classes.setdefault((pat.priority, reach), []).append(pat.id)
    return [(members, prio, list(reach)) for (prio, reach), members in classes.items()], capacity


def trainee_classes(
    data: Data, opts: Mapping[str, ActivityOptions], cell_of: Mapping[str, Mapping[Cell, object]]
) -> tuple[list[tuple[list[str], list[Cell]]], dict[Cell, int]]:
    """Trainees grouped by the cells they can attend, and each cell's seats (as for patients)."""
    seats: dict[Cell, int] = defaultdict(int)
    for aid, cells in cell_of.items():
        if teaching(opts[aid].activity):
            for cell in cells:
                seats[cell] += opts[aid].activity.trainee_seats
    ndays = range(len(data.days))
    classes: dict[tuple[Cell, ...], list[str]] = {}
    for tr in data.instance.trainees:
        days = [d for d in ndays if not tr.days or data.days[d] in tr.days]
        reach = tuple(
            sorted(
                (sp, tr.city, d)
                for sp in set(tr.specialties)
                for d in days
                if (sp, tr.city, d) in seats
            )
        )
        if reach:
            classes.setdefault(reach, []).append(tr.id)
    return [(members, list(reach)) for reach, members in classes.items()], seats
