"""Rendering: the data rows of big plain sheets, written as sheet XML by our own loop and spliced
into the package XlsxWriter wrote.

XlsxWriter costs 6-7 µs a cell (a tuple, a dimension check, four regular expressions and a
file write per cell); the master workbook has some 1.5 million. ``Book`` is an XlsxWriter
workbook that writes everything else as before (styles, the header row, widths, panes, filter,
print settings, the other sheets); a plain table's rows go to a temporary file as the ``<row>``
elements XlsxWriter would write in ``constant_memory`` mode (inline strings, the same escapes of
control characters, ``xml:space="preserve"``, the 32,767-unit limit, numbers as ``.16G``) and,
when the workbook is closed, into its sheet's part between the header row and ``</sheetData>``,
the part's ``<dimension>`` widened to them. One difference on purpose: a text that looks like
XlsxWriter's rich-string XML (``<r>…</r>``) is escaped like any other text, not copied raw into
the sheet (where it could close the cell and open a formula).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO, Any

import xlsxwriter
from xlsxwriter.utility import xl_cell_to_rowcol, xl_col_to_name, xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

STRING_MAX = 32767  # UTF-16 units in a cell, as XlsxWriter truncates (``xls_strmax``)
EXACT_INT = 2**53  # beyond it ``.16G`` of the float differs from the int's digits
CHUNK_ROWS = 2000  # rows encoded and written at a time: the sheet's XML is never whole in memory
# short texts' cells kept to be written again (labels, units' names): emptied when this many,
# so that a sheet of distinct names (60,000 records) does not hold them all (40 MB at 100,000)
STRINGS_KEPT = 8192
COMPRESSION = 1  # deflate level of the rewritten package: 3x faster than 6, the file ~20 % larger
# anything XlsxWriter changes in a string: XML's specials, C0 controls bar tab and newline (as
# _xHHHH_), the escape's own look-alike (_x005F_ before it) and the two non-characters
SPECIAL = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_")
LOOKALIKE = re.compile(r"(_x[0-9a-fA-F]{4}_)")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")
EPOCH = dt.date(1899, 12, 31)
# a part's own deflate level: ``compress_level`` since Python 3.13, ``_compresslevel`` before
LEVEL = "compress_level" if "compress_level" in zipfile.ZipInfo.__slots__ else "_compresslevel"


@dataclass
class PlainRows:
    """A plain table's rows, written out: where they sit and the file holding their XML."""

    file: IO[bytes]
    size: int
    rows: tuple[int, int] | None  # first and last row (0-based) holding a cell
    columns: tuple[int, int] | None


class SafeSheet(Worksheet):
    """A worksheet that writes every string as text, however it is written (``write``,
    ``write_row``, ``write_string``). XlsxWriter copies a string shaped like its rich-string XML
    (``<r>…</r>``) raw into the sheet, where a unit's text could close the cell and open a
    formula: such a text is written as a rich string of three escaped runs instead (the same
    text read back)."""

    def _write_string(self, row: int, col: int, string: str, cell_format: Any = None) -> Any:
        if not (string.startswith("<r>") and string.endswith("</r>")):
            return super()._write_string(row, col, string, cell_format)
        if len(string) > STRING_MAX // 2 and _utf16_len(string) > STRING_MAX:
            string = utf16_truncate(string, STRING_MAX)  # as XlsxWriter truncates any text
        if cell_format is None:
            return self.write_rich_string(row, col, "<", "r", string[2:])
        runs = (cell_format, "<", cell_format, "r", cell_format, string[2:], cell_format)
        return self.write_rich_string(row, col, *runs)


class Book(xlsxwriter.Workbook):
    """An XlsxWriter workbook whose sheets write strings as text (``SafeSheet``) and whose
    plain tables' rows are written by ``write_rows``."""

    def __init__(self, filename: str, options: dict[str, Any]):
        super().__init__(filename, options)
        self.worksheet_class = SafeSheet
        self.plain: dict[int, PlainRows] = {}  # by the sheet's index

    def plain_rows(self, sheet: Worksheet, top: int, rows: Iterable[Sequence[Any]]) -> int:
        """Write ``rows`` under the header at row ``top``; returns the last row's index.

        Nothing may be written to ``sheet`` below ``top`` afterwards (``close`` checks)."""
        if sheet.index in self.plain:
            raise ValueError(f"the sheet {sheet.name!r} has plain rows already")
        file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by ``close``)
        last, found, columns = write_rows(file, rows, top + 1)
        self.plain[sheet.index] = PlainRows(file, file.tell(), found, columns)
        return last

    def close(self) -> None:
        super().close()
        if self.plain:
            try:
                _splice(self.filename, self.plain)
            finally:
                for part in self.plain.values():
                    part.file.close()
                self.plain.clear()


def write_rows(out: IO[bytes], rows: Iterable[Sequence[Any]], first: int) -> tuple[int, Any, Any]:
    """The ``<row>`` elements of ``rows`` from row ``first`` (0-based), written to ``out``.

    Returns the last row's index (as ``enumerate`` leaves it: ``first - 1`` when there were
    none), and the (first, last) rows and columns holding a cell, or None."""
    letters: list[str] = []
    strings: dict[str, str] = {}  # a short text's cell, made once (labels repeat on every row)
    chunk: list[str] = []
    low_row = high_row = low_col = high_col = -1
    i = first - 1
    for i, row in enumerate(rows, start=first):
        if len(row) > len(letters):
            letters.extend(xl_col_to_name(j) for j in range(len(letters), len(row)))
        n = str(i + 1)
        cells = []
        start = end = -1
        for j, value in enumerate(row):
            kind = type(value)
            if kind is str:
                if not value:
                    continue
                body = strings.get(value)
                if body is None:
                    body = string_cell(value)
                    if len(value) <= 64:
                        if len(strings) >= STRINGS_KEPT:
                            strings.clear()  # the labels repeated now are made again at once
                        strings[value] = body
            elif kind is int:
                body = (
                    f"><v>{value}</v></c>"
                    if -EXACT_INT <= value <= EXACT_INT
                    else f"><v>{value:.16G}</v></c>"
                )
            else:
                body = other_cell(value)
                if body is None:
                    continue
            if start < 0:
                start = j
            end = j
            cells.append(f'<c r="{letters[j]}{n}"{body}')
        if not cells:
            continue
        chunk.append(f'<row r="{n}">{"".join(cells)}</row>')
        high_row, high_col = i, max(high_col, end)
        if low_row < 0:
            low_row = i
        low_col = start if low_col < 0 else min(low_col, start)
        if len(chunk) >= CHUNK_ROWS:
            out.write("".join(chunk).encode())
            chunk.clear()
    out.write("".join(chunk).encode())
    if low_row < 0:
        return i, None, None
    return i, (low_row, high_row), (low_col, high_col)


def string_cell(value: str) -> str:
    """A text cell's XML after its reference, as XlsxWriter writes it in constant_memory mode."""
    if len(value) > STRING_MAX // 2 and _utf16_len(value) > STRING_MAX:
        value = utf16_truncate(value, STRING_MAX)
    if SPECIAL.search(value):
        value = LOOKALIKE.sub(r"_x005F\1", value)
        value = CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", value)
        value = value.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
        preserve = value[:1].isspace() or value[-1:].isspace()
        value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    else:
        preserve = value[:1].isspace() or value[-1:].isspace()
    if preserve:
        return f' t="inlineStr"><is><t xml:space="preserve">{value}</t></is></c>'
    return f' t="inlineStr"><is><t>{value}</t></is></c>'


def other_cell(value: Any) -> str | None:
    """Any other value's cell as ``sheets._write`` writes it unformatted (None: no cell)."""
    if isinstance(value, str):
        return string_cell(value)  # a str subclass: written even when empty, as before
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, bool):
        return string_cell("Có" if value else "Không")
    if isinstance(value, (int, float)):
        if value in (float("inf"), float("-inf")):
            raise TypeError("NAN/INF not supported in write_number()")  # as XlsxWriter
        return f"><v>{value:.16G}</v></c>"
    if isinstance(value, dt.date):  # a datetime: its date, as before; 1900-01-01 is 0 to XlsxWriter
        days = float(value.toordinal() - EPOCH.toordinal())
        return f"><v>{days + 1 if days > 59 else 0.0 if days == 1 else days:.16G}</v></c>"
    return string_cell(str(value))


def _utf16_len(value: str) -> int:
    return len(value) + sum(1 for c in value if ord(c) > 0xFFFF)


def utf16_truncate(value: str, limit: int) -> str:
    length = 0
    for index, char in enumerate(value):
        length += 2 if ord(char) > 0xFFFF else 1
        if length > limit:
            return value[:index]
    return value


DIMENSION = re.compile(r'<dimension ref="([A-Z]+[0-9]+)(?::([A-Z]+[0-9]+))?"/>')


def _splice(path: str, plain: dict[int, PlainRows]) -> None:
    """Rewrite the package at ``path`` with each plain table's rows in its sheet's part."""
    with zipfile.ZipFile(path) as package:
        parts = [(info, package.read(info)) for info in package.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESSION) as out:
        for info, data in parts:
            copy = zipfile.ZipInfo(info.filename, info.date_time)
            copy.compress_type, copy.external_attr = zipfile.ZIP_DEFLATED, info.external_attr
            setattr(copy, LEVEL, COMPRESSION)
            index = _sheet_index(info.filename)
            rows = plain.get(index) if index is not None else None
            if rows is None or rows.rows is None:  # no plain rows here, or none with a cell
                out.writestr(copy, data)
                continue
            head, tail = _around_rows(data.decode(), rows)
            head_bytes, tail_bytes = head.encode(), tail.encode()
            copy.file_size = len(head_bytes) + rows.size + len(tail_bytes)
            with out.open(copy, "w") as part:
                part.write(head_bytes)
                rows.file.seek(0)
                shutil.copyfileobj(rows.file, part, 1 << 20)
                part.write(tail_bytes)


def _sheet_index(name: str) -> int | None:
    found = re.fullmatch(r"xl/worksheets/sheet([0-9]+)\.xml", name)
    return int(found.group(1)) - 1 if found else None


def _around_rows(xml: str, rows: PlainRows) -> tuple[str, str]:
    """The sheet's XML before and after where the rows go, its dimension widened to them."""
    found = DIMENSION.search(xml)
    if found is None:
        raise ValueError("a worksheet part without its <dimension>")
    top_row, top_col = xl_cell_to_rowcol(found.group(1))
    bottom_row, bottom_col = xl_cell_to_rowcol(found.group(2) or found.group(1))
    assert rows.rows is not None and rows.columns is not None
    if bottom_row >= rows.rows[0]:
        raise ValueError("cells written by XlsxWriter below a sheet's plain rows")
    if found.group(0) == '<dimension ref="A1"/>' and "<row " not in xml:  # no cell of its own
        top_row, top_col = rows.rows[0], rows.columns[0]
    top_col = min(top_col, rows.columns[0])
    bottom_row, bottom_col = rows.rows[1], max(bottom_col, rows.columns[1])
    first, last = xl_rowcol_to_cell(top_row, top_col), xl_rowcol_to_cell(bottom_row, bottom_col)
    ref = first if first == last else f"{first}:{last}"
    xml = xml[: found.start()] + f'<dimension ref="{ref}"/>' + xml[found.end() :]
    if "<sheetData/>" in xml:
        head, tail = xml.split("<sheetData/>", 1)
        return head + "<sheetData>", "</sheetData>" + tail
    head, tail = xml.split("</sheetData>", 1)
    return head, "</sheetData>" + tail
