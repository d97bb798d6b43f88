"""Rendering: the master workbook, every accepted record with its source and the run's sheets.

Its sheets: the records, the unit × field pivot, who sent what, the rejected rows, the problems,
the files received and the models' timeline ("Lịch sử mô hình") across the register's periods.
The XlsxWriter helpers it shares with the other workbooks are ``sheets``'.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from operator import itemgetter
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


class PeriodRecords:
    """The run's accepted records read back a row at a time from the period file the run wrote
    (``register.write_period_file``: a header line with its columns, one JSON array a record in
    the records' order, a last line that is no array), the files' SHA-256 beside them: the
    master workbook's records without the records frame (the process beside the run is given
    no copy of it)."""

    def __init__(self, path: Path, hashes: dict[str, str], keys: dict[str, str]):
        self.path = path
        self.hashes = hashes  # a source file's name -> its SHA-256
        self.keys = keys  # a frame column -> the period file's column where they differ

    def covers(self, keys: Iterable[str]) -> bool:
        """Whether the file holds every one of these frame columns."""
        with self.path.open("rb") as handle:
            held = set(json.loads(handle.readline())["columns"])
        return all(k == "sha256" or self.keys.get(k, k) in held for k in keys)

    def rows(self, keys: list[str]) -> Iterator[Sequence[Any]]:
        """The values of these frame columns, record by record (read a megabyte of lines at a
        time, parsed as one array: a third faster than a line at a time)."""
        with self.path.open("rb") as handle:
            at = {c: i for i, c in enumerate(json.loads(handle.readline())["columns"])}
            places = [at["file"] if k == "sha256" else at[self.keys.get(k, k)] for k in keys]
            hashed = [j for j, k in enumerate(keys) if k == "sha256"]
            pick = itemgetter(*places) if len(places) > 1 else lambda record: (record[places[0]],)
            while lines := handle.readlines(1 << 20):
                last = not lines[-1].startswith(b"[")  # the last line: the count and the hash
                for record in json.loads(b"[" + b",".join(lines[:-1] if last else lines) + b"]"):
                    values = pick(record)
                    if hashed:
                        values = list(values)
                        for j in hashed:
                            values[j] = self.hashes[values[j]]
                    yield values
                if last:
                    return


def write_master(result: RunResult, path: Path, source: PeriodRecords | None = None) -> None:
    """Every accepted record with its source, the pivot, the status and every rejection.

    ``source``: the records read back from the period file, in place of ``result.records``."""
    labels = Labels(result.config)
    book = open_workbook(path, constant_memory=True)
    styles = Styles(book)
    _records(book.add_worksheet("Mô hình, điển hình"), styles, result, labels, source)
    _pivot(book.add_worksheet("Đơn vị x lĩnh vực"), styles, result)
    _status(book.add_worksheet("Tình hình gửi"), styles, result)
    _rejected(book.add_worksheet("Dòng bị loại"), styles, result, labels)
    _problems(book.add_worksheet("Lỗi và lưu ý"), styles, [p for o in result.outcomes for p in o.problems])
    _files(book.add_worksheet("Tệp nhận được"), styles, result, labels)
    _timeline(book.add_worksheet("Lịch sử mô hình"), styles, result, labels, source)
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


def master_columns(config: Config) -> list[str]:
    """The records frame's columns the master workbook reads (its records and timeline sheets)."""
    columns, lineage = record_headers(config)
    return ["unit", *[c.key for c in columns], *lineage, "model_code", "name", "stage", "replications"]


def _records(
    sheet: Worksheet, styles: Styles, result: RunResult, labels: Labels, source: PeriodRecords | None
) -> None:
    columns, lineage = record_headers(result.config)
    headers = ["STT", "Đơn vị", *[c.header for c in columns], *[LINEAGE_SHOWN[k][0] for k in lineage]]
    widths = [6, 24, *[c.width for c in columns], *[LINEAGE_SHOWN[k][1] for k in lineage]]
    if source is not None:  # a row at a time, as the frame's columns would give them
        rows = _labelled_rows(source.rows(["unit", *[c.key for c in columns], *lineage]), columns, labels)
        write_table(sheet, styles, 0, headers, rows, widths, plain=True, keep_columns=2)
        return
    records = result.records
    values = [
        range(1, len(records) + 1),
        [labels.units[u] for u in records["unit"]],
        *[_labelled(records[c.key], c.key, labels) for c in columns],
        *[records[k].tolist() if k == "row" else records[k] for k in lineage],
    ]
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


LABELS_KEPT = 4096  # a column's distinct values kept labelled (its labels repeat; names do not)


def _labelled_rows(
    rows: Iterable[Sequence[Any]], columns: list[Column], labels: Labels
) -> Iterator[list[Any]]:
    """The records sheet's rows from (unit, the columns' values, the lineage's): numbered,
    the unit by its name, each column's value as people read it (each distinct value
    labelled once, as ``_labelled``)."""
    seen: list[dict[Any, Any]] = [{} for _ in columns]
    keys = [c.key for c in columns]
    width = len(columns)
    for n, (unit, *values) in enumerate(rows, start=1):
        for j in range(width):
            value = values[j]
            try:
                values[j] = seen[j][value]
            except KeyError:
                if len(seen[j]) >= LABELS_KEPT:  # a column of distinct names: not all held
                    seen[j].clear()
                values[j] = seen[j].setdefault(value, labels.value(keys[j], value))
            except TypeError:  # not hashable
                values[j] = labels.value(keys[j], value)
        yield [n, labels.units[unit], *values]


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


def _whole(value: Any) -> int | None:
    """A count as ``continuity.timeline_rows`` gives it: a whole number, a blank as None."""
    if value is None or value != value:
        return None
    return int(value)


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


def _timeline(
    sheet: Worksheet, styles: Styles, result: RunResult, labels: Labels, source: PeriodRecords | None
) -> None:
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
    if source is None:
        found = timeline_rows(result.other_periods, result.records, result.year, result.period)
    else:  # the same tuples as ``timeline_rows``', from the period file
        now = (
            (code, unit, name, result.year, result.period, stage, _whole(replications))
            for code, unit, name, stage, replications in source.rows(
                ["model_code", "unit", "name", "stage", "replications"]
            )
        )
        found = result.other_periods.periods_of(now)
    rows = (  # a row at a time, as the register gives them (100,000 rows at 2,000 units)
        [
            code,
            labels.units.get(unit, unit),
            name,
            f"{period[kind]} {year}",
            labels.value("stage", stage),
            labels.value("replications", replications),
        ]
        for code, unit, name, year, kind, stage, replications in found
    )
    write_table(sheet, styles, 0, headers, rows, [22, 24, 40, 14, 20, 10], plain=True)
