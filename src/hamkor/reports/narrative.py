"""The narrative: a program's figures told as a press release, in each of the five languages.

Each sentence is a catalog message of its own with the plural forms of its count (Russian's
one, few and many: "принял участие 21 делегат", "2 делегата", "5 делегатов"), numbers and dates
in the language's format, and places in the case the sentence needs: the locative forms of the
cities are data (``places.json``); a city without them is named in a construction that needs
no case ("в г. …", "… shahrida"). Institutions are named in quotes after a word that takes the
case ("в учреждении «…»"). A sentence whose count is zero, or hidden as too small, is left out.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from functools import cache
from pathlib import Path

from babel.dates import format_date, format_skeleton
from sqlalchemy.orm import Session

from hamkor.core.i18n import N_, NN_, Translator
from hamkor.core.templating import Formatter
from hamkor.directory.models import City, Institution
from hamkor.reports import service
from hamkor.reports.schemas import FigureFilter
from hamkor.reports.service import ReportFigures, Row, Shown

PLACES = Path(__file__).with_name("places.json")


#: A sentence about one count: its singular and plural message ids.
Counted = tuple[str, str]

OPENING = NN_(
    "The program “%(program)s” took place on %(dates)s in %(num)s city: %(places)s.",
    "The program “%(program)s” took place on %(dates)s in %(num)s cities: %(places)s.",
)
DELEGATES = NN_("%(num)s delegate took part.", "%(num)s delegates took part.")
INTERVENTIONS = NN_(
    "The visiting surgeons performed %(num)s high-tech intervention.",
    "The visiting surgeons performed %(num)s high-tech interventions.",
)
CONSULTED = NN_(
    "In all, %(num)s patient was consulted.", "In all, %(num)s patients were consulted."
)
BUSIEST = NN_(
    "The busiest day was %(day)s, when %(num)s patient was consulted at %(institution)s %(place)s.",
    "The busiest day was %(day)s, when %(num)s patients were consulted "
    "at %(institution)s %(place)s.",
)
TRAINED = NN_("%(num)s doctor was trained.", "%(num)s doctors were trained.")
SIGNED = NN_("%(num)s agreement was signed.", "%(num)s agreements were signed.")
SPECIALTIES = N_("The leading specialties: %(specialties)s.")
LAST_OF_LIST = N_("%(items)s and %(last)s")
SAME_MONTH = N_("%(month)s %(first)s–%(last)s, %(year)s")
RANGE = N_("%(start)s – %(end)s")
IN_CITY = N_("in %(city)s")


@cache
def _locatives() -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = json.loads(PLACES.read_text(encoding="utf-8"))
    return found


def in_city(city: City, translator: Translator) -> str:
    """Where ``city`` is, as a sentence of ``translator``'s language says it."""
    known = _locatives().get(city.code, {})
    if translator.language in known:
        return known[translator.language]
    return translator.gettext(IN_CITY, city=translator.name(city.names))


def dates(starts_on: date, ends_on: date, translator: Translator) -> str:
    """The program's days: "13–17 октября 2025 года", "2025 жылғы 13–17 қазан"."""
    where = translator.locale
    if (starts_on.year, starts_on.month) == (ends_on.year, ends_on.month):
        return translator.gettext(
            SAME_MONTH,
            month=format_date(ends_on, "MMMM", locale=where),
            first=str(starts_on.day),
            last=str(ends_on.day),
            year=str(ends_on.year),
        )
    return translator.gettext(
        RANGE,
        start=format_date(starts_on, "long", locale=where),
        end=format_date(ends_on, "long", locale=where),
    )


def listed(items: Sequence[str], translator: Translator) -> str:
    """ "A, B and C" in the language."""
    if len(items) < 2:
        return "".join(items)
    return translator.gettext(LAST_OF_LIST, items=", ".join(items[:-1]), last=items[-1])


def counted(sentence: Counted, n: int, translator: Translator, **params: str) -> str:
    """The sentence in the plural form of ``n``, the number in the language's format."""
    number = Formatter(translator).number(n)
    singular, plural = sentence
    return translator.ngettext(singular, plural, n, **params, num=number)


def _value(figure: Shown | None) -> int:
    return 0 if figure is None or figure.value.value is None else figure.value.value


def _top(rows: Sequence[Row], count: int) -> list[Row]:
    shown = [row for row in rows if row.count.value]
    return sorted(shown, key=lambda row: -(row.count.value or 0))[:count]


def narrative(db: Session, report: ReportFigures, translator: Translator) -> str:
    """The program's figures as a paragraph or two of a press release, in Markdown."""
    figures = report.by_key()
    program = report.program
    sentences: list[str] = []
    cities = figures.get("cities")
    if _value(cities):
        assert cities is not None
        sentences.append(
            counted(
                OPENING,
                _value(cities),
                translator,
                program=translator.name(program.names),
                dates=dates(program.starts_on, program.ends_on, translator),
                places=listed([row.label for row in cities.breakdowns.get("city", [])], translator),
            )
        )
    for key, sentence in (("delegates", DELEGATES), ("interventions_performed", INTERVENTIONS)):
        if _value(figures.get(key)):
            sentences.append(counted(sentence, _value(figures.get(key)), translator))
    opening = " ".join(sentences)
    care = _care(db, report, translator)
    closing = []
    for key, sentence in (("trainees_completed", TRAINED), ("agreements_signed", SIGNED)):
        if _value(figures.get(key)):
            closing.append(counted(sentence, _value(figures.get(key)), translator))
    activities = figures.get("activities")
    leading = _top(activities.breakdowns.get("specialty", []), 3) if activities else []
    if leading:
        # Commas only: a specialty's own name may hold an "and" ("traumatology and orthopaedics").
        names = ", ".join(row.label.lower() for row in leading)
        closing.append(translator.gettext(SPECIALTIES, specialties=names))
    paragraphs = [opening, care, " ".join(closing)]
    return "\n\n".join(p for p in paragraphs if p) + "\n"


def _care(db: Session, report: ReportFigures, translator: Translator) -> str:
    """The consultations: how many in all, and the busiest day at its busiest institution
    (counted again for that one day, so the sentence tells that institution's own count)."""
    consulted = report.by_key().get("patients_consulted")
    if not _value(consulted):
        return ""
    assert consulted is not None
    sentences = [counted(CONSULTED, _value(consulted), translator)]
    busiest = _top(consulted.breakdowns.get("day", []), 1)
    if busiest:
        day = date.fromisoformat(busiest[0].value)
        (that_day,) = service.figures(
            db=db,
            actor=report.reader,
            today=report.today,
            program_ids=[report.program.id],
            filters=FigureFilter(from_=day, to=day),
            translator=translator,
            threshold=report.threshold,
            keys=["patients_consulted"],
        )
        sentences += _busiest(db, day, that_day.breakdowns.get("institution", []), translator)
    return " ".join(sentences)


def _busiest(db: Session, day: date, rows: Sequence[Row], translator: Translator) -> list[str]:
    top = _top(rows, 1)
    institution = db.get(Institution, top[0].value) if top else None
    if institution is None:
        return []
    city = db.get_one(City, institution.city_id)
    return [
        counted(
            BUSIEST,
            top[0].count.value or 0,
            translator,
            day=format_skeleton("MMMMd", day, locale=translator.locale),
            institution=translator.name(institution.names),
            place=in_city(city, translator),
        )
    ]


def program_narrative(db: Session, report: ReportFigures, translator: Translator) -> str:
    """The narrative with the program's name as its heading."""
    return f"# {translator.name(report.program.names)}\n\n{narrative(db, report, translator)}"


def paragraphs(text: str) -> list[str]:
    """The narrative's paragraphs, for a page to set each in its own ``<p>``."""
    return [part.strip() for part in text.split("\n\n") if part.strip()]
