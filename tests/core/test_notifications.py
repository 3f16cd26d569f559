"""Notifications: rendered in the reader's language when read, counted in the page header,
marked read one by one or all at once, each user's own."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hamkor.core import notifications
from hamkor.core.i18n import Message
from hamkor.core.jobs import Job
from hamkor.core.models import User
from tests.fixtures.core import ClientFactory, UserFactory, csrf_of

MINISTRY = {
    "ru": "Министерство здравоохранения",
    "kk": "Денсаулық сақтау министрлігі",
    "en": "Ministry of Health",
}
_UNREAD = re.compile(r'<span class="badge unread" aria-hidden="true">(\d+)</span>')


def _notify(db: Session, user: User, link: str | None = "/notifications") -> int:
    notification = notifications.notify(
        db=db,
        user=user,
        message=Message(notifications.TEST_MESSAGE, {"sender": MINISTRY}),
        link=link,
    )
    db.commit()
    return notification.id


def _unread_in_header(page: str) -> int | None:
    found = _UNREAD.search(page)
    return int(found.group(1)) if found else None


def test_the_same_notification_reads_in_russian_then_in_kazakh(
    db: Session, create_user: UserFactory, client_for: ClientFactory
) -> None:
    reader = create_user(language="ru")
    _notify(db, reader)
    client = client_for(reader)

    russian = client.get("/api/v1/notifications").json()["items"][0]["message"]
    reader.language = "kk"
    db.commit()
    kazakh = client.get("/api/v1/notifications").json()["items"][0]["message"]

    assert russian.startswith("Тестовое уведомление. Отправитель: Министерство здравоохранения.")
    assert kazakh.startswith("Сынақ хабарламасы. Жіберуші: Денсаулық сақтау министрлігі.")


def test_the_header_counts_the_unread_notifications(
    db: Session, create_user: UserFactory, client_for: ClientFactory
) -> None:
    reader = create_user()
    _notify(db, reader)
    _notify(db, reader)

    page = client_for(reader).get("/programs")

    assert _unread_in_header(page.text) == 2


def test_a_notification_marked_read_leaves_the_count(
    db: Session, create_user: UserFactory, client_for: ClientFactory
) -> None:
    reader = create_user()
    first = _notify(db, reader)
    _notify(db, reader)
    client = client_for(reader)
    token = csrf_of(client.get("/notifications").text)

    marked = client.post(
        f"/notifications/{first}/read", data={"csrf_token": token}, follow_redirects=False
    )

    assert marked.status_code == 303
    assert _unread_in_header(client.get("/notifications").text) == 1


def test_mark_all_read_empties_the_count(
    db: Session, create_user: UserFactory, client_for: ClientFactory
) -> None:
    reader = create_user()
    _notify(db, reader)
    _notify(db, reader)
    client = client_for(reader)
    token = csrf_of(client.get("/notifications").text)

    client.post("/notifications/read", data={"csrf_token": token})

    assert _unread_in_header(client.get("/notifications").text) is None
    assert notifications.unread_count(db, reader.id) == 0


def test_opening_a_notification_marks_it_read_and_follows_its_link(
    db: Session, create_user: UserFactory, client_for: ClientFactory
) -> None:
    reader = create_user()
    notification_id = _notify(db, reader, link="/programs")
    client = client_for(reader)
    token = csrf_of(client.get("/notifications").text)

    opened = client.post(
        f"/notifications/{notification_id}/open",
        data={"csrf_token": token},
        follow_redirects=False,
    )

    assert (opened.status_code, opened.headers["location"]) == (303, "/programs")
    assert notifications.unread_count(db, reader.id) == 0


def test_marking_read_without_the_forms_token_is_refused(
    db: Session, create_user: UserFactory, client_for: ClientFactory
) -> None:
    reader = create_user()
    notification_id = _notify(db, reader)

    refused = client_for(reader).post(f"/notifications/{notification_id}/read", data={})

    assert refused.status_code == 400
    assert notifications.unread_count(db, reader.id) == 1


def test_the_api_marks_one_read(
    db: Session, create_user: UserFactory, client_for: ClientFactory
) -> None:
    reader = create_user()
    notification_id = _notify(db, reader)
    client = client_for(reader)
    token = csrf_of(client.get("/notifications").text)

    marked = client.post(
        f"/api/v1/notifications/{notification_id}/read", headers={"X-CSRF-Token": token}
    )
    listed = client.get("/api/v1/notifications").json()

    assert marked.status_code == 200
    assert marked.json()["read"] is True
    assert (listed["total"], listed["unread"]) == (1, 0)


def test_the_api_lists_the_unread_only_when_asked(
    db: Session, create_user: UserFactory, client_for: ClientFactory
) -> None:
    reader = create_user()
    first = _notify(db, reader)
    second = _notify(db, reader)
    notifications.mark_read(db=db, notification=notifications.get_mine(db, reader.id, first))
    db.commit()

    listed = client_for(reader).get("/api/v1/notifications", params={"unread": True}).json()

    assert [item["id"] for item in listed["items"]] == [second]


def test_nobody_reads_or_marks_anothers_notifications(
    db: Session, create_user: UserFactory, client_for: ClientFactory, admin: User
) -> None:
    reader = create_user()
    notification_id = _notify(db, reader)
    client = client_for(admin)
    token = csrf_of(client.get("/notifications").text)

    listed = client.get("/api/v1/notifications").json()
    marked = client.post(
        f"/api/v1/notifications/{notification_id}/read", headers={"X-CSRF-Token": token}
    )

    assert listed["items"] == []
    assert marked.status_code == 404
    assert notifications.unread_count(db, reader.id) == 1


@pytest.mark.parametrize("link", ["https://phish.example/login", "//phish.example", "programs"])
def test_a_notification_links_only_into_the_app(
    db: Session, create_user: UserFactory, link: str
) -> None:
    with pytest.raises(ValueError, match="path of the app"):
        _notify(db, create_user(), link=link)


def test_no_email_is_queued_without_a_mail_server(db: Session, create_user: UserFactory) -> None:
    reader = create_user()
    reader.email = "reader@hamkor.example"

    _notify(db, reader)

    assert db.query(Job).count() == 0


def test_the_notifications_page_needs_a_login(app_client: TestClient) -> None:
    response = app_client.get("/notifications", follow_redirects=False)

    assert response.status_code == 303
