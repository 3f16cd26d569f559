"""Pages of the directory under /directory: lists, records, their forms, travel times, imports.

Routes keep one order: load (404), check access, call one service, render. Forms post back to
themselves; a refused form is shown again with status 422 and each message beside its field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any, TypeAlias, TypeVar

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel

from hamkor.core import access, import_jobs
from hamkor.core.access import Action
from hamkor.core.errors import UserError
from hamkor.core.forms import PathId, QueryId
from hamkor.core.i18n import N_
from hamkor.core.importing import ImportResult, columns_of
from hamkor.core.jobs import Job
from hamkor.core.pages import (
    Refusal,
    form_values,
    labelled_options,
    named_options,
    page_size,
    pager_params,
    save_form,
    see_other,
)
from hamkor.core.pickers import SUGGESTIONS
from hamkor.core.text import SEARCH_MAX
from hamkor.core.web import Ctx, Form, PageCtx, Upload
from hamkor.directory import labels, service
from hamkor.directory.access import manages_directory, may_add_to_institutions, refuse_unless
from hamkor.directory.filters import (
    CityFilter,
    CountryFilter,
    InstitutionFilter,
    PersonFilter,
    RoomFilter,
    SpecialtyFilter,
    TravelTimeFilter,
)
from hamkor.directory.importing import IMPORT_JOB, import_file, importer_for
from hamkor.directory.models import (
    City,
    Country,
    Institution,
    Person,
    Room,
    Specialty,
    TravelTime,
)
from hamkor.directory.pickers import Pickable, chosen, finder
from hamkor.directory.schemas import (
    SPOKEN_LANGUAGES,
    CityCreate,
    CityUpdate,
    CountryCreate,
    ImportKind,
    ImportRequest,
    InstitutionCreate,
    InstitutionRow,
    InstitutionUpdate,
    PersonCreate,
    PersonRow,
    PersonUpdate,
    RoomCreate,
    RoomRow,
    RoomUpdate,
    TravelMatrixUpdate,
)

router = APIRouter(prefix="/directory", include_in_schema=False)

SchemaT = TypeVar("SchemaT", bound=BaseModel)
SavedT = TypeVar("SavedT")
Record: TypeAlias = Country | City | Institution | Room | Person

IMPORT_KINDS: dict[str, tuple[str, type[BaseModel]]] = {
    ImportKind.INSTITUTIONS: (N_("Institutions"), InstitutionRow),
    ImportKind.ROOMS: (N_("Rooms"), RoomRow),
    ImportKind.PEOPLE: (N_("People"), PersonRow),
}


# Shared by every entity's pages


def _languages(ctx: Ctx) -> list[tuple[str, str]]:
    """The spoken languages offered, named in the reader's language by CLDR."""
    names = ctx.translator.locale.languages
    return [(code, names.get(code, code)) for code in SPOKEN_LANGUAGES]


def _save_or_show(
    ctx: Ctx,
    form: Mapping[str, Any],
    schema: type[SchemaT],
    save: Callable[[SchemaT], SavedT],
    *,
    template: str,
    context: Callable[[], dict[str, Any]],
    done: Callable[[SavedT], str],
) -> Response:
    """Save a posted form and go to ``done``, or show ``template`` again with its errors.

    The directory's forms are shown again on the page they were posted from, with the same
    context as when it was first opened (``context`` is only built when it is needed).
    """
    outcome = save_form(ctx, form, schema, save)
    if isinstance(outcome, Refusal):
        errors = outcome.errors
        return ctx.render(template, outcome.status_code, form=form, errors=errors, **context())
    return see_other(done(outcome))


def _url(path: str) -> Callable[[Record], str]:
    """Where a saved record is shown: ``path`` with its id."""
    return lambda record: f"/directory/{path}/{record.id}"


# Countries and specialties


def _countries_context(ctx: Ctx, filters: CountryFilter) -> dict[str, Any]:
    actor = ctx.actor
    page = service.list_countries(db=ctx.db, actor=actor, filters=filters, size=page_size(ctx))
    return {"page": page, "filters": pager_params(filters), "can_add": actor.is_admin}


@router.get("/countries")
def countries(ctx: PageCtx, filters: Annotated[CountryFilter, Query()]) -> Response:
    context = _countries_context(ctx, filters)
    return ctx.render("directory/countries.html", form={}, errors={}, **context)


@router.post("/countries")
def add_country(ctx: PageCtx, form: Form) -> Response:
    refuse_unless(ctx.actor.is_admin, Country.__tablename__)
    return _save_or_show(
        ctx,
        form,
        CountryCreate,
        lambda data: service.add_country(db=ctx.db, actor=ctx.actor, data=data),
        template="directory/countries.html",
        context=lambda: _countries_context(ctx, CountryFilter()),
        done=_url("countries"),
    )


@router.get("/countries/{country_id}")
def country(ctx: PageCtx, country_id: PathId) -> Response:
    actor = ctx.actor
    found = access.get_for(ctx.db, actor, Country, country_id)
    cities = service.list_cities(
        db=ctx.db, actor=actor, filters=CityFilter(country=country_id), size=page_size(ctx)
    )
    return ctx.render("directory/country.html", country=found, cities=cities)


@router.get("/specialties")
def specialties(ctx: PageCtx, filters: Annotated[SpecialtyFilter, Query()]) -> Response:
    page = service.list_specialties(
        db=ctx.db, actor=ctx.actor, filters=filters, size=page_size(ctx)
    )
    return ctx.render("directory/specialties.html", page=page, filters=pager_params(filters))


# Cities and travel times


def _city_form(ctx: Ctx) -> dict[str, Any]:
    countries = service.choices(db=ctx.db, actor=ctx.actor, model=Country)
    return {"countries": named_options(ctx.translator, countries)}


@router.get("/cities")
def cities(ctx: PageCtx, filters: Annotated[CityFilter, Query()]) -> Response:
    actor = ctx.actor
    page = service.list_cities(db=ctx.db, actor=actor, filters=filters, size=page_size(ctx))
    return ctx.render(
        "directory/cities.html",
        page=page,
        filters=pager_params(filters),
        can_add=actor.is_admin,
        **_city_form(ctx),
    )


@router.get("/cities/new")
def new_city(ctx: PageCtx) -> Response:
    refuse_unless(ctx.actor.is_admin, City.__tablename__)
    return ctx.render("directory/city_form.html", city=None, form={}, errors={}, **_city_form(ctx))


@router.post("/cities")
def create_city(ctx: PageCtx, form: Form) -> Response:
    refuse_unless(ctx.actor.is_admin, City.__tablename__)
    return _save_or_show(
        ctx,
        form,
        CityCreate,
        lambda data: service.create_city(db=ctx.db, actor=ctx.actor, data=data),
        template="directory/city_form.html",
        context=lambda: {"city": None, **_city_form(ctx)},
        done=_url("cities"),
    )


@router.get("/cities/{city_id}")
def city(ctx: PageCtx, city_id: PathId) -> Response:
    actor = ctx.actor
    found = access.get_for(ctx.db, actor, City, city_id)
    institutions = service.list_institutions(
        db=ctx.db, actor=actor, filters=InstitutionFilter(city=city_id), size=page_size(ctx)
    )
    travel = service.list_travel_times(
        db=ctx.db, actor=actor, filters=TravelTimeFilter(city=city_id), size=page_size(ctx)
    )
    return ctx.render(
        "directory/city.html",
        city=found,
        institutions=institutions,
        travel=travel,
        can_change=access.can(ctx.db, actor, Action.CHANGE, found),
        kinds=labels.INSTITUTION_KIND,
    )


@router.get("/cities/{city_id}/edit")
def edit_city(ctx: PageCtx, city_id: PathId) -> Response:
    found = access.get_for(ctx.db, ctx.actor, City, city_id, Action.CHANGE)
    form = form_values(found, CityUpdate)
    return ctx.render(
        "directory/city_form.html", city=found, form=form, errors={}, **_city_form(ctx)
    )


@router.post("/cities/{city_id}/edit")
def update_city(ctx: PageCtx, city_id: PathId, form: Form) -> Response:
    actor = ctx.actor
    found = access.get_for(ctx.db, actor, City, city_id, Action.CHANGE)
    return _save_or_show(
        ctx,
        form,
        CityUpdate,
        lambda data: service.update_city(db=ctx.db, actor=actor, city=found, data=data),
        template="directory/city_form.html",
        context=lambda: {"city": found, **_city_form(ctx)},
        done=_url("cities"),
    )


def _travel_context(ctx: Ctx, country: int | None) -> dict[str, Any]:
    actor = ctx.actor
    grid = service.travel_grid(db=ctx.db, actor=actor, country_id=country)
    assumptions = {
        "speed": service.AVERAGE_SPEED_KMH,
        "allowance": service.FIXED_ALLOWANCE_MINUTES,
        "factor": service.ROAD_DETOUR_FACTOR,
    }
    return {
        "grid": grid,
        "country": country,
        "can_edit": actor.is_admin,
        "assumptions": assumptions,
        **_city_form(ctx),
    }


@router.get("/travel-times")
def travel_times(ctx: PageCtx, country: QueryId = None) -> Response:
    context = _travel_context(ctx, country)
    return ctx.render("directory/travel_times.html", form={}, errors={}, **context)


@router.post("/travel-times")
def update_travel_times(ctx: PageCtx, form: Form, country: QueryId = None) -> Response:
    refuse_unless(ctx.actor.is_admin, TravelTime.__tablename__)
    target = "/directory/travel-times" + (f"?country={country}" if country else "")
    return _save_or_show(
        ctx,
        form,
        TravelMatrixUpdate,
        lambda data: service.update_travel_matrix(db=ctx.db, actor=ctx.actor, data=data),
        template="directory/travel_times.html",
        context=lambda: _travel_context(ctx, country),
        done=lambda _changed: target,
    )


# Institutions


def _institution_form(ctx: Ctx) -> dict[str, Any]:
    actor = ctx.actor
    return {
        "kinds": labelled_options(ctx.translator, labels.INSTITUTION_KIND),
        "countries": named_options(
            ctx.translator, service.choices(db=ctx.db, actor=actor, model=Country)
        ),
        "cities": named_options(
            ctx.translator, service.choices(db=ctx.db, actor=actor, model=City)
        ),
    }


@router.get("/institutions")
def institutions(ctx: PageCtx, filters: Annotated[InstitutionFilter, Query()]) -> Response:
    actor = ctx.actor
    page = service.list_institutions(db=ctx.db, actor=actor, filters=filters, size=page_size(ctx))
    return ctx.render(
        "directory/institutions.html",
        page=page,
        filters=pager_params(filters),
        can_add=manages_directory(actor),
        labels=labels.INSTITUTION_KIND,
        **_institution_form(ctx),
    )


@router.get("/institutions/new")
def new_institution(ctx: PageCtx) -> Response:
    refuse_unless(manages_directory(ctx.actor), Institution.__tablename__)
    return ctx.render(
        "directory/institution_form.html",
        institution=None,
        form={},
        errors={},
        **_institution_form(ctx),
    )


@router.post("/institutions")
def create_institution(ctx: PageCtx, form: Form) -> Response:
    refuse_unless(manages_directory(ctx.actor), Institution.__tablename__)
    return _save_or_show(
        ctx,
        form,
        InstitutionCreate,
        lambda data: service.create_institution(db=ctx.db, actor=ctx.actor, data=data),
        template="directory/institution_form.html",
        context=lambda: {"institution": None, **_institution_form(ctx)},
        done=_url("institutions"),
    )


@router.get("/institutions/{institution_id}")
def institution(ctx: PageCtx, institution_id: PathId) -> Response:
    actor = ctx.actor
    found = access.get_for(ctx.db, actor, Institution, institution_id)
    people = service.institution_people(db=ctx.db, actor=actor, institution=found)
    return ctx.render(
        "directory/institution.html",
        institution=found,
        people=people,
        can_change=access.can(ctx.db, actor, Action.CHANGE, found),
        labels=labels.INSTITUTION_KIND,
        room_labels=labels.ROOM_KIND,
    )


@router.get("/institutions/{institution_id}/edit")
def edit_institution(ctx: PageCtx, institution_id: PathId) -> Response:
    found = access.get_for(ctx.db, ctx.actor, Institution, institution_id, Action.CHANGE)
    return ctx.render(
        "directory/institution_form.html",
        institution=found,
        form=form_values(found, InstitutionUpdate),
        errors={},
        **_institution_form(ctx),
    )


@router.post("/institutions/{institution_id}/edit")
def update_institution(ctx: PageCtx, institution_id: PathId, form: Form) -> Response:
    actor = ctx.actor
    found = access.get_for(ctx.db, actor, Institution, institution_id, Action.CHANGE)
    return _save_or_show(
        ctx,
        form,
        InstitutionUpdate,
        lambda data: service.update_institution(
            db=ctx.db, actor=actor, institution=found, data=data
        ),
        template="directory/institution_form.html",
        context=lambda: {"institution": found, **_institution_form(ctx)},
        done=_url("institutions"),
    )


# Rooms


def _changeable_institutions(ctx: Ctx) -> list[Any]:
    """The institutions the reader may add rooms and people to, for the forms' select box."""
    found = service.choices(db=ctx.db, actor=ctx.actor, model=Institution, action=Action.CHANGE)
    return named_options(ctx.translator, found)


def _room_form(ctx: Ctx) -> dict[str, Any]:
    return {
        "kinds": labelled_options(ctx.translator, labels.ROOM_KIND),
        "institutions": _changeable_institutions(ctx),
    }


@router.get("/rooms")
def rooms(ctx: PageCtx, filters: Annotated[RoomFilter, Query()]) -> Response:
    actor = ctx.actor
    page = service.list_rooms(db=ctx.db, actor=actor, filters=filters, size=page_size(ctx))
    every_institution = service.choices(db=ctx.db, actor=actor, model=Institution)
    return ctx.render(
        "directory/rooms.html",
        page=page,
        filters=pager_params(filters),
        can_add=may_add_to_institutions(actor),
        labels=labels.ROOM_KIND,
        kinds=labelled_options(ctx.translator, labels.ROOM_KIND),
        institutions=named_options(ctx.translator, every_institution),
    )


@router.get("/rooms/new")
def new_room(ctx: PageCtx, institution: QueryId = None) -> Response:
    refuse_unless(may_add_to_institutions(ctx.actor), Room.__tablename__)
    form = {"institution_id": institution}
    return ctx.render(
        "directory/room_form.html", room=None, form=form, errors={}, **_room_form(ctx)
    )


@router.post("/rooms")
def create_room(ctx: PageCtx, form: Form) -> Response:
    refuse_unless(may_add_to_institutions(ctx.actor), Room.__tablename__)
    return _save_or_show(
        ctx,
        form,
        RoomCreate,
        lambda data: service.create_room(db=ctx.db, actor=ctx.actor, data=data),
        template="directory/room_form.html",
        context=lambda: {"room": None, **_room_form(ctx)},
        done=_url("rooms"),
    )


@router.get("/rooms/{room_id}")
def room(ctx: PageCtx, room_id: PathId) -> Response:
    actor = ctx.actor
    found = access.get_for(ctx.db, actor, Room, room_id)
    return ctx.render(
        "directory/room.html",
        room=found,
        can_change=access.can(ctx.db, actor, Action.CHANGE, found),
        labels=labels.ROOM_KIND,
    )


@router.get("/rooms/{room_id}/edit")
def edit_room(ctx: PageCtx, room_id: PathId) -> Response:
    found = access.get_for(ctx.db, ctx.actor, Room, room_id, Action.CHANGE)
    return ctx.render(
        "directory/room_form.html",
        room=found,
        form=form_values(found, RoomUpdate),
        errors={},
        **_room_form(ctx),
    )


@router.post("/rooms/{room_id}/edit")
def update_room(ctx: PageCtx, room_id: PathId, form: Form) -> Response:
    actor = ctx.actor
    found = access.get_for(ctx.db, actor, Room, room_id, Action.CHANGE)
    return _save_or_show(
        ctx,
        form,
        RoomUpdate,
        lambda data: service.update_room(db=ctx.db, actor=actor, room=found, data=data),
        template="directory/room_form.html",
        context=lambda: {"room": found, **_room_form(ctx)},
        done=_url("rooms"),
    )


# People


def _person_form(ctx: Ctx) -> dict[str, Any]:
    actor = ctx.actor
    return {
        "institutions": _changeable_institutions(ctx),
        "unaffiliated": manages_directory(actor),
        "specialties": named_options(
            ctx.translator, service.choices(db=ctx.db, actor=actor, model=Specialty)
        ),
        "languages": _languages(ctx),
    }


@router.get("/people")
def people(ctx: PageCtx, filters: Annotated[PersonFilter, Query()]) -> Response:
    actor = ctx.actor
    page = service.list_people(db=ctx.db, actor=actor, filters=filters, size=page_size(ctx))
    return ctx.render(
        "directory/people.html",
        page=page,
        filters=pager_params(filters),
        can_add=may_add_to_institutions(actor),
        institutions=named_options(
            ctx.translator, service.choices(db=ctx.db, actor=actor, model=Institution)
        ),
        specialties=named_options(
            ctx.translator, service.choices(db=ctx.db, actor=actor, model=Specialty)
        ),
        languages=_languages(ctx),
    )


@router.get("/people/new")
def new_person(ctx: PageCtx, institution: QueryId = None) -> Response:
    refuse_unless(may_add_to_institutions(ctx.actor), Person.__tablename__)
    form = {"institution_id": institution}
    return ctx.render(
        "directory/person_form.html", person=None, form=form, errors={}, **_person_form(ctx)
    )


@router.post("/people")
def create_person(ctx: PageCtx, form: Form) -> Response:
    refuse_unless(may_add_to_institutions(ctx.actor), Person.__tablename__)
    return _save_or_show(
        ctx,
        form,
        PersonCreate,
        lambda data: service.create_person(db=ctx.db, actor=ctx.actor, data=data),
        template="directory/person_form.html",
        context=lambda: {"person": None, **_person_form(ctx)},
        done=_url("people"),
    )


@router.get("/people/{person_id}")
def person(ctx: PageCtx, person_id: PathId) -> Response:
    actor = ctx.actor
    found = access.get_for(ctx.db, actor, Person, person_id)
    return ctx.render(
        "directory/person.html",
        person=found,
        can_change=access.can(ctx.db, actor, Action.CHANGE, found),
        languages=dict(_languages(ctx)),
    )


@router.get("/people/{person_id}/edit")
def edit_person(ctx: PageCtx, person_id: PathId) -> Response:
    found = access.get_for(ctx.db, ctx.actor, Person, person_id, Action.CHANGE)
    form = form_values(found, PersonUpdate, specialty_ids=[s.id for s in found.specialties])
    return ctx.render(
        "directory/person_form.html", person=found, form=form, errors={}, **_person_form(ctx)
    )


@router.post("/people/{person_id}/edit")
def update_person(ctx: PageCtx, person_id: PathId, form: Form) -> Response:
    actor = ctx.actor
    found = access.get_for(ctx.db, actor, Person, person_id, Action.CHANGE)
    return _save_or_show(
        ctx,
        form,
        PersonUpdate,
        lambda data: service.update_person(db=ctx.db, actor=actor, person=found, data=data),
        template="directory/person_form.html",
        context=lambda: {"person": found, **_person_form(ctx)},
        done=_url("people"),
    )


# Imports


def _import_page(ctx: Ctx, status: int = 200, **context: Any) -> Response:
    kinds = [(kind, ctx._(label)) for kind, (label, _schema) in IMPORT_KINDS.items()]
    columns = {kind: columns_of(schema) for kind, (_label, schema) in IMPORT_KINDS.items()}
    defaults: dict[str, Any] = {"form": {}, "errors": {}, "result": None}
    return ctx.render(
        "directory/import.html", status, kinds=kinds, columns=columns, **{**defaults, **context}
    )


@router.get("/import")
def import_form(ctx: PageCtx) -> Response:
    return _import_page(ctx)


@router.post("/import")
def import_upload(form: Form, ctx: PageCtx) -> Response:
    """Import the uploaded file: every row written, or none and a table of what to correct; a
    file of thousands of rows is imported by a job, whose page shows its progress.

    The form comes first: a slow upload holds no database connection while it arrives."""
    upload = form.pop("file", None)

    def run(request: ImportRequest) -> ImportResult | Job:
        if not isinstance(upload, Upload):
            raise UserError.one("file", N_("This field is required."))
        importer_for(ctx.db, ctx.actor, request.kind)  # refused before any job is queued
        return import_jobs.start_upload(
            ctx,
            upload,
            kind=IMPORT_JOB,
            back="/directory/import",
            options={"kind": request.kind.value},
            run_now=lambda file, limits: import_file(
                db=ctx.db, actor=ctx.actor, kind=request.kind, file=file, limits=limits
            ),
        )

    result = save_form(ctx, form, ImportRequest, run)
    if isinstance(result, Refusal):
        return _import_page(ctx, result.status_code, form=form, errors=result.errors)
    if isinstance(result, Job):
        return see_other(f"/imports/{result.id}")
    return _import_page(ctx, 200 if result.ok else 422, form=form, result=result)


# Searchable pickers (issue 20)


@router.get("/pick/{kind}")
def pick(
    ctx: PageCtx,
    kind: Pickable,
    field: Annotated[str, Query(max_length=80, pattern=r"^[\w.]+$")],
) -> Response:
    """The suggestions of a picker as its reader types: ``<option>``s for its ``<datalist>``.

    htmx sends the picker's text under the field's own name, which ``field`` says.
    """
    text = ctx.request.query_params.get(field, "")[:SEARCH_MAX]
    found = finder(ctx.db, ctx.actor, ctx.translator, kind)(text, SUGGESTIONS)
    return ctx.render("_suggestions.html", candidates=found)


@router.get("/pick/{kind}/chip")
def pick_chip(
    ctx: PageCtx,
    kind: Pickable,
    field: Annotated[str, Query(max_length=80, pattern=r"^[\w.]+$")],
) -> Response:
    """A multi-value picker's new chip for the record its text names, and its text box emptied;
    nothing (204) when the text names no one record yet, so it stays to be corrected."""
    text = ctx.request.query_params.get(field, "")[:SEARCH_MAX]
    found = chosen(ctx.db, ctx.actor, ctx.translator, kind, text)
    if found is None:
        return Response(status_code=204)
    return ctx.render("_chip.html", name=field, kind=kind.value, candidate=found)
