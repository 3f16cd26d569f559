"""Searchable pickers (issue 20): a person typed in either script, as suggestions and on submit."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hamkor.core.access import Actor
from hamkor.core.errors import UserError
from hamkor.core.i18n import Translator
from hamkor.core.pickers import number_in, resolve
from hamkor.directory.pickers import Pickable, finder
from hamkor.programs.models import Participation
from tests.fixtures.core import ClientFactory
from tests.fixtures.programs import KzUzDays, submit

READER = Actor(user_id=1, username="reader")
EN = Translator("en")


@pytest.fixture
def namesakes(programs_directory: Any, db: Session) -> dict[str, int]:
    """Two Karimovs, one written only in Cyrillic, one only in Latin, and an Azimova."""
    rows = {
        "aziz": programs_directory.person(**{"uz-Cyrl": "Азиз Каримов"}),
        "bobur": programs_directory.person(uz="Bobur Karimov"),
        "azimova": programs_directory.person(ru="Дина Азимова"),
    }
    db.commit()
    return {key: person.id for key, person in rows.items()}


def found(db: Session, text: str) -> list[int]:
    return [c.id for c in finder(db, READER, EN, Pickable.PEOPLE)(text, 10)]


@pytest.mark.parametrize(
    ("text", "number"),
    [("12", 12), ("#12", 12), ("Aziz Karimov (#12)", 12), (" 7 ", 7), ("Aziz", None)],
)
def test_a_number_is_read_as_typed_or_as_a_suggestion_ends(text: str, number: int | None) -> None:
    assert number_in(text) == number


def test_latin_letters_find_a_name_written_in_cyrillic_and_back(
    db: Session, namesakes: dict[str, int]
) -> None:
    assert found(db, "aziz") == [namesakes["aziz"]]
    assert found(db, "Бобур") == [namesakes["bobur"]]
    assert found(db, "karimov") == [namesakes["aziz"], namesakes["bobur"]]
    assert found(db, "Каримов Бобур") == [namesakes["bobur"]]


def test_a_typed_name_becomes_the_id_it_names(db: Session, namesakes: dict[str, int]) -> None:
    pick = {"person_id": finder(db, READER, EN, Pickable.PEOPLE)}
    assert resolve({"person_id": "Азиз"}, pick) == {"person_id": namesakes["aziz"]}
    assert resolve({"person_id": "99 "}, pick) == {"person_id": 99}
    assert resolve({"person_id": ""}, pick) == {"person_id": ""}
    several = {"lead_ids": ["Bobur", f"#{namesakes['aziz']}; Dina", "bobur karimov"]}
    leads = resolve(several, {"lead_ids": pick["person_id"]}, frozenset({"lead_ids"}))
    assert leads == {"lead_ids": [namesakes["bobur"], namesakes["aziz"], namesakes["azimova"]]}


def test_an_ambiguous_or_unknown_name_is_refused_naming_the_field_and_the_candidates(
    db: Session, namesakes: dict[str, int]
) -> None:
    pick = {
        "person_id": finder(db, READER, EN, Pickable.PEOPLE),
        "other": finder(db, READER, EN, Pickable.PEOPLE),
    }
    with pytest.raises(UserError) as refused:
        resolve({"person_id": "Karimov", "other": "Zzyzx"}, pick)
    ambiguous, unknown = refused.value.errors
    assert ambiguous.field == "person_id"
    shown = ambiguous.message.render("en")
    assert f"Азиз Каримов (#{namesakes['aziz']})" in shown
    assert f"Bobur Karimov (#{namesakes['bobur']})" in shown
    assert unknown.field == "other"
    assert "Zzyzx" in unknown.message.render("ru")


def test_the_suggestions_are_options_for_the_datalist(
    admin_client: TestClient, namesakes: dict[str, int]
) -> None:
    answer = admin_client.get("/directory/pick/people?field=lead_ids&lead_ids=Азиз")
    assert answer.status_code == 200
    assert re.findall(r'<option value="([^"]*)">', answer.text) == [
        f"Азиз Каримов (#{namesakes['aziz']})"
    ]
    chip = admin_client.get("/directory/pick/people/chip?field=lead_ids&lead_ids=bobur")
    assert f'name="lead_ids" value="{namesakes["bobur"]}" checked' in chip.text
    assert 'hx-swap-oob="true"' in chip.text
    ambiguous = admin_client.get("/directory/pick/people/chip?field=lead_ids&lead_ids=karimov")
    assert ambiguous.status_code == 204
    refused = admin_client.get("/directory/pick/people?field=a%22b&a%22b=x")
    assert refused.status_code == 422


def test_without_javascript_a_typed_name_adds_the_participant(
    client_for: ClientFactory, kz_uz_days: KzUzDays, namesakes: dict[str, int], db: Session
) -> None:
    client = client_for(kz_uz_days.coordinator)
    base = f"/programs/{kz_uz_days.program.id}"
    form = {"role": "interpreter"}
    ambiguous = submit(
        client, f"{base}/participants/new", f"{base}/participants", {**form, "person_id": "karimov"}
    )
    assert ambiguous.status_code == 422
    assert 'aria-describedby="h-person_id e-person_id"' in ambiguous.text
    error = re.search(r'<p class="error" id="e-person_id">([^<]*)</p>', ambiguous.text)
    assert error is not None
    assert "matches several" in error.group(1)
    assert "Bobur Karimov" in error.group(1)
    added = submit(
        client, f"{base}/participants/new", f"{base}/participants", {**form, "person_id": "Бобур"}
    )
    assert added.status_code == 303
    person_ids = db.scalars(
        select(Participation.person_id).where(Participation.program_id == kz_uz_days.program.id)
    ).all()
    assert namesakes["bobur"] in person_ids
