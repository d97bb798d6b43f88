"""Stage 1: find every file in the inbox, fingerprint it and tell what it really is.

Nothing is opened by a spreadsheet library here: the type comes from the first bytes and,
for zip containers, from the listing, which is also where zip bombs are refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from . import problems
from .problems import Problem

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
# Files that operating systems and office suites leave behind: listed, never read.
_JUNK_NAMES = {"thumbs.db", "desktop.ini", ".ds_store"}
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MAGIC = {b"%PDF": "PDF", b"\x89PNG": "ảnh PNG", b"\xff\xd8\xff": "ảnh JPEG", b"GIF8": "ảnh GIF",
          b"{\\rtf": "văn bản RTF", b"Rar!": "tệp nén RAR", b"7z\xbc\xaf": "tệp nén 7z"}


@dataclass
class Candidate:
    """One file found in the inbox, before anyone reads it."""

    path: Path
    relative: str
    size: int
    sha256: str
    modified: dt.datetime
    kind: str = ""  # xlsx | xls | ods | junk | other
    problems: list[Problem] = field(default_factory=list)
    email: str | None = None          # the saved email it came attached to (inbox-relative)
    email_date: dt.datetime | None = None
    sender: str | None = None
    attachment: str | None = None     # the attachment's name as sent: displayed, never a path
    bundled: bool = False  # its email carried other workbooks too: the sender speaks for none


def sha256(path: Path) -> str:
    """The SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def find_files(inbox: Path) -> list[Path]:
    """Every regular file below the inbox, in a stable order."""
    return sorted((p for p in inbox.rglob("*") if p.is_file() and not p.is_symlink()),
                  key=lambda p: p.relative_to(inbox).as_posix())


def fingerprint(path: Path, inbox: Path, limits: dict[str, int],
                relative: str | None = None) -> Candidate:
    """Hash, size, time and real type of one file; refusals recorded as problems."""
    stat = path.stat()
    relative = relative or path.relative_to(inbox).as_posix()
    candidate = Candidate(path=path, relative=relative, size=stat.st_size,
                          sha256=sha256(path),
                          modified=dt.datetime.fromtimestamp(stat.st_mtime).replace(microsecond=0))
    candidate.kind = _kind(path, candidate, limits)
    return candidate


def _kind(path: Path, candidate: Candidate, limits: dict[str, int]) -> str:
    name = path.name.lower()
    if name in _JUNK_NAMES or name.startswith("~$") or name.startswith(".~lock"):
        return "junk"
    refuse = candidate.problems.append
    if candidate.size == 0:
        refuse(problems.make("file_empty", file=candidate.relative))
        return "other"
    if candidate.size > limits["max_file_bytes"]:
        refuse(problems.make("file_too_large", file=candidate.relative,
                             size=_megabytes(candidate.size),
                             limit=_megabytes(limits["max_file_bytes"])))
        return "other"
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(path, candidate, limits)
    if head == _OLE:
        return _ole_kind(path, candidate)
    detail = next((what for magic, what in _MAGIC.items() if head.startswith(magic)), None)
    refuse(problems.make("file_not_workbook", file=candidate.relative,
                         detail=detail or f"đuôi tệp {path.suffix or '(không có)'}"))
    return "other"


def _zip_kind(path: Path, candidate: Candidate, limits: dict[str, int]) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            return _zip_contents(archive, candidate, limits)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        candidate.problems.append(problems.make("file_unreadable", file=candidate.relative,
                                                detail=f"tệp nén hỏng: {exc}"))
        return "other"


def _zip_contents(archive: zipfile.ZipFile, candidate: Candidate, limits: dict[str, int]) -> str:
    infos = archive.infolist()
    names = {info.filename for info in infos}
    bomb = zip_bomb(infos, limits)
    if bomb:
        candidate.problems.append(problems.make("file_bomb", file=candidate.relative, **bomb))
        return "other"
    declared = _declares_entities(archive, infos)
    if declared:
        candidate.problems.append(problems.make("file_xml_entities", file=candidate.relative,
                                                part=declared))
        return "other"
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        return "xlsx"
    if "content.xml" in names and "mimetype" in names:
        return "ods"
    detail = "tài liệu Word" if "word/document.xml" in names else "tệp nén .zip"
    candidate.problems.append(problems.make("file_not_workbook", file=candidate.relative,
                                            detail=detail))
    return "other"


def zip_bomb(infos: list[zipfile.ZipInfo], limits: dict[str, int]) -> dict[str, str] | None:
    """Declared sizes that no honest workbook has: too big in all, or compressed too hard."""
    total = sum(info.file_size for info in infos)
    worst = max((info.file_size / max(info.compress_size, 1) for info in infos
                 if info.file_size > 1_000_000), default=0.0)
    if total > limits["max_uncompressed_bytes"] or worst > limits["max_compression_ratio"]:
        return {"size": _megabytes(total), "ratio": f"{worst:.0f}:1"}
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
        prologue = head if root is None else head[:root.start()]
        if b"<!DOCTYPE" in prologue or b"<!ENTITY" in prologue or (
                root is None and len(head) == _PROLOGUE):
            return info.filename
    return None


def _ole_kind(path: Path, candidate: Candidate) -> str:
    """An OLE container is either a legacy .xls, an encrypted OOXML workbook, or Word/other."""
    with path.open("rb") as handle:
        body = handle.read(min(candidate.size, 4_000_000))
    if "EncryptedPackage".encode("utf-16-le") in body:
        candidate.problems.append(problems.make("file_encrypted", file=candidate.relative))
        return "other"
    if "Workbook".encode("utf-16-le") in body or "Book".encode("utf-16-le") in body:
        return "xls"
    if "__substg1.0_".encode("utf-16-le") in body:  # Outlook's saved message
        candidate.problems.append(problems.make("file_outlook_msg", file=candidate.relative))
        return "other"
    detail = "tài liệu Word (.doc)" if "WordDocument".encode("utf-16-le") in body else "tệp OLE"
    candidate.problems.append(problems.make("file_not_workbook", file=candidate.relative,
                                            detail=detail))
    return "other"


def _megabytes(size: int) -> str:
    return f"{size / 1_048_576:.1f} MB".replace(".", ",")
