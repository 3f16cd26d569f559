"""Agreements in the demo (issue 17), from the news files: the Vakhidov–Syzganov memorandum of
October 2025 with its roadmap in science, education and clinical practice (two items done, the
clinical one late since September 2026, one planned for April 2027); the cooperation contract
of the two institutes of traumatology and orthopaedics with its extension at the 2019 forum
and again at the 2025 Days; the 2019 pharmaceutical memorandum between Dentafill plus and the
Ontustik zone; the 2019 exhibition with the "KazNIITO" hip endoprosthesis and the two awards
of news file 001.

Rows of other modules (a city, three institutions, the 2019 program and its ceremonies) are
made through their services, as the admin. The roadmap keeps its own dates whatever the day of
the load; what is late or due soon is judged as of that day, as the daily job would. The load
is skipped when the memorandum exists, so a second run adds nothing.
"""

from __future__ import annotations

import json
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hamkor.agreements import service
from hamkor.agreements.due import mark_due
from hamkor.agreements.models import (
    Agreement,
    AgreementParty,
    AgreementStatus,
    Award,
    ExhibitionStand,
    RoadmapItem,
)
from hamkor.agreements.schemas import (
    AgreementCreate,
    AwardCreate,
    ItemCreate,
    StandCreate,
    StatusChange,
)
from hamkor.core.access import Actor
from hamkor.core.db import utcnow
from hamkor.core.demo import DemoLoader
from hamkor.core.models import User
from hamkor.directory import service as directory_service
from hamkor.directory.models import City, Country, Institution
from hamkor.directory.schemas import CityCreate, InstitutionCreate
from hamkor.programs import service as programs_service
from hamkor.programs.models import Activity, ActivityKind, Program
from hamkor.programs.schemas import ActivityCreate, ProgramCreate

DATA = Path(__file__).with_name("demo.json")
MEMORANDUM = "MOU-VAKHIDOV-SYZGANOV-2025"
PROGRAM_2025 = "KZ-UZ-2025"
TALLIED = (Agreement, AgreementParty, RoadmapItem, ExhibitionStand, Award, Institution, Program)


@cache
def data() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DATA.read_text(encoding="utf-8"))
    return loaded


class _Demo:
    """The rows one load needs, found by code, and the admin it acts as."""

    def __init__(self, db: Session) -> None:
        self.db = db
        admin = db.scalars(select(User).where(User.username == "admin")).one()
        self.actor = Actor.of(admin)

    def code(self, model: type[Any], code: str) -> Any:
        return self.db.scalars(select(model).where(model.code == code)).one()

    def ceremony(
        self, program: Program, kind: ActivityKind, institution: str | None = None
    ) -> Activity:
        """The program's one activity of ``kind`` (held at ``institution``, when given)."""
        stmt = select(Activity).where(Activity.program_id == program.id, Activity.kind == kind)
        if institution is not None:
            stmt = stmt.where(Activity.institution_id == self.code(Institution, institution).id)
        return self.db.scalars(stmt).one()

    def agreement(self, status: AgreementStatus, **body: Any) -> Agreement:
        """A new agreement, signed or not, through the service as a coordinator would."""
        agreement = service.create_agreement(
            db=self.db, actor=self.actor, data=AgreementCreate.model_validate(body)
        )
        if status != AgreementStatus.DRAFT:
            service.change_status(
                db=self.db, actor=self.actor, agreement=agreement, data=StatusChange(status=status)
            )
        return agreement

    def parties(self, signed_on: date | None, *rows: tuple[str, str]) -> list[dict[str, Any]]:
        return [
            {
                "institution_id": self.code(Institution, code).id,
                "signer_name": signer,
                "signed_on": signed_on,
            }
            for code, signer in rows
        ]


def _directory(demo: _Demo) -> None:
    """Shymkent and the institutions the 2019 agreements and awards name."""
    row = data()["city"]
    kazakhstan = demo.code(Country, row["country"])
    if demo.db.scalar(select(City.id).where(City.code == row["code"])) is None:
        city = {k: v for k, v in row.items() if k != "country"}
        directory_service.create_city(
            db=demo.db, actor=demo.actor, data=CityCreate(**city, country_id=kazakhstan.id)
        )
    for row in data()["institutions"]:
        if demo.db.scalar(select(Institution.id).where(Institution.code == row["code"])) is None:
            city = demo.code(City, row["city"])
            directory_service.create_institution(
                db=demo.db,
                actor=demo.actor,
                data=InstitutionCreate(
                    code=row["code"], kind=row["kind"], names=row["names"], city_id=city.id
                ),
            )


def _program_2019(demo: _Demo) -> Program:
    """The 2019 forum with its exhibition, signing and award ceremonies, on its first day."""
    row = data()["program_2019"]
    program = programs_service.create_program(
        db=demo.db,
        actor=demo.actor,
        data=ProgramCreate(
            code=row["code"],
            kind=row["kind"],
            names=row["names"],
            guest_country_id=demo.code(Country, "KZ").id,
            host_country_id=demo.code(Country, "UZ").id,
            starts_on=row["starts_on"],
            ends_on=row["ends_on"],
        ),
    )
    tashkent = demo.code(City, "TAS")
    places = {"exhibition": None, "signing": "TRAUMA_UZ", "awards": "MOH_UZ"}
    for key, activity in row["activities"].items():
        place = places[key]
        programs_service.create_activity(
            db=demo.db,
            actor=demo.actor,
            program=program,
            data=ActivityCreate.model_validate(
                {
                    **activity,
                    "status": "done",
                    "city_id": tashkent.id,
                    "institution_id": demo.code(Institution, place).id if place else None,
                    "day": row["starts_on"],
                }
            ),
        )
    return program


def _memorandum(demo: _Demo) -> None:
    """The Vakhidov–Syzganov memorandum signed at the 2025 Days, and its roadmap."""
    texts = data()["texts"]
    program = demo.code(Program, PROGRAM_2025)
    ceremony = demo.ceremony(program, ActivityKind.SIGNING_CEREMONY, "VAKHIDOV")
    signed_on = ceremony.starts_at.date()
    memorandum = demo.agreement(
        AgreementStatus.SIGNED,
        code=MEMORANDUM,
        kind="memorandum",
        titles=texts["memorandum"],
        summaries=texts["memorandum_summary"],
        topics=["joint research", "exchange of specialists", "training"],
        parties=demo.parties(signed_on, ("VAKHIDOV", ""), ("SYZGANOV", "")),
        valid_from=signed_on,
        program_id=program.id,
        ceremony_activity_id=ceremony.id,
    )
    owners = {"science": "VAKHIDOV", "education": "SYZGANOV", "clinical": "VAKHIDOV"}
    for row in data()["roadmap"]:
        due = date.fromisoformat(row["due"])
        service.add_item(
            db=demo.db,
            actor=demo.actor,
            agreement=memorandum,
            data=ItemCreate.model_validate(
                {
                    "titles": row["titles"],
                    "owner_institution_id": demo.code(Institution, owners[row["area"]]).id,
                    "due_on": max(due, signed_on),
                    "status": row["status"],
                    "percent": row.get("percent", 0),
                    "indicators": row.get("indicators", []),
                }
            ),
        )
    # Approved at the close of the Days: the baselines are the due dates then.
    service.approve_roadmap(
        db=demo.db, actor=demo.actor, agreement=memorandum, today=program.ends_on
    )


def _traumatology(demo: _Demo, forum: Program) -> None:
    """The institutes' contract (its first date is not reported), extended at the 2019 forum
    by professors Batpenov and Azizov, and again at the 2025 Days."""
    texts = data()["texts"]
    parties = (("BATPENOV", "Н. Д. Батпенов"), ("TRAUMA_UZ", "М. Ж. Азизов"))
    contract = demo.agreement(
        AgreementStatus.SIGNED,
        code="TRAUMA-KZ-UZ",
        kind="cooperation_contract",
        titles=texts["contract"],
        topics=["research", "clinical work", "education"],
        parties=demo.parties(None, *parties),
    )
    signing_2019 = demo.ceremony(forum, ActivityKind.SIGNING_CEREMONY, "TRAUMA_UZ")
    extension = demo.agreement(
        AgreementStatus.SIGNED,
        code="TRAUMA-KZ-UZ-2019",
        kind="extension",
        parent_id=contract.id,
        titles=texts["extension_2019"],
        parties=demo.parties(forum.starts_on, *parties),
        valid_from=forum.starts_on,
        program_id=forum.id,
        ceremony_activity_id=signing_2019.id,
    )
    program = demo.code(Program, PROGRAM_2025)
    signing_2025 = demo.ceremony(program, ActivityKind.SIGNING_CEREMONY, "TRAUMA_UZ")
    demo.agreement(
        AgreementStatus.SIGNED,
        code="TRAUMA-KZ-UZ-2025",
        kind="extension",
        parent_id=extension.id,
        titles=texts["extension_2025"],
        parties=demo.parties(signing_2025.starts_at.date(), ("BATPENOV", ""), ("TRAUMA_UZ", "")),
        valid_from=signing_2025.starts_at.date(),
        program_id=program.id,
        ceremony_activity_id=signing_2025.id,
    )


def _forum_2019(demo: _Demo, forum: Program) -> None:
    """The pharmaceutical memorandum, the exhibition stand and the two awards of 2019."""
    texts = data()["texts"]
    demo.agreement(
        AgreementStatus.SIGNED,
        code="MOU-DENTAFILL-ONTUSTIK",
        kind="memorandum",
        titles=texts["pharma"],
        topics=["pharmaceutical industry"],
        parties=demo.parties(forum.starts_on, ("DENTAFILL", ""), ("ONTUSTIK_SEZ", "")),
        valid_from=forum.starts_on,
        confidentiality="parties",
        program_id=forum.id,
    )
    exhibition = demo.ceremony(forum, ActivityKind.EXHIBITION)
    service.add_stand(
        db=demo.db,
        actor=demo.actor,
        program=forum,
        data=StandCreate(
            institution_id=demo.code(Institution, "BATPENOV").id,
            stand="NIITO-KZ",
            exhibits=texts["endoprosthesis"],
            activity_id=exhibition.id,
        ),
    )
    ceremony = demo.ceremony(forum, ActivityKind.AWARD_CEREMONY)
    for title, by in (("badge", "MOH_UZ"), ("professor", "TMA")):
        service.add_award(
            db=demo.db,
            actor=demo.actor,
            program=forum,
            data=AwardCreate(
                titles=texts[title],
                recipient_name="Елжан Биртанов (Yelzhan Birtanov)",
                conferred_by_institution_id=demo.code(Institution, by).id,
                conferred_on=forum.starts_on,
                ceremony_activity_id=ceremony.id,
            ),
        )


def load_agreements(loader: DemoLoader) -> None:
    """Load the agreements demo once (see the module's docstring)."""
    db = loader.db
    if db.scalar(select(Agreement.id).where(Agreement.code == MEMORANDUM)) is not None:
        return
    demo = _Demo(db)
    today = utcnow().date()
    with loader.tally(TALLIED):
        _directory(demo)
        forum = _program_2019(demo)
        _memorandum(demo)
        _traumatology(demo, forum)
        _forum_2019(demo, forum)
        # The roadmap keeps its 2026 dates: in force, expired, due soon and late are judged
        # as of the day of the load, and the owners told.
        mark_due(db, today)
