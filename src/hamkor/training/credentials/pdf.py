"""The certificate on paper: a PDF in the trainee's language and in English, with a QR code.

Drawn with ReportLab's canvas in DejaVu Sans, whose glyphs cover Uzbek (Latin with ʻ and
Cyrillic), Kazakh and Russian, so a name comes out of the PDF exactly as it went in. Two
columns side by side on an A4 landscape page: the trainee's language on the left, English on
the right (one column when the trainee's language is English). The QR code is drawn as vector
squares and opens the public verification page of the certificate's number: the paper itself
proves nothing, the signed credential behind the number does.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import segno
from babel.dates import format_date
from reportlab.lib.colors import Color
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from hamkor.core.i18n import N_, Message, locale
from hamkor.settings import ROOT

FONT_DIR = ROOT / "node_modules" / "dejavu-fonts-ttf" / "ttf"
REGULAR, BOLD = "DejaVuSans", "DejaVuSans-Bold"
_FILES = {REGULAR: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf"}

TITLE = N_("Certificate")
CERTIFIES = N_("This is to certify that")
COMPLETED = N_("has completed")
HOURS = N_("Hours")
CREDITS = N_("CME credits")
ISSUED_BY = N_("Issued by")
ISSUED_ON = N_("Issued on")
VALID_UNTIL = N_("Valid until")
NUMBER = N_("Certificate number")
SCAN = N_("Scan the code or open the address to verify this certificate:")

INK = Color(0.11, 0.16, 0.24)
MUTED = Color(0.38, 0.43, 0.5)
ACCENT = Color(0.05, 0.42, 0.45)


class FontsMissing(Exception):
    """The DejaVu fonts are not installed (``make setup`` installs them with npm)."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"The DejaVu Sans fonts are missing: {path} not found. Run `make setup` "
            "(it installs the npm package dejavu-fonts-ttf) from the repository root."
        )


@cache
def register_fonts(font_dir: Path = FONT_DIR) -> None:
    """Load the two faces once per process; a clear error when they are not installed."""
    for name, filename in _FILES.items():
        path = font_dir / filename
        if not path.is_file():
            raise FontsMissing(path)
        pdfmetrics.registerFont(TTFont(name, str(path)))


@dataclass(frozen=True)
class Side:
    """What one column says, in one language."""

    language: str
    holder: str
    course: str
    description: str
    issuer: str


@dataclass(frozen=True)
class Sheet:
    """Everything the certificate shows: both columns and what is the same in both."""

    sides: tuple[Side, ...]
    number: str
    hours: int
    cme_credits: float
    issued_on: date
    valid_until: date | None
    verify_url: str


def _say(text: str, language: str) -> str:
    return Message(text).render(language)


def _lines(
    canvas: Canvas, x: float, y: float, text: str, font: str, size: float, width: float
) -> float:
    """Draw ``text`` wrapped to ``width`` below ``y``; the new ``y`` under the last line."""
    canvas.setFont(font, size)
    for line in simpleSplit(text, font, size, width):
        y -= size
        canvas.drawString(x, y, line)
        y -= size * 0.3
    return y


def _side(canvas: Canvas, sheet: Sheet, side: Side, x: float, top: float, width: float) -> None:
    language = side.language
    when = locale(language)
    canvas.setFillColor(ACCENT)
    y = _lines(canvas, x, top, _say(TITLE, language), BOLD, 26, width) - 6
    canvas.setFillColor(MUTED)
    y = _lines(canvas, x, y, _say(CERTIFIES, language), REGULAR, 11, width) - 4
    canvas.setFillColor(INK)
    y = _lines(canvas, x, y, side.holder, BOLD, 20, width) - 4
    canvas.setFillColor(MUTED)
    y = _lines(canvas, x, y, _say(COMPLETED, language), REGULAR, 11, width) - 4
    canvas.setFillColor(INK)
    y = _lines(canvas, x, y, side.course, BOLD, 15, width) - 2
    y = _lines(canvas, x, y, side.description, REGULAR, 10, width) - 8
    facts = [
        (HOURS, str(sheet.hours)),
        (CREDITS, f"{sheet.cme_credits:g}"),
        (ISSUED_BY, side.issuer),
        (ISSUED_ON, format_date(sheet.issued_on, "long", locale=when)),
    ]
    if sheet.valid_until is not None:
        facts.append((VALID_UNTIL, format_date(sheet.valid_until, "long", locale=when)))
    facts.append((NUMBER, sheet.number))
    for label, value in facts:
        canvas.setFillColor(MUTED)
        y = _lines(canvas, x, y, _say(label, language), REGULAR, 9, width)
        canvas.setFillColor(INK)
        y = _lines(canvas, x, y, value, REGULAR, 11, width) - 5


def _qr(canvas: Canvas, url: str, x: float, y: float, size: float) -> None:
    """The QR code of ``url`` as filled squares, bottom-left corner at ``(x, y)``."""
    matrix = segno.make_qr(url, error="m").matrix
    module = size / len(matrix)
    path = canvas.beginPath()
    for row, cells in enumerate(matrix):
        for column, dark in enumerate(cells):
            if dark:
                path.rect(x + column * module, y + size - (row + 1) * module, module, module)
    canvas.setFillColor(INK)
    canvas.drawPath(path, stroke=0, fill=1)


def render(sheet: Sheet) -> bytes:
    """The certificate as PDF bytes."""
    register_fonts()
    buffer = io.BytesIO()
    width, height = landscape(A4)
    canvas = Canvas(buffer, pagesize=(width, height), pageCompression=1)
    canvas.setTitle(f"{_say(TITLE, 'en')} {sheet.number}")
    canvas.setStrokeColor(ACCENT)
    canvas.setLineWidth(3)
    canvas.rect(24, 24, width - 48, height - 48)
    margin, gap = 56, 36
    column = (width - 2 * margin - gap * (len(sheet.sides) - 1)) / len(sheet.sides)
    for position, side in enumerate(sheet.sides):
        left = margin + position * (column + gap)
        _side(canvas, sheet, side, left, height - 60, column)
        if position:
            canvas.setLineWidth(0.5)
            canvas.line(left - gap / 2, 150, left - gap / 2, height - 64)
    _qr(canvas, sheet.verify_url, width - margin - 96, 44, 96)
    canvas.setFillColor(MUTED)
    lines = [_say(SCAN, side.language) for side in sheet.sides]
    y = 44 + 14 * len(lines)
    for line in lines:
        canvas.setFont(REGULAR, 9)
        canvas.drawString(margin, y, line)
        y -= 14
    canvas.setFillColor(ACCENT)
    canvas.setFont(REGULAR, 10)
    canvas.drawString(margin, y, sheet.verify_url)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
