"""The world the access walk runs in: two institutions in two countries, each with its program,
patients, cases, agreements and courses, every text a reader might see carrying a marker.

Institution A is the Vakhidov centre in Tashkent with the "Days of Kazakh Medicine" (program A);
institution B a hospital in Almaty with a program of its own hosted there (program B). The
Syzganov centre in Almaty is the colleague abroad both ask and a party to both agreements.

A marker reads ``MARK-<side>-<scope>-<n>``: the scope says who may read it (see ``Marker``), and
a patient's markers name the patient so that the audit of a read can be looked up.
"""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from hamkor.agreements.models import Confidentiality
from hamkor.care import booking
from hamkor.care import service as care
from hamkor.care.models import ConsentDecision, FollowUpKind, Patient, Recommendation, Referral, Sex
from hamkor.care.schemas import (
    BookingCreate,
    ConsentCreate,
    EncounterCreate,
    FollowUpCreate,
    PatientCreate,
    ReferralCreate,
)
from hamkor.core import files, jobs
from hamkor.core.access import Actor
from hamkor.core.models import Role, User
from hamkor.core.storage import storage_for
from hamkor.directory.models import Institution
from hamkor.programs.models import ActivityKind, Participation, Program
from hamkor.reports import service as reports
from hamkor.reports.report_job import REPORT_JOB
from hamkor.settings import Settings
from hamkor.telemedicine import attachments
from hamkor.telemedicine import service as tele
from hamkor.telemedicine.models import CaseStatus, TeleCase
from hamkor.telemedicine.schemas import CaseCreate
from tests.fixtures.agreements import AgreementFactory
from tests.fixtures.care import CareWorld, make_pinfl
from tests.fixtures.core import UserFactory
from tests.fixtures.credentials import Certified
from tests.fixtures.files import PDF
from tests.fixtures.programs import ActivityFactory, DirectoryRows, KzUzDays, ProgramFactory
from tests.fixtures.telemedicine import NOW, TELE_CONSENTS, CaseFactory, TeleWorld
from tests.fixtures.training import CourseFactory, MasterClass, SessionFactory

#: The actors of the walk, by the name the findings use.
ACTORS = (
    "admin",
    "program_coordinator",
    "institution_coordinator",
    "registrar",
    "specialist",
    "trainee",
    "auditor",
    "anonymous",
    "other_coordinator",
)


@dataclass(frozen=True)
class Marker:
    """A string planted in one record, and the actors who may read it.

    ``patient_id`` is set when the text is the patient's own data (a name, a finding): a route
    that shows it has read the patient's record and must say so in the audit trail.
    """

    text: str
    readers: frozenset[str]
    patient_id: int | None = None


@dataclass
class World:
    """The actors, and per side (A, B) the value of each path parameter the walk fills."""

    users: dict[str, User]
    sides: dict[str, dict[str, int | str]]
    markers: list[Marker]


class Marks:
    """Hands out markers, remembering who may read each."""

    def __init__(self) -> None:
        self.planted: list[Marker] = []
        self._serial = itertools.count(1)

    def __call__(
        self, side: str, scope: str, readers: set[str], patient_id: int | None = None
    ) -> str:
        text = f"MARK-{side}-{scope}-{next(self._serial)}"
        self.planted.append(Marker(text, frozenset(readers | {"admin"}), patient_id))
        return text


def _patient(
    db: Session, admin: Actor, institution: Institution, name: str, serial: int
) -> Patient:
    born = date(1980, 1, serial)
    patient = care.create_patient(
        db=db,
        actor=admin,
        data=PatientCreate(
            names={"uz": name},
            birth_date=born,
            sex=Sex.FEMALE,
            identifiers=[{"kind": "uz_pinfl", "value": make_pinfl(born, Sex.FEMALE, serial)}],
            institution_id=institution.id,
            confirm_new=True,
        ),
    )
    for kind in TELE_CONSENTS:
        care.record_consent(
            db=db,
            actor=admin,
            patient=patient,
            data=ConsentCreate(kind=kind, decision=ConsentDecision.GIVEN),
        )
    return patient


def _referral(
    db: Session, admin: Actor, days: KzUzDays, patient: Patient, program: Program, reason: str
) -> Referral:
    return care.create_referral(
        db=db,
        actor=admin,
        data=ReferralCreate(
            patient_id=patient.id,
            program_id=program.id,
            specialty_id=days.cardiac_surgery.id,
            reason=reason,
            icd10="I05.0",
            referring_institution_id=patient.institution_id,
            city_ids=[],
        ),
    )


@pytest.fixture
def world(
    db: Session,
    settings: Settings,
    admin: User,
    care_world: CareWorld,
    tele_world: TeleWorld,
    certificate: Certified,
    master_class: MasterClass,
    programs_directory: DirectoryRows,
    create_user: UserFactory,
    create_program: ProgramFactory,
    create_activity: ActivityFactory,
    create_course: CourseFactory,
    create_session: SessionFactory,
    create_agreement: AgreementFactory,
    create_case: CaseFactory,
) -> World:
    days = care_world.days
    boss = Actor.of(admin)
    mark = Marks()
    b_home = programs_directory.institution("MARK-B-OPEN-hospital", days.almaty)
    users = {
        "admin": admin,
        "program_coordinator": days.coordinator,
        "institution_coordinator": create_user(
            Role.INSTITUTION_COORDINATOR, institution_id=days.vakhidov.id, username="inst-coord"
        ),
        "registrar": care_world.registrar,
        "specialist": care_world.specialist,
        "trainee": certificate.holder,
        "auditor": create_user(Role.AUDITOR, username="walk-auditor"),
        "other_coordinator": create_user(
            Role.INSTITUTION_COORDINATOR, institution_id=b_home.id, username="other-coord"
        ),
    }
    # Patients are read by their registrar, the coordinators of the program they are referred
    # to and the specialist leading the session they are booked into (care/access.py).
    a_booked = _patient(db, boss, days.vakhidov, "Walk Booked", 1)
    a_waiting = _patient(db, boss, days.vakhidov, "Walk Waiting", 2)
    b_booked = _patient(db, boss, b_home, "Walk Other", 3)
    readers_a = {"registrar", "program_coordinator"}
    record_readers = {
        a_booked.id: readers_a | {"specialist"},
        a_waiting.id: readers_a,
        b_booked.id: set(),
    }
    # A teleconsultation names its patient to everyone who reads the case (the patient
    # consented to it): the name, not the rest of the record, reaches the case's readers.
    case_readers = {a_waiting.id: {"institution_coordinator"}, b_booked.id: {"other_coordinator"}}
    for patient, side in ((a_booked, "A"), (a_waiting, "A"), (b_booked, "B")):
        readers = record_readers[patient.id] | case_readers.get(patient.id, set())
        patient.names = {"uz": mark(side, "PAT", readers, patient.id)}

    program_b = create_program(
        code="UZ-KZ-2025", guest=days.uzbekistan, host=days.kazakhstan, names={"en": "B program"}
    )
    program_b.names = {"en": mark("B", "OPEN", set(ACTORS))}
    days.program.names = {"en": mark("A", "OPEN", set(ACTORS))}
    b_lead = programs_directory.person(institution=b_home, en=mark("B", "OPEN", set(ACTORS)))
    b_session = create_activity(
        program_b,
        city=days.almaty,
        kind=ActivityKind.CONSULTATION_SESSION,
        institution=b_home,
        specialty=days.cardiac_surgery,
        leads=[b_lead],
        title=mark("B", "OPEN", set(ACTORS)),
    )
    care_world.session.titles = {"en": mark("A", "OPEN", set(ACTORS))}

    referrals: dict[int, Referral] = {}
    appointments: dict[int, int] = {}
    for patient, program, session in (
        (a_booked, days.program, care_world.session),
        (a_waiting, days.program, None),
        (b_booked, program_b, b_session),
    ):
        side = "A" if program is days.program else "B"
        readers = record_readers[patient.id]
        reason = mark(side, "PAT", readers, patient.id)
        referral = _referral(db, boss, days, patient, program, reason)
        referrals[patient.id] = referral
        if session is None:
            continue
        appointment = booking.book(
            db=db,
            actor=boss,
            data=BookingCreate(referral_id=referral.id, activity_id=session.id),
        )
        appointments[patient.id] = appointment.id
        care.record_encounter(
            db=db,
            actor=boss,
            data=EncounterCreate(
                appointment_id=appointment.id,
                findings=mark(side, "PAT", readers, patient.id),
                diagnoses=["I05.0"],
                recommendation=Recommendation.FOLLOW_UP_HOME,
            ),
        )
        care.create_follow_up(
            db=db,
            actor=boss,
            data=FollowUpCreate(
                referral_id=referral.id,
                institution_id=patient.institution_id,
                kind=FollowUpKind.IN_PERSON,
                due_on=date(2025, 11, 20),
                notes=mark(side, "PAT", readers, patient.id),
            ),
        )

    # A case is read by the people of the asking institution who handle patients and by the
    # coordinators of the centre asked (telemedicine/access.py); nobody here coordinates it.
    case_a = create_case(
        CaseStatus.SUBMITTED,
        question=mark("A", "CASE", {"registrar", "institution_coordinator"}),
        clinical_summary=mark("A", "CASE", {"registrar", "institution_coordinator"}),
        patient_id=a_waiting.id,
    )
    case_b = _case_b(db, boss, days, b_home, b_booked, program_b, mark)
    store = storage_for(settings)
    files_of: dict[int, int] = {}
    for case, actor, side, readers in (
        (case_a, Actor.of(tele_world.asker), "A", {"registrar", "institution_coordinator"}),
        (case_b, boss, "B", {"other_coordinator"}),
    ):
        (kept,) = attachments.add_files(
            db=db,
            actor=actor,
            case=case,
            uploads=[attachments.Upload(f"{mark(side, 'CASE', readers)}.pdf", io.BytesIO(PDF))],
            store=store,
            max_bytes=2**20,
        )
        (attachment,) = files.list_(db=db, owner=kept)
        files_of[case.id] = attachment.id

    # A confidential agreement is read by the people of its parties only (agreements/access.py);
    # the specialist works at the Syzganov centre, a party to both.
    agreement_a = create_agreement(
        code="MOU-A",
        confidentiality=Confidentiality.PARTIES,
        titles={"en": mark("A", "CONF", {"institution_coordinator", "registrar", "specialist"})},
    )
    agreement_b = create_agreement(
        code="MOU-B",
        confidentiality=Confidentiality.PARTIES,
        program_id=program_b.id,
        titles={"en": mark("B", "CONF", {"other_coordinator", "specialist"})},
        parties=[
            {"institution_id": b_home.id, "signer_name": "B signer", "signed_on": NOW.date()},
            {"institution_id": days.syzganov.id, "signer_name": "S", "signed_on": NOW.date()},
        ],
    )

    course_b = create_course(issuer=b_home, host=b_home, program_linked=False)
    course_b.program_id = program_b.id
    course_b.title = {"en": mark("B", "OPEN", set(ACTORS))}
    certificate.enrolment.course.title = {"en": mark("A", "OPEN", set(ACTORS))}
    slugs = {
        "A": reports.publish(db=db, actor=boss, program=days.program).slug,
        "B": reports.publish(db=db, actor=boss, program=program_b).slug,
    }
    job_a = _report_job(db, days.program, users["program_coordinator"])
    job_b = _report_job(db, program_b, users["other_coordinator"])
    db.commit()
    sides: dict[str, dict[str, int | str]] = {
        "A": {
            "country_id": days.uzbekistan.id,
            "city_id": days.tashkent.id,
            "from_city_id": days.tashkent.id,
            "to_city_id": days.samarkand.id,
            "institution_id": days.vakhidov.id,
            "room_id": days.operating_room.id,
            "person_id": days.surgeon.id,
            "program_id": days.program.id,
            "activity_id": care_world.session.id,
            "delegation_id": days.brigade.id,
            "participation_id": _participation(db, days),
            "slug": slugs["A"],
            "course_id": master_class.course.id,
            "session_id": master_class.sessions[0].id,
            "number": certificate.credential.number,
            "check_code": certificate.credential.check_code or "",
            "patient_id": a_booked.id,
            "referral_id": referrals[a_booked.id].id,
            "appointment_id": appointments[a_booked.id],
            "agreement_id": agreement_a.id,
            "case_id": case_a.id,
            "job_id": job_a.id,
            "attachment_id": files_of[case_a.id],
        },
        "B": {
            "country_id": days.kazakhstan.id,
            "city_id": days.almaty.id,
            "institution_id": b_home.id,
            "person_id": b_lead.id,
            "program_id": program_b.id,
            "activity_id": b_session.id,
            "slug": slugs["B"],
            "course_id": course_b.id,
            "session_id": create_session(course_b).id,
            "patient_id": b_booked.id,
            "referral_id": referrals[b_booked.id].id,
            "appointment_id": appointments[b_booked.id],
            "agreement_id": agreement_b.id,
            "case_id": case_b.id,
            "job_id": job_b.id,
            "attachment_id": files_of[case_b.id],
        },
    }
    return World(
        users=users,
        sides=sides,
        markers=mark.planted,
    )


def _case_b(
    db: Session,
    actor: Actor,
    days: KzUzDays,
    home: Institution,
    patient: Patient,
    program: Program,
    mark: Marks,
) -> TeleCase:
    """B asks the Vakhidov centre about B's patient: a draft, which A's coordinator does not
    see yet (entered by an admin: B's coordinator keeps no patient records)."""
    case = tele.create_case(
        db=db,
        actor=actor,
        data=CaseCreate(
            program_id=program.id,
            asking_institution_id=home.id,
            centre_id=days.vakhidov.id,
            specialty_id=days.cardiac_surgery.id,
            question=mark("B", "CASE", {"other_coordinator"}),
            clinical_summary=mark("B", "CASE", {"other_coordinator"}),
            patient_id=patient.id,
        ),
        now=NOW,
    )
    return case


def _participation(db: Session, days: KzUzDays) -> int:
    found = db.scalar(select(Participation.id).where(Participation.program_id == days.program.id))
    assert found is not None
    return found


def _report_job(db: Session, program: Program, owner: User) -> jobs.Job:
    """A queued report of the program, as its owner asked for it (jobs are read by their owner)."""
    payload = {"program_id": program.id, "format": "pdf", "language": "en", "threshold": 0}
    return jobs.enqueue(db=db, kind=REPORT_JOB, payload=payload, created_by=owner.id)
