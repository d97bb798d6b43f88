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
# the tags a table's grid depends on, followed one by one (cells are counted between them)
_TOKEN = re.compile(
    rb"<w:tbl[ >]|</w:tbl>|<w:tblGrid>.*?</w:tblGrid>|<w:tblGrid/>|<w:tr[ >]|<w:sectPr[ >].*?</w:sectPr>",
    re.DOTALL,
)
_CELL = re.compile(rb"<w:tc[ >]")
_CELL_WIDTH = re.compile(rb"<w:tcW [^>]*>")
_SPAN = re.compile(rb"<w:gridSpan [^>]*>")
_COLUMN = re.compile(rb"<w:gridCol(?: [^>]*)?/>")
_WIDTH = re.compile(rb'\bw:w="([^"]*)"')
_VALUE = re.compile(rb'\bw:val="([^"]*)"')


# what an edit makes of the file's bytes it replaces, given them a block at a time
Rewrite = Callable[[Iterator[bytes]], Iterator[bytes]]
Edit = tuple[int, int, Rewrite]  # bytes of the file (start, end), and what they become


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
    grid columns spanned), its first row (to read its cells' widths) and where it ends."""

    grid: tuple[int, int] = (0, 0)  # the grid element's place in the file (start, end)
    columns: docx_grid.Columns = field(default_factory=list)
    gridded: bool = False
    most_cells: int = 0
    reached: int = 0
    rows: int = 0
    cells: int = 0  # of the row now passing
    spans: int = 0
    first: list[bytes] = field(default_factory=list)  # the first row's XML, while it passes
    first_row: list[str | None] = field(default_factory=list)  # its cells' widths
    end: int = 0

    def row_ends(self) -> None:
        if self.rows == 1:
            cells = _CELL.split(b"".join(self.first))[1:]
            self.first_row = [
                _attribute(_WIDTH, w.group()) if (w := _CELL_WIDTH.search(c)) else None for c in cells
            ]
            self.first = []
        self.most_cells, self.reached = max(self.most_cells, self.cells), max(self.reached, self.spans)
        self.cells = self.spans = 0

    def passes(self, part: bytes) -> None:
        """Part of a row passing (between two of the tags ``Body`` follows)."""
        if not self.rows:
            if _CELL.search(part):
                raise NotStreamable("a cell out of a row")
            return
        cells = part.count(b"<w:tc>") + part.count(b"<w:tc ")
        self.cells += cells
        self.spans += cells
        if b"<w:gridSpan" in part:
            self.spans += sum(int(_attribute(_VALUE, s) or 1) - 1 for s in _SPAN.findall(part))
        if self.rows == 1:
            self.first.append(part)


class Body:
    """A rendered body in a temporary file, with what the copy into the package must rewrite."""

    def __init__(self, first_picture_id: int):
        self.file: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed by ``close``)
        self.size = 0
        self.picture_id = first_picture_id
        self.tables: list[_Table] = []
        self.sections: list[bytes] = []  # each section's properties (``w:sectPr``), as written
        self._table: _Table | None = None

    def write(self, pieces: Iterable[str], resolve_listing: Callable[[str], str]) -> None:
        """Jinja's output, in pieces cut after a paragraph's end, rewritten and written."""
        for piece in _cut(pieces):
            piece = _ESCAPED.sub(lambda m: _UNESCAPED[m.group()], _MARK.sub(r"<w:p\1", piece))
            if _LISTING.search(piece):  # (docxtpl's rewriting, paragraph by paragraph: the same)
                piece = resolve_listing(piece)
            piece = _PICTURE.sub(self._picture, NOT_XML.sub("", piece))
            data = piece.encode("utf-8")
            self._note(data, self.size)
            self.file.write(data)
            self.size += len(data)
        if self._table is not None:
            raise NotStreamable("a table never closed")

    def _picture(self, found: re.Match[str]) -> str:
        self.picture_id += 1  # docxtpl's renumbering, in the document's order
        return f"{found.group(1)}{self.picture_id}{found.group(2)}"

    def _note(self, data: bytes, at: int) -> None:
        """The tables' counts and places, from one piece written at ``at``: its tables' and
        rows' tags one by one, the cells between them counted."""
        after = 0  # (where the part between tags starts)
        for token in _TOKEN.finditer(data):
            tag, table = token.group(), self._table
            if table is not None:
                table.passes(data[after : token.start()])
            after = token.end()
            if tag.startswith(b"<w:sectPr"):
                if table is None:  # (a section's properties; in a cell none is a section)
                    self.sections.append(tag)
                else:
                    table.passes(tag)
            elif tag.startswith(b"<w:tblGrid"):
                if table is None or table.rows or table.gridded:
                    raise NotStreamable("a grid out of place")
                table.columns = [_attribute(_WIDTH, c) for c in _COLUMN.findall(tag)]
                table.grid, table.gridded = (at + token.start(), at + token.end()), True
            elif tag.startswith(b"<w:tbl"):
                if table is not None:
                    raise NotStreamable("a table within a table")
                self._table = _Table()
            elif table is None:
                raise NotStreamable("a row out of a table")
            elif tag == b"</w:tbl>":
                if not table.gridded:
                    raise NotStreamable("a table with no grid")
                if table.rows:
                    table.row_ends()
                table.end = at + token.start()
                self.tables.append(table)
                self._table = None
            else:  # a row
                if table.rows:
                    table.row_ends()
                table.rows += 1
        if self._table is not None:
            self._table.passes(data[after:])

    def edits(self, room: Callable[[list[bytes]], int] | None) -> list[Edit]:
        """What the copy rewrites, in the file's order: each table's grid fixed (docxtpl's) and,
        given the ``room`` of the sections, fitted to its first row (``docx_grid``); a table
        too wide, every cell's width after its grid shrunk alike."""
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
                done.append((table.grid[1], table.end, _narrower(space, total)))
        return done

    def copy(self, write: Callable[[bytes], Any], edits: list[Edit]) -> None:
        """The file into ``write``, a block at a time, each edit made on its way."""
        self.file.seek(0)
        at = 0
        for start, end, how in [*edits, (self.size, self.size, None)]:
            for block in self._blocks(start - at):
                write(block)
            if how is not None:
                for block in how(self._blocks(end - start)):
                    write(block)
            at = end

    def _blocks(self, size: int) -> Iterator[bytes]:
        """The next ``size`` bytes of the file, a block at a time."""
        while size > 0:
            block = self.file.read(min(COPY, size))
            if not block:
                return
            size -= len(block)
            yield block

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


def _grid(columns: docx_grid.Columns) -> Rewrite:
    """What a grid becomes: these columns."""
    cells = "".join("<w:gridCol/>" if c is None else f'<w:gridCol w:w="{c}"/>' for c in columns)
    return replaced_by(f"<w:tblGrid>{cells}</w:tblGrid>".encode())


def replaced_by(data: bytes) -> Rewrite:
    """An edit's bytes replaced by ``data``."""

    def rewrite(blocks: Iterator[bytes]) -> Iterator[bytes]:
        for _ in blocks:  # (the bytes as they were, read past)
            pass
        yield data

    return rewrite


def _narrower(room: int, total: int) -> Rewrite:
    """Every cell's width (``w:tcW``) in the blocks shrunk alike from ``total`` to ``room``."""

    def shrunk(tag: re.Match[bytes]) -> bytes:
        width = docx_grid.shrunk(_attribute(_WIDTH, tag.group()), room, total)
        return _WIDTH.sub(f'w:w="{width}"'.encode(), tag.group(), count=1)

    def rewrite(blocks: Iterator[bytes]) -> Iterator[bytes]:
        held = b""
        for block in blocks:  # (cut after a tag's end: no tag is split)
            block = held + block
            end = block.rfind(b">") + 1
            held = block[end:]
            yield _CELL_WIDTH.sub(shrunk, block[:end])
        yield held

    return rewrite
