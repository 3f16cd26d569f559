"""The objective of a plan, term by term (see ``docs/planning.md``).

``score`` only adds up; it does not check feasibility (that is :mod:`.check`). Every term is
reported as a non-negative magnitude; ``total = activities + patients + trainees − travel −
changes``. Items the instance does not know are ignored, and an item listed twice counts once.
"""

from __future__ import annotations

from itertools import pairwise

from hamkor.planning.solver.model import Instance, Objective, Plan, minutes


def travel_minutes(instance: Instance, plan: Plan) -> dict[str, int]:
    """Each specialist's travel minutes: between the cities of their successive activities in
    time order (so between consecutive working days in a feasible plan), plus arrival city →
    first city and last city → departure city when given. Specialists with no activity: 0."""
    table: dict[tuple[str, str], int] = {}
    for row in instance.travel:
        table[row.a, row.b] = row.minutes
        table[row.b, row.a] = row.minutes

    def between(a: str, b: str) -> int:
        return 0 if a == b else table.get((a, b), 0)

    visits: dict[str, list[tuple[str, int, str]]] = {}
    for placed in plan.activities:
        for lead in set(placed.leads):
            visits.setdefault(lead, []).append(
                (placed.day.isoformat(), minutes(placed.start), placed.city)
            )
    result: dict[str, int] = {}
    for specialist in instance.specialists:
        stops = sorted(visits.get(specialist.id, []))
        if not stops:
            continue
        cities = [city for _, _, city in stops]
        if specialist.arrival is not None:
            cities.insert(0, specialist.arrival.city)
        if specialist.departure is not None:
            cities.append(specialist.departure.city)
        result[specialist.id] = sum(between(a, b) for a, b in pairwise(cities))
    return result


def changed_accepted(instance: Instance, plan: Plan) -> list[str]:
    """Accepted activities whose day, start, room or leads changed, or that were dropped."""
    placed = {item.activity: item for item in plan.activities}
    changed = []
    for old in instance.accepted:
        new = placed.get(old.activity)
        if (
            new is None
            or new.day != old.day
            or new.start != old.start
            or new.room != old.room
            or set(new.leads) != set(old.leads)
        ):
            changed.append(old.activity)
    return changed


def score(instance: Instance, plan: Plan) -> Objective:
    """The objective of ``plan`` on ``instance``, split by term."""
    weights = instance.weights
    activities = {a.id: a for a in instance.activities}
    patients = {p.id: p for p in instance.patients}
    trainees = {t.id for t in instance.trainees}

    placed = {item.activity for item in plan.activities if item.activity in activities}
    activity_term = weights.activity * sum(activities[a].weight for a in sorted(placed))
    consulted = {c.patient for c in plan.consultations if c.patient in patients}
    patient_term = weights.patient * sum(patients[p].priority for p in sorted(consulted))
    places = {
        (a.trainee, a.activity)
        for a in plan.attendances
        if a.trainee in trainees and a.activity in activities
    }
    trainee_term = weights.trainee * len(places)
    travel_term = weights.travel_minute * sum(travel_minutes(instance, plan).values())
    change_term = weights.change * len(changed_accepted(instance, plan))
    total = activity_term + patient_term + trainee_term - travel_term - change_term
    return Objective(
        total=total,
        activities=activity_term,
        patients=patient_term,
        trainees=trainee_term,
        travel=travel_term,
        changes=change_term,
    )
