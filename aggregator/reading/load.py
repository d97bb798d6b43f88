"""Stage 2: read a workbook into a raw table, wherever the unit put things.

The list sheet is found by its header texts, not by name or position; columns are mapped by
header, so moved, extra or renamed columns and added title rows still read right. Values stay
as the cells hold them; parsing them is the validator's job.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import openpyxl
import python_calamine

from aggregator import problems
from aggregator.config import Column, Config, Label
from aggregator.model import ListTable, Problem, Sheet, Uncalculated, WorkbookRead
from aggregator.problems import ProblemCode
from aggregator.reading import legacy
from aggregator.text import is_blank, loose_key, nfc

_NUMBERING = re.compile(r"^\(?\d{1,2}\)?$")


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
    kind: str | None = None,
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
        if extents and kind == "ods":  # the reader expands every table at open
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
    kind: str,
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
        if rows * columns > min(budget.left, limits["max_cells_per_sheet"]) or kind != "xlsx":
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


def _kind_of(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return "other"
    return "xlsx" if "xl/workbook.xml" in names else "ods" if "content.xml" in names else "other"


def sheet_extents(path: Path, limits: dict[str, int], kind: str | None = None) -> dict[str, tuple[int, ...]]:
    """Rows × columns each sheet would take in the reader, from its XML, read as a stream
    (for .xlsx, then rows × columns of the cells within the row and column limits);
    {} for formats not read this way (.xls, .xlsb)."""
    kind = kind or _kind_of(path)
    if kind not in ("xlsx", "ods"):
        return {}
    with zipfile.ZipFile(path) as archive:
        if kind == "xlsx":
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


def mark_uncalculated(sheets: list[Sheet], path: Path, kind: str | None) -> None:
    """Formula cells that read blank because no value was saved with them, marked as such."""
    if kind != "xlsx" or not _has_formulas(path):
        return
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
                    if sheet and c < len(sheet.rows[r]) and is_blank(sheet.rows[r][c]):
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


def repair_legacy_text(sheets: list[Sheet], path: Path, kind: str | None, relative: str) -> list[Problem]:
    """TCVN3/VNI-typed cells turned into Unicode, by font where the format keeps fonts."""
    if not legacy.needs_repair(sheets):
        return []
    fonts = _fonts(path, sheets) if kind == "xlsx" else {}
    found = legacy.repair(sheets, fonts)
    if not found:
        return []
    names = {legacy.TCVN3: "TCVN3 (.VnTime)", legacy.TCVN3_CAPS: "TCVN3 (.VnTimeH)", legacy.VNI: "VNI"}
    return [
        problems.make(
            ProblemCode.LEGACY_FONT,
            file=relative,
            count=sum(found.values()),
            fonts=", ".join(names[e] for e in sorted(found)),
        )
    ]


def _fonts(path: Path, sheets: list[Sheet]) -> dict[tuple[str, int, int], str]:
    """Font names of the text cells of an OOXML workbook (openpyxl, read-only)."""
    fonts: dict[tuple[str, int, int], str] = {}
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:  # fonts are a hint only: content detection still applies
        return fonts
    try:
        for sheet in book.worksheets:
            read = next((s for s in sheets if s.name == sheet.title), None)
            if read is None or not read.rows:
                continue
            width = max(len(row) for row in read.rows)
            for r, row in enumerate(sheet.iter_rows(max_row=len(read.rows), max_col=width)):
                for cell in row:
                    if (
                        isinstance(getattr(cell, "value", None), str)
                        and cell.font is not None
                        and cell.column
                    ):
                        fonts[(sheet.title, r, cell.column - 1)] = cell.font.name
    finally:
        book.close()
    return fonts


def locate(sheets: list[Sheet], config: Config, relative: str) -> WorkbookRead:
    """Find the list table(s), the unit's information and its free-text assessment."""
    result = WorkbookRead()
    # a hidden sheet is never the list (a unit hides an old or draft one): it is named
    shown_sheets = [s for s in sheets if s.visible]
    found = find_headers(
        shown_sheets, config.columns, config.sheets["list"], config.limits["header_search_rows"]
    )
    hidden = find_headers(
        [s for s in sheets if not s.visible],
        config.columns,
        config.sheets["list"],
        config.limits["header_search_rows"],
    )
    result.problems += [
        problems.make(ProblemCode.SHEET_HIDDEN, file=relative, sheet=sheet.name)
        for sheet, _first, _last, _mapping in hidden
    ]
    if not found:
        expected = ", ".join(f'"{c.header}"' for c in config.columns if c.required)
        result.problems.append(problems.make(ProblemCode.HEADER_NOT_FOUND, file=relative, expected=expected))
    required = [c for c in config.columns if c.required]
    for n, (sheet, _first, last, mapping) in enumerate(found):
        missing = [c.header for c in required if c.key not in mapping]
        if n == 0:
            result.problems += [
                problems.make(ProblemCode.COLUMN_MISSING, file=relative, sheet=sheet.name, column=header)
                for header in missing
            ]
        elif missing:  # a second list-like sheet that cannot be read as a list: say so
            result.problems.append(
                problems.make(
                    ProblemCode.SHEET_IGNORED, file=relative, sheet=sheet.name, columns=", ".join(missing)
                )
            )
            continue
        stopped: list[str] = []
        result.tables.append(
            ListTable(
                sheet.name,
                last + 1,
                mapping,
                table_below(sheet.rows, last, mapping, stopped),
                stopped=stopped,
            )
        )
    listed = {t.sheet for t in result.tables}
    skipped = {loose_key(config.sheets["guide"]), loose_key(config.sheets["meta"])}
    others = [s for s in sheets if s.name not in listed and loose_key(s.name) not in skipped]
    result.meta = _meta(sheets, config.sheets["meta"])
    result.info = labelled_values(_prefer(others, config.sheets["info"]), config.info)
    if found:
        sheet, first = found[0][0], found[0][1]
        result.title = [nfc(v) for row in sheet.rows[:first] for v in row if not is_blank(v)]
        titled = labelled_values([Sheet(sheet.name, True, sheet.rows[:first])], config.info)
        result.info = {**titled, **result.info}
    result.assessment = {
        k: nfc(v)
        for k, v in labelled_values(
            _prefer(others, config.sheets["assessment"]), config.assessment, below=True
        ).items()
    }
    return result


def find_headers(
    sheets: list[Sheet], columns: list[Column], list_name: str, search_rows: int
) -> list[tuple[Sheet, int, int, dict[str, int]]]:
    """Every sheet's best header line(s), the best sheet first, the others in workbook order."""
    spellings = header_spellings(tuple(columns))
    best_by_sheet = []
    for sheet in sheets:
        found = _best_header(sheet, spellings, search_rows)
        if found is not None:
            preferred = int(loose_key(sheet.name) == loose_key(list_name))
            best_by_sheet.append(((found[0][0], preferred, found[0][2]), sheet, *found[1:]))
    if not best_by_sheet:
        return []
    top = max(best_by_sheet, key=lambda item: item[0])
    return [top[1:], *(item[1:] for item in best_by_sheet if item is not top)]


def _best_header(
    sheet: Sheet, spellings: HeaderSpellings, search_rows: int
) -> tuple[tuple[int, int, int], int, int, dict[str, int]] | None:
    best = None
    unbeatable = (spellings.columns, 0, 1)  # every column, on one line
    for i, row in enumerate(sheet.rows[:search_rows]):
        single = map_header(row, spellings)
        options = [(i, single)]
        if single and i + 1 < len(sheet.rows):  # a line with no header cell tops no header
            options.append((i + 1, map_header(_merge_lines(row, sheet.rows[i + 1]), spellings)))
        for last, mapping in options:
            # more known columns first, then one line over two
            rank = (len(mapping), 0, int(last == i))
            if "name" in mapping and rank[0] >= 3 and (best is None or rank > best[0]):
                best = (rank, i, last, mapping)
        if best is not None and best[0] == unbeatable:
            break
    return best


def _merge_lines(upper: list[Any], lower: list[Any]) -> list[Any]:
    """A header split over two lines (a merged group title above sub-columns) read as one."""
    return [lo if not is_blank(lo) else up for up, lo in zip(upper, lower, strict=False)]


_SEEN_LIMIT = 65536


class HeaderSpellings:
    """The known spellings of every column header, and what each cell text seen so far is."""

    def __init__(self, columns: tuple[Column, ...]):
        self.keys: dict[str, str] = {}
        for column in columns:
            for text in (column.header, *column.aliases):
                self.keys.setdefault(loose_key(text), column.key)
        self.columns = len(set(self.keys.values()))
        self.longest = max((len(key.split(" ")) for key in self.keys), default=1)
        self._seen: dict[str, tuple[str, bool] | None] = {}

    def match(self, cell: str) -> tuple[str, bool] | None:
        """(column key, whether the whole cell is the header) or None for any other text."""
        if cell not in self._seen:
            if len(self._seen) >= _SEEN_LIMIT:  # data rows searched bring endless new texts
                self._seen.clear()
            key = loose_key(cell)
            if key in self.keys:
                self._seen[cell] = (self.keys[key], True)
            else:
                known = self._longest_known_prefix(key)
                self._seen[cell] = (self.keys[known], False) if known else None
        return self._seen[cell]

    def _longest_known_prefix(self, key: str) -> str | None:
        """The longest known header that begins the cell in whole words ("lĩnh vực 1 11")."""
        words = key.split(" ", self.longest + 1)[: self.longest + 1]  # linear in the cell
        for end in range(min(len(words) - 1, self.longest), 0, -1):
            prefix = " ".join(words[:end])
            if prefix in self.keys:
                return prefix
        return None


@lru_cache(maxsize=8)
def header_spellings(columns: tuple[Column, ...]) -> HeaderSpellings:
    return HeaderSpellings(columns)


def map_header(line: list[Any], spellings: HeaderSpellings) -> dict[str, int]:
    """Column key -> index for the cells of one line that are known headers."""
    exact: dict[str, int] = {}
    prefixed: dict[str, int] = {}
    for index, cell in enumerate(line):
        if not isinstance(cell, str) or not cell or cell.isspace():
            continue
        found = spellings.match(cell)
        if found is not None:
            (exact if found[1] else prefixed).setdefault(found[0], index)
    taken = set(exact.values())
    for column_key, index in prefixed.items():
        if column_key not in exact and index not in taken:
            exact[column_key] = index
            taken.add(index)
    return exact


def table_below(
    rows: list[list[Any]], header: int, mapping: dict[str, int], stopped: list[str] | None = None
) -> list[dict[str, Any]]:
    """The data rows under the header: one per non-blank line, with its sheet row number.

    A row holding only a model code is a model the unit says has stopped (the pre-filled
    workbook's instruction): not a row, its code noted in ``stopped``.
    """
    records = []
    for i in range(header + 1, len(rows)):
        row = rows[i]
        values = {key: (row[idx] if idx < len(row) else "") for key, idx in mapping.items()}
        # a number or a model code alone is a row emptied of its model (pre-filled workbooks)
        if all(is_blank(v) for k, v in values.items() if k not in ("seq", "model_code")):
            if stopped is not None and not is_blank(values.get("model_code", "")):
                stopped.append(str(values["model_code"]))
            continue
        if i == header + 1 and _is_numbering(row):
            continue
        values["row"] = i + 1
        records.append(values)
    return records


def _is_numbering(row: list[Any]) -> bool:
    """The "(1) (2) (3) …" line that Party forms put under the header."""
    filled = [v for v in row if not is_blank(v)]
    return len(filled) >= 3 and all(
        _NUMBERING.match(str(int(v)) if isinstance(v, float) and v.is_integer() else nfc(v)) for v in filled
    )


_LABEL_AREA = (300, 40)  # rows, columns


def labelled_values(sheets: list[Sheet], labels: list[Label], below: bool = False) -> dict[str, Any]:
    """Values written beside (or, for answers, under) a known label, first found wins.

    Labels are looked for in the top-left ``_LABEL_AREA`` of each sheet: a form's labels sit
    there, and a large helper sheet costs nothing."""
    keys = {loose_key(t): lab.key for lab in labels for t in (lab.label, *lab.aliases)}
    found: dict[str, Any] = {}
    rows, columns = _LABEL_AREA
    for sheet in sheets:
        for i, row in enumerate(sheet.rows[:rows]):
            for j, cell in enumerate(row[:columns]):
                if not isinstance(cell, str) or is_blank(cell):
                    continue
                label, inline = _split_label(cell)
                key = keys.get(loose_key(label))
                if key is None or key in found:
                    continue
                value = inline if not is_blank(inline) else _right_of(row, j)
                if is_blank(value) and below:
                    value = _under(sheet.rows, i, j, keys)
                if not is_blank(value):
                    found[key] = value
    return found


def _split_label(cell: str) -> tuple[str, str]:
    """ "Mã đơn vị: cam-lam" → ("Mã đơn vị", "cam-lam"); a plain label has no inline value."""
    if ":" in cell:
        label, _, value = cell.partition(":")
        return label, value.strip()
    return cell, ""


def _right_of(row: list[Any], j: int) -> Any:
    return next((v for v in row[j + 1 : j + 3] if not is_blank(v)), "")


def _under(rows: list[list[Any]], i: int, j: int, keys: dict[str, str]) -> Any:
    for row in rows[i + 1 : i + 4]:
        value = next((v for v in row[j:] if not is_blank(v)), "")
        if not is_blank(value):
            return "" if loose_key(_split_label(str(value))[0]) in keys else value
    return ""


def _meta(sheets: list[Sheet], name: str) -> dict[str, Any]:
    sheet = next((s for s in sheets if loose_key(s.name) == loose_key(name)), None)
    if sheet is None:
        return {}
    return {nfc(r[0]): r[1] for r in sheet.rows if len(r) >= 2 and not is_blank(r[0])}


def _prefer(sheets: list[Sheet], name: str) -> list[Sheet]:
    """The sheet with the expected name first, then visible sheets, then the rest."""
    return sorted(sheets, key=lambda s: (loose_key(s.name) != loose_key(name), not s.visible))
