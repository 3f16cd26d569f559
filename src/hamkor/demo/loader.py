"""Loading the demo program from ``seed.json``: idempotent, so ``make run`` can run it again.

Each module loads its own part (its ``demo.py``), in the order of the dependencies between them;
this loader reads the seed and calls them in turn, in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from hamkor.agreements.demo import load_agreements
from hamkor.care.demo import load_care_demo
from hamkor.core.demo import DemoSummary, load_users
from hamkor.directory.demo import DirectoryDemo
from hamkor.planning import demo as planning_demo
from hamkor.programs import demo as programs_demo
from hamkor.reports.demo import load_targets
from hamkor.telemedicine.demo import load_telemedicine_demo
from hamkor.training.demo import load_training

SEED = Path(__file__).with_name("seed.json")
Progress = Callable[[str], None]


@cache
def seed() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SEED.read_text(encoding="utf-8"))
    return data


STEPS = (
    "directory",
    "institutions",
    "people",
    "programs",
    "activities",
    "users",
    "training",
    "care",
    "agreements",
    "telemedicine",
    "reports",
)


def load_demo(db: Session, progress: Progress | None = None) -> DemoSummary:
    """Load the demo into ``db`` (flushes only; the caller commits) and say what was added."""
    summary = DemoSummary()
    loader = DirectoryDemo(db, summary, seed())
    step = progress or (lambda _name: None)
    countries = loader.countries()
    cities = loader.cities(countries)
    loader.travel_times(cities)
    specialties = loader.specialties()
    step("directory")
    institutions = loader.institutions(countries, cities)
    step("institutions")
    loader.local_doctors(institutions, specialties)
    step("people")
    program = programs_demo.load_program(loader, seed()["program"], countries)
    brigades = programs_demo.brigades(
        loader, program, cities, institutions, specialties, seed()["program"]["brigades"]
    )
    course = programs_demo.course(
        loader, countries, institutions, specialties, seed()["qualification_course"]
    )
    step("programs")
    programs_demo.activities(
        loader, program, cities, institutions, specialties, brigades, seed()["activities"]
    )
    db.flush()
    summary.added["planning requests"] = planning_demo.load(db, program)
    step("activities")
    load_users(
        loader,
        {code: institution.id for code, institution in institutions.items()},
        {program.code: program.id, course.code: course.id},
    )
    loader.link_specialist()
    db.flush()
    step("users")
    load_training(loader)
    db.flush()
    step("training")
    load_care_demo(db, seed()["people_names"], summary.count)
    step("care")
    load_agreements(loader)
    db.flush()
    step("agreements")
    summary.added["teleconsultations"] = load_telemedicine_demo(db)
    step("telemedicine")
    load_targets(db, summary)
    step("reports")
    return summary
