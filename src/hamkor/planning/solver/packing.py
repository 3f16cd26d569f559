"""The packing bound: a time-indexed LP that knows rooms and leads pack in time.

The LP relaxation of the CP-SAT model (``relaxation.py``) sees a room-day only through the
minutes it holds, and nothing of the leads, their cities or their travel: it places almost every
activity somewhere, fractionally. This LP is built from the instance's options instead
(``options.py``) and keeps what the plans run into:

* ``x[a, o, t]``: activity ``a`` starts at minute ``t`` in option ``o`` (a day and a room); at
  most one start in all (exactly one when mandatory or pinned);
* rooms: at each start point of a room-day, the activities running then take at most one room.
  For one room the rows are an interval matrix, so this part alone has integral vertices;
* leads: ``v[a, s, d, t, k]`` (specialist ``s`` leads ``a`` starting at ``t`` on day ``d`` in
  city ``k``): the activity's number of leads at each start, only in the cities they can reach
  in time that day, never over their busy times;
* cities: ``c[s, d, k]``, the share of the day ``s`` works in ``k``: at most one a day, at least
  each lead they take there, and what they lead there packs into that share of the day (the
  rows of rooms times ``c``: a fifth of a day in Nukus holds a fifth of a day's work); never two
  cities on consecutive days when the trip between them takes the working day;
* travel: each specialist's days are a unit flow from the arrival city through the cities they
  work in to the departure city, paying each trip as the model does, a trip from the city of
  the day before starting the day late by its minutes; each activity makes its candidate
  leads together pay the trip there and back (shortest road minutes);
* patients and trainees: the same cell flows as the CP-SAT model (classes, places, the strong
  link, a trainee at most one activity a day); re-planning: ``same[a]`` at most the accepted
  start and each accepted lead.

Each family only drops plans of no instance (every plan of the model satisfies it), so the LP
optimum bounds every plan the model allows. HiGHS solves it; it releases the GIL, so the
bound is computed in a thread while CP-SAT searches.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from ortools.linear_solver import pywraplp  # type: ignore[import-untyped]

from hamkor.planning.solver.model import Activity, Instance, minutes
from hamkor.planning.solver.options import (
    ActivityOptions,
    Cell,
    Data,
    every_option,
    patient_classes,
    teaching,
    trainee_classes,
)

#: What a variable takes of a room-day or specialist-day: (earliest start, latest end, minutes).
_Use = tuple[int, int, int, pywraplp.Variable]

#: A move that makes a specialist start late in a city: (its variable, the earliest start).
_Late = tuple[pywraplp.Variable, int]

#: The start of ``x`` in the compact LP, where one variable stands for every start of an option.
ANY = -1


@dataclass
class _Lp:
    """The LP under construction, with what the families share."""

    solver: pywraplp.Solver
    objective: pywraplp.Objective
    time_indexed: bool
    offset: float = 0.0
    #: x[a, day, room, t] (t is ANY in the compact LP)
    x: dict[tuple[str, int, str, int], pywraplp.Variable] = field(default_factory=dict)
    #: v[a, s, day, t, city] (t is ANY in the compact LP)
    v: dict[tuple[str, str, int, int, str], pywraplp.Variable] = field(default_factory=dict)
    room_uses: defaultdict[tuple[str, int], list[_Use]] = field(
        default_factory=lambda: defaultdict(list)
    )
    #: per specialist, day and city
    lead_uses: defaultdict[tuple[str, int, str], list[_Use]] = field(
        default_factory=lambda: defaultdict(list)
    )
    #: the starts of each activity in each cell, for the flows
    cells: dict[str, dict[Cell, pywraplp.Variable]] = field(default_factory=dict)

    def var(self, hi: float, *, lo: float = 0.0, gain: float = 0.0) -> pywraplp.Variable:
        variable = self.solver.NumVar(lo, hi, "")
        if gain:
            self.objective.SetCoefficient(variable, gain)
        return variable

    def row(self, lo: float, hi: float, terms: Iterable[tuple[pywraplp.Variable, float]]) -> None:
        constraint = self.solver.Constraint(lo, hi)
        for variable, coefficient in terms:
            constraint.SetCoefficient(variable, constraint.GetCoefficient(variable) + coefficient)


def bounds(instance: Instance, *, time_limit: float | None = None) -> dict[str, float]:
    """The compact and the time-indexed packing bounds of ``instance`` (``packing`` and
    ``time-indexed``), each solved within ``time_limit`` seconds (None: to the end); a bound
    the LP does not prove in time is left out."""
    data = Data(instance)
    opts = every_option(data)
    found = {}
    for kind, time_indexed in (("packing", False), ("time-indexed", True)):
        deadline = None if time_limit is None else time.monotonic() + time_limit
        value = packing_bound(data, opts, deadline=deadline, time_indexed=time_indexed)
        if value is not None:
            found[kind] = value
    return found


def packing_bound(
    data: Data,
    opts: Mapping[str, ActivityOptions],
    *,
    deadline: float | None,
    time_indexed: bool,
) -> float | None:
    """An upper bound on the objective of every plan of the instance, or None when the LP is
    not solved by ``deadline`` (a ``time.monotonic()`` instant; None: however long it takes).
    ``time_indexed``: a variable per start; else one per option, with the minutes rows."""
    solver = pywraplp.Solver.CreateSolver("HIGHS")
    lp = _Lp(solver, solver.Objective(), time_indexed)
    for ao in opts.values():
        if ao.options:
            _starts(lp, data, ao)
            _leads(lp, data, ao)
    pack = _one_at_a_time if time_indexed else _within_span
    for uses in lp.room_uses.values():
        pack(lp, uses, None, [])
    cities = _cities(lp, data)
    late = _travel(lp, data, opts, cities)
    for key, uses in lp.lead_uses.items():
        pack(lp, uses, cities[key], late.get(key, []))
    _changes(lp, data, opts)
    _flows(lp, data, opts)
    lp.objective.SetMaximization()
    if deadline is not None:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        solver.SetTimeLimit(max(1, int(left * 1000)))
    # HiGHS's interior point method solves these LPs several times faster than the simplex
    # methods (GLOP's or HiGHS's own); its crossover still ends on an optimal basis. HiGHS
    # reads one option a line, and would otherwise print its banner on the command line.
    solver.SetSolverSpecificParametersAsString("solver=ipm\noutput_flag=false")
    if solver.Solve() != pywraplp.Solver.OPTIMAL:
        return None
    value = float(lp.objective.Value()) + lp.offset
    # The optimum is exact up to the solver's tolerances: round outward by a small margin.
    return value + 1e-5 * max(1.0, abs(value))


def _starts(lp: _Lp, data: Data, ao: ActivityOptions) -> None:
    """``x[a, o, t]``: one start at most (exactly one when mandatory or pinned), worth the
    activity's value; each takes its room from ``t`` for the activity's minutes."""
    act = ao.activity
    pinned = act.id in data.instance.pinned
    value = act.weight * data.instance.weights.activity
    starts = []
    by_cell: dict[Cell, list[pywraplp.Variable]] = defaultdict(list)
    for o in ao.options:
        for t, among in _groups(lp, o.starts):
            xv = lp.var(1, gain=value)
            lp.x[(act.id, o.day, o.room, t)] = xv
            starts.append(xv)
            lp.room_uses[(o.room, o.day)].append(_use(among, act.duration_minutes, xv))
            by_cell[(act.specialty, o.city, o.day)].append(xv)
    lp.row(1 if act.mandatory or pinned else 0, 1, ((xv, 1) for xv in starts))
    lp.cells[act.id] = {}
    for cell, xs in by_cell.items():
        # one variable per cell, so that the rows of leads and people stay short
        lp.cells[act.id][cell] = held = lp.var(1)
        lp.row(0, 0, [(held, 1), *((xv, -1) for xv in xs)])


def _leads(lp: _Lp, data: Data, ao: ActivityOptions) -> None:
    """``v[a, s, d, t, k]``: the leads of each start in each city -- all the named or pinned
    ones, else ``leads`` of the candidates -- each only where they can reach the room's city in
    time and is not busy. A lead's share is kept apart by city, so that what they lead in a
    city takes their share of the day there (``_cities``)."""
    act = ao.activity
    dur = act.duration_minutes
    pinned = act.id in data.instance.pinned
    named = bool(act.named_leads) or pinned
    for d, window in ao.leads.items():
        at: dict[tuple[int, str], list[tuple[list[int], pywraplp.Variable]]] = defaultdict(list)
        for o in ao.options:
            if o.day == d:
                for t, among in _groups(lp, o.starts):
                    at[(t, o.city)].append((among, lp.x[(act.id, d, o.room, t)]))
        for (t, city), rooms in at.items():
            taken = [(xv, -1.0) for _, xv in rooms]
            leads = []
            for sid, (lo, hi) in window.items():
                can = {
                    xv: among if pinned else _free(data, sid, d, city, among, dur, (lo, hi))
                    for among, xv in rooms
                }
                fits = [xv for xv, ok in can.items() if ok]
                if not fits:
                    if named:  # a named lead who cannot come: no start here at all
                        lp.row(0, 0, taken)
                    continue
                vv = lp.var(1)
                lp.v[(act.id, sid, d, t, city)] = vv
                lp.row(-lp.solver.infinity(), 0, [(vv, 1), *((xv, -1) for xv in fits)])
                starts = [u for ok in can.values() for u in ok]
                lp.lead_uses[(sid, d, city)].append(_use(starts, dur, vv))
                leads.append(vv)
            need = len(window) if named else act.leads
            lp.row(0, 0, [*((vv, 1) for vv in leads), *((xv, -need) for _, xv in rooms)])


def _free(
    data: Data, sid: str, d: int, city: str, starts: list[int], dur: int, window: tuple[int, int]
) -> list[int]:
    """The starts at which ``sid`` can lead for ``dur`` minutes in ``city`` on day ``d``:
    within their working ``window``, the bounds their arrival, departure and the trips around
    busy times leave there, and over none of their busy times."""
    lo, hi = data.city_bounds(data.specs[sid], d, city)
    lo, hi = max(lo, window[0]), min(hi, window[1])
    busy = data.taken.leads.get((sid, data.days[d]), [])
    return [
        t
        for t in starts
        if lo <= t and t + dur <= hi and not any(t < b1 and b0 < t + dur for b0, b1 in busy)
    ]


def _groups(lp: _Lp, starts: list[int]) -> list[tuple[int, list[int]]]:
    """The variables of an option's starts: one a start (time-indexed), or one for all."""
    return [(t, [t]) for t in starts] if lp.time_indexed else [(ANY, starts)]


def _use(starts: list[int], dur: int, var: pywraplp.Variable) -> _Use:
    return (min(starts), max(starts) + dur, dur, var)


def _one_at_a_time(
    lp: _Lp, uses: list[_Use], share: pywraplp.Variable | None, late: list[_Late]
) -> None:
    """A room or a specialist takes one activity at a time: at each start point of the day,
    the intervals running then add up to at most one (any set of intervals that pairwise meet
    all run at the latest of their starts, so these points are enough) -- or at most the
    ``share`` of the day a specialist is in the city, less the moves that make them start
    after that point."""
    for point in sorted({lo for lo, _, _, _ in uses}):
        running = [(var, 1.0) for lo, _, dur, var in uses if lo <= point < lo + dur]
        later = [(move, 1.0) for move, earliest in late if point < earliest]
        if len(running) > 1 or later:
            _at_most(lp, 1, running, share, later)


def _within_span(
    lp: _Lp, uses: list[_Use], share: pywraplp.Variable | None, late: list[_Late]
) -> None:
    """The compact LP's packing: the minutes taken are at most the span they can occupy (less
    what a late start takes of it), and for k = 1, 2, 3 at most k of the tasks longer than
    span / (k + 1) (k + 1 of them do not fit), as the redundant rows of the CP-SAT model --
    each times the ``share`` of the day a specialist is in the city."""
    lo = min(lo for lo, _, _, _ in uses)
    span = max(hi for _, hi, _, _ in uses) - lo
    lost = [(move, float(min(span, earliest - lo))) for move, earliest in late if earliest > lo]
    rows = [(span, [(var, float(dur)) for _, _, dur, var in uses], lost)]
    for k in (1, 2, 3):
        rows.append((k, [(var, 1.0) for _, _, dur, var in uses if dur * (k + 1) > span], []))
    for most, terms, less in rows:
        if sum(coefficient for _, coefficient in terms) > most or less:
            _at_most(lp, most, terms, share, less)


def _at_most(
    lp: _Lp,
    most: float,
    terms: list[tuple[pywraplp.Variable, float]],
    share: pywraplp.Variable | None,
    less: list[tuple[pywraplp.Variable, float]],
) -> None:
    """``terms`` add up to at most ``most``, or to ``most`` times ``share`` when given, less
    ``less``."""
    if share is None:
        lp.row(0, most, terms)
    else:
        lp.row(-lp.solver.infinity(), 0, [*terms, (share, -most), *less])


def _cities(lp: _Lp, data: Data) -> dict[tuple[str, int, str], pywraplp.Variable]:
    """``c[s, d, k]``: the share of day ``d`` that ``s`` works in city ``k``, at most one a day
    in all, at least each lead they take there; and no two cities on consecutive days whose
    trip leaves no time to work on the second."""
    spread: dict[tuple[str, str, int, str], list[pywraplp.Variable]] = defaultdict(list)
    for (aid, sid, d, _, city), vv in lp.v.items():
        spread[(aid, sid, d, city)].append(vv)
    c: dict[tuple[str, int, str], pywraplp.Variable] = {}
    for (_, sid, d, city), vs in spread.items():
        key = (sid, d, city)
        if key not in c:
            c[key] = lp.var(1)
        lp.row(-lp.solver.infinity(), 0, [*((vv, 1) for vv in vs), (c[key], -1)])
    by_day: dict[tuple[str, int], list[str]] = defaultdict(list)
    for sid, d, city in c:
        by_day[(sid, d)].append(city)
    for (sid, d), here in by_day.items():
        lp.row(0, 1, ((c[(sid, d, k)], 1) for k in here))
        for k in by_day.get((sid, d - 1), []):
            for city in here:
                if data.ds + data.t(k, city) >= data.de:
                    lp.row(0, 1, [(c[(sid, d - 1, k)], 1), (c[(sid, d, city)], 1)])
    return c


def _travel(
    lp: _Lp,
    data: Data,
    opts: Mapping[str, ActivityOptions],
    c: Mapping[tuple[str, int, str], pywraplp.Variable],
) -> dict[tuple[str, int, str], list[_Late]]:
    """Each specialist's travel, at ``weights.travel_minute`` a minute, is at least the cost of
    a unit flow through their days (``_route``). A lead split over several candidates pays only
    a share of a route in the LP, so each activity also makes its candidates together pay
    ``leads`` trips arrival city → city → departure city (the shortest of theirs) where it is
    placed. Returns the late starts the routes' trips between working days impose."""
    weight = data.instance.weights.travel_minute
    paid = {sid: lp.var(lp.solver.infinity(), gain=-weight) for sid in data.specs}
    worked: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for sid, d, city in c:
        worked[sid][d].append(city)
    late: dict[tuple[str, int, str], list[_Late]] = defaultdict(list)
    for sid, days in worked.items():
        _route(lp, data, sid, days, c, paid[sid], late)
    if weight <= 0:
        return late
    road = _shortest_roads(data)

    def trip(sid: str, city: str) -> int:
        s = data.specs[sid]
        there = road[(s.arrival.city, city)] if s.arrival is not None else 0
        return there + (road[(city, s.departure.city)] if s.departure is not None else 0)

    for aid, cells in lp.cells.items():
        ao = opts[aid]
        leads = sorted({sid for window in ao.leads.values() for sid in window})
        named = ao.activity.named_leads or aid in data.instance.pinned
        need = len(leads) if named else ao.activity.leads
        for city in {city for _, city, _ in cells}:
            least = need * min(trip(sid, city) for sid in leads)
            if least > 0:
                held = [(v, -least) for (_, k, _), v in cells.items() if k == city]
                lp.row(0, lp.solver.infinity(), [*((paid[sid], 1) for sid in leads), *held])
    return late


def _route(
    lp: _Lp,
    data: Data,
    sid: str,
    days: Mapping[int, list[str]],
    c: Mapping[tuple[str, int, str], pywraplp.Variable],
    paid: pywraplp.Variable,
    late: dict[tuple[str, int, str], list[_Late]],
) -> None:
    """The travel of ``sid`` as a unit flow over the days, as the CP-SAT model pays it: a
    state of day ``d`` is the last city worked in up to ``d`` (the arrival city before the
    first working day), and whether ``s`` worked on ``d`` itself; a day off keeps the city for
    free, a working day in ``l`` moves from ``k`` to ``l`` for the trip between them, and the
    flow into ``l`` is ``c[s, d, l]``; after the last day the trip to the departure city. A
    specialist who never works sends no flow at all (the source gives at most one). Every plan
    of the model is such a flow of its travel's cost. A move from a city worked in the day
    before starts the day late by the trip (``late``), as the model's ``e[s, d]``."""
    s = data.specs[sid]
    source = lp.var(1)
    start = s.arrival.city if s.arrival is not None else None
    inflow: dict[tuple[str | None, bool], list[pywraplp.Variable]] = {(start, False): [source]}
    cost: list[tuple[pywraplp.Variable, float]] = []
    last = None
    for d in sorted(days):
        if last != d - 1:  # a day off before: nobody arrives fresh from yesterday's city
            rested: dict[tuple[str | None, bool], list[pywraplp.Variable]] = defaultdict(list)
            for (k, _), ins in inflow.items():
                rested[(k, False)].extend(ins)
            inflow = rested
        last = d
        arrived: dict[tuple[str | None, bool], list[pywraplp.Variable]] = defaultdict(list)
        leaving: dict[tuple[str | None, bool], list[pywraplp.Variable]] = defaultdict(list)
        for state in inflow:
            stay = lp.var(1)
            leaving[state].append(stay)
            arrived[(state[0], False)].append(stay)
        for city in days[d]:
            moves = []
            for state in inflow:
                k, fresh = state
                move = lp.var(1)
                leaving[state].append(move)
                moves.append(move)
                trip = data.t(k, city) if k is not None else 0
                if trip:
                    cost.append((move, trip))
                    if fresh:
                        late[(sid, d, city)].append((move, data.ds + trip))
            arrived[(city, True)].extend(moves)
            lp.row(0, 0, [(c[(sid, d, city)], -1), *((move, 1) for move in moves)])
        for state, ins in inflow.items():
            lp.row(0, 0, [*((v, 1) for v in ins), *((v, -1) for v in leaving[state])])
        inflow = arrived
    for (k, _), ins in inflow.items():
        trip = data.t(k, s.departure.city) if k is not None and s.departure is not None else 0
        if trip:
            out = lp.var(1)
            lp.row(0, 0, [*((v, 1) for v in ins), (out, -1)])
            cost.append((out, trip))
    if cost:
        lp.row(0, lp.solver.infinity(), [(paid, 1), *((v, -float(t)) for v, t in cost)])


def _shortest_roads(data: Data) -> dict[tuple[str, str], int]:
    """Shortest travel minutes between every two cities (Floyd–Warshall): a route through a
    third city may be shorter than the road given between two, and the bound needs the least."""
    names = sorted({*data.cities, *(k for pair in data.travel for k in pair)})
    for s in data.instance.specialists:
        names.extend(m.city for m in (s.arrival, s.departure) if m is not None)
    names = sorted(set(names))
    road = {(a, b): 0 if a == b else data.t(a, b) for a in names for b in names}
    for via in names:
        for a in names:
            for b in names:
                road[(a, b)] = min(road[(a, b)], road[(a, via)] + road[(via, b)])
    return road


def _changes(lp: _Lp, data: Data, opts: Mapping[str, ActivityOptions]) -> None:
    """Re-planning: each accepted activity costs ``weights.change`` (the offset) unless it
    keeps its start, room and leads (``same[a]``, at most each of them)."""
    change = data.instance.weights.change
    if change <= 0:
        return
    for acc in data.instance.accepted:
        lp.offset -= change
        if acc.day not in data.day_index or acc.activity not in opts:
            continue
        d, t = data.day_index[acc.day], minutes(acc.start) if lp.time_indexed else ANY
        xv = lp.x.get((acc.activity, d, acc.room, t))
        city = data.rooms[acc.room].city if acc.room in data.rooms else ""
        leads = [lp.v.get((acc.activity, sid, d, t, city)) for sid in acc.leads]
        ao = opts[acc.activity]
        pinned = acc.activity in data.instance.pinned
        need = len(ao.leads.get(d, {})) if ao.activity.named_leads or pinned else ao.activity.leads
        if xv is None or len(acc.leads) != need or any(vv is None for vv in leads):
            continue
        same = lp.var(1, gain=change)
        for held in (xv, *leads):
            lp.row(-lp.solver.infinity(), 0, [(same, 1), (held, -1)])


def _flows(lp: _Lp, data: Data, opts: Mapping[str, ActivityOptions]) -> None:
    """Patients and trainees counted per cell as in the CP-SAT model."""
    weights = data.instance.weights
    pclasses, capacity = patient_classes(data, opts, lp.cells)
    _flow(
        lp,
        [(members, reach, prio * weights.patient) for members, prio, reach in pclasses],
        capacity,
        _places(lp, opts, lambda a: a.patient_capacity),
        group=lambda cell: 0,
    )
    tclasses, seats = trainee_classes(data, opts, lp.cells)
    _flow(
        lp,
        [(members, reach, weights.trainee) for members, reach in tclasses],
        seats,
        _places(lp, opts, lambda a: a.trainee_seats if teaching(a) else 0),
        group=lambda cell: cell[2],
    )


def _places(
    lp: _Lp, opts: Mapping[str, ActivityOptions], places: Callable[[Activity], int]
) -> dict[Cell, list[tuple[int, pywraplp.Variable]]]:
    """Per cell: (places, start variable) of every start of an activity with places there."""
    out: dict[Cell, list[tuple[int, pywraplp.Variable]]] = defaultdict(list)
    for aid, cells in lp.cells.items():
        n = places(opts[aid].activity)
        if n > 0:
            for cell, held in cells.items():
                out[cell].append((n, held))
    return out


def _flow(
    lp: _Lp,
    classes: list[tuple[list[str], list[Cell], float]],
    limits: Mapping[Cell, int],
    places: Mapping[Cell, list[tuple[int, pywraplp.Variable]]],
    *,
    group: Callable[[Cell], int],
) -> None:
    """How many of each class each cell takes: within the class per group of cells, within
    the cell's places, and none from a cell where nothing is placed (the strong link)."""
    inf = lp.solver.infinity()
    load: dict[Cell, list[pywraplp.Variable]] = defaultdict(list)
    for members, reach, value in classes:
        per_group: dict[int, list[pywraplp.Variable]] = defaultdict(list)
        for cell in reach:
            most = min(len(members), limits[cell])
            fv = lp.var(most, gain=value)
            lp.row(-inf, 0, [(fv, 1), *((xv, -most) for _, xv in places[cell])])
            per_group[group(cell)].append(fv)
            load[cell].append(fv)
        for fs in per_group.values():
            if len(fs) > 1:
                lp.row(0, len(members), ((fv, 1) for fv in fs))
    for cell, fs in load.items():
        lp.row(-inf, 0, [*((fv, 1) for fv in fs), *((xv, -n) for n, xv in places[cell])])
