"""Notification e-mail: sent by a job to a real SMTP server on loopback, in the recipient's
language, once however often the job runs; and the mail server's URL, read once."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hamkor.core import jobs, mail, notifications
from hamkor.core.i18n import Message
from hamkor.core.jobs import Job
from hamkor.core.models import User
from hamkor.core.users import set_email
from hamkor.settings import Settings, get_settings
from tests.fixtures.core import UserFactory
from tests.fixtures.mail import Inbox

MINISTRY = {"ru": "Министерство здравоохранения", "kk": "Денсаулық сақтау министрлігі"}


@pytest.fixture
def kazakh_reader(db: Session, create_user: UserFactory) -> User:
    reader = create_user(username="aigerim", language="kk")
    reader.display_name = "Айгерім Сейітова"
    set_email(db, user=reader, email="aigerim@hamkor.example")
    db.commit()
    return reader


def _notify(db: Session, user: User) -> notifications.Notification:
    notification = notifications.notify(
        db=db,
        user=user,
        message=Message(notifications.TEST_MESSAGE, {"sender": MINISTRY}),
        link="/programs/7",
    )
    db.commit()
    return notification


def test_the_job_emails_the_notification_in_the_recipients_language(
    db: Session, session_factory: sessionmaker[Session], mail_server: Inbox, kazakh_reader: User
) -> None:
    _notify(db, kazakh_reader)

    job_id = jobs.run_next(session_factory, "test:1")

    assert job_id is not None
    (message,) = mail_server.messages
    assert mail_server.recipients == [["aigerim@hamkor.example"]]
    assert message["To"] == "Айгерім Сейітова <aigerim@hamkor.example>"
    assert message["Subject"].startswith("Сынақ хабарламасы. Жіберуші: Денсаулық сақтау")
    assert message["Content-Language"] == "kk"
    body = message.get_content()
    assert "https://hamkor.example/programs/7" in body
    assert "Денсаулық сақтау министрлігі" in body


def test_the_email_goes_once_when_the_job_runs_twice(
    db: Session, session_factory: sessionmaker[Session], mail_server: Inbox, kazakh_reader: User
) -> None:
    notification = _notify(db, kazakh_reader)
    job = db.scalars(select(Job).where(Job.kind == notifications.EMAIL_JOB)).one()
    context = jobs.JobContext(
        job_id=job.id,
        payload={"notification_id": notification.id},
        created_by=None,
        sessions=session_factory,
        progress=jobs.Progress(session_factory, job.id, attempt=1),
    )

    first = notifications.email_job(context)
    second = notifications.email_job(context)

    assert (first, second) == ({"sent": True}, {"sent": False})
    assert len(mail_server.messages) == 1
    db.expire_all()
    assert db.get_one(notifications.Notification, notification.id).emailed_at is not None


def test_a_user_without_an_address_is_notified_in_the_app_only(
    db: Session, mail_server: Inbox, create_user: UserFactory
) -> None:
    _notify(db, create_user())

    assert db.scalars(select(Job)).all() == []


def test_a_server_that_is_down_queues_the_job_again_and_marks_nothing(
    db: Session,
    session_factory: sessionmaker[Session],
    kazakh_reader: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HAMKOR_SMTP_URL", "smtp://127.0.0.1:1")
    get_settings.cache_clear()
    try:
        notification = _notify(db, kazakh_reader)
        job_id = jobs.run_next(session_factory, "test:1")
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()

    db.expire_all()
    job = db.get_one(Job, job_id)
    assert (job.status, job.attempts, job.max_attempts) == (jobs.JobStatus.QUEUED, 1, 3)
    assert job.run_after is not None
    assert db.get_one(notifications.Notification, notification.id).emailed_at is None


@pytest.mark.parametrize(
    ("url", "server"),
    [
        ("smtp://relay.local", mail.SmtpServer("relay.local", 25, mail.Security.NONE)),
        (
            "smtp+starttls://hamkor%40moh.uz:p%40ss@mail.moh.uz",
            mail.SmtpServer("mail.moh.uz", 587, mail.Security.STARTTLS, "hamkor@moh.uz", "p@ss"),
        ),
        ("smtps://mail.moh.kz:2465", mail.SmtpServer("mail.moh.kz", 2465, mail.Security.TLS)),
    ],
)
def test_the_mail_server_url_names_host_port_security_and_login(
    url: str, server: mail.SmtpServer
) -> None:
    assert mail.parse_url(url) == server


def test_a_mail_server_url_of_another_scheme_stops_the_settings() -> None:
    with pytest.raises(ValidationError, match="must start with one of"):
        Settings(smtp_url="http://mail.moh.uz")


def test_the_password_is_not_in_the_servers_repr() -> None:
    assert "secret" not in repr(mail.parse_url("smtps://user:secret@mail.moh.uz"))
