"""The directory in the demo: countries, cities and their road distances, specialties, the
institutions with their rooms, and people drawn from name pools with a fixed seed, so every
machine gets the same delegation. Every row is found by its code before it is made.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hamkor.core.demo import DemoLoader, DemoSummary
from hamkor.core.models import User
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

# Uzbek doctors of the host institutions who work beside the brigades: (institution, count).
LOCAL_DOCTORS = (
    ("VAKHIDOV", 12),
    ("TRAUMA_UZ", 10),
    ("NCMC", 8),
    ("CARDIO_KAR", 6),
    ("BUKHARA_MMC", 6),
    ("KARAKALPAK_MMC", 6),
    ("SAMSMU_CLINIC", 6),
    ("FERGANA_MMC", 6),
)
#: The person who is the demo's specialist user: the surgery brigade's lead.
SPECIALIST_PERSON = "KZ-SURG-001"


class DirectoryDemo(DemoLoader):
    """The demo's loader with the directory's rows; other modules' demos borrow its people."""

    def __init__(self, db: Session, summary: DemoSummary, seed: Mapping[str, Any]) -> None:
        super().__init__(db, summary)
        self.seed = seed
        self.rng = random.Random(20251013)

    def countries(self) -> dict[str, Country]:
        countries = {}
        for code in self.seed["countries"]:
            existed = self.by_code(Country, code) is not None
            countries[code] = ensure_country(self.db, code)
            if not existed:
                self.summary.count("countries")
        return countries

    def cities(self, countries: dict[str, Country]) -> dict[str, City]:
        cities = {}
        for row in self.seed["cities"]:
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
        for row in self.seed["road_km"]:
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
        for row in self.seed["specialties"]:
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
        for row in self.seed["institutions"]:
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
        pools = self.seed["people_names"]
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

    def local_doctors(
        self, institutions: dict[str, Institution], specialties: dict[str, Specialty]
    ) -> None:
        """Uzbek doctors of the host institutions, who work beside the brigades."""
        everything = list(specialties.values())
        for code, count in LOCAL_DOCTORS:
            self.people(
                prefix=f"UZ-{code}",
                count=count,
                nation="uz",
                institution=institutions[code],
                specialties=everything[count % 7 :: 3],
                languages=["uz", "ru"],
            )

    def link_specialist(self) -> None:
        """The demo specialist is the surgery brigade's lead, so "my calendar" has something in
        it (after :func:`hamkor.core.demo.load_users`)."""
        lead = self.by_code(Person, SPECIALIST_PERSON)
        specialist = self.db.scalars(select(User).where(User.username == "specialist")).one()
        if lead is not None and lead.user_id is None:
            lead.user_id = specialist.id
