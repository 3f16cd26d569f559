"""Finding records: one search across the five languages and both Uzbek scripts, filters, pages."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hamkor.core.access import Actor
from hamkor.core.models import User
from hamkor.directory import service
from hamkor.directory.filters import CityFilter, InstitutionFilter, PersonFilter
from hamkor.directory.models import City, Institution, InstitutionKind, Person, Specialty
from tests.fixtures.directory import CityFactory, InstitutionFactory, PersonFactory, bearer

READER = Actor(user_id=1, username="reader")


def city_codes(db: Session, query: str) -> list[str]:
    page = service.list_cities(db=db, actor=READER, filters=CityFilter(q=query), size=25)
    return [city.code for city in page.items]


@pytest.mark.parametrize(
    "query", ["Тошкент", "toshkent", "Ташкент", "TASHKENT", "tas", "  ташкент  ", "Тош кент"]
)
def test_tashkent_is_found_in_every_script(
    db: Session, tashkent: City, samarkand: City, query: str
) -> None:
    assert city_codes(db, query) == ["TAS"]


def test_a_query_of_two_cities_finds_neither(db: Session, tashkent: City, samarkand: City) -> None:
    assert city_codes(db, "Самарканд Ташкент") == []


def test_a_cyrillic_query_finds_a_name_given_only_in_latin(
    db: Session, create_city: CityFactory
) -> None:
    create_city("BHK", {"uz": "Buxoro"}, latitude=39.77, longitude=64.43)
    assert city_codes(db, "Бухоро") == ["BHK"]
    assert city_codes(db, "buxoro") == ["BHK"]


def test_a_latin_query_finds_a_name_given_only_in_cyrillic(
    db: Session, create_city: CityFactory
) -> None:
    create_city("NKS", {"uz-Cyrl": "Нукус"}, latitude=42.46, longitude=59.6)
    assert city_codes(db, "nukus") == ["NKS"]


def test_every_word_must_match(db: Session, vakhidov: Institution, syzganov: Institution) -> None:
    def found(query: str) -> list[str]:
        filters = InstitutionFilter(q=query)
        page = service.list_institutions(db=db, actor=READER, filters=filters, size=25)
        return [institution.code for institution in page.items]

    assert found("хирург") == ["KZ-SYZGANOV", "UZ-VAKHIDOV"]
    assert found("хирургии Вахидова") == ["UZ-VAKHIDOV"]
    assert found("Сызғанов орталығы") == ["KZ-SYZGANOV"]
    assert found("Vohidov Сызганов") == []


def test_like_wildcards_in_a_query_are_taken_literally(db: Session, tashkent: City) -> None:
    assert city_codes(db, "%") == []
    assert city_codes(db, "_") == []


def test_institutions_are_filtered_by_kind_country_and_city(
    db: Session,
    vakhidov: Institution,
    syzganov: Institution,
    create_institution: InstitutionFactory,
    tashkent: City,
) -> None:
    create_institution("UZ-MOH", {"uz": "Sogʻliqni saqlash vazirligi"}, city=tashkent,
                       kind=InstitutionKind.MINISTRY)  # fmt: skip

    def found(**filters: object) -> set[str]:
        page = service.list_institutions(
            db=db, actor=READER, filters=InstitutionFilter.model_validate(filters), size=25
        )
        return {institution.code for institution in page.items}

    assert found(kind="ministry") == {"UZ-MOH"}
    assert found(country=syzganov.country_id) == {"KZ-SYZGANOV"}
    assert found(city=tashkent.id, kind="research_centre") == {"UZ-VAKHIDOV"}
    assert found(city="", kind="", q="") == {"UZ-MOH", "UZ-VAKHIDOV", "KZ-SYZGANOV"}


def test_people_are_filtered_by_specialty_and_language(
    db: Session,
    syzganov_surgeon: Person,
    create_person: PersonFactory,
    neurosurgery: Specialty,
) -> None:
    create_person({"en": "Interpreter"}, languages=["ru", "en"])
    create_person({"en": "Neurosurgeon"}, specialties=[neurosurgery], languages=["kk"])

    def found(**filters: object) -> set[str]:
        page = service.list_people(
            db=db, actor=READER, filters=PersonFilter.model_validate(filters), size=25
        )
        return {person.names["en"] for person in page.items}

    assert found(specialty=neurosurgery.id) == {"Neurosurgeon"}
    assert found(language="kk") == {"Nurlan Akhmetov", "Neurosurgeon"}
    assert found(language="en") == {"Interpreter"}
    assert found(institution=syzganov_surgeon.institution_id) == {"Nurlan Akhmetov"}


def test_the_list_page_searches_in_the_readers_script(
    admin_client: TestClient, tashkent: City, samarkand: City
) -> None:
    page = admin_client.get("/directory/cities?q=Самарқанд", headers={"accept-language": "uz-Cyrl"})
    assert "Самарқанд" in page.text
    assert "Тошкент" not in page.text
    assert 'value="Самарқанд"' in page.text


def test_lists_are_paged_with_their_filters(
    admin_client: TestClient, db: Session, create_institution: InstitutionFactory, tashkent: City
) -> None:
    for number in range(30):
        create_institution(f"UZ-POLY-{number:02}", {"uz": f"{number}-son poliklinika"},
                           city=tashkent, kind=InstitutionKind.CLINIC)  # fmt: skip
    first = admin_client.get(
        "/directory/institutions?kind=clinic", headers={"accept-language": "en"}
    )
    assert first.text.count('<td><a href="/directory/institutions/') == 25
    assert "30 records" in first.text
    assert "Page 1 of 2" in first.text
    assert 'href="?kind=clinic&amp;page=2"' in first.text
    second = admin_client.get("/directory/institutions?kind=clinic&page=2")
    assert second.text.count('<td><a href="/directory/institutions/') == 5
    beyond = admin_client.get("/directory/institutions?kind=clinic&page=9")
    assert beyond.text.count('<td><a href="/directory/institutions/') == 5


def test_the_api_lists_pages_with_the_same_filters(
    app_client: TestClient,
    db: Session,
    admin: User,
    create_institution: InstitutionFactory,
    tashkent: City,
) -> None:
    for number in range(27):
        create_institution(f"UZ-C-{number:02}", {"ru": f"Клиника {number}"}, city=tashkent)
    headers = bearer(db, admin)
    body = app_client.get("/api/v1/institutions?q=клиника&page=2", headers=headers).json()
    assert (body["total"], body["page"], body["pages"]) == (27, 2, 2)
    assert [item["code"] for item in body["items"]] == ["UZ-C-25", "UZ-C-26"]
    found = app_client.get("/api/v1/cities?q=Тошкент", headers=headers).json()
    assert [item["code"] for item in found["items"]] == ["TAS"]
    assert found["items"][0]["country"]["code"] == "UZ"
