"""Stage 1b: saved emails (.eml) in the inbox, opened and their attachments taken as inputs.

Attachment names are untrusted: each attachment is written under a generated name into a
private temporary folder; its own name is only ever shown. Workbooks inside zip attachments
are taken too, after the same bomb checks as any workbook.
"""

from __future__ import annotations

import datetime as dt
import email
import io
import itertools
import re
import zipfile
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path, PurePosixPath, PureWindowsPath

from . import discover
from .discover import Candidate

EMAIL_SUFFIXES = (".eml",)
VIETNAM = dt.timezone(dt.timedelta(hours=7))
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass
class SavedEmail:
    """One saved email: who sent it, when, and what was attached."""

    relative: str
    sha256: str
    size: int
    sender: str = ""
    date: dt.datetime | None = None
    subject: str = ""
    attachments: list[str] = field(default_factory=list)
    error: str = ""
    saved: dt.datetime = dt.datetime(2000, 1, 1)  # when the email file was saved (its mtime)


def is_email(path: Path) -> bool:
    return path.suffix.lower() in EMAIL_SUFFIXES


def shown_name(raw: str | None, n: int) -> str:
    """An attachment name fit to show: last path component, no control characters."""
    name = _CONTROL.sub("", raw or "")
    name = PureWindowsPath(PurePosixPath(name).name).name.strip(" .")
    return name[:120] or f"tệp đính kèm {n}"


def unpack(path: Path, inbox: Path, workdir: Path, limits: dict[str, int]
           ) -> tuple[SavedEmail, list[Candidate]]:
    """The email's record and a candidate for every attachment (and workbook in a zip)."""
    relative = path.relative_to(inbox).as_posix()
    stat = path.stat()
    record = SavedEmail(relative=relative, sha256=discover.sha256(path), size=stat.st_size,
                        saved=dt.datetime.fromtimestamp(stat.st_mtime).replace(microsecond=0))
    try:
        with path.open("rb") as handle:
            message = email.message_from_binary_file(handle, policy=policy.default)
    except Exception as exc:  # a broken email is recorded, never fatal
        record.error = f"{type(exc).__name__}: {exc}"[:160]
        return record, []
    _headers(record, message)
    writer = _Attachments(record, workdir, limits)
    for n, part in enumerate(_attachments(message), start=1):
        name = shown_name(part.get_filename(), n)
        record.attachments.append(name)
        writer.add(name, part.get_payload(decode=True) or b"")
    return record, writer.found


def _headers(record: SavedEmail, message: EmailMessage) -> None:
    record.sender = parseaddr(str(message.get("From", "")))[1].lower()
    record.subject = _CONTROL.sub(" ", str(message.get("Subject", "")))[:200]
    try:
        date = parsedate_to_datetime(str(message.get("Date", "")))
        # the Board's clock: Vietnam time, whatever the machine's timezone
        record.date = date if date.tzinfo is None else date.astimezone(VIETNAM).replace(tzinfo=None)
    except (TypeError, ValueError):
        record.date = None


def _attachments(message: EmailMessage) -> list[EmailMessage]:
    """Every attached file, forwarded emails included (walk descends into message/rfc822)."""
    return [part for part in message.walk()
            if not part.is_multipart() and part.get_content_type() != "message/rfc822"
            and (part.get_filename() or part.get_content_disposition() == "attachment")]


class _Attachments:
    """Writes attachments under generated names and makes candidates of them."""

    def __init__(self, record: SavedEmail, workdir: Path, limits: dict[str, int]):
        self.record, self.workdir, self.limits = record, workdir, limits
        self.found: list[Candidate] = []
        self._count = itertools.count(1)

    def add(self, name: str, data: bytes) -> None:
        if _plain_zip(data):
            self._zip(name, data)
        else:
            self.found.append(self._candidate(name, data))

    def _candidate(self, name: str, data: bytes) -> Candidate:
        suffix = PurePosixPath(name).suffix.lower()
        suffix = suffix if suffix in discover.WORKBOOK_SUFFIXES else ".bin"
        safe = self.workdir / f"{next(self._count):05d}{suffix}"
        safe.write_bytes(data)
        candidate = discover.fingerprint(safe, self.workdir, self.limits,
                                         relative=f"{self.record.relative} › {name}")
        candidate.email, candidate.email_date = self.record.relative, self.record.date
        candidate.modified = self.record.date or self.record.saved  # not when we unpacked it
        candidate.sender, candidate.attachment = self.record.sender or None, name
        if candidate.kind == "other" and not _looks_like_workbook(name, data):
            candidate.kind, candidate.problems = "attachment", []  # a cover letter, a scan
        return candidate

    def _zip(self, name: str, data: bytes) -> None:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = [i for i in archive.infolist() if not i.is_dir()]
            if discover.zip_bomb(infos, self.limits):
                self.found.append(self._candidate(name, data))  # refused there as a bomb
                return
            for n, info in enumerate(infos, start=1):
                self.found.append(self._candidate(f"{name} › {shown_name(info.filename, n)}",
                                                  archive.read(info)))


def _looks_like_workbook(name: str, data: bytes) -> bool:
    return name.lower().endswith(discover.WORKBOOK_SUFFIXES) or data[:4] == b"PK\x03\x04"


def _plain_zip(data: bytes) -> bool:
    """A zip archive that is not itself a workbook or another office document."""
    if data[:4] != b"PK\x03\x04":
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        return False
    return not ({"xl/workbook.xml", "xl/workbook.bin", "content.xml", "word/document.xml"}
                & names)
