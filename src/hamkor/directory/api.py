"""JSON API of the directory under /api/v1: the same schemas, filters and services as the pages.

Lists take the page's filters as query parameters and answer ``{items, total, page, pages}``;
``PUT`` replaces every editable field of a record (read it, change it, send it back). A route
loads its record with ``get_for`` (404, or an audited 403) before it calls the service.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from hamkor.core.access import Action, get_for
from hamkor.core.forms import PathId
from hamkor.core.pages import page_size
from hamkor.core.web import API_ERROR_RESPONSES, ApiCtx
from hamkor.directory import service
from hamkor.directory.filters import (
    CityFilter,
    CountryFilter,
    InstitutionFilter,
    PersonFilter,
    RoomFilter,
    SpecialtyFilter,
    TravelTimeFilter,
)
from hamkor.directory.models import City, Country, Institution, Person, Room
from hamkor.directory.schemas import (
    CityCreate,
    CityRead,
    CityUpdate,
    CountryRead,
    InstitutionCreate,
    InstitutionRead,
    InstitutionUpdate,
    Paged,
    PersonCreate,
    PersonRead,
    PersonUpdate,
    RoomCreate,
    RoomRead,
    RoomUpdate,
    SpecialtyRead,
    TravelTimeRead,
    TravelTimeUpdate,
)

router = APIRouter(prefix="/api/v1", tags=["directory"], responses=API_ERROR_RESPONSES)


# Reference data: read only (countries and specialties change on the pages)


@router.get("/countries")
def list_countries(ctx: ApiCtx, filters: Annotated[CountryFilter, Query()]) -> Paged[CountryRead]:
    page = service.list_countries(db=ctx.db, actor=ctx.actor, filters=filters, size=page_size(ctx))
    return Paged[CountryRead].of(page, CountryRead)


@router.get("/countries/{country_id}")
def get_country(ctx: ApiCtx, country_id: PathId) -> CountryRead:
    return CountryRead.model_validate(get_for(ctx.db, ctx.actor, Country, country_id))


@router.get("/specialties")
def list_specialties(
    ctx: ApiCtx, filters: Annotated[SpecialtyFilter, Query()]
) -> Paged[SpecialtyRead]:
    page = service.list_specialties(
        db=ctx.db, actor=ctx.actor, filters=filters, size=page_size(ctx)
    )
    return Paged[SpecialtyRead].of(page, SpecialtyRead)


# Cities and travel times


@router.get("/cities")
def list_cities(ctx: ApiCtx, filters: Annotated[CityFilter, Query()]) -> Paged[CityRead]:
    page = service.list_cities(db=ctx.db, actor=ctx.actor, filters=filters, size=page_size(ctx))
    return Paged[CityRead].of(page, CityRead)


@router.get("/cities/{city_id}")
def get_city(ctx: ApiCtx, city_id: PathId) -> CityRead:
    return CityRead.model_validate(get_for(ctx.db, ctx.actor, City, city_id))


@router.post("/cities", status_code=201)
def create_city(ctx: ApiCtx, data: CityCreate) -> CityRead:
    return CityRead.model_validate(service.create_city(db=ctx.db, actor=ctx.actor, data=data))


@router.put("/cities/{city_id}")
def update_city(ctx: ApiCtx, city_id: PathId, data: CityUpdate) -> CityRead:
    city = get_for(ctx.db, ctx.actor, City, city_id, Action.CHANGE)
    city = service.update_city(db=ctx.db, actor=ctx.actor, city=city, data=data)
    return CityRead.model_validate(city)


@router.get("/travel-times")
def list_travel_times(
    ctx: ApiCtx, filters: Annotated[TravelTimeFilter, Query()]
) -> Paged[TravelTimeRead]:
    """The stored travel times; a pair missing here is derived when asked for by its cities."""
    page = service.list_travel_times(
        db=ctx.db, actor=ctx.actor, filters=filters, size=page_size(ctx)
    )
    return Paged[TravelTimeRead].of(page, TravelTimeRead)


@router.get("/travel-times/{from_city_id}/{to_city_id}")
def get_travel_time(ctx: ApiCtx, from_city_id: PathId, to_city_id: PathId) -> TravelTimeRead:
    row = service.get_travel_time(db=ctx.db, actor=ctx.actor, a=from_city_id, b=to_city_id)
    return TravelTimeRead.model_validate(row)


@router.put("/travel-times/{from_city_id}/{to_city_id}")
def set_travel_time(
    ctx: ApiCtx, from_city_id: PathId, to_city_id: PathId, data: TravelTimeUpdate
) -> TravelTimeRead:
    """Set minutes or road distance by hand; send neither to go back to the derived figure."""
    a = get_for(ctx.db, ctx.actor, City, from_city_id)
    b = get_for(ctx.db, ctx.actor, City, to_city_id)
    row = service.set_travel_minutes(db=ctx.db, actor=ctx.actor, a=a, b=b, data=data)
    return TravelTimeRead.model_validate(row)


# Institutions, rooms and people


@router.get("/institutions")
def list_institutions(
    ctx: ApiCtx, filters: Annotated[InstitutionFilter, Query()]
) -> Paged[InstitutionRead]:
    page = service.list_institutions(
        db=ctx.db, actor=ctx.actor, filters=filters, size=page_size(ctx)
    )
    return Paged[InstitutionRead].of(page, InstitutionRead)


@router.get("/institutions/{institution_id}")
def get_institution(ctx: ApiCtx, institution_id: PathId) -> InstitutionRead:
    institution = get_for(ctx.db, ctx.actor, Institution, institution_id)
    return InstitutionRead.model_validate(institution)


@router.post("/institutions", status_code=201)
def create_institution(ctx: ApiCtx, data: InstitutionCreate) -> InstitutionRead:
    institution = service.create_institution(db=ctx.db, actor=ctx.actor, data=data)
    return InstitutionRead.model_validate(institution)


@router.put("/institutions/{institution_id}")
def update_institution(
    ctx: ApiCtx, institution_id: PathId, data: InstitutionUpdate
) -> InstitutionRead:
    institution = get_for(ctx.db, ctx.actor, Institution, institution_id, Action.CHANGE)
    institution = service.update_institution(
        db=ctx.db, actor=ctx.actor, institution=institution, data=data
    )
    return InstitutionRead.model_validate(institution)


@router.get("/rooms")
def list_rooms(ctx: ApiCtx, filters: Annotated[RoomFilter, Query()]) -> Paged[RoomRead]:
    page = service.list_rooms(db=ctx.db, actor=ctx.actor, filters=filters, size=page_size(ctx))
    return Paged[RoomRead].of(page, RoomRead)


@router.get("/rooms/{room_id}")
def get_room(ctx: ApiCtx, room_id: PathId) -> RoomRead:
    return RoomRead.model_validate(get_for(ctx.db, ctx.actor, Room, room_id))


@router.post("/rooms", status_code=201)
def create_room(ctx: ApiCtx, data: RoomCreate) -> RoomRead:
    return RoomRead.model_validate(service.create_room(db=ctx.db, actor=ctx.actor, data=data))


@router.put("/rooms/{room_id}")
def update_room(ctx: ApiCtx, room_id: PathId, data: RoomUpdate) -> RoomRead:
    room = get_for(ctx.db, ctx.actor, Room, room_id, Action.CHANGE)
    room = service.update_room(db=ctx.db, actor=ctx.actor, room=room, data=data)
    return RoomRead.model_validate(room)


@router.get("/people")
def list_people(ctx: ApiCtx, filters: Annotated[PersonFilter, Query()]) -> Paged[PersonRead]:
    page = service.list_people(db=ctx.db, actor=ctx.actor, filters=filters, size=page_size(ctx))
    return Paged[PersonRead].of(page, PersonRead)


@router.get("/people/{person_id}")
def get_person(ctx: ApiCtx, person_id: PathId) -> PersonRead:
    return PersonRead.model_validate(get_for(ctx.db, ctx.actor, Person, person_id))


@router.post("/people", status_code=201)
def create_person(ctx: ApiCtx, data: PersonCreate) -> PersonRead:
    return PersonRead.model_validate(service.create_person(db=ctx.db, actor=ctx.actor, data=data))


@router.put("/people/{person_id}")
def update_person(ctx: ApiCtx, person_id: PathId, data: PersonUpdate) -> PersonRead:
    person = get_for(ctx.db, ctx.actor, Person, person_id, Action.CHANGE)
    person = service.update_person(db=ctx.db, actor=ctx.actor, person=person, data=data)
    return PersonRead.model_validate(person)
