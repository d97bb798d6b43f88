"""Intake: saved emails (.eml) and zips in the inbox, opened and what they hold taken as inputs.

Attachment names are untrusted: each attachment is written under a generated name into a
private temporary folder; its own name is only ever shown. Files inside zips (attached, or
saved straight into the inbox) are taken too, after the same bomb checks as any workbook;
emails and zips inside them are opened to ``max_nesting_depth`` levels. Whatever an email or
a zip holds, every entry comes back with a fate: a candidate to read, or one already refused
(encrypted, corrupt, unsupported compression, too big, too many parts, too deep).
"""

from __future__ import annotations

import datetime as dt
import email
import hashlib
import io
import itertools
import lzma
import os
import re
import stat
import zipfile
import zlib
from email import errors, header, policy
from email.message import EmailMessage, Message
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path, PurePosixPath, PureWindowsPath

from aggregator import hashing, problems
from aggregator.clock import VIETNAM
from aggregator.intake import discover
from aggregator.model import Candidate, CandidateKind, SavedEmail
from aggregator.problems import Problem, ProblemCode

EMAIL_SUFFIXES = (".eml",)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")  # C0, DEL, C1, line separators


def is_email(path: Path) -> bool:
    return path.suffix.lower() in EMAIL_SUFFIXES


def shown_name(raw: str | None, n: int) -> str:
    """An attachment name fit to show: last path component, no control characters."""
    name = _CONTROL.sub("", raw or "")
    name = PureWindowsPath(PurePosixPath(name).name).name.strip(" .")
    return discover.shown(name[:120]) or f"tệp đính kèm {n}"  # marks and "›" escaped


def unpack(
    path: Path, inbox: Path, workdir: Path, limits: dict[str, int], board: dt.tzinfo | None = None
) -> tuple[SavedEmail, list[Candidate]]:
    """The email's record and a candidate for every attachment (and workbook in a zip).

    Whatever the email holds, this returns: a failure becomes the email's ``error`` and a
    refused candidate in its place, so it has a fate like any file.
    """
    relative = discover.shown(path.relative_to(inbox).as_posix())
    record = SavedEmail(relative=relative, sha256="", size=0)
    writer = _Attachments(record, workdir, limits, board)
    try:
        data = _read_bounded(path, limits["max_email_bytes"])
        record.sha256, record.size = hashlib.sha256(data).hexdigest(), len(data)
        record.saved = discover.file_time(path.stat().st_mtime, board)
        if len(data) > limits["max_email_bytes"]:  # hashed whole, never parsed
            record.size, record.sha256 = path.stat().st_size, hashing.sha256(path)
            raise _Refused(
                problems.make(
                    ProblemCode.EMAIL_TOO_LARGE,
                    file=relative,
                    size=discover.megabytes(record.size),
                    limit=discover.megabytes(limits["max_email_bytes"]),
                )
            )
        writer.email(relative, data, depth=1, top=True)
        if not writer.found:  # nothing attached: the email itself is listed, and why
            empty = writer.refusal(
                relative, problems.make(ProblemCode.EMAIL_NO_ATTACHMENTS, file=relative), email=False
            )
            empty.kind, empty.email_date = CandidateKind.EMAIL, record.date
            writer.found.append(empty)
    except _Refused as refused:
        record.error = refused.problem.message
        writer.found.append(writer.refusal(relative, refused.problem, email=False))
    except (
        OSError,
        RecursionError,
        MemoryError,
        LookupError,
        ValueError,
        TypeError,
        AttributeError,
        IndexError,
    ) as exc:  # a broken email is recorded, never fatal
        code = (
            ProblemCode.FILE_VANISHED if isinstance(exc, FileNotFoundError) else ProblemCode.EMAIL_UNREADABLE
        )
        problem = problems.make(code, file=relative, detail=_technical(exc)[:120], technical=_technical(exc))
        record.error = problem.message
        writer.found.append(writer.refusal(relative, problem, email=False))
    return record, writer.found


def unpack_archive(
    path: Path, inbox: Path, workdir: Path, limits: dict[str, int], board: dt.tzinfo | None = None
) -> tuple[SavedEmail, list[Candidate]]:
    """A plain zip saved straight into the inbox ("download all attachments"), read like a
    zip attached to an email: its record (hash and size, which its files are checked
    through) and a candidate for every file inside, to the same depth. A zip over the size
    limit is refused as itself, never read in part."""
    relative = discover.shown(path.relative_to(inbox).as_posix())
    record = SavedEmail(relative=relative, sha256="", size=0)
    writer = _Attachments(record, workdir, limits, board)
    try:
        writer.archive_time = discover.file_time(path.stat().st_mtime, board)
        data = _read_bounded(path, limits["max_file_bytes"])
        if len(data) > limits["max_file_bytes"]:
            return record, [discover.fingerprint(path, inbox, limits, board=board)]
        record.size, record.sha256 = len(data), hashlib.sha256(data).hexdigest()
        writer.add(relative, data, depth=1)
    except OSError as exc:
        writer.found.append(
            writer.refusal(
                relative,
                problems.make(
                    ProblemCode.FILE_VANISHED
                    if isinstance(exc, FileNotFoundError)
                    else ProblemCode.FILE_UNREADABLE,
                    file=relative,
                    detail=_technical(exc)[:120],
                    technical=_technical(exc),
                ),
                email=False,
            )
        )
    return record, writer.found


def is_plain_zip(path: Path) -> bool:
    """A zip archive in the inbox that is not itself a workbook or another office document."""
    try:
        with path.open("rb") as handle:
            if handle.read(4) != b"PK\x03\x04":
                return False
        with zipfile.ZipFile(path) as archive:
            return discover.is_archive(path.name, archive.namelist())
    except (OSError, zipfile.BadZipFile, ValueError, RuntimeError, EOFError):
        return False


class _Refused(Exception):
    def __init__(self, problem: Problem):
        super().__init__(problem.message)
        self.problem = problem


def _technical(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


def _read_bounded(path: Path, limit: int) -> bytes:
    """At most ``limit`` + 1 bytes of a regular file (never blocks on a FIFO put there)."""
    with discover.open_safely(path) as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise OSError("not a regular file")
        return handle.read(limit + 1)


def _headers(record: SavedEmail, message: EmailMessage, board: dt.tzinfo | None) -> None:
    sender = _CONTROL.sub("", parseaddr(_header(message, "From"))[1].lower()).replace(" ", "")[:200]
    record.sender = discover.shown(sender)  # invisible and right-to-left marks escaped, as in names
    record.subject = discover.shown(_CONTROL.sub(" ", _header(message, "Subject"))[:200])
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


def _attachments(message: EmailMessage) -> list[EmailMessage]:
    """Every attached file, forwarded emails included (walk descends into message/rfc822)."""
    return [
        part
        for part in message.walk()
        if not part.is_multipart()
        and part.get_content_type() != "message/rfc822"
        and (_filename(part) or part.get_content_disposition() == "attachment")
    ]


def _filename(part: EmailMessage) -> str | None:
    try:
        return part.get_filename()
    except Exception:  # a broken encoded word in the name: the part is still an attachment
        return "?"


class _Attachments:
    """Writes attachments under generated names and makes candidates of them.

    Emails and zips are opened to ``max_nesting_depth`` levels; everything taken out of one
    email (or one zip in the inbox) counts against ``max_unpacked_bytes``.
    """

    def __init__(
        self, record: SavedEmail, workdir: Path, limits: dict[str, int], board: dt.tzinfo | None = None
    ):
        self.record, self.workdir, self.limits, self.board = record, workdir, limits, board
        self.found: list[Candidate] = []
        self._count = itertools.count(1)
        self.budget = limits["max_unpacked_bytes"]
        self.archive_time: dt.datetime | None = None

    def email(self, relative: str, data: bytes, depth: int, top: bool = False) -> None:
        # every part starts on a line "--boundary": counted before the email is parsed, since
        # parsing a million tiny parts takes gigabytes
        parts = data.count(b"\n--")
        if parts > self.limits["max_parts"]:
            raise _Refused(
                problems.make(
                    ProblemCode.TOO_MANY_PARTS, file=relative, count=parts, limit=self.limits["max_parts"]
                )
            )
        message = email.message_from_bytes(data, policy=policy.default)
        if top:
            _headers(self.record, message, self.board)
        if _depth(message, self.limits["max_nesting_depth"] * 4) > self.limits["max_nesting_depth"] * 4:
            raise _Refused(
                problems.make(
                    ProblemCode.NESTED_TOO_DEEP, file=relative, limit=self.limits["max_nesting_depth"]
                )
            )
        if any(isinstance(d, _NO_BOUNDARY) for d in message.defects):
            raise _Refused(
                problems.make(
                    ProblemCode.EMAIL_UNREADABLE,
                    file=relative,
                    detail="thư nhiều phần nhưng thiếu dấu ranh giới",
                )
            )
        for n, part in enumerate(_attachments(message), start=1):
            name = shown_name(_filename(part), n)
            if top:
                self.record.attachments.append(name)
            where = f"{relative} › {name}"
            try:
                payload = part.get_payload(decode=True) or b""
                payload = payload if isinstance(payload, bytes) else b""
            except Exception as exc:  # a payload the email library cannot decode
                self.found.append(
                    self.refusal(
                        where,
                        problems.make(
                            ProblemCode.MEMBER_CORRUPT,
                            file=where,
                            detail="không giải mã được",
                            technical=_technical(exc),
                        ),
                    )
                )
                continue
            if not self._spend(where, len(payload)):
                continue
            self._take(where, name, payload, depth + 1)

    def _take(self, where: str, name: str, data: bytes, depth: int) -> None:
        """What a container holds: an email opened in turn (within the depth), else a file."""
        if name.lower().endswith(EMAIL_SUFFIXES) and depth <= self.limits["max_nesting_depth"]:
            self._nested_email(where, data, depth)
        else:
            self.add(where, data, depth, name)

    def _nested_email(self, where: str, data: bytes, depth: int) -> None:
        try:
            self.email(where, data, depth)
        except _Refused as refused:
            self.found.append(self.refusal(where, refused.problem))
        except (RecursionError, LookupError, ValueError, TypeError, AttributeError, IndexError) as exc:
            self.found.append(
                self.refusal(
                    where,
                    problems.make(
                        ProblemCode.EMAIL_UNREADABLE,
                        file=where,
                        detail=_technical(exc)[:120],
                        technical=_technical(exc),
                    ),
                )
            )

    def add(self, where: str, data: bytes, depth: int, name: str = "") -> None:
        if _plain_zip(data, name or where):
            if depth > self.limits["max_nesting_depth"]:
                self.found.append(
                    self.refusal(
                        where,
                        problems.make(
                            ProblemCode.NESTED_TOO_DEEP, file=where, limit=self.limits["max_nesting_depth"]
                        ),
                    )
                )
            else:
                self._zip(where, data, depth)
        else:
            self.found.append(self._candidate(where, data))

    def _spend(self, where: str, size: int) -> bool:
        """Whether ``size`` more bytes may be taken out; a refusal in its place if not."""
        if size > self.budget:
            self.budget = -1
            self.found.append(
                self.refusal(
                    where,
                    problems.make(
                        ProblemCode.EMAIL_UNPACKED_TOO_LARGE,
                        file=where,
                        limit=discover.megabytes(self.limits["max_unpacked_bytes"]),
                    ),
                )
            )
            return False
        self.budget -= size
        return True

    def refusal(self, where: str, problem: Problem, email: bool = True) -> Candidate:
        """A candidate for an entry refused while unpacking (nothing written for it)."""
        candidate = Candidate(
            path=self.workdir / "-",
            relative=where,
            size=0,
            sha256="",
            modified=self.record.date or self.archive_time or self.record.saved,
            kind=CandidateKind.OTHER,
            problems=[problem],
        )
        if email:
            self._from_email(candidate, where)
        return candidate

    def _from_email(self, candidate: Candidate, where: str) -> None:
        if self.archive_time is None:  # inside an email
            candidate.email, candidate.email_date = self.record.relative, self.record.date
            candidate.sender = self.record.sender or None
        candidate.attachment = where.split(" › ", 1)[-1]

    def _candidate(self, where: str, data: bytes) -> Candidate:
        name = where.rsplit(" › ", 1)[-1]
        suffix = PurePosixPath(name).suffix.lower()
        suffix = suffix if suffix in discover.WORKBOOK_SUFFIXES else ".bin"
        safe = self.workdir / f"{next(self._count):05d}{suffix}"
        safe.write_bytes(data)
        candidate = discover.fingerprint(safe, self.workdir, self.limits, relative=where)
        self._from_email(candidate, where)
        # not when we unpacked it: when it was sent, else when the email (or zip) was saved
        candidate.modified = self.record.date or self.archive_time or self.record.saved
        if (
            candidate.kind == CandidateKind.OTHER
            and not _looks_like_workbook(name, data)
            and not any(p.code == ProblemCode.FILE_BOMB for p in candidate.problems)
        ):
            candidate.kind, candidate.problems = CandidateKind.ATTACHMENT, []  # a cover letter, a scan
        return candidate

    def _zip(self, where: str, data: bytes, depth: int) -> None:
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, ValueError, EOFError, OSError) as exc:
            self.found.append(
                self.refusal(
                    where,
                    problems.make(
                        ProblemCode.ARCHIVE_UNREADABLE,
                        file=where,
                        detail=_technical(exc)[:120],
                        technical=_technical(exc),
                    ),
                )
            )
            return
        with archive:
            infos = [i for i in archive.infolist() if not i.is_dir()]
            if len(infos) > self.limits["max_parts"]:
                self.found.append(
                    self.refusal(
                        where,
                        problems.make(
                            ProblemCode.TOO_MANY_PARTS,
                            file=where,
                            count=len(infos),
                            limit=self.limits["max_parts"],
                        ),
                    )
                )
                return
            if discover.zip_bomb(infos, self.limits):
                self.found.append(self._candidate(where, data))  # refused there as a bomb
                return
            for n, info in enumerate(infos, start=1):
                member = f"{where} › {shown_name(info.filename, n)}"
                refused = self._member_refused(member, info)
                if refused is not None:
                    self.found.append(self.refusal(member, refused))
                    continue
                if not self._spend(member, info.file_size):
                    continue
                try:
                    content = archive.read(info)
                except NotImplementedError as exc:
                    self.found.append(
                        self.refusal(
                            member,
                            problems.make(
                                ProblemCode.MEMBER_UNSUPPORTED,
                                file=member,
                                detail=str(exc)[:80],
                                technical=_technical(exc),
                            ),
                        )
                    )
                    continue
                except (
                    zipfile.BadZipFile,
                    zlib.error,
                    EOFError,
                    OSError,
                    ValueError,
                    RuntimeError,
                    lzma.LZMAError,
                ) as exc:
                    self.found.append(
                        self.refusal(
                            member,
                            problems.make(
                                ProblemCode.MEMBER_CORRUPT,
                                file=member,
                                detail=_technical(exc)[:120],
                                technical=_technical(exc),
                            ),
                        )
                    )
                    continue
                self._take(member, member, content, depth + 1)

    def _member_refused(self, member: str, info: zipfile.ZipInfo) -> Problem | None:
        if info.flag_bits & 0x1:
            return problems.make(ProblemCode.MEMBER_ENCRYPTED, file=member)
        if info.compress_type not in _COMPRESSIONS:
            return problems.make(
                ProblemCode.MEMBER_UNSUPPORTED, file=member, detail=f"phương thức nén số {info.compress_type}"
            )
        return None


_NO_BOUNDARY = (errors.NoBoundaryInMultipartDefect, errors.StartBoundaryNotFoundDefect)
_COMPRESSIONS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
_EARLIEST = dt.datetime(1990, 1, 1)


def _looks_like_workbook(name: str, data: bytes) -> bool:
    return name.lower().endswith(discover.WORKBOOK_SUFFIXES) or data[:4] == b"PK\x03\x04"


def _plain_zip(data: bytes, name: str) -> bool:
    """A zip archive that is not itself a workbook or another office document (by its name
    or its parts: ``discover.is_archive``)."""
    if data[:4] != b"PK\x03\x04" or not discover.is_archive(name, []):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, ValueError, EOFError, OSError, RuntimeError):
        return False
    return discover.is_archive(name, names)
