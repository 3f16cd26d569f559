"""What the directory accepts and shows: one schema serves the HTML form, the JSON API and imports.

Forms and the API refer to other records by id (a select box, a JSON number); import rows refer
to them by code (what a person can type in a spreadsheet). Validators raise translatable
messages, so a refused value reads the same on a page, in the API and in an import report.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import cache
from typing import Annotated, Any, Generic, TypeVar
from zoneinfo import available_timezones

from babel import Locale
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from hamkor.core.errors import invalid
from hamkor.core.forms import MAX_ID, BlankIsNone, FormId, FormList, IdList
from hamkor.core.i18n import N_
from hamkor.core.names import Names
from hamkor.core.pagination import Page
from hamkor.core.text import bounded
from hamkor.directory.models import InstitutionKind, RoomKind

#: Languages a person may be listed as speaking (ISO 639-1): the region's and the visitors'.
SPOKEN_LANGUAGES: tuple[str, ...] = (
    "ru", "uz", "kk", "en", "tr", "de", "fr", "ar", "zh", "ky", "tg", "tk", "az", "fa", "ko",
    "ja", "es", "it",
)  # fmt: skip

#: The longest travel time accepted: a week, longer than any trip a program plans.
MAX_TRAVEL_MINUTES = 7 * 24 * 60

# CLDR also names reserved codes, groupings and pseudo-regions that ISO 3166-1 does not assign.
_NOT_ISO_COUNTRIES = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "XK", "ZZ"}
)
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+?[0-9][0-9 -]*")
_PHONE_DIGITS = (6, 20)


@cache
def country_codes() -> frozenset[str]:
    """The ISO 3166-1 alpha-2 codes, as CLDR (through Babel) knows them."""
    territories = Locale("en").territories
    codes = {code for code in territories if isinstance(code, str) and len(code) == 2}
    return frozenset(code for code in codes if code.isalpha()) - _NOT_ISO_COUNTRIES


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _filled(value: Any) -> Any:
    """A required field left blank gets the message of a missing one, whatever its type."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise invalid(N_("This field is required."))
    return value


def _code(value: str) -> str:
    if not _CODE.fullmatch(value):
        raise invalid(N_("Use only Latin letters, digits and . _ - in a code."))
    return value


#: IATI's organisation identifier: the registration agency's code (``KZ-BIN``, ``XM-DAC``) and
#: the number it gave, without the characters IATI forbids (``/ & | ?`` and blanks).
_ORG_IDENTIFIER = re.compile(r"[A-Z]{2}-[A-Z0-9]{2,}-[^\s/&|?]+")


def _org_identifier(value: str) -> str:
    if value and not _ORG_IDENTIFIER.fullmatch(value):
        raise invalid(
            N_("Write the organisation identifier as IATI does: agency-number, e.g. KZ-BIN-...")
        )
    return value


def _country(value: str) -> str:
    if value not in country_codes():
        raise invalid(N_("%(value)s is not an ISO 3166-1 country code."), value=value)
    return value


def _zone(value: str) -> str:
    if value not in _time_zones():
        raise invalid(
            N_("Unknown time zone %(value)s; use a name such as Asia/Tashkent."), value=value
        )
    return value


def _email(value: str) -> str:
    if not _EMAIL.fullmatch(value):
        raise invalid(N_("Enter a valid e-mail address."))
    return value


def _phone(value: str) -> str:
    digits = sum(character.isdigit() for character in value)
    low, high = _PHONE_DIGITS
    if not _PHONE.fullmatch(value) or not low <= digits <= high:
        raise invalid(
            N_(
                "Enter %(low)s to %(high)s digits, with a leading + and spaces or dashes if needed."
            ),
            low=low,
            high=high,
        )
    return value


def _spoken(values: list[str]) -> list[str]:
    unknown = [value for value in values if value not in SPOKEN_LANGUAGES]
    if unknown:
        raise invalid(N_("Unknown language code %(value)s."), value=", ".join(unknown))
    return list(dict.fromkeys(values))


def _split_cell(value: Any) -> Any:
    """A spreadsheet cell holding several values separates them with ``;`` (or ``,``)."""
    if isinstance(value, str):
        return [part.strip() for part in re.split(r"[;,]", value) if part.strip()]
    return value


def _empty_is_none(value: Any) -> Any:
    return None if value == {} else value


#: After ``bounded`` in an ``Annotated`` (``core.text`` says why).
Filled = BeforeValidator(_filled)
CellList = BeforeValidator(_split_cell)


Code = Annotated[str, bounded(40), Filled, AfterValidator(_code)]
OrgIdentifier = Annotated[str, bounded(100), AfterValidator(_org_identifier)]
CityCode = Annotated[str, bounded(10), Filled, AfterValidator(_code)]
#: Bounded loosely, so that a three-letter code is told it is no ISO 3166-1 code.
CountryCode = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_upper=True, max_length=8),
    Filled,
    AfterValidator(_country),
]
Choice = Annotated[int, Filled, Field(ge=1, le=MAX_ID)]
OptionalChoice = Annotated[FormId | None, BlankIsNone]
Latitude = Annotated[float, Filled, Field(ge=-90, le=90)]
Longitude = Annotated[float, Filled, Field(ge=-180, le=180)]
TimeZone = Annotated[str, bounded(64), Filled, AfterValidator(_zone)]
Capacity = Annotated[int, Filled, Field(gt=0, le=MAX_ID)]
Email = Annotated[str, bounded(254), AfterValidator(_email)]
Phone = Annotated[str, bounded(40), AfterValidator(_phone)]
Languages = Annotated[list[Annotated[str, bounded(8)]], FormList, AfterValidator(_spoken)]
#: A name per language that may be left out entirely (a person's position).
OptionalNames = Annotated[Names | None, BeforeValidator(_empty_is_none)]
Minutes = Annotated[int, Field(ge=0, le=MAX_TRAVEL_MINUTES)]
RoadKm = Annotated[float, Field(gt=0, le=20_000)]


class _Schema(BaseModel):
    """Input schemas refuse unknown fields, so a misspelt field is an error, not a silent loss."""

    model_config = ConfigDict(extra="forbid")


class _Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


ReadT = TypeVar("ReadT", bound=BaseModel)


class Paged(BaseModel, Generic[ReadT]):
    """One page of a list in the API, with where it stands among the rest."""

    items: list[ReadT]
    total: int
    page: int
    pages: int

    @classmethod
    def of(cls, page: Page[Any], schema: type[ReadT]) -> Paged[ReadT]:
        return cls(
            items=[schema.model_validate(item) for item in page.items],
            total=page.total,
            page=page.number,
            pages=page.pages,
        )


# Countries and specialties: reference data


class CountryCreate(_Schema):
    """A country to add by its code; its names come from CLDR."""

    code: CountryCode


class CountryRead(_Read):
    id: int
    code: str
    names: dict[str, str]


class SpecialtyRead(_Read):
    id: int
    code: str
    names: dict[str, str]


# Cities and travel times


class CityUpdate(_Schema):
    """Every editable field of a city; an update replaces them all."""

    code: CityCode
    country_id: Choice
    names: Names
    latitude: Latitude
    longitude: Longitude
    timezone: TimeZone


class CityCreate(CityUpdate):
    """A new city: the same fields as an update."""


class CityRead(_Read):
    id: int
    code: str
    country: CountryRead
    names: dict[str, str]
    latitude: float
    longitude: float
    timezone: str


class TravelTimeUpdate(_Schema):
    """A travel time set by hand; with neither field, the pair goes back to the derived figure."""

    minutes: Annotated[Minutes | None, BlankIsNone] = None
    road_km: Annotated[RoadKm | None, BlankIsNone] = None


class TravelTimeRead(_Read):
    from_city_id: int
    to_city_id: int
    minutes: int
    road_km: float | None
    is_manual: bool


class TravelMatrixUpdate(_Schema):
    """The matrix page's cells, ``cells.<city id>-<city id>``: minutes, or blank for derived."""

    cells: dict[
        Annotated[str, StringConstraints(max_length=40, pattern=r"^\d+-\d+$")],
        Annotated[Minutes | None, BlankIsNone],
    ]

    @model_validator(mode="before")
    @classmethod
    def _fold_cells(cls, data: Any) -> Any:
        if isinstance(data, dict) and "cells" not in data:
            return {"cells": {key.removeprefix("cells."): value for key, value in data.items()}}
        return data

    def pairs(self) -> dict[tuple[int, int], int | None]:
        """The cells by pair of city ids."""
        result: dict[tuple[int, int], int | None] = {}
        for key, minutes in self.cells.items():
            first, second = key.split("-")
            result[int(first), int(second)] = minutes
        return result


# Imports


class ImportKind(StrEnum):
    """What an imported file holds."""

    INSTITUTIONS = "institutions"
    ROOMS = "rooms"
    PEOPLE = "people"


class ImportRequest(_Schema):
    """The import page's form; the file itself is checked by its reader."""

    kind: Annotated[ImportKind, Filled]


# Institutions


class _InstitutionFields(_Schema):
    code: Code
    kind: Annotated[InstitutionKind, Filled]
    names: Names
    org_identifier: OrgIdentifier = ""


class InstitutionUpdate(_InstitutionFields):
    """Every editable field of an institution; its country defaults to its city's."""

    city_id: Choice
    country_id: OptionalChoice = None


class InstitutionCreate(InstitutionUpdate):
    """A new institution: the same fields as an update."""


class InstitutionRow(_InstitutionFields):
    """A line of an institutions import: city and country by code."""

    city: CityCode
    country: Annotated[CountryCode | None, BlankIsNone] = None


class InstitutionRead(_Read):
    id: int
    code: str
    kind: InstitutionKind
    org_identifier: str
    country_id: int
    city_id: int
    names: dict[str, str]


# Rooms


class RoomUpdate(_Schema):
    """Every editable field of a room; a room stays in its institution."""

    code: Code
    kind: Annotated[RoomKind, Filled]
    capacity: Capacity
    names: Names


class RoomCreate(RoomUpdate):
    """A new room of an institution."""

    institution_id: Choice


class RoomRow(RoomUpdate):
    """A line of a rooms import: the institution by code."""

    institution: Code


class RoomRead(_Read):
    id: int
    institution_id: int
    code: str
    kind: RoomKind
    capacity: int
    names: dict[str, str]


# People


class _PersonDetails(_Schema):
    names: Names
    position: OptionalNames = None
    languages: Languages = Field(default_factory=list)
    email: Annotated[Email | None, BlankIsNone] = None
    phone: Annotated[Phone | None, BlankIsNone] = None


class PersonUpdate(_PersonDetails):
    """Every editable field of a person; an update replaces them all."""

    code: Annotated[Code | None, BlankIsNone] = None
    institution_id: OptionalChoice = None
    specialty_ids: IdList = Field(default_factory=list)


class PersonCreate(PersonUpdate):
    """A new person: the same fields as an update."""


class PersonRow(_PersonDetails):
    """A line of a people import: a code (so a second import of the file is refused), the
    institution and the specialties by code, several languages or specialties joined by ``;``."""

    code: Code
    institution: Annotated[Code | None, BlankIsNone] = None
    languages: Annotated[Languages, CellList] = Field(default_factory=list)
    specialties: Annotated[list[Code], CellList] = Field(default_factory=list)


class PersonRead(_Read):
    id: int
    code: str | None
    names: dict[str, str]
    institution_id: int | None
    position: dict[str, str]
    languages: list[str]
    email: str | None
    phone: str | None
    specialties: list[SpecialtyRead]
