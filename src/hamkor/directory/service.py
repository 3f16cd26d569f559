"""Queries and changes of the directory, shared by its pages, its API, its imports and its CLI.

Every function that changes something takes the acting user and only flushes: the request (or
the command) commits once, or rolls everything back. A change of a record takes the record its
caller loaded with ``core.access.get_for(..., CHANGE)``, so access is checked once, before the
service; what has no row yet (a new record, an institution named in a form) is checked here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from math import asin, cos, radians, sin, sqrt
from typing import Any, TypeVar

from babel import Locale
from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.orm import Session

from hamkor.core import access
from hamkor.core.access import Action, Actor
from hamkor.core.db import Base, assign
from hamkor.core.errors import UserError
from hamkor.core.i18n import LANGUAGES, N_, babel_id
from hamkor.core.pagination import Page, paginate
from hamkor.directory.access import manages_directory, refuse_unless
from hamkor.directory.filters import (
    CityFilter,
    CountryFilter,
    InstitutionFilter,
    ListFilter,
    PersonFilter,
    RoomFilter,
    SpecialtyFilter,
    TravelTimeFilter,
)
from hamkor.directory.models import City, Country, Institution, Person, Room, Specialty, TravelTime
from hamkor.directory.schemas import (
    CityCreate,
    CityUpdate,
    CountryCreate,
    InstitutionCreate,
    InstitutionUpdate,
    PersonCreate,
    PersonUpdate,
    RoomCreate,
    RoomUpdate,
    TravelMatrixUpdate,
    TravelTimeUpdate,
)

ModelT = TypeVar("ModelT", bound=Base)
Coded = type[City] | type[Institution] | type[Room] | type[Person]

# Travel times. Brigades move by road (or by a short flight that costs as long, door to door),
# so a trip is estimated as the road distance at an average of 70 km/h, plus a fixed 20 minutes
# to load, leave a city and find the next venue. Without a known road distance, the road is taken
# as 1.3 times the great-circle distance, the usual detour factor of the region's trunk roads
# (Tashkent–Samarkand: 265 km straight, about 300 km by the M39).
AVERAGE_SPEED_KMH = 70
FIXED_ALLOWANCE_MINUTES = 20
ROAD_DETOUR_FACTOR = 1.3
EARTH_RADIUS_KM = 6371.0088  # the mean radius (IUGG)

_CHOOSE = N_("Choose one of the offered values.")


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The distance along the Earth's surface between two points, by the haversine formula."""
    phi1, phi2 = radians(lat1), radians(lat2)
    half_dphi, half_dlambda = radians(lat2 - lat1) / 2, radians(lon2 - lon1) / 2
    h = sin(half_dphi) ** 2 + cos(phi1) * cos(phi2) * sin(half_dlambda) ** 2
    return 2 * EARTH_RADIUS_KM * asin(min(1.0, sqrt(h)))


def estimated_road_km(a: City, b: City) -> float:
    """The road between two cities when nobody has measured it: the straight line and a detour."""
    straight = great_circle_km(a.latitude, a.longitude, b.latitude, b.longitude)
    return round(straight * ROAD_DETOUR_FACTOR, 1)


def derive_minutes(road_km: float) -> int:
    """Minutes to travel ``road_km`` by road, with the fixed allowance (see the figures above)."""
    return round(road_km / AVERAGE_SPEED_KMH * 60) + FIXED_ALLOWANCE_MINUTES


# Shared checks


def _chosen(db: Session, model: type[ModelT], record_id: int, field: str) -> ModelT:
    """The record a select box or an API field refers to; a stale id is the field's error."""
    found = db.get(model, record_id)
    if found is None:
        raise UserError.one(field, _CHOOSE)
    return found


def _require_free_code(
    db: Session,
    model: Coded,
    code: str,
    *,
    current: City | Institution | Room | Person | None = None,
    within: ColumnElement[bool] | None = None,
) -> None:
    """Refuse a code another record (of the same institution, for rooms) already has."""
    stmt = select(model.id).where(model.code == code)
    if within is not None:
        stmt = stmt.where(within)
    taken = db.scalar(stmt.limit(1))
    if taken is not None and (current is None or taken != current.id):
        raise UserError.one("code", N_("The code %(value)s is taken."), value=code)


def _listed(
    db: Session, actor: Actor, stmt: Select[Any], filters: ListFilter | TravelTimeFilter, size: int
) -> Page[Any]:
    """One page of ``stmt`` narrowed by the list's filter and by what the actor may see."""
    return paginate(db, access.restrict(filters.apply(stmt), actor), number=filters.page, size=size)


def choices(
    *, db: Session, actor: Actor, model: type[ModelT], action: Action = Action.VIEW
) -> list[ModelT]:
    """Every record of ``model`` the actor may see (or change): the options of a select box."""
    return list(db.scalars(access.restrict(select(model), actor, action)))


# Countries and specialties


def ensure_country(db: Session, code: str) -> Country:
    """The country of an ISO code, created with its CLDR names in the five languages if missing.

    No actor: the same code always gives the same row, so loaders may call it freely; the page
    that adds a country checks the admin (:func:`add_country`).
    """
    country = db.scalar(select(Country).where(Country.code == code))
    if country is None:
        names = {
            language: Locale.parse(babel_id(language)).territories.get(code, code)
            for language in LANGUAGES
        }
        country = Country(code=code, names=names)
        db.add(country)
        db.flush()
    return country


def add_country(*, db: Session, actor: Actor, data: CountryCreate) -> Country:
    """Add a country by its code (admins); adding one that exists gives the existing row."""
    refuse_unless(actor.is_admin, Country.__tablename__)
    return ensure_country(db, data.code)


def list_countries(*, db: Session, actor: Actor, filters: CountryFilter, size: int) -> Page[Any]:
    """The countries, by code, searched by their name in any language."""
    return _listed(db, actor, select(Country).order_by(Country.code), filters, size)


def list_specialties(
    *, db: Session, actor: Actor, filters: SpecialtyFilter, size: int
) -> Page[Any]:
    """The specialties vocabulary, by code, searched by name."""
    return _listed(db, actor, select(Specialty).order_by(Specialty.code), filters, size)


# Cities and travel times


def list_cities(*, db: Session, actor: Actor, filters: CityFilter, size: int) -> Page[Any]:
    """The cities, by code, searched and narrowed to a country."""
    return _listed(db, actor, select(City).order_by(City.code), filters, size)


def create_city(*, db: Session, actor: Actor, data: CityCreate) -> City:
    """A new city, with derived travel times to every other city."""
    refuse_unless(actor.is_admin, City.__tablename__)
    _chosen(db, Country, data.country_id, "country_id")
    _require_free_code(db, City, data.code)
    city = City(**data.model_dump())
    db.add(city)
    db.flush()
    _refresh_derived_travel_times(db, city)
    return city


def update_city(*, db: Session, actor: Actor, city: City, data: CityUpdate) -> City:
    """Change a city; when it moves, its derived travel times follow it."""
    _chosen(db, Country, data.country_id, "country_id")
    _require_free_code(db, City, data.code, current=city)
    moved = (city.latitude, city.longitude) != (data.latitude, data.longitude)
    assign(city, data.model_dump())
    db.flush()
    if moved:
        _refresh_derived_travel_times(db, city)
    return city


def _ordered(a: int, b: int) -> tuple[int, int]:
    """A pair of cities as it is stored: the lower id first (see :class:`TravelTime`)."""
    return (a, b) if a < b else (b, a)


def travel_matrix(db: Session, city_ids: Iterable[int]) -> dict[tuple[int, int], int]:
    """Minutes between every two of ``city_ids``, both ways and 0 on the diagonal.

    A pair with no stored row (cities loaded without this module) gets the derived figure.
    """
    ids = sorted(set(city_ids))
    cities = {city.id: city for city in db.scalars(select(City).where(City.id.in_(ids)))}
    for city_id in ids:
        if city_id not in cities:
            raise access.NotFound(City.__tablename__, city_id)
    stored = {
        (row.from_city_id, row.to_city_id): row.minutes
        for row in db.execute(
            select(TravelTime.from_city_id, TravelTime.to_city_id, TravelTime.minutes).where(
                TravelTime.from_city_id.in_(ids), TravelTime.to_city_id.in_(ids)
            )
        )
    }
    matrix: dict[tuple[int, int], int] = {}
    for a in ids:
        for b in ids:
            if a == b:
                matrix[a, b] = 0
            elif (pair := _ordered(a, b)) in stored:
                matrix[a, b] = stored[pair]
            else:
                matrix[a, b] = derive_minutes(estimated_road_km(cities[a], cities[b]))
    return matrix


def travel_minutes(db: Session, a: int, b: int) -> int:
    """Minutes to travel between cities ``a`` and ``b`` (either way): for the programs' checks."""
    return travel_matrix(db, (a, b))[a, b]


@dataclass(frozen=True)
class TravelGrid:
    """The matrix page: the cities in order, minutes both ways, and the pairs set by hand."""

    cities: list[City]
    minutes: dict[tuple[int, int], int]
    manual: frozenset[tuple[int, int]]


def travel_grid(*, db: Session, actor: Actor, country_id: int | None = None) -> TravelGrid:
    """The matrix of the cities of one country (of all when none is given)."""
    stmt = select(City).order_by(City.code)
    if country_id is not None:
        stmt = stmt.where(City.country_id == country_id)
    cities = list(db.scalars(access.restrict(stmt, actor)))
    ids = [city.id for city in cities]
    manual = db.execute(
        select(TravelTime.from_city_id, TravelTime.to_city_id).where(
            TravelTime.is_manual.is_(True),
            TravelTime.from_city_id.in_(ids),
            TravelTime.to_city_id.in_(ids),
        )
    )
    return TravelGrid(
        cities=cities,
        minutes=travel_matrix(db, ids),
        manual=frozenset((row.from_city_id, row.to_city_id) for row in manual),
    )


def list_travel_times(
    *, db: Session, actor: Actor, filters: TravelTimeFilter, size: int
) -> Page[Any]:
    """The stored travel times, from or to one city when the filter names one."""
    stmt = select(TravelTime).order_by(TravelTime.from_city_id, TravelTime.to_city_id)
    return _listed(db, actor, stmt, filters, size)


def get_travel_time(*, db: Session, actor: Actor, a: int, b: int) -> TravelTime:
    """The stored travel time between two cities, or a derived one (not stored) if none is."""
    access.get_for(db, actor, City, a)
    access.get_for(db, actor, City, b)
    first, second = _ordered(a, b)
    row = db.scalar(
        select(TravelTime).where(TravelTime.from_city_id == first, TravelTime.to_city_id == second)
    )
    if row is None:
        return TravelTime(
            from_city_id=first, to_city_id=second, minutes=travel_minutes(db, a, b), is_manual=False
        )
    return row


def _stored_pairs(db: Session, condition: ColumnElement[bool]) -> dict[tuple[int, int], TravelTime]:
    rows = db.scalars(select(TravelTime).where(condition))
    return {(row.from_city_id, row.to_city_id): row for row in rows}


def _derive(row: TravelTime, a: City, b: City) -> None:
    """Give a pair the figures derived from the cities' coordinates."""
    row.road_km = estimated_road_km(a, b)
    row.minutes = derive_minutes(row.road_km)
    row.is_manual = False


def _set_travel(
    db: Session, row: TravelTime | None, pair: tuple[int, int], data: TravelTimeUpdate
) -> TravelTime:
    """Write a pair's travel time: by hand when a figure is given, else derived again."""
    if row is None:
        row = TravelTime(from_city_id=pair[0], to_city_id=pair[1])
        db.add(row)
    if data.minutes is None and data.road_km is None:
        _derive(row, db.get_one(City, pair[0]), db.get_one(City, pair[1]))
        return row
    if data.road_km is not None:
        row.road_km = data.road_km
        row.minutes = derive_minutes(data.road_km)
    if data.minutes is not None:
        row.minutes = data.minutes
    row.is_manual = True
    return row


def set_travel_minutes(
    *, db: Session, actor: Actor, a: City, b: City, data: TravelTimeUpdate
) -> TravelTime:
    """Set the travel time between two cities by hand (kept when cities are added or moved);
    travel times are kept by admins, whoever may see the cities."""
    refuse_unless(actor.is_admin, TravelTime.__tablename__)
    if a.id == b.id:
        raise UserError.one("to_city_id", N_("A city is no distance from itself."))
    pair = _ordered(a.id, b.id)
    stored = _stored_pairs(
        db, (TravelTime.from_city_id == pair[0]) & (TravelTime.to_city_id == pair[1])
    )
    row = _set_travel(db, stored.get(pair), pair, data)
    db.flush()
    return row


def update_travel_matrix(*, db: Session, actor: Actor, data: TravelMatrixUpdate) -> int:
    """Apply the matrix page: a changed figure is set by hand, a cleared one is derived again.

    Cells whose figure did not change are left as they are, so saving the page twice changes
    nothing. Returns how many pairs changed.
    """
    refuse_unless(actor.is_admin, TravelTime.__tablename__)
    cells = {_ordered(*pair): minutes for pair, minutes in data.pairs().items()}
    ids = {city_id for pair in cells for city_id in pair}
    known = set(db.scalars(select(City.id).where(City.id.in_(ids))))
    for first, second in cells:
        if first == second or not {first, second} <= known:
            raise UserError.one(f"cells.{first}-{second}", _CHOOSE)
    shown = travel_matrix(db, ids)
    stored = _stored_pairs(db, TravelTime.from_city_id.in_(ids) & TravelTime.to_city_id.in_(ids))
    changed = 0
    for pair, minutes in sorted(cells.items()):
        row = stored.get(pair)
        cleared = minutes is None and row is not None and row.is_manual
        if cleared or (minutes is not None and minutes != shown[pair]):
            _set_travel(db, row, pair, TravelTimeUpdate(minutes=minutes))
            changed += 1
    db.flush()
    return changed


def _refresh_derived_travel_times(db: Session, city: City) -> None:
    """Derive again the travel times between ``city`` and every other city, adding missing pairs.

    Called when a city is added or moved, by whoever may do that (admins, who keep the travel
    times too); pairs set by hand are kept.
    """
    stored = _stored_pairs(
        db, or_(TravelTime.from_city_id == city.id, TravelTime.to_city_id == city.id)
    )
    for other in db.scalars(select(City).where(City.id != city.id)):
        pair = _ordered(city.id, other.id)
        row = stored.get(pair)
        if row is not None and row.is_manual:
            continue
        if row is None:
            row = TravelTime(from_city_id=pair[0], to_city_id=pair[1])
            db.add(row)
        _derive(row, city, other)
    db.flush()


# Institutions


def list_institutions(
    *, db: Session, actor: Actor, filters: InstitutionFilter, size: int
) -> Page[Any]:
    """The institutions, by code, searched and narrowed by kind, country and city."""
    return _listed(db, actor, select(Institution).order_by(Institution.code), filters, size)


def _institution_values(db: Session, data: InstitutionUpdate) -> dict[str, Any]:
    """The institution's columns from the form: the country is the city's unless chosen."""
    city = _chosen(db, City, data.city_id, "city_id")
    if data.country_id is not None:
        _chosen(db, Country, data.country_id, "country_id")
    return {**data.model_dump(), "country_id": data.country_id or city.country_id}


def create_institution(*, db: Session, actor: Actor, data: InstitutionCreate) -> Institution:
    """A new institution (admins and program coordinators register hosts and guests)."""
    refuse_unless(manages_directory(actor), Institution.__tablename__)
    values = _institution_values(db, data)
    _require_free_code(db, Institution, data.code)
    institution = Institution(**values)
    db.add(institution)
    db.flush()
    return institution


def update_institution(
    *, db: Session, actor: Actor, institution: Institution, data: InstitutionUpdate
) -> Institution:
    """Change an institution its caller loaded for change (its coordinators, program
    coordinators and admins)."""
    values = _institution_values(db, data)
    _require_free_code(db, Institution, data.code, current=institution)
    assign(institution, values)
    db.flush()
    return institution


def institution_people(*, db: Session, actor: Actor, institution: Institution) -> list[Person]:
    """The people of an institution, for its page."""
    stmt = select(Person).where(Person.institution_id == institution.id).order_by(Person.search)
    return list(db.scalars(access.restrict(stmt, actor)))


# Rooms


def list_rooms(*, db: Session, actor: Actor, filters: RoomFilter, size: int) -> Page[Any]:
    """The rooms, by institution and code."""
    stmt = select(Room).join(Room.institution).order_by(Institution.code, Room.code)
    return _listed(db, actor, stmt, filters, size)


def _changeable_institution(db: Session, actor: Actor, institution_id: int) -> Institution:
    """The institution a room or a person is added to, which the actor must be able to change."""
    institution = _chosen(db, Institution, institution_id, "institution_id")
    access.require(db, actor, Action.CHANGE, institution)
    return institution


def create_room(*, db: Session, actor: Actor, data: RoomCreate) -> Room:
    """A new room, of an institution the actor may change."""
    institution = _changeable_institution(db, actor, data.institution_id)
    _require_free_code(db, Room, data.code, within=Room.institution_id == institution.id)
    room = Room(**data.model_dump())
    db.add(room)
    db.flush()
    return room


def update_room(*, db: Session, actor: Actor, room: Room, data: RoomUpdate) -> Room:
    """Change a room; its code stays unique within its institution."""
    _require_free_code(
        db, Room, data.code, current=room, within=Room.institution_id == room.institution_id
    )
    assign(room, data.model_dump())
    db.flush()
    return room


# People


def list_people(*, db: Session, actor: Actor, filters: PersonFilter, size: int) -> Page[Any]:
    """The people, by code then name."""
    return _listed(db, actor, select(Person).order_by(Person.search, Person.id), filters, size)


def _person_values(db: Session, data: PersonUpdate) -> dict[str, Any]:
    """The person's columns and specialties from the form (the specialties must exist)."""
    specialties = list(db.scalars(select(Specialty).where(Specialty.id.in_(data.specialty_ids))))
    if len(specialties) != len(set(data.specialty_ids)):
        raise UserError.one("specialty_ids", _CHOOSE)
    values = data.model_dump(exclude={"specialty_ids"})
    return {**values, "position": data.position or {}, "specialties": specialties}


def create_person(*, db: Session, actor: Actor, data: PersonCreate) -> Person:
    """A new person, of an institution the actor may change (or of none, for managers)."""
    if data.institution_id is None:
        refuse_unless(manages_directory(actor), Person.__tablename__)
    else:
        _changeable_institution(db, actor, data.institution_id)
    if data.code is not None:
        _require_free_code(db, Person, data.code)
    person = Person(**_person_values(db, data))
    db.add(person)
    db.flush()
    return person


def update_person(*, db: Session, actor: Actor, person: Person, data: PersonUpdate) -> Person:
    """Change a person; moving them to another institution needs the right to change that one."""
    if data.institution_id is not None and data.institution_id != person.institution_id:
        _changeable_institution(db, actor, data.institution_id)
    if data.code is not None:
        _require_free_code(db, Person, data.code, current=person)
    assign(person, _person_values(db, data))
    db.flush()
    return person
