"""The page helpers every module shares: options, a record's form values, saving a form."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from types import SimpleNamespace

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from hamkor.core import flash
from hamkor.core.errors import UserError
from hamkor.core.i18n import Translator
from hamkor.core.pages import (
    Refusal,
    form_values,
    labelled_options,
    named_options,
    save_form,
    save_then,
)
from hamkor.core.web import Ctx
from hamkor.directory.models import Country, InstitutionKind
from hamkor.settings import Settings


@dataclass(frozen=True)
class Row:
    id: int
    names: dict[str, str]


@dataclass(frozen=True)
class Visit:
    names: dict[str, str]
    day: date
    start_time: time
    arrives_at: datetime
    note: str


class VisitForm(BaseModel):
    names: dict[str, str]
    day: date
    start_time: time
    arrives_at: datetime


class CountryCode(BaseModel):
    code: str


def ctx_of(db: Session, language: str = "en") -> Ctx:
    """A page's context outside a request, with the settings a redirect's message is signed by."""
    app = SimpleNamespace(state=SimpleNamespace(settings=Settings(secret_key="pages-tests")))
    return Ctx(
        request=Request({"type": "http", "app": app}),
        db=db,
        principal=None,
        translator=Translator(language),
    )


def test_named_options_are_sorted_by_the_readers_names() -> None:
    rows = [
        Row(1, {"en": "Uzbekistan", "ru": "Узбекистан"}),
        Row(2, {"en": "kazakhstan", "ru": "Казахстан"}),
    ]
    assert named_options(Translator("en"), rows) == [(2, "kazakhstan"), (1, "Uzbekistan")]
    assert named_options(Translator("ru"), rows) == [(2, "Казахстан"), (1, "Узбекистан")]


def test_labelled_options_post_plain_values_with_translated_labels() -> None:
    options = labelled_options(Translator("en"), {InstitutionKind.HOSPITAL: "Hospital"})
    assert options == [("hospital", "Hospital")]
    assert type(options[0][0]) is str


def test_form_values_spread_names_and_format_times_for_every_module() -> None:
    visit = Visit(
        names={"ru": "Ташкент", "en": "Tashkent"},
        day=date(2025, 10, 13),
        start_time=time(9, 30, 15),
        arrives_at=datetime(2025, 10, 13, 8, 5, 59, tzinfo=UTC),
        note="not a field of the form",
    )
    assert form_values(visit, VisitForm, lead_ids=[3]) == {
        "names.ru": "Ташкент",
        "names.en": "Tashkent",
        "day": date(2025, 10, 13),
        "start_time": "09:30",
        "arrives_at": "2025-10-13T08:05",
        "lead_ids": [3],
    }


def test_a_saved_form_gives_what_the_save_returned(db: Session) -> None:
    def save(data: CountryCode) -> Country:
        country = Country(code=data.code, names={"en": data.code})
        db.add(country)
        db.flush()
        return country

    saved = save_form(ctx_of(db), {"code": "UZ"}, CountryCode, save)
    assert isinstance(saved, Country)
    assert db.scalars(select(Country.code)).all() == ["UZ"]


def test_a_refused_form_undoes_its_own_work_and_nothing_else(db: Session) -> None:
    db.add(Country(code="KZ", names={"en": "Kazakhstan"}))
    db.flush()

    def save(data: CountryCode) -> Country:
        db.add(Country(code=data.code, names={"en": data.code}))
        db.flush()
        raise UserError.one("code", "This field is required.")

    refusal = save_form(ctx_of(db), {"code": "UZ"}, CountryCode, save)
    assert isinstance(refusal, Refusal)
    assert (refusal.errors, refusal.status_code) == ({"code": "This field is required."}, 422)
    assert db.scalars(select(Country.code)).all() == ["KZ"]


def test_an_invalid_form_is_refused_before_anything_is_saved(db: Session) -> None:
    def save(_data: CountryCode) -> None:
        raise AssertionError("an invalid form must not be saved")

    refusal = save_form(ctx_of(db), {}, CountryCode, save)
    assert isinstance(refusal, Refusal)
    assert set(refusal.errors) == {"code"}


def _new_country(db: Session) -> Callable[[CountryCode], Country]:
    def save(data: CountryCode) -> Country:
        country = Country(code=data.code, names={"en": data.code})
        db.add(country)
        db.flush()
        return country

    return save


def test_a_saved_form_leads_to_the_address_made_from_what_was_saved(db: Session) -> None:
    def refused(_refusal: Refusal) -> Response:
        raise AssertionError("a valid form must not be shown again")

    response = save_then(
        ctx_of(db),
        {"code": "UZ"},
        CountryCode,
        _new_country(db),
        done=lambda saved: f"/directory/countries/{saved.id}",
        again=refused,
    )
    country_id = db.scalars(select(Country.id)).one()
    assert (response.status_code, response.headers["location"]) == (
        303,
        f"/directory/countries/{country_id}",
    )
    assert response.headers["set-cookie"].startswith(f"{flash.COOKIE}=")


def test_a_refused_form_is_shown_again_with_its_refusal(db: Session) -> None:
    shown: list[Refusal] = []

    def again(refusal: Refusal) -> Response:
        shown.append(refusal)
        return Response(status_code=refusal.status_code)

    response = save_then(
        ctx_of(db), {}, CountryCode, _new_country(db), done="/nowhere", again=again
    )
    assert response.status_code == 422
    assert set(shown[0].errors) == {"code"}
    assert db.scalars(select(Country.id)).all() == []
