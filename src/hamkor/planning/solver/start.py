"""The optimizer's start: the greedy's steps with a value-aware choice of place for each activity.

The greedy baseline (:mod:`.greedy`) puts each activity at the *first* day, room and start
that fit, blind to who can come: a consultation session may land in a city or on a day where
few of the waiting patients of its specialty can come, a master class on a day its trainees
are at work, a lead may be sent across the country and back. This placer tries every day and
room (each at its earliest free start, as the greedy does) and keeps the one worth most:

* a consultation session: the priority points of the best patients it could take there that
  day (its capacity of them, among those not yet counted for an earlier session);
* a teaching activity: the trainees it could seat there that day (each trainee counted once a
  day);
* less the leads' extra travel minutes (from the city of their previous working day, or their
  arrival city, to the city of their next, or their departure city), all in the objective's
  weights.

What it counts is only an estimate of the final plan (patients and trainees are then booked
first-fit as in the greedy); CP-SAT starts from the best of these plans and improves it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date

from hamkor.planning.solver import rules
from hamkor.planning.solver.greedy import State, build, first_start, place_first
from hamkor.planning.solver.model import Activity, Instance, PlacedActivity, Plan, minutes


class _Demand:
    """Who could come to what, and who has already been counted for an earlier activity."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        self.travel = rules.travel_table(instance)
        self.patients: dict[str, list[tuple[int, str, frozenset[str], frozenset[date]]]] = (
            defaultdict(list)
        )
        for p in sorted(instance.patients, key=lambda p: (-p.priority, p.id)):
            self.patients[p.specialty].append(
                (p.priority, p.id, frozenset(p.cities), frozenset(p.days))
            )
        self.trainees: dict[tuple[str, str], list[tuple[str, frozenset[date]]]] = defaultdict(list)
        for t in sorted(instance.trainees, key=lambda t: t.id):
            for specialty in t.specialties:
                self.trainees[specialty, t.city].append((t.id, frozenset(t.days)))
        self.counted: set[str] = set()
        self.seated: set[tuple[str, date]] = set()

    def people(self, activity: Activity, day: date, city: str) -> tuple[float, list[str]]:
        """The value of the patients or trainees ``activity`` could take in ``city`` on
        ``day``, and their ids (patient ids, or trainee ids seated that day)."""
        weights = self.instance.weights
        if rules.is_consultation(activity):
            taken: list[str] = []
            points = 0
            for priority, pid, cities, days in self.patients.get(activity.specialty, []):
                if len(taken) == activity.patient_capacity:
                    break
                if pid not in self.counted and city in cities and (not days or day in days):
                    taken.append(pid)
                    points += priority
            return weights.patient * points, taken
        seated = [
            tid
            for tid, days in self.trainees.get((activity.specialty, city), [])
            if (tid, day) not in self.seated and (not days or day in days)
        ][: activity.trainee_seats]
        return weights.trainee * len(seated), seated

    def count(self, activity: Activity, day: date, ids: list[str]) -> None:
        if rules.is_consultation(activity):
            self.counted.update(ids)
        else:
            self.seated.update((tid, day) for tid in ids)

    def extra_travel(self, state: State, placed: PlacedActivity) -> int:
        """Minutes the leads would travel more if they worked in ``placed.city`` that day."""
        total = 0
        days = state.days
        index = days.index(placed.day)
        specialists = {s.id: s for s in self.instance.specialists}
        for lead in placed.leads:
            if (lead, placed.day) in state.spec_city:
                continue
            spec = specialists[lead]
            before = next(
                (
                    state.spec_city[lead, d]
                    for d in reversed(days[:index])
                    if (lead, d) in state.spec_city
                ),
                spec.arrival.city if spec.arrival is not None else None,
            )
            after = next(
                (
                    state.spec_city[lead, d]
                    for d in days[index + 1 :]
                    if (lead, d) in state.spec_city
                ),
                spec.departure.city if spec.departure is not None else None,
            )
            total += self._trip(before, placed.city) + self._trip(placed.city, after)
            if state.load[lead] > 0:
                total -= self._trip(before, after)
        return total

    def _trip(self, a: str | None, b: str | None) -> int:
        return 0 if a is None or b is None else self.travel[a, b]


def _placer(demand: _Demand) -> Callable[[State, Activity], tuple[PlacedActivity | None, str, str]]:
    instance = demand.instance
    weights = instance.weights

    def place(state: State, activity: Activity) -> tuple[PlacedActivity | None, str, str]:
        candidates = rules.eligible_leads(instance, activity)
        best: tuple[float, PlacedActivity, list[str]] | None = None
        if len(candidates) >= rules.leads_needed(activity):
            for day in rules.activity_days(instance.program, activity):
                for room in rules.eligible_rooms(instance, activity):
                    placed = first_start(state, activity, day, room, candidates)
                    if placed is None:
                        continue
                    value, ids = demand.people(activity, day, room.city)
                    value -= weights.travel_minute * demand.extra_travel(state, placed)
                    if best is None or value > best[0]:
                        best = (value, placed, ids)
        if best is None:  # the greedy's placer finds nothing either, and says why
            return place_first(state, activity)
        _, placed, ids = best
        demand.count(activity, placed.day, ids)
        state.book(placed, minutes(placed.start), minutes(placed.end))
        return placed, "", ""

    return place


def start(instance: Instance) -> Plan:
    """The value-aware plan of ``instance``: optional activities by weight as in the greedy,
    and among those of the same weight the least flexible first (fewest days × rooms × leads
    that could hold them), so that the flexible ones take what is left."""
    program = instance.program
    flexibility = {
        a.id: len(rules.activity_days(program, a))
        * len(rules.eligible_rooms(instance, a))
        * len(rules.eligible_leads(instance, a))
        for a in instance.activities
    }
    return build(
        instance,
        _placer(_Demand(instance)),
        order=lambda a: (-a.weight, flexibility[a.id], a.id),
        name="start",
    )
