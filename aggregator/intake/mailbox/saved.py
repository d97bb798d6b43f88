"""What the inbox already holds from the mailbox, and a fetched message written into it once.

Messages are known again by their Message-ID, date, sender and subject, whatever their file is
called; a message is written beside its final name first, so a fetch killed mid-write leaves
no half-written email (``PARTIAL_PREFIX``: the run leaves such files alone by their name).
"""

from __future__ import annotations

import datetime as dt
import email
import hashlib
import os
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesHeaderParser
from pathlib import Path

from aggregator.intake.mail import shown_name
from aggregator.intake.mailbox.listing import SLACK, Header, id_of, sender_of, sent_date, subject_of
from aggregator.intake.sniff import WORKBOOK_SUFFIXES

SAVED_SUFFIXES = (*WORKBOOK_SUFFIXES, ".zip")


# a fetch in progress writes here first; discover takes ".~lock…" files for junk and skips them
PARTIAL_PREFIX = ".~lock.dienhinh-fetch-"


# structural defects after which the parts of a message cannot be trusted: saved, left to the run
_BROKEN = (
    "StartBoundaryNotFoundDefect",
    "NoBoundaryInMultipartDefect",
    "MultipartInvariantViolationDefect",
    "CloseBoundaryNotFoundDefect",
)


def saved_name(date: dt.datetime | None, digest: str) -> str:
    """``thu-2026-11-28-0830-<SHA-256 of the bytes>.eml``: sorted by date, one email one name."""
    return f"thu-{date:%Y-%m-%d-%H%M}-{digest}.eml" if date else f"thu-khong-ngay-{digest}.eml"


@dataclass(frozen=True)
class Facts:
    """What tells one email from another, however it was saved (line ends, added headers)."""

    content: str  # SHA-256 of the bytes, line ends made LF
    identity: tuple[str, str, str, str]  # Message-ID, date, sender, subject
    body: str  # SHA-256 of what follows the headers, line ends made LF
    size: int  # as an IMAP server counts it: line ends CRLF


def facts_of(raw: bytes) -> Facts:
    lf = raw.replace(b"\r\n", b"\n")
    head, _, body = lf.partition(b"\n\n")
    try:
        parsed = BytesHeaderParser(policy=policy.default).parsebytes(head[:65536] + b"\n\n")
        identity = (id_of(parsed), str(sent_date(parsed)), sender_of(parsed), subject_of(parsed))
    except Exception:  # headers past reading: known by its bytes only
        identity = ("", "", "", "")
    return Facts(
        content=hashlib.sha256(lf).hexdigest(),
        identity=identity,
        body=hashlib.sha256(body).hexdigest(),
        size=len(lf) + lf.count(b"\n"),
    )


@dataclass
class Known:
    """The emails already in the inbox, fetched (under any name, old ones too) or saved by hand."""

    contents: set[str] = field(default_factory=set)
    letters: set[tuple[tuple[str, str, str, str], str]] = field(default_factory=set)
    sizes: dict[tuple[str, str, str, str], set[int]] = field(default_factory=dict)

    @classmethod
    def scan(cls, inbox: Path, limit: int) -> Known:
        known = cls()
        for path in sorted(inbox.rglob("*.eml")):
            try:
                # CRLF counts twice LF: a file larger cannot be a message the fetch would take
                if not path.is_file() or path.stat().st_size > 2 * limit + SLACK:
                    continue
                known.add(facts_of(path.read_bytes()))
            except OSError:
                continue
        return known

    def add(self, facts: Facts) -> None:
        self.contents.add(facts.content)
        if facts.identity[0]:
            self.letters.add((facts.identity, facts.body))
            self.sizes.setdefault(facts.identity, set()).add(facts.size)

    def holds(self, facts: Facts) -> bool:
        """The same bytes, or the same email saved by a mail program that added headers."""
        return facts.content in self.contents or (
            bool(facts.identity[0]) and (facts.identity, facts.body) in self.letters
        )

    def announced(self, header: Header) -> bool:
        """Known before downloading: Message-ID, date, sender, subject and size all the same."""
        return bool(header.message_id) and header.size in self.sizes.get(header.identity, ())


def carries_workbook(raw: bytes) -> bool | None:
    """True if a workbook or zip is attached; None if the message cannot be read to tell."""
    try:
        message = email.message_from_bytes(raw, policy=policy.default)
        parts = list(message.walk())
        if any(type(d).__name__ in _BROKEN for p in parts for d in p.defects):
            return None
        for n, part in enumerate(parts, start=1):
            if part.is_multipart() or part.get_content_type() == "message/rfc822":
                continue
            name = part.get_filename()
            if not (name or part.get_content_disposition() == "attachment"):
                continue
            if shown_name(name, n).lower().endswith(SAVED_SUFFIXES):
                return True
            payload = part.get_payload(decode=True)  # bytes, or None when there is nothing
            if isinstance(payload, bytes) and (
                payload[:4] == b"PK\x03\x04" or payload[:8] == bytes.fromhex("d0cf11e0a1b11ae1")
            ):
                return True  # a workbook or zip under another name: the run will tell
        return False
    except Exception:  # the run refuses it with its reason; the fetch goes on
        return None


def write_atomically(path: Path, data: bytes) -> None:
    """Write beside, then rename: an interrupted fetch leaves no half-written email."""
    partial = path.with_name(PARTIAL_PREFIX + path.name)
    try:
        with partial.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
    finally:
        if partial.exists():
            partial.unlink()
