"""Errors a person can act on: each names the field and the problem, in the reader's language."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from pydantic_core import PydanticCustomError

from hamkor.core.i18n import N_, Message

#: The code of errors raised by our own validators; their message id travels in ``ctx``.
HAMKOR_ERROR = "hamkor"
#: A NUL, a control character where one line is asked for, or half of a UTF-16 pair.
NOT_ALLOWED = N_("This value contains a character that is not allowed.")


@dataclass(frozen=True)
class FieldError:
    """A problem with one field (``field`` empty for a problem with the whole record)."""

    field: str
    message: Message


class UserError(Exception):
    """Input the platform refuses; nothing of the request is written."""

    def __init__(self, errors: list[FieldError], status_code: int = 422) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message.text}" for e in errors))
        self.errors = errors
        self.status_code = status_code

    @classmethod
    def one(cls, field: str, text: str, **params: Any) -> UserError:
        return cls([FieldError(field, Message(text, params))])


def problem(field: str, text: str, **params: Any) -> FieldError:
    """One refusal naming its field, translated when shown: services gather several before
    refusing (with :func:`refuse_any`), so a person sees every problem of a form at once."""
    return FieldError(field, Message(text, params))


def refuse_any(errors: list[FieldError]) -> None:
    """Refuse with every problem found at once, so the form shows them all together."""
    if errors:
        raise UserError(errors)


def invalid(text: str, **params: Any) -> PydanticCustomError:
    """A validator's error whose message is translated when shown (raise it in a validator)."""
    return PydanticCustomError(HAMKOR_ERROR, text, {"msgid": text, **params})


# Pydantic's error types mapped to our catalog, with the context keys each message uses.
_PYDANTIC_MESSAGES: dict[str, str] = {
    "missing": N_("This field is required."),
    "string_too_short": N_("This field cannot be empty."),
    "string_too_long": N_("Must be at most %(max_length)s characters."),
    "string_pattern_mismatch": N_("This value has the wrong format."),
    "string_unicode": NOT_ALLOWED,
    "too_long": N_("Give at most %(max_length)s values."),
    "int_parsing": N_("Enter a whole number."),
    "int_type": N_("Enter a whole number."),
    "int_from_float": N_("Enter a whole number."),
    "float_parsing": N_("Enter a number."),
    "float_type": N_("Enter a number."),
    "bool_parsing": N_("Enter yes or no."),
    "date_parsing": N_("Enter a date as YYYY-MM-DD."),
    "date_from_datetime_parsing": N_("Enter a date as YYYY-MM-DD."),
    "date_type": N_("Enter a date as YYYY-MM-DD."),
    "datetime_parsing": N_("Enter a date and time as YYYY-MM-DD HH:MM."),
    "datetime_from_date_parsing": N_("Enter a date and time as YYYY-MM-DD HH:MM."),
    "datetime_type": N_("Enter a date and time as YYYY-MM-DD HH:MM."),
    "time_parsing": N_("Enter a time as HH:MM."),
    "greater_than": N_("Must be greater than %(gt)s."),
    "greater_than_equal": N_("Must be at least %(ge)s."),
    "less_than": N_("Must be less than %(lt)s."),
    "less_than_equal": N_("Must be at most %(le)s."),
    "enum": N_("Choose one of the offered values."),
    "literal_error": N_("Choose one of the offered values."),
    "too_short": N_("Choose at least %(min_length)s."),
    "list_type": N_("Choose one or more of the offered values."),
    "email": N_("Enter a valid e-mail address."),
}
_FALLBACK = N_("This value is not valid.")


def _field_name(location: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in location if part not in ("body", "query", "path"))


def from_validation(error: ValidationError) -> UserError:
    """Our translated errors for a Pydantic validation error, one per field."""
    return from_error_items(error.errors(include_url=False))


def from_error_items(items: Sequence[Mapping[str, Any]]) -> UserError:
    """Our translated errors for Pydantic's error items (as FastAPI's request errors carry)."""
    errors: list[FieldError] = []
    for item in items:
        context = dict(item.get("ctx") or {})
        if item["type"] == HAMKOR_ERROR:
            text = str(context.pop("msgid"))
        else:
            text = _PYDANTIC_MESSAGES.get(item["type"], _FALLBACK)
        params = {key: value for key, value in context.items() if f"%({key})" in text}
        errors.append(FieldError(_field_name(item["loc"]), Message(text, params)))
    return UserError(errors)
