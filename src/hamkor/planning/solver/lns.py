"""Large-neighbourhood search on the CP-SAT model: keep most of a plan, re-solve a part of it.

After CP-SAT's own search has had its share of the time, each step frees the activities of one
*neighbourhood* and fixes every other activity where the current solution has it (placed or
not, day, room, start, leads), with the patients and trainees of the cells the free activities
cannot reach; CP-SAT then re-solves that small model from the current solution (a complete
hint) for a short time. A better solution replaces the current one; a worse one is never
taken, so the search never returns less than its start.

The neighbourhoods follow what a coordinator would rearrange:

* an *unplaced* activity with the activities that hold its rooms or its leads on its days
  (the move a first-fit cannot make: shift two activities to fit a third), drawn three times
  as often as the others;
* a *city-day*: every activity that may take place in that city that day;
* a *specialist*: every activity they may lead;
* a *specialty*: every activity of it.

A neighbourhood larger than ``most`` activities is cut to a random ``most`` of them (the
unplaced activity always kept). Everything is drawn from ``random.Random(seed)``.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ortools.sat.python import cp_model

from hamkor.planning.solver.options import ActivityOptions, Cell

KINDS = ("unplaced", "unplaced", "unplaced", "city-day", "specialist", "specialty")


@dataclass(frozen=True)
class Variables:
    """The model's variables an LNS step fixes: each activity's own (place, day, room, start,
    leads) and the people counted per cell."""

    own: Mapping[str, Sequence[int]]
    people: Mapping[Cell, Sequence[int]]
    place: Mapping[str, int]
    rooms: Mapping[tuple[str, int, str], int]
    leads: Mapping[tuple[str, str, int], int]


@dataclass(frozen=True)
class Step:
    """An improving step: seconds since the search began, the neighbourhood's kind and size,
    and the objective reached (model units)."""

    seconds: float
    kind: str
    size: int
    objective: float


@dataclass(frozen=True)
class Budget:
    """When to stop and how long each step may search: by wall-clock time (``deadline``, a
    ``time.monotonic()`` instant) or, reproducibly, by CP-SAT's deterministic time."""

    deadline: float | None = None
    deterministic: float | None = None
    step_seconds: float = 1.0


def improve(
    model: cp_model.CpModel,
    opts: Mapping[str, ActivityOptions],
    variables: Variables,
    solution: list[int],
    objective: float,
    *,
    budget: Budget,
    seed: int,
    workers: int,
    on_step: Callable[[Step], None] | None = None,
    most: int = 15,
) -> tuple[list[int], float]:
    """The best solution found from ``solution`` (of objective ``objective``, model units)
    within the budget: never worse than the start."""
    rng = random.Random(seed)
    pick = _Neighbourhoods(opts, variables)
    t0 = time.monotonic()
    spent, step = 0.0, 0
    while True:
        if budget.deadline is not None and budget.deadline - time.monotonic() < 0.2:
            break
        if budget.deterministic is not None and spent >= budget.deterministic:
            break
        kind = rng.choice(KINDS)
        free = pick.draw(kind, solution, rng, most)
        if not free:
            continue
        sub = _fixed(model, variables, opts, free, solution)
        solver = cp_model.CpSolver()
        params = solver.parameters
        params.random_seed = seed + step
        params.num_workers = workers
        params.max_presolve_iterations = 1
        params.cp_model_probing_level = 0
        params.symmetry_level = 0
        if budget.deterministic is not None:
            params.max_deterministic_time = min(
                budget.step_seconds, max(0.01, budget.deterministic - spent)
            )
            params.interleave_search = True
        if budget.deadline is not None:
            params.max_time_in_seconds = max(
                0.05, min(budget.step_seconds, budget.deadline - time.monotonic() - 0.1)
            )
        status = solver.solve(sub)
        spent += solver.deterministic_time
        step += 1
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) and solver.objective_value > objective:
            solution = list(solver.response_proto.solution)
            objective = solver.objective_value
            if on_step is not None:
                on_step(Step(time.monotonic() - t0, kind, len(free), objective))
    return solution, objective


class _Neighbourhoods:
    """The activities each kind of neighbourhood may free."""

    def __init__(self, opts: Mapping[str, ActivityOptions], variables: Variables) -> None:
        self._variables = variables
        self._opts = opts
        self._city_day: dict[tuple[str, int], set[str]] = defaultdict(set)
        self._specialist: dict[str, set[str]] = defaultdict(set)
        self._specialty: dict[str, set[str]] = defaultdict(set)
        for aid, ao in opts.items():
            if aid not in variables.place:
                continue
            self._specialty[ao.activity.specialty].add(aid)
            for o in ao.options:
                self._city_day[(o.city, o.day)].add(aid)
            for window in ao.leads.values():
                for sid in window:
                    self._specialist[sid].add(aid)

    def draw(self, kind: str, solution: list[int], rng: random.Random, most: int) -> set[str]:
        """A neighbourhood of ``kind`` (empty when none of that kind is open)."""
        keep: set[str] = set()
        if kind == "unplaced":
            left = sorted(a for a, i in self._variables.place.items() if not solution[i])
            if not left:
                return set()
            keep = {rng.choice(left)}
            free = self._around(next(iter(keep)), solution)
        elif kind == "city-day":
            free = set(self._city_day[rng.choice(sorted(self._city_day))])
        elif kind == "specialist":
            free = set(self._specialist[rng.choice(sorted(self._specialist))])
        else:
            free = set(self._specialty[rng.choice(sorted(self._specialty))])
        free -= keep
        if len(free) > most - len(keep):
            free = set(rng.sample(sorted(free), most - len(keep)))
        return free | keep

    def _around(self, aid: str, solution: list[int]) -> set[str]:
        """The placed activities in the rooms an activity could use, on its days, and those
        its candidate leads lead on its days."""
        ao = self._opts[aid]
        room_days = {(o.room, o.day) for o in ao.options}
        lead_days = {(sid, d) for d, window in ao.leads.items() for sid in window}
        around = {
            other
            for (other, d, room), i in self._variables.rooms.items()
            if solution[i] and (room, d) in room_days
        }
        around |= {
            other
            for (other, sid, d), i in self._variables.leads.items()
            if solution[i] and (sid, d) in lead_days
        }
        return around


def _fixed(
    model: cp_model.CpModel,
    variables: Variables,
    opts: Mapping[str, ActivityOptions],
    free: set[str],
    solution: list[int],
) -> cp_model.CpModel:
    """A copy of ``model`` with every activity outside ``free`` fixed where ``solution`` has
    it, the people of the cells no free activity can reach fixed too, and ``solution`` as a
    complete hint."""
    sub = model.clone()
    proto = sub.proto
    reach = {
        (opts[aid].activity.specialty, o.city, o.day) for aid in free for o in opts[aid].options
    }
    fixed = [i for aid, own in variables.own.items() if aid not in free for i in own]
    fixed += [i for cell, people in variables.people.items() if cell not in reach for i in people]
    for i in fixed:
        domain = proto.variables[i].domain
        domain.clear()
        domain.extend([solution[i], solution[i]])
    proto.solution_hint.vars.clear()
    proto.solution_hint.values.clear()
    proto.solution_hint.vars.extend(range(len(solution)))
    proto.solution_hint.values.extend(solution)
    return sub
