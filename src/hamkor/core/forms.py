"""From a submitted HTML form to a validated schema, or to translated errors per field.

Forms post flat keys; a name in five scripts arrives as ``names.ru``, ``names.uz``, ... and is
folded into a dict here, so one Pydantic schema serves both the form and the JSON API.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, TypeVar

from fastapi import Path, Query
from pydantic import BaseModel, BeforeValidator, Field, ValidationError

from hamkor.core.errors import UserError, from_validation
from hamkor.core.i18n import LANGUAGES

SchemaT = TypeVar("SchemaT", bound=BaseModel)


def _as_list(value: Any) -> Any:
    """A form field with one chosen value arrives as a string; a list field wants a list."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",")] if "," in value else [value]
    return value


def _blank_to_none(value: Any) -> Any:
    """An empty form field means 'not given', not 'an empty string'."""
    return None if isinstance(value, str) and not value.strip() else value


#: Types for schema fields that also read forms: a list from one or many values, and optional.
FormList = BeforeValidator(_as_list)
BlankIsNone = BeforeValidator(_blank_to_none)
#: The largest key PostgreSQL's integer columns hold: a larger id is no record of ours, and
#: sending it to the database would overflow (SQLite refuses past 64 bits with a crash).
MAX_ID = 2**31 - 1
FormId = Annotated[int, Field(ge=1, le=MAX_ID)]
IdList = Annotated[list[FormId], FormList]
#: The id of a record in an address (``/cities/{city_id}``); out of range is a 422, not a crash.
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
#: The id of a record to filter by in a query string (``?institution=3``).
QueryId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
#: The page of a list asked for in a query string (``?page=2``); past the last shows the last.
PageNumber = Annotated[int, Query(ge=1, le=10**6)]
#: A step named in an address (``/appointments/3/check-in``), looked up among known ones.
PathStep = Annotated[str, Path(max_length=40)]


def nest(data: Mapping[str, Any]) -> dict[str, Any]:
    """Fold ``prefix.lang`` keys into ``{prefix: {lang: value}}``, dropping blank languages."""
    nested: dict[str, Any] = {}
    for key, value in data.items():
        prefix, dot, language = key.partition(".")
        if dot and language in LANGUAGES:
            bucket = nested.setdefault(prefix, {})
            if isinstance(value, str) and value.strip():
                bucket[language] = value.strip()
        else:
            nested[key] = value
    return nested


def flatten(values: Mapping[str, Any]) -> dict[str, Any]:
    """The inverse of :func:`nest`, to fill a form with a record's values."""
    flat: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dict) and value and set(value) <= set(LANGUAGES):
            flat.update({f"{key}.{language}": text for language, text in value.items()})
        else:
            flat[key] = value
    return flat


def record_values(record: object, schema: type[BaseModel]) -> dict[str, Any]:
    """The fields of ``schema`` that ``record`` holds as attributes of the same names."""
    return {name: getattr(record, name) for name in schema.model_fields if hasattr(record, name)}


def validate(schema: type[SchemaT], data: Mapping[str, Any]) -> SchemaT:
    """The schema filled from form data, or :class:`UserError` naming each bad field."""
    try:
        return schema.model_validate(nest(data))
    except ValidationError as error:
        raise from_validation(error) from error


def error_map(error: UserError, language: str) -> dict[str, str]:
    """Errors by field, translated, for re-rendering a form beside its fields."""
    messages: dict[str, str] = {}
    for item in error.errors:
        messages.setdefault(item.field, item.message.render(language))
    return messages
