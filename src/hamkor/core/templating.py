"""Jinja2 pages: one environment, every module's templates, translations handed per request."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time
from babel.lists import format_list
from babel.numbers import format_decimal
from babel.units import format_unit
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from hamkor.core.i18n import LANGUAGES, Translator

PACKAGE_DIR = Path(__file__).resolve().parents[1]


def _template_dirs() -> list[str]:
    """The shared templates first, then each capability module's own ``templates/``."""
    dirs = [PACKAGE_DIR / "templates"]
    dirs += sorted(p for p in PACKAGE_DIR.glob("*/templates") if p.parent.name != "templates")
    return [str(d) for d in dirs]


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(_template_dirs()),
        autoescape=select_autoescape(["html", "xml"]),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["LANGUAGES"] = LANGUAGES
    # The main menu's links for a reader; the app puts the modules' own in (``app.create_app``:
    # the core knows no module).
    env.globals["main_menu"] = lambda _actor: ()
    env.filters["query"] = _query
    env.filters["spellings"] = _spellings
    return env


def _spellings(names: dict[str, str]) -> list[tuple[str, str]]:
    """Each spelling of a name once, with the first language it is given in: a name in Russian
    and in Uzbek Cyrillic, or in Uzbek Latin and in English, is often the same letters."""
    seen: dict[str, str] = {}
    for language, text in names.items():
        seen.setdefault(text, language)
    return [(language, text) for text, language in seen.items()]


def _query(params: dict[str, Any], **changes: Any) -> str:
    """The query string of the current filters with some changed (for paging and sorting)."""
    merged = {**params, **changes}
    return urlencode({k: v for k, v in merged.items() if v not in (None, "")}, doseq=True)


class Formatter:
    """Dates, times and numbers in the reader's language; instants in the city's own zone."""

    def __init__(self, translator: Translator) -> None:
        self.locale = translator.locale

    def date(self, value: dt.date | None, form: str = "medium") -> str:
        return "" if value is None else format_date(value, form, locale=self.locale)

    def datetime(
        self, value: dt.datetime | None, zone: str | None = None, form: str = "short"
    ) -> str:
        if value is None:
            return ""
        return format_datetime(value, form, tzinfo=ZoneInfo(zone or "UTC"), locale=self.locale)

    def time(self, value: dt.datetime | None, zone: str | None = None) -> str:
        if value is None:
            return ""
        return format_time(value.astimezone(ZoneInfo(zone or "UTC")), "short", locale=self.locale)

    def number(self, value: float | int) -> str:
        return format_decimal(value, locale=self.locale)

    def duration(self, minutes: int) -> str:
        """A span of time as people write it, "16 h 37 min" rather than "997 minutes", in the
        units and order CLDR gives each language (Babel's data, Kazakh and Uzbek included)."""
        hours, rest = divmod(max(minutes, 0), 60)
        parts = [
            format_unit(value, unit, length="short", locale=self.locale)
            for value, unit in ((hours, "duration-hour"), (rest, "duration-minute"))
            if value
        ]
        if not parts:
            return format_unit(0, "duration-minute", length="short", locale=self.locale)
        return format_list(parts, style="unit-narrow", locale=self.locale)


def render_template(name: str, context: dict[str, Any]) -> str:
    return environment().get_template(name).render(context)
