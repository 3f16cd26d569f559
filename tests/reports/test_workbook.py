"""The program report as an XLSX workbook, read back with openpyxl: a sheet per area in the
report's language, every figure equal to ``report_figures``, typed cells, a suppressed count
"<5", a native chart per area with a shown breakdown, and the command that writes it."""

from __future__ import annotations

import io
import zipfile

import openpyxl
from sqlalchemy.orm import Session

from hamkor.core.i18n import Translator
from hamkor.reports.areas import AREAS
from hamkor.reports.indicators import CATALOGUE
from hamkor.reports.service import ReportFigures, report_figures
from hamkor.reports.workbook import workbook
from tests.fixtures.reports import TODAY, ReportWorld


def _report(db: Session, world: ReportWorld, language: str) -> ReportFigures:
    program = world.care.days.program
    return report_figures(db, program, Translator(language), today=TODAY, threshold=5)


def test_every_indicator_is_in_one_area() -> None:
    keys = [key for area in AREAS for key in area.keys]
    assert sorted(keys) == sorted(CATALOGUE)


def test_the_workbook_holds_the_report_figures(db: Session, report_world: ReportWorld) -> None:
    report = _report(db, report_world, "kk")
    data = workbook(db, report, Translator("kk"), 5)
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == [
        "Бағдарлама",
        "Медициналық көмек",
        "Оқыту",
        "Келісімдер",
        "Телемедицина",
    ]
    read = {}
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
        assert sheet["A1"].value == "Көрсеткіш"
        assert sheet["A1"].font.b
        for name, value, target, _share in sheet.iter_rows(min_row=2, max_col=4, values_only=True):
            if name is None:
                break
            read[name] = (value, target)
    expected = {
        f.label: (f.value.value if f.value.value is not None else "<5", f.target)
        for f in report.figures
    }
    assert read == expected
    assert read["Оқытылған дәрігерлер"] == (2, None)
    assert read["Кеңес алған пациенттер"] == ("<5", None)


def test_breakdowns_are_typed_and_suppressed(db: Session, report_world: ReportWorld) -> None:
    days = report_world.care.days
    data = workbook(db, _report(db, report_world, "en"), Translator("en"), 5)
    sheet = openpyxl.load_workbook(io.BytesIO(data))["Program"]
    column = [(row[0], row[1]) for row in sheet.iter_rows(max_col=2, values_only=True)]
    start = column.index(("High-tech interventions performed: City", None))
    assert column[start + 1] == ("City", "Value")
    assert sorted(column[start + 2 : start + 4]) == sorted(
        [(days.tashkent.names["en"], 1), (days.samarkand.names["en"], 1)]
    )
    care = openpyxl.load_workbook(io.BytesIO(data))["Care"]
    cells = [(row[0], row[1]) for row in care.iter_rows(max_col=2, values_only=True)]
    start = cells.index(("Patients consulted: Day", None))
    assert cells[start + 2][1] == "<5"


def test_each_area_with_a_shown_breakdown_has_a_native_chart(
    db: Session, report_world: ReportWorld
) -> None:
    data = workbook(db, _report(db, report_world, "ru"), Translator("ru"), 5)
    packed = zipfile.ZipFile(io.BytesIO(data))
    drawn = sorted(
        name.split("/")[-1].removesuffix(".xml.rels")
        for name in packed.namelist()
        if name.startswith("xl/worksheets/_rels/") and "drawing" in packed.read(name).decode()
    )
    # The program's interventions by city and training's cascade by district; care's and
    # telemedicine's main breakdowns count few patients (all "<5": nothing to draw), and the
    # memorandum is confidential to its parties: the program's report does not count it.
    assert drawn == ["sheet1", "sheet3"]
    assert len([n for n in packed.namelist() if n.startswith("xl/charts/chart")]) == 2
