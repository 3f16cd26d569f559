"""The directory's schemas: what forms, the API and imports accept, and the messages given."""

from __future__ import annotations

from typing import Any

import pytest

from hamkor.core.errors import UserError
from hamkor.core.forms import validate
from hamkor.directory.schemas import (
    CityCreate,
    CountryCreate,
    InstitutionCreate,
    PersonCreate,
    PersonRow,
    RoomCreate,
    country_codes,
)

CITY = {
    "code": "TAS",
    "country_id": "1",
    "names.uz": "Toshkent",
    "latitude": "41.2995",
    "longitude": "69.2401",
    "timezone": "Asia/Tashkent",
}


def errors_of(schema: type[Any], data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(UserError) as caught:
        validate(schema, data)
    return {item.field: item.message.render("en") for item in caught.value.errors}


def test_a_city_form_is_folded_and_typed() -> None:
    city = validate(CityCreate, CITY)
    assert city.names == {"uz": "Toshkent"}
    assert (city.country_id, city.latitude, city.timezone) == (1, 41.2995, "Asia/Tashkent")


def test_blank_required_fields_are_named_as_missing() -> None:
    errors = errors_of(CityCreate, dict.fromkeys(CITY, ""))
    assert errors["code"] == "This field is required."
    assert errors["country_id"] == "This field is required."
    assert errors["latitude"] == "This field is required."
    assert errors["names"] == "Give the name in at least one language."


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("latitude", "91", "Must be at most 90."),
        ("longitude", "-180.5", "Must be at least -180."),
        ("latitude", "north", "Enter a number."),
        ("timezone", "Asia/Samarkand-ish", "Unknown time zone Asia/Samarkand-ish"),
        ("code", "ТАШ", "Use only Latin letters, digits and . _ - in a code."),
        ("code", "TASHKENT-CITY", "Must be at most 10 characters."),
    ],
)
def test_city_values_out_of_range_are_refused(field: str, value: str, message: str) -> None:
    assert errors_of(CityCreate, {**CITY, field: value})[field].startswith(message)


@pytest.mark.parametrize(("given", "stored"), [("UZ", "UZ"), (" kz ", "KZ"), ("ru", "RU")])
def test_country_codes_are_iso_alpha_2(given: str, stored: str) -> None:
    assert validate(CountryCreate, {"code": given}).code == stored


@pytest.mark.parametrize("code", ["EU", "UN", "ZZ", "XX", "UZB", "1A"])
def test_groupings_and_unassigned_codes_are_not_countries(code: str) -> None:
    assert "is not an ISO 3166-1 country code" in errors_of(CountryCreate, {"code": code})["code"]


def test_cldr_knows_exactly_the_iso_countries() -> None:
    assert len(country_codes()) == 249
    assert {"UZ", "KZ", "RU", "TR"} <= country_codes()


@pytest.mark.parametrize("capacity", ["0", "-1"])
def test_a_room_holds_somebody(capacity: str) -> None:
    data = {"institution_id": "1", "code": "OR-1", "kind": "operating_room", "names.ru": "Зал"}
    errors = errors_of(RoomCreate, {**data, "capacity": capacity})
    assert errors == {"capacity": "Must be greater than 0."}


def test_an_unknown_room_kind_is_refused() -> None:
    data = {"institution_id": "1", "code": "X", "kind": "garage", "capacity": "3", "names.en": "X"}
    assert errors_of(RoomCreate, data) == {"kind": "Choose one of the offered values."}


@pytest.mark.parametrize("phone", ["+998 71 277-26-44", "87012223344", "+7-701-555-01-02"])
def test_phone_numbers_in_common_notations(phone: str) -> None:
    assert validate(PersonCreate, {"names.en": "A", "phone": phone}).phone == phone


@pytest.mark.parametrize("phone", ["12345", "+998 (71) 277", "call me", "998+71", "1" * 21])
def test_phone_numbers_of_the_wrong_shape(phone: str) -> None:
    errors = errors_of(PersonCreate, {"names.en": "A", "phone": phone})
    assert errors["phone"].startswith("Enter 6 to 20 digits")


def test_person_contacts_and_languages_are_checked() -> None:
    errors = errors_of(
        PersonCreate, {"names.en": "A", "email": "not-an-address", "languages": ["ru", "xx"]}
    )
    assert errors == {
        "email": "Enter a valid e-mail address.",
        "languages": "Unknown language code xx.",
    }


def test_blank_optional_fields_are_not_given() -> None:
    person = validate(
        PersonCreate,
        {"names.kk": "Ахметов Нұрлан", "email": "", "phone": " ", "position.ru": "", "code": ""},
    )
    assert (person.email, person.phone, person.position, person.code) == (None, None, None, None)


def test_a_form_with_one_chosen_language_gives_a_list() -> None:
    person = validate(PersonCreate, {"names.en": "A", "languages": "kk", "specialty_ids": "3"})
    assert (person.languages, person.specialty_ids) == (["kk"], [3])


def test_an_import_row_splits_its_lists_on_semicolons() -> None:
    row = PersonRow.model_validate(
        {"code": "KZ-1", "names": {"en": "A"}, "languages": "kk; ru", "specialties": "a;b"}
    )
    assert (row.languages, row.specialties) == (["kk", "ru"], ["a", "b"])


def test_unknown_fields_are_refused_not_ignored() -> None:
    assert errors_of(CityCreate, {**CITY, "population": "3000000"}) == {
        "population": "This value is not valid."
    }


INSTITUTION = {"code": "KZ-SYZGANOV", "kind": "research_centre", "names.en": "Syzganov centre"}


@pytest.mark.parametrize("value", ["KZ-BIN-990540002276", "XM-DAC-41114", ""])
def test_an_organisation_identifier_is_iatis_or_blank(value: str) -> None:
    institution = validate(
        InstitutionCreate, {**INSTITUTION, "city_id": "1", "org_identifier": value}
    )
    assert institution.org_identifier == value


@pytest.mark.parametrize("value", ["990540002276", "KZ BIN 990540002276", "KZ-BIN-99/05"])
def test_an_organisation_identifier_not_as_iati_writes_it_is_refused(value: str) -> None:
    errors = errors_of(InstitutionCreate, {**INSTITUTION, "city_id": "1", "org_identifier": value})
    assert list(errors) == ["org_identifier"]
    assert errors["org_identifier"].startswith("Write the organisation identifier as IATI does")
