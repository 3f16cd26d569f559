"""The demo program's requested activities: what its coordinators still want placed.

Consultation sessions, master classes and lectures of the specialties its brigades bring, for
``hamkor plan program KZ-UZ-2025`` and the planning page to have something to place. Added once:
a program that has requests already is left alone.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hamkor.directory.models import RoomKind, Specialty
from hamkor.planning.models import PlanningRequest
from hamkor.programs.models import ActivityKind, Program

#: (specialty, kind, minutes, room kind, trainee seats, minutes per patient, title en, title ru)
_REQUESTS: tuple[tuple[str, ActivityKind, int, RoomKind, int, int | None, str, str], ...] = (
    (
        "cardiac_surgery",
        ActivityKind.CONSULTATION_SESSION,
        180,
        RoomKind.CONSULTATION_ROOM,
        0,
        20,
        "Cardiac surgery consultations",
        "Консультации кардиохирурга",
    ),
    (
        "neurosurgery",
        ActivityKind.CONSULTATION_SESSION,
        180,
        RoomKind.CONSULTATION_ROOM,
        0,
        20,
        "Neurosurgery consultations",
        "Консультации нейрохирурга",
    ),
    (
        "oncology",
        ActivityKind.CONSULTATION_SESSION,
        120,
        RoomKind.CONSULTATION_ROOM,
        0,
        15,
        "Oncology consultations",
        "Консультации онколога",
    ),
    (
        "paediatrics",
        ActivityKind.CONSULTATION_SESSION,
        120,
        RoomKind.CONSULTATION_ROOM,
        0,
        15,
        "Paediatric consultations",
        "Консультации педиатра",
    ),
    (
        "cardiac_surgery",
        ActivityKind.MASTER_CLASS,
        120,
        RoomKind.OPERATING_ROOM,
        6,
        None,
        "Off-pump coronary bypass",
        "Коронарное шунтирование на работающем сердце",
    ),
    (
        "neurosurgery",
        ActivityKind.MASTER_CLASS,
        150,
        RoomKind.OPERATING_ROOM,
        6,
        None,
        "Endoscopic skull base surgery",
        "Эндоскопическая хирургия основания черепа",
    ),
    (
        "spine_surgery",
        ActivityKind.DEMONSTRATION_OPERATION,
        180,
        RoomKind.OPERATING_ROOM,
        4,
        None,
        "Minimally invasive spinal fusion",
        "Малоинвазивный спондилодез",
    ),
    (
        "oncology",
        ActivityKind.LECTURE,
        60,
        RoomKind.LECTURE_HALL,
        40,
        None,
        "Immunotherapy today",
        "Иммунотерапия сегодня",
    ),
    (
        "neurology",
        ActivityKind.LECTURE,
        60,
        RoomKind.LECTURE_HALL,
        40,
        None,
        "Stroke pathways",
        "Маршрутизация инсульта",
    ),
    (
        "paediatrics",
        ActivityKind.PRACTICAL_TRAINING,
        120,
        RoomKind.TRAINING_ROOM,
        12,
        None,
        "Neonatal resuscitation drill",
        "Тренинг по реанимации новорождённых",
    ),
)


def load(db: Session, program: Program) -> int:
    """Add the demo's requested activities to ``program`` once; how many were added."""
    if db.scalar(select(PlanningRequest.id).where(PlanningRequest.program_id == program.id)):
        return 0
    specialties = {s.code: s for s in db.scalars(select(Specialty))}
    added = 0
    for code, kind, minutes, room_kind, seats, per_patient, en, ru in _REQUESTS:
        specialty = specialties.get(code)
        if specialty is None:
            continue
        db.add(
            PlanningRequest(
                program_id=program.id,
                kind=kind,
                titles={"en": en, "ru": ru},
                specialty_id=specialty.id,
                duration_minutes=minutes,
                room_kind=room_kind,
                trainee_seats=seats,
                consultation_minutes=per_patient,
            )
        )
        added += 1
    db.flush()
    return added
