"""Intake: what a file's bytes say it is, from one read: its hash, its real type, the container rule.

Nothing is opened by a spreadsheet library here: the type comes from the first bytes and, for
zip containers, from the listing, which is also where zip bombs are refused. An inbox file is
opened once (``read_once``): hashed, sniffed and, if it is a zip, listed from that one read; an
attachment is judged from the bytes the email or zip gave. Whether a zip is an archive to unpack
or a document to read whole is decided by one rule (``zip_kind``), and only once per zip.
A workbook's XML prologues (a DTD or entities declared) are judged where it is read, in a
worker, from its one opening there (``reading.parts``); any other document's, here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re
import stat as stat_kinds
import time
import zipfile
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from aggregator import problems
from aggregator.intake.shown import file_time, megabytes, shown
from aggregator.model import Candidate, CandidateKind
from aggregator.problems import Problem, ProblemCode

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
EMAIL_SUFFIXES = (".eml",)  # a saved email is known by its name, then parsed without trust
# A name with a workbook's (or an office document's) extension is that document: read whole,
# or refused whole, never unpacked into entries, whatever its parts are called.
DOCUMENT_SUFFIXES = (
    *WORKBOOK_SUFFIXES,
    *(".xlsb", ".xltx", ".xltm", ".ots", ".fods", ".docx", ".docm", ".odt", ".pptx", ".odp"),
)
# parts that make a zip a document, however a tool wrote their names ("XL\\Workbook.xml")
_DOCUMENT_PARTS = {
    "xl/workbook.xml",
    "xl/workbook.bin",
    "content.xml",
    "word/document.xml",
    "mimetype",
    "[content_types].xml",
}
ZIP_MAGIC = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MAGIC = {
    b"%PDF": "PDF",
    b"\x89PNG": "ảnh PNG",
    b"\xff\xd8\xff": "ảnh JPEG",
    b"GIF8": "ảnh GIF",
    b"{\\rtf": "văn bản RTF",
    b"Rar!": "tệp nén RAR",
    b"7z\xbc\xaf": "tệp nén 7z",
}
# read-only; never blocks on a FIFO put where a file was, never follows a link put there since
SAFE_OPEN = (
    os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
)
_ZIP_ERRORS = (zipfile.BadZipFile, OSError, ValueError, RuntimeError, EOFError)


class ZipKind(Enum):
    """What a zip is, by the one container rule."""

    ARCHIVE = "archive"  # a plain zip: unpacked, what it holds taken as entries
    XLSX = "xlsx"
    ODS = "ods"
    WORD = "word"  # a Word document: refused as such
    OTHER = "other"  # a document by its name or parts, but no workbook a reader opens


def zip_kind(name: str, parts: list[str] | set[str]) -> ZipKind:
    """The container rule: a zip is an archive to unpack (in the inbox, attached, or in another
    zip) only when neither its name nor its parts say it is a document; a document is the
    workbook the readers open only by their exact part names."""
    if not name.lower().rstrip(" .").endswith(DOCUMENT_SUFFIXES) and not (
        {p.replace("\\", "/").lstrip("/").lower() for p in parts} & _DOCUMENT_PARTS
    ):
        return ZipKind.ARCHIVE
    if "xl/workbook.xml" in parts or "xl/workbook.bin" in parts:
        return ZipKind.XLSX
    if "content.xml" in parts and "mimetype" in parts:
        return ZipKind.ODS
    return ZipKind.WORD if "word/document.xml" in parts else ZipKind.OTHER


@dataclass(frozen=True)
class Zip:
    """A zip's bytes opened once: the open archive (None when it cannot be opened, ``error``
    saying why) and its kind by the container rule (an archive or a document)."""

    archive: zipfile.ZipFile | None
    kind: ZipKind | None
    error: Exception | None = None


def open_zip(name: str, data: bytes) -> Zip | None:
    """Bytes that start as a zip, opened and judged once; None for bytes that are no zip."""
    if not data.startswith(ZIP_MAGIC):
        return None
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except _ZIP_ERRORS as exc:
        return Zip(None, None, exc)
    return Zip(archive, zip_kind(name, archive.namelist()))


@dataclass(frozen=True)
class Read:
    """One inbox file read once: its bytes up to the limit (one byte more says it is over), its
    size, SHA-256 and own time, and, for a zip over the limit, whether it is an archive."""

    data: bytes
    size: int
    sha256: str
    mtime: float
    regular: bool = True
    archive: bool = False  # a zip over the limit, listed from the same open: an archive


def read_once(path: Path, limit: int) -> Read:
    """The file as it is now, opened once (a file that is not regular any more: ``regular`` false)."""
    with os.fdopen(os.open(path, SAFE_OPEN), "rb") as handle:
        stat = os.fstat(handle.fileno())
        if not stat_kinds.S_ISREG(stat.st_mode):
            return Read(b"", stat.st_size, "", stat.st_mtime, regular=False)
        data = handle.read(limit + 1)
        digest = hashlib.sha256(data)
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
        archive = False
        if len(data) > limit and data.startswith(ZIP_MAGIC):
            try:
                with zipfile.ZipFile(handle) as listed:
                    archive = zip_kind(path.name, listed.namelist()) == ZipKind.ARCHIVE
            except _ZIP_ERRORS:
                archive = False
    return Read(data, stat.st_size, digest.hexdigest(), stat.st_mtime, archive=archive)


def is_email(path: Path) -> bool:
    return path.suffix.lower() in EMAIL_SUFFIXES


@dataclass(frozen=True)
class Look:
    """One inbox file looked at once: its read (or the error the open met), and what it is: a
    saved email, a plain zip to unpack (``zipped``, open), or an entry as it is (``entry``)."""

    read: Read | OSError
    email: bool = False
    zipped: Zip | None = None
    entry: Candidate | None = None


def look(path: Path, relative: str, limits: dict[str, int], board: dt.tzinfo | None) -> Look:
    """An inbox file opened once, hashed, and judged from that read: an email is left to be
    parsed, a zip is judged by the container rule (once), anything else becomes its entry."""
    email = is_email(path)
    try:
        read = read_once(path, limits["max_email_bytes" if email else "max_file_bytes"])
    except OSError as exc:
        return Look(exc, email, entry=None if email else refused_unread(path, relative, exc))
    if email:
        return Look(read, email=True)
    whole = read.regular and read.size <= limits["max_file_bytes"]  # (else refused as it is)
    zipped = open_zip(path.name, read.data) if whole else None
    if zipped is not None and zipped.kind == ZipKind.ARCHIVE:
        return Look(read, zipped=zipped)
    return Look(read, entry=judged(path, relative, read, limits, board, zipped))


@dataclass(frozen=True)
class Judged:
    """Bytes taken out of an email or a zip, judged once: a plain zip to unpack (``kind`` None,
    ``zipped`` open), or what they are as an entry, and why they are refused if they are."""

    zipped: Zip | None
    kind: CandidateKind | None
    problems: tuple[Problem, ...] = ()


def judge_bytes(
    name: str, data: bytes, relative: str, suffix: str, limits: dict[str, int], zipped: Zip | None = None
) -> Judged:
    """A file taken out of a container judged from its bytes, a zip opened only once."""
    zipped = zipped or open_zip(name, data)
    if zipped is not None and zipped.archive is not None and zipped.kind == ZipKind.ARCHIVE:
        return Judged(zipped, None)
    return Judged(zipped, *sniff(data, len(data), relative, suffix, limits, zipped))


def fingerprint(path: Path, inbox: Path, limits: dict[str, int], board: dt.tzinfo | None = None) -> Candidate:
    """One file below the inbox read once and judged as itself; any failure its refusal alone."""
    relative = path.relative_to(inbox).as_posix()
    try:
        read = read_once(path, limits["max_file_bytes"])
    except OSError as exc:
        return refused_unread(path, relative, exc)
    return judged(path, relative, read, limits, board)


def judged(
    path: Path,
    relative: str,
    read: Read,
    limits: dict[str, int],
    board: dt.tzinfo | None,
    zipped: Zip | None = None,
) -> Candidate:
    """The entry for an inbox file read once (``relative`` as found, shown here)."""
    if not read.regular:  # a FIFO or device put where the file was, since the listing
        return refused(path, relative, ProblemCode.FILE_SPECIAL, mtime=read.mtime)
    named = shown(relative)
    kind, found = sniff(read.data, read.size, named, path.suffix, limits, zipped)
    return Candidate(
        path=path,
        relative=named,
        size=read.size,
        sha256=read.sha256,
        modified=file_time(read.mtime, board),
        kind=kind,
        problems=found,
        own_time=None if read.archive else read.mtime,
    )


def sniff(
    data: bytes, size: int, relative: str, suffix: str, limits: dict[str, int], zipped: Zip | None = None
) -> tuple[CandidateKind, tuple[Problem, ...]]:
    """What the bytes are, and why they are refused if they are: the size first, then the first
    bytes (a zip judged from ``zipped`` when it was opened already), never the name."""
    if size == 0:
        return CandidateKind.OTHER, (problems.make(ProblemCode.FILE_EMPTY, file=relative),)
    if size > limits["max_file_bytes"]:
        size_text, limit = megabytes(size), megabytes(limits["max_file_bytes"])
        return CandidateKind.OTHER, (
            problems.make(ProblemCode.FILE_TOO_LARGE, file=relative, size=size_text, limit=limit),
        )
    head = data[:8]
    if head.startswith(ZIP_MAGIC):
        return _zip_document(zipped or open_zip("", data), relative, limits)
    if head == _OLE:
        return _ole_kind(data[: min(size, 4_000_000)], relative)
    detail = next((what for magic, what in _MAGIC.items() if head.startswith(magic)), None)
    detail = detail or f"đuôi tệp {suffix or '(không có)'}"
    return CandidateKind.OTHER, (problems.make(ProblemCode.FILE_NOT_WORKBOOK, file=relative, detail=detail),)


def _zip_document(
    zipped: Zip | None, relative: str, limits: dict[str, int]
) -> tuple[CandidateKind, tuple[Problem, ...]]:
    """A zip read as a document: refused as a bomb or for declared entities, else its kind."""
    if zipped is None or zipped.archive is None:
        detail = f"tệp nén hỏng: {zipped.error if zipped else ''}"
        return CandidateKind.OTHER, (
            problems.make(ProblemCode.FILE_UNREADABLE, file=relative, detail=detail),
        )
    try:
        return _zip_contents(zipped.archive, relative, limits)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        detail = f"tệp nén hỏng: {exc}"
        return CandidateKind.OTHER, (
            problems.make(ProblemCode.FILE_UNREADABLE, file=relative, detail=detail),
        )


def _zip_contents(
    archive: zipfile.ZipFile, relative: str, limits: dict[str, int]
) -> tuple[CandidateKind, tuple[Problem, ...]]:
    infos = archive.infolist()
    bomb = zip_bomb(infos, limits)
    if bomb:
        return CandidateKind.OTHER, (
            problems.make(ProblemCode.FILE_BOMB, file=relative, size=bomb["size"], ratio=bomb["ratio"]),
        )
    kind = zip_kind(".xlsx", [info.filename for info in infos])  # a document, by its bytes here
    if kind in (ZipKind.XLSX, ZipKind.ODS) and not any(map(_unusual, infos)):
        # its parts' prologues are judged where it is read, before any parser sees them, from
        # the one opening of it there (``reading.parts``): a workbook declaring entities is
        # refused there, as here, and intake does not decompress every part of every file
        return CandidateKind(kind.value), ()
    declared = declares_entities(archive, infos)
    if declared:
        return CandidateKind.OTHER, (entities_refused(relative, declared),)
    if kind in (ZipKind.XLSX, ZipKind.ODS):
        return CandidateKind(kind.value), ()
    detail = "tài liệu Word" if kind == ZipKind.WORD else "tệp nén .zip"
    return CandidateKind.OTHER, (problems.make(ProblemCode.FILE_NOT_WORKBOOK, file=relative, detail=detail),)


def zip_bomb(infos: list[zipfile.ZipInfo], limits: dict[str, int]) -> dict[str, str] | None:
    """Declared sizes that no honest workbook has: too big in all, or compressed too hard."""
    total = sum(info.file_size for info in infos)
    worst = max(
        (info.file_size / max(info.compress_size, 1) for info in infos if info.file_size > 1_000_000),
        default=0.0,
    )
    if total > limits["max_uncompressed_bytes"] or worst > limits["max_compression_ratio"]:
        return {"size": megabytes(total), "ratio": f"{worst:.0f}:1"}
    return None


PROLOGUE = 65536  # bytes of an XML part read to find its prologue (a longer one is refused)
XML_PARTS = (".xml", ".rels", ".vml")  # the parts whose prologue is judged
_ROOT = re.compile(rb"<[A-Za-z_]")


def declares_entities(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> str | None:
    """The first XML part whose prologue declares a DTD or entities (no office file does)."""
    for info in infos:
        if not info.filename.endswith(XML_PARTS):
            continue
        with archive.open(info) as part:
            head = part.read(PROLOGUE)
        if head_declares(head):
            return info.filename
    return None


def _unusual(info: zipfile.ZipInfo) -> bool:
    """An XML part neither stored nor deflated, or encrypted or patched: its prologue is judged
    here (where zipfile may refuse to read it), not left to the reader."""
    plain = info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) and not info.flag_bits & 0x61
    return info.filename.endswith(XML_PARTS) and not plain


def head_declares(head: bytes) -> bool:
    """Whether an XML part's first ``PROLOGUE`` bytes declare a DTD or entities before its root
    element, or hold no root element at all (a prologue padded past what is read)."""
    root = _ROOT.search(head)
    prologue = head if root is None else head[: root.start()]
    return b"<!DOCTYPE" in prologue or b"<!ENTITY" in prologue or (root is None and len(head) == PROLOGUE)


def entities_refused(relative: str, part: str) -> Problem:
    """The refusal of a document one of whose XML parts declares entities."""
    return problems.make(ProblemCode.FILE_XML_ENTITIES, file=relative, part=part)


def _ole_kind(body: bytes, relative: str) -> tuple[CandidateKind, tuple[Problem, ...]]:
    """An OLE container is either a legacy .xls, an encrypted OOXML workbook, or Word/other."""
    if "EncryptedPackage".encode("utf-16-le") in body:
        return CandidateKind.OTHER, (problems.make(ProblemCode.FILE_ENCRYPTED, file=relative),)
    if "Workbook".encode("utf-16-le") in body or "Book".encode("utf-16-le") in body:
        return CandidateKind.XLS, ()
    if "__substg1.0_".encode("utf-16-le") in body:  # Outlook's saved message
        return CandidateKind.OTHER, (problems.make(ProblemCode.FILE_OUTLOOK_MSG, file=relative),)
    detail = "tài liệu Word (.doc)" if "WordDocument".encode("utf-16-le") in body else "tệp OLE"
    return CandidateKind.OTHER, (problems.make(ProblemCode.FILE_NOT_WORKBOOK, file=relative, detail=detail),)


def refused(
    path: Path,
    relative: str,
    code: ProblemCode,
    mtime: float | None = None,
    detail: str = "",
    composed: bool = False,
) -> Candidate:
    """An entry refused before anything was read from it (never hashed, never opened)."""
    # (a file that vanished has no time of its own left: when it was found missing)
    relative = shown(relative, composed)
    return Candidate(
        path=path,
        relative=relative,
        size=0,
        sha256="",
        modified=file_time(time.time() if mtime is None else mtime),
        kind=CandidateKind.LINK if code == ProblemCode.FILE_LINK else CandidateKind.OTHER,
        problems=(problems.make(code, file=relative, detail=detail),),
    )


def refused_unread(path: Path, relative: str, exc: OSError) -> Candidate:
    """An inbox file that could not be opened (gone since the listing, or not readable)."""
    code = ProblemCode.FILE_VANISHED if isinstance(exc, FileNotFoundError) else ProblemCode.FILE_UNREADABLE
    return refused(path, relative, code, detail=os_detail(exc))


def os_detail(exc: OSError) -> str:
    """Why a file could not be opened, as staff read it."""
    return {13: "không có quyền đọc", 2: "không còn tồn tại"}.get(exc.errno or 0, exc.strerror or str(exc))
