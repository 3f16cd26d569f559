"""50 concurrent bookers on PostgreSQL: a slot is never given twice, a referral never holds two.

Each booker is a thread with its own connection and session that commits, as requests of
several app workers do. They run on a dedicated engine whose ``search_path`` is a schema of its
own, migrated for the test and dropped after it: the rolled-back test connection of the other
tests would hide the very races this test is about.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from hamkor.care import booking, service
from hamkor.care.models import (
    ACTIVE_APPOINTMENT_STATUSES,
    Appointment,
    ConsentKind,
    Patient,
    Referral,
    Sex,
)
from hamkor.care.schemas import BookingCreate, ConsentCreate, PatientCreate, ReferralCreate
from hamkor.core import migrate
from hamkor.core.access import Actor, Grant
from hamkor.core.db import make_engine, make_sessionmaker, transaction
from hamkor.core.errors import UserError
from hamkor.core.models import Role, User
from hamkor.directory.models import City, Country, Institution, InstitutionKind, Specialty
from hamkor.programs.models import Activity, ActivityKind, Program, ProgramKind
from tests.conftest import POSTGRES_ENV
from tests.fixtures.care import make_pinfl

BOOKERS = 50
SCHEMA = "care_concurrency"


@pytest.fixture(scope="module")
def dedicated() -> Iterator[sessionmaker[Session]]:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"concurrency runs on PostgreSQL only: set {POSTGRES_ENV}")
    admin_engine = make_engine(url)
    with admin_engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    # One connection per booker, all in the schema of this test.
    engine: Engine = create_engine(
        admin_engine.url,
        pool_size=BOOKERS,
        max_overflow=0,
        connect_args={"options": f"-csearch_path={SCHEMA}"},
    )
    with engine.begin() as connection:
        migrate.upgrade(connection)
    yield make_sessionmaker(engine)
    engine.dispose()
    with admin_engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {SCHEMA} CASCADE"))
    admin_engine.dispose()


@dataclass
class World:
    actor: Actor
    session_id: int
    referral_ids: list[int]


def _world(factory: sessionmaker[Session], tag: str, slots_hours: int) -> World:
    """A program with one cardiac session of ``slots_hours`` × 3 slots and 50 waiting referrals."""
    with transaction(factory) as db:
        user = User(username=f"booker-{tag}", display_name="Booker", password_hash="x")
        db.add(user)
        uz = db.scalar(select(Country).where(Country.code == "UZ")) or Country(
            code="UZ", names={"en": "Uzbekistan"}
        )
        kz = db.scalar(select(Country).where(Country.code == "KZ")) or Country(
            code="KZ", names={"en": "Kazakhstan"}
        )
        city = City(
            code=f"T{tag}",
            country=uz,
            names={"en": "Tashkent"},
            latitude=41.3,
            longitude=69.2,
            timezone="Asia/Tashkent",
        )
        institution = Institution(
            code=f"V{tag}",
            kind=InstitutionKind.HOSPITAL,
            country=uz,
            city=city,
            names={"en": "Vakhidov"},
        )
        specialty = Specialty(code=f"cardiac-{tag}", names={"en": "Cardiac surgery"})
        program = Program(
            code=f"P{tag}",
            kind=ProgramKind.MEDICAL_DAYS,
            names={"en": "Days"},
            guest_country=kz,
            host_country=uz,
            starts_on=date(2025, 10, 13),
            ends_on=date(2025, 10, 17),
        )
        db.add_all([city, institution, specialty, program])
        db.flush()
        session = Activity(
            program_id=program.id,
            kind=ActivityKind.CONSULTATION_SESSION,
            titles={"en": "Consultations"},
            city_id=city.id,
            institution_id=institution.id,
            specialty_id=specialty.id,
            starts_at=datetime(2025, 10, 13, 4, tzinfo=UTC),
            ends_at=datetime(2025, 10, 13, 4, tzinfo=UTC) + timedelta(hours=slots_hours),
        )
        db.add(session)
        db.flush()
        actor = Actor(user.id, user.username, (Grant(Role.PLATFORM_ADMIN),))
        referral_ids = []
        for serial in range(1, BOOKERS + 1):
            born = date(1960 + serial % 40, 1 + serial % 12, 1 + serial % 28)
            patient = service.create_patient(
                db=db,
                actor=actor,
                data=PatientCreate(
                    names={"uz": f"Patient {tag} {serial}"},
                    birth_date=born,
                    sex=Sex.MALE,
                    identifiers=[
                        {"kind": "uz_pinfl", "value": make_pinfl(born, Sex.MALE, serial, ord(tag))}
                    ],
                    institution_id=institution.id,
                    confirm_new=True,
                ),
            )
            service.record_consent(
                db=db,
                actor=actor,
                patient=patient,
                data=ConsentCreate(kind=ConsentKind.TREATMENT, decision="given"),
            )
            referral = service.create_referral(
                db=db,
                actor=actor,
                data=ReferralCreate(
                    patient_id=patient.id,
                    program_id=program.id,
                    specialty_id=specialty.id,
                    reason="Chest pain",
                    icd10="I20.9",
                    referring_institution_id=institution.id,
                ),
            )
            referral_ids.append(referral.id)
        return World(actor, session.id, referral_ids)


def _race(
    factory: sessionmaker[Session], world: World, request: Callable[[int], BookingCreate]
) -> tuple[int, list[str]]:
    """Start 50 bookers at once; the number that booked and the messages of those refused."""
    barrier = threading.Barrier(BOOKERS)

    def one(index: int) -> str | None:
        barrier.wait()
        try:
            with transaction(factory) as db:
                booking.book(db=db, actor=world.actor, data=request(index))
        except UserError as refused:
            return refused.errors[0].message.text
        return None

    with ThreadPoolExecutor(max_workers=BOOKERS) as pool:
        outcomes = list(pool.map(one, range(BOOKERS)))
    refusals = [outcome for outcome in outcomes if outcome is not None]
    return BOOKERS - len(refusals), refusals


def _active(factory: sessionmaker[Session], session_id: int) -> list[tuple[int, int]]:
    with factory() as db:
        return [
            (row.slot, row.referral_id)
            for row in db.scalars(
                select(Appointment).where(
                    Appointment.activity_id == session_id,
                    Appointment.status.in_(ACTIVE_APPOINTMENT_STATUSES),
                )
            )
        ]


def test_fifty_bookers_for_thirty_free_slots(dedicated: sessionmaker[Session]) -> None:
    world = _world(dedicated, "a", slots_hours=10)  # 600 minutes / 20 = 30 slots
    booked, refusals = _race(
        dedicated,
        world,
        lambda i: BookingCreate(referral_id=world.referral_ids[i], activity_id=world.session_id),
    )
    active = _active(dedicated, world.session_id)
    assert booked == 30
    assert len(active) == 30
    assert sorted(slot for slot, _ in active) == list(range(30))
    assert len({referral for _, referral in active}) == 30
    assert set(refusals) <= {booking._FULL, booking._SLOT_TAKEN}


def test_fifty_bookers_for_one_slot(dedicated: sessionmaker[Session]) -> None:
    world = _world(dedicated, "b", slots_hours=10)
    booked, refusals = _race(
        dedicated,
        world,
        lambda i: BookingCreate(
            referral_id=world.referral_ids[i], activity_id=world.session_id, slot=7
        ),
    )
    assert booked == 1
    assert _active(dedicated, world.session_id)[0][0] == 7
    assert set(refusals) == {booking._SLOT_TAKEN}


def test_one_referral_fifty_times_holds_one_slot(dedicated: sessionmaker[Session]) -> None:
    world = _world(dedicated, "c", slots_hours=20)  # 60 slots: each booker aims at its own
    booked, refusals = _race(
        dedicated,
        world,
        lambda i: BookingCreate(
            referral_id=world.referral_ids[0], activity_id=world.session_id, slot=i
        ),
    )
    assert booked == 1
    assert len(_active(dedicated, world.session_id)) == 1
    assert set(refusals) <= {booking._REFERRAL_BOOKED}


def test_a_passport_registered_meanwhile_is_a_translated_refusal_not_an_error(
    dedicated: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 15: check-then-insert turned a second registration of one passport, made while the
    first was being written, into a 500 with the number in the log. The second registration
    here checks for duplicates before the first commits, then waits on the unique index."""
    world = _world(dedicated, "d", slots_hours=1)
    with dedicated() as db:
        institution_id = db.scalars(select(Institution.id).where(Institution.code == "Vd")).one()

    def register(db: Session, index: int) -> None:
        service.create_patient(
            db=db,
            actor=world.actor,
            data=PatientCreate(
                names={"uz": f"Race {index}"},
                birth_date=date(1980, 1, 1 + index),
                sex=Sex.FEMALE,
                identifiers=[{"kind": "passport", "issuer": "UZ", "value": "AB7654321"}],
                institution_id=institution_id,
            ),
        )

    def second() -> str:
        try:
            with transaction(dedicated) as db:
                register(db, 2)
        except UserError as refused:
            return refused.errors[0].message.text
        return "registered"

    with ThreadPoolExecutor(max_workers=1) as pool:
        with transaction(dedicated) as first:
            register(first, 1)  # written, not yet committed: invisible to the second's check
            outcome = pool.submit(second)
            with pytest.raises(TimeoutError):
                outcome.result(timeout=1)  # the second waits on the unique index
        assert outcome.result(timeout=30) == service._REGISTERED_MEANWHILE
    with dedicated() as db:
        january = Patient.birth_date.between(date(1980, 1, 1), date(1980, 1, 31))
        assert list(db.scalars(select(Patient.names).where(january))) == [{"uz": "Race 1"}]
    assert "AB7654321" not in caplog.text


def test_twelve_clerks_put_one_patient_once_on_a_waitlist(dedicated: sessionmaker[Session]) -> None:
    """Issue 15: the rule "once per program and specialty" was checked before the insert, and
    12 concurrent referrals made 6 waiting ones; the unique index lets one through."""
    world = _world(dedicated, "e", slots_hours=1)
    clerks = 12
    with transaction(dedicated) as db:
        first = db.get_one(Referral, world.referral_ids[0])
        specialty = Specialty(code="neurosurgery-e", names={"en": "Neurosurgery"})
        db.add(specialty)
        db.flush()
        data = ReferralCreate(
            patient_id=first.patient_id,
            program_id=first.program_id,
            specialty_id=specialty.id,
            reason="Headache",
            icd10="G44.2",
            referring_institution_id=first.referring_institution_id,
        )
    barrier = threading.Barrier(clerks)

    def one(_index: int) -> str | None:
        barrier.wait()
        try:
            with transaction(dedicated) as db:
                service.create_referral(db=db, actor=world.actor, data=data)
        except UserError as refused:
            return refused.errors[0].message.text
        return None

    with ThreadPoolExecutor(max_workers=clerks) as pool:
        outcomes = list(pool.map(one, range(clerks)))
    assert outcomes.count(None) == 1
    assert [o for o in outcomes if o is not None] == [service.ALREADY_WAITING] * (clerks - 1)
    with dedicated() as db:
        waiting = select(Referral.id).where(Referral.specialty_id == specialty.id)
        assert len(db.scalars(waiting).all()) == 1
