"""Agreements: what institutions bind themselves to, the roadmap that says what they promised,
and the exhibition stands and awards of a program (issue 17)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hamkor.core.db import Base, Timestamped, utcnow
from hamkor.directory.models import Institution, Named, Person
from hamkor.programs.models import Activity, Program


class AgreementKind(StrEnum):
    MEMORANDUM = "memorandum"
    COOPERATION_CONTRACT = "cooperation_contract"
    EXTENSION = "extension"
    AMENDMENT = "amendment"
    ROADMAP = "roadmap"
    OTHER = "other"


#: The kinds that are a new version of a parent agreement rather than an agreement of their own.
VERSION_KINDS = (AgreementKind.EXTENSION, AgreementKind.AMENDMENT)


class AgreementStatus(StrEnum):
    DRAFT = "draft"
    NEGOTIATING = "negotiating"
    SIGNED = "signed"
    IN_FORCE = "in_force"
    EXPIRED = "expired"
    TERMINATED = "terminated"


class Confidentiality(StrEnum):
    """Who may read an agreement: the people of its parties only, or every user of its program."""

    PARTIES = "parties"
    PROGRAM = "program"


class ItemStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


class DueAlert(StrEnum):
    """What the daily check found of an open roadmap item's due date."""

    DUE_SOON = "due_soon"
    OVERDUE = "overdue"


class Agreement(Named, Timestamped, Base):
    """A memorandum, cooperation contract, roadmap, or an extension or amendment of one.

    An extension or amendment points at its ``parent`` and carries the validity that now holds:
    the agreement's history reads as the chain of versions from the first to the latest.
    """

    __tablename__ = "agreements"
    __table_args__ = (
        CheckConstraint(
            "valid_until IS NULL OR valid_from IS NULL OR valid_until >= valid_from",
            name="valid_until_after_from",
        ),
        CheckConstraint("notice_days IS NULL OR notice_days >= 0", name="notice_not_negative"),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[AgreementKind] = mapped_column(String(30))
    status: Mapped[AgreementStatus] = mapped_column(String(20), default=AgreementStatus.DRAFT)
    titles: Mapped[dict[str, str]]
    summaries: Mapped[dict[str, str]] = mapped_column(default=dict)
    topics: Mapped[list[str]] = mapped_column(default=list)
    valid_from: Mapped[date | None]
    valid_until: Mapped[date | None]
    renewal_terms: Mapped[str] = mapped_column(String(4000), default="")
    notice_days: Mapped[int | None]
    confidentiality: Mapped[Confidentiality] = mapped_column(
        String(20), default=Confidentiality.PROGRAM
    )
    program_id: Mapped[int | None] = mapped_column(
        ForeignKey("programs.id", ondelete="SET NULL"), index=True
    )
    ceremony_activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("activities.id", ondelete="SET NULL"), index=True
    )
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("agreements.id", ondelete="RESTRICT"), index=True
    )
    #: The day the roadmap was approved, when its items' baseline due dates were frozen.
    roadmap_approved_on: Mapped[date | None]

    program: Mapped[Program | None] = relationship()
    ceremony_activity: Mapped[Activity | None] = relationship()
    parent: Mapped[Agreement | None] = relationship(remote_side=[id])
    parties: Mapped[list[AgreementParty]] = relationship(
        back_populates="agreement", cascade="all, delete-orphan", order_by="AgreementParty.id"
    )
    items: Mapped[list[RoadmapItem]] = relationship(
        back_populates="agreement", order_by="RoadmapItem.due_on, RoadmapItem.id"
    )

    @property
    def names(self) -> dict[str, str]:
        """The title, under the name the directory's search folding reads."""
        return self.titles

    @property
    def __audit_values__(self) -> bool:
        """A confidential agreement's values stay out of the audit trail: auditors read the
        trail and are no party to it (issue 22). Its versions keep its history."""
        return self.confidentiality != Confidentiality.PARTIES


class AgreementParty(Base):
    """An institution bound by an agreement, with who signed for it and when."""

    __tablename__ = "agreement_parties"
    __table_args__ = (UniqueConstraint("agreement_id", "institution_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("agreements.id", ondelete="CASCADE"), index=True
    )
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    signer_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    #: The signer as written on the document (a person need not be in the directory).
    signer_name: Mapped[str] = mapped_column(String(300), default="")
    signed_on: Mapped[date | None]

    agreement: Mapped[Agreement] = relationship(back_populates="parties")
    institution: Mapped[Institution] = relationship(lazy="joined")
    signer_person: Mapped[Person | None] = relationship(lazy="joined")


class AgreementStatusChange(Base):
    """One step of an agreement's status, by whom (none: the daily check) and when."""

    __tablename__ = "agreement_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("agreements.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[AgreementStatus | None] = mapped_column(String(20))
    to_status: Mapped[AgreementStatus] = mapped_column(String(20))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(String(300), default="")


roadmap_item_activities = Table(
    "roadmap_item_activities",
    Base.metadata,
    Column("item_id", ForeignKey("roadmap_items.id", ondelete="CASCADE"), primary_key=True),
    Column("activity_id", ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True),
)


class RoadmapItem(Timestamped, Base):
    """A joint project an agreement promises: who owns it, when it is due, how far it got.

    ``baseline_due_on`` is the due date frozen when the roadmap was approved, so that a due date
    moved later still shows the slip; ``alert`` is what the daily check last found, so that it
    notifies the owner once per change, however often it runs.
    """

    __tablename__ = "roadmap_items"
    __table_args__ = (CheckConstraint("percent BETWEEN 0 AND 100", name="percent_in_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("agreements.id", ondelete="CASCADE"), index=True
    )
    titles: Mapped[dict[str, str]]
    owner_institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    owner_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    due_on: Mapped[date] = mapped_column(index=True)
    baseline_due_on: Mapped[date | None]
    status: Mapped[ItemStatus] = mapped_column(String(20), default=ItemStatus.PLANNED)
    percent: Mapped[int] = mapped_column(default=0)
    alert: Mapped[DueAlert | None] = mapped_column(String(20))
    #: Set when an amendment's shorter validity left the item due after the agreement ends.
    outside_validity: Mapped[bool] = mapped_column(default=False)

    agreement: Mapped[Agreement] = relationship(back_populates="items")
    owner_institution: Mapped[Institution] = relationship(lazy="joined")
    owner_person: Mapped[Person | None] = relationship(lazy="joined")
    activities: Mapped[list[Activity]] = relationship(
        secondary=roadmap_item_activities, order_by="Activity.starts_at"
    )
    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="item", cascade="all, delete-orphan", order_by="Milestone.due_on"
    )
    indicators: Mapped[list[IndicatorLink]] = relationship(
        back_populates="item", cascade="all, delete-orphan", order_by="IndicatorLink.id"
    )

    @property
    def names(self) -> dict[str, str]:
        return self.titles


class Milestone(Base):
    """A step of a roadmap item with its own date: a first joint paper, a first exchange."""

    __tablename__ = "roadmap_milestones"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("roadmap_items.id", ondelete="CASCADE"), index=True
    )
    titles: Mapped[dict[str, str]]
    due_on: Mapped[date]
    done_on: Mapped[date | None]

    item: Mapped[RoadmapItem] = relationship(back_populates="milestones")


class IndicatorLink(Base):
    """A report indicator (by its key; the reports module reads these) that a roadmap item
    moves, with its target and actual value for one period (``2025``, ``2026-Q1``)."""

    __tablename__ = "roadmap_indicators"
    __table_args__ = (UniqueConstraint("item_id", "indicator_key", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("roadmap_items.id", ondelete="CASCADE"), index=True
    )
    indicator_key: Mapped[str] = mapped_column(String(100))
    period: Mapped[str] = mapped_column(String(20))
    target: Mapped[float]
    actual: Mapped[float | None]

    item: Mapped[RoadmapItem] = relationship(back_populates="indicators")


class ExhibitionStand(Timestamped, Base):
    """A stand of a program's exhibition: who shows what (the "KazNIITO" hip endoprosthesis)."""

    __tablename__ = "exhibition_stands"
    __table_args__ = (UniqueConstraint("program_id", "stand"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("activities.id", ondelete="SET NULL")
    )
    stand: Mapped[str] = mapped_column(String(40))
    exhibits: Mapped[dict[str, str]]

    institution: Mapped[Institution] = relationship(lazy="joined")


class Award(Timestamped, Base):
    """An award conferred during a program: a badge of honour, an honorary professorship."""

    __tablename__ = "awards"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    titles: Mapped[dict[str, str]]
    recipient_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    recipient_name: Mapped[str] = mapped_column(String(300))
    conferred_by_institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    conferred_on: Mapped[date]
    ceremony_activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("activities.id", ondelete="SET NULL")
    )

    conferred_by: Mapped[Institution] = relationship(lazy="joined")
