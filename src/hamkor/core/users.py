"""Creating users and granting roles: shared by the CLI, the demo and the tests."""

from __future__ import annotations

import re

from sqlalchemy import column, select, table
from sqlalchemy.orm import Session

from hamkor.core.errors import UserError
from hamkor.core.i18n import LANGUAGES, N_
from hamkor.core.models import Membership, Role, User
from hamkor.core.security import hash_password

MIN_PASSWORD_LENGTH = 8
#: The longest user name an account has (the column's width).
USERNAME_MAX = 80
#: The longest password taken: far past any a person types, short enough to hash at once.
PASSWORD_MAX = 256
#: The longest name a user is shown by (the column's width).
DISPLAY_NAME_MAX = 200
EMAIL_MAX = 254  # RFC 5321's longest path
# One @, no spaces or angle brackets, a dot in the domain: the address notifications are
# e-mailed to is checked for typos, not for deliverability (only sending tells that).
_EMAIL = re.compile(r"[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;.]+")


def checked_email(value: str | None) -> str | None:
    """An e-mail address as typed, trimmed; None when blank; refused when it cannot be one."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if len(value) > EMAIL_MAX or not _EMAIL.fullmatch(value):
        raise UserError.one("email", N_("Enter a valid e-mail address."))
    return value


def create_user(
    db: Session,
    *,
    username: str,
    password: str,
    display_name: str,
    language: str | None = None,
    email: str | None = None,
) -> User:
    """A new active user; refuses a taken name, a short password and an unknown language."""
    username = username.strip()
    if not username:
        raise UserError.one("username", N_("This field is required."))
    for field, value, limit in (
        ("username", username, USERNAME_MAX),
        ("password", password, PASSWORD_MAX),
        ("display_name", display_name, DISPLAY_NAME_MAX),
    ):
        if len(value) > limit:
            raise UserError.one(
                field, N_("Must be at most %(max_length)s characters."), max_length=limit
            )
    if db.scalar(select(User.id).where(User.username == username)) is not None:
        raise UserError.one("username", N_("The user name %(value)s is taken."), value=username)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError.one(
            "password",
            N_("Must be at least %(min_length)s characters."),
            min_length=MIN_PASSWORD_LENGTH,
        )
    if language is not None and language not in LANGUAGES:
        raise UserError.one("language", N_("Choose one of the offered values."))
    user = User(
        username=username,
        password_hash=hash_password(password),
        display_name=display_name,
        language=language,
        email=checked_email(email),
    )
    db.add(user)
    db.flush()
    return user


def set_email(db: Session, *, user: User, email: str | None) -> User:
    """Give ``user`` the address their notifications are e-mailed to (blank: none)."""
    user.email = checked_email(email)
    db.flush()
    return user


def _id_by_code(db: Session, table_name: str, code: str, field: str) -> int:
    # By table name, so that the core needs no import of the modules that own these tables.
    rows = table(table_name, column("id"), column("code"))
    found = db.scalar(select(rows.c.id).where(rows.c.code == code))
    if found is None:
        raise UserError.one(field, N_("Nothing with the code %(value)s exists."), value=code)
    return int(found)


def grant(
    db: Session,
    *,
    user: User,
    role: Role,
    institution_code: str | None = None,
    program_code: str | None = None,
) -> Membership:
    """Grant ``role`` to ``user``: everywhere, or in one institution or program given by code."""
    membership = Membership(
        user=user,
        role=role,
        institution_id=_id_by_code(db, "institutions", institution_code, "institution")
        if institution_code
        else None,
        program_id=_id_by_code(db, "programs", program_code, "program") if program_code else None,
    )
    db.add(membership)
    db.flush()
    return membership
