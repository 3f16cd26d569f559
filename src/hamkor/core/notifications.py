"""Notifications: short messages to one user, read in the app and, if configured, by e-mail.

A notification keeps a message id of the catalogs and its values, not a text: it is rendered in
the reader's language when it is read, so a coordinator who switches to Kazakh reads last
week's notifications in Kazakh too. A value that is a name per language (``{"ru": ..., "kk":
...}``) is shown in the reader's language as well. The e-mail of the same message goes out from
a job in the recipient's language, so a slow mail server never slows the request that notified.

A notification is its recipient's alone: lists and changes filter on the user, not through the
access policies, under which a platform admin would read everyone's inbox.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import datetime
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import JSON, ForeignKey, Index, Select, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from hamkor.core import jobs, mail
from hamkor.core.access import NotFound
from hamkor.core.db import Base, utcnow
from hamkor.core.i18n import N_, Message, Translator, localized
from hamkor.core.models import User
from hamkor.settings import Settings, get_settings

log = logging.getLogger("hamkor.notifications")

EMAIL_JOB = "notifications.email"
#: The longest subject of a notification's e-mail; the whole message is in the body.
SUBJECT_MAX = 120

TEST_MESSAGE = N_(
    "A test notification. Sender: %(sender)s. If you read this, notifications reach you."
)


class Notification(Base):
    """A message for one user: what happened (a catalog message and its values), where to
    look (a path in the app), and whether they have read it and been e-mailed it.

    Its values may name patients, so the audit trail records that it changed, not its values.
    """

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_unread", "user_id", "read_at"),)
    __audit_values__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    message: Mapped[str] = mapped_column(String(500))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    link: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    emailed_at: Mapped[datetime | None]

    def render(self, language: str) -> str:
        """The message in ``language``, its values too where they are names per language."""
        params = {
            key: localized(value, language) if isinstance(value, dict) else value
            for key, value in self.params.items()
        }
        return Message(self.message, params).render(language)


def _relative(link: str | None) -> str | None:
    """A link must be a path of this app: a notification is no way to send people elsewhere."""
    if link is None:
        return None
    parts = urlsplit(link)
    if parts.scheme or parts.netloc or not link.startswith("/") or link.startswith("//"):
        raise ValueError("a notification links to a path of the app, such as /programs/1")
    if len(link) > 500:
        raise ValueError("a notification's link is at most 500 characters")
    return link


def notify(
    *, db: Session, user: User, message: Message, link: str | None = None, email: bool = True
) -> Notification:
    """Tell ``user`` something; e-mailed too (from a job) when they have an address, a mail
    server is configured and ``email`` is not turned off.

    ``message`` is a catalog message (``Message(N_("..."), {...})``) whose values are plain
    JSON: text, numbers, or a name per language. ``link`` is a path of the app.
    """
    params = dict(message.params)
    json.dumps(params)  # a value the database cannot keep fails here, in the caller's test
    notification = Notification(
        user_id=user.id, message=message.text, params=params, link=_relative(link)
    )
    db.add(notification)
    db.flush()
    if email and user.email and get_settings().smtp_url:
        jobs.enqueue(
            db=db,
            kind=EMAIL_JOB,
            payload={"notification_id": notification.id},
            created_by=None,
        )
    return notification


# --- the in-app centre ----------------------------------------------------------------------


def mine(user_id: int, *, unread_only: bool = False) -> Select[Any]:
    """The user's notifications, newest first (paged by the caller)."""
    stmt = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return stmt.order_by(Notification.id.desc())


def unread_count(db: Session, user_id: int) -> int:
    """How many of the user's notifications are unread (the number in the page header)."""
    count = db.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )
    return count or 0


def get_mine(db: Session, user_id: int, notification_id: int) -> Notification:
    """One of the user's notifications; 404 for anyone else's, whose existence is no business
    of theirs."""
    notification = db.get(Notification, notification_id)
    if notification is None or notification.user_id != user_id:
        raise NotFound(Notification.__tablename__, notification_id)
    return notification


def mark_read(*, db: Session, notification: Notification) -> Notification:
    """Mark one notification read (marking it again changes nothing)."""
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.flush()
    return notification


def mark_all_read(*, db: Session, user_id: int) -> int:
    """Mark every unread notification of the user read; how many were."""
    unread = db.scalars(mine(user_id, unread_only=True)).all()
    now = utcnow()
    for notification in unread:
        notification.read_at = now
    db.flush()
    return len(unread)


# --- e-mail ---------------------------------------------------------------------------------


def _subject(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= SUBJECT_MAX else line[: SUBJECT_MAX - 1].rstrip() + "…"


def compose(notification: Notification, user: User, settings: Settings) -> EmailMessage:
    """The e-mail of a notification, in the recipient's language."""
    assert user.email is not None
    translator = Translator(user.language or settings.default_language)
    text = notification.render(translator.language)
    base = settings.public_base_url.rstrip("/")
    lines = [text, ""]
    if notification.link:
        lines += [translator.gettext(N_("Open in Hamkor:")) + f" {base}{notification.link}", ""]
    lines += [
        "-- ",
        translator.gettext(
            N_(
                "You receive this e-mail because you have an account on Hamkor. "
                "All your notifications: %(address)s"
            ),
            address=f"{base}/notifications",
        ),
    ]
    return mail.compose(
        sender=settings.mail_from,
        recipient=user.email,
        recipient_name=user.display_name,
        subject=_subject(text),
        body="\n".join(lines),
        language=translator.language,
    )


def email_job(context: jobs.JobContext) -> dict[str, Any]:
    """Send a notification's e-mail once: the row is locked, the e-mail sent and the row marked
    e-mailed in one transaction, and a notification already marked is skipped, so a job run
    twice (a retry after a crash) sends nothing more. A server that refuses (or is down)
    leaves it to be tried again later, as the kind is repeatable, up to its attempts."""
    return send_email(context.sessions, context.payload, get_settings())


def send_email(
    sessions: jobs.Sessions, payload: Mapping[str, Any], settings: Settings
) -> dict[str, Any]:
    """The work of :func:`email_job`, with the settings given."""
    notification_id = int(payload["notification_id"])
    with sessions.begin() as db:
        notification = db.scalar(
            select(Notification).where(Notification.id == notification_id).with_for_update()
        )
        if notification is None or notification.emailed_at is not None:
            return {"sent": False}
        user = db.get(User, notification.user_id)
        if user is None or not user.email or not settings.smtp_url:
            return {"sent": False}
        mail.send(mail.parse_url(settings.smtp_url), compose(notification, user, settings))
        notification.emailed_at = utcnow()
    return {"sent": True}
