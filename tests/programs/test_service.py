"""The service: who may create, the program's life, and the rules activities must keep."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hamkor.core.access import AccessDenied, Actor
from hamkor.core.errors import UserError
from hamkor.core.forms import error_map
from hamkor.core.models import AuditEntry, Membership, Role
from hamkor.programs import service
from hamkor.programs.models import Activity, ProgramStatus
from hamkor.programs.schemas import (
    ActivityCreate,
    ActivityUpdate,
    ParticipationCreate,
    ProgramCreate,
    ProgramUpdate,
)
from tests.fixtures.core import UserFactory
from tests.fixtures.programs import ActivityFactory, KzUzDays


def refused(error: pytest.ExceptionInfo[UserError]) -> dict[str, str]:
    return error_map(error.value, "en")


def program_data(days: KzUzDays, **changes: Any) -> ProgramCreate:
    return ProgramCreate.model_validate(
        {
            "code": "KZ-UZ-2026",
            "kind": "medical_days",
            "names": {"ru": "Дни казахстанской медицины 2026"},
            "guest_country_id": days.kazakhstan.id,
            "host_country_id": days.uzbekistan.id,
            "starts_on": "2026-10-12",
            "ends_on": "2026-10-16",
            **changes,
        }
    )


def activity_data(days: KzUzDays, **changes: Any) -> ActivityCreate:
    return ActivityCreate.model_validate(
        {
            "kind": "demonstration_operation",
            "titles": {"en": "Off-pump bypass"},
            "city_id": days.tashkent.id,
            "institution_id": days.vakhidov.id,
            "room_id": days.operating_room.id,
            "specialty_id": days.cardiac_surgery.id,
            "lead_ids": [days.surgeon.id],
            "day": "2025-10-14",
            "start_time": "09:00",
            "end_time": "12:00",
            "trainee_capacity": 8,
            **changes,
        }
    )


def test_a_coordinator_of_all_programs_creates_one_and_coordinates_it(
    db: Session, kz_uz_days: KzUzDays, create_user: UserFactory
) -> None:
    user = create_user(Role.PROGRAM_COORDINATOR)
    program = service.create_program(db=db, actor=Actor.of(user), data=program_data(kz_uz_days))
    assert program.status == ProgramStatus.DRAFT
    membership = db.scalars(select(Membership).where(Membership.program_id == program.id)).one()
    assert (membership.user_id, membership.role) == (user.id, Role.PROGRAM_COORDINATOR)
    created = db.scalars(
        select(AuditEntry.changes).where(
            AuditEntry.entity == "programs", AuditEntry.action == "create"
        )
    )
    assert [None, "KZ-UZ-2026"] in [changes["code"] for changes in created]


@pytest.mark.parametrize("role", [Role.REGISTRAR, Role.SPECIALIST, Role.AUDITOR])
def test_others_may_not_create_programs(
    db: Session, kz_uz_days: KzUzDays, create_user: UserFactory, role: Role
) -> None:
    with pytest.raises(AccessDenied):
        service.create_program(
            db=db, actor=Actor.of(create_user(role)), data=program_data(kz_uz_days)
        )


def test_a_program_coordinator_of_one_program_may_not_create_another(
    db: Session, kz_uz_days: KzUzDays
) -> None:
    with pytest.raises(AccessDenied):
        service.create_program(
            db=db, actor=Actor.of(kz_uz_days.coordinator), data=program_data(kz_uz_days)
        )


def test_a_taken_code_is_refused(db: Session, kz_uz_days: KzUzDays, admin: Any) -> None:
    with pytest.raises(UserError) as error:
        service.create_program(
            db=db, actor=Actor.of(admin), data=program_data(kz_uz_days, code="KZ-UZ-2025")
        )
    assert refused(error) == {"code": "The code KZ-UZ-2025 is taken."}


def test_an_update_that_would_end_before_the_start_is_refused_on_ends_on(
    db: Session, kz_uz_days: KzUzDays
) -> None:
    days = kz_uz_days
    with pytest.raises(UserError) as error:
        service.update_program(
            db=db,
            actor=Actor.of(days.coordinator),
            program=days.program,
            data=ProgramUpdate(ends_on=date(2025, 10, 1)),
        )
    assert list(refused(error)) == ["ends_on"]


def test_new_dates_may_not_leave_activities_outside(
    db: Session, kz_uz_days: KzUzDays, create_activity: ActivityFactory
) -> None:
    days = kz_uz_days
    create_activity(days.program, city=days.tashkent, day=date(2025, 10, 17))
    with pytest.raises(UserError) as error:
        service.update_program(
            db=db,
            actor=Actor.of(days.coordinator),
            program=days.program,
            data=ProgramUpdate(ends_on=date(2025, 10, 16)),
        )
    assert list(refused(error)) == ["ends_on"]


def test_a_program_moves_through_its_life_and_may_be_cancelled(
    db: Session, kz_uz_days: KzUzDays
) -> None:
    days = kz_uz_days
    actor = Actor.of(days.coordinator)
    for status in (ProgramStatus.RUNNING, ProgramStatus.COMPLETED, ProgramStatus.CANCELLED):
        service.change_status(db=db, actor=actor, program=days.program, status=status)
        assert days.program.status == status
    with pytest.raises(UserError) as error:
        service.change_status(
            db=db, actor=actor, program=days.program, status=ProgramStatus.PLANNED
        )
    assert list(refused(error)) == ["status"]


def test_a_program_may_not_skip_a_step(db: Session, kz_uz_days: KzUzDays) -> None:
    days = kz_uz_days
    with pytest.raises(UserError):
        service.change_status(
            db=db,
            actor=Actor.of(days.coordinator),
            program=days.program,
            status=ProgramStatus.COMPLETED,
        )


def test_local_hours_are_stored_in_utc(db: Session, kz_uz_days: KzUzDays) -> None:
    days = kz_uz_days
    activity = service.create_activity(
        db=db,
        actor=Actor.of(days.coordinator),
        program=days.program,
        data=activity_data(days),
    )
    db.expire_all()
    stored = db.get_one(Activity, activity.id)
    assert stored.starts_at == datetime(2025, 10, 14, 4, 0, tzinfo=UTC)
    assert stored.ends_at == datetime(2025, 10, 14, 7, 0, tzinfo=UTC)
    assert [p.id for p in stored.leads] == [days.surgeon.id]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"day": "2025-10-20"},
            "day",
            "The activity must fall within the program's dates, 2025-10-13 to 2025-10-17.",
        ),
        (
            {
                "day": None,
                "start_time": None,
                "end_time": None,
                "starts_at": "2025-10-12T18:00:00Z",
                "ends_at": "2025-10-13T01:00:00Z",
            },
            "starts_at",
            "The activity must fall within the program's dates, 2025-10-13 to 2025-10-17.",
        ),
        ({"room_id": "lecture_hall", "institution_id": "samarkand"}, "room_id", None),
        ({"trainee_capacity": 13}, "trainee_capacity", "The room holds at most 12 people."),
        ({"institution_id": "samarkand", "room_id": None}, "institution_id", None),
        ({"lead_ids": ["neurosurgeon"]}, "lead_ids", "Not of the activity's specialty: "),
        ({"lead_ids": [999_999]}, "lead_ids", "Choose one of the offered values."),
        ({"delegation_id": 999_999}, "delegation_id", "Choose one of the offered values."),
    ],
)
def test_an_activity_breaking_a_rule_is_refused_on_its_field(
    db: Session, kz_uz_days: KzUzDays, changes: dict[str, Any], field: str, message: str | None
) -> None:
    days = kz_uz_days
    named = {
        "lecture_hall": days.lecture_hall.id,
        "samarkand": days.samarkand_hospital.id,
        "neurosurgeon": days.neurosurgeon.id,
    }
    resolved = {
        key: [named.get(v, v) for v in value]
        if isinstance(value, list)
        else named.get(value, value)
        for key, value in changes.items()
    }
    with pytest.raises(UserError) as error:
        service.create_activity(
            db=db,
            actor=Actor.of(days.coordinator),
            program=days.program,
            data=activity_data(days, **resolved),
        )
    errors = refused(error)
    assert field in errors
    if message:
        assert errors[field].startswith(message)
    assert db.scalar(select(func.count()).select_from(Activity)) == 0


def test_new_hours_keep_the_day_and_are_read_on_the_new_citys_clocks(
    db: Session, kz_uz_days: KzUzDays, create_activity: ActivityFactory
) -> None:
    days = kz_uz_days
    activity = create_activity(days.program, city=days.tashkent, day=date(2025, 10, 15))
    service.update_activity(
        db=db,
        actor=Actor.of(days.coordinator),
        activity=activity,
        data=ActivityUpdate(start_time="14:00", end_time="15:00", city_id=days.samarkand.id),
    )
    assert activity.starts_at == datetime(2025, 10, 15, 9, 0, tzinfo=UTC)
    assert activity.city_id == days.samarkand.id


def test_an_update_without_hours_keeps_the_instants(
    db: Session, kz_uz_days: KzUzDays, create_activity: ActivityFactory
) -> None:
    days = kz_uz_days
    activity = create_activity(days.program, city=days.tashkent)
    before = (activity.starts_at, activity.ends_at)
    service.update_activity(
        db=db,
        actor=Actor.of(days.coordinator),
        activity=activity,
        data=ActivityUpdate(titles={"ru": "Мастер-класс"}, lead_ids=[days.neurosurgeon.id]),
    )
    assert (activity.starts_at, activity.ends_at) == before
    assert activity.titles == {"ru": "Мастер-класс"}
    assert [p.id for p in activity.leads] == [days.neurosurgeon.id]


def test_an_arrival_without_offset_is_read_on_the_arrival_citys_clocks(
    db: Session, kz_uz_days: KzUzDays, programs_directory: Any
) -> None:
    days = kz_uz_days
    guest = programs_directory.person(en="Dr Guest")
    participation = service.create_participation(
        db=db,
        actor=Actor.of(days.coordinator),
        program=days.program,
        data=ParticipationCreate.model_validate(
            {
                "person_id": guest.id,
                "role": "interpreter",
                "arrival_city_id": days.tashkent.id,
                "arrives_at": "2025-10-12T21:40",
            }
        ),
    )
    assert participation.arrives_at == datetime(2025, 10, 12, 16, 40, tzinfo=UTC)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"person": "surgeon"}, "person_id"),
        ({"arrives_at": "2025-10-12T21:40"}, "arrival_city_id"),
        (
            {
                "arrival_city_id": "tashkent",
                "arrives_at": "2025-10-13T10:00",
                "departure_city_id": "tashkent",
                "departs_at": "2025-10-13T09:00",
            },
            "departs_at",
        ),
    ],
)
def test_a_participation_breaking_a_rule_is_refused_on_its_field(
    db: Session, kz_uz_days: KzUzDays, programs_directory: Any, data: dict[str, str], field: str
) -> None:
    days = kz_uz_days
    person = days.surgeon if "person" in data else programs_directory.person(en="New")
    cities = {"tashkent": days.tashkent.id}
    with pytest.raises(UserError) as error:
        service.create_participation(
            db=db,
            actor=Actor.of(days.coordinator),
            program=days.program,
            data=ParticipationCreate.model_validate(
                {"person_id": person.id, "role": "specialist"}
                | {key: cities.get(value, value) for key, value in data.items() if key != "person"}
            ),
        )
    assert list(refused(error)) == [field]


@pytest.mark.parametrize("status", [ProgramStatus.COMPLETED, ProgramStatus.CANCELLED])
def test_an_ended_program_takes_no_new_activity(
    db: Session, kz_uz_days: KzUzDays, status: ProgramStatus
) -> None:
    program = kz_uz_days.program
    program.status = status
    db.commit()
    before = db.scalar(select(func.count()).select_from(Activity))
    with pytest.raises(UserError) as refused:
        service.create_activity(
            db=db,
            actor=Actor.of(kz_uz_days.coordinator),
            program=program,
            data=activity_data(kz_uz_days),
        )
    assert [e.field for e in refused.value.errors] == ["program"]
    assert db.scalar(select(func.count()).select_from(Activity)) == before


def test_an_activity_that_took_place_is_done_and_a_cancelled_one_stays_cancelled(
    db: Session, kz_uz_days: KzUzDays, create_activity: ActivityFactory
) -> None:
    actor = Actor.of(kz_uz_days.coordinator)
    held = create_activity(kz_uz_days.program, city=kz_uz_days.tashkent)
    called_off = create_activity(
        kz_uz_days.program, city=kz_uz_days.tashkent, start="12:00", end="13:00"
    )
    service.cancel_activity(db=db, actor=actor, activity=called_off)
    for activity in (held, called_off):
        service.mark_done(db=db, actor=actor, activity=activity)
    assert (held.status, called_off.status) == ("done", "cancelled")
