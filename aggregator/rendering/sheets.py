"""Rendering: the XlsxWriter helpers every workbook we write shares (styles, tables, print settings).

The master workbook (``workbooks``), the feedback workbooks (``feedback``) and the standard and
pre-filled workbooks (``template``, ``prefilled``) are written through these. Every string is
written as a string (``strings_to_formulas`` off, and text shaped like XlsxWriter's rich-string
XML escaped: ``fastsheet.SafeSheet``), so nothing a unit typed can become a formula or a link in a
workbook we produce. The big plain tables' rows are written by ``fastsheet``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from aggregator.rendering.fastsheet import Book

SAFE: dict[str, Any] = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "default_format_properties": {"font_name": "Times New Roman", "font_size": 12},
}
FIXED_TIME = dt.datetime(2000, 1, 1)


def open_workbook(
    path: Path, created: dt.datetime = FIXED_TIME, constant_memory: bool = False
) -> xlsxwriter.Workbook:
    """A workbook that writes text as text and carries no wall-clock time.

    ``constant_memory`` writes each row out as soon as the next one starts (rows must then be
    written top to bottom): the memory stays flat however many records there are.
    """
    # XlsxWriter writes into the default format's dict: a copy each time, or the second workbook
    # of a process differs from the first (and a draft's attachment from one run to the next)
    book = Book(
        str(path),
        {
            **SAFE,
            "constant_memory": constant_memory,
            "default_format_properties": dict(SAFE["default_format_properties"]),
        },
    )
    book.set_properties({"created": created, "author": "", "company": ""})
    return book


class Styles:
    PLAIN = SimpleNamespace(cell=None, number=None, date=None)  # set on plain data cells

    def __init__(self, book: xlsxwriter.Workbook):
        self.book = book
        base = {"font_name": "Times New Roman", "font_size": 12, "valign": "top"}
        self.header = book.add_format(
            {
                **base,
                "bold": True,
                "text_wrap": True,
                "border": 1,
                "align": "center",
                "valign": "vcenter",
                "bg_color": "#D9E1F2",
            }
        )
        self.cell = book.add_format({**base, "text_wrap": True, "border": 1})
        self.number = book.add_format({**base, "border": 1, "num_format": "#,##0"})
        self.date = book.add_format({**base, "border": 1, "num_format": "dd/mm/yyyy"})
        self.title = book.add_format({**base, "bold": True, "font_size": 14})
        self.text = book.add_format({**base, "text_wrap": True})
        self.error = book.add_format({**base, "text_wrap": True, "border": 1, "bg_color": "#FFC7CE"})
        self.warning = book.add_format({**base, "text_wrap": True, "border": 1, "bg_color": "#FFEB9C"})
        self.total = book.add_format({**base, "bold": True, "border": 1, "num_format": "#,##0"})


LINE_POINTS = 15.75  # one line of 12 pt Times New Roman, as Excel and LibreOffice space it


def row_height(values: Sequence[Any], widths: Sequence[float], bold: bool = False) -> float:
    """The height a row needs for its wrapped text to show whole.

    Neither XlsxWriter nor the file format computes it, and LibreOffice draws wrapped text over
    the next row when the height is not set. Lines are counted from the column widths (a width
    unit holds about one character; fewer at word ends and in bold).
    """
    lines = 1
    for value, width in zip(values, widths, strict=False):
        if not isinstance(value, str) or not value:
            continue
        per_line = max(1, int(width * (0.85 if bold else 0.95)))
        lines = max(lines, sum(max(1, -(-len(part) // per_line)) for part in value.split("\n")))
    return lines * LINE_POINTS + 2


def fit_row(
    sheet: Worksheet, row: int, values: Sequence[Any], widths: Sequence[float], bold: bool = False
) -> None:
    """Set a row's height when its text wraps to more than one line."""
    height = row_height(values, widths, bold)
    if height > LINE_POINTS + 2:
        sheet.set_row(row, height)


def write_table(
    sheet: Worksheet,
    styles: Styles,
    top: int,
    headers: list[str],
    rows: Iterable[Sequence[Any]],
    widths: list[int] | None = None,
    plain: bool = False,
    keep_columns: int = 1,
) -> int:
    """A bordered table with a frozen header and a filter; returns the next free row.

    ``plain`` writes the data cells without borders or wrapping: for data sheets of many
    thousand rows, where a format on every cell costs a quarter of the writing time. Their rows
    are written by ``fastsheet`` (at a sixth of XlsxWriter's cost a cell) when the workbook is
    one ``open_workbook`` made; nothing may be written below such a table.
    """
    widths = widths or [16] * len(headers)
    fit_row(sheet, top, headers, widths, bold=True)
    sheet.write_row(top, 0, headers, styles.header)
    plain_rows = getattr(styles.book, "plain_rows", None)
    if plain and plain_rows is not None:
        i = plain_rows(sheet, top, rows)
    elif plain:
        i = _write_plain(sheet, top, rows)
    else:
        i = top
        for i, row in enumerate(rows, start=top + 1):
            fit_row(sheet, i, row, widths)
            for j, value in enumerate(row):
                _write(sheet, i, j, value, styles)
    for j, width in enumerate(widths):
        sheet.set_column(j, j, width)
    sheet.freeze_panes(top + 1, 0)
    sheet.autofilter(top, 0, max(i, top + 1), len(headers) - 1)
    printable(sheet, top, widths, keep_columns)
    return i + 1


# An A4 landscape page, within narrow margins, holds about this many units of column width
# printed at 70 %: the smallest scale still read comfortably on paper.
READABLE_PAGE_WIDTH = 200


def printable(
    sheet: Worksheet, header_row: int = 0, widths: Sequence[float] = (), keep_columns: int = 1
) -> None:
    """A4 landscape, fitted to the width of as few pages as keep the text readable (one page
    when the columns allow; never the whole sheet squeezed onto one page: as many pages down
    as it takes), the header row repeated on every page and, when a row runs over more than
    one page across, its first ``keep_columns`` columns too; gridlines and page numbers printed."""
    across = max(1, math.ceil(sum(widths) / READABLE_PAGE_WIDTH))
    sheet.set_paper(9)
    sheet.set_landscape()
    sheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    sheet.fit_to_pages(across, 0)
    sheet.repeat_rows(header_row)
    if across > 1 and keep_columns:
        sheet.repeat_columns(0, keep_columns - 1)
    sheet.hide_gridlines(0)  # printed too
    sheet.set_footer("&CTrang &P/&N")


def _write_plain(sheet: Worksheet, top: int, rows: Iterable[Sequence[Any]]) -> int:
    """Rows of unformatted cells, text and whole numbers written straight (the hot loop of
    the master workbook); returns the last row written."""
    text, number = sheet.write_string, sheet.write_number
    i = top
    for i, row in enumerate(rows, start=top + 1):
        for j, value in enumerate(row):
            kind = type(value)
            if kind is str:
                if value:
                    text(i, j, value)
            elif kind is int:
                number(i, j, value)
            else:
                _write(sheet, i, j, value, Styles.PLAIN)
    return i


def _write(sheet: Worksheet, i: int, j: int, value: Any, styles: Any) -> None:
    if isinstance(value, str):
        sheet.write_string(i, j, value, styles.cell)
    elif value is None or (isinstance(value, float) and value != value):
        sheet.write_blank(i, j, None, styles.cell)
    elif isinstance(value, bool):
        sheet.write_string(i, j, "Có" if value else "Không", styles.cell)
    elif isinstance(value, (int, float)):
        sheet.write_number(i, j, value, styles.number)
    elif isinstance(value, dt.date):
        sheet.write_datetime(i, j, dt.datetime.combine(value, dt.time()), styles.date)
    else:
        sheet.write_string(i, j, str(value), styles.cell)
