"""Checking, step 2 (after ``values``): judge every row of a list table, collecting every problem as a record.

An error rejects its row, a warning keeps it; the rest of the file counts either way.
The judgement calls (a subject outside its field, a guessed choice, a duplicate…) take the
severity ``schemas/workbook.yaml`` gives them (``rules:``), "off" included.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from aggregator import problems
from aggregator.checking.values import ColumnReader
from aggregator.config import Config
from aggregator.model import ListTable, Record, RecordColumns
from aggregator.problems import Problem, ProblemCode
from aggregator.text import as_text, column_letter, is_blank, loose_key

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Validated:
    """Parsed rows (accepted or not), the problems found in them, and the tables as judged
    (a text too long for a cell cut and marked, as the unit is shown it)."""

    rows: tuple[Record, ...]
    problems: list[Problem] = field(default_factory=list)
    tables: list[ListTable] = field(default_factory=list)

    @property
    def records(self) -> pd.DataFrame:
        """The rows as a frame (for people and tests; the pipeline reads ``rows``)."""
        return rows_frame(self.rows)


@dataclass
class _Row:
    sheet: str
    columns: dict[str, int]
    number: int
    values: dict[str, Any]
    raw: dict[str, Any]  # the row as typed (a copy, once a text in it is cut)
    problems: list[Problem] = field(default_factory=list)
    name_key: str = ""
    cut: bool = False  # a text of it cut: ``raw`` is a copy, the table's row as it was

    @property
    def has_error(self) -> bool:
        return any(p.is_error for p in self.problems)


class RowValidator:
    """Validates the rows of one list sheet against the schema for one report year."""

    def __init__(self, config: Config, year: int):
        self.config = config
        self.year = year
        self.readers = {c.key: ColumnReader(c, config) for c in config.columns}
        self._columns = [(c.key, self.readers[c.key], c.required) for c in config.columns]
        self.record_columns = RecordColumns.of_config(config)

    def validate(self, tables: list[ListTable], file: str) -> Validated:
        """Every row of every list sheet of one file, judged as one list (the tables given are
        left as they were)."""
        self._file = file
        rows = [
            self._row(_Row(t.sheet, t.columns, int(raw["row"]), {}, raw)) for t in tables for raw in t.typed
        ]
        self._duplicates(rows)
        found = [p for row in rows for p in row.problems]
        keys, columns = [key for key, _, _ in self._columns], self.record_columns
        records = tuple(
            Record(
                columns,
                tuple(r.values.get(key) for key in keys),
                file,
                r.sheet,
                r.number,
                not r.has_error,
                r.name_key,
            )
            for r in rows
        )
        judged = list(tables)
        if any(r.cut for r in rows):  # the rows come table by table, in order
            taken = iter(rows)
            judged = [replace(t, typed=[next(taken).raw for _ in t.typed]) for t in tables]
        return Validated(records, found, judged)

    def _problem(self, code: ProblemCode, row: _Row, key: str = "", **params: Any) -> None:
        severity = self.config.rules.get(code)
        if severity == "off":
            return
        file, sheet, columns = self._file, row.sheet, row.columns
        cell = ""
        if key in columns:
            cell = f"{sheet}!{column_letter(columns[key])}{row.number}"
        header = self.config.column(key).header if key else ""
        value = row.raw.get(key, "") if key else ""
        shown = "" if is_blank(value) else _shown(value)
        row.problems.append(
            problems.make(
                code,
                severity=severity,
                file=file,
                sheet=sheet,
                cell=cell,
                row=row.number,
                column=header,
                value=shown,
                **params,
            )
        )

    def _row(self, row: _Row) -> _Row:
        for key, reader, required in self._columns:
            value = row.raw.get(key)
            # (the reader itself cuts .xlsx text at the limit: reaching it means cut)
            if isinstance(value, str) and len(value) >= EXCEL_CELL_CHARS:
                self._truncate(row, key)
                value = row.raw[key]
            reading = reader.read(value)
            row.values[key] = reading.value
            if reading.code:
                self._problem(reading.code, row, key, **reading.params)
            elif required and reading.value is None:
                self._problem(ProblemCode.REQUIRED_MISSING, row, key)
        self._rules(row)
        return row

    def _truncate(self, row: _Row, key: str) -> None:
        """A text longer than a workbook cell holds: cut, marked, and said (never silently)."""
        length = len(row.raw[key])
        self._problem(
            ProblemCode.TEXT_TRUNCATED,
            row,
            key,
            length=f"{length:,}".replace(",", "."),
            limit=f"{EXCEL_CELL_CHARS:,}".replace(",", "."),
            marker=TRUNCATED.strip(),
        )
        row.raw = {**row.raw, key: row.raw[key][: EXCEL_CELL_CHARS - len(TRUNCATED)] + TRUNCATED}
        row.cut = True

    def _rules(self, row: _Row) -> None:
        v = row.values
        if v.get("field") is not None and v.get("subject") is not None:
            fld = self.config.field_by_code(v["field"])
            if v["subject"] not in fld.subjects:
                allowed = ", ".join(self.readers["subject"].label(s) for s in fld.subjects)
                self._problem(
                    ProblemCode.SUBJECT_NOT_ALLOWED,
                    row,
                    "subject",
                    field=f"{fld.code} ({fld.name})",
                    allowed=allowed,
                )
        built = v.get("year_built")
        if built is not None and built > self.year:
            self._problem(ProblemCode.YEAR_AFTER_REPORT_YEAR, row, "year_built", year=self.year)
        elif built is not None and v.get("status") == self.config.codes.new and built != self.year:
            self._problem(ProblemCode.NEW_NOT_REPORT_YEAR, row, "year_built", year=self.year)
        unread = {p.column for p in row.problems}
        if (
            v.get("stage") == "replicated"
            and not v.get("replications")
            and self.config.column("replications").header not in unread
        ):
            self._problem(ProblemCode.REPLICATED_WITHOUT_PLACES, row, "replications")
        if v.get("reward_form") and not v.get("reward_decision"):
            self._problem(ProblemCode.REWARD_WITHOUT_DECISION, row, "reward_decision")

    def _duplicates(self, rows: list[_Row]) -> None:
        """The same model (name and field, by matching key) listed again: the later is rejected."""
        first: dict[tuple[str, Any], _Row] = {}
        for row in rows:
            if row.has_error:
                continue
            row.name_key = loose_key(row.values["name"])
            key = (row.name_key, row.values["field"])
            if key in first:
                earlier = first[key]
                where = (
                    str(earlier.number)
                    if earlier.sheet == row.sheet
                    else f'{earlier.number} trang "{earlier.sheet}"'
                )
                self._problem(ProblemCode.DUPLICATE_MODEL, row, "name", first_row=where)
            else:
                first[key] = row


RECORD_KEYS = ["sheet", "row", "accepted"]


EXCEL_CELL_CHARS = 32_767  # the most characters a cell of an Excel workbook holds
TRUNCATED = " …[đã cắt bớt]"


def records_frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    """Parsed rows as one frame: "row" whole numbers, "accepted" booleans, values as read."""
    import pandas as pd  # here: a reading worker never makes a frame

    frame = pd.DataFrame.from_records(rows, columns=columns)
    types = {k: t for k, t in (("row", int), ("accepted", bool)) if k in frame}
    return frame.astype(types)


def rows_frame(rows: tuple[Record, ...] | list[Record]) -> pd.DataFrame:
    """One file's parsed rows as a frame: their place, whether each counts, their values."""
    dicts = [r.as_row() for r in rows]
    return records_frame(dicts, list(dicts[0]) if dicts else RECORD_KEYS)


def _shown(value: Any) -> str:
    return as_text(value)[:200]
