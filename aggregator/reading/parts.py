"""Reading, step 0: a workbook's zip opened once, its XML parts judged and its sheets measured.

Before any parser sees a part, every XML part's prologue is judged (``sniff.head_declares``): a
workbook that declares a DTD or entities is refused. From the same opening, and from the same
decompressed bytes where a part is small, each sheet's extent (what the reader would allocate)
is measured and the sheets are searched for formulas: each part is decompressed once.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO
from xml.etree import ElementTree

from aggregator import problems
from aggregator.intake.sniff import PROLOGUE, XML_PARTS, entities_refused, head_declares
from aggregator.model import CandidateKind
from aggregator.problems import Problem, ProblemCode

_BLOCK = 1 << 20  # a large part is streamed in blocks of this many bytes
_WORKSHEETS = "xl/worksheets/"


@dataclass(frozen=True)
class Parts:
    """What one opening of a workbook's zip found: why it is refused as no workbook (a part
    declares entities, or the zip breaks: then nothing else was looked at), each sheet's
    extent, and whether any sheet holds a formula."""

    refused: Problem | None = None
    extents: dict[str, tuple[int, ...]] = field(default_factory=dict)
    formulas: bool = False


def scan(data: bytes, kind: CandidateKind | None, limits: dict[str, int], relative: str = "") -> Parts:
    """The zip of an .xlsx or .ods judged and measured from its bytes, opened once; nothing
    for formats not read this way (.xls, .xlsb). ``relative``: the file as its problems name it."""
    if kind not in (CandidateKind.XLSX, CandidateKind.ODS):
        return Parts()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        declared, whole = _prologues(data, archive)
    except MemoryError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError) as exc:  # (said as intake says it)
        detail = f"tệp nén hỏng: {exc}"
        return Parts(refused=problems.make(ProblemCode.FILE_UNREADABLE, file=relative, detail=detail))
    except Exception as exc:
        detail = f"{type(exc).__name__}: {exc}"[:160]
        return Parts(refused=problems.make(ProblemCode.FILE_UNREADABLE, file=relative, detail=detail))
    if declared is not None:
        return Parts(refused=entities_refused(relative, declared))
    with archive:

        def blocks(name: str) -> Iterator[bytes]:
            return iter((whole[name],)) if name in whole else _stream(archive, name)

        if kind == CandidateKind.ODS:
            content = whole.get("content.xml")
            with io.BytesIO(content) if content is not None else archive.open("content.xml") as stream:
                return Parts(extents=_ods_extents(stream))
        extents = _xlsx_extents(archive, blocks, limits["max_rows"], limits["max_columns"])
        return Parts(extents=extents, formulas=_any_formula(archive, blocks))


def _prologues(data: bytes, archive: zipfile.ZipFile) -> tuple[str | None, dict[str, bytes]]:
    """The first XML part whose prologue declares entities (``sniff.head_declares``), and the
    parts read whole by that look that are measured next, kept (each decompressed once)."""
    whole: dict[str, bytes] = {}
    for info in archive.infolist():
        name = info.filename
        if not name.endswith(XML_PARTS):
            continue
        head = _deflated_head(data, info)
        if head is None:
            with archive.open(info) as part:
                head = part.read(PROLOGUE)
        if head_declares(head):
            return name, {}
        if len(head) < PROLOGUE and (name.startswith("xl/") or name == "content.xml"):
            whole[name] = head  # (a name given twice: the last, as the reader takes it)
        else:
            whole.pop(name, None)
    return None, whole


_LOCAL = struct.Struct("<4s2sH18xHH")  # a part's local header: magic, flags, name, extra lengths
_UNUSUAL = 0x1 | 0x20 | 0x40  # encrypted, patched, strongly encrypted: left to zipfile to refuse


def _deflated_head(data: bytes, info: zipfile.ZipInfo) -> bytes | None:
    """What ``zipfile`` would read of a part's first ``PROLOGUE`` bytes, inflated straight from
    the zip's bytes (no file object per part); None for any part not plainly deflated, or
    whose headers, length or CRC do not agree: zipfile then reads it, and says what is wrong."""
    if info.compress_type != zipfile.ZIP_DEFLATED or info.flag_bits & _UNUSUAL:
        return None
    offset = info.header_offset
    if offset < 0 or offset + _LOCAL.size > len(data):
        return None
    magic, _, flags, name_length, extra_length = _LOCAL.unpack_from(data, offset)
    start = offset + _LOCAL.size
    try:
        name = data[start : start + name_length].decode("utf-8" if flags & 0x800 else "cp437")
        if magic != b"PK\x03\x04" or name != info.orig_filename:
            return None
        start += name_length + extra_length
        inflater = zlib.decompressobj(-15)
        head = inflater.decompress(data[start : start + info.compress_size], PROLOGUE)
    except (UnicodeDecodeError, zlib.error):
        return None
    if len(head) == PROLOGUE:
        return head if info.file_size >= PROLOGUE else None
    whole = inflater.eof and len(head) == info.file_size and zlib.crc32(head) == info.CRC
    return head if whole else None


def has_formulas(data: bytes) -> bool:
    """Whether any sheet of an .xlsx holds a formula (its parts read as streams)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return _any_formula(archive, lambda name: _stream(archive, name))


def _stream(archive: zipfile.ZipFile, name: str) -> Iterator[bytes]:
    with archive.open(name) as stream:
        yield from iter(lambda: stream.read(_BLOCK), b"")


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
# a cell's or row's reference, ``\sr="A12"``: written with its literal first, which the regex
# engine searches for fast, and the whitespace before it looked behind for
_REF = re.compile(rb'r="(?<=\sr=")([A-Z]{0,3})([0-9]{1,9})"')
# the declared used range, ``<dimension ref="A1:R29"``: "dimension" searched for first, then
# what is before it checked to be "<" or "<prefix:" (``_dimensions``)
_DIMENSION = re.compile(rb'dimension\s+ref="[A-Z]*[0-9]*:?([A-Z]{0,3})([0-9]{1,9})"')
_TAG_START = re.compile(rb"<(?:\w+:)?")
_FORMULA = re.compile(rb"<(?:\w+:)?f[ >]")

Blocks = Callable[[str], Iterator[bytes]]


def _xlsx_extents(
    archive: zipfile.ZipFile, blocks: Blocks, max_rows: int, max_columns: int
) -> dict[str, tuple[int, ...]]:
    try:  # (an .xlsb keeps its sheets in binary parts: not measured here)
        workbook = ElementTree.fromstring(b"".join(blocks("xl/workbook.xml")))
        rels = ElementTree.fromstring(b"".join(blocks("xl/_rels/workbook.xml.rels")))
    except KeyError:
        return {}
    targets = {r.get("Id"): str(r.get("Target", "")) for r in rels.iter(f"{_RELS}Relationship")}
    names = set(archive.namelist())
    extents: dict[str, tuple[int, ...]] = {}
    for sheet in workbook.iter(f"{_MAIN}sheet"):
        target = targets.get(sheet.get(_REL_ID), "")
        part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        if part in names:
            extents[str(sheet.get("name"))] = _xml_extent(blocks, part, max_rows, max_columns)
    return extents


def _xml_extent(blocks: Blocks, part: str, max_rows: int, max_columns: int) -> tuple[int, int, int, int]:
    """The largest of the declared used range and the cells' own references; then the extent
    of the cells within ``max_rows`` × ``max_columns`` (a second pass, only for a sheet that
    goes beyond them)."""
    rows = columns = 0
    for references in _references(blocks(part)):
        if references:
            rows = max(rows, max(map(int, {number for _, number in references})))
            # column letters of one length sort as their numbers do, and a longer one is larger
            last = max({letters for letters, _ in references}, key=lambda letters: (len(letters), letters))
            columns = max(columns, _column_number(last))
    if rows <= max_rows and columns <= max_columns:
        return rows, columns, rows, columns
    inside_rows = inside_columns = 0
    for references in _references(blocks(part)):
        for name, number in references:
            row, column = int(number), _column_number(name)
            if row <= max_rows and column <= max_columns:
                inside_rows, inside_columns = max(inside_rows, row), max(inside_columns, column)
    return rows, columns, inside_rows, inside_columns


def _references(blocks: Iterator[bytes]) -> Iterator[list[tuple[bytes, bytes]]]:
    """The (column letters, row number) of every cell and row reference and of the declared
    used range, block by block."""
    tail = b""
    for block in blocks:
        text = tail + block
        yield _REF.findall(text) + _dimensions(text)
        tail = text[-80:]


def _dimensions(text: bytes) -> list[tuple[bytes, bytes]]:
    """The declared used ranges in ``text``, as a "<" or "<prefix:" right before the word
    "dimension" and its ``ref`` would be found in one pattern."""
    found = []
    for match in _DIMENSION.finditer(text):
        start = text.rfind(b"<", 0, match.start())
        if start >= 0 and _TAG_START.fullmatch(text, start, match.start()):
            found.append((match[1], match[2]))
    return found


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _any_formula(archive: zipfile.ZipFile, blocks: Blocks) -> bool:
    """Whether any sheet holds a formula (read as a stream: a sheet may be very large)."""
    for name in archive.namelist():
        if name.startswith(_WORKSHEETS) and name.endswith(".xml"):
            tail = b""
            for block in blocks(name):
                text = tail + block
                # (a formula's tag has "<f" or, with a prefix, ":f" in it: the search only then)
                if (b"<f" in text or b":f" in text) and _FORMULA.search(text):
                    return True
                tail = block[-8:]
    return False


_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"


def _ods_extents(stream: IO[bytes]) -> dict[str, tuple[int, ...]]:
    """Rows × columns of each table with repeated rows and cells expanded (as the reader does)
    up to the last cell that holds something."""
    extents: dict[str, tuple[int, ...]] = {}
    name, row, rows, columns = "", 0, 0, 0
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
