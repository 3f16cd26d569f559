"""Reading and writing instance and plan files, with errors that name the place in the file.

``load_instance`` and ``load_plan`` take a :class:`~pathlib.Path` (a file, read as UTF-8) or a
``str`` (the JSON text itself). Any problem raises :class:`InstanceError` listing every
:class:`Problem` found, each with a JSON-path-style ``path`` (``activities[3].duration_minutes``)
or, for a JSON syntax error, the line and column. An instance that passes the schema is then
checked for meaning: duplicate ids, unknown ids, a city missing from the travel matrix, a day
outside the program, a day that ends before it starts, a fixed start off the slot grid.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from hamkor.planning.solver.model import (
    INSTANCE_FORMAT,
    PLAN_FORMAT,
    Instance,
    Plan,
    minutes,
)

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file: where (JSON path, or line and column) and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class InstanceError(ValueError):
    """A file that cannot be used as an instance or a plan; ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(problem) for problem in problems))


def json_path(loc: Iterable[int | str]) -> str:
    """``("activities", 3, "duration_minutes")`` as ``activities[3].duration_minutes``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def _read(source: str | Path) -> str:
    """The text of a file (gzip-compressed when its name ends in ``.gz``, as the benchmark
    instances are), or ``source`` itself when it is text."""
    if isinstance(source, Path):
        try:
            if source.suffix == ".gz":
                return gzip.decompress(source.read_bytes()).decode("utf-8")
            return source.read_text(encoding="utf-8")
        except (OSError, EOFError, UnicodeDecodeError) as error:
            raise InstanceError([Problem("", f"cannot read {source}: {error}")]) from error
    return source


def _parse(source: str | Path, model: type[M], expected_format: str) -> M:
    text = _read(source)
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as error:
        raise InstanceError(
            [Problem(f"line {error.lineno}, column {error.colno}", f"invalid JSON: {error.msg}")]
        ) from error
    if not isinstance(data, dict):
        raise InstanceError([Problem("", f'expected a JSON object of format "{expected_format}"')])
    found = data.get("format")
    if found != expected_format:
        what = "missing" if found is None else f"{json.dumps(found, ensure_ascii=False)} found"
        raise InstanceError(
            [Problem("format", f'expected "{expected_format}" ({what})')],
        )
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems = [
            Problem(json_path(detail["loc"]), detail["msg"])
            for detail in error.errors(include_url=False)
        ]
        raise InstanceError(problems) from error


def load_instance(source: str | Path) -> Instance:
    """An instance from a file (``Path``) or JSON text (``str``), checked for form and meaning."""
    instance = _parse(source, Instance, INSTANCE_FORMAT)
    problems = validate_instance(instance)
    if problems:
        raise InstanceError(problems)
    return instance


def load_plan(source: str | Path) -> Plan:
    """A plan from a file (``Path``) or JSON text (``str``), checked for form only.

    Whether the plan fits its instance is the checker's job (:mod:`hamkor.planning.solver.check`).
    """
    return _parse(source, Plan, PLAN_FORMAT)


def dump(model: BaseModel) -> str:
    """The model as JSON text: UTF-8 (no escapes), fields in the model's order, 2-space indent."""
    return json.dumps(model.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n"


def _duplicates(kind: str, ids: Sequence[str], problems: list[Problem]) -> None:
    first: dict[str, int] = {}
    for index, item in enumerate(ids):
        if item in first:
            problems.append(
                Problem(f"{kind}[{index}].id", f"duplicate id {item!r}, as {kind}[{first[item]}]")
            )
        else:
            first[item] = index


def validate_instance(instance: Instance) -> list[Problem]:
    """Every problem of meaning in a schema-valid instance, each naming its place."""
    problems: list[Problem] = []
    program = instance.program
    days = set(program.days)
    day_start, day_end = minutes(program.day_start), minutes(program.day_end)
    if day_end <= day_start:
        problems.append(
            Problem("program.day_end", f"{program.day_end} is not after {program.day_start}")
        )
    if len(days) != len(program.days):
        problems.append(Problem("program.days", "a day is listed twice"))

    _duplicates("cities", [city.id for city in instance.cities], problems)
    _duplicates("rooms", [room.id for room in instance.rooms], problems)
    _duplicates("specialists", [s.id for s in instance.specialists], problems)
    _duplicates("activities", [a.id for a in instance.activities], problems)
    _duplicates("trainees", [t.id for t in instance.trainees], problems)
    _duplicates("patients", [p.id for p in instance.patients], problems)

    cities = {city.id for city in instance.cities}
    rooms = {room.id for room in instance.rooms}
    specialists = {s.id for s in instance.specialists}
    activities = {a.id for a in instance.activities}
    #: Where each city is first used (rooms, activities, specialists), for the travel check.
    used: dict[str, str] = {}

    def city_ref(path: str, city: str, *, uses: bool = True) -> None:
        if city not in cities:
            problems.append(Problem(path, f"unknown city {city!r}"))
        elif uses:
            used.setdefault(city, path)

    def day_ref(path: str, day: date) -> None:
        if day not in days:
            problems.append(Problem(path, f"{day.isoformat()} is not a day of the program"))

    pairs: dict[frozenset[str], int] = {}
    for index, travel in enumerate(instance.travel):
        city_ref(f"travel[{index}].a", travel.a, uses=False)
        city_ref(f"travel[{index}].b", travel.b, uses=False)
        pair = frozenset((travel.a, travel.b))
        if pair in pairs and travel.a != travel.b:
            problems.append(
                Problem(
                    f"travel[{index}]",
                    f"{travel.a!r}-{travel.b!r} already given in travel[{pairs[pair]}]",
                )
            )
        pairs.setdefault(pair, index)

    for index, room in enumerate(instance.rooms):
        city_ref(f"rooms[{index}].city", room.city)
        for j, hours in enumerate(room.hours):
            day_ref(f"rooms[{index}].hours[{j}].day", hours.day)
        for j, day in enumerate(room.closed):
            day_ref(f"rooms[{index}].closed[{j}]", day)

    for index, specialist in enumerate(instance.specialists):
        here = f"specialists[{index}]"
        for j, hours in enumerate(specialist.hours):
            day_ref(f"{here}.hours[{j}].day", hours.day)
        for j, day in enumerate(specialist.unavailable):
            day_ref(f"{here}.unavailable[{j}]", day)
        for name, moment in (("arrival", specialist.arrival), ("departure", specialist.departure)):
            if moment is not None:
                city_ref(f"{here}.{name}.city", moment.city)
                day_ref(f"{here}.{name}.day", moment.day)

    slot = program.slot_minutes
    for index, activity in enumerate(instance.activities):
        here = f"activities[{index}]"
        for j, city in enumerate(activity.cities):
            city_ref(f"{here}.cities[{j}]", city)
        for j, lead in enumerate(activity.named_leads):
            if lead not in specialists:
                problems.append(Problem(f"{here}.named_leads[{j}]", f"unknown specialist {lead!r}"))
        if activity.fixed_day is not None:
            day_ref(f"{here}.fixed_day", activity.fixed_day)
        if activity.fixed_start is not None:
            start = minutes(activity.fixed_start)
            if start < day_start or (start - day_start) % slot:
                problems.append(
                    Problem(
                        f"{here}.fixed_start",
                        f"{activity.fixed_start} is not on the {slot}-minute grid "
                        f"from {program.day_start}",
                    )
                )

    for index, trainee in enumerate(instance.trainees):
        city_ref(f"trainees[{index}].city", trainee.city, uses=False)
        for j, day in enumerate(trainee.days):
            day_ref(f"trainees[{index}].days[{j}]", day)

    for index, patient in enumerate(instance.patients):
        for j, city in enumerate(patient.cities):
            city_ref(f"patients[{index}].cities[{j}]", city, uses=False)
        for j, day in enumerate(patient.days):
            day_ref(f"patients[{index}].days[{j}]", day)

    for index, placed in enumerate(instance.accepted):
        here = f"accepted[{index}]"
        if placed.activity not in activities:
            problems.append(Problem(f"{here}.activity", f"unknown activity {placed.activity!r}"))
        if placed.room not in rooms:
            problems.append(Problem(f"{here}.room", f"unknown room {placed.room!r}"))
        city_ref(f"{here}.city", placed.city, uses=False)
        day_ref(f"{here}.day", placed.day)
        for j, lead in enumerate(placed.leads):
            if lead not in specialists:
                problems.append(Problem(f"{here}.leads[{j}]", f"unknown specialist {lead!r}"))

    accepted = {placed.activity for placed in instance.accepted}
    for index, pinned in enumerate(instance.pinned):
        if pinned not in activities:
            problems.append(Problem(f"pinned[{index}]", f"unknown activity {pinned!r}"))
        elif pinned not in accepted:
            problems.append(Problem(f"pinned[{index}]", f"{pinned!r} is not in the accepted plan"))

    for index, taken in enumerate(instance.busy):
        here = f"busy[{index}]"
        if taken.id in activities:
            problems.append(Problem(f"{here}.id", f"{taken.id!r} is also a requested activity"))
        if taken.room is not None and taken.room not in rooms:
            problems.append(Problem(f"{here}.room", f"unknown room {taken.room!r}"))
        city_ref(f"{here}.city", taken.city)
        day_ref(f"{here}.day", taken.day)
        for j, lead in enumerate(taken.leads):
            if lead not in specialists:
                problems.append(Problem(f"{here}.leads[{j}]", f"unknown specialist {lead!r}"))

    ordered = list(used)
    for i, first in enumerate(ordered):
        for second in ordered[i + 1 :]:
            if frozenset((first, second)) not in pairs:
                problems.append(
                    Problem(
                        used[second],
                        f"no travel minutes between {first!r} and {second!r} "
                        f"(the travel matrix must cover every city used)",
                    )
                )
    return problems
