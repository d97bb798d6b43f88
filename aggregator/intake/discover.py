"""Intake, step 1: list every entry below the inbox in a stable order, judged by its name and kind alone.

Nothing is read here: links are listed and never followed, special files (FIFOs, devices)
never opened, lock files and the inbox's own README known by name; whatever fails for one
entry (permissions, a file that vanished) is that entry's refusal, never the run's end. Names
are made fit to show here (``shown``), once, for every output.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import stat as stat_kinds
import time
from dataclasses import dataclass, field
from pathlib import Path

from aggregator import problems
from aggregator.clock import zone
from aggregator.model import SAMPLE_MARKER, Candidate, CandidateKind, Ignored
from aggregator.problems import ProblemCode

# Files that operating systems and office suites leave behind: listed, never read.
_JUNK_NAMES = {"thumbs.db", "desktop.ini", ".ds_store"}
# The inbox's own instructions for staff, at its top level: listed, never read.
_INBOX_NOTES = {"readme.md", "readme.txt"}


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
            refused(
                folder,
                relative,
                ProblemCode.FOLDER_UNREADABLE,
                mtime=info.st_mtime if info else None,
                detail=_os_detail(exc),
            )
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
        found.entries.append(refused(path, relative, ProblemCode.FILE_LINK, mtime=info.st_mtime))
    elif not stat_kinds.S_ISREG(info.st_mode):
        found.entries.append(refused(path, relative, ProblemCode.FILE_SPECIAL, mtime=info.st_mtime))
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
    return refused(path, relative, code, detail=_os_detail(exc))


def _os_detail(exc: OSError) -> str:
    return {13: "không có quyền đọc", 2: "không còn tồn tại"}.get(exc.errno or 0, exc.strerror or str(exc))


def file_time(timestamp: float, board: dt.tzinfo | None = None) -> dt.datetime:
    """A file's time on the Board's clock (the configured time zone), never the machine's."""
    return dt.datetime.fromtimestamp(timestamp, board or zone()).replace(tzinfo=None, microsecond=0)


def megabytes(size: int) -> str:
    return f"{size / 1_048_576:.1f} MB".replace(".", ",")
