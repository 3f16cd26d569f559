"""The demo loads the 2025 program at the reports' scale, and loads it only once."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hamkor.agreements import service as agreements
from hamkor.agreements.models import Agreement, Confidentiality
from hamkor.care import identifiers, service
from hamkor.care.models import (
    Appointment,
    AppointmentStatus,
    Consent,
    ConsentDecision,
    FollowUpStatus,
    FollowUpTask,
    Patient,
    Procedure,
    Referral,
)
from hamkor.core.access import Actor
from hamkor.core.demo import DemoSummary
from hamkor.core.i18n import Translator
from hamkor.core.models import User
from hamkor.demo.loader import load_demo
from hamkor.directory.models import City, Institution, Person, Specialty
from hamkor.programs.conflict_rules import ConflictKind
from hamkor.programs.models import Activity, ActivityKind, Delegation, Participation, Program
from hamkor.programs.service import program_conflicts
from hamkor.reports import demo as reports_demo
from hamkor.reports import service as reports
from hamkor.reports.narrative import program_narrative
from hamkor.telemedicine import service as telemedicine
from hamkor.telemedicine.models import AbroadReferral, AbroadStatus, TeleCase
from hamkor.training import cascade
from hamkor.training.credentials.models import Credential
from hamkor.training.models import (
    Attendance,
    AttendanceMethod,
    Course,
    Enrolment,
    SessionMode,
)
from tests.conftest import BACKENDS


@dataclass
class Loaded:
    """The demo loaded once into a transaction that the module's tests share, then rolled back."""

    db: Session
    summary: DemoSummary
    steps: list[str]


@pytest.fixture(scope="module", params=BACKENDS)
def loaded(request: pytest.FixtureRequest) -> Iterator[Loaded]:
    """Loading the whole demo takes long; these tests only read it, so it is loaded once per
    database (a second load is itself one of the things tested, and adds nothing)."""
    engine = request.getfixturevalue(f"{request.param}_engine")
    with engine.connect() as connection:
        outer = connection.begin()
        sessions = sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        with sessions() as db:
            steps: list[str] = []
            summary = load_demo(db, progress=steps.append)
            yield Loaded(db=db, summary=summary, steps=steps)
        outer.rollback()


def _count(db: Session, model: type) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def test_demo_is_at_the_scale_of_the_reports(loaded: Loaded) -> None:
    db, summary, steps = loaded.db, loaded.summary, loaded.steps
    assert steps[-6:] == ["users", "training", "care", "agreements", "telemedicine", "reports"]
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


def test_names_are_in_all_five_languages(loaded: Loaded) -> None:
    db = loaded.db
    for institution in db.scalars(select(Institution)):
        assert set(institution.names) == {"ru", "uz", "uz-Cyrl", "kk", "en"}
    person = db.scalars(select(Person).where(Person.code == "KZ-NEURO-001")).one()
    assert set(person.names) == {"ru", "uz", "uz-Cyrl", "kk", "en"}


def test_a_demo_user_is_called_as_the_person_they_are(loaded: Loaded) -> None:
    """The header named the demo specialist "Yerlan Batyrbekov" while his calendar, his
    encounters and the trainee's certificate named the people they are linked to."""
    linked = loaded.db.execute(
        select(User.display_name, Person.names).join(Person, Person.user_id == User.id)
    ).all()
    assert len(linked) >= 3
    for display_name, names in linked:
        assert display_name == names["en"]


def test_a_second_load_adds_nothing(loaded: Loaded) -> None:
    db = loaded.db
    before = {
        model: _count(db, model)
        for model in (Person, Activity, Participation, User, Patient, Referral, Appointment)
    }
    again = load_demo(db)
    assert again.total == 0
    assert {model: _count(db, model) for model in before} == before


def test_the_demo_shows_its_two_deliberate_conflicts(loaded: Loaded) -> None:
    db = loaded.db
    admin = db.scalars(select(User).where(User.username == "admin")).one()
    program = db.scalars(select(Program).where(Program.code == "KZ-UZ-2025")).one()
    found = program_conflicts(db=db, actor=Actor.of(admin), program=program)
    kinds = {conflict.kind for conflict in found}
    assert ConflictKind.ROOM_OVERLAP in kinds
    assert ConflictKind.TOO_FAST_MOVE in kinds
    rooms = [c.room.code for c in found if c.kind is ConflictKind.ROOM_OVERLAP and c.room]
    assert rooms == ["OR-1"]


def test_the_demo_has_only_its_deliberate_conflicts(loaded: Loaded) -> None:
    db = loaded.db
    admin = db.scalars(select(User).where(User.username == "admin")).one()
    program = db.scalars(select(Program).where(Program.code == "KZ-UZ-2025")).one()
    found = program_conflicts(db=db, actor=Actor.of(admin), program=program)
    assert ConflictKind.LEAD_OVERLAP not in {conflict.kind for conflict in found}


def test_the_demo_trains_45_local_doctors_and_the_tashkent_region_in_moscow(loaded: Loaded) -> None:
    db = loaded.db
    program_trainees = db.scalar(
        select(func.count(func.distinct(Enrolment.person_id)))
        .join(Course, Course.id == Enrolment.course_id)
        .where(Course.activity_id.is_not(None))
    )
    assert program_trainees == 45
    moscow = db.scalars(select(Course).where(Course.code == "MOS-OBGYN-2025")).one()
    assert moscow.host_institution.city.code == "MOW"
    places = set(
        db.scalars(
            select(City.code)
            .join(Institution, Institution.city_id == City.id)
            .join(Person, Person.institution_id == Institution.id)
            .join(Enrolment, Enrolment.person_id == Person.id)
            .where(Enrolment.course_id == moscow.id)
        )
    )
    assert places == {"BEK", "ANG", "ALK", "NUR", "QCH", "YCH", "KIB", "OHN"}
    statuses = db.scalars(select(Enrolment.status).where(Enrolment.course_id == moscow.id)).all()
    assert (len(statuses), statuses.count("completed"), statuses.count("failed")) == (40, 37, 3)
    completed = db.scalar(
        select(func.count()).select_from(Enrolment).where(Enrolment.status == "completed")
    )
    assert _count(db, Credential) == completed
    revoked = db.scalars(
        select(Credential.revoked_reason).where(Credential.revoked_at.is_not(None))
    ).all()
    assert len(revoked) == 2
    reach = cascade.reach(db=db, course=moscow)
    assert reach.levels == {1: 37, 2: 36, 3: 12}
    assert len(reach.sessions) == 18
    scanned = db.scalar(
        select(func.count()).select_from(Attendance).where(Attendance.method == AttendanceMethod.QR)
    )
    assert (scanned or 0) >= 1


def test_the_moscow_course_has_a_recorded_hybrid_lecture_followed_online(loaded: Loaded) -> None:
    db = loaded.db
    moscow = db.scalars(select(Course).where(Course.code == "MOS-OBGYN-2025")).one()
    remote = [s for s in moscow.sessions if s.mode != SessionMode.IN_PERSON]
    assert [(s.mode, s.starts_at.date().isoformat()) for s in remote] == [("hybrid", "2025-11-04")]
    assert remote[0].meeting_url == "https://meet.example.org/kulakov/mos-obgyn-2025-preterm"
    assert remote[0].recording_url == "https://video.example.org/kulakov/mos-obgyn-2025-preterm"
    methods = db.scalars(
        select(Attendance.method).where(Attendance.session_id == remote[0].id)
    ).all()
    # 40 seated, every third followed online; all of them were present that day.
    assert (len(methods), methods.count(AttendanceMethod.ONLINE)) == (40, 13)


def test_the_care_side_is_at_the_scale_of_the_reports(loaded: Loaded) -> None:
    db, summary = loaded.db, loaded.summary
    assert summary.added["patients"] == _count(db, Patient) >= 100
    # More than 100 patients with spine and large-joint pathology seen in one day (2019 forum).
    seen = db.execute(
        select(func.date(Activity.starts_at), func.count())
        .join(Appointment, Appointment.activity_id == Activity.id)
        .join(Specialty, Specialty.id == Activity.specialty_id)
        .where(
            Appointment.status == AppointmentStatus.SEEN,
            Specialty.code.in_(("spine_surgery", "traumatology_orthopaedics")),
        )
        .group_by(func.date(Activity.starts_at))
    ).all()
    assert max(count for _day, count in seen) > 100
    # The 17 high-tech interventions of the Syzganov centre, and the demonstration operations.
    performed = dict(
        db.execute(
            select(Activity.kind, func.count())
            .join(Procedure, Procedure.activity_id == Activity.id)
            .group_by(Activity.kind)
        ).all()
    )
    assert performed[ActivityKind.HIGH_TECH_INTERVENTION] == 17
    assert performed[ActivityKind.DEMONSTRATION_OPERATION] >= 5
    withdrawn = db.scalar(
        select(func.count())
        .select_from(Consent)
        .where(Consent.decision == ConsentDecision.WITHDRAWN)
    )
    assert withdrawn is not None
    assert withdrawn >= 3
    overdue = db.scalar(
        select(func.count())
        .select_from(FollowUpTask)
        .where(FollowUpTask.status == FollowUpStatus.OPEN, FollowUpTask.due_on < date(2026, 1, 1))
    )
    assert overdue is not None
    assert overdue > 0
    # Every patient has a valid PINFL that agrees with the record, and names in both scripts.
    for patient in db.scalars(select(Patient)):
        _number, data = identifiers.validate_pinfl(patient.identifiers[0].value)
        assert data.birth_date == patient.birth_date
        assert {"uz", "uz-Cyrl"} <= set(patient.names)
    admin = db.scalars(select(User).where(User.username == "admin")).one()
    program = db.scalars(select(Program).where(Program.code == "KZ-UZ-2025")).one()
    waiting = service.waiting_for_program(db=db, actor=Actor.of(admin), program_id=program.id)
    assert waiting
    assert all(w.priority in range(1, 6) for w in waiting)
    referrals = db.scalars(select(Referral).where(Referral.status == "waiting")).all()
    assert len(waiting) == len(referrals) - 3  # three withdrew their consent to treatment


def test_the_agreements_of_the_news_files_with_a_roadmap_some_done_one_late(
    loaded: Loaded,
) -> None:
    db = loaded.db
    memorandum = db.scalars(
        select(Agreement).where(Agreement.code == "MOU-VAKHIDOV-SYZGANOV-2025")
    ).one()
    assert memorandum.ceremony_activity is not None
    assert memorandum.ceremony_activity.kind == ActivityKind.SIGNING_CEREMONY
    assert sorted(p.institution.code for p in memorandum.parties) == ["SYZGANOV", "VAKHIDOV"]
    statuses = sorted(str(item.status) for item in memorandum.items)
    assert statuses == ["done", "done", "in_progress", "planned"]
    # Late since 30 September 2026, whatever the day the demo is loaded on (after it).
    late = [item.due_on for item in memorandum.items if item.alert == "overdue"]
    assert late == [date(2026, 9, 30)]
    contract = db.scalars(select(Agreement).where(Agreement.code == "TRAUMA-KZ-UZ")).one()
    assert [a.code for a in agreements.chain(db, contract)] == [
        "TRAUMA-KZ-UZ",
        "TRAUMA-KZ-UZ-2019",
        "TRAUMA-KZ-UZ-2025",
    ]
    pharma = db.scalars(select(Agreement).where(Agreement.code == "MOU-DENTAFILL-ONTUSTIK")).one()
    assert pharma.confidentiality == Confidentiality.PARTIES
    assert pharma.valid_from == date(2019, 11, 14)
    forum = db.scalars(select(Program).where(Program.code == "KZ-UZ-2019")).one()
    (stand,) = agreements.stands(db, forum)
    assert "KazNIITO" in stand.exhibits["en"]
    assert len(agreements.awards(db, forum)) == 2


def test_the_follow_ups_are_asked_abroad_one_answered_late(loaded: Loaded) -> None:
    db = loaded.db
    cases = db.scalars(select(TeleCase).order_by(TeleCase.submitted_at)).all()
    assert [(c.centre.code, c.specialty.code) for c in cases] == [
        ("SCPPS", "paediatric_oncology"),
        ("SYZGANOV", "cardiac_surgery"),
        ("SCPPS", "paediatric_oncology"),
        ("SYZGANOV", "cardiac_surgery"),
        ("SCPPS", "paediatric_oncology"),
    ]
    assert all(date(2025, 10, 18) <= c.created_at.date() <= date(2025, 11, 30) for c in cases)
    late = [c for c in cases if c.answered_at and c.due_at and c.answered_at > c.due_at]
    assert [(c.urgency, c.answered_at.date()) for c in late] == [  # type: ignore[union-attr]
        ("urgent", date(2025, 11, 3))
    ]
    assert [c.visit_avoided for c in cases if c.status == "closed"] == [True, True, False, False]
    assert sum(c.patient_id is None for c in cases) == 1
    times = telemedicine.answer_times(db)
    assert (times.answered, times.in_time) == (4, 3)
    (journey,) = db.scalars(select(AbroadReferral)).all()
    assert journey.status == AbroadStatus.FOLLOWED_UP
    assert journey.centre.code == "SYZGANOV"
    assert [s.at.date() for s in journey.history][-1] == date(2025, 11, 30)


def test_the_demo_dashboard_tells_the_news_files_figures(loaded: Loaded) -> None:
    """150 delegates, 6 cities, 17 high-tech interventions, 108 patients consulted in one day at
    the traumatology institute, 45 doctors trained, the memorandum signed; each with a target."""
    db = loaded.db
    program = db.scalars(select(Program).where(Program.code == "KZ-UZ-2025")).one()
    shown = reports.report_figures(
        db, program, Translator("en"), today=date(2025, 11, 30), threshold=None
    ).by_key()
    values = {key: shown[key].value.value for key in reports_demo.TARGETS}
    assert values == {
        "delegates": 150,
        "cities": 6,
        "interventions_performed": 17,
        "patients_consulted": 168,
        "trainees_completed": 45,
        "agreements_signed": 2,
    }
    assert {key: shown[key].target for key in reports_demo.TARGETS} == reports_demo.TARGETS
    consulted = shown["patients_consulted"].breakdowns
    busiest = max(consulted["day"], key=lambda row: row.count.value or 0)
    assert (busiest.label, busiest.count.value) == ("Oct 14, 2025", 108)
    trauma = db.scalars(select(Institution).where(Institution.code == "TRAUMA_UZ")).one()
    assert [row.count.value for row in consulted["institution"] if row.value == trauma.id] == [108]
    kinds = {row.value: row.count.value for row in shown["agreements_signed"].breakdowns["kind"]}
    assert kinds["memorandum"] == 1


@pytest.mark.parametrize("language", ["ru", "uz", "uz-Cyrl", "kk", "en"])
def test_the_demo_narrative_reads_as_its_reference(loaded: Loaded, language: str) -> None:
    """The narrative of the 2025 Days, read and corrected by a native reader, kept in
    ``tests/demo/narrative/``."""
    db = loaded.db
    program = db.scalars(select(Program).where(Program.code == "KZ-UZ-2025")).one()
    translator = Translator(language)
    found = reports.report_figures(db, program, translator, today=date(2025, 11, 30), threshold=5)
    reference = Path(__file__).with_name("narrative") / f"{language}.md"
    assert program_narrative(db, found, translator) == reference.read_text(encoding="utf-8")


def test_certificates_are_of_2025_issued_when_their_course_ended(loaded: Loaded) -> None:
    db = loaded.db
    rows = db.execute(
        select(
            Credential.number,
            Credential.valid_from,
            Enrolment.completed_at,
            Course.starts_on,
            Course.ends_on,
        )
        .join(Enrolment, Enrolment.id == Credential.enrolment_id)
        .join(Course, Course.id == Enrolment.course_id)
    ).all()
    assert rows
    assert {number[:9] for number, *_ in rows} == {"HMK-2025-"}
    for number, valid_from, completed_at, starts_on, ends_on in rows:
        assert completed_at == valid_from, number
        assert starts_on <= valid_from.date() <= ends_on, number
