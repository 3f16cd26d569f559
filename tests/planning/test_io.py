"""Reading instance and plan files: every bad file gets an error naming the place."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hamkor.planning.solver.generate import generate
from hamkor.planning.solver.io import InstanceError, dump, load_instance, load_plan

from .tiny import instance, instance_data, plan

Data = dict[str, Any]


def problems_of(data: Data) -> list[tuple[str, str]]:
    with pytest.raises(InstanceError) as caught:
        load_instance(json.dumps(data))
    return [(p.path, p.message) for p in caught.value.problems]


def test_round_trip_text_and_file(tmp_path: Path) -> None:
    inst = instance()
    text = dump(inst)
    assert load_instance(text) == inst
    path = tmp_path / "instance.json"
    path.write_text(text, encoding="utf-8")
    assert load_instance(path) == inst
    assert dump(load_instance(path)) == text
    p = plan(inst)
    assert load_plan(dump(p)) == p


def test_dump_is_utf8_and_stable() -> None:
    data = instance_data()
    data["cities"][0]["name"] = "Тошкент"
    inst = load_instance(json.dumps(data))
    text = dump(inst)
    assert "Тошкент" in text
    assert text == dump(load_instance(text))
    assert list(json.loads(text))[:3] == ["format", "program", "cities"]


def test_json_syntax_error_names_line_and_column() -> None:
    with pytest.raises(InstanceError) as caught:
        load_instance('{\n  "format": "hamkor.plan-instance/1",\n  "program": }')
    (problem,) = caught.value.problems
    assert problem.path == "line 3, column 14"
    assert "invalid JSON" in problem.message


@pytest.mark.parametrize(
    ("value", "found"), [(None, "missing"), ("hamkor.plan/1", '"hamkor.plan/1" found')]
)
def test_wrong_or_missing_format(value: str | None, found: str) -> None:
    data = instance_data()
    if value is None:
        del data["format"]
    else:
        data["format"] = value
    ((path, message),) = problems_of(data)
    assert path == "format"
    assert '"hamkor.plan-instance/1"' in message
    assert found in message


def test_plan_format_expected() -> None:
    with pytest.raises(InstanceError) as caught:
        load_plan(dump(instance()))
    assert caught.value.problems[0].path == "format"
    assert "hamkor.plan/1" in caught.value.problems[0].message


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(InstanceError, match="cannot read"):
        load_instance(tmp_path / "missing.json")


def test_gzip_compressed_files_read_as_the_benchmark_instances_are(tmp_path: Path) -> None:
    inst = instance()
    path = tmp_path / "instance.json.gz"
    path.write_bytes(gzip.compress(dump(inst).encode("utf-8")))
    assert load_instance(path) == inst
    broken = tmp_path / "broken.json.gz"
    broken.write_bytes(gzip.compress(dump(inst).encode("utf-8"))[:40])
    with pytest.raises(InstanceError, match=r"cannot read .*broken\.json\.gz"):
        load_instance(broken)


def test_the_published_instances_are_the_generator_s() -> None:
    root = Path(__file__).resolve().parents[2] / "bench" / "instances"
    assert sorted(p.name for p in root.glob("*.json.gz")) == sorted(
        f"scale-{scale}-seed-{seed}.json.gz" for scale in (1, 2, 4) for seed in range(1, 6)
    )
    assert load_instance(root / "scale-1-seed-3.json.gz") == generate(1, 3)


def edit(path: str, value: Any) -> Callable[[Data], None]:
    """Set (or with ``...`` delete) a value at ``a.0.b``."""

    def apply(data: Data) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        key: Any = int(last) if last.isdigit() else last
        if value is ...:
            del target[key]
        else:
            target[key] = value

    return apply


def append(field: str, item: Any) -> Callable[[Data], None]:
    def apply(data: Data) -> None:
        data.setdefault(field, []).append(item)

    return apply


OUT = "2025-11-01"
CASES: list[tuple[str, Callable[[Data], None], str, str]] = [
    # schema
    (
        "negative",
        edit("activities.2.duration_minutes", -30),
        "activities[2].duration_minutes",
        "greater than 0",
    ),
    ("missing", edit("rooms.0.city", ...), "rooms[0].city", "required"),
    ("extra", edit("rooms.1.colour", "red"), "rooms[1].colour", "not permitted"),
    ("clock", edit("program.day_start", "8h"), "program.day_start", "pattern"),
    ("priority", edit("patients.0.priority", 9), "patients[0].priority", "less than or equal"),
    (
        "hours",
        edit("rooms.0.hours", [{"day": "2025-10-13", "start": "12:00", "end": "09:00"}]),
        "rooms[0].hours[0]",
        "end must be after start",
    ),
    # meaning
    ("dup", edit("rooms.1.id", "ra"), "rooms[1].id", "duplicate id 'ra'"),
    ("dup-activity", edit("activities.1.id", "op1"), "activities[1].id", "duplicate id"),
    ("room.city", edit("rooms.0.city", "zz"), "rooms[0].city", "unknown city 'zz'"),
    ("travel.a", edit("travel.0.a", "zz"), "travel[0].a", "unknown city"),
    ("travel.b", edit("travel.0.b", "zz"), "travel[0].b", "unknown city"),
    (
        "activity.cities",
        edit("activities.0.cities", ["a", "zz"]),
        "activities[0].cities[1]",
        "unknown city",
    ),
    (
        "named_leads",
        edit("activities.0.named_leads", ["s9"]),
        "activities[0].named_leads[0]",
        "unknown specialist 's9'",
    ),
    ("trainee.city", edit("trainees.1.city", "zz"), "trainees[1].city", "unknown city"),
    ("patient.cities", edit("patients.2.cities", ["zz"]), "patients[2].cities[0]", "unknown city"),
    (
        "arrival.city",
        edit("specialists.2.arrival.city", "zz"),
        "specialists[2].arrival.city",
        "unknown city",
    ),
    (
        "accepted",
        append(
            "accepted",
            {
                "activity": "x",
                "day": "2025-10-13",
                "start": "08:00",
                "end": "09:00",
                "city": "a",
                "room": "ra",
                "leads": ["s1"],
            },
        ),
        "accepted[0].activity",
        "unknown activity 'x'",
    ),
    (
        "accepted.room",
        append(
            "accepted",
            {
                "activity": "op1",
                "day": "2025-10-13",
                "start": "08:00",
                "end": "10:00",
                "city": "a",
                "room": "r9",
                "leads": ["s1"],
            },
        ),
        "accepted[0].room",
        "unknown room",
    ),
    ("pinned", append("pinned", "x"), "pinned[0]", "unknown activity 'x'"),
    ("pinned-not-accepted", append("pinned", "op1"), "pinned[0]", "not in the accepted plan"),
    (
        "travel-missing",
        edit("travel", []),
        "rooms[1].city",
        "no travel minutes between 'a' and 'b'",
    ),
    (
        "travel-twice",
        append("travel", {"a": "b", "b": "a", "minutes": 90}),
        "travel[1]",
        "already given",
    ),
    (
        "hours.day",
        edit("rooms.0.hours", [{"day": OUT, "start": "09:00", "end": "12:00"}]),
        "rooms[0].hours[0].day",
        "not a day of the program",
    ),
    ("closed", edit("rooms.0.closed", [OUT]), "rooms[0].closed[0]", "not a day of the program"),
    ("fixed_day", edit("activities.0.fixed_day", OUT), "activities[0].fixed_day", "not a day"),
    (
        "unavailable",
        edit("specialists.0.unavailable", [OUT]),
        "specialists[0].unavailable[0]",
        "not a day",
    ),
    ("trainee.days", edit("trainees.0.days", [OUT]), "trainees[0].days[0]", "not a day"),
    ("patient.days", edit("patients.0.days", [OUT]), "patients[0].days[0]", "not a day"),
    (
        "arrival.day",
        edit("specialists.2.arrival.day", OUT),
        "specialists[2].arrival.day",
        "not a day",
    ),
    (
        "departure.day",
        edit("specialists.0.departure", {"city": "a", "day": OUT, "time": "20:00"}),
        "specialists[0].departure.day",
        "not a day",
    ),
    ("day_end", edit("program.day_end", "07:00"), "program.day_end", "not after 08:00"),
    (
        "fixed_start",
        edit("activities.0.fixed_start", "08:10"),
        "activities[0].fixed_start",
        "not on the 30-minute grid",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "path", "message"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_bad_instance_names_the_place(
    mutate: Callable[[Data], None], path: str, message: str
) -> None:
    data = instance_data()
    mutate(data)
    problems = problems_of(data)
    assert any(p == path and message in m for p, m in problems), problems


def test_every_problem_is_reported() -> None:
    data = instance_data()
    edit("rooms.0.city", "zz")(data)
    edit("activities.0.fixed_day", OUT)(data)
    paths = {path for path, _ in problems_of(data)}
    assert {"rooms[0].city", "activities[0].fixed_day"} <= paths
