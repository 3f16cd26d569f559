"""What every module's demo shares, and the core's own demo rows.

The demo is loaded in one transaction by ``hamkor.demo.loader``, which calls each module's
``demo.py`` in turn; they tally what they add in one :class:`DemoSummary` and find rows by code
through one :class:`DemoLoader`, so a second run adds nothing. The core's rows are the demo's
users, one per role, with the password the README gives.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hamkor.core.db import Base
from hamkor.core.models import Membership, Role, User
from hamkor.core.users import create_user

DEMO_PASSWORD = "hamkor-demo"
ModelT = TypeVar("ModelT", bound=Base)


@dataclass
class DemoSummary:
    """What a load added, by kind of record (all zero on a second run)."""

    added: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str) -> None:
        self.added[kind] = self.added.get(kind, 0) + 1

    @property
    def total(self) -> int:
        return sum(self.added.values())


class DemoLoader:
    """The demo's session and tally, lent to each module's demo."""

    def __init__(self, db: Session, summary: DemoSummary) -> None:
        self.db = db
        self.summary = summary

    def by_code(self, model: type[ModelT], code: str) -> ModelT | None:
        """The row of ``model`` with this code, if an earlier run made it."""
        return self.db.scalars(select(model).where(model.__table__.c.code == code)).first()

    def add(self, obj: Base) -> None:
        self.db.add(obj)
        self.summary.count(obj.__tablename__)

    @contextmanager
    def tally(self, models: Sequence[type[Base]]) -> Iterator[None]:
        """Count what the block adds to the tables of ``models``: rows a module's demo makes
        through services, which this loader's ``add`` does not see."""
        before = self._counts(models)
        yield
        for table, count in self._counts(models).items():
            if count > before[table]:
                added = self.summary.added.get(table, 0)
                self.summary.added[table] = added + count - before[table]

    def _counts(self, models: Sequence[type[Base]]) -> dict[str, int]:
        return {
            model.__tablename__: self.db.scalar(select(func.count()).select_from(model)) or 0
            for model in models
        }


# The demo's users: (username, display name, role, institution code, program code). The
# specialist and the trainee are people of the directory's demo, named as they are there.
_USERS = (
    ("admin", "Timur Saidov", Role.PLATFORM_ADMIN, None, None),
    ("coordinator", "Dilnoza Karimova", Role.PROGRAM_COORDINATOR, None, "KZ-UZ-2025"),
    ("ministry", "Aziz Rakhimov", Role.PROGRAM_COORDINATOR, None, None),
    ("vakhidov", "Jasur Tursunov", Role.INSTITUTION_COORDINATOR, "VAKHIDOV", None),
    ("registrar", "Nodira Alimova", Role.REGISTRAR, "VAKHIDOV", None),
    ("specialist", "Serikbayev Askhat", Role.SPECIALIST, "SYZGANOV", None),
    ("trainee", "Karimov Otabek", Role.TRAINEE, "SAMSMU_CLINIC", None),
    ("auditor", "Gulnara Abenova", Role.AUDITOR, None, None),
)


def load_users(
    loader: DemoLoader, institutions: Mapping[str, int], programs: Mapping[str, int]
) -> None:
    """The demo's users, one per role, each with a membership in the institution or program
    (given by code, as ids) that the role is scoped to."""
    for username, display_name, role, institution, program in _USERS:
        if loader.db.scalar(select(User.id).where(User.username == username)) is not None:
            continue
        user = create_user(
            loader.db, username=username, password=DEMO_PASSWORD, display_name=display_name
        )
        loader.summary.count("users")
        loader.add(
            Membership(
                user=user,
                role=role,
                institution_id=institutions[institution] if institution else None,
                program_id=programs[program] if program else None,
            )
        )
