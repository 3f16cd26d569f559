"""What forms and lists show, and how a posted form is saved or shown again, for every module.

The pages of the directory and of programs turn rows and enums into select-box options, records
into form values and settings into page sizes the same way; and a form they post is saved one
way: validated by its schema, its work in a savepoint, or shown again with each message beside
its field. Kept here, once, so the modules cannot drift apart in how a form behaves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any, Protocol, TypeVar

from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from hamkor.core import access, flash, pickers
from hamkor.core.errors import UserError
from hamkor.core.forms import error_map, flatten, record_values, validate
from hamkor.core.i18n import N_, Message, Translator
from hamkor.core.web import Ctx, settings_of

SchemaT = TypeVar("SchemaT", bound=BaseModel)
SavedT = TypeVar("SavedT")
ValueT = TypeVar("ValueT", bound=str)

#: The status of a form shown again because it was refused.
REFUSED = 422


@dataclass(frozen=True)
class Picks:
    """A form's searchable pickers: how each field finds records, and which take several."""

    finders: Mapping[str, pickers.Finder]
    multiple: frozenset[str] = frozenset()


class NamedRow(Protocol):
    """A row with a name per language or script: a country, an institution, a brigade..."""

    @property
    def id(self) -> int: ...

    @property
    def names(self) -> dict[str, str]: ...


# --- what lists show ------------------------------------------------------------------------


def page_size(ctx: Ctx) -> int:
    """How many rows a list shows on one page: one setting for every page and API list."""
    return settings_of(ctx.request).page_size


def pager_params(filters: BaseModel) -> dict[str, Any]:
    """The current filters as query parameters, for the pager's links (which add the page)."""
    return filters.model_dump(exclude={"page"}, mode="json")


# --- what forms show ------------------------------------------------------------------------


def named_options(translator: Translator, rows: Iterable[NamedRow]) -> list[tuple[int, str]]:
    """Select-box options ``(id, name)``, named and sorted in the reader's language.

    Sorting by the translated name (case-folded) rather than by a column keeps the list
    alphabetical for every reader, whichever script their language is written in.
    """
    options = [(row.id, translator.name(row.names)) for row in rows]
    return sorted(options, key=lambda option: option[1].casefold())


def labelled_options(translator: Translator, labels: Mapping[ValueT, str]) -> list[tuple[str, str]]:
    """Select-box options ``(value, label)`` from an enum's label map, labels translated.

    The value is the plain string the form posts back; the order is the map's, which puts the
    values in the order that makes sense for them rather than alphabetically.
    """
    return [(str(value), translator.gettext(label)) for value, label in labels.items()]


def _box_value(value: Any) -> Any:
    """A value as a form box takes it: times as HH:MM, instants as YYYY-MM-DDTHH:MM."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M")
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return value


def form_of(values: Mapping[str, Any]) -> dict[str, Any]:
    """Values in a schema's terms as a form shows them: names spread out per language
    (``names.ru``), times and instants in the formats of the browser's time boxes.

    For values a service has already put in the form's terms (local times, linked ids);
    :func:`form_values` reads them off a record.
    """
    return {key: _box_value(value) for key, value in flatten(values).items()}


def form_values(record: object, schema: type[BaseModel], **extra: Any) -> dict[str, Any]:
    """A record's current values of the form's fields, ready for an edit form's boxes.

    The fields are the schema's, read from the record's attributes of the same names;
    ``extra`` adds (or replaces) what the record holds otherwise, such as the ids of linked
    rows. One function for every module, so dates and times look the same on all forms.
    """
    return form_of({**record_values(record, schema), **extra})


# --- saving a posted form -------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """Why a posted form was not saved: each message by its field, in the reader's language."""

    errors: dict[str, str]
    status_code: int = REFUSED


def save_form(
    ctx: Ctx,
    form: Mapping[str, Any],
    schema: type[SchemaT],
    save: Callable[[SchemaT], SavedT],
    pick: Picks | None = None,
    shape: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None,
) -> SavedT | Refusal:
    """The form validated by ``schema`` and saved by ``save``, or the :class:`Refusal` to show.

    ``pick`` names the form's searchable pickers: their typed names become ids first
    (:func:`hamkor.core.pickers.resolve`), a name that matches no one or several refused
    beside its field like any other error. ``shape`` then folds the flat fields into what the
    schema reads (a form's numbered rows into a list), after the pickers read their own
    fields.

    The save runs in a savepoint: when the service refuses half-way, what it had begun is
    undone, and only that. The rest of the request's transaction (its audit entries among
    them) stays and is committed with the request, as it would be for any other page.
    """
    try:
        if pick is not None:
            form = pickers.resolve(form, pick.finders, pick.multiple)
        if shape is not None:
            form = shape(form)
        data = validate(schema, form)
        with ctx.db.begin_nested():
            return save(data)
    except UserError as error:
        if isinstance(error, access.ProbeRefused):
            access.record_denial(ctx.db, error)
        return Refusal(error_map(error, ctx.language), error.status_code)


#: What a page says after a form was saved, unless the route says better.
SAVED = Message(N_("Saved."))


def save_then(
    ctx: Ctx,
    form: Mapping[str, Any],
    schema: type[Any],
    save: Callable[[Any], Any],
    *,
    done: str | Callable[[Any], str],
    again: Callable[[Refusal], Response],
    said: Message | Callable[[Any], Message] = SAVED,
    pick: Picks | None = None,
    shape: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None,
) -> Response:
    """Save a form posted from a page and go on to ``done`` (an address, or one made from what
    was saved) saying ``said``, or show ``again`` the page with the refusal beside its fields:
    what most form routes do after their access check."""
    saved = save_form(ctx, form, schema, save, pick, shape)
    if isinstance(saved, Refusal):
        return again(saved)
    url = done if isinstance(done, str) else done(saved)
    return told(ctx, url, said if isinstance(said, Message) else said(saved))


def see_other(url: str) -> RedirectResponse:
    """Where a saved form leads: a 303, so that reloading the next page does not post again."""
    return RedirectResponse(url, status_code=303)


def told(ctx: Ctx, url: str, said: Message = SAVED) -> RedirectResponse:
    """Go on to ``url`` after an action, whose page then says what was done."""
    response = see_other(url)
    flash.flash(response, said, settings_of(ctx.request))
    return response
