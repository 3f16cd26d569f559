"""Loading the demo program from ``seed.json``: idempotent, so ``make run`` can run it again.

Every row is found by its code before it is made, so a second run adds nothing. People are drawn
from name pools with a fixed seed, so every machine gets the same delegation.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from hamkor.care.demo import load_care_demo
from hamkor.core.db import Base
from hamkor.core.models import Membership, Role, User
from hamkor.core.users import create_user
from hamkor.directory.models import (
    City,
    Country,
    Institution,
    InstitutionKind,
    Person,
    Room,
    RoomKind,
    Specialty,
    TravelTime,
)
from hamkor.directory.service import derive_minutes, ensure_country
from hamkor.planning import demo as planning_demo
from hamkor.programs.models import (
    Activity,
    ActivityKind,
    ActivityStatus,
    Delegation,
    Participation,
    ParticipationRole,
    Program,
    ProgramKind,
    ProgramStatus,
)
from hamkor.training.demo import load_training

SEED = Path(__file__).with_name("seed.json")
DEMO_PASSWORD = "hamkor-demo"
ModelT = TypeVar("ModelT", bound=Base)
Progress = Callable[[str], None]


@cache
def seed() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SEED.read_text(encoding="utf-8"))
    return data


@dataclass
class DemoSummary:
    """What a load added, by kind of record (all zero on a second run)."""

    added: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str) -> None:
        self.added[kind] = self.added.get(kind, 0) + 1

    @property
    def total(self) -> int:
        return sum(self.added.values())


class _Loader:
    def __init__(self, db: Session, summary: DemoSummary) -> None:
        self.db = db
        self.summary = summary
        self.rng = random.Random(20251013)

    def by_code(self, model: type[ModelT], code: str) -> ModelT | None:
        """The row of ``model`` with this code, if an earlier run made it."""
        return self.db.scalars(select(model).where(model.__table__.c.code == code)).first()

    def add(self, obj: Base) -> None:
        self.db.add(obj)
        self.summary.count(obj.__tablename__)

    def countries(self) -> dict[str, Country]:
        countries = {}
        for code in seed()["countries"]:
            existed = self.by_code(Country, code) is not None
            countries[code] = ensure_country(self.db, code)
            if not existed:
                self.summary.count("countries")
        return countries

    def cities(self, countries: dict[str, Country]) -> dict[str, City]:
        cities = {}
        for row in seed()["cities"]:
            city = self.by_code(City, row["code"])
            if city is None:
                city = City(
                    code=row["code"],
                    country=countries.get(row["country"])
                    or ensure_country(self.db, row["country"]),
                    names=row["names"],
                    latitude=row["lat"],
                    longitude=row["lon"],
                    timezone=row["timezone"],
                )
                self.add(city)
            cities[row["code"]] = city
        self.db.flush()
        return cities

    def travel_times(self, cities: dict[str, City]) -> None:
        for row in seed()["road_km"]:
            first, second = sorted((cities[row["from"]], cities[row["to"]]), key=lambda c: c.id)
            exists = self.db.scalar(
                select(TravelTime.id).where(
                    TravelTime.from_city_id == first.id, TravelTime.to_city_id == second.id
                )
            )
            if exists is None:
                self.add(
                    TravelTime(
                        from_city_id=first.id,
                        to_city_id=second.id,
                        road_km=row["km"],
                        minutes=derive_minutes(row["km"]),
                    )
                )

    def specialties(self) -> dict[str, Specialty]:
        found = {}
        for row in seed()["specialties"]:
            specialty = self.by_code(Specialty, row["code"])
            if specialty is None:
                specialty = Specialty(code=row["code"], names=row["names"])
                self.add(specialty)
            found[row["code"]] = specialty
        return found

    def institutions(
        self, countries: dict[str, Country], cities: dict[str, City]
    ) -> dict[str, Institution]:
        found = {}
        for row in seed()["institutions"]:
            institution = self.by_code(Institution, row["code"])
            if institution is None:
                institution = Institution(
                    code=row["code"],
                    kind=InstitutionKind(row["kind"]),
                    country=countries.get(row["country"])
                    or ensure_country(self.db, row["country"]),
                    city=cities[row["city"]],
                    names=row["names"],
                )
                self.add(institution)
                for room in row["rooms"]:
                    self.add(
                        Room(
                            institution=institution,
                            code=room["code"],
                            kind=RoomKind(room["kind"]),
                            capacity=room["capacity"],
                            names=room["names"],
                        )
                    )
            found[row["code"]] = institution
        self.db.flush()
        return found

    def _full_name(self, nation: str, sex: str) -> dict[str, str]:
        pools = seed()["people_names"]
        first = self.rng.choice(pools[f"{nation}_{'male' if sex == 'm' else 'female'}_first"])
        surname = self.rng.choice(pools[f"{nation}_surnames"])[sex]
        return {language: f"{surname[language]} {first[language]}" for language in first}

    def people(
        self,
        *,
        prefix: str,
        count: int,
        nation: str,
        institution: Institution,
        specialties: list[Specialty],
        languages: list[str],
    ) -> list[Person]:
        """``count`` people of one institution, coded ``prefix-NNN`` so a rerun finds them."""
        people = []
        for number in range(1, count + 1):
            code = f"{prefix}-{number:03d}"
            sex = "f" if self.rng.random() < 0.35 else "m"
            names = self._full_name(nation, sex)
            person = self.by_code(Person, code)
            if person is None:
                person = Person(
                    code=code,
                    names=names,
                    institution=institution,
                    languages=languages,
                    specialties=[specialties[(number - 1) % len(specialties)]],
                    email=f"{code.lower()}@demo.hamkor.example",
                )
                self.add(person)
            people.append(person)
        self.db.flush()
        return people


def _on(program: Program, day: int, clock: str, zone: str) -> datetime:
    local = datetime.combine(
        program.starts_on + timedelta(days=day - 1), time.fromisoformat(clock), ZoneInfo(zone)
    )
    return local.astimezone(ZoneInfo("UTC"))


def _program(loader: _Loader, row: dict[str, Any], countries: dict[str, Country]) -> Program:
    program = loader.by_code(Program, row["code"])
    if program is None:
        program = Program(
            code=row["code"],
            kind=ProgramKind(row["kind"]),
            status=ProgramStatus.PLANNED,
            names=row["names"],
            descriptions=row["descriptions"],
            guest_country=countries[row["guest_country"]],
            host_country=countries[row["host_country"]],
            starts_on=date.fromisoformat(row["start"]),
            ends_on=date.fromisoformat(row["end"]),
        )
        loader.add(program)
        loader.db.flush()
    return program


def _brigades(
    loader: _Loader,
    program: Program,
    cities: dict[str, City],
    institutions: dict[str, Institution],
    specialties: dict[str, Specialty],
) -> dict[str, tuple[Delegation, list[Person]]]:
    """Each brigade with its members, who arrive in its first city and leave from its last."""
    brigades = {}
    for row in seed()["program"]["brigades"]:
        delegation = loader.db.scalar(
            select(Delegation).where(
                Delegation.program_id == program.id, Delegation.code == row["code"]
            )
        )
        if delegation is None:
            delegation = Delegation(
                program=program,
                code=row["code"],
                names=row["names"],
                institution=institutions[row["institution"]],
            )
            loader.add(delegation)
        members = loader.people(
            prefix=f"KZ-{row['code']}",
            count=row["size"],
            nation="kk",
            institution=institutions[row["institution"]],
            specialties=[specialties[code] for code in row["specialties"]],
            languages=["kk", "ru"],
        )
        first_city, last_city = cities[row["cities"][0]], cities[row["cities"][-1]]
        for index, person in enumerate(members):
            exists = loader.db.scalar(
                select(Participation.id).where(
                    Participation.program_id == program.id, Participation.person_id == person.id
                )
            )
            if exists is None:
                loader.add(
                    Participation(
                        program_id=program.id,
                        person=person,
                        delegation=delegation,
                        role=ParticipationRole.BRIGADE_LEAD
                        if index == 0
                        else ParticipationRole.SPECIALIST,
                        arrival_city=first_city,
                        arrives_at=_on(program, 1, "07:30", first_city.timezone)
                        - timedelta(days=1),
                        departure_city=last_city,
                        departs_at=_on(
                            program,
                            (program.ends_on - program.starts_on).days + 1,
                            "21:00",
                            last_city.timezone,
                        ),
                    )
                )
        brigades[row["code"]] = (delegation, members)
    loader.db.flush()
    return brigades


class _Diary:
    """Who leads what when, so that the demo gives nobody two activities at once.

    The demo's conflicts are the two the seed marks on purpose, not accidents of the loader.
    """

    def __init__(self) -> None:
        self.booked: dict[int, list[tuple[datetime, datetime]]] = {}

    def _free(self, person: Person, starts_at: datetime, ends_at: datetime) -> bool:
        taken = self.booked.get(person.id, [])
        return all(end <= starts_at or start >= ends_at for start, end in taken)

    def choose(
        self,
        members: list[Person],
        specialty: Specialty | None,
        starts_at: datetime,
        ends_at: datetime,
        *,
        count: int,
    ) -> list[Person]:
        """Up to ``count`` free members, those of the activity's specialty first."""
        qualified = [p for p in members if specialty is None or specialty in p.specialties]
        others = [p for p in members if p not in qualified]
        free = [p for p in qualified + others if self._free(p, starts_at, ends_at)]
        chosen = free[:count]
        for person in chosen:
            self.booked.setdefault(person.id, []).append((starts_at, ends_at))
        return chosen


def _activities(
    loader: _Loader,
    program: Program,
    cities: dict[str, City],
    institutions: dict[str, Institution],
    specialties: dict[str, Specialty],
    brigades: dict[str, tuple[Delegation, list[Person]]],
) -> None:
    """The requested activities; a rerun recognises each by brigade, kind, place and start."""
    busy = _Diary()
    for row in seed()["activities"]:
        city = cities[row["city"]]
        starts_at = _on(program, row["day"], row["start"], city.timezone)
        delegation, members = brigades[row["brigade"]]
        institution = institutions[row["institution"]]
        room = next((r for r in institution.rooms if r.code == row["room"]), None)
        exists = loader.db.scalar(
            select(Activity.id).where(
                Activity.program_id == program.id,
                Activity.delegation_id == delegation.id,
                Activity.kind == row["kind"],
                Activity.city_id == city.id,
                Activity.room_id == (room.id if room else None),
                Activity.starts_at == starts_at,
            )
        )
        if exists is not None:
            continue
        specialty = specialties.get(row["specialty"]) if row.get("specialty") else None
        ends_at = starts_at + timedelta(minutes=row["minutes"])
        leads = busy.choose(members, specialty, starts_at, ends_at, count=1 + row["day"] % 2)
        loader.add(
            Activity(
                program=program,
                kind=ActivityKind(row["kind"]),
                status=ActivityStatus.CONFIRMED,
                titles=row["titles"],
                specialty=specialty,
                delegation=delegation,
                city=city,
                institution=institution,
                room=room,
                starts_at=starts_at,
                ends_at=ends_at,
                trainee_capacity=row["trainee_capacity"],
                leads=leads,
            )
        )


# Uzbek doctors of the host institutions who work beside the brigades: (institution, count).
_LOCAL_DOCTORS = (
    ("VAKHIDOV", 12),
    ("TRAUMA_UZ", 10),
    ("NCMC", 8),
    ("CARDIO_KAR", 6),
    ("BUKHARA_MMC", 6),
    ("KARAKALPAK_MMC", 6),
    ("SAMSMU_CLINIC", 6),
    ("FERGANA_MMC", 6),
)
_COURSE_TRAINEES_PER_HOSPITAL = 6
_SPECIALIST_PERSON = "KZ-SURG-001"

# The demo's users: (username, display name, role, institution code, program code).
_USERS = (
    ("admin", "Timur Saidov", Role.PLATFORM_ADMIN, None, None),
    ("coordinator", "Dilnoza Karimova", Role.PROGRAM_COORDINATOR, None, "KZ-UZ-2025"),
    ("ministry", "Aziz Rakhimov", Role.PROGRAM_COORDINATOR, None, None),
    ("vakhidov", "Jasur Tursunov", Role.INSTITUTION_COORDINATOR, "VAKHIDOV", None),
    ("registrar", "Nodira Alimova", Role.REGISTRAR, "VAKHIDOV", None),
    ("specialist", "Yerlan Batyrbekov", Role.SPECIALIST, "SYZGANOV", None),
    ("trainee", "Shahlo Nazarova", Role.TRAINEE, "SAMSMU_CLINIC", None),
    ("auditor", "Gulnara Abenova", Role.AUDITOR, None, None),
)


def _users(
    loader: _Loader, institutions: dict[str, Institution], programs: dict[str, Program]
) -> None:
    for username, display_name, role, institution, program in _USERS:
        if loader.db.scalar(select(User.id).where(User.username == username)) is not None:
            continue
        user = create_user(
            loader.db, username=username, password=DEMO_PASSWORD, display_name=display_name
        )
        loader.summary.count("users")
        loader.add(
            Membership(
                user=user,
                role=role,
                institution_id=institutions[institution].id if institution else None,
                program_id=programs[program].id if program else None,
            )
        )
    # The demo specialist is the surgery brigade's lead, so "my calendar" has something in it.
    lead = loader.by_code(Person, _SPECIALIST_PERSON)
    specialist = loader.db.scalars(select(User).where(User.username == "specialist")).one()
    if lead is not None and lead.user_id is None:
        lead.user_id = specialist.id


def _local_doctors(
    loader: _Loader, institutions: dict[str, Institution], specialties: dict[str, Specialty]
) -> None:
    everything = list(specialties.values())
    for code, count in _LOCAL_DOCTORS:
        loader.people(
            prefix=f"UZ-{code}",
            count=count,
            nation="uz",
            institution=institutions[code],
            specialties=everything[count % 7 :: 3],
            languages=["uz", "ru"],
        )


def _course(
    loader: _Loader,
    countries: dict[str, Country],
    institutions: dict[str, Institution],
    specialties: dict[str, Specialty],
) -> Program:
    """The Moscow qualification course of Tashkent-region doctors (the regional cascade)."""
    row = seed()["qualification_course"]
    program = _program(loader, row, countries)
    wanted = [specialties[code] for code in row["specialties"]]
    for code in row["home_institutions"]:
        trainees = loader.people(
            prefix=f"UZ-{code}",
            count=_COURSE_TRAINEES_PER_HOSPITAL,
            nation="uz",
            institution=institutions[code],
            specialties=wanted,
            languages=["uz", "ru"],
        )
        for person in trainees:
            exists = loader.db.scalar(
                select(Participation.id).where(
                    Participation.program_id == program.id, Participation.person_id == person.id
                )
            )
            if exists is None:
                loader.add(
                    Participation(
                        program_id=program.id, person=person, role=ParticipationRole.TRAINEE
                    )
                )
    return program


STEPS = (
    "directory",
    "institutions",
    "people",
    "programs",
    "activities",
    "users",
    "training",
    "care",
)


def load_demo(db: Session, progress: Progress | None = None) -> DemoSummary:
    """Load the demo into ``db`` (flushes only; the caller commits) and say what was added."""
    summary = DemoSummary()
    loader = _Loader(db, summary)
    step = progress or (lambda _name: None)
    countries = loader.countries()
    cities = loader.cities(countries)
    loader.travel_times(cities)
    specialties = loader.specialties()
    step("directory")
    institutions = loader.institutions(countries, cities)
    step("institutions")
    _local_doctors(loader, institutions, specialties)
    step("people")
    program = _program(loader, seed()["program"], countries)
    brigades = _brigades(loader, program, cities, institutions, specialties)
    course = _course(loader, countries, institutions, specialties)
    step("programs")
    _activities(loader, program, cities, institutions, specialties, brigades)
    db.flush()
    summary.added["planning requests"] = planning_demo.load(db, program)
    step("activities")
    _users(loader, institutions, {program.code: program, course.code: course})
    db.flush()
    step("users")
    load_training(loader)
    db.flush()
    step("training")
    load_care_demo(db, seed()["people_names"], summary.count)
    step("care")
    return summary
