"""The directory: the places, institutions, rooms and people that programs are made of."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Table, UniqueConstraint, event
from sqlalchemy.orm import Mapped, Session, UOWTransaction, mapped_column, relationship

from hamkor.core.db import Base, Timestamped
from hamkor.core.i18n import search_text


class InstitutionKind(StrEnum):
    MINISTRY = "ministry"
    RESEARCH_CENTRE = "research_centre"
    HOSPITAL = "hospital"
    CLINIC = "clinic"
    UNIVERSITY = "university"
    PHARMA = "pharma"
    IT_COMPANY = "it_company"
    COMPANY = "company"
    GOVERNMENT_AGENCY = "government_agency"
    OTHER = "other"


class RoomKind(StrEnum):
    OPERATING_ROOM = "operating_room"
    CATH_LAB = "cath_lab"
    ENDOSCOPY_ROOM = "endoscopy_room"
    CONSULTATION_ROOM = "consultation_room"
    LECTURE_HALL = "lecture_hall"
    TRAINING_ROOM = "training_room"
    EXHIBITION_SPACE = "exhibition_space"


class Named:
    """Rows with a name per language or script, and one folded string to search all of them."""

    search: Mapped[str] = mapped_column(String(2000), default="")


@event.listens_for(Session, "before_flush")
def _fold_names(db: Session, _flush: UOWTransaction, _instances: object) -> None:
    """Keep ``search`` in step with ``names`` whoever writes them: a form, an import, the demo."""
    for obj in (*db.new, *db.dirty):
        if isinstance(obj, Named):
            code = getattr(obj, "code", None) or ""
            obj.search = f"{code.casefold()} {search_text(getattr(obj, 'names', None))}"[:2000]


class Country(Named, Base):
    """A country by its ISO 3166-1 alpha-2 code; names come from CLDR in every language."""

    __tablename__ = "countries"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(2), unique=True)
    names: Mapped[dict[str, str]]


class City(Named, Timestamped, Base):
    """A city where brigades work; its time zone is the one its activities are shown in."""

    __tablename__ = "cities"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(10), unique=True)
    country_id: Mapped[int] = mapped_column(ForeignKey("countries.id"), index=True)
    names: Mapped[dict[str, str]]
    latitude: Mapped[float]
    longitude: Mapped[float]
    timezone: Mapped[str] = mapped_column(String(64))

    country: Mapped[Country] = relationship(lazy="joined")


class TravelTime(Timestamped, Base):
    """Minutes to travel between two cities (either way); derived from road distance unless set.

    Stored once per pair with the lower city id first, so the matrix cannot disagree with itself.
    """

    __tablename__ = "travel_times"
    __table_args__ = (
        UniqueConstraint("from_city_id", "to_city_id"),
        CheckConstraint("from_city_id < to_city_id", name="ordered_pair"),
        CheckConstraint("minutes >= 0", name="minutes_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    from_city_id: Mapped[int] = mapped_column(ForeignKey("cities.id", ondelete="CASCADE"))
    to_city_id: Mapped[int] = mapped_column(ForeignKey("cities.id", ondelete="CASCADE"))
    road_km: Mapped[float | None]
    minutes: Mapped[int]
    is_manual: Mapped[bool] = mapped_column(default=False)

    from_city: Mapped[City] = relationship(foreign_keys=[from_city_id], lazy="joined")
    to_city: Mapped[City] = relationship(foreign_keys=[to_city_id], lazy="joined")


class Specialty(Named, Base):
    """A medical specialty of the controlled vocabulary, named in all five languages."""

    __tablename__ = "specialties"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    names: Mapped[dict[str, str]]


class Institution(Named, Timestamped, Base):
    """A ministry, centre, hospital or company that sends or hosts people and signs agreements."""

    __tablename__ = "institutions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[InstitutionKind] = mapped_column(String(30))
    country_id: Mapped[int] = mapped_column(ForeignKey("countries.id"), index=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id"), index=True)
    names: Mapped[dict[str, str]]
    #: Its IATI organisation identifier (``KZ-BIN-...``), named in the program's IATI file.
    org_identifier: Mapped[str] = mapped_column(String(100), default="", server_default="")

    country: Mapped[Country] = relationship(lazy="joined")
    city: Mapped[City] = relationship(lazy="joined")
    rooms: Mapped[list[Room]] = relationship(back_populates="institution", order_by="Room.code")


class Room(Named, Timestamped, Base):
    """A room of an institution where an activity can take place, with the people it holds."""

    __tablename__ = "rooms"
    __table_args__ = (
        UniqueConstraint("institution_id", "code"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institutions.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(40))
    kind: Mapped[RoomKind] = mapped_column(String(30))
    capacity: Mapped[int]
    names: Mapped[dict[str, str]]

    institution: Mapped[Institution] = relationship(back_populates="rooms", lazy="joined")


person_specialties = Table(
    "person_specialties",
    Base.metadata,
    Column("person_id", ForeignKey("people.id", ondelete="CASCADE"), primary_key=True),
    Column("specialty_id", ForeignKey("specialties.id", ondelete="CASCADE"), primary_key=True),
)


class Person(Named, Timestamped, Base):
    """A doctor, nurse, official or interpreter: a delegate, a host, a lead of activities."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str | None] = mapped_column(String(40), unique=True)
    names: Mapped[dict[str, str]]
    institution_id: Mapped[int | None] = mapped_column(
        ForeignKey("institutions.id", ondelete="SET NULL"), index=True
    )
    position: Mapped[dict[str, str]] = mapped_column(default=dict)
    languages: Mapped[list[str]] = mapped_column(default=list)
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), unique=True
    )

    institution: Mapped[Institution | None] = relationship(lazy="joined")
    specialties: Mapped[list[Specialty]] = relationship(
        secondary=person_specialties, lazy="selectin", order_by="Specialty.code"
    )
