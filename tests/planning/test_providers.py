"""Accepting a plan with the real care and training services as planning's providers (#3–#5):
the waiting patient is booked into a planned consultation, the trainee seated at the planned
demonstration operation, all in the accept's one transaction."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hamkor.care.models import Appointment, Referral
from hamkor.programs.models import Activity, ActivityKind
from hamkor.training.models import Course, Enrolment
from tests.fixtures.care import CareWorld, PatientFactory, ReferralFactory
from tests.fixtures.planning import PlannedDays, accept, solve_run


def test_accepting_books_the_waiting_patient_and_seats_the_trainee(
    db: Session,
    session_factory: sessionmaker[Session],
    planned_days: PlannedDays,
    care_world: CareWorld,
    create_patient: PatientFactory,
    create_referral: ReferralFactory,
) -> None:
    referral = create_referral(create_patient(), priority=5)
    run = solve_run(db, session_factory, planned_days)
    assert run.plan is not None

    accept(db, planned_days, run)
    db.commit()
    db.expire_all()

    booked = db.scalars(select(Appointment).where(Appointment.referral_id == referral.id)).one()
    session = db.get(Activity, booked.activity_id)
    assert session is not None
    assert session.kind == ActivityKind.CONSULTATION_SESSION
    assert session.id != care_world.session.id
    refreshed = db.get(Referral, referral.id)
    assert refreshed is not None
    assert refreshed.status == "booked"
    seated = db.scalars(
        select(Course.activity_id)
        .join(Enrolment, Enrolment.course_id == Course.id)
        .where(Enrolment.person_id == planned_days.trainee.id)
    ).all()
    assert len(seated) == 1
    operation = db.get(Activity, seated[0])
    assert operation is not None
    assert operation.kind == ActivityKind.DEMONSTRATION_OPERATION
