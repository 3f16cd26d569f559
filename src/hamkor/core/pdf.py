"""The PDF engine: a Jinja2 page of the app, in the reader's language, printed by WeasyPrint.

Documents that are read as text (the program report, a telemedicine invitation letter) are
written as HTML templates extending ``pdf/base.html``: A4, DejaVu Sans embedded through
``@font-face`` from the npm package ``dejavu-fonts-ttf`` (the face that draws Kazakh, both
Uzbek scripts and Russian alike, so no letter falls back to another font), the document's
title in the top margin and "page N of M" in the bottom one. ``pdf/macros.html`` holds the
cover and the contents (titles with their page numbers, which WeasyPrint works out).
Certificates are drawn with ReportLab instead (``training.credentials.pdf``): one fixed page.

WeasyPrint takes a second or two to import, so it is imported only by the functions that
print; ``hamkor --help`` and the app's start never pay for it. The documents fetch only
local files (fonts, the app's static images) and ``data:`` addresses: a text typed into a
form can never make the server fetch an address of the network.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from hamkor.core.i18n import N_, Translator
from hamkor.core.templating import Formatter, render_template
from hamkor.settings import ROOT

log = logging.getLogger(__name__)

FONT_DIR = ROOT / "node_modules" / "dejavu-fonts-ttf" / "ttf"
#: The faces the documents use, by the CSS weight and style they are declared for.
FONT_FILES = {
    ("normal", "normal"): "DejaVuSans.ttf",
    ("bold", "normal"): "DejaVuSans-Bold.ttf",
    ("normal", "italic"): "DejaVuSans-Oblique.ttf",
    ("bold", "italic"): "DejaVuSans-BoldOblique.ttf",
}
PAGE_OF = N_("Page %(page)s of %(pages)s")
CONTENTS = N_("Contents")
#: The only kinds of address a document may load.
ALLOWED_PROTOCOLS = frozenset({"file", "data"})


class FontsMissing(Exception):
    """The DejaVu fonts are not installed (``make setup`` installs them with npm)."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"The DejaVu Sans fonts are missing: {path} not found. Run `make setup` "
            "(it installs the npm package dejavu-fonts-ttf) from the repository root."
        )


@dataclass(frozen=True)
class FontFace:
    """One ``@font-face`` of the documents: a DejaVu file for a weight and a style."""

    weight: str
    style: str
    url: str


def font_faces(font_dir: Path = FONT_DIR) -> list[FontFace]:
    """The faces as ``@font-face`` rules need them; a clear error when a file is missing,
    rather than a PDF quietly drawn in whatever font the machine has."""
    faces = []
    for (weight, style), filename in FONT_FILES.items():
        path = font_dir / filename
        if not path.is_file():
            raise FontsMissing(path)
        faces.append(FontFace(weight, style, path.resolve().as_uri()))
    return faces


def _css_string(text: str) -> str:
    """A text as a CSS string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\A ") + '"'


def page_counter(translator: Translator) -> str:
    """The CSS ``content`` of "page 3 of 12" in the reader's language: the translated
    sentence with WeasyPrint's counters where its numbers go (word order is the language's)."""
    page, pages = "\x00page\x00", "\x00pages\x00"
    sentence = translator.gettext(PAGE_OF, page=page, pages=pages)
    parts: list[str] = []
    for piece in sentence.split("\x00"):
        if piece in ("page", "pages"):
            parts.append(f"counter({piece})")
        elif piece:
            parts.append(_css_string(piece))
    return " ".join(parts)


@dataclass(frozen=True)
class Table:
    """A table of a document: its headers and rows of text (numbers already formatted)."""

    headers: list[str]
    rows: list[list[str]]
    #: The indexes of columns aligned right (numbers).
    numeric: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Section:
    """A chapter of a document: a title (listed in the contents), paragraphs and tables."""

    anchor: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


def render_html(template: str, *, translator: Translator, title: str, **context: Any) -> str:
    """The document as HTML: the app's templates with the reader's translations and formats
    and the engine's fonts and page furniture (what :func:`write_pdf` prints)."""
    base = {
        "lang": translator.language,
        "_": translator.gettext,
        "gettext": translator.gettext,
        "ngettext": translator.ngettext,
        "name": translator.name,
        "fmt": Formatter(translator),
        "title": title,
        "font_faces": font_faces(),
        "page_counter": page_counter(translator),
    }
    return render_template(template, {**base, **context})


def write_pdf(
    template: str, target: IO[bytes], *, translator: Translator, title: str, **context: Any
) -> None:
    """Print the document into ``target`` (a file, a spooled file, a buffer)."""
    from weasyprint import HTML, URLFetcher  # slow to import: only printing needs it

    html = render_html(template, translator=translator, title=title, **context)
    fetcher = URLFetcher(allowed_protocols=ALLOWED_PROTOCOLS)
    document = HTML(string=html, base_url=str(ROOT), url_fetcher=fetcher)
    document.write_pdf(target)
    log.info("printed %s (%s)", template, translator.language)


def render_pdf(template: str, *, translator: Translator, title: str, **context: Any) -> bytes:
    """The document as PDF bytes (a letter, a report of a few dozen pages)."""
    buffer = io.BytesIO()
    write_pdf(template, buffer, translator=translator, title=title, **context)
    return buffer.getvalue()
