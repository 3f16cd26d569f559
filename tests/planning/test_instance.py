"""The instance of a program built from the database loads, checks and maps back to rows."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.orm import Session

from hamkor.core.access import Actor
from hamkor.core.errors import UserError
from hamkor.planning.instance import Disruption, build, row_id
from hamkor.planning.solver.check import check
from hamkor.planning.solver.greedy import greedy
from hamkor.planning.solver.io import dump, load_instance
from tests.fixtures.care import PatientFactory, ReferralFactory
from tests.fixtures.planning import PlannedDays
from tests.fixtures.programs import ActivityFactory

BEFORE = datetime(2025, 10, 1, tzinfo=UTC)


def test_the_instance_of_a_program_loads_and_its_greedy_plan_checks(
    db: Session, planned_days: PlannedDays
) -> None:
    days = planned_days.days
    instance = build(db=db, actor=Actor.of(days.coordinator), program=days.program, as_of=BEFORE)

    assert load_instance(dump(instance)) == instance
    assert instance.program.days[0] == date(2025, 10, 13)
    assert len(instance.program.days) == 5
    assert {a.id for a in instance.activities} == {
        f"r{r.id}"
        for r in (
            planned_days.operation,
            planned_days.master_class,
            planned_days.lecture,
            planned_days.consultations,
        )
    }
    surgeon = next(s for s in instance.specialists if s.id == f"s{days.surgeon.id}")
    assert surgeon.specialties == ["cardiac_surgery"]
    assert surgeon.arrival is not None
    assert surgeon.arrival.time == "10:00"
    assert {row_id(room.id, "m") for room in instance.rooms} >= {
        days.operating_room.id,
        days.lecture_hall.id,
        planned_days.consultation_room.id,
    }
    assert [t.id for t in instance.trainees] == [f"t{planned_days.trainee.id}"]
    assert instance.trainees[0].city == f"c{days.tashkent.id}"
    assert instance.patients == []
    assert check(instance, greedy(instance)) == []


def test_waiting_patients_are_cares_referrals_with_consent(
    db: Session,
    planned_days: PlannedDays,
    create_patient: PatientFactory,
    create_referral: ReferralFactory,
) -> None:
    days = planned_days.days
    urgent = create_referral(create_patient("Karimov Aziz"), priority=5)
    in_samarkand = create_referral(
        create_patient("Saidova Malika"),
        priority=2,
        city_ids=[days.samarkand.id],
        days=[date(2025, 10, 14)],
    )
    create_referral(create_patient("Rakhimov Sardor", consents=()), priority=3)
    instance = build(db=db, actor=Actor.of(days.coordinator), program=days.program, as_of=BEFORE)

    assert [(p.id, p.priority, p.days) for p in instance.patients] == [
        (f"p{urgent.id}", 5, []),
        (f"p{in_samarkand.id}", 2, [date(2025, 10, 14)]),
    ]
    assert check(instance, greedy(instance)) == []


def test_a_specialist_gone_is_unavailable_from_that_time(
    db: Session, planned_days: PlannedDays
) -> None:
    days = planned_days.days
    gone = Disruption(specialist_id=days.surgeon.id, day=date(2025, 10, 14), time="12:00")
    instance = build(
        db=db, actor=Actor.of(days.coordinator), program=days.program, as_of=BEFORE, disruption=gone
    )
    surgeon = next(s for s in instance.specialists if s.id == f"s{days.surgeon.id}")

    assert surgeon.unavailable == [date(2025, 10, 15), date(2025, 10, 16), date(2025, 10, 17)]
    assert [(h.day, h.start, h.end) for h in surgeon.hours] == [
        (date(2025, 10, 14), "08:00", "12:00")
    ]


def test_a_fixed_day_outside_the_program_is_refused_naming_the_place(
    db: Session, planned_days: PlannedDays
) -> None:
    days = planned_days.days
    planned_days.lecture.fixed_day = date(2025, 10, 20)
    db.commit()
    with pytest.raises(UserError) as refused:
        build(db=db, actor=Actor.of(days.coordinator), program=days.program, as_of=BEFORE)
    places = [error.message.params["place"] for error in refused.value.errors]
    assert places == ["activities[2].fixed_day"]


def test_an_activity_entered_by_hand_is_busy_and_holds_its_room(
    db: Session, planned_days: PlannedDays, create_activity: ActivityFactory
) -> None:
    days = planned_days.days
    by_hand = create_activity(
        days.program,
        city=days.tashkent,
        room=days.operating_room,
        specialty=days.cardiac_surgery,
        leads=[days.second_surgeon],
        start="08:00",
        end="19:00",
    )
    instance = build(db=db, actor=Actor.of(days.coordinator), program=days.program, as_of=BEFORE)

    key = f"a{by_hand.id}"
    assert key not in {a.id for a in instance.activities}
    taken = next(b for b in instance.busy if b.id == key)
    assert (taken.day, taken.start, taken.end) == (date(2025, 10, 13), "08:00", "19:00")
    assert (taken.room, taken.leads) == (
        f"m{days.operating_room.id}",
        [f"s{days.second_surgeon.id}"],
    )
    plan = greedy(instance)
    assert check(instance, plan) == []
    first_day_in_theatre = [
        p
        for p in plan.activities
        if p.room == f"m{days.operating_room.id}" and p.day == date(2025, 10, 13)
    ]
    assert first_day_in_theatre == []


def test_activities_entered_by_hand_that_break_a_rule_are_busy_all_the_same(
    db: Session, planned_days: PlannedDays, create_activity: ActivityFactory
) -> None:
    days = planned_days.days
    made = [
        create_activity(
            days.program,
            city=days.tashkent,
            room=room,
            specialty=lead.specialties[0],
            leads=[lead],
            start=start,
            end=end,
            day=date(2025, 10, 14),
        )
        for room, lead, start, end in (
            (days.operating_room, days.second_surgeon, "09:00", "11:00"),
            (days.operating_room, days.surgeon, "10:00", "12:00"),  # the same room and time
            (days.lecture_hall, days.neurosurgeon, "14:00", "15:00"),
        )
    ]
    elsewhere = create_activity(days.program, city=days.almaty, title="At home")
    instance = build(db=db, actor=Actor.of(days.coordinator), program=days.program, as_of=BEFORE)

    assert {b.id for b in instance.busy} == {f"a{a.id}" for a in [*made, elsewhere]}
    assert check(instance, greedy(instance)) == []
