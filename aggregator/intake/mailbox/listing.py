"""The messages of a mailbox folder listed by their headers, in bounded batches (fetch and drafts).

Each message is known by its UID, its size as the server says it, its Message-ID, date, sender
and subject; only those four header fields are read, at most ``HEAD_BYTES`` of them.
"""

from __future__ import annotations

import datetime as dt
import imaplib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.parser import BytesHeaderParser
from email.utils import parseaddr, parsedate_to_datetime
from typing import Any

from aggregator.clock import VIETNAM
from aggregator.intake.mailbox.connection import safe

_HEADERS = "MESSAGE-ID DATE FROM SUBJECT"


_BATCH = 200


@dataclass
class Listed:
    """A message staff should look at themselves: who, what, when, and why."""

    sender: str
    subject: str
    date: str
    note: str = ""
    uid: str = ""
    code: str = ""  # a ProblemCode value when the message could not be fetched


@dataclass
class Header:
    uid: str
    size: int
    message_id: str
    date: dt.datetime | None
    sender: str
    subject: str

    @property
    def identity(self) -> tuple[str, str, str, str]:
        return (self.message_id, str(self.date), self.sender, self.subject)

    def listed(self, note: str = "", code: str = "") -> Listed:
        return Listed(self.sender, self.subject, shown_date(self.date), note, self.uid, code)


HEAD_BYTES = 16384  # of the four header fields read per message: plenty, and bounded


SLACK = 65536  # bytes an answer may take beyond its literal (its lines, an unsolicited word)


def fetch_headers(client: imaplib.IMAP4, uids: list[str]) -> tuple[str, Any]:
    return client.uid(
        "FETCH", ",".join(uids), f"(UID RFC822.SIZE BODY.PEEK[HEADER.FIELDS ({_HEADERS})]<0.{HEAD_BYTES}>)"
    )


def split_answers(data: Any) -> list[tuple[bytes, bytes | None]]:
    """Each FETCH answer as (its words, its literal or None), the words after a literal joined."""
    items = list(data or [])
    answers: list[tuple[bytes, bytes | None]] = []
    for n, item in enumerate(items):
        if isinstance(item, tuple) and len(item) == 2 and all(isinstance(x, bytes) for x in item):
            tail = items[n + 1] if n + 1 < len(items) and isinstance(items[n + 1], bytes) else b""
            answers.append((item[0] + b" " + tail, item[1]))
        elif isinstance(item, bytes) and not (n and isinstance(items[n - 1], tuple)):
            answers.append((item, None))
    return answers


def uid_of(words: bytes) -> str | None:
    match = re.search(rb"\bUID (\d+)", words)
    return match.group(1).decode() if match else None


def parse_headers(data: Any, asked: list[str]) -> tuple[dict[str, Header], int, int]:
    """The headers answered for the messages asked; how many answers had no UID, or no sense."""
    found: dict[str, Header] = {}
    without_uid = unreadable = 0
    for words, literal in split_answers(data):
        uid = uid_of(words)
        if uid is None:
            without_uid += literal is not None or b"RFC822.SIZE" in words
            continue
        if uid not in asked or uid in found:
            continue
        size = re.search(rb"RFC822\.SIZE (\d+)", words)
        if literal is None or size is None:
            unreadable += 1
            continue
        try:
            parsed = BytesHeaderParser(policy=policy.default).parsebytes(literal)
            found[uid] = Header(
                uid=uid,
                size=int(size.group(1)),
                message_id=id_of(parsed),
                date=sent_date(parsed),
                sender=sender_of(parsed),
                subject=subject_of(parsed),
            )
        except Exception:  # a header the parser cannot take: this answer has no sense
            unreadable += 1
    return found, without_uid, unreadable


def chunks(uids: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(uids), _BATCH):
        yield uids[start : start + _BATCH]


def id_of(message: Any) -> str:
    try:
        value = str(message.get("Message-ID", "") or "")
    except Exception:  # a header too broken to parse counts as none
        return ""
    return safe(re.sub(r"\s+", "", value))


def sender_of(message: Any) -> str:
    try:
        return safe(parseaddr(str(message.get("From", "")))[1])
    except Exception:
        return ""


def subject_of(message: Any) -> str:
    try:
        return safe(str(message.get("Subject", "")))
    except Exception:
        return ""


def sent_date(message: Any) -> dt.datetime | None:
    try:
        date = parsedate_to_datetime(str(message.get("Date", "")))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    try:
        return date if date.tzinfo is None else date.astimezone(VIETNAM).replace(tzinfo=None)
    except (OverflowError, ValueError):
        return None


def shown_date(date: dt.datetime | None) -> str:
    return f"{date:%d/%m/%Y %H:%M}" if date else "không rõ ngày"
