"""Write the master workbook; and the XlsxWriter helpers (styles, tables, print settings) that
the feedback workbooks (``feedback``) and the standard workbook (``template``) share.

Every string is written as a string (``strings_to_formulas`` off), so nothing a unit typed
can become a formula or a link in a workbook we produce.
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

from aggregator.config import Column, Config
from aggregator.labels import FILE_STATUS, IDENTIFIED_BY, SEVERITY, UNIT_STATUS, Labels, date_vn, sort_key
from aggregator.merging.summarise import pivot
from aggregator.model import RecordColumns, RunResult, frame_columns, record_columns
from aggregator.problems import Problem
from aggregator.text import as_text

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
    book = xlsxwriter.Workbook(
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
    thousand rows, where a format on every cell costs a quarter of the writing time.
    """
    widths = widths or [16] * len(headers)
    fit_row(sheet, top, headers, widths, bold=True)
    sheet.write_row(top, 0, headers, styles.header)
    if plain:
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


def write_master(result: RunResult, path: Path) -> None:
    """Every accepted record with its source, the pivot, the status and every rejection."""
    labels = Labels(result.config)
    book = open_workbook(path, constant_memory=True)
    styles = Styles(book)
    _records(book.add_worksheet("Mô hình, điển hình"), styles, result, labels)
    _pivot(book.add_worksheet("Đơn vị x lĩnh vực"), styles, result)
    _status(book.add_worksheet("Tình hình gửi"), styles, result)
    _rejected(book.add_worksheet("Dòng bị loại"), styles, result, labels)
    _problems(book.add_worksheet("Lỗi và lưu ý"), styles, [p for o in result.outcomes for p in o.problems])
    _files(book.add_worksheet("Tệp nhận được"), styles, result, labels)
    _timeline(book.add_worksheet("Lịch sử mô hình"), styles, result, labels)
    book.close()


# the records sheet: its own numbering, whose, the record's columns (its "STT" aside: numbered
# anew), then where each came from (``model.frame_columns`` less the name's matching key)
LINEAGE_SHOWN = {
    "file": ("Tệp nguồn", 30),
    "sheet": ("Trang", 12),
    "row": ("Dòng", 7),
    "sha256": ("SHA-256 của tệp", 20),
}


def record_headers(config: Config) -> tuple[list[Column], list[str]]:
    """The record's columns the records sheet shows, and the lineage after them, in order."""
    declared = frame_columns(RecordColumns.of_config(config))
    columns = [c for c in record_columns(config) if c.key != "seq"]
    return columns, [k for k in LINEAGE_SHOWN if k in declared]


def _records(sheet: Worksheet, styles: Styles, result: RunResult, labels: Labels) -> None:
    columns, lineage = record_headers(result.config)
    headers = ["STT", "Đơn vị", *[c.header for c in columns], *[LINEAGE_SHOWN[k][0] for k in lineage]]
    records = result.records
    values = [
        range(1, len(records) + 1),
        [labels.units[u] for u in records["unit"]],
        *[_labelled(records[c.key], c.key, labels) for c in columns],
        *[records[k].tolist() if k == "row" else records[k] for k in lineage],
    ]
    widths = [6, 24, *[c.width for c in columns], *[LINEAGE_SHOWN[k][1] for k in lineage]]
    write_table(sheet, styles, 0, headers, zip(*values, strict=True), widths, plain=True, keep_columns=2)


def _labelled(values: Iterable[Any], key: str, labels: Labels) -> list[Any]:
    """A column's values as people read them, each distinct value labelled once."""
    seen: dict[Any, Any] = {}
    out = []
    for value in values:
        try:
            out.append(seen[value])
        except KeyError:
            out.append(seen.setdefault(value, labels.value(key, value)))
        except TypeError:  # not hashable
            out.append(labels.value(key, value))
    return out


def _pivot(sheet: Worksheet, styles: Styles, result: RunResult) -> None:
    table = pivot(result.summary)
    fields = result.config.fields
    headers = ["Đơn vị", *[f"{f.code}. {f.short}" for f in fields], "Tổng"]
    rows = [[r["name"], *r["counts"], r["total"]] for r in table["rows"]]
    end = write_table(sheet, styles, 0, headers, rows, [30, *[12] * len(fields), 10])
    sheet.write_row(end, 0, ["Tổng cộng", *table["totals"], table["total"]], styles.total)


def _status(sheet: Worksheet, styles: Styles, result: RunResult) -> None:
    headers = [
        "Mã đơn vị",
        "Tên đơn vị",
        "Tình trạng",
        "Ngày nhận",
        "Tệp dùng để tổng hợp",
        "Số mô hình",
        "Chỉ tiêu",
        "Đạt chỉ tiêu",
        "Số dòng bị loại",
    ]
    rows = [
        [
            u["code"],
            u["name"],
            UNIT_STATUS[u["status"]],
            date_vn(u["received"]),
            u["file"] or "",
            u["models"],
            u["quota"],
            "Đạt" if u["meets_quota"] else "Chưa đạt",
            u["rejected_rows"],
        ]
        for u in result.summary["units"]
    ]
    write_table(sheet, styles, 0, headers, rows, [16, 32, 14, 12, 36, 10, 9, 11, 10])


def _rejected(sheet: Worksheet, styles: Styles, result: RunResult, labels: Labels) -> None:
    headers = ["Đơn vị", "Tệp", "Tình trạng tệp", "Trang", "Dòng", "Tên mô hình, điển hình", "Lý do"]
    rows = []
    for outcome in result.outcomes:
        if not outcome.rows:
            continue
        reasons = reasons_by_row(outcome.problems)
        names = {(t.sheet, raw["row"]): raw.get("name") for t in outcome.tables for raw in t.typed}
        for record in (r for r in outcome.rows if not r.accepted):
            where = (record.sheet, record.row)
            rows.append(
                [
                    labels.units.get(outcome.unit or "", ""),
                    outcome.candidate.relative,
                    FILE_STATUS[outcome.status],
                    *where,
                    as_text(names.get(where, "")),
                    "\n".join(reasons.get(where, [])),
                ]
            )
    write_table(sheet, styles, 0, headers, rows, [24, 30, 16, 12, 7, 36, 60])


def reasons_by_row(found: list[Problem], errors_only: bool = True) -> dict[tuple[str, int], list[str]]:
    """Messages per (sheet, row), each prefixed with its cell."""
    reasons: dict[tuple[str, int], list[str]] = {}
    for problem in found:
        if problem.row is not None and (problem.is_error or not errors_only):
            where = f"{problem.cell}: " if problem.cell else ""
            reasons.setdefault((problem.sheet, problem.row), []).append(where + problem.message)
    return reasons


def _problems(sheet: Worksheet, styles: Styles, found: list[Problem]) -> None:
    headers = ["Mức độ", "Loại", "Tệp", "Trang", "Ô", "Cột", "Giá trị", "Nội dung"]
    rows = [
        [
            SEVERITY[p.severity],
            p.code.heading,
            p.file,
            p.sheet,
            p.cell,
            p.column,
            p.value,
            p.message,
        ]
        for p in found
    ]
    write_table(sheet, styles, 0, headers, rows, [8, 22, 30, 12, 14, 20, 24, 70])


def _files(sheet: Worksheet, styles: Styles, result: RunResult, labels: Labels) -> None:
    headers = [
        "Tệp",
        "Tình trạng",
        "Đơn vị",
        "Nhận biết qua",
        "Ngày nhận",
        "Dòng đọc",
        "Dòng được tính",
        "Dòng lỗi",
        "Kích thước (byte)",
        "SHA-256",
        "Lý do",
    ]
    rows = [
        [
            o.candidate.relative,
            FILE_STATUS[o.status],
            labels.units.get(o.unit or "", ""),
            IDENTIFIED_BY.get(o.identified_by, ""),
            date_vn(o.received),
            o.rows_read,
            o.rows_counted,
            o.rows_invalid,
            o.candidate.size,
            o.candidate.sha256,
            "\n".join(
                [p.message for p in o.file_errors]
                + [p.message for p in o.problems if p.code.explains_fate and not p.is_error]
            ),
        ]
        for o in sorted(result.outcomes, key=lambda o: sort_key(o.candidate.relative))
    ]
    write_table(sheet, styles, 0, headers, rows, [34, 18, 26, 12, 11, 8, 8, 8, 12, 20, 60])


def _timeline(sheet: Worksheet, styles: Styles, result: RunResult, labels: Labels) -> None:
    """Every model of this period or the one compared with, period by period (the register)."""
    headers = [
        "Mã mô hình",
        "Đơn vị",
        "Tên mô hình, điển hình",
        "Kỳ báo cáo",
        "Giai đoạn",
        "Số nơi nhân rộng",
    ]
    from aggregator.merging.continuity import timeline_rows  # read here, in the master workbook's own process

    period = {p.code: p.label for p in result.config.periods}
    if result.other_periods is None or not result.other_periods.others:  # one period: the records sheet
        sheet.write_string(
            0,
            0,
            "Sổ theo dõi mô hình chưa có kỳ báo cáo nào khác; lịch sử "
            "từng mô hình có từ lần tổng hợp kỳ sau.",
            styles.text,
        )
        return
    found = timeline_rows(result.other_periods, result.records, result.year, result.period)
    rows = [
        [
            code,
            labels.units.get(unit, unit),
            name,
            f"{period[kind]} {year}",
            labels.value("stage", stage),
            labels.value("replications", replications),
        ]
        for code, unit, name, year, kind, stage, replications in found
    ]
    write_table(sheet, styles, 0, headers, rows, [22, 24, 40, 14, 20, 10], plain=True)
