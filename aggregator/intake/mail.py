"""Intake: a saved email (.eml) parsed without trusting it: its headers, its structure, its attachments.

Nothing an email says is taken as it is: headers lose their control characters and are cut to a
length, a date before email existed (or long after the email was saved) is not believed, an
email of too many parts or nested too deep is refused before its parts are walked, and an
attachment's name is only ever shown (``shown_name``), never used as a path. What the email
holds is taken out by ``unpack``.
"""

from __future__ import annotations

import datetime as dt
import email
import re
from dataclasses import dataclass
from email import errors, header, policy
from email.message import EmailMessage, Message
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import PurePosixPath, PureWindowsPath

from aggregator import problems
from aggregator.clock import VIETNAM
from aggregator.intake.shown import shown
from aggregator.model import SavedEmail
from aggregator.problems import Problem, ProblemCode

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")  # C0, DEL, C1, line separators
_NO_BOUNDARY = (errors.NoBoundaryInMultipartDefect, errors.StartBoundaryNotFoundDefect)
_EARLIEST = dt.datetime(1990, 1, 1)


@dataclass(frozen=True)
class Attached:
    """One attachment as the email gave it: its name fit to show, and its bytes (or why they
    could not be decoded)."""

    name: str
    payload: bytes = b""
    error: Exception | None = None


class Refused(Exception):
    """An email (or a container in it) refused as a whole; carries the problem to record."""

    def __init__(self, problem: Problem):
        super().__init__(problem.message)
        self.problem = problem


def shown_name(raw: str | None, n: int) -> str:
    """An attachment name fit to show: last path component, no control characters."""
    name = _CONTROL.sub("", raw or "")
    name = PureWindowsPath(PurePosixPath(name).name).name.strip(" .")
    return shown(name[:120]) or f"tệp đính kèm {n}"  # marks and "›" escaped


def technical(exc: BaseException) -> str:
    """What failed, for an engineer (the exception's type and text)."""
    return f"{type(exc).__name__}: {exc}"[:500]


def attachments_of(
    relative: str, data: bytes, limits: dict[str, int], record: SavedEmail | None, board: dt.tzinfo | None
) -> list[Attached]:
    """What an email holds, in order, once it passed its checks (``Refused`` if it did not);
    for the saved email itself (``record``), its headers and attachment names are noted."""
    message = parse(relative, data, limits)
    if record is not None:
        read_headers(record, message, board)
    check_structure(message, relative, limits)
    found = []
    for n, part in enumerate(attachments(message), start=1):
        name = shown_name(filename(part), n)
        if record is not None:
            record.attachments.append(name)
        try:
            payload = part.get_payload(decode=True) or b""
        except Exception as exc:  # a payload the email library cannot decode
            found.append(Attached(name, error=exc))
            continue
        found.append(Attached(name, payload if isinstance(payload, bytes) else b""))
    return found


def parse(relative: str, data: bytes, limits: dict[str, int]) -> EmailMessage:
    """The email's message, parsed only when it has no more parts than ``max_parts``: every part
    starts on a line "--boundary", counted first, since parsing a million tiny parts takes
    gigabytes."""
    parts = data.count(b"\n--")
    if parts > limits["max_parts"]:
        raise Refused(
            problems.make(ProblemCode.TOO_MANY_PARTS, file=relative, count=parts, limit=limits["max_parts"])
        )
    return email.message_from_bytes(data, policy=policy.default)


def check_structure(message: EmailMessage, relative: str, limits: dict[str, int]) -> None:
    """Refuses an email nested too deep, or multipart with no boundary to split it by."""
    nesting = limits["max_nesting_depth"]
    if _depth(message, nesting * 4) > nesting * 4:
        raise Refused(problems.make(ProblemCode.NESTED_TOO_DEEP, file=relative, limit=nesting))
    if any(isinstance(d, _NO_BOUNDARY) for d in message.defects):
        raise Refused(
            problems.make(
                ProblemCode.EMAIL_UNREADABLE, file=relative, detail="thư nhiều phần nhưng thiếu dấu ranh giới"
            )
        )


def read_headers(record: SavedEmail, message: EmailMessage, board: dt.tzinfo | None) -> None:
    """Who sent the email, its subject and its date (on the Board's clock), into ``record``."""
    sender = _CONTROL.sub("", parseaddr(_header(message, "From"))[1].lower()).replace(" ", "")[:200]
    record.sender = shown(sender)  # invisible and right-to-left marks escaped, as in names
    record.subject = shown(_CONTROL.sub(" ", _header(message, "Subject"))[:200])
    try:
        date = parsedate_to_datetime(_header(message, "Date"))
        # the Board's clock (its time zone, Vietnam's by default), whatever the machine's
        record.date = date if date.tzinfo is None else date.astimezone(board or VIETNAM).replace(tzinfo=None)
    except (TypeError, ValueError, OverflowError, IndexError):
        record.date = None
    # a date before email existed here, or a year after the email was saved (year 9999),
    # is not trusted: the file's own time is used instead
    if record.date is not None and not (_EARLIEST <= record.date <= record.saved + dt.timedelta(days=366)):
        record.date = None


def _header(message: EmailMessage, name: str) -> str:
    """A header as text, whatever it holds (a broken encoded word, a bad date): never raises."""
    try:
        return str(message.get(name, ""))[:2000]
    except Exception:  # the email library's header parsing: its errors are not one type
        raw = next((str(v) for k, v in message.raw_items() if k.lower() == name.lower()), "")
        try:
            return str(header.make_header(header.decode_header(raw)))[:2000]
        except Exception:  # not even decodable: the raw text, control characters removed later
            return raw[:2000]


def _depth(message: Message, limit: int) -> int:
    """How deep parts are nested (stops counting past ``limit``), without recursion."""
    deepest, stack = 0, [(message, 1)]
    while stack:
        part, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > limit:
            return depth
        payload = part.get_payload()
        if isinstance(payload, list):
            stack += [(child, depth + 1) for child in payload if isinstance(child, Message)]
    return deepest


def attachments(message: EmailMessage) -> list[EmailMessage]:
    """Every attached file, forwarded emails included (walk descends into message/rfc822)."""
    return [
        part
        for part in message.walk()
        if not part.is_multipart()
        and part.get_content_type() != "message/rfc822"
        and (filename(part) or part.get_content_disposition() == "attachment")
    ]


def filename(part: EmailMessage) -> str | None:
    """The attachment's name as sent ("?" when the name itself cannot be decoded)."""
    try:
        return part.get_filename()
    except Exception:  # a broken encoded word in the name: the part is still an attachment
        return "?"
