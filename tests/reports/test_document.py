"""The program report as a PDF, read back with pypdf: the figures, Kazakh and Uzbek letters,
DejaVu fonts only, a suppressed count "<5", the contents and the charts."""

from __future__ import annotations

import io

import pypdf
import pytest
from sqlalchemy.orm import Session

from hamkor.core.i18n import Translator
from hamkor.reports.document import document
from hamkor.reports.service import report_figures
from tests.fixtures.reports import TODAY, ReportWorld

#: "Patients consulted" in Uzbek: a count of two patients, shown suppressed.
_CONSULTED_UZ = "Konsultatsiya olgan bemorlar"


def _pdf(db: Session, world: ReportWorld, language: str) -> bytes:
    program = world.care.days.program
    translator = Translator(language)
    report = report_figures(db, program, translator, today=TODAY, threshold=5)
    return document(db, report, translator, 5)


def _text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def _fonts(data: bytes) -> set[str]:
    """The base fonts of every page (the subset's "ABCDEF+" prefix left out)."""
    found = set()
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        resources = page.get("/Resources") or {}
        for font in (resources.get("/Font") or {}).values():
            found.add(str(font.get_object()["/BaseFont"]).split("+")[-1])
    return found


@pytest.fixture
def kazakh(db: Session, report_world: ReportWorld) -> bytes:
    return _pdf(db, report_world, "kk")


def test_the_pdf_holds_the_figures_in_kazakh(kazakh: bytes) -> None:
    text = _text(kazakh)
    assert "Мазмұны" in text  # the contents
    assert "Оқытылған дәрігерлер 2" in text  # doctors trained, with ә ғ қ ы і
    assert "Жауаптың медиандық уақыты, сағат 24" in text
    assert "Мерзімінде жауап берілген, % 67" in text
    assert "Aliyev" not in text


def test_the_pdf_embeds_dejavu_only(kazakh: bytes) -> None:
    fonts = _fonts(kazakh)
    assert fonts == {"DejaVu-Sans", "DejaVu-Sans-Bold"}


def test_the_pdf_suppresses_small_counts_in_uzbek(db: Session, report_world: ReportWorld) -> None:
    text = _text(_pdf(db, report_world, "uz"))
    assert "Oʻqitish" in text  # training, with the catalogue's ʻ
    assert "Bajarilgan yuqori texnologik aralashuvlar 2" in text
    consulted = next(line for line in text.splitlines() if line.startswith(_CONSULTED_UZ))
    assert consulted == f"{_CONSULTED_UZ} <5"
