"""Reading, step 1: load a workbook's cell values, within the limits, refusing what cannot be read.

Sizes are checked from the file's own declarations before anything is expanded; formula cells
saved without their value are marked (``Uncalculated``) so the validator can say so. Values
stay as the cells hold them.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import python_calamine

from aggregator import problems
from aggregator.intake.sniff import ZipKind, zip_kind
from aggregator.model import CandidateKind, Sheet, Uncalculated
from aggregator.problems import Problem, ProblemCode
from aggregator.text import is_blank


class ReadRefused(Exception):
    """The file cannot be read at all; carries the problem to record."""

    def __init__(self, problem: Problem):
        super().__init__(problem.message)
        self.problem = problem


def load_sheets(
    path: Path,
    relative: str,
    limits: dict[str, int],
    found: list[Problem] | None = None,
    kind: CandidateKind | None = None,
) -> list[Sheet]:
    """Every sheet's cell values (cached values of formulas), within the size limits.

    Sizes are checked before the reader allocates anything: for .xlsx and .ods from the
    sheets' own XML (the cells actually there and the declared "used range"). A sheet too
    big to read whole is read in part (.xlsx) or skipped, with a warning in ``found``.
    """
    found = [] if found is None else found
    try:
        kind = kind or _kind_of(path)
        extents = sheet_extents(path, limits, kind)
        if extents and kind == CandidateKind.ODS:  # the reader expands every table at open
            _refuse_oversized(extents, relative, limits)
        with path.open("rb") as handle:
            book = python_calamine.CalamineWorkbook.from_filelike(handle)
            budget = _Budget(limits)
            sheets = [
                _load_sheet(book, meta, path, kind, relative, limits, extents, budget, found)
                for meta in book.sheets_metadata
            ]
            return [sheet for sheet in sheets if sheet is not None]
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
    kind = kind or _kind_of(path)
    if kind not in (CandidateKind.XLSX, CandidateKind.ODS):
        return {}
    with zipfile.ZipFile(path) as archive:
        if kind == CandidateKind.XLSX:
            return _xlsx_extents(archive, limits["max_rows"], limits["max_columns"])
        return _ods_extents(archive)


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_REF = re.compile(rb"\sr=\"([A-Z]{0,3})([0-9]{1,9})\"")
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"[A-Z]*[0-9]*:?([A-Z]{0,3})([0-9]{1,9})\"")


def _xlsx_extents(archive: zipfile.ZipFile, max_rows: int, max_columns: int) -> dict[str, tuple[int, ...]]:
    try:  # (an .xlsb keeps its sheets in binary parts: not measured here)
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except KeyError:
        return {}
    targets = {r.get("Id"): str(r.get("Target", "")) for r in rels.iter(f"{_RELS}Relationship")}
    names = set(archive.namelist())
    extents: dict[str, tuple[int, ...]] = {}
    for sheet in workbook.iter(f"{_MAIN}sheet"):
        target = targets.get(sheet.get(_REL_ID), "")
        part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        if part in names:
            extents[str(sheet.get("name"))] = _xml_extent(archive, part, max_rows, max_columns)
    return extents


def _xml_extent(
    archive: zipfile.ZipFile, part: str, max_rows: int, max_columns: int
) -> tuple[int, int, int, int]:
    """The largest of the declared used range and the cells' own references, streamed; then
    the extent of the cells within ``max_rows`` × ``max_columns`` (a second pass, only for a
    sheet that goes beyond them)."""
    rows = columns = 0
    for references in _references(archive, part):
        if references:
            letters, numbers = zip(*references, strict=True)
            rows = max(rows, max(map(int, set(numbers))))
            columns = max(columns, max(map(_column_number, set(letters))))
    if rows <= max_rows and columns <= max_columns:
        return rows, columns, rows, columns
    inside_rows = inside_columns = 0
    for references in _references(archive, part):
        for name, number in references:
            row, column = int(number), _column_number(name)
            if row <= max_rows and column <= max_columns:
                inside_rows, inside_columns = max(inside_rows, row), max(inside_columns, column)
    return rows, columns, inside_rows, inside_columns


def _references(archive: zipfile.ZipFile, part: str) -> Iterator[list[tuple[bytes, bytes]]]:
    """The (column letters, row number) of every cell and row reference and of the declared
    used range, block by block."""
    tail = b""
    with archive.open(part) as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            text = tail + block
            yield _REF.findall(text) + _DIMENSION.findall(text)
            tail = text[-80:]


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"


def _ods_extents(archive: zipfile.ZipFile) -> dict[str, tuple[int, ...]]:
    """Rows × columns of each table with repeated rows and cells expanded (as the reader does)
    up to the last cell that holds something."""
    extents: dict[str, tuple[int, ...]] = {}
    name, row, rows, columns = "", 0, 0, 0
    with archive.open("content.xml") as stream:
        for event, element in ElementTree.iterparse(stream, events=("start", "end")):
            tag = element.tag
            if event == "start":
                if tag == f"{_TABLE}table":
                    name, row, rows, columns = str(element.get(f"{_TABLE}name")), 0, 0, 0
                continue
            if tag == f"{_TABLE}table-row":
                repeat = _repeat(element, "number-rows-repeated")
                last = _last_filled_column(element)
                row += repeat
                if last:
                    rows, columns = row, max(columns, last)
                element.clear()
            elif tag == f"{_TABLE}table":
                extents[name] = (rows, columns)
                element.clear()
    return extents


def _repeat(element: ElementTree.Element, attribute: str) -> int:
    try:
        return max(1, int(element.get(f"{_TABLE}{attribute}", "1")))
    except ValueError:
        return 1


def _last_filled_column(row: ElementTree.Element) -> int:
    column = last = 0
    for cell in row:
        if cell.tag not in (f"{_TABLE}table-cell", f"{_TABLE}covered-table-cell"):
            continue
        column += _repeat(cell, "number-columns-repeated")
        if len(cell) or cell.get(f"{_OFFICE}value-type"):
            last = column
    return last


def mark_uncalculated(sheets: list[Sheet], path: Path, kind: CandidateKind | None) -> None:
    """Formula cells that read blank because no value was saved with them, marked as such."""
    if kind != CandidateKind.XLSX or not _has_formulas(path):
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


def _has_formulas(path: Path) -> bool:
    """Whether any sheet holds a formula (read as a stream: a sheet may be very large)."""
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                with archive.open(name) as part:
                    tail = b""
                    for block in iter(lambda: part.read(1 << 20), b""):
                        if _FORMULA.search(tail + block):
                            return True
                        tail = block[-8:]
    return False


_FORMULA = re.compile(rb"<(?:\w+:)?f[ >]")
