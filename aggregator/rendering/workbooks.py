"""Rendering: the master workbook, every accepted record with its source and the run's sheets.

Its sheets: the records, the unit × field pivot, who sent what, the rejected rows, the problems,
the files received and the models' timeline ("Lịch sử mô hình") across the register's periods.
The XlsxWriter helpers it shares with the other workbooks are ``sheets``'.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from xlsxwriter.worksheet import Worksheet

from aggregator.config import Column, Config
from aggregator.labels import FILE_STATUS, IDENTIFIED_BY, SEVERITY, UNIT_STATUS, Labels, date_vn, sort_key
from aggregator.merging.summarise import pivot
from aggregator.model import RecordColumns, RunResult, frame_columns, record_columns
from aggregator.problems import Problem
from aggregator.rendering.sheets import (
    Styles,
    open_workbook,
    write_table,
)
from aggregator.text import as_text


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
