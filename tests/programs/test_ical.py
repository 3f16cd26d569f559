"""iCalendar feeds: what calendar apps import, parsed back as they would parse it."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime
from typing import Any

from fastapi.testclient import TestClient
from icalendar import Calendar
from sqlalchemy.orm import Session

from hamkor.core.models import Role
from hamkor.core.security import feed_key, hash_password, new_api_token
from hamkor.programs.models import ActivityStatus
from hamkor.settings import Settings
from tests.fixtures.core import ClientFactory, UserFactory
from tests.fixtures.programs import ActivityFactory, KzUzDays


def events(body: bytes) -> list[Any]:
    return list(Calendar.from_ical(body).walk("VEVENT"))


def test_the_program_feed_parses_back_with_one_event_per_activity(
    client_for: ClientFactory, kz_uz_days: KzUzDays, create_activity: ActivityFactory, db: Session
) -> None:
    days = kz_uz_days
    first = create_activity(
        days.program,
        city=days.tashkent,
        room=days.operating_room,
        leads=[days.surgeon],
        specialty=days.cardiac_surgery,
        status=ActivityStatus.CONFIRMED,
    )
    first.titles = {"en": "Off-pump bypass", "ru": "Шунтирование на работающем сердце"}
    second = create_activity(
        days.program,
        city=days.samarkand,
        day=date(2025, 10, 15),
        status=ActivityStatus.CANCELLED,
    )
    db.commit()
    response = client_for(days.coordinator).get(f"/programs/{days.program.id}/calendar.ics?lang=ru")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    assert b"VTIMEZONE" not in response.content
    parsed = events(response.content)
    assert [str(e["uid"]) for e in parsed] == [
        f"activity-{first.id}@hamkor",
        f"activity-{second.id}@hamkor",
    ]
    event = parsed[0]
    assert event.decoded("dtstart") == datetime(2025, 10, 13, 4, 0, tzinfo=UTC)
    assert event.decoded("dtend") == datetime(2025, 10, 13, 6, 0, tzinfo=UTC)
    assert b"DTSTART:20251013T040000Z" in response.content
    assert str(event["summary"]) == "Шунтирование на работающем сердце"
    assert str(event["location"]) == "Operating room 1, Центр хирургии им. Вахидова, Ташкент"
    assert "Кардиохирургия" in str(event["description"])
    assert "Dr Aidos Bekov" in str(event["description"])
    assert str(event["status"]) == "CONFIRMED"
    assert str(parsed[1]["status"]) == "CANCELLED"
    english = events(
        client_for(days.coordinator)
        .get(f"/programs/{days.program.id}/calendar.ics", headers={"accept-language": "en"})
        .content
    )
    assert str(english[0]["summary"]) == "Off-pump bypass"
    assert [c.to_ical() for c in english[0]["categories"].cats] == [b"Master class"]


def test_a_persons_feed_has_what_they_lead_and_what_their_brigade_does(
    client_for: ClientFactory, kz_uz_days: KzUzDays, create_activity: ActivityFactory
) -> None:
    days = kz_uz_days
    led = create_activity(days.program, city=days.tashkent, leads=[days.surgeon])
    brigades = create_activity(
        days.program, city=days.tashkent, day=date(2025, 10, 14), delegation=days.brigade
    )
    create_activity(days.program, city=days.tashkent, day=date(2025, 10, 15))
    client = client_for(days.coordinator)
    feed = client.get(f"/programs/{days.program.id}/people/{days.surgeon.id}/calendar.ics")
    assert [str(e["uid"]) for e in events(feed.content)] == [
        f"activity-{led.id}@hamkor",
        f"activity-{brigades.id}@hamkor",
    ]


def test_the_person_feed_over_all_programs_keeps_to_what_the_reader_may_see(
    app_client: TestClient,
    db: Session,
    kz_uz_days: KzUzDays,
    create_program: Any,
    create_activity: ActivityFactory,
    create_user: UserFactory,
) -> None:
    days = kz_uz_days
    other = create_program()
    seen = create_activity(days.program, city=days.tashkent, leads=[days.surgeon])
    create_activity(other, city=days.tashkent, leads=[days.surgeon])
    _token, secret = new_api_token(db, user=days.coordinator, name="phone", scopes=["read"])
    db.commit()
    url = f"/people/{days.surgeon.id}/calendar.ics"
    feed = app_client.get(url, headers={"authorization": f"Bearer {secret}"})
    assert feed.status_code == 200
    assert [str(e["uid"]) for e in events(feed.content)] == [f"activity-{seen.id}@hamkor"]
    everything = create_user(Role.AUDITOR)
    _token, secret = new_api_token(db, user=everything, name="audit", scopes=["read"])
    db.commit()
    wider = app_client.get(url, headers={"authorization": f"Bearer {secret}"})
    assert len(events(wider.content)) == 2


def test_feeds_need_a_session_or_a_token(app_client: TestClient, kz_uz_days: KzUzDays) -> None:
    assert app_client.get(f"/programs/{kz_uz_days.program.id}/calendar.ics").status_code == 401
    bad = {"authorization": "Bearer hk_nonsense"}
    url = f"/people/{kz_uz_days.surgeon.id}/calendar.ics"
    assert app_client.get(url, headers=bad).status_code == 401


def test_a_calendar_app_subscribes_with_the_signed_address(
    app_client: TestClient,
    client_for: ClientFactory,
    kz_uz_days: KzUzDays,
    create_activity: ActivityFactory,
    db: Session,
) -> None:
    days = kz_uz_days
    create_activity(days.program, city=days.tashkent)
    db.commit()
    overview = client_for(days.coordinator).get(f"/programs/{days.program.id}")
    found = re.search(r'href="(/programs/\d+/calendar\.ics\?key=[^"]+)"', overview.text)
    assert found is not None
    address = html.unescape(found.group(1))
    # A calendar app has no session and sends no header: the address alone is enough.
    feed = app_client.get(address)
    assert feed.status_code == 200
    assert len(events(feed.content)) == 1
    assert app_client.get(address[:-3] + "xyz").status_code == 401


def test_changing_the_password_revokes_feed_addresses(
    app_client: TestClient, kz_uz_days: KzUzDays, settings: Settings, db: Session
) -> None:
    days = kz_uz_days
    key = feed_key(settings.resolved_secret_key(), days.coordinator)
    address = f"/programs/{days.program.id}/calendar.ics?key={key}"
    assert app_client.get(address).status_code == 200
    days.coordinator.password_hash = hash_password("a brand new password")
    db.commit()
    assert app_client.get(address).status_code == 401


def test_a_feed_key_reaches_only_what_its_user_may_see(
    app_client: TestClient,
    kz_uz_days: KzUzDays,
    create_user: UserFactory,
    settings: Settings,
) -> None:
    outsider = create_user(Role.TRAINEE)
    key = feed_key(settings.resolved_secret_key(), outsider)
    response = app_client.get(f"/programs/{kz_uz_days.program.id}/calendar.ics?key={key}")
    assert response.status_code == 403
