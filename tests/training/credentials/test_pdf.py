"""The PDF certificate keeps every letter of Uzbek, Kazakh and Russian names as written."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pypdfium2  # type: ignore[import-untyped]
import pytest
import zxingcpp
from pypdf import PdfReader

from hamkor.settings import ROOT
from hamkor.training.credentials import pdf
from tests.fixtures.credentials import HOLDER_NAMES

SCREENSHOTS = ROOT / "var" / "screenshots"
LETTERS = "oʻ gʻ ў қ ғ ҳ ә ө ү ұ і ң"


def sheet(language: str) -> pdf.Sheet:
    own = pdf.Side(
        language=language,
        holder=HOLDER_NAMES[language],
        course=LETTERS,
        description="Mahorat darsi, Vahidov markazi; Шеберлік сыныбы: 36 сағат.",
        issuer="Академик В. Вахидов номидаги Республика ихтисослаштирилган хирургия маркази",
    )
    english = pdf.Side(
        language="en",
        holder=HOLDER_NAMES[language],
        course="Arthroscopy: a master class",
        description="Master class at the Vakhidov centre, 13 to 17 October 2025: 36 hours.",
        issuer="Vakhidov Republican Specialised Centre of Surgery",
    )
    return pdf.Sheet(
        sides=(own, english),
        number="HMK-2025-000123",
        hours=36,
        cme_credits=36.0,
        issued_on=date(2025, 10, 17),
        valid_until=date(2030, 10, 17),
        verify_url="https://hamkor.example/verify/HMK-2025-000123",
    )


def lines_of(content: bytes) -> list[str]:
    text = PdfReader(io.BytesIO(content)).pages[0].extract_text()
    return [line.strip() for line in text.splitlines()]


@pytest.mark.parametrize("language", ["uz", "uz-Cyrl", "kk", "ru"])
def test_names_come_out_of_the_pdf_exactly_as_written(language: str) -> None:
    lines = lines_of(pdf.render(sheet(language)))
    # A long name wraps at a space; joined again, it must be the very same string.
    assert " ".join(lines).count(HOLDER_NAMES[language]) == 2
    assert LETTERS in lines
    assert "HMK-2025-000123" in lines
    assert "https://hamkor.example/verify/HMK-2025-000123" in lines


def test_both_languages_are_on_the_page() -> None:
    lines = lines_of(pdf.render(sheet("kk")))
    assert "Certificate" in lines
    assert "Arthroscopy: a master class" in lines
    assert "2025 ж. 17 қазан" in lines
    assert "October 17, 2025" in lines


def test_the_page_renders_with_its_qr_code() -> None:
    """Rendered to PNG (kept under var/screenshots to look at), the QR code reads back as the
    verification address."""
    document = pypdfium2.PdfDocument(pdf.render(sheet("uz-Cyrl")))
    image = document[0].render(scale=1.5).to_pil().convert("L")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    image.save(SCREENSHOTS / "certificate-uz-Cyrl.png")
    width, height = image.size
    qr_corner = image.crop((int(width * 0.8), int(height * 0.75), width - 60, height - 60))
    histogram = qr_corner.histogram()
    dark, light = sum(histogram[:64]), sum(histogram[192:])
    assert dark > 0.2 * (dark + light)
    assert light > 0.2 * (dark + light)
    decoded = [code.text for code in zxingcpp.read_barcodes(image)]
    assert decoded == ["https://hamkor.example/verify/HMK-2025-000123"]


def test_missing_fonts_are_named_with_the_remedy(tmp_path: Path) -> None:
    with pytest.raises(pdf.FontsMissing, match="make setup"):
        pdf.register_fonts(tmp_path)
