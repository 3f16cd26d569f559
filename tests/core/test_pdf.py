"""The PDF engine: HTML templates printed by WeasyPrint in DejaVu Sans, A4, numbered pages."""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path

import pypdfium2  # type: ignore[import-untyped]
import pytest
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from hamkor.core import pdf
from hamkor.core.i18n import Translator

KAZAKH = "Қазақстан медицинасының күндері: әғқңөұүһі"
UZBEK_LATIN = "Oʻzbekiston sogʻliqni saqlash vazirligi"
UZBEK_CYRILLIC = "Ўзбекистон ҳамкорлик, ғоя, қўшма"
A4 = (595.28, 841.89)


def _document(language: str) -> bytes:
    rows = [[f"Ферғана {i}", UZBEK_LATIN, str(i * 17)] for i in range(70)]
    sections = [
        pdf.Section("intro", KAZAKH, [UZBEK_LATIN, UZBEK_CYRILLIC]),
        pdf.Section(
            "figures",
            "Көрсеткіштер",
            tables=[pdf.Table(["Қала", "Мекеме", "Саны"], rows, frozenset({2}))],
        ),
        pdf.Section("end", "Қорытынды", ["Соңы."]),
    ]
    return pdf.render_pdf(
        "pdf/document.html",
        translator=Translator(language),
        title="Есеп KZ-UZ-2025",
        subtitle="13–17 қазан 2025",
        lines=["Ташкент, Бұхара, Нөкіс"],
        sections=sections,
    )


def _font_names(reader: PdfReader) -> set[str]:
    """The base names of every font the pages use, without their subset prefix."""
    names: set[str] = set()
    for page in reader.pages:
        resources = page["/Resources"].get_object()
        assert isinstance(resources, DictionaryObject)
        fonts = resources.get("/Font")
        if fonts is None:
            continue
        for font in fonts.get_object().values():
            base = str(font.get_object()["/BaseFont"]).lstrip("/")
            names.add(base.split("+", 1)[-1])
    return names


@pytest.fixture(scope="module")
def printed() -> bytes:
    return _document("kk")


def test_the_text_holds_kazakh_and_uzbek_letters_and_numbered_pages(printed: bytes) -> None:
    reader = PdfReader(io.BytesIO(printed))
    pages = [page.extract_text() for page in reader.pages]
    text = "\n".join(pages)

    assert len(pages) >= 4
    for phrase in (KAZAKH, UZBEK_LATIN, UZBEK_CYRILLIC, "Ферғана 69"):
        assert phrase in text
    box = reader.pages[1].mediabox
    assert float(box.width) == pytest.approx(A4[0], abs=0.5)
    assert float(box.height) == pytest.approx(A4[1], abs=0.5)
    # The cover has no page number; the others say which of how many they are, in Kazakh.
    total = len(pages)
    assert "бет" not in pages[0]
    for number, page in enumerate(pages[1:], start=2):
        assert f"{number}-бет (барлығы {total})" in page
    # The contents give the page each section starts on.
    contents = pages[1]
    assert re.search(r"Көрсеткіштер\W*3", contents)


def test_every_letter_is_drawn_in_the_embedded_dejavu(
    printed: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    reader = PdfReader(io.BytesIO(printed))
    assert _font_names(reader) == {"DejaVu-Sans", "DejaVu-Sans-Bold"}

    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        _document("uz")
    assert [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")] == []


def test_a_page_renders_to_png(printed: bytes, tmp_path: Path) -> None:
    """Page 3 drawn as a viewer draws it (pdfium, at 40 dpi): a PNG with ink on it."""
    image = pypdfium2.PdfDocument(printed)[2].render(scale=40 / 72).to_pil().convert("L")
    target = tmp_path / "page-3.png"
    image.save(target)
    assert target.read_bytes().startswith(b"\x89PNG")
    histogram = image.histogram()
    assert sum(histogram[:128]) > 500  # its table and text (the page number alone draws 7)
    assert target.stat().st_size > 2000


def test_page_numbers_follow_the_word_order_of_the_language() -> None:
    assert pdf.page_counter(Translator("en")) == '"Page " counter(page) " of " counter(pages)'
    assert pdf.page_counter(Translator("kk")) == (
        'counter(page) "-бет (барлығы " counter(pages) ")"'
    )


def test_a_missing_font_is_said_plainly(tmp_path: Path) -> None:
    with pytest.raises(pdf.FontsMissing, match=r"DejaVuSans\.ttf"):
        pdf.font_faces(tmp_path)


def test_the_fonts_come_from_the_npm_package() -> None:
    html = pdf.render_html(
        "pdf/document.html",
        translator=Translator("ru"),
        title="Отчёт",
        subtitle="",
        lines=[],
        sections=[pdf.Section("one", "Раздел")],
    )
    faces = re.findall(r'src: url\("([^"]+)"\)', html)
    assert faces == [(pdf.FONT_DIR / name).resolve().as_uri() for name in pdf.FONT_FILES.values()]
    assert 'font-family: "DejaVu Sans"' in html
