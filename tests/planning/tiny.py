"""A tiny hand-written instance and a valid plan of it, for the planning tests.

Two cities two hours apart, two days, a neurosurgery operation (two leads, mandatory), a
neurosurgery consultation session (two places) and a cardiology lecture.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from hamkor.planning.solver.model import (
    Attendance,
    Consultation,
    Instance,
    Objective,
    PlacedActivity,
    Plan,
    SolverInfo,
)
from hamkor.planning.solver.objective import score

D1 = date(2025, 10, 13)
D2 = date(2025, 10, 14)


def instance_data() -> dict[str, Any]:
    """The tiny instance as JSON data (to break it for the file tests)."""
    return {
        "format": "hamkor.plan-instance/1",
        "program": {
            "code": "tiny",
            "days": [D1.isoformat(), D2.isoformat()],
            "day_start": "08:00",
            "day_end": "18:00",
            "slot_minutes": 30,
        },
        "cities": [{"id": "a", "name": "Alpha"}, {"id": "b", "name": "Beta"}],
        "travel": [{"a": "a", "b": "b", "minutes": 120}],
        "rooms": [
            {"id": "ra", "city": "a", "kind": "operating_room", "capacity": 10},
            {"id": "rb", "city": "b", "kind": "operating_room", "capacity": 10},
            {"id": "ca", "city": "a", "kind": "consultation_room", "capacity": 4},
            {"id": "cb", "city": "b", "kind": "consultation_room", "capacity": 4},
            {"id": "la", "city": "a", "kind": "lecture_hall", "capacity": 50},
        ],
        "specialists": [
            {"id": "s1", "specialties": ["neuro"]},
            {"id": "s2", "specialties": ["neuro"]},
            {
                "id": "s3",
                "specialties": ["cardio"],
                "arrival": {"city": "b", "day": D1.isoformat(), "time": "06:00"},
            },
            {"id": "s4", "specialties": ["cardio"]},
        ],
        "activities": [
            {
                "id": "op1",
                "kind": "demonstration_operation",
                "specialty": "neuro",
                "duration_minutes": 120,
                "room_kind": "operating_room",
                "leads": 2,
                "trainee_seats": 4,
                "weight": 3,
                "mandatory": True,
            },
            {
                "id": "cons1",
                "kind": "consultation_session",
                "specialty": "neuro",
                "duration_minutes": 60,
                "room_kind": "consultation_room",
                "consultation_minutes": 30,
            },
            {
                "id": "lec1",
                "kind": "lecture",
                "specialty": "cardio",
                "duration_minutes": 60,
                "room_kind": "lecture_hall",
                "trainee_seats": 20,
            },
        ],
        "trainees": [
            {"id": "t1", "specialties": ["neuro"], "city": "a"},
            {"id": "t2", "specialties": ["cardio"], "city": "a"},
            {"id": "t3", "specialties": ["neuro"], "city": "b"},
        ],
        "patients": [
            {"id": "p1", "specialty": "neuro", "priority": 5, "cities": ["a"]},
            {"id": "p2", "specialty": "neuro", "priority": 2, "cities": ["a"]},
            {"id": "p3", "specialty": "neuro", "priority": 1, "cities": ["b"]},
            {"id": "p4", "specialty": "cardio", "priority": 3, "cities": ["a"]},
            {"id": "p5", "specialty": "neuro", "priority": 1, "cities": ["a"]},
        ],
    }


def instance(**changes: Any) -> Instance:
    """The tiny instance, with top-level fields replaced by ``changes`` (JSON data)."""
    data = instance_data()
    data.update(changes)
    return Instance.model_validate(data)


def placed(
    activity: str, day: date, start: str, end: str, city: str, room: str, *leads: str
) -> PlacedActivity:
    return PlacedActivity(
        activity=activity, day=day, start=start, end=end, city=city, room=room, leads=list(leads)
    )


VALID_ACTIVITIES = [
    placed("op1", D1, "08:00", "10:00", "a", "ra", "s1", "s2"),
    placed("cons1", D1, "10:00", "11:00", "a", "ca", "s1"),
    placed("lec1", D1, "08:00", "09:00", "a", "la", "s3"),
]
VALID_CONSULTATIONS = [
    Consultation(patient="p1", activity="cons1"),
    Consultation(patient="p2", activity="cons1"),
]
VALID_ATTENDANCES = [
    Attendance(trainee="t1", activity="op1"),
    Attendance(trainee="t2", activity="lec1"),
]
ZERO = Objective(total=0, activities=0, patients=0, trainees=0, travel=0, changes=0)


def plan(
    inst: Instance | None = None,
    *,
    activities: list[PlacedActivity] | None = None,
    consultations: list[Consultation] | None = None,
    attendances: list[Attendance] | None = None,
) -> Plan:
    """A plan of the tiny instance (the valid one by default), its objective computed."""
    draft = Plan(
        program="tiny",
        activities=VALID_ACTIVITIES if activities is None else activities,
        consultations=VALID_CONSULTATIONS if consultations is None else consultations,
        attendances=VALID_ATTENDANCES if attendances is None else attendances,
        objective=ZERO,
        solver=SolverInfo(name="hand", status="feasible", wall_seconds=0.0),
    )
    return draft.model_copy(update={"objective": score(inst or instance(), draft)})
