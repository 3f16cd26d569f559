"""The demo loads the 2025 program at the reports' scale, and loads it only once."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hamkor.core.models import User
from hamkor.demo.loader import load_demo
from hamkor.directory.models import City, Institution, Person
from hamkor.programs.models import Activity, Delegation, Participation, Program


def _count(db: Session, model: type) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def test_demo_is_at_the_scale_of_the_reports(db: Session) -> None:
    steps: list[str] = []
    summary = load_demo(db, progress=steps.append)
    assert steps[-1] == "users"
    program = db.scalars(select(Program).where(Program.code == "KZ-UZ-2025")).one()
    delegates = db.scalar(
        select(func.count())
        .select_from(Participation)
        .where(Participation.program_id == program.id)
    )
    assert delegates == 150
    brigade_cities = db.scalars(
        select(City.code).join(Activity, Activity.city_id == City.id).distinct()
    ).all()
    assert {"TAS", "BUK", "NUK", "SAM", "FER", "KAR"} <= set(brigade_cities)
    assert _count(db, Activity) >= 60
    assert _count(db, Delegation) >= 6
    assert {"VAKHIDOV", "SYZGANOV", "BATPENOV"} <= set(db.scalars(select(Institution.code)))
    assert summary.added["people"] == _count(db, Person)


def test_names_are_in_all_five_languages(db: Session) -> None:
    load_demo(db)
    for institution in db.scalars(select(Institution)):
        assert set(institution.names) == {"ru", "uz", "uz-Cyrl", "kk", "en"}
    person = db.scalars(select(Person).where(Person.code == "KZ-NEURO-001")).one()
    assert set(person.names) == {"ru", "uz", "uz-Cyrl", "kk", "en"}


def test_a_second_load_adds_nothing(db: Session) -> None:
    load_demo(db)
    before = {model: _count(db, model) for model in (Person, Activity, Participation, User)}
    again = load_demo(db)
    assert again.total == 0
    assert {model: _count(db, model) for model in before} == before
