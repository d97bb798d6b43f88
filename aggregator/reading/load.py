"""Reading, step 1: load a workbook's cell values, within the limits, refusing what cannot be read.

Sizes are checked from the file's own declarations before anything is expanded; formula cells
saved without their value are marked (``Uncalculated``) so the validator can say so. Values
stay as the cells hold them.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import python_calamine

from aggregator import problems
from aggregator.intake.sniff import ZipKind, zip_kind
from aggregator.model import CandidateKind, Sheet, Uncalculated
from aggregator.problems import Problem, ProblemCode
from aggregator.reading import parts
from aggregator.text import is_blank


class ReadRefused(Exception):
    """The file cannot be read at all; carries the problem to record."""

    def __init__(self, problem: Problem):
        super().__init__(problem.message)
        self.problem = problem


class RefusedOnSight(ReadRefused):
    """The workbook is no workbook after all: an XML part declares a DTD or entities, or its
    zip breaks when its parts are looked at. Refused before any parser saw it, as intake would
    refuse it on sight (``problem`` says why)."""


@dataclass(frozen=True)
class Book:
    """A workbook's sheets as loaded, and whether any sheet holds a formula (.xlsx)."""

    sheets: list[Sheet]
    formulas: bool = False


def load_sheets(
    path: Path,
    relative: str,
    limits: dict[str, int],
    found: list[Problem] | None = None,
    kind: CandidateKind | None = None,
) -> list[Sheet]:
    """Every sheet's cell values (cached values of formulas), within the size limits."""
    return load_book(path, relative, limits, found, kind).sheets


def load_book(
    path: Path,
    relative: str,
    limits: dict[str, int],
    found: list[Problem] | None = None,
    kind: CandidateKind | None = None,
) -> Book:
    """Every sheet's cell values (cached values of formulas), within the size limits, from one
    read of the file and one opening of its zip.

    A workbook one of whose XML parts declares entities is refused first (``RefusedOnSight``).
    Sizes are checked before the reader allocates anything: for .xlsx and .ods from the
    sheets' own XML (the cells actually there and the declared "used range"). A sheet too
    big to read whole is read in part (.xlsx) or skipped, with a warning in ``found``.
    """
    found = [] if found is None else found
    try:
        kind = kind or _kind_of(path)
        with path.open("rb") as handle:
            data = handle.read()
        scanned = parts.scan(data, kind, limits, relative)
        if scanned.refused is not None:
            raise RefusedOnSight(scanned.refused)
        extents = scanned.extents
        if extents and kind == CandidateKind.ODS:  # the reader expands every table at open
            _refuse_oversized(extents, relative, limits)
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        budget = _Budget(limits)
        sheets = [
            _load_sheet(book, meta, path, kind, relative, limits, extents, budget, found)
            for meta in book.sheets_metadata
        ]
        return Book([sheet for sheet in sheets if sheet is not None], scanned.formulas)
    except ReadRefused:
        raise
    except python_calamine.PasswordError as exc:
        raise ReadRefused(problems.make(ProblemCode.FILE_ENCRYPTED, file=relative)) from exc
    except FileNotFoundError as exc:  # gone since intake read it (deleted, or saved over)
        gone = problems.make(ProblemCode.FILE_VANISHED, file=relative, detail="không còn tồn tại")
        raise ReadRefused(gone) from exc
    except (
        python_calamine.CalamineError,
        OSError,
        ValueError,
        zipfile.BadZipFile,
        ElementTree.ParseError,
        KeyError,
    ) as exc:
        raise ReadRefused(
            problems.make(
                ProblemCode.FILE_UNREADABLE,
                file=relative,
                detail=str(exc)[:160],
                technical=f"{type(exc).__name__}: {exc}",
            )
        ) from exc


class _Budget:
    """Cells still allowed for this workbook (``max_cells_per_workbook``)."""

    def __init__(self, limits: dict[str, int]):
        self.left = limits["max_cells_per_workbook"]


def _refuse_oversized(extents: dict[str, tuple[int, ...]], relative: str, limits: dict[str, int]) -> None:
    for name, (height, width, *_) in extents.items():
        if height * width > limits["max_cells_per_sheet"]:
            raise ReadRefused(
                problems.make(
                    ProblemCode.SHEET_TOO_LARGE,
                    file=relative,
                    sheet=name,
                    rows=height,
                    columns=width,
                    max_rows=limits["max_rows"],
                    max_columns=limits["max_columns"],
                )
            )
    if sum(e[0] * e[1] for e in extents.values()) > limits["max_cells_per_workbook"]:
        name, (height, width, *_) = max(extents.items(), key=lambda kv: kv[1][0] * kv[1][1])
        raise ReadRefused(
            problems.make(
                ProblemCode.SHEET_TOO_LARGE,
                file=relative,
                sheet=name,
                rows=height,
                columns=width,
                max_rows=limits["max_rows"],
                max_columns=limits["max_columns"],
            )
        )


def _load_sheet(
    book: Any,
    meta: Any,
    path: Path,
    kind: CandidateKind | None,
    relative: str,
    limits: dict[str, int],
    extents: dict[str, tuple[int, ...]],
    budget: _Budget,
    found: list[Problem],
) -> Sheet | None:
    visible = str(meta.visible).endswith("Visible")
    height, width, *inside = extents.get(meta.name, (0, 0))
    cells = height * width
    if cells > limits["max_cells_per_sheet"] or cells > budget.left:
        # a stray cell far away, a huge "used range": the cells within the row and column
        # limits are read, if they fit
        rows, columns = inside or (min(height, limits["max_rows"]), min(width, limits["max_columns"]))
        if rows * columns > min(budget.left, limits["max_cells_per_sheet"]) or kind != CandidateKind.XLSX:
            found.append(
                problems.make(
                    ProblemCode.SHEET_SKIPPED_LARGE,
                    file=relative,
                    sheet=meta.name,
                    cells=_count(cells),
                    limit=_count(min(limits["max_cells_per_sheet"], budget.left)),
                )
            )
            return None
        found.append(
            problems.make(
                ProblemCode.SHEET_READ_IN_PART,
                file=relative,
                sheet=meta.name,
                rows=_count(height),
                columns=_count(width),
                read_rows=_count(rows),
                read_columns=_count(columns),
            )
        )
        budget.left -= rows * columns
        return Sheet(name=meta.name, visible=visible, rows=_part_of_sheet(path, meta.name, rows, columns))
    sheet = book.get_sheet_by_name(meta.name)
    height, width = sheet.total_height + 1, sheet.total_width + 1  # last 0-based indices
    if height * width > limits["max_cells_per_sheet"] or height * width > budget.left:
        found.append(
            problems.make(
                ProblemCode.SHEET_SKIPPED_LARGE,
                file=relative,
                sheet=meta.name,
                cells=_count(height * width),
                limit=_count(min(limits["max_cells_per_sheet"], budget.left)),
            )
        )
        return None
    budget.left -= height * width
    return Sheet(name=meta.name, visible=visible, rows=sheet.to_python(skip_empty_area=False))


def _count(number: int) -> str:
    return f"{number:,}".replace(",", ".")


def _part_of_sheet(path: Path, name: str, rows: int, columns: int) -> list[list[Any]]:
    """The top-left ``rows`` × ``columns`` of one .xlsx sheet, streamed (openpyxl)."""
    import openpyxl  # here: most files never need it, and a worker imports it once, if at all

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return [
            list(row)
            for row in book[name].iter_rows(
                min_row=1, max_row=rows, min_col=1, max_col=columns, values_only=True
            )
        ]
    finally:
        book.close()


def _kind_of(path: Path) -> CandidateKind:
    """A workbook's kind when no entry says it (a library caller): by the one container rule."""
    try:
        with zipfile.ZipFile(path) as archive:
            kind = zip_kind(".xlsx", archive.namelist())  # read whole, as a workbook
    except (zipfile.BadZipFile, OSError):
        return CandidateKind.OTHER
    return CandidateKind(kind.value) if kind in (ZipKind.XLSX, ZipKind.ODS) else CandidateKind.OTHER


def sheet_extents(
    path: Path, limits: dict[str, int], kind: CandidateKind | None = None
) -> dict[str, tuple[int, ...]]:
    """Rows × columns each sheet would take in the reader, from its XML, read as a stream
    (for .xlsx, then rows × columns of the cells within the row and column limits);
    {} for formats not read this way (.xls, .xlsb)."""
    return parts.scan(path.read_bytes(), kind or _kind_of(path), limits).extents


def mark_uncalculated(
    sheets: list[Sheet], path: Path, kind: CandidateKind | None, formulas: bool | None = None
) -> None:
    """Formula cells that read blank because no value was saved with them, marked as such
    (``formulas``: whether any sheet holds one, when ``load_book`` has said)."""
    if kind != CandidateKind.XLSX:
        return
    if formulas is None:
        formulas = parts.has_formulas(path.read_bytes())
    if not formulas:
        return
    import openpyxl  # here: only a workbook with formulas needs it

    by_name = {sheet.name: sheet for sheet in sheets}
    book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        for ws in book.worksheets:
            sheet = by_name.get(ws.title)
            if sheet is None or not sheet.rows:
                continue
            width = max(len(row) for row in sheet.rows)
            for r, row in enumerate(ws.iter_rows(max_row=len(sheet.rows), max_col=width)):
                for cell in row:
                    value = getattr(cell, "value", None)
                    if not (isinstance(value, str) and value.startswith("=")) or cell.column is None:
                        continue
                    c = cell.column - 1
                    if c < len(sheet.rows[r]) and is_blank(sheet.rows[r][c]):
                        sheet.rows[r][c] = Uncalculated(value)
    finally:
        book.close()
