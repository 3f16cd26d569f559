"""Charts of the figures: Vega-Lite specifications drawn to SVG on the server.

A page inlines the SVG, so it shows its charts without JavaScript; where JavaScript runs,
vega-embed draws the same specification again with tooltips. Numbers follow the reader's
locale from Babel's data (d3 has none for Uzbek or Kazakh), labels come already formatted, and
the text is set in DejaVu Sans, which has every letter of the five languages. A suppressed
count is left out of a chart: it is drawn as absent, not as a small bar.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from babel.numbers import get_decimal_symbol, get_group_symbol

from hamkor.core.i18n import locale
from hamkor.reports.service import Row
from hamkor.settings import ROOT

#: The Vega-Lite version of the server's drawing and of the npm package vega-embed uses.
VL_VERSION = "6.4"
FONT = "DejaVu Sans"
FONT_DIR = ROOT / "node_modules" / "dejavu-fonts-ttf" / "ttf"


#: The import map that lets the browser load vega-interpreter's module (``static/charts.js``);
#: the Content-Security-Policy allows this one inline script by its hash.
IMPORT_MAP = '{"imports": {"vega-util": "/vendor/vega-util/index.js"}}'
IMPORT_MAP_HASH = (
    "sha256-" + base64.b64encode(hashlib.sha256(IMPORT_MAP.encode()).digest()).decode()
)
#: The npm packages' folders the app serves under /vendor/ for the charts and their font.
VENDOR = {
    "vega": "vega/build",
    "vega-lite": "vega-lite/build",
    "vega-embed": "vega-embed/build",
    "vega-interpreter": "vega-interpreter/build",
    "vega-util": "vega-util/build",
    "dejavu": "dejavu-fonts-ttf/ttf",
}


@dataclass(frozen=True)
class Chart:
    """A chart: its specification (for vega-embed), its SVG (for the page) and its title."""

    title: str
    spec: dict[str, Any]
    svg: str
    locale: dict[str, Any]

    @property
    def spec_json(self) -> str:
        return json.dumps(self.spec, ensure_ascii=False)

    @property
    def locale_json(self) -> str:
        return json.dumps(self.locale, ensure_ascii=False)


def number_locale(language: str) -> dict[str, Any]:
    """A d3-format locale made from Babel's symbols for ``language``."""
    where = locale(language)
    return {
        "decimal": get_decimal_symbol(where),
        "thousands": get_group_symbol(where),
        "grouping": [3],
        "currency": ["", ""],
    }


def bar_spec(title: str, rows: Sequence[Row], measure: str) -> dict[str, Any]:
    """Horizontal bars, one per row with a shown count, in the rows' order."""
    values = [
        {"label": row.label, "count": row.count.value}
        for row in rows
        if row.count.value is not None
    ]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "title": title,
        "width": 320,
        "data": {"values": values},
        "mark": {"type": "bar", "tooltip": True, "color": "#1f5f99"},
        "encoding": {
            "y": {"field": "label", "type": "nominal", "sort": None, "title": None},
            "x": {
                "field": "count",
                "type": "quantitative",
                "title": measure,
                # Counts are whole: at most one tick per unit, or a bar of 1 reads "0 1 1"
                # (Vega keeps a tick at 0.5 that ",d" rounds; tickMinStep does not stop it).
                "axis": {
                    "format": ",d",
                    "tickCount": {"expr": "min(5, domain('x')[1])"},
                    "labelOverlap": True,
                },
            },
        },
        "config": {"font": FONT, "view": {"stroke": None}, "background": "white"},
    }


@cache
def _fonts() -> None:
    import vl_convert

    if FONT_DIR.exists():
        vl_convert.register_font_directory(str(FONT_DIR))


def draw(title: str, rows: Sequence[Row], measure: str, language: str) -> Chart:
    """The chart of ``rows``, drawn to SVG in ``language``'s number format."""
    import vl_convert

    _fonts()
    spec = bar_spec(title, rows, measure)
    numbers = number_locale(language)
    svg = vl_convert.vegalite_to_svg(spec, vl_version=VL_VERSION, format_locale=numbers)
    return Chart(title=title, spec=spec, svg=svg, locale=numbers)
