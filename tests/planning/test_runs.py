"""Plan runs: start, solve on a worker, review, accept once in one transaction; re-planning."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hamkor.care import booking as care_booking
from hamkor.care.models import Appointment
from hamkor.core import jobs
from hamkor.core.errors import UserError
from hamkor.core.models import AuditEntry
from hamkor.directory.models import Room
from hamkor.planning import proposal, review, service
from hamkor.planning.instance import row_id
from hamkor.planning.models import PlanningRequest, PlanRun, RunStatus
from hamkor.planning.schemas import DisruptionCreate
from hamkor.planning.solver.check import check
from hamkor.planning.solver.model import Instance
from hamkor.programs.models import Activity, ActivityStatus, ProgramStatus
from hamkor.training.models import Course, Enrolment
from tests.fixtures.care import PatientFactory, ReferralFactory
from tests.fixtures.planning import (
    PlannedDays,
    accept,
    solve_run,
)
from tests.fixtures.programs import ActivityFactory


def test_a_run_proposes_a_checked_plan_and_accepting_writes_it_once(
    db: Session,
    session_factory: sessionmaker[Session],
    planned_days: PlannedDays,
    create_patient: PatientFactory,
    create_referral: ReferralFactory,
) -> None:
    referrals = [create_referral(create_patient(f"Patient {n}")) for n in range(3)]
    run = solve_run(db, session_factory, planned_days)
    plan = service.plan_of(run)
    instance = Instance.model_validate(run.instance)

    assert run.status == RunStatus.PROPOSED
    assert plan is not None
    assert run.job is not None
    assert run.job.status == jobs.JobStatus.DONE
    assert check(instance, plan) == []
    assert {line.change for line in review.compare(instance, plan)} == {review.Change.ADDED}
    assert len(plan.consultations) == 3  # a 60-minute session at 20 minutes per patient

    accept(db, planned_days, run)
    db.commit()

    operation = db.get(PlanningRequest, planned_days.operation.id)
    assert operation is not None
    assert operation.activity is not None
    placed = next(p for p in plan.activities if p.activity == f"r{operation.id}")
    written = operation.activity
    assert written.room_id == int(placed.room[1:])
    assert [lead.id for lead in written.leads] == [int(s[1:]) for s in placed.leads]
    zone = ZoneInfo(written.city.timezone)
    assert written.starts_at == datetime.combine(placed.day, time.fromisoformat(placed.start), zone)
    assert written.ends_at == datetime.combine(placed.day, time.fromisoformat(placed.end), zone)
    session = db.get(PlanningRequest, planned_days.consultations.id)
    assert session is not None
    assert session.activity is not None
    booked = db.scalars(
        select(Appointment).where(Appointment.referral_id.in_([r.id for r in referrals]))
    ).all()
    assert {a.activity_id for a in booked} == {session.activity.id}
    assert len(booked) == 3
    seated = db.scalars(
        select(Course.activity_id)
        .join(Enrolment, Enrolment.course_id == Course.id)
        .where(Enrolment.person_id == planned_days.trainee.id)
    ).all()
    assert len(seated) == len(plan.attendances)
    assert set(seated) == {
        db.get_one(PlanningRequest, row_id(a.activity, "r")).activity_id for a in plan.attendances
    }
    accepted = db.scalars(
        select(AuditEntry).where(AuditEntry.action == "accept", AuditEntry.entity_id == str(run.id))
    ).all()
    assert len(accepted) == 1

    with pytest.raises(UserError) as again:
        accept(db, planned_days, run)
    assert again.value.status_code == 409


def test_a_stale_run_is_refused(
    db: Session, session_factory: sessionmaker[Session], planned_days: PlannedDays
) -> None:
    run = solve_run(db, session_factory, planned_days)
    planned_days.lecture.duration_minutes = 90
    db.commit()
    count = db.scalar(select(Activity.id).limit(1))

    with pytest.raises(UserError) as stale:
        accept(db, planned_days, run)
    assert "changed" in stale.value.errors[0].message.text
    assert db.scalar(select(Activity.id).limit(1)) == count


def test_a_proposal_made_stale_by_an_activity_entered_by_hand_is_refused_naming_the_conflict(
    db: Session,
    session_factory: sessionmaker[Session],
    planned_days: PlannedDays,
    create_activity: ActivityFactory,
) -> None:
    days = planned_days.days
    run = solve_run(db, session_factory, planned_days)
    plan = service.plan_of(run)
    assert plan is not None
    instance = Instance.model_validate(run.instance)
    operation = next(p for p in plan.activities if p.activity == f"r{planned_days.operation.id}")
    room = db.get(Room, int(operation.room[1:]))
    assert room is not None
    found = proposal.find_conflicts(db=db, program=days.program, instance=instance, plan=plan)
    assert (found.existing, found.added) == ([], [])
    create_activity(
        days.program,
        city=room.institution.city,
        room=room,
        day=operation.day,
        start=operation.start,
        end=operation.end,
        title="Entered after the solve",
    )
    activities = db.scalar(select(func.count()).select_from(Activity))

    with pytest.raises(UserError) as refused:
        accept(db, planned_days, run)
    db.rollback()

    assert refused.value.status_code == 409
    said = refused.value.errors[0].message.render("en")
    assert said.startswith("Accepting this plan would add conflicts to the program: ")
    assert f"{room.names['en']} is booked twice at the same time" in said
    assert "Entered after the solve" in said
    assert "Demonstration operation" in said
    assert "Принятие этого плана" in refused.value.errors[0].message.render("ru")
    assert db.scalar(select(func.count()).select_from(Activity)) == activities
    unchanged = db.get(PlanRun, run.id)
    assert unchanged is not None
    assert unchanged.status == RunStatus.PROPOSED


def test_replanning_moves_only_what_the_unavailable_specialist_led(
    db: Session, session_factory: sessionmaker[Session], planned_days: PlannedDays
) -> None:
    days = planned_days.days
    first = solve_run(db, session_factory, planned_days)
    accept(db, planned_days, first)
    db.commit()
    before = {p.activity: p for p in service.plan_of(first).activities}  # type: ignore[union-attr]
    gone = days.second_surgeon.id
    touched = {key for key, p in before.items() if f"s{gone}" in p.leads}
    assert touched, "the fixture's master class is led by the second surgeon"

    day = min(p.day for p in before.values())
    replanned = solve_run(
        db,
        session_factory,
        planned_days,
        disruption=DisruptionCreate(
            specialist_id=gone, unavailable_day=day, unavailable_time=None, closed_days=[]
        ),
    )
    plan = service.plan_of(replanned)
    instance = Instance.model_validate(replanned.instance)
    assert plan is not None
    assert check(instance, plan) == []
    lines = {line.activity: line for line in review.compare(instance, plan)}

    changed = {key for key, line in lines.items() if line.change != review.Change.UNCHANGED}
    assert changed == touched
    for key in touched:
        after = lines[key].after
        assert after is None or f"s{gone}" not in after.leads
    assert all(f"s{gone}" not in p.leads for p in plan.activities)


def test_a_cancelled_activity_stays_out_of_the_accepted_plan(
    db: Session, session_factory: sessionmaker[Session], planned_days: PlannedDays
) -> None:
    run = solve_run(db, session_factory, planned_days)
    accept(db, planned_days, run)
    db.commit()
    request = db.get(PlanningRequest, planned_days.operation.id)
    assert request is not None
    assert request.activity is not None
    request.activity.status = ActivityStatus.CANCELLED
    db.commit()
    again = solve_run(db, session_factory, planned_days)
    instance = Instance.model_validate(again.instance)
    assert f"r{request.id}" not in {p.activity for p in instance.accepted}
    assert date(2025, 10, 13) in instance.program.days


def test_a_closed_room_is_left_on_its_days(
    db: Session, session_factory: sessionmaker[Session], planned_days: PlannedDays
) -> None:
    days = planned_days.days
    closed = [date(2025, 10, 13), date(2025, 10, 14)]
    run = solve_run(
        db,
        session_factory,
        planned_days,
        disruption=DisruptionCreate(room_id=days.operating_room.id, closed_days=closed),
    )
    plan = service.plan_of(run)
    assert plan is not None
    in_theatre = [p for p in plan.activities if p.room == f"m{days.operating_room.id}"]
    assert in_theatre
    assert all(p.day not in closed for p in in_theatre)


def test_a_booking_care_refuses_leaves_nothing_of_the_plan_written(
    db: Session,
    session_factory: sessionmaker[Session],
    planned_days: PlannedDays,
    create_patient: PatientFactory,
    create_referral: ReferralFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    create_referral(create_patient(), priority=4)
    run = solve_run(db, session_factory, planned_days)
    activities = db.scalar(select(func.count()).select_from(Activity))

    def refuse(**_: object) -> int:
        raise UserError.one("referral", "This field is required.")

    monkeypatch.setattr(care_booking, "book_planned", refuse)
    with pytest.raises(UserError), db.begin_nested():
        accept(db, planned_days, run)
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Activity)) == activities
    assert db.scalar(select(func.count()).select_from(Appointment)) == 0
    refreshed = db.get(PlanRun, run.id)
    assert refreshed is not None
    assert refreshed.status == RunStatus.PROPOSED


def test_a_program_cancelled_after_its_plan_was_proposed_takes_neither_plan_nor_new_run(
    db: Session, session_factory: sessionmaker[Session], planned_days: PlannedDays
) -> None:
    run = solve_run(db, session_factory, planned_days)
    program = planned_days.days.program
    program.status = ProgramStatus.CANCELLED
    db.commit()
    before = db.scalar(select(func.count()).select_from(Activity))

    with pytest.raises(UserError) as refused:
        accept(db, planned_days, run)
    assert [e.field for e in refused.value.errors] == ["program"]
    assert db.scalar(select(func.count()).select_from(Activity)) == before
    with pytest.raises(UserError):
        solve_run(db, session_factory, planned_days)
