"""Intake: find every entry in the inbox, fingerprint it and tell what it really is.

Nothing is opened by a spreadsheet library here: the type comes from the first bytes and,
for zip containers, from the listing, which is also where zip bombs are refused. Links are
listed and never followed, special files (FIFOs, devices) never opened, lock files and the
inbox's own README known by name before anything is read; whatever fails for one entry
(permissions, a file that vanished) is that entry's refusal, never the run's end.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import stat as stat_kinds
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from aggregator import problems
from aggregator.clock import zone
from aggregator.model import SAMPLE_MARKER, Candidate, CandidateKind, Ignored
from aggregator.problems import ProblemCode

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
# The container rule, in one place: a zip is an archive to unpack (in the inbox, attached, or in
# another zip) only when neither its name nor its parts say it is a document. A name with a
# workbook's (or an office document's) extension is that document: read whole, or refused
# whole, never unpacked into entries, whatever its parts are called ("xl\\workbook.xml", "../x").
DOCUMENT_SUFFIXES = (
    *WORKBOOK_SUFFIXES,
    *(".xlsb", ".xltx", ".xltm", ".ots", ".fods", ".docx", ".docm", ".odt", ".pptx", ".odp"),
)
_DOCUMENT_PARTS = {
    "xl/workbook.xml",
    "xl/workbook.bin",
    "content.xml",
    "word/document.xml",
    "mimetype",
    "[content_types].xml",
}
# Files that operating systems and office suites leave behind: listed, never read.
_JUNK_NAMES = {"thumbs.db", "desktop.ini", ".ds_store"}
# The inbox's own instructions for staff, at its top level: listed, never read.
_INBOX_NOTES = {"readme.md", "readme.txt"}
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


@dataclass
class Walk:
    """What the inbox holds: files to read (paths), entries refused on sight (candidates),
    and entries left alone by name."""

    entries: list[Path | Candidate] = field(default_factory=list)
    ignored: list[Ignored] = field(default_factory=list)


# What a name may not carry raw into any output: bytes that are not UTF-8 (surrogates here),
# control characters, bidirectional and invisible format marks (a right-to-left override makes
# "xslx.exe" read as "exe.xlsx"), and "›", which separates a container from what it holds.
_MARKS = "\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb\ud800-\udfff"
# in a name, as the file system or a sender gave it: a backslash too (a Windows separator, and
# the escapes' own mark: "\\x41" typed in a name stays itself)
_UNSAFE = re.compile(f"[{_MARKS}\u203a\\\\]")
_UNSAFE_COMPOSED = re.compile(f"[{_MARKS}]")  # in a path we made of names already shown


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # a byte that is not UTF-8, as the file system gave it
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x80 else f"\\u{code:04x}"


def shown(relative: str, composed: bool = False) -> str:
    """A name fit to show and to write anywhere (JSON, workbooks, reports, emails): bytes that
    are not UTF-8 as \\xNN, control characters, invisible or bidirectional marks and "›" as
    \\xNN or \\uNNNN, never raw (a backslash as \\x5c). Reversible: ``verify`` finds the file
    again by its bytes.

    ``composed``: a path made of names already shown ("thu.eml › a.xlsx"), its "›" ours."""
    return (_UNSAFE_COMPOSED if composed else _UNSAFE).sub(_escape, relative)


def is_archive(name: str, parts: list[str] | set[str]) -> bool:
    """Whether a zip called ``name`` holding ``parts`` is unpacked as an archive (the one rule)."""
    if name.lower().rstrip(" .").endswith(DOCUMENT_SUFFIXES):
        return False
    return not {p.replace("\\", "/").lstrip("/").lower() for p in parts} & _DOCUMENT_PARTS


def ignored_reason(name: str, top: bool) -> str | None:
    """Why a file is left alone by its name alone (before it is hashed or opened), or None."""
    lower = name.lower()
    if lower.startswith("~$") or lower.startswith(".~lock"):
        return "tệp khóa tạm của Excel/LibreOffice (tệp đang mở)"
    if lower in _JUNK_NAMES:
        return "tệp hệ thống do Windows/macOS tạo"
    if top and lower in _INBOX_NOTES:
        return "tệp hướng dẫn của thư mục inbox"
    if top and lower == SAMPLE_MARKER:
        return "tệp đánh dấu hộp thư mẫu: báo cáo ghi rõ là bản mẫu, dữ liệu minh họa"
    return None


def walk(inbox: Path, skip: tuple[Path, ...] = ()) -> Walk:
    """Every entry below the inbox in a stable order; links are never followed, special files
    never opened, and folders in ``skip`` (the outbox) never entered."""
    found = Walk()
    _walk_folder(inbox, inbox, {os.path.abspath(p) for p in skip}, found)
    return found


def _walk_folder(folder: Path, inbox: Path, skip: set[str], found: Walk) -> None:
    try:
        with os.scandir(folder) as listing:
            names = sorted(
                (entry.name for entry in listing), key=lambda n: n.encode("utf-8", "surrogateescape")
            )
    except OSError as exc:
        if folder == inbox:
            raise
        relative = folder.relative_to(inbox).as_posix()
        try:
            info = folder.lstat()
        except OSError:
            info = None
        found.entries.append(
            refused(folder, relative, ProblemCode.FOLDER_UNREADABLE, info=info, detail=_os_detail(exc))
        )
        return
    for name in names:
        _entry(folder / name, inbox, skip, found)


def walk_paths(paths: list[Path], inbox: Path) -> Walk:
    """Named entries below the inbox (``check``'s files), judged exactly as ``walk`` judges them."""
    found = Walk()
    for path in paths:
        _entry(path, inbox, set(), found)
    return found


def _entry(path: Path, inbox: Path, skip: set[str], found: Walk) -> None:
    relative = path.relative_to(inbox).as_posix()
    try:
        info = path.lstat()
    except OSError as exc:  # vanished since the listing
        found.entries.append(refused(path, relative, ProblemCode.FILE_VANISHED, detail=_os_detail(exc)))
        return
    if skip and os.path.abspath(path) in skip:
        found.ignored.append(Ignored(shown(relative), "kết quả của chính chương trình này (thư mục outbox)"))
    elif stat_kinds.S_ISDIR(info.st_mode):
        _walk_folder(path, inbox, skip, found)
    elif stat_kinds.S_ISLNK(info.st_mode):
        found.entries.append(refused(path, relative, ProblemCode.FILE_LINK, info=info))
    elif not stat_kinds.S_ISREG(info.st_mode):
        found.entries.append(refused(path, relative, ProblemCode.FILE_SPECIAL, info=info))
    elif (reason := ignored_reason(path.name, path.parent == inbox)) is not None:
        found.ignored.append(Ignored(shown(relative), reason))
    else:
        found.entries.append(path)


@dataclass(frozen=True)
class Seen:
    """What earlier periods already took in (their manifests): SHA-256 → (the period folder,
    the period in words, e.g. ("2025", "kỳ năm 2025")), and the sizes of those entries (only
    a file of one of these sizes can be one of them, so only such a file is hashed to ask)."""

    periods: dict[str, tuple[str, str]] = field(default_factory=dict)
    sizes: frozenset[int] = frozenset()


def set_aside(found: Walk, inbox: Path, seen: Seen) -> Walk:
    """The inbox entries an earlier period already took in, left alone with their reason.

    The one rule ``run``, ``status``, ``remind`` and ``check`` share: staff keep every year's
    files in one inbox, and a file (a saved email, a zip, a workbook) whose SHA-256 an earlier
    period's manifest lists is no report of this period, nor a unit's mistake: it gets no
    outcome, so it makes no unit rejected and reaches no feedback, reminder or report. A file
    never seen before is read as always (last year's file sent by mistake is refused and
    explained). Files inside an entry are not asked: a new email is read whole.
    """
    if not seen.periods:
        return found
    kept: list[Path | Candidate] = []
    for entry in found.entries:
        known = _known(entry, seen) if isinstance(entry, Path) else None
        if known is None or not isinstance(entry, Path):
            kept.append(entry)
            continue
        digest, size, (folder, words) = known
        relative = shown(entry.relative_to(inbox).as_posix())
        found.ignored.append(Ignored(relative, f"đã tổng hợp ở {words}", digest, size, folder))
    found.entries = kept
    return found


# read-only; never blocks on a FIFO put where a file was, never follows a link put there since
SAFE_OPEN = (
    os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
)


def open_safely(path: Path) -> BinaryIO:
    """An inbox file opened for reading as it is now (callers check it is a regular file)."""
    return os.fdopen(os.open(path, SAFE_OPEN), "rb")


def _known(path: Path, seen: Seen) -> tuple[str, int, tuple[str, str]] | None:
    """The entry's hash, size and earlier period if an earlier period took it in; else None
    (and for a file that cannot be read now: the run's own reading refuses it as always)."""
    try:
        size = path.lstat().st_size
        if size not in seen.sizes:
            return None
        with open_safely(path) as handle:
            if not stat_kinds.S_ISREG(os.fstat(handle.fileno()).st_mode):
                return None
            digest = hashlib.sha256()
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    found = seen.periods.get(digest.hexdigest())
    return None if found is None else (digest.hexdigest(), size, found)


def refused(
    path: Path,
    relative: str,
    code: ProblemCode,
    info: os.stat_result | None = None,
    detail: str = "",
    composed: bool = False,
) -> Candidate:
    """A candidate refused before anything was read from it (never hashed, never opened)."""
    # (a file that vanished has no time of its own left: when it was found missing)
    modified = file_time(info.st_mtime if info else time.time())
    candidate = Candidate(
        path=path,
        relative=shown(relative, composed),
        size=0,
        sha256="",
        modified=modified,
        kind=CandidateKind.LINK if code == ProblemCode.FILE_LINK else CandidateKind.OTHER,
    )
    candidate.problems.append(problems.make(code, file=candidate.relative, detail=detail))
    return candidate


def _os_detail(exc: OSError) -> str:
    return {13: "không có quyền đọc", 2: "không còn tồn tại"}.get(exc.errno or 0, exc.strerror or str(exc))


def fingerprint(
    path: Path,
    inbox: Path,
    limits: dict[str, int],
    relative: str | None = None,
    board: dt.tzinfo | None = None,
) -> Candidate:
    """Hash, size, time and real type of one file; any failure a refusal of this file alone."""
    composed = relative is not None
    relative = relative or path.relative_to(inbox).as_posix()
    try:
        return _fingerprint(path, shown(relative, composed), limits, board)
    except OSError as exc:
        code = (
            ProblemCode.FILE_VANISHED if isinstance(exc, FileNotFoundError) else ProblemCode.FILE_UNREADABLE
        )
        return refused(path, relative, code, detail=_os_detail(exc), composed=composed)


def _fingerprint(path: Path, relative: str, limits: dict[str, int], board: dt.tzinfo | None) -> Candidate:
    # never blocks on a FIFO put where a file was, never follows a link put there since
    with open_safely(path) as handle:
        stat = os.fstat(handle.fileno())
        if not stat_kinds.S_ISREG(stat.st_mode):
            return refused(path, relative, ProblemCode.FILE_SPECIAL, info=stat, composed=True)
        digest = hashlib.sha256()
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    candidate = Candidate(
        path=path,
        relative=relative,
        size=stat.st_size,
        sha256=digest.hexdigest(),
        modified=file_time(stat.st_mtime, board),
    )
    candidate.kind = _kind(path, candidate, limits)
    return candidate


def file_time(timestamp: float, board: dt.tzinfo | None = None) -> dt.datetime:
    """A file's time on the Board's clock (the configured time zone), never the machine's."""
    return dt.datetime.fromtimestamp(timestamp, board or zone()).replace(tzinfo=None, microsecond=0)


def _kind(path: Path, candidate: Candidate, limits: dict[str, int]) -> CandidateKind:
    if ignored_reason(path.name, top=False):
        return CandidateKind.JUNK
    refuse = candidate.problems.append
    if candidate.size == 0:
        refuse(problems.make(ProblemCode.FILE_EMPTY, file=candidate.relative))
        return CandidateKind.OTHER
    if candidate.size > limits["max_file_bytes"]:
        refuse(
            problems.make(
                ProblemCode.FILE_TOO_LARGE,
                file=candidate.relative,
                size=megabytes(candidate.size),
                limit=megabytes(limits["max_file_bytes"]),
            )
        )
        return CandidateKind.OTHER
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(path, candidate, limits)
    if head == _OLE:
        return _ole_kind(path, candidate)
    detail = next((what for magic, what in _MAGIC.items() if head.startswith(magic)), None)
    refuse(
        problems.make(
            ProblemCode.FILE_NOT_WORKBOOK,
            file=candidate.relative,
            detail=detail or f"đuôi tệp {path.suffix or '(không có)'}",
        )
    )
    return CandidateKind.OTHER


def _zip_kind(path: Path, candidate: Candidate, limits: dict[str, int]) -> CandidateKind:
    try:
        with zipfile.ZipFile(path) as archive:
            return _zip_contents(archive, candidate, limits)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        candidate.problems.append(
            problems.make(ProblemCode.FILE_UNREADABLE, file=candidate.relative, detail=f"tệp nén hỏng: {exc}")
        )
        return CandidateKind.OTHER


def _zip_contents(archive: zipfile.ZipFile, candidate: Candidate, limits: dict[str, int]) -> CandidateKind:
    infos = archive.infolist()
    names = {info.filename for info in infos}
    bomb = zip_bomb(infos, limits)
    if bomb:
        candidate.problems.append(
            problems.make(
                ProblemCode.FILE_BOMB, file=candidate.relative, size=bomb["size"], ratio=bomb["ratio"]
            )
        )
        return CandidateKind.OTHER
    declared = _declares_entities(archive, infos)
    if declared:
        candidate.problems.append(
            problems.make(ProblemCode.FILE_XML_ENTITIES, file=candidate.relative, part=declared)
        )
        return CandidateKind.OTHER
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        return CandidateKind.XLSX
    if "content.xml" in names and "mimetype" in names:
        return CandidateKind.ODS
    detail = "tài liệu Word" if "word/document.xml" in names else "tệp nén .zip"
    candidate.problems.append(
        problems.make(ProblemCode.FILE_NOT_WORKBOOK, file=candidate.relative, detail=detail)
    )
    return CandidateKind.OTHER


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


_PROLOGUE = 65536
_ROOT = re.compile(rb"<[A-Za-z_]")


def _declares_entities(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> str | None:
    """The first XML part whose prologue declares a DTD or entities (no office file does)."""
    for info in infos:
        if not info.filename.endswith((".xml", ".rels", ".vml")):
            continue
        with archive.open(info) as part:
            head = part.read(_PROLOGUE)
        root = _ROOT.search(head)
        prologue = head if root is None else head[: root.start()]
        if b"<!DOCTYPE" in prologue or b"<!ENTITY" in prologue or (root is None and len(head) == _PROLOGUE):
            return info.filename
    return None


def _ole_kind(path: Path, candidate: Candidate) -> CandidateKind:
    """An OLE container is either a legacy .xls, an encrypted OOXML workbook, or Word/other."""
    with path.open("rb") as handle:
        body = handle.read(min(candidate.size, 4_000_000))
    if "EncryptedPackage".encode("utf-16-le") in body:
        candidate.problems.append(problems.make(ProblemCode.FILE_ENCRYPTED, file=candidate.relative))
        return CandidateKind.OTHER
    if "Workbook".encode("utf-16-le") in body or "Book".encode("utf-16-le") in body:
        return CandidateKind.XLS
    if "__substg1.0_".encode("utf-16-le") in body:  # Outlook's saved message
        candidate.problems.append(problems.make(ProblemCode.FILE_OUTLOOK_MSG, file=candidate.relative))
        return CandidateKind.OTHER
    detail = "tài liệu Word (.doc)" if "WordDocument".encode("utf-16-le") in body else "tệp OLE"
    candidate.problems.append(
        problems.make(ProblemCode.FILE_NOT_WORKBOOK, file=candidate.relative, detail=detail)
    )
    return CandidateKind.OTHER


def megabytes(size: int) -> str:
    return f"{size / 1_048_576:.1f} MB".replace(".", ",")
