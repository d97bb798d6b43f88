"""Intake, step 1: list every entry below the inbox in a stable order, judged by its name and kind alone.

Nothing is read here: links are listed and never followed, special files (FIFOs, devices)
never opened, lock files and the inbox's own README known by name; whatever fails for one
entry (permissions, a file that vanished) is that entry's refusal, never the run's end.
"""

from __future__ import annotations

import os
import stat as stat_kinds
from dataclasses import dataclass, field
from pathlib import Path

from aggregator.intake.shown import megabytes as megabytes  # (for the stages that say a size)
from aggregator.intake.shown import shown
from aggregator.intake.sniff import os_detail, refused
from aggregator.model import SAMPLE_MARKER, Candidate, Ignored
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
                detail=os_detail(exc),
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
        found.entries.append(refused(path, relative, ProblemCode.FILE_VANISHED, detail=os_detail(exc)))
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
