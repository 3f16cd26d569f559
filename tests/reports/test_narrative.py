"""The narrative's sentences: plural forms, numbers, places in their case, and the API."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hamkor.core.i18n import Translator
from hamkor.core.models import User
from hamkor.directory.models import City
from hamkor.reports.narrative import CONSULTED, DELEGATES, counted, dates, in_city
from tests.fixtures.directory import bearer
from tests.fixtures.reports import ReportWorld

RUSSIAN_DELEGATES = {
    1: "В ней принял участие 1 делегат.",
    2: "В ней приняли участие 2 делегата.",
    5: "В ней приняли участие 5 делегатов.",
    21: "В ней принял участие 21 делегат.",
}


@pytest.mark.parametrize(("n", "sentence"), RUSSIAN_DELEGATES.items())
def test_russian_takes_the_form_of_one_few_and_many(n: int, sentence: str) -> None:
    assert counted(DELEGATES, n, Translator("ru")) == sentence


@pytest.mark.parametrize(
    ("language", "n", "sentence"),
    [
        ("ru", 1, "Всего проконсультирован 1 пациент."),
        ("ru", 2, "Всего проконсультированы 2 пациента."),
        ("ru", 5, "Всего проконсультировано 5 пациентов."),
        ("ru", 21, "Всего проконсультирован 21 пациент."),
        ("en", 1, "In all, 1 patient was consulted."),
        ("en", 21, "In all, 21 patients were consulted."),
        ("kk", 21, "Барлығы 21 пациент кеңес алды."),
        ("uz", 5, "Jami 5 nafar bemor maslahat oldi."),
        ("uz-Cyrl", 2, "Жами 2 нафар бемор маслаҳат олди."),
    ],
)
def test_each_language_has_its_own_forms(language: str, n: int, sentence: str) -> None:
    assert counted(CONSULTED, n, Translator(language)) == sentence


def test_numbers_follow_the_language() -> None:
    assert counted(DELEGATES, 1500, Translator("ru")) == "В ней приняли участие 1\xa0500 делегатов."
    assert counted(DELEGATES, 1500, Translator("en")) == "1,500 delegates took part."


def test_a_city_is_named_in_the_case_the_sentence_needs(
    db: Session, report_world: ReportWorld
) -> None:
    tashkent = City(code="TAS", names={"ru": "Ташкент"})
    assert in_city(tashkent, Translator("kk")) == "Ташкентте"
    assert in_city(tashkent, Translator("uz")) == "Toshkentda"
    unknown = report_world.care.days.bukhara  # its code (BHK) has no forms: a construction
    assert in_city(unknown, Translator("ru")) == "в г. Бухара"
    assert in_city(unknown, Translator("kk")) == "Бухара қаласында"  # Russian stands in


def test_the_days_of_a_program_read_as_each_language_writes_them(
    report_world: ReportWorld,
) -> None:
    program = report_world.care.days.program
    told = {
        language: dates(program.starts_on, program.ends_on, Translator(language))
        for language in ("ru", "uz", "kk", "en")
    }
    assert told == {
        "ru": "13–17 октября 2025 года",
        "uz": "2025-yil 13–17-oktabr",
        "kk": "2025 жылғы 13–17 қазан",
        "en": "October 13–17, 2025",
    }


def test_the_narrative_of_a_program_through_the_api(
    app_client: TestClient, db: Session, report_world: ReportWorld, admin: User
) -> None:
    url = f"/api/v1/programs/{report_world.care.days.program.id}/narrative"
    told = app_client.get(f"{url}?lang=en", headers=bearer(db, admin))
    assert told.status_code == 200
    assert told.headers["content-type"].startswith("text/markdown")
    assert told.text.splitlines()[2] == (
        "The program “Days of Kazakh Medicine in Uzbekistan” took place on "
        "October 13–17, 2025, in 2 cities: Tashkent and Samarkand. 4 delegates took part. "
        "The visiting surgeons performed 2 high-tech interventions."
    )
    refused = app_client.get(f"{url}?lang=de", headers=bearer(db, admin))
    assert refused.status_code == 422
    assert [error["field"] for error in refused.json()["errors"]] == ["lang"]
