"""The filters of the directory's lists: one definition per list serves the page and the API.

Each filter is a Pydantic model read from the query string (blank fields mean "any") with an
``apply`` that narrows a query, so a list page and its API twin can never filter differently.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Select, String, and_, or_
from sqlalchemy.orm import InstrumentedAttribute

from hamkor.core.forms import MAX_ID, BlankIsNone
from hamkor.core.i18n import spellings
from hamkor.core.text import SearchQuery
from hamkor.directory.models import (
    City,
    Country,
    Institution,
    InstitutionKind,
    Named,
    Person,
    Room,
    RoomKind,
    Specialty,
    TravelTime,
)

#: A record's id to filter by; one past what the database's keys hold is refused, not sent.
OptionalId = Annotated[Annotated[int, Field(ge=1, le=MAX_ID)] | None, BlankIsNone]
OptionalCount = Annotated[Annotated[int, Field(ge=0, le=MAX_ID)] | None, BlankIsNone]


def matching(column: InstrumentedAttribute[str], query: str) -> ColumnElement[bool] | None:
    """Every word of ``query`` inside the folded names, as typed or read from Cyrillic to Latin.

    ``search`` holds every spelling of a name casefolded, plus the Latin reading of the Cyrillic
    ones; reading the query the same way lets "Тошкент" find a city named only "Toshkent".
    """
    words = query.casefold().split()
    if not words:
        return None
    return and_(
        *(
            or_(*(column.contains(spelling, autoescape=True) for spelling in spellings(word)))
            for word in words
        )
    )


class ListFilter(BaseModel):
    """A search over the names and code of the list's rows, and the page to show."""

    model: ClassVar[type[Named]]

    q: SearchQuery = None
    page: int = 1

    def apply(self, stmt: Select[Any]) -> Select[Any]:
        condition = matching(self.model.search, self.q) if self.q else None
        return stmt if condition is None else stmt.where(condition)


class CountryFilter(ListFilter):
    model = Country


class SpecialtyFilter(ListFilter):
    model = Specialty


class CityFilter(ListFilter):
    model = City

    country: OptionalId = None

    def apply(self, stmt: Select[Any]) -> Select[Any]:
        stmt = super().apply(stmt)
        return stmt if self.country is None else stmt.where(City.country_id == self.country)


class InstitutionFilter(ListFilter):
    model = Institution

    kind: Annotated[InstitutionKind | None, BlankIsNone] = None
    country: OptionalId = None
    city: OptionalId = None

    def apply(self, stmt: Select[Any]) -> Select[Any]:
        stmt = super().apply(stmt)
        if self.kind is not None:
            stmt = stmt.where(Institution.kind == self.kind)
        if self.country is not None:
            stmt = stmt.where(Institution.country_id == self.country)
        if self.city is not None:
            stmt = stmt.where(Institution.city_id == self.city)
        return stmt


class RoomFilter(ListFilter):
    model = Room

    institution: OptionalId = None
    kind: Annotated[RoomKind | None, BlankIsNone] = None
    min_capacity: OptionalCount = None

    def apply(self, stmt: Select[Any]) -> Select[Any]:
        stmt = super().apply(stmt)
        if self.institution is not None:
            stmt = stmt.where(Room.institution_id == self.institution)
        if self.kind is not None:
            stmt = stmt.where(Room.kind == self.kind)
        if self.min_capacity is not None:
            stmt = stmt.where(Room.capacity >= self.min_capacity)
        return stmt


class PersonFilter(ListFilter):
    model = Person

    institution: OptionalId = None
    specialty: OptionalId = None
    language: SearchQuery = None

    def apply(self, stmt: Select[Any]) -> Select[Any]:
        stmt = super().apply(stmt)
        if self.institution is not None:
            stmt = stmt.where(Person.institution_id == self.institution)
        if self.specialty is not None:
            stmt = stmt.where(Person.specialties.any(Specialty.id == self.specialty))
        if self.language:
            # Languages are a short JSON list; a quoted match is exact on both backends.
            stmt = stmt.where(Person.languages.cast(String).contains(f'"{self.language}"'))
        return stmt


class TravelTimeFilter(BaseModel):
    """The travel times from or to one city (all when none), and the page to show."""

    city: OptionalId = None
    page: int = 1

    def apply(self, stmt: Select[Any]) -> Select[Any]:
        if self.city is None:
            return stmt
        return stmt.where(
            or_(TravelTime.from_city_id == self.city, TravelTime.to_city_id == self.city)
        )
