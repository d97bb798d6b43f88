"""Rendering: a docxtpl template's body rendered as a stream into a file, never held whole.

docxtpl renders the body into one string, parses it into one tree, fixes that and serialises
it again: for a report of many units, several times the document's size in memory at once.
Here Jinja renders the body a piece at a time (``generate``); each piece, cut after a
paragraph's end, is rewritten as docxtpl rewrites the whole (paragraph marks, escaped braces,
tabs and breaks in texts, pictures' ids, characters XML cannot hold), then written to a
temporary file. What a table's grid must become (``docx_grid``) is known only once its last
row has passed: its counts are noted as the rows pass, and the grid (and, for a table too wide,
every cell's width) rewritten when the file is copied into the package.

Only a plain template is rendered so (``plain``): no table within a table, every cell straight
in a row; any other is rendered docxtpl's way.
"""

from __future__ import annotations

import re
import tempfile
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from aggregator.rendering import docx_grid

W = docx_grid.W
DRAWING = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
PARAGRAPH_END = "</w:p>"
PIECE = 1 << 16  # characters gathered before a piece is cut (after its last paragraph's end)
COPY = 1 << 20  # bytes copied into the package at a time
_MARK = re.compile(r"\n<w:p([ >])")  # docxtpl's mark before each paragraph, for Jinja's lines
_ESCAPED = re.compile(r"\{_\{|\}_\}|\{_%|%_\}")  # docxtpl's escaped braces
_UNESCAPED = {"{_{": "{{", "}_}": "}}", "{_%": "{%", "%_}": "%}"}
_LISTING = re.compile("[\t\a\n\f]")
_PICTURE = re.compile(r'(<wp:docPr\b[^>]*?\bid=")[^"]*(")')
# what XML 1.0 cannot hold (a parser recovering drops it): control characters, lone surrogates
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_TOKEN = re.compile(
    rb"<w:tbl[ >]|</w:tbl>|<w:tblGrid>.*?</w:tblGrid>|<w:tblGrid/>|<w:tr[ >]|<w:tc[ >]"
    rb"|<w:gridSpan [^>]*>|<w:tcW [^>]*>|<w:sectPr[ >].*?</w:sectPr>",
    re.DOTALL,
)
_COLUMN = re.compile(rb"<w:gridCol(?: [^>]*)?/>")
_WIDTH = re.compile(rb'\bw:w="([^"]*)"')
_VALUE = re.compile(rb'\bw:val="([^"]*)"')


Edit = tuple[int, int, Callable[[bytes], bytes]]  # bytes of the file (start, end), and how they change


class NotStreamable(Exception):
    """The rendered body is not as ``plain`` promised (a table in a table, one with no grid):
    rendered docxtpl's way instead."""


def plain(body: Any) -> bool:
    """Whether a template's body (parsed) can be rendered as a stream: every table has a grid
    and no table within it, every cell sits straight in a row and every row straight in a
    table (so cells counted in the text are the cells docxtpl's fix counts)."""
    for table in body.iter(f"{W}tbl"):
        if table.find(f"{W}tblGrid") is None or any(t is not table for t in table.iter(f"{W}tbl")):
            return False
    cells_in_rows = all(c.getparent().tag == f"{W}tr" for c in body.iter(f"{W}tc"))
    return cells_in_rows and all(r.getparent().tag == f"{W}tbl" for r in body.iter(f"{W}tr"))


@dataclass
class _Table:
    """One table as its rows passed: its grid's place and columns, its widest row (cells, and
    grid columns spanned), its first row's cells' widths, and where each cell's width is."""

    grid: tuple[int, int]  # the grid element's place in the file (start, end)
    columns: docx_grid.Columns
    most_cells: int = 0
    reached: int = 0
    rows: int = 0
    cells: int = 0  # of the row now passing
    spans: int = 0
    first_row: list[str | None] = field(default_factory=list)
    widths: array[int] = field(default_factory=lambda: array("q"))  # (start, end) of each tcW

    def row_ends(self) -> None:
        self.most_cells, self.reached = max(self.most_cells, self.cells), max(self.reached, self.spans)
        self.cells = self.spans = 0


class Body:
    """A rendered body in a temporary file, with what the copy into the package must rewrite."""

    def __init__(self, first_picture_id: int):
        self.file: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed by ``close``)
        self.picture_id = first_picture_id
        self.tables: list[_Table] = []
        self.sections: list[bytes] = []  # each section's properties (``w:sectPr``), as written
        self._table: _Table | None = None
        self._first_row = False
        self._grid: tuple[int, int] | None = None  # a grid passed before its table's first row

    def write(self, pieces: Iterable[str], resolve_listing: Callable[[str], str]) -> None:
        """Jinja's output, in pieces cut after a paragraph's end, rewritten and written."""
        for piece in _cut(pieces):
            piece = _ESCAPED.sub(lambda m: _UNESCAPED[m.group()], _MARK.sub(r"<w:p\1", piece))
            if _LISTING.search(piece):  # (docxtpl's rewriting, paragraph by paragraph: the same)
                piece = resolve_listing(piece)
            piece = _PICTURE.sub(self._picture, NOT_XML.sub("", piece))
            data = piece.encode("utf-8")
            self._note(data, self.file.tell())
            self.file.write(data)
        if self._table is not None:
            raise NotStreamable("a table never closed")

    def _picture(self, found: re.Match[str]) -> str:
        self.picture_id += 1  # docxtpl's renumbering, in the document's order
        return f"{found.group(1)}{self.picture_id}{found.group(2)}"

    def _note(self, data: bytes, at: int) -> None:
        """The tables' counts and places, from the tags of one piece written at ``at``."""
        for token in _TOKEN.finditer(data):
            tag, table = token.group(), self._table
            if tag.startswith(b"<w:sectPr"):
                if table is None:  # (a section's properties; in a cell none is a section)
                    self.sections.append(tag)
            elif tag.startswith(b"<w:tbl"):
                if table is not None and tag[6:7] in b" >":
                    raise NotStreamable("a table within a table")
                if tag.startswith(b"<w:tblGrid"):
                    if table is None or table.rows or self._grid is not None:
                        raise NotStreamable("a grid out of place")
                    columns = [_attribute(_WIDTH, c) for c in _COLUMN.findall(tag)]
                    table.grid, table.columns = (at + token.start(), at + token.end()), columns
                    self._grid = table.grid
                else:
                    self._table, self._grid = _Table((0, 0), []), None
            elif table is None:
                raise NotStreamable("a row or cell out of a table")
            elif tag == b"</w:tbl>":
                if self._grid is None:
                    raise NotStreamable("a table with no grid")
                if table.rows:
                    table.row_ends()
                self.tables.append(table)
                self._table = None
            elif tag.startswith(b"<w:tr"):
                if table.rows:
                    table.row_ends()
                table.rows += 1
            elif tag.startswith(b"<w:tcW"):  # a cell's width
                table.widths.extend((at + token.start(), at + token.end()))
                if table.rows == 1 and table.cells and table.first_row[-1] is None:
                    table.first_row[-1] = _attribute(_WIDTH, tag)
            elif tag.startswith(b"<w:tc"):
                if not table.rows:
                    raise NotStreamable("a cell out of a row")
                table.cells += 1
                table.spans += 1
                if table.rows == 1:
                    table.first_row.append(None)
            else:  # a cell's span
                table.spans += int(_attribute(_VALUE, tag) or 1) - 1

    def edits(self, room: Callable[[list[bytes]], int] | None) -> list[Edit]:
        """What the copy rewrites, in the file's order: each table's grid fixed (docxtpl's) and,
        given the ``room`` of the sections, fitted to its first row (``docx_grid``)."""
        done: list[Edit] = []
        space = room(self.sections) if room and self.tables else 0
        for table in self.tables:
            columns = docx_grid.fixed_columns(table.columns, table.most_cells, table.reached)
            total = 0
            if room and table.rows:
                columns, total = docx_grid.fitted_columns(columns, table.first_row, space)
            if columns != table.columns:
                done.append((*table.grid, _grid(columns)))
            if total:
                widths = table.widths

                def narrower(tag: bytes, total: int = total) -> bytes:
                    width = _attribute(_WIDTH, tag)
                    return _WIDTH.sub(f'w:w="{docx_grid.shrunk(width, space, total)}"'.encode(), tag, 1)

                done += [(widths[i], widths[i + 1], narrower) for i in range(0, len(widths), 2)]
        return done

    def copy(self, write: Callable[[bytes], Any], edits: list[Edit]) -> None:
        """The file into ``write``, a block at a time, each edit made on its way."""
        self.file.seek(0)
        at = 0
        for start, end, how in [*edits, (-1, -1, lambda tag: tag)]:
            while start < 0 or at < start:
                block = self.file.read(COPY if start < 0 else min(COPY, start - at))
                if not block:
                    break
                write(block)
                at += len(block)
            if start >= 0:
                write(how(self.file.read(end - start)))
                at = end

    def close(self) -> None:
        self.file.close()


def _cut(pieces: Iterable[str]) -> Iterator[str]:
    """The output in pieces of some ``PIECE`` characters, each ending at a paragraph's end (the
    last at the output's): docxtpl's rewriting of the whole, made piece by piece, is the same."""
    gathered: list[str] = []
    size, enough = 0, PIECE
    for piece in pieces:
        gathered.append(piece)
        size += len(piece)
        if size >= enough:
            text = "".join(gathered)
            end = text.rfind(PARAGRAPH_END)
            if end < 0:  # (no paragraph's end yet: gathered on, twice as much, before looking again)
                gathered, enough = [text], 2 * size
                continue
            end += len(PARAGRAPH_END)
            yield text[:end]
            gathered, size, enough = [text[end:]], len(text) - end, PIECE
    if gathered:
        yield "".join(gathered)


def _attribute(pattern: re.Pattern[bytes], tag: bytes) -> str | None:
    found = pattern.search(tag)
    return None if found is None else found.group(1).decode()


def _grid(columns: docx_grid.Columns) -> Callable[[bytes], bytes]:
    """What a grid becomes: these columns."""
    cells = "".join("<w:gridCol/>" if c is None else f'<w:gridCol w:w="{c}"/>' for c in columns)
    grid = f"<w:tblGrid>{cells}</w:tblGrid>".encode()
    return lambda _: grid
