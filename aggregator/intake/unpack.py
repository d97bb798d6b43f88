"""Intake: what a saved email or a zip holds, each file taken out under a generated name, with its fate.

Attachment names are untrusted: each attachment is written under a generated name into a
private temporary folder; its own name is only ever shown. Files inside zips (attached, or
saved straight into the inbox) are taken too, after the same bomb checks as any workbook;
emails and zips inside them are opened to ``max_nesting_depth`` levels. Each file taken out is
judged from the bytes in hand (``sniff``), never read back. Whatever an email or a zip holds,
every entry comes back with a fate: an entry to read, or one already refused (encrypted,
corrupt, unsupported compression, too big, too many parts, too deep).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import lzma
import zipfile
import zlib
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Any

from aggregator import problems
from aggregator.intake import mail, sniff
from aggregator.intake.shown import file_time, megabytes, shown
from aggregator.model import Candidate, CandidateKind, SavedEmail
from aggregator.problems import Problem, ProblemCode

CONTAINED = " › "  # between a container's path and what it holds
_COMPRESSIONS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
_MEMBER_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, RuntimeError, lzma.LZMAError)
_EMAIL_ERRORS = (
    OSError,
    RecursionError,
    MemoryError,
    LookupError,
    ValueError,
    TypeError,
    AttributeError,
    IndexError,
)


def unpack_email(
    read: sniff.Read | OSError, relative: str, workdir: Path, limits: dict[str, int], board: dt.tzinfo | None
) -> tuple[SavedEmail, list[Candidate]]:
    """The email's record and an entry for every attachment (and every file in an attached zip),
    from the one read of it (or the error that read met).

    Whatever the email holds, this returns: a failure becomes the email's ``error`` and a
    refused entry in its place, so it has a fate like any file.
    """
    relative = shown(relative)
    record = SavedEmail(relative=relative, sha256="", size=0)
    writer = Unpacker(record, workdir, limits, board)
    try:
        if isinstance(read, OSError):
            raise read
        if not read.regular:
            raise OSError("not a regular file")
        record.sha256, record.size = read.sha256, read.size  # hashed whole, even when too large
        record.saved = file_time(read.mtime, board)
        if read.size > limits["max_email_bytes"]:  # never parsed
            size, limit = megabytes(read.size), megabytes(limits["max_email_bytes"])
            raise mail.Refused(
                problems.make(ProblemCode.EMAIL_TOO_LARGE, file=relative, size=size, limit=limit)
            )
        writer.email(relative, read.data, depth=1, top=True)
        if not writer.found:  # nothing attached: the email itself is listed, and why
            empty = writer.refusal(
                relative, problems.make(ProblemCode.EMAIL_NO_ATTACHMENTS, file=relative), email=False
            )
            writer.found.append(replace(empty, kind=CandidateKind.EMAIL, email_date=record.date))
    except mail.Refused as refused:
        record.error = refused.problem.message
        writer.found.append(writer.refusal(relative, refused.problem, email=False))
    except _EMAIL_ERRORS as exc:  # a broken email is recorded, never fatal
        code = (
            ProblemCode.FILE_VANISHED if isinstance(exc, FileNotFoundError) else ProblemCode.EMAIL_UNREADABLE
        )
        said = mail.technical(exc)
        problem = problems.make(code, file=relative, detail=said[:120], technical=said)
        record.error = problem.message
        writer.found.append(writer.refusal(relative, problem, email=False))
    return record, writer.found


def unpack_archive(
    read: sniff.Read,
    zipped: sniff.Zip,
    relative: str,
    workdir: Path,
    limits: dict[str, int],
    board: dt.tzinfo | None,
) -> tuple[SavedEmail, list[Candidate]]:
    """A plain zip saved straight into the inbox ("download all attachments"), read like a zip
    attached to an email: its record (hash and size, which its files are checked through) and
    an entry for every file inside, to the same depth, from the one read of it."""
    relative = shown(relative)
    record = SavedEmail(relative=relative, sha256=read.sha256, size=read.size)
    writer = Unpacker(record, workdir, limits, board)
    writer.archive_time = file_time(read.mtime, board)
    try:
        writer.add(relative, read.data, depth=1, zipped=zipped)
    except OSError as exc:  # the private folder could not be written
        code = (
            ProblemCode.FILE_VANISHED if isinstance(exc, FileNotFoundError) else ProblemCode.FILE_UNREADABLE
        )
        said = mail.technical(exc)
        problem = problems.make(code, file=relative, detail=said[:120], technical=said)
        writer.found.append(writer.refusal(relative, problem, email=False))
    return record, writer.found


class Unpacker:
    """Writes what an email or a zip holds under generated names and makes entries of it.

    Emails and zips are opened to ``max_nesting_depth`` levels; everything taken out of one
    email (or one zip in the inbox) counts against ``max_unpacked_bytes``.
    """

    def __init__(self, record: SavedEmail, workdir: Path, limits: dict[str, int], board: dt.tzinfo | None):
        self.record, self.workdir, self.limits, self.board = record, workdir, limits, board
        self.found: list[Candidate] = []
        self._count = itertools.count(1)
        self.budget = limits["max_unpacked_bytes"]
        self.archive_time: dt.datetime | None = None  # a zip in the inbox: its own time

    def email(self, relative: str, data: bytes, depth: int, top: bool = False) -> None:
        record = self.record if top else None
        for attached in mail.attachments_of(relative, data, self.limits, record, self.board):
            where = f"{relative}{CONTAINED}{attached.name}"
            if attached.error is not None:
                said = mail.technical(attached.error)
                problem = problems.make(
                    ProblemCode.MEMBER_CORRUPT, file=where, detail="không giải mã được", technical=said
                )
                self.found.append(self.refusal(where, problem))
            elif self._spend(where, len(attached.payload)):
                self._take(where, attached.name, attached.payload, depth + 1)

    def _take(self, where: str, name: str, data: bytes, depth: int) -> None:
        """What a container holds: an email opened in turn (within the depth), else a file."""
        if name.lower().endswith(sniff.EMAIL_SUFFIXES) and depth <= self.limits["max_nesting_depth"]:
            self._nested_email(where, data, depth)
        else:
            self.add(where, data, depth, name)

    def _nested_email(self, where: str, data: bytes, depth: int) -> None:
        try:
            self.email(where, data, depth)
        except mail.Refused as refused:
            self.found.append(self.refusal(where, refused.problem))
        except (RecursionError, LookupError, ValueError, TypeError, AttributeError, IndexError) as exc:
            said = mail.technical(exc)
            problem = problems.make(
                ProblemCode.EMAIL_UNREADABLE, file=where, detail=said[:120], technical=said
            )
            self.found.append(self.refusal(where, problem))

    def add(
        self, where: str, data: bytes, depth: int, name: str = "", zipped: sniff.Zip | None = None
    ) -> None:
        """A file taken out: a plain zip unpacked in turn (within the depth), else an entry;
        judged once from its bytes (a zip opened once: ``zipped``, when its container did)."""
        leaf = where.rsplit(CONTAINED, 1)[-1]
        suffix = PurePosixPath(leaf).suffix.lower()
        suffix = suffix if suffix in sniff.WORKBOOK_SUFFIXES else ".bin"
        relative = shown(where, composed=True)
        judged = sniff.judge_bytes(name or where, data, relative, suffix, self.limits, zipped)
        if judged.kind is not None:
            self.found.append(self._entry(where, data, leaf, suffix, judged.kind, judged.problems))
        elif depth > self.limits["max_nesting_depth"]:
            limit = self.limits["max_nesting_depth"]
            self.found.append(
                self.refusal(where, problems.make(ProblemCode.NESTED_TOO_DEEP, file=where, limit=limit))
            )
        elif judged.zipped is not None:
            self._zip(where, data, judged.zipped, depth)

    def _spend(self, where: str, size: int) -> bool:
        """Whether ``size`` more bytes may be taken out; a refusal in its place if not."""
        if size > self.budget:
            self.budget = -1
            limit = megabytes(self.limits["max_unpacked_bytes"])
            problem = problems.make(ProblemCode.EMAIL_UNPACKED_TOO_LARGE, file=where, limit=limit)
            self.found.append(self.refusal(where, problem))
            return False
        self.budget -= size
        return True

    def refusal(self, where: str, problem: Problem, email: bool = True) -> Candidate:
        """An entry refused while unpacking (nothing written for it)."""
        return Candidate(
            path=self.workdir / "-",
            relative=where,
            size=0,
            sha256="",
            modified=self._sent(),
            kind=CandidateKind.OTHER,
            problems=(problem,),
            **(self._origin(where) if email else {}),
        )

    def _sent(self) -> dt.datetime:
        """Not when we unpacked it: when it was sent, else when the email (or zip) was saved."""
        return self.record.date or self.archive_time or self.record.saved

    def _origin(self, where: str) -> dict[str, Any]:
        """Where an entry came from: its email (none for a zip in the inbox) and its name."""
        origin: dict[str, Any] = {"attachment": where.split(CONTAINED, 1)[-1]}
        if self.archive_time is None:  # inside an email
            origin.update(
                email=self.record.relative, email_date=self.record.date, sender=self.record.sender or None
            )
        return origin

    def _entry(
        self, where: str, data: bytes, leaf: str, suffix: str, kind: CandidateKind, found: tuple[Problem, ...]
    ) -> Candidate:
        """A file taken out, written under a generated name, as its bytes were judged."""
        safe = self.workdir / f"{next(self._count):05d}{suffix}"
        safe.write_bytes(data)
        if (
            kind == CandidateKind.OTHER
            and not _looks_like_workbook(leaf, data)
            and not any(p.code == ProblemCode.FILE_BOMB for p in found)
        ):
            kind, found = CandidateKind.ATTACHMENT, ()  # a cover letter, a scan
        return Candidate(
            path=safe,
            relative=shown(where, composed=True),
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            modified=self._sent(),
            kind=kind,
            problems=found,
            **self._origin(where),
        )

    def _zip(self, where: str, data: bytes, zipped: sniff.Zip, depth: int) -> None:
        assert zipped.archive is not None  # (an archive by the container rule: it opened)
        with zipped.archive as archive:
            infos = [i for i in archive.infolist() if not i.is_dir()]
            if len(infos) > self.limits["max_parts"]:
                limit = self.limits["max_parts"]
                problem = problems.make(ProblemCode.TOO_MANY_PARTS, file=where, count=len(infos), limit=limit)
                self.found.append(self.refusal(where, problem))
                return
            if sniff.zip_bomb(infos, self.limits):  # refused as a document would be: as a bomb
                relative = shown(where, composed=True)
                kind, found = sniff.sniff(data, len(data), relative, ".bin", self.limits, zipped)
                self.found.append(
                    self._entry(where, data, where.rsplit(CONTAINED, 1)[-1], ".bin", kind, found)
                )
                return
            for n, info in enumerate(infos, start=1):
                member = f"{where}{CONTAINED}{mail.shown_name(info.filename, n)}"
                refused = _member_refused(member, info)
                if refused is not None:
                    self.found.append(self.refusal(member, refused))
                elif self._spend(member, info.file_size):
                    self._member(archive, info, member, depth)

    def _member(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, member: str, depth: int) -> None:
        try:
            content = archive.read(info)
        except NotImplementedError as exc:
            problem = problems.make(
                ProblemCode.MEMBER_UNSUPPORTED,
                file=member,
                detail=str(exc)[:80],
                technical=mail.technical(exc),
            )
            self.found.append(self.refusal(member, problem))
            return
        except _MEMBER_ERRORS as exc:
            said = mail.technical(exc)
            problem = problems.make(
                ProblemCode.MEMBER_CORRUPT, file=member, detail=said[:120], technical=said
            )
            self.found.append(self.refusal(member, problem))
            return
        self._take(member, member, content, depth + 1)


def _member_refused(member: str, info: zipfile.ZipInfo) -> Problem | None:
    if info.flag_bits & 0x1:
        return problems.make(ProblemCode.MEMBER_ENCRYPTED, file=member)
    if info.compress_type not in _COMPRESSIONS:
        detail = f"phương thức nén số {info.compress_type}"
        return problems.make(ProblemCode.MEMBER_UNSUPPORTED, file=member, detail=detail)
    return None


def _looks_like_workbook(name: str, data: bytes) -> bool:
    return name.lower().endswith(sniff.WORKBOOK_SUFFIXES) or data[:4] == sniff.ZIP_MAGIC
