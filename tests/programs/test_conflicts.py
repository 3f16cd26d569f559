"""Conflicts of a plan: each kind found, none where the plan holds, found in one sweep."""

from __future__ import annotations

import time as clock
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from hamkor.core.access import Actor
from hamkor.core.i18n import Translator
from hamkor.directory.models import City, Person, Room
from hamkor.directory.service import derive_minutes, estimated_road_km
from hamkor.programs import conflicts, service
from hamkor.programs.conflict_rules import ConflictKind
from hamkor.programs.conflicts import Conflict
from hamkor.programs.models import Activity, ActivityStatus
from tests.fixtures.programs import ActivityFactory, KzUzDays


def found(db: Session, days: KzUzDays) -> list[Conflict]:
    actor = Actor.of(days.coordinator)
    return service.program_conflicts(db=db, actor=actor, program=days.program)


def kinds(conflicts: list[Conflict]) -> list[ConflictKind]:
    return [c.kind for c in conflicts]


def test_a_specialist_in_two_overlapping_activities(
    db: Session, kz_uz_days: KzUzDays, create_activity: ActivityFactory
) -> None:
    days = kz_uz_days
    first = create_activity(days.program, city=days.tashkent, leads=[days.surgeon])
    second = create_activity(
        days.program, city=days.tashkent, start="10:30", end="12:00", leads=[days.surgeon]
    )
    result = found(db, days)
    assert kinds(result) == [ConflictKind.LEAD_OVERLAP]
    assert result[0].activity_ids == (first.id, second.id)
    assert result[0].person is days.surgeon
    english = conflicts.describe(result[0], Translator("en"))
    assert english.startswith("Dr Aidos Bekov leads two activities at the same time")


def test_back_to_back_or_cancelled_activities_do_not_clash(
    db: Session, kz_uz_days: KzUzDays, create_activity: ActivityFactory
) -> None:
    days = kz_uz_days
    create_activity(days.program, city=days.tashkent, leads=[days.surgeon])
    create_activity(
        days.program, city=days.tashkent, start="11:00", end="12:00", leads=[days.surgeon]
    )
    create_activity(
        days.program,
        city=days.tashkent,
        start="09:30",
        end="10:30",
        leads=[days.surgeon],
        status=ActivityStatus.CANCELLED,
    )
    assert found(db, days) == []


def test_a_room_booked_twice(
    db: Session, kz_uz_days: KzUzDays, create_activity: ActivityFactory
) -> None:
    days = kz_uz_days
    create_activity(days.program, city=days.tashkent, room=days.operating_room)
    create_activity(
        days.program, city=days.tashkent, start="10:00", end="13:00", room=days.operating_room
    )
    create_activity(
        days.program, city=days.tashkent, start="10:00", end="13:00", room=days.lecture_hall
    )
    result = found(db, days)
    assert kinds(result) == [ConflictKind.ROOM_OVERLAP]
    assert result[0].room is days.operating_room


def test_a_room_freed_by_a_cancellation_is_no_conflict(
    db: Session, kz_uz_days: KzUzDays, create_activity: ActivityFactory
) -> None:
    days = kz_uz_days
    create_activity(days.program, city=days.tashkent, room=days.operating_room)
    create_activity(
        days.program,
        city=days.tashkent,
        room=days.operating_room,
        status=ActivityStatus.CANCELLED,
    )
    assert found(db, days) == []


def test_a_lead_moving_faster_than_the_road(
    db: Session, kz_uz_days: KzUzDays, create_activity: ActivityFactory
) -> None:
    days = kz_uz_days
    create_activity(days.program, city=days.tashkent, leads=[days.surgeon])
    create_activity(
        days.program, city=days.samarkand, start="13:00", end="15:00", leads=[days.surgeon]
    )
    [move] = found(db, days)
    assert move.kind is ConflictKind.TOO_FAST_MOVE
    assert move.person is days.surgeon
    assert (move.from_city, move.to_city) == (days.tashkent, days.samarkand)
    assert (move.needed_minutes, move.available_minutes) == (270, 120)


def test_a_move_with_time_enough_is_no_conflict(
    db: Session, kz_uz_days: KzUzDays, create_activity: ActivityFactory
) -> None:
    days = kz_uz_days
    create_activity(days.program, city=days.tashkent, leads=[days.surgeon])
    create_activity(
        days.program, city=days.samarkand, start="15:30", end="17:00", leads=[days.surgeon]
    )
    assert found(db, days) == []


def test_a_brigade_moving_faster_than_the_road_uses_the_estimate_without_a_row(
    db: Session, kz_uz_days: KzUzDays, create_activity: ActivityFactory
) -> None:
    days = kz_uz_days
    create_activity(days.program, city=days.tashkent, delegation=days.brigade)
    create_activity(
        days.program, city=days.bukhara, start="17:00", end="18:00", delegation=days.brigade
    )
    [move] = found(db, days)
    assert move.delegation is days.brigade
    assert move.person is None
    assert move.available_minutes == 6 * 60  # 11:00 in Tashkent to 17:00 in Bukhara, both UTC+5
    assert move.needed_minutes == derive_minutes(estimated_road_km(days.tashkent, days.bukhara))
    message = conflicts.describe(move, Translator("en"))
    assert message.startswith("Syzganov brigade cannot get from Tashkent to Bukhara in time")


def _transient(starts: datetime, city: City, lead: Person, room: Room, number: int) -> Activity:
    return Activity(
        id=number,
        titles={"en": f"A{number}"},
        status=ActivityStatus.PLANNED,
        city=city,
        city_id=city.id,
        room=room,
        room_id=room.id,
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        leads=[lead],
    )


def test_a_large_plan_is_swept_once_per_person_not_pair_by_pair() -> None:
    """Two thousand activities of ten leads: travel is asked once per consecutive pair."""
    cities = [
        City(id=1, names={"en": "A"}, latitude=41.3, longitude=69.2, timezone="Asia/Tashkent"),
        City(id=2, names={"en": "B"}, latitude=39.6, longitude=67.0, timezone="Asia/Samarkand"),
    ]
    leads = [Person(id=n, names={"en": f"Dr {n}"}) for n in range(10)]
    rooms = [Room(id=n, names={"en": f"Room {n}"}) for n in range(10)]
    start = datetime(2025, 10, 13, 3, tzinfo=UTC)
    activities = [
        _transient(
            start + timedelta(hours=2 * (n // 10)),
            cities[(n // 10) % 2],
            leads[n % 10],
            rooms[n % 10],
            n,
        )
        for n in range(2000)
    ]
    asked: list[tuple[int, int]] = []

    def travel(a: City, b: City) -> int:
        asked.append((a.id, b.id))
        return 90

    began = clock.perf_counter()
    result = conflicts.find(activities, travel)
    elapsed = clock.perf_counter() - began
    assert len(asked) == 10 * 199
    assert {c.kind for c in result} == {ConflictKind.TOO_FAST_MOVE}
    assert len(result) == 10 * 199
    assert elapsed < 2.0
