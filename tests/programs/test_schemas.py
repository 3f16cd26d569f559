"""The schemas read forms and JSON alike and refuse a bad record on the field to correct."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from hamkor.core.errors import UserError
from hamkor.core.forms import error_map, validate
from hamkor.programs.schemas import ActivityCreate, ProgramCreate

PROGRAM_FORM = {
    "code": "KZ-UZ-2025",
    "kind": "medical_days",
    "names.ru": "Дни казахстанской медицины",
    "names.en": "",
    "guest_country_id": "1",
    "host_country_id": "2",
    "starts_on": "2025-10-13",
    "ends_on": "2025-10-17",
}
ACTIVITY_FORM = {
    "kind": "master_class",
    "titles.en": "Off-pump bypass",
    "city_id": "3",
    "institution_id": "",
    "day": "2025-10-14",
    "start_time": "09:00",
    "end_time": "11:30",
    "lead_ids": "4",
    "trainee_capacity": "12",
}


def refusal(schema: type[Any], data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(UserError) as caught:
        validate(schema, data)
    return error_map(caught.value, "en")


def test_a_program_form_becomes_a_program() -> None:
    program = validate(ProgramCreate, PROGRAM_FORM)
    assert program.names == {"ru": "Дни казахстанской медицины"}
    assert program.descriptions is None
    assert program.host_country_id == 2


def test_a_program_ending_before_it_starts_is_refused_on_ends_on() -> None:
    errors = refusal(ProgramCreate, {**PROGRAM_FORM, "ends_on": "2025-10-12"})
    assert errors == {"ends_on": "The program cannot end before it starts."}


def test_a_program_without_any_name_or_country_names_those_fields() -> None:
    errors = refusal(ProgramCreate, {**PROGRAM_FORM, "names.ru": "", "host_country_id": ""})
    assert errors["names"] == "Give the name in at least one language."
    assert errors["host_country_id"] == "This field is required."


def test_an_activity_form_gives_local_hours_read_in_the_citys_zone() -> None:
    activity = validate(ActivityCreate, ACTIVITY_FORM)
    assert activity.lead_ids == [4]
    assert activity.institution_id is None
    assert activity.time_fields == ("day", "day")
    starts, ends = activity.span(ZoneInfo("Asia/Tashkent"))
    assert starts == datetime(2025, 10, 14, 4, 0, tzinfo=UTC)
    assert ends == datetime(2025, 10, 14, 6, 30, tzinfo=UTC)


def test_an_api_activity_gives_instants_with_offsets() -> None:
    activity = ActivityCreate.model_validate(
        {
            "kind": "lecture",
            "titles": {"en": "Lecture"},
            "city_id": 3,
            "starts_at": "2025-10-14T09:00:00+05:00",
            "ends_at": "2025-10-14T10:00:00+05:00",
            "lead_ids": [1, 2],
        }
    )
    assert activity.time_fields == ("starts_at", "ends_at")
    assert activity.span(ZoneInfo("Europe/Moscow"))[0] == datetime(2025, 10, 14, 4, tzinfo=UTC)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"end_time": "08:00"}, "end_time", "The activity must end after it starts."),
        ({"start_time": ""}, "start_time", "This field is required."),
        ({"trainee_capacity": "-1"}, "trainee_capacity", "Must be at least 0."),
        ({"city_id": ""}, "city_id", "This field is required."),
        ({"kind": "picnic"}, "kind", "Choose one of the offered values."),
    ],
)
def test_a_bad_activity_is_refused_on_its_field(
    changes: dict[str, str], field: str, message: str
) -> None:
    assert refusal(ActivityCreate, {**ACTIVITY_FORM, **changes})[field] == message


def test_api_instants_must_end_after_they_start_and_carry_an_offset() -> None:
    base = {"kind": "lecture", "titles.en": "Lecture", "city_id": "3"}
    backwards = {"starts_at": "2025-10-14T10:00:00Z", "ends_at": "2025-10-14T09:00:00Z"}
    assert "ends_at" in refusal(ActivityCreate, {**base, **backwards})
    naive = {"starts_at": "2025-10-14T10:00:00", "ends_at": "2025-10-14T11:00:00Z"}
    assert "starts_at" in refusal(ActivityCreate, {**base, **naive})
