"""What reports keep of their own: the targets a program sets, and whether its figures are public.

The figures themselves are never stored: they are counted from the other modules' rows when read.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hamkor.core.db import Base, Timestamped
from hamkor.programs.models import Program


class Target(Timestamped, Base):
    """The value a program means to reach for one indicator (150 delegates, 45 doctors trained)."""

    __tablename__ = "report_targets"
    __table_args__ = (
        UniqueConstraint("program_id", "indicator_key"),
        CheckConstraint("value >= 0", name="value_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    indicator_key: Mapped[str] = mapped_column(String(100))
    value: Mapped[int]

    program: Mapped[Program] = relationship()


class Publication(Base):
    """A program's figures published at a public address, by a coordinator; its row removed
    when they unpublish it, so the address answers 404 again."""

    __tablename__ = "report_publications"

    program_id: Mapped[int] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True
    )
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    published_at: Mapped[datetime]
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    program: Mapped[Program] = relationship(lazy="joined")
