"""The CP-SAT optimizer: an instance in, a feasible, near-optimal plan out.

The model (all times are minutes since midnight; ``d`` is the index of a program day)
--------------------------------------------------------------------------------------

Pre-filtering, before any variable is made:

* rooms of an activity: the right kind, big enough for its trainee seats, in one of its cities;
* days: ``fixed_day``, the room not ``closed``, at least one start on the slot grid that fits the
  program's day and the room's hours that day (and ``fixed_start``);
* busy times (what the plan may not move): a start whose interval meets its room's busy time
  that day is dropped; a lead's busy times bound the cities and starts open to them that day
  (``rules.busy_window``: one city a day, the trip from and to the cities they are busy in the
  days around), through the same city bounds as arrival and departure, and are fixed intervals
  in the lead's ``NoOverlap``;
* leads: the named leads, or the specialists of the specialty, on the days they are available
  (not ``unavailable``, not before arrival, not after departure) with working hours that can hold
  the activity. A day with too few possible leads is dropped. An activity left with no option
  is reported unplaced with the first reason found; a mandatory one makes the instance
  infeasible (returned as a plan with status ``infeasible`` and the reasons in ``unplaced``).

Variables:

* ``place[a]`` (bool), ``y[a,d]`` (bool, the day), ``z[a,d,r]`` (bool, day and room) with
  ``sum_r z[a,d,r] = y[a,d]`` and ``sum_d y[a,d] = place[a]``;
* ``start[a]`` (int, minute of the day): when ``z[a,d,r]`` holds it lies in the grid starts of
  that option (an enforced domain constraint); one optional fixed-size interval per ``z`` goes
  in a ``NoOverlap`` per (room, day);
* ``w[a,s,d]`` (bool): specialist ``s`` leads ``a`` on day ``d``; ``sum_s w = leads * y[a,d]``
  (named leads: ``w = y``); it enforces the specialist's working window on ``start`` and
  carries an optional interval in a ``NoOverlap`` per (specialist, day);
* ``c[s,d,k]`` (bool): ``s`` works in city ``k`` on day ``d``; at most one per (s, d), none on a
  day ``s`` leads nothing, and ``w[a,s,d] and a in city k`` implies it (one city per day);
* ``e[s,d]`` (int): the earliest start of ``s`` on day ``d`` after the travel from the city of
  day ``d-1`` (``e >= day_start + sum_k travel(k,l) c[s,d-1,k]`` when ``c[s,d,l]``); every
  activity ``s`` leads that day starts at or after it. It is also at least the start the city
  of the day allows on an arrival or busy day (``e >= sum_k lo(s,d,k) c[s,d,k]``, one city a
  day); ``l[s,d]`` (int) likewise is the latest end the city allows on a departure or busy day
  (``l <= 24h + sum_k (hi(s,d,k) - 24h) c[s,d,k]``), and every activity ``s`` leads that day
  ends by it;
* ``loc[s,d,k]`` (bool): the last city ``s`` worked in up to day ``d`` (the arrival city
  before the first working day), and ``mv[s,d,k,l] >= loc[s,d-1,k] + c[s,d,l] - 1``: the travel
  cost between consecutive *working* days, from the arrival city, and to the departure city;
* patients and trainees are counted, not assigned. A *cell* is (specialty, city, day): the
  sessions (teaching activities) of that specialty placed in that city that day, with their
  places (seats) added up; ``open(a, cell) = sum of z[a,d,r]`` over the rooms of that city and
  day. Patients are grouped in *classes* of the same priority who can reach the same cells
  (any two of them are interchangeable in every plan), trainees in classes who can attend the
  same cells. ``f[P,cell]`` patients of class ``P`` are consulted in the cell:
  ``sum_cell f[P,cell] <= |P|``, ``sum_P f[P,cell] <= sum_a capacity(a) * open(a, cell)`` and
  the strong link ``f[P,cell] <= min(|P|, places of cell) * sum_a open(a, cell)`` (no one
  from a cell where no session is; without it the LP spreads each session over every cell;
  ``sum_a open(a, cell)`` is a variable of its own, so each link holds two terms).
  ``g[T,cell]`` trainees of class ``T`` attend an activity of the cell, the same way, with
  ``sum_{cells of day d} g[T,cell] <= |T|`` -- the model's stricter rule: **a trainee attends
  at most one activity per day**, so attendances never overlap. After the solve,
  :func:`assign_people` hands each class's members out to the sessions of each cell.
* redundant constraints that only tighten the LP relaxation (NoOverlap and the enforced
  constraints have none): per room-day and per specialist-day, the minutes of the activities
  are at most the span they can occupy, and at most ``k`` activities longer than
  ``span / (k + 1)`` (k = 1, 2, 3); a lead ``w[a,s,d]`` only takes the options in cities they
  can reach in time on their arrival or departure day.
* re-planning: a pinned activity has one option, its accepted day, start, room and leads;
  ``same[a]`` (bool) implies the accepted day, room, start and leads; a change costs
  ``weights.change * (1 - same[a])``.

The objective is the instance's, with every weight multiplied by ``SCALE`` and rounded so that
CP-SAT works on integers. Travel in the model is exactly the scored travel (consecutive working
days, arrival and departure, nothing for a specialist with no activity).

Search and result:

* the start: the better of the greedy baseline (``greedy.py``) and the value-aware plan of
  ``start.py`` (each activity where the patients, trainees and travel make it worth most),
  turned into a *complete* hint (every variable, trainee places cut to one a day), so CP-SAT
  starts from a feasible solution at once;
* CP-SAT runs with ``num_workers`` (default: every core), ``random_seed`` and a third of
  the search time (the time limit less the model building and a small reserve for writing
  the plan), one presolve pass; then the large-neighbourhood search (``lns.py``) improves
  its solution until the end; each improving solution is reported as :class:`Progress`;
* after the search, trainee places the one-a-day rule left out are added greedily (free seats,
  no overlap: legal for the checker); the plan's ``objective`` is ``objective.score`` of the
  returned plan; if the greedy start scores higher than the searched plan, the greedy plan is
  returned (with CP-SAT's status and bound);
* ``bound`` is the lowest of CP-SAT's proven bound, the optimum of the LP relaxation of the
  same model (``relaxation.py``, GLOP, the leads and travel left out) and the compact packing
  LP (``packing.py``, HiGHS), both solved in a thread while CP-SAT searches; each is listed in
  ``solver.bounds``: a bound on every plan that keeps the one-activity-per-trainee-per-day
  rule. Places added by the fill step are not covered by it, so a total may in principle
  exceed it by those places (on the benchmarks it stays far below);
* if CP-SAT finds nothing in the time limit, the best start is returned (status ``unknown``,
  the LP bounds proven by then);
  INFEASIBLE gives a plan with status ``infeasible`` that lists the mandatory activities.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from hamkor.planning.solver import lns
from hamkor.planning.solver.greedy import greedy
from hamkor.planning.solver.model import (
    Activity,
    Attendance,
    Consultation,
    Instance,
    Objective,
    PlacedActivity,
    Plan,
    SolverInfo,
    Unplaced,
    UnplacedKind,
    clock,
    minutes,
)
from hamkor.planning.solver.objective import score
from hamkor.planning.solver.options import (
    ActivityOptions,
    Cell,
    Data,
    Option,
    every_option,
    lead_fits,
    patient_classes,
    teaching,
    trainee_classes,
)
from hamkor.planning.solver.packing import packing_bound
from hamkor.planning.solver.relaxation import lp_bound
from hamkor.planning.solver.start import start

#: Weights are multiplied by this and rounded: CP-SAT's objective is integral.
SCALE = 1000

_INF_TRAVEL = 24 * 60


@dataclass(frozen=True)
class Progress:
    """An improving solution: seconds since the start, its objective, the best bound proven
    so far, and who found it (``cp-sat``, ``lns`` or, for the plan returned, ``end``)."""

    seconds: float
    objective: float
    bound: float
    source: str = "cp-sat"


class _Callback(cp_model.CpSolverSolutionCallback):
    def __init__(
        self,
        offset: float,
        on_progress: Callable[[Progress], None] | None,
        t0: float,
        bounds: _Bounds,
    ) -> None:
        super().__init__()
        self._offset = offset
        self._on_progress = on_progress
        self._t0 = t0
        self._bounds = bounds

    def on_solution_callback(self) -> None:
        cp_sat = self.best_objective_bound / SCALE + self._offset
        best = self._bounds.best()
        self._report(self.objective_value, cp_sat if best is None else min(cp_sat, best), "cp-sat")

    def step(self, step: lns.Step) -> None:
        """An improving step of the neighbourhood search."""
        best = self._bounds.best()
        self._report(step.objective, best if best is not None else float("inf"), "lns")

    def _report(self, objective: float, bound: float, source: str) -> None:
        if self._on_progress is not None:
            self._on_progress(
                Progress(
                    seconds=time.monotonic() - self._t0,
                    objective=objective / SCALE + self._offset,
                    bound=bound,
                    source=source,
                )
            )


@dataclass
class _Built:
    model: cp_model.CpModel
    offset: float
    place: dict[str, cp_model.IntVar]
    z: dict[tuple[str, int, str], cp_model.IntVar]
    start: dict[str, cp_model.IntVar]
    w: dict[tuple[str, str, int], cp_model.IntVar]
    #: patients of class ``i`` consulted in cell ``c``: ``f[i, c]``
    f: dict[tuple[int, Cell], cp_model.IntVar]
    #: trainees of class ``i`` attending an activity of cell ``c``: ``g[i, c]``
    g: dict[tuple[int, Cell], cp_model.IntVar]
    pclasses: list[list[str]]
    tclasses: list[list[str]]
    c: dict[tuple[str, int, str], cp_model.IntVar]
    e: dict[tuple[str, int], cp_model.IntVar]
    end: dict[tuple[str, int], cp_model.IntVar]
    loc: dict[tuple[str, int, str], cp_model.IntVar]
    mv: dict[tuple[str, int, str, str], cp_model.IntVar]
    worked: dict[str, cp_model.IntVar]
    dep: dict[str, cp_model.IntVar]
    same: dict[str, cp_model.IntVar]
    y: dict[tuple[str, int], cp_model.IntVar]
    #: variables that count Booleans (see :func:`_define`), for the hint
    defined: list[tuple[cp_model.IntVar, list[cp_model.IntVar]]]

    @property
    def pclass_of(self) -> dict[str, int]:
        return {pid: ci for ci, members in enumerate(self.pclasses) for pid in members}

    @property
    def tclass_of(self) -> dict[str, int]:
        return {tid: ci for ci, members in enumerate(self.tclasses) for tid in members}


#: An optional task of a resource: (presence literal, minutes, earliest start, latest end).
_Energy = tuple[cp_model.IntVar, int, int, int]

#: Terms of the objective: (variable, coefficient in model units).
_Terms = list[tuple[cp_model.IntVar, int]]


def _add_energy(model: cp_model.CpModel, tasks: list[_Energy]) -> None:
    """Σ minutes of the present tasks ≤ the span they can occupy, and for k = 1, 2, 3: at most
    k of the tasks longer than span / (k + 1) (k + 1 of them do not fit), when these can bind."""
    span = max(t[3] for t in tasks) - min(t[2] for t in tasks)
    if sum(t[1] for t in tasks) > span:
        model.add(sum(dur * lit for lit, dur, _, _ in tasks) <= span)
    for k in (1, 2, 3):
        long = [lit for lit, dur, _, _ in tasks if dur * (k + 1) > span]
        if len(long) > k:
            model.add(sum(long) <= k)


@dataclass(frozen=True)
class _Lead:
    """A specialist who may lead an activity on a day (``chosen`` is ``w[a, s, d]``): the city,
    travel and arrival families bind the specialist's day through it."""

    specialist: str
    day: int
    activity: str
    chosen: cp_model.IntVar
    #: the activity's ``z`` of that day, by the city of the room
    rooms: dict[str, list[cp_model.IntVar]]


@dataclass
class _Choices:
    """Each activity's choices -- ``place``, ``start``, the day ``y``, the room ``z``, the leads
    ``w`` -- and what they put on each room-day and specialist-day, gathered as they are made
    for the families that constrain rooms and specialists."""

    place: dict[str, cp_model.IntVar] = field(default_factory=dict)
    start: dict[str, cp_model.IntVar] = field(default_factory=dict)
    y: dict[tuple[str, int], cp_model.IntVar] = field(default_factory=dict)
    z: dict[tuple[str, int, str], cp_model.IntVar] = field(default_factory=dict)
    w: dict[tuple[str, str, int], cp_model.IntVar] = field(default_factory=dict)
    room_intervals: defaultdict[tuple[str, int], list[cp_model.IntervalVar]] = field(
        default_factory=lambda: defaultdict(list)
    )
    lead_intervals: defaultdict[tuple[str, int], list[cp_model.IntervalVar]] = field(
        default_factory=lambda: defaultdict(list)
    )
    room_energy: defaultdict[tuple[str, int], list[_Energy]] = field(
        default_factory=lambda: defaultdict(list)
    )
    lead_energy: defaultdict[tuple[str, int], list[_Energy]] = field(
        default_factory=lambda: defaultdict(list)
    )
    #: every possible lead, in the order made
    leads: list[_Lead] = field(default_factory=list)


@dataclass
class _Travel:
    """The travel cost's variables (``loc``, ``mv``, and for the trip to the departure city
    ``worked`` and ``dep``) and their costs in the objective."""

    loc: dict[tuple[str, int, str], cp_model.IntVar] = field(default_factory=dict)
    mv: dict[tuple[str, int, str, str], cp_model.IntVar] = field(default_factory=dict)
    worked: dict[str, cp_model.IntVar] = field(default_factory=dict)
    dep: dict[str, cp_model.IntVar] = field(default_factory=dict)
    terms: _Terms = field(default_factory=list)


@dataclass(frozen=True)
class _People:
    """People counted per cell: ``count[i, cell]`` members of ``classes[i]`` go to the cell;
    ``terms`` is what they are worth."""

    count: dict[tuple[int, Cell], cp_model.IntVar]
    classes: list[list[str]]
    terms: _Terms


def _build(data: Data, opts: dict[str, ActivityOptions]) -> _Built:
    """The model of the module docstring, family by family. The order in which variables and
    constraints are made is the order CP-SAT reads them in, and its search depends on it."""
    model = cp_model.CpModel()
    pinned = set(data.instance.pinned)
    choice = _Choices()
    defined: list[tuple[cp_model.IntVar, list[cp_model.IntVar]]] = []
    for aid, ao in opts.items():
        if not ao.options:
            continue
        _choose_day(model, choice, ao)
        for d in sorted(ao.leads):
            _choose_room(model, choice, ao, d)
            _choose_leads(model, data, choice, ao, d, pinned=aid in pinned)
        _mandatory(model, choice, ao, pinned=aid in pinned)
    _hold_busy_times(model, data, choice.lead_intervals)
    _no_overlap(model, choice)
    _minutes_within_span(model, choice)
    leads_of = _by_specialist_day(choice.leads)
    c, cities = _one_city_per_day(model, choice.leads, leads_of)
    e = _earliest_start(model, data, choice.start, leads_of, c, cities)
    end = _latest_end(model, data, opts, choice.start, leads_of, c, cities)
    travel = _travel_cost(model, data, c, cities)
    same, changes, offset = _changes(model, data, opts, choice)
    cells = _cells(opts, choice)
    patients = _patients(model, data, opts, cells, defined)
    trainees = _trainees(model, data, opts, cells, defined)
    gains = [
        *_activity_value(data, opts, choice.place),
        *travel.terms,
        *changes,
        *patients.terms,
        *trainees.terms,
    ]
    model.maximize(sum(coef * v for v, coef in gains if coef != 0))
    return _Built(
        model=model,
        offset=offset,
        place=choice.place,
        z=choice.z,
        start=choice.start,
        w=choice.w,
        f=patients.count,
        g=trainees.count,
        pclasses=patients.classes,
        tclasses=trainees.classes,
        c=c,
        e=e,
        end=end,
        loc=travel.loc,
        mv=travel.mv,
        worked=travel.worked,
        dep=travel.dep,
        same=same,
        y=choice.y,
        defined=defined,
    )


def _all_starts(ao: ActivityOptions) -> list[int]:
    """Every grid start of the activity's options, in order."""
    return sorted({t for o in ao.options for t in o.starts})


def _day_options(ao: ActivityOptions, d: int) -> list[Option]:
    return [o for o in ao.options if o.day == d]


def _choose_day(model: cp_model.CpModel, choice: _Choices, ao: ActivityOptions) -> None:
    """``place[a]``, ``start[a]`` among every start its options allow, and one day ``y[a, d]``
    when placed: the options already hold only the days that can take it."""
    aid = ao.activity.id
    place = model.new_bool_var(f"place[{aid}]")
    choice.place[aid] = place
    starts = cp_model.Domain.from_values(_all_starts(ao))
    choice.start[aid] = model.new_int_var_from_domain(starts, f"start[{aid}]")
    days = sorted(ao.leads)
    for d in days:
        choice.y[(aid, d)] = model.new_bool_var(f"y[{aid},{d}]")
    model.add(sum(choice.y[(aid, d)] for d in days) == place)


def _choose_room(model: cp_model.CpModel, choice: _Choices, ao: ActivityOptions, d: int) -> None:
    """One room ``z[a, d, r]`` on the chosen day. The start then lies among that room's starts
    (the hours and busy times differ by room), and the activity takes the room's time: an
    optional interval for its ``NoOverlap``, and its minutes for the span bound."""
    aid, dur = ao.activity.id, ao.activity.duration_minutes
    st = choice.start[aid]
    every = _all_starts(ao)
    zs = []
    for o in _day_options(ao, d):
        zv = model.new_bool_var(f"z[{aid},{d},{o.room}]")
        choice.z[(aid, d, o.room)] = zv
        zs.append(zv)
        if len(o.starts) < len(every):
            model.add_linear_expression_in_domain(
                st, cp_model.Domain.from_values(o.starts)
            ).only_enforce_if(zv)
        choice.room_intervals[(o.room, d)].append(
            model.new_optional_fixed_size_interval_var(st, dur, zv, f"ri[{aid},{d},{o.room}]")
        )
        choice.room_energy[(o.room, d)].append((zv, dur, o.starts[0], o.starts[-1] + dur))
    model.add(sum(zs) == choice.y[(aid, d)])


def _choose_leads(
    model: cp_model.CpModel,
    data: Data,
    choice: _Choices,
    ao: ActivityOptions,
    d: int,
    *,
    pinned: bool,
) -> None:
    """``w[a, s, d]``: who leads on the chosen day -- every named (or pinned) lead, else
    ``leads`` of the candidates. Each lead keeps to their working window that day and gives
    the activity an optional interval in their own ``NoOverlap``."""
    act = ao.activity
    aid, dur = act.id, act.duration_minutes
    st = choice.start[aid]
    starts = _all_starts(ao)
    options = _day_options(ao, d)
    rooms: dict[str, list[cp_model.IntVar]] = defaultdict(list)
    for o in options:
        rooms[o.city].append(choice.z[(aid, d, o.room)])
    ws = []
    for sid, (lo, hi) in ao.leads[d].items():
        wv = model.new_bool_var(f"w[{aid},{sid},{d}]")
        choice.w[(aid, sid, d)] = wv
        ws.append(wv)
        # Redundant, for the LP: only options in a city the lead can reach in time on an
        # arrival or departure day (enforced exactly through the city: _earliest_start,
        # _latest_end).
        fits = [
            choice.z[(aid, d, o.room)]
            for o in options
            if pinned or lead_fits(data, data.specs[sid], d, o, (lo, hi), dur)
        ]
        if len(fits) < len(options):
            model.add(wv <= sum(fits))
        if lo > starts[0]:
            model.add(st >= lo).only_enforce_if(wv)
        if hi - dur < starts[-1]:
            model.add(st + dur <= hi).only_enforce_if(wv)
        choice.lead_intervals[(sid, d)].append(
            model.new_optional_fixed_size_interval_var(st, dur, wv, f"si[{aid},{sid},{d}]")
        )
        choice.lead_energy[(sid, d)].append(
            (wv, dur, max(lo, starts[0]), min(hi, starts[-1] + dur))
        )
        choice.leads.append(_Lead(sid, d, aid, wv, rooms))
    if act.named_leads or pinned:
        for wv in ws:
            model.add(wv == choice.y[(aid, d)])
    else:
        model.add(sum(ws) == act.leads * choice.y[(aid, d)])


def _mandatory(
    model: cp_model.CpModel, choice: _Choices, ao: ActivityOptions, *, pinned: bool
) -> None:
    """A mandatory or pinned activity is placed: CP-SAT proves the instance infeasible rather
    than leave one out."""
    if ao.activity.mandatory or pinned:
        model.add(choice.place[ao.activity.id] == 1)


def _hold_busy_times(
    model: cp_model.CpModel,
    data: Data,
    lead_intervals: Mapping[tuple[str, int], list[cp_model.IntervalVar]],
) -> None:
    """What the plan may not move keeps its leads busy: fixed intervals beside their options in
    their ``NoOverlap``. (A room's busy times already took the starts off its options.)"""
    for (sid, d), ivs in lead_intervals.items():
        for lo, hi in data.taken.leads.get((sid, data.days[d]), []):
            ivs.append(model.new_fixed_size_interval_var(lo, hi - lo, f"busy[{sid},{d},{lo}]"))


def _no_overlap(model: cp_model.CpModel, choice: _Choices) -> None:
    """A room holds one activity at a time, and a specialist leads one at a time."""
    for ivs in choice.room_intervals.values():
        if len(ivs) > 1:
            model.add_no_overlap(ivs)
    for ivs in choice.lead_intervals.values():
        if len(ivs) > 1:
            model.add_no_overlap(ivs)


def _minutes_within_span(model: cp_model.CpModel, choice: _Choices) -> None:
    """Redundant: a room-day or specialist-day holds at most its span of minutes. NoOverlap has
    no LP relaxation of its own; these tighten CP-SAT's bound."""
    for energy in (*choice.room_energy.values(), *choice.lead_energy.values()):
        _add_energy(model, energy)


def _by_specialist_day(leads: list[_Lead]) -> dict[tuple[str, int], list[_Lead]]:
    """The possible leads of each specialist-day, in the order made."""
    out: dict[tuple[str, int], list[_Lead]] = defaultdict(list)
    for lead in leads:
        out[(lead.specialist, lead.day)].append(lead)
    return out


def _one_city_per_day(
    model: cp_model.CpModel,
    leads: list[_Lead],
    leads_of: Mapping[tuple[str, int], list[_Lead]],
) -> tuple[dict[tuple[str, int, str], cp_model.IntVar], dict[tuple[str, int], list[str]]]:
    """``c[s, d, k]``: ``s`` works in city ``k`` on day ``d``, which leading an activity in a
    room of ``k`` implies; at most one city a day, none on a day they lead nothing. Also the
    cities each specialist-day may have, for the travel families."""
    c: dict[tuple[str, int, str], cp_model.IntVar] = {}
    for lead in leads:
        for city, zs in lead.rooms.items():
            key = (lead.specialist, lead.day, city)
            if key not in c:
                c[key] = model.new_bool_var(f"c[{lead.specialist},{lead.day},{city}]")
            if len(lead.rooms) == 1:
                model.add_implication(lead.chosen, c[key])
            else:
                model.add(c[key] >= lead.chosen + sum(zs) - 1)
    cities: dict[tuple[str, int], list[str]] = defaultdict(list)
    for sid, d, city in c:
        cities[(sid, d)].append(city)
    for (sid, d), here in cities.items():
        model.add(sum(c[(sid, d, k)] for k in here) <= sum(x.chosen for x in leads_of[(sid, d)]))
        if len(here) > 1:
            model.add_at_most_one(c[(sid, d, k)] for k in here)
    return c, cities


def _define(
    model: cp_model.CpModel,
    defined: list[tuple[cp_model.IntVar, list[cp_model.IntVar]]],
    booleans: list[cp_model.IntVar],
    name: str,
) -> cp_model.IntVar:
    """A variable that counts ``booleans``: the rows that use it then hold one term instead of
    the whole sum (the model's size is its memory at scale 4). Remembered in ``defined`` so
    that the hint can give it its value. It pays for a sum that plain linear rows repeat; an
    integer variable used only in enforced equalities is encoded value by value by CP-SAT's
    presolve and grows the model instead (docs/benchmarks.md, "night")."""
    var = model.new_int_var(0, len(booleans), name)
    model.add(var == sum(booleans))
    defined.append((var, booleans))
    return var


def _earliest_start(
    model: cp_model.CpModel,
    data: Data,
    start: dict[str, cp_model.IntVar],
    leads_of: Mapping[tuple[str, int], list[_Lead]],
    c: dict[tuple[str, int, str], cp_model.IntVar],
    cities: dict[tuple[str, int], list[str]],
) -> dict[tuple[str, int], cp_model.IntVar]:
    """``e[s, d]``: the earliest start of ``s`` on day ``d``, after the trip from the city of
    day ``d - 1`` and no earlier than their city of the day allows (``Data.city_bounds``:
    arrival and busy times); whatever they lead that day starts at or after it. Made only
    where one of the two binds. One variable a specialist-day, not one row a lead and city:
    at scale 4 those rows were a fifth of the model."""
    e: dict[tuple[str, int], cp_model.IntVar] = {}
    for (sid, d), here in cities.items():
        before = cities.get((sid, d - 1), [])
        apart = any(data.t(k, k2) > 0 for k in before for k2 in here)
        lo = {k: data.city_bounds(data.specs[sid], d, k)[0] for k in here}
        late = max(lo.values()) > data.ds
        if not apart and not late:
            continue
        ev = model.new_int_var(data.ds, 24 * 60 + _INF_TRAVEL, f"e[{sid},{d}]")
        e[(sid, d)] = ev
        if apart:
            for city in here:
                model.add(
                    ev >= data.ds + sum(data.t(k, city) * c[(sid, d - 1, k)] for k in before)
                ).only_enforce_if(c[(sid, d, city)])
        if late:
            model.add(ev >= sum(lo[k] * c[(sid, d, k)] for k in here))
        for lead in leads_of[(sid, d)]:
            model.add(start[lead.activity] >= ev).only_enforce_if(lead.chosen)
    return e


def _latest_end(
    model: cp_model.CpModel,
    data: Data,
    opts: dict[str, ActivityOptions],
    start: dict[str, cp_model.IntVar],
    leads_of: Mapping[tuple[str, int], list[_Lead]],
    c: dict[tuple[str, int, str], cp_model.IntVar],
    cities: dict[tuple[str, int], list[str]],
) -> dict[tuple[str, int], cp_model.IntVar]:
    """``l[s, d]``: the latest end their city of the day allows ``s`` on day ``d`` (the trip
    to the departure city, busy times; an empty window rules the city out); whatever they
    lead that day ends by it. Made only where a city's end is before midnight."""
    end: dict[tuple[str, int], cp_model.IntVar] = {}
    day = 24 * 60
    for (sid, d), here in cities.items():
        hi = {k: data.city_bounds(data.specs[sid], d, k)[1] for k in here}
        if min(hi.values()) >= day:
            continue
        lv = model.new_int_var(min(hi.values()), day, f"l[{sid},{d}]")
        end[(sid, d)] = lv
        # at most one city a day: its end, or midnight on a day they work nowhere
        model.add(lv <= day + sum((hi[k] - day) * c[(sid, d, k)] for k in here))
        for lead in leads_of[(sid, d)]:
            dur = opts[lead.activity].activity.duration_minutes
            model.add(start[lead.activity] + dur <= lv).only_enforce_if(lead.chosen)
    return end


def _travel_cost(
    model: cp_model.CpModel,
    data: Data,
    c: dict[tuple[str, int, str], cp_model.IntVar],
    cities: dict[tuple[str, int], list[str]],
) -> _Travel:
    """The travel the objective scores, exactly: between consecutive working days, from the
    arrival city and to the departure city; nothing when a travel minute is worth nothing."""
    travel = _Travel()
    if data.instance.weights.travel_minute > 0:
        for sid in sorted({sid for sid, _ in cities}):
            last = _trips_between_days(model, data, travel, sid, c, cities)
            _trip_to_departure(model, data, travel, sid, last, c, cities)
    return travel


def _trips_between_days(
    model: cp_model.CpModel,
    data: Data,
    travel: _Travel,
    sid: str,
    c: dict[tuple[str, int, str], cp_model.IntVar],
    cities: dict[tuple[str, int], list[str]],
) -> dict[str, cp_model.IntVar]:
    """``loc[s, d, k]``: the last city ``s`` worked in up to day ``d`` (the arrival city before
    the first working day), so that a day off costs no trip; ``mv[s, d, k, l]`` pays the trip
    from there to the city of a working day. Returns the last day's ``loc``."""
    s = data.specs[sid]
    weight = data.instance.weights.travel_minute
    loc: Mapping[str, cp_model.IntVar | int] = {s.arrival.city: 1} if s.arrival is not None else {}
    last: dict[str, cp_model.IntVar] = {}
    for d in range(len(data.days)):
        today = cities.get((sid, d), [])
        if not today:
            continue
        work = sum(c[(sid, d, k)] for k in today)
        for k, lv in loc.items():
            for city in today:
                cost = round(data.t(k, city) * weight * SCALE)
                if k == city or cost == 0:
                    continue
                mv = model.new_bool_var(f"mv[{sid},{d},{k},{city}]")
                travel.mv[(sid, d, k, city)] = mv
                model.add(mv >= lv + c[(sid, d, city)] - 1)
                travel.terms.append((mv, -cost))
        last = {}
        for k in set(loc) | set(today):
            lv = model.new_bool_var(f"loc[{sid},{d},{k}]")
            travel.loc[(sid, d, k)] = lv
            if k in today:
                model.add(lv >= c[(sid, d, k)])
            if k in loc:
                model.add(lv >= loc[k] - work)
            last[k] = lv
        model.add_at_most_one(last.values())
        loc = last
    return last


def _trip_to_departure(
    model: cp_model.CpModel,
    data: Data,
    travel: _Travel,
    sid: str,
    last: dict[str, cp_model.IntVar],
    c: dict[tuple[str, int, str], cp_model.IntVar],
    cities: dict[tuple[str, int], list[str]],
) -> None:
    """The trip from the last city worked in to the departure city. From the arrival city it is
    paid only when ``s`` worked at all (``worked[s]``, ``dep[s]``): a specialist with no
    activity travels nothing."""
    s = data.specs[sid]
    if s.departure is None:
        return
    weight = data.instance.weights.travel_minute
    worked: cp_model.IntVar | None = None
    for k, lv in last.items():
        cost = round(data.t(k, s.departure.city) * weight * SCALE)
        if cost == 0:
            continue
        if s.arrival is not None and k == s.arrival.city:
            if worked is None:
                worked = model.new_bool_var(f"worked[{sid}]")
                travel.worked[sid] = worked
                every = [
                    c[(sid, d, k2)]
                    for d in range(len(data.days))
                    for k2 in cities.get((sid, d), [])
                ]
                model.add_max_equality(worked, every)
            dv = model.new_bool_var(f"dep[{sid}]")
            travel.dep[sid] = dv
            model.add(dv >= lv + worked - 1)
            travel.terms.append((dv, -cost))
        else:
            travel.terms.append((lv, -cost))


def _changes(
    model: cp_model.CpModel, data: Data, opts: dict[str, ActivityOptions], choice: _Choices
) -> tuple[dict[str, cp_model.IntVar], _Terms, float]:
    """Re-planning: every accepted activity costs ``weights.change`` (the objective's offset)
    unless ``same[a]``, which keeps its day, room, start and leads, earns it back. Returns the
    ``same`` variables, their terms and the offset."""
    inst = data.instance
    wts = inst.weights
    same: dict[str, cp_model.IntVar] = {}
    terms: _Terms = []
    offset = 0.0
    if wts.change <= 0:
        return same, terms, offset
    pinned = set(inst.pinned)
    for acc in inst.accepted:
        offset -= wts.change
        aid = acc.activity
        if aid not in choice.place or acc.day not in data.day_index:
            continue
        d = data.day_index[acc.day]
        zacc = choice.z.get((aid, d, acc.room))
        wvs = [choice.w.get((aid, sid, d)) for sid in acc.leads]
        act = opts[aid].activity
        need = len(act.named_leads) if act.named_leads else act.leads
        if aid in pinned:
            need = len(acc.leads)
        if zacc is None or any(v is None for v in wvs) or len(acc.leads) != need:
            continue
        sv = model.new_bool_var(f"same[{aid}]")
        same[aid] = sv
        model.add_implication(sv, zacc)
        for v in wvs:
            assert v is not None
            model.add_implication(sv, v)
        model.add(choice.start[aid] == minutes(acc.start)).only_enforce_if(sv)
        terms.append((sv, round(wts.change * SCALE)))
    return same, terms, offset


def _cells(
    opts: dict[str, ActivityOptions], choice: _Choices
) -> dict[str, dict[Cell, list[cp_model.IntVar]]]:
    """``open(a, cell)`` of each activity: its rooms' ``z`` in the cell's city and day. Which
    session of a cell a person goes to does not change the objective, so people are counted
    per cell and handed out after the solve."""
    cell_of: dict[str, dict[Cell, list[cp_model.IntVar]]] = {}
    for aid in choice.place:
        ao = opts[aid]
        by_cell: dict[Cell, list[cp_model.IntVar]] = defaultdict(list)
        for o in ao.options:
            by_cell[(ao.activity.specialty, o.city, o.day)].append(choice.z[(aid, o.day, o.room)])
        cell_of[aid] = dict(by_cell)
    return cell_of


def _patients(
    model: cp_model.CpModel,
    data: Data,
    opts: dict[str, ActivityOptions],
    cells: dict[str, dict[Cell, list[cp_model.IntVar]]],
    defined: list[tuple[cp_model.IntVar, list[cp_model.IntVar]]],
) -> _People:
    """``f[P, cell]``: patients of class ``P`` consulted in the cell, each patient once, within
    the places of the cell's sessions; worth their priority."""
    classes, capacity = patient_classes(data, opts, cells)
    weight = data.instance.weights.patient
    count, terms = _flows(
        model,
        [(members, reach, round(prio * weight * SCALE)) for members, prio, reach in classes],
        capacity,
        _cell_links(model, defined, cells, opts, lambda a: a.patient_capacity, name="f"),
        name="f",
        group=lambda cell: 0,
    )
    return _People(count, [members for members, _, _ in classes], terms)


def _trainees(
    model: cp_model.CpModel,
    data: Data,
    opts: dict[str, ActivityOptions],
    cells: dict[str, dict[Cell, list[cp_model.IntVar]]],
    defined: list[tuple[cp_model.IntVar, list[cp_model.IntVar]]],
) -> _People:
    """``g[T, cell]``: trainees of class ``T`` attending an activity of the cell, within its
    seats. At most one activity per trainee per day (the model's stricter rule), so that
    attendances never overlap."""
    classes, seats = trainee_classes(data, opts, cells)
    weight = data.instance.weights.trainee
    count, terms = _flows(
        model,
        [(members, reach, round(weight * SCALE)) for members, reach in classes],
        seats,
        _cell_links(
            model, defined, cells, opts, lambda a: a.trainee_seats if teaching(a) else 0, name="g"
        ),
        name="g",
        group=lambda cell: cell[2],
    )
    return _People(count, [members for members, _ in classes], terms)


def _activity_value(
    data: Data, opts: dict[str, ActivityOptions], place: dict[str, cp_model.IntVar]
) -> _Terms:
    """What placing each activity is worth: its weight times ``weights.activity``."""
    worth = data.instance.weights.activity
    return [(p, round(opts[aid].activity.weight * worth * SCALE)) for aid, p in place.items()]


def _cell_links(
    model: cp_model.CpModel,
    defined: list[tuple[cp_model.IntVar, list[cp_model.IntVar]]],
    cell_of: dict[str, dict[Cell, list[cp_model.IntVar]]],
    opts: dict[str, ActivityOptions],
    places: Callable[[Activity], int],
    *,
    name: str,
) -> dict[Cell, tuple[cp_model.LinearExprT, cp_model.IntVar]]:
    """Per cell: the places there (Σ places(a) × open(a, cell)) and the number of activities
    with places there (Σ open(a, cell), a variable of its own: every class's link to the cell
    uses it), over the activities with ``places(a) > 0``."""
    terms: dict[Cell, list[tuple[int, list[cp_model.IntVar]]]] = defaultdict(list)
    for aid, cells in cell_of.items():
        n = places(opts[aid].activity)
        if n > 0:
            for cell, zs in cells.items():
                terms[cell].append((n, zs))
    return {
        cell: (
            sum(n * z for n, zs in items for z in zs),
            _define(model, defined, [z for _, zs in items for z in zs], f"{name}open{cell}"),
        )
        for cell, items in terms.items()
    }


def _flows(
    model: cp_model.CpModel,
    classes: list[tuple[list[str], list[Cell], int]],
    limits: dict[Cell, int],
    links: dict[Cell, tuple[cp_model.LinearExprT, cp_model.IntVar]],
    *,
    name: str,
    group: Callable[[Cell], int],
) -> tuple[dict[tuple[int, Cell], cp_model.IntVar], _Terms]:
    """How many members of each class (members, reachable cells, value of one) each cell
    takes: within the class's size per ``group`` of cells, within the cell's places, and none
    where no activity is (the "strong" facility-location link, which keeps the LP from
    spreading an activity over every cell at once). Also their terms in the objective."""
    flow: dict[tuple[int, Cell], cp_model.IntVar] = {}
    terms: _Terms = []
    load: dict[Cell, list[cp_model.IntVar]] = defaultdict(list)
    for ci, (members, reach, value) in enumerate(classes):
        per_group: dict[int, list[cp_model.IntVar]] = defaultdict(list)
        for cell in reach:
            most = min(len(members), limits[cell])
            var = model.new_int_var(0, most, f"{name}[{ci},{cell}]")
            flow[(ci, cell)] = var
            model.add(var <= most * links[cell][1])
            per_group[group(cell)].append(var)
            load[cell].append(var)
            terms.append((var, value))
        for vs in per_group.values():
            if len(vs) > 1:
                model.add(sum(vs) <= len(members))
    for cell, vs in load.items():
        model.add(sum(vs) <= links[cell][0])
    return flow, terms


def _reasons(
    data: Data,
    opts: dict[str, ActivityOptions],
    plan_acts: list[PlacedActivity],
    consultations: list[Consultation],
    attendances: list[Attendance],
) -> list[Unplaced]:
    inst = data.instance
    placed = {p.activity: p for p in plan_acts}
    out: list[Unplaced] = []
    for act in inst.activities:
        if act.id in placed:
            continue
        ao = opts[act.id]
        if ao.options:
            out.append(
                Unplaced(
                    kind=UnplacedKind.ACTIVITY,
                    item=act.id,
                    reason="no_free_time",
                    detail="rooms and leads exist, but none free together in the best plan found",
                )
            )
        else:
            out.append(
                Unplaced(
                    kind=UnplacedKind.ACTIVITY, item=act.id, reason=ao.reason, detail=ao.detail
                )
            )
    acts = {a.id: a for a in inst.activities}
    consulted = {c.patient for c in consultations}
    requested = {a.specialty for a in inst.activities if a.patient_capacity > 0}
    placed_sessions: dict[str, list[PlacedActivity]] = defaultdict(list)
    for p in plan_acts:
        if acts[p.activity].patient_capacity > 0:
            placed_sessions[acts[p.activity].specialty].append(p)
    for pat in inst.patients:
        if pat.id in consulted:
            continue
        reach = [
            p
            for p in placed_sessions[pat.specialty]
            if p.city in pat.cities and (not pat.days or p.day in pat.days)
        ]
        if pat.specialty not in requested:
            reason, detail = "no_session_of_specialty", f"no session of {pat.specialty} requested"
        elif not reach:
            reason = "no_session_reachable"
            detail = f"no {pat.specialty} session placed in a city and day the patient can reach"
        else:
            reason, detail = "sessions_full", f"{len(reach)} reachable session(s), all full"
        out.append(Unplaced(kind=UnplacedKind.PATIENT, item=pat.id, reason=reason, detail=detail))
    reached = {a.trainee for a in attendances}
    for tr in inst.trainees:
        if tr.id in reached:
            continue
        interest = [
            p
            for p in plan_acts
            if acts[p.activity].specialty in tr.specialties
            and acts[p.activity].trainee_seats > 0
            and acts[p.activity].consultation_minutes is None
            and p.city == tr.city
            and (not tr.days or p.day in tr.days)
        ]
        if not interest:
            reason, detail = "no_activity_of_interest", "no activity of interest placed in reach"
        else:
            reason, detail = "seats_exhausted", f"{len(interest)} activity(ies) of interest, full"
        out.append(Unplaced(kind=UnplacedKind.TRAINEE, item=tr.id, reason=reason, detail=detail))
    return out


def _objective(instance: Instance, plan: Plan) -> Objective:
    return score(instance, plan)


def _starts(instance: Instance) -> tuple[Plan | None, Plan]:
    """The best start for CP-SAT among the greedy baseline and the value-aware plan of
    ``start.py``: the best *valid* one (every mandatory activity placed, the pinned ones where
    they were), None when none is, and the best of all (a hint even when it is not valid)."""
    plans = sorted(
        (greedy(instance), start(instance)), key=lambda p: p.objective.total, reverse=True
    )
    accepted = {p.activity: p for p in instance.accepted}

    def valid(plan: Plan) -> bool:
        where = {p.activity: p for p in plan.activities}
        return all(a.id in where for a in instance.activities if a.mandatory) and all(
            (new := where.get(pin)) is not None
            and (new.day, new.start, new.room, sorted(new.leads))
            == (old.day, old.start, old.room, sorted(old.leads))
            for pin, old in ((pin, accepted[pin]) for pin in instance.pinned if pin in accepted)
        )

    return next((plan for plan in plans if valid(plan)), None), plans[0]


def _hint(built: _Built, data: Data, plan: Plan) -> None:
    """A complete hint from a feasible plan (the greedy's), so CP-SAT starts from it."""
    model = built.model
    inst = data.instance
    placed = {p.activity: p for p in plan.activities}
    for aid, pv in built.place.items():
        model.add_hint(pv, aid in placed)
    for (aid, d), yv in built.y.items():
        p = placed.get(aid)
        model.add_hint(yv, p is not None and data.day_index.get(p.day) == d)
    for (aid, d, r), zv in built.z.items():
        p = placed.get(aid)
        model.add_hint(zv, p is not None and data.day_index.get(p.day) == d and p.room == r)
    for aid, st in built.start.items():
        p = placed.get(aid)
        lo = built.model.proto.variables[st.index].domain[0]
        model.add_hint(st, minutes(p.start) if p is not None else lo)
    for (aid, sid, d), wv in built.w.items():
        p = placed.get(aid)
        model.add_hint(wv, p is not None and data.day_index.get(p.day) == d and sid in p.leads)
    city_of: dict[tuple[str, int], str] = {}
    for p in plan.activities:
        for sid in p.leads:
            city_of[(sid, data.day_index[p.day])] = p.city
    for (sid, d, k), cv in built.c.items():
        model.add_hint(cv, city_of.get((sid, d)) == k)
    for (sid, d), ev in built.e.items():
        prev, cur = city_of.get((sid, d - 1)), city_of.get((sid, d))
        travel = data.t(prev, cur) if prev is not None and cur is not None else 0
        lo = data.city_bounds(data.specs[sid], d, cur)[0] if cur is not None else 0
        model.add_hint(ev, max(data.ds + travel, lo))
    for (sid, d), latest in built.end.items():
        cur = city_of.get((sid, d))
        hi = data.city_bounds(data.specs[sid], d, cur)[1] if cur is not None else 24 * 60
        model.add_hint(latest, hi)
    for s in inst.specialists:
        here = s.arrival.city if s.arrival is not None else None
        worked = False
        for d in range(len(data.days)):
            today = city_of.get((s.id, d))
            for k in data.cities:
                for k2 in data.cities:
                    mv = built.mv.get((s.id, d, k, k2))
                    if mv is not None:
                        model.add_hint(mv, here == k and today == k2)
            if today is not None:
                here, worked = today, True
            for k in data.cities:
                lv = built.loc.get((s.id, d, k))
                if lv is not None:
                    model.add_hint(lv, here == k)
        if s.id in built.worked:
            model.add_hint(built.worked[s.id], worked)
        if s.id in built.dep:
            assert s.arrival is not None
            model.add_hint(built.dep[s.id], worked and here == s.arrival.city)
    for aid, sv in built.same.items():
        acc = next(a for a in inst.accepted if a.activity == aid)
        p = placed.get(aid)
        model.add_hint(
            sv,
            p is not None
            and (p.day, p.start, p.room, set(p.leads))
            == (acc.day, acc.start, acc.room, set(acc.leads)),
        )
    pclass_of, tclass_of = built.pclass_of, built.tclass_of
    spec = {a.id: a.specialty for a in inst.activities}

    def cell(activity: str) -> Cell:
        p = placed[activity]
        return (spec[activity], p.city, data.day_index[p.day])

    counts: dict[tuple[int, Cell], int] = defaultdict(int)
    for cons in plan.consultations:
        if cons.patient in pclass_of:
            counts[(pclass_of[cons.patient], cell(cons.activity))] += 1
    for pkey, fv in built.f.items():
        model.add_hint(fv, counts.get(pkey, 0))
    seen: set[tuple[str, int]] = set()
    tcounts: dict[tuple[int, Cell], int] = defaultdict(int)
    for att in plan.attendances:
        key = (att.trainee, data.day_index[placed[att.activity].day])
        if key in seen or att.trainee not in tclass_of:
            continue
        seen.add(key)
        tcounts[(tclass_of[att.trainee], cell(att.activity))] += 1
    for tkey, gv in built.g.items():
        model.add_hint(gv, tcounts.get(tkey, 0))
    hint = model.proto.solution_hint
    hinted = dict(zip(hint.vars, hint.values, strict=True))
    for var, booleans in built.defined:
        model.add_hint(var, sum(hinted[b.index] for b in booleans))


def _infeasible(
    instance: Instance,
    reasons: list[Unplaced],
    status: str,
    t0: float,
    time_limit: float,
    seed: int,
    workers: int,
) -> Plan:
    plan = Plan(
        program=instance.program.code,
        unplaced=reasons,
        objective=Objective(total=0, activities=0, patients=0, trainees=0, travel=0, changes=0),
        solver=SolverInfo(
            name="cp-sat",
            status=status,
            wall_seconds=time.monotonic() - t0,
            time_limit_seconds=time_limit,
            seed=seed,
            workers=workers,
        ),
    )
    return plan.model_copy(update={"objective": _objective(instance, plan)})


def solve(
    instance: Instance,
    *,
    time_limit: float,
    seed: int = 1,
    workers: int | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    deterministic_time: float | None = None,
    neighbourhoods: bool = True,
) -> Plan:
    """Solve ``instance`` with CP-SAT within ``time_limit`` seconds (see the module docstring).

    With ``deterministic_time`` the search stops after that much of CP-SAT's deterministic
    time instead (and the bounds are solved to the end), so that a run with the same seed and
    ``workers`` gives the same plan on any machine. ``neighbourhoods=False`` leaves out the
    large-neighbourhood search (``lns.py``): CP-SAT alone, for comparison.

    An instance whose mandatory activities cannot all be placed gives a plan with status
    ``infeasible``, no activities, and the mandatory activities with their reasons in
    ``unplaced``.
    """
    t0 = time.monotonic()
    nworkers = workers if workers is not None else (os.cpu_count() or 1)
    data = Data(instance)
    pinned = set(instance.pinned)
    opts = every_option(data)
    missing = [
        Unplaced(
            kind=UnplacedKind.ACTIVITY,
            item=aid,
            reason=ao.reason,
            detail=f"mandatory: {ao.detail}",
        )
        for aid, ao in opts.items()
        if not ao.options and (ao.activity.mandatory or aid in pinned)
    ]
    if missing:
        return _infeasible(instance, missing, "infeasible", t0, time_limit, seed, nworkers)

    built = _build(data, opts)
    greedy_plan, hint = _starts(instance)
    _hint(built, data, hint)
    # keep time to turn the solution into a plan within the limit
    reserve = min(
        0.15 * time_limit, 1 + len(instance.activities) / 50 + len(instance.patients) / 1000
    )
    search = max(0.1, time_limit - reserve - (time.monotonic() - t0))
    deadline = time.monotonic() + search
    # Above LARGE activities neither the neighbourhoods nor the packing LP pay (see LARGE).
    small = len(instance.activities) <= LARGE
    neighbourhoods = neighbourhoods and small
    share = LNS_AFTER if neighbourhoods else 1.0
    solver = _solver(seed, nworkers, deterministic_time, large=not small)
    if deterministic_time is not None:
        solver.parameters.max_deterministic_time = share * deterministic_time
    else:
        solver.parameters.max_time_in_seconds = share * search
    bounds = _Bounds()
    with ThreadPoolExecutor(max_workers=1) as pool:
        proving = pool.submit(
            _prove, bounds, built, data, opts, None if deterministic_time else deadline, small
        )
        cb = _Callback(built.offset, on_progress, t0, bounds)
        status = solver.solve(built.model, cb)
        name = solver.status_name(status).lower()
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            bounds.found["cp-sat"] = solver.best_objective_bound / SCALE + built.offset
        solution = list(solver.response_proto.solution)
        if status == cp_model.FEASIBLE and neighbourhoods:
            budget = lns.Budget(
                deadline=None if deterministic_time else deadline,
                deterministic=None
                if deterministic_time is None
                else (1 - share) * deterministic_time,
                step_seconds=max(
                    STEP_SECONDS_LEAST, STEP_SECONDS_PER_ACTIVITY * len(instance.activities)
                ),
            )
            solution, _ = lns.improve(
                built.model,
                opts,
                _variables(built, opts),
                solution,
                solver.objective_value,
                budget=budget,
                seed=seed,
                workers=nworkers,
                on_step=cb.step,
            )
        proving.result()  # the LPs stop by the deadline: no wait beyond it
    bound = bounds.best()
    if status == cp_model.INFEASIBLE or status == cp_model.MODEL_INVALID:
        reasons = [
            Unplaced(
                kind=UnplacedKind.ACTIVITY,
                item=a.id,
                reason="no_free_time",
                detail="mandatory: CP-SAT proved the mandatory activities cannot all be placed",
            )
            for a in instance.activities
            if a.mandatory or a.id in pinned
        ]
        return _infeasible(instance, reasons, name, t0, time_limit, seed, nworkers)
    info = SolverInfo(
        name="cp-sat",
        status=name,
        wall_seconds=0.0,
        time_limit_seconds=time_limit,
        seed=seed,
        workers=nworkers,
        bounds=dict(sorted(bounds.found.items())),
    )
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        if greedy_plan is None:
            return _infeasible(instance, [], name, t0, time_limit, seed, nworkers)
        info = info.model_copy(update={"wall_seconds": time.monotonic() - t0})
        return greedy_plan.model_copy(update={"solver": info, "bound": bound})

    acts, cons, atts = _extract(solution, built, data, opts)
    atts = _fill_trainees(data, acts, atts)
    plan = Plan(
        program=instance.program.code,
        activities=acts,
        consultations=cons,
        attendances=atts,
        unplaced=_reasons(data, opts, acts, cons, atts),
        objective=Objective(total=0, activities=0, patients=0, trainees=0, travel=0, changes=0),
        bound=bound,
        solver=info,
    )
    objective = _objective(instance, plan)
    if greedy_plan is not None and greedy_plan.objective.total > objective.total:
        # the search did not beat its start in the time given: keep the better plan
        plan, objective = greedy_plan.model_copy(update={"bound": bound}), greedy_plan.objective
    if on_progress is not None and bound is not None:
        on_progress(Progress(time.monotonic() - t0, objective.total, bound, "end"))
    info = info.model_copy(update={"wall_seconds": time.monotonic() - t0})
    return plan.model_copy(update={"objective": objective, "solver": info})


#: Beyond this many activities (scale 2 has 400, scale 4 800) a neighbourhood step copies and
#: presolves a model of some 100,000 variables: at scale 4 it took seconds and gigabytes a
#: step (2 improving steps in 100 s, the process's peak from 2.4 to 7 GiB), and the packing LP
#: did not solve in 120 s alone. CP-SAT then searches alone, with the model's LP relaxation.
LARGE = 400

#: The share of the search CP-SAT has on the whole model before the neighbourhoods take over.
#: Its own search improves fastest at first; later, re-solving small parts gains more.
LNS_AFTER = 1 / 3

#: A neighbourhood step's time limit, per activity of the instance: 0.5 s at scale 1, 1 s at
#: scale 2. A step first presolves a copy of the whole model (0.15-0.2 s at scale 1, 0.35-0.45 s
#: at scale 2), and the small model's improvements then come within a few tenths of a second.
#: At scale 1 a whole second went mostly to proving them optimal, and fewer steps made worse
#: plans; at scale 2 a shorter step left too little after the presolve (docs/benchmarks.md,
#: "late"). Never under ``STEP_SECONDS_LEAST``, so that a tiny instance's step still searches.
STEP_SECONDS_PER_ACTIVITY = 0.0025
STEP_SECONDS_LEAST = 0.1


#: CP-SAT's own neighbourhoods over the intervals. At scale 4 a step of each took 3-7 s where
#: the others take under 1 s, two of their 13 steps in 150 s improved, and they held some
#: 200 MiB more (docs/benchmarks.md).
_SCHEDULING_NEIGHBOURHOODS = (
    "scheduling_intervals_lns",
    "scheduling_precedences_lns",
    "scheduling_resource_windows_lns",
    "scheduling_time_window_lns",
)


def _solver(
    seed: int, workers: int, deterministic_time: float | None, *, large: bool = False
) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.random_seed = seed
    params.max_presolve_iterations = 1
    # Probing is the longest part of the presolve on big instances (11 s of 60 at scale 2)
    # and does not pay for itself here; the search starts from the hint anyway.
    params.cp_model_probing_level = 0
    # Likewise the symmetry detection (8 s of 60 at scale 2 on a loaded machine): the bound
    # comes mostly from the LP relaxations, and symmetry breaking only helps to prove.
    params.symmetry_level = 0
    params.num_workers = workers
    if large:
        # The local search and the feasibility pump each keep a copy of the whole model and
        # churn through memory: at scale 4 the process kept growing with them (past 4 GiB in
        # 150 s) and stayed flat without, and the plans were no worse
        # (docs/benchmarks.md). The complete hint is the first solution they would look for.
        params.ignore_subsolvers.extend(["ls", "feasibility_pump", *_SCHEDULING_NEIGHBOURHOODS])
    if deterministic_time is not None:
        # several workers search in a fixed order only when interleaved
        params.interleave_search = True
    return solver


class _Bounds:
    """The bounds proven so far, by kind, in the instance's units: the proving thread adds
    them as they come and the search reads the best."""

    def __init__(self) -> None:
        self.found: dict[str, float] = {}

    def best(self) -> float | None:
        return min(self.found.values(), default=None)


def _prove(
    bounds: _Bounds,
    built: _Built,
    data: Data,
    opts: dict[str, ActivityOptions],
    deadline: float | None,
    packing: bool,
) -> None:
    """The LP bounds, the quicker first: the relaxation of the CP-SAT model (``lp``) and, with
    ``packing``, the compact packing LP (``packing.py``), each by ``deadline`` (None: to the
    end).
    The time-indexed packing LP is tighter but takes about two minutes alone at scale 1: it is
    left to ``hamkor plan bound``."""
    # The leads and the travel part are left out of the model's relaxation: with them it is
    # twice as big and barely lower (the options are already filtered by the leads).
    leave_out = [
        *built.w.values(),
        *built.c.values(),
        *built.e.values(),
        *built.end.values(),
        *built.loc.values(),
        *built.mv.values(),
        *built.worked.values(),
        *built.dep.values(),
    ]
    lp = lp_bound(built.model, deadline=deadline, leave_out=leave_out)
    if lp is not None:
        bounds.found["lp"] = lp / SCALE + built.offset
    if packing:
        found = packing_bound(data, opts, deadline=deadline, time_indexed=False)
        if found is not None:
            bounds.found["packing"] = found


def _variables(built: _Built, opts: dict[str, ActivityOptions]) -> lns.Variables:
    """The indices of what an LNS step fixes, per activity and per cell."""
    own: dict[str, list[int]] = defaultdict(list)
    for aid, var in (*built.place.items(), *built.start.items(), *built.same.items()):
        own[aid].append(var.index)
    for (aid, _), var in built.y.items():
        own[aid].append(var.index)
    for (aid, _, _), var in (*built.z.items(), *built.w.items()):
        own[aid].append(var.index)
    people: dict[Cell, list[int]] = defaultdict(list)
    for (_, cell), var in (*built.f.items(), *built.g.items()):
        people[cell].append(var.index)
    return lns.Variables(
        own=own,
        people=people,
        place={aid: var.index for aid, var in built.place.items()},
        rooms={key: var.index for key, var in built.z.items()},
        leads={key: var.index for key, var in built.w.items()},
    )


def _fill_trainees(
    data: Data, acts: list[PlacedActivity], atts: list[Attendance]
) -> list[Attendance]:
    """Add the places the model's one-activity-per-day rule left out: each trainee (by id),
    every placed activity of interest with a free seat that overlaps none of theirs."""
    inst = data.instance
    spec = {a.id: a for a in inst.activities}
    seats = {p.activity: spec[p.activity].trainee_seats for p in acts}
    placed = {p.activity: p for p in acts}
    mine: dict[str, list[PlacedActivity]] = defaultdict(list)
    for att in atts:
        seats[att.activity] -= 1
        mine[att.trainee].append(placed[att.activity])
    out = list(atts)
    by_time = sorted(acts, key=lambda p: (p.day, p.start, p.activity))
    for tr in sorted(inst.trainees, key=lambda t: t.id):
        for p in by_time:
            act = spec[p.activity]
            if (
                seats[p.activity] <= 0
                or act.consultation_minutes is not None
                or act.specialty not in tr.specialties
                or p.city != tr.city
                or (tr.days and p.day not in tr.days)
            ):
                continue
            if any(q.day == p.day and q.start < p.end and p.start < q.end for q in mine[tr.id]):
                continue
            seats[p.activity] -= 1
            mine[tr.id].append(p)
            out.append(Attendance(trainee=tr.id, activity=p.activity))
    return out


def _extract(
    solution: Sequence[int], built: _Built, data: Data, opts: dict[str, ActivityOptions]
) -> tuple[list[PlacedActivity], list[Consultation], list[Attendance]]:
    acts: list[PlacedActivity] = []
    leads_of: dict[tuple[str, int], list[str]] = defaultdict(list)
    for (aid, sid, d), wv in built.w.items():
        if solution[wv.index]:
            leads_of[(aid, d)].append(sid)
    for (aid, d, r), zv in built.z.items():
        if not solution[zv.index]:
            continue
        st = solution[built.start[aid].index]
        act = opts[aid].activity
        leads = sorted(leads_of[(aid, d)])
        acts.append(
            PlacedActivity(
                activity=aid,
                day=data.days[d],
                start=clock(st),
                end=clock(st + act.duration_minutes),
                city=data.rooms[r].city,
                room=r,
                leads=leads,
            )
        )
    order = {a.id: i for i, a in enumerate(data.instance.activities)}
    acts.sort(key=lambda p: order[p.activity])
    spec = {a.id: a for a in data.instance.activities}
    sessions: dict[Cell, list[tuple[str, int]]] = defaultdict(list)
    taught: dict[Cell, list[tuple[str, int]]] = defaultdict(list)
    for p in acts:
        act = spec[p.activity]
        at = (act.specialty, p.city, data.day_index[p.day])
        if act.patient_capacity > 0:
            sessions[at].append((p.activity, act.patient_capacity))
        if teaching(act):
            taught[at].append((p.activity, act.trainee_seats))
    cons = [
        Consultation(patient=pid, activity=aid)
        for pid, aid in assign_people(
            {key: solution[v.index] for key, v in built.f.items()}, built.pclasses, sessions
        )
    ]
    atts = [
        Attendance(trainee=tid, activity=aid)
        for tid, aid in assign_people(
            {key: solution[v.index] for key, v in built.g.items()},
            built.tclasses,
            taught,
            once_a_day=True,
        )
    ]
    return acts, cons, atts


@dataclass
class _Slot:
    activity: str
    free: int


def assign_people(
    counts: dict[tuple[int, Cell], int],
    classes: list[list[str]],
    places: dict[Cell, list[tuple[str, int]]],
    *,
    once_a_day: bool = False,
) -> list[tuple[str, str]]:
    """Turn the model's counts into (person, activity) pairs.

    ``counts[i, cell]`` people of class ``i`` (interchangeable members ``classes[i]``) go to
    the activities of ``cell``, whose ``places`` are ``(activity, places)`` pairs with enough
    places in all for the counts (the model's cell constraint). Each class hands out its members
    in order, so no one is given twice (with ``once_a_day``, twice the same day: trainees may
    come back another day); each activity of the cell is filled before the next.
    """
    free = {cell: [_Slot(aid, n) for aid, n in items] for cell, items in places.items()}
    handed: dict[tuple[int, int], int] = defaultdict(int)
    out: list[tuple[str, str]] = []
    for (ci, cell), count in sorted(counts.items()):
        if count <= 0:
            continue
        key = (ci, cell[2] if once_a_day else -1)
        members = classes[ci][handed[key] : handed[key] + count]
        handed[key] += count
        slots = iter(free[cell])
        slot = next(slots)
        for person in members:
            while slot.free == 0:
                slot = next(slots)
            slot.free -= 1
            out.append((person, slot.activity))
    return out


__all__: Sequence[str] = ["SCALE", "Progress", "solve"]
