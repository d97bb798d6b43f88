"""Intake in one pass: the inbox's entries, each inbox file opened once, handed on as one list.

The listing (``discover``) names the entries; each file is then looked at once (``sniff.look``):
hashed, its type sniffed and, if it is a zip, judged by the container rule, all from one read.
A file an earlier period took in is left alone by that hash; a saved email or a plain zip gives
what it holds in its place (``unpack``); anything else is an entry as it is. What comes out is
one list of frozen entries in inbox order, each with its stable path as the manifest shows it,
the saved emails and zips, and the entries left alone.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import replace
from pathlib import Path

from aggregator.intake import discover, sniff, unpack
from aggregator.intake.shown import shown
from aggregator.model import Candidate, CandidateKind, Ignored, SavedEmail
from aggregator.problems import ProblemCode

_NOT_BOOKS = (CandidateKind.JUNK, CandidateKind.ATTACHMENT)  # what an email holds besides workbooks
_NONE_SEEN = discover.Seen()  # (no outbox: nothing taken in before)
COPIED_WITHIN = 120  # seconds: inbox files all saved within this were copied as one folder


def collect(
    inbox: Path,
    workdir: Path,
    limits: dict[str, int],
    board: dt.tzinfo | None,
    skip: tuple[Path, ...] = (),
    paths: list[Path] | None = None,
    seen: discover.Seen | None = None,
) -> tuple[list[Candidate], list[SavedEmail], list[Ignored]]:
    """Every entry to read, in inbox order: saved emails and zips give what they hold in their
    place; entries refused on sight are entries too, so every entry has a fate.

    ``skip``: folders never entered (the program's own outputs). ``paths`` (entries below
    ``inbox``) instead of the whole inbox: ``check`` reads single files the way the run reads
    them. ``seen``: what earlier periods took in, left alone (one inbox serves every year).
    Attachments are written into ``workdir``, each container in a folder of its own.
    """
    found = discover.walk(inbox, skip=skip) if paths is None else discover.walk_paths(paths, inbox)
    taking = _Taking(inbox, workdir, limits, board, seen or _NONE_SEEN)
    for entry in found.entries:
        if isinstance(entry, Candidate):
            taking.entries.append(entry)
            continue
        try:
            taking.take(entry)
        except Exception as exc:  # one entry never stops the run
            technical = f"{type(exc).__name__}: {exc}"
            relative = entry.relative_to(inbox).as_posix()
            taking.entries.append(
                sniff.refused(entry, relative, ProblemCode.FILE_UNREADABLE, detail=technical[:160])
            )
    return taking.entries, taking.emails, [*found.ignored, *taking.earlier]


def file_times_tell(entries: list[Candidate]) -> bool:
    """Whether the inbox files' own times say when each was saved. A folder copied as a whole
    (a checkout, an unzipped download, a copy that does not keep times) gives every file the
    time of the copy: then a file's time is no evidence against its "Ngày báo cáo"."""
    times = [entry.own_time for entry in entries if entry.own_time is not None]
    return len(times) < 3 or max(times) - min(times) > COPIED_WITHIN


class _Taking:
    """The inbox being taken in: the entries, saved emails and zips, and earlier periods' files."""

    def __init__(
        self, inbox: Path, workdir: Path, limits: dict[str, int], board: dt.tzinfo | None, seen: discover.Seen
    ):
        self.inbox, self.workdir, self.limits, self.board, self.seen = inbox, workdir, limits, board, seen
        self.entries: list[Candidate] = []
        self.emails: list[SavedEmail] = []
        self.earlier: list[Ignored] = []

    def take(self, path: Path) -> None:
        """One inbox file, opened once: left alone, unpacked, or an entry as it is."""
        relative = path.relative_to(self.inbox).as_posix()
        look = sniff.look(path, relative, self.limits, self.board)
        read = look.read
        if isinstance(read, sniff.Read) and read.regular and self._taken_before(read, relative):
            return
        if look.email:
            self._email(read, relative)
        elif look.entry is not None:
            self.entries.append(look.entry)
        elif isinstance(read, sniff.Read) and look.zipped is not None:
            folder = Path(tempfile.mkdtemp(prefix="nen-", dir=self.workdir))
            record, inside = unpack.unpack_archive(
                read, look.zipped, relative, folder, self.limits, self.board
            )
            self.emails.append(record)  # the zip's own hash: what its files are checked through
            self.entries += inside

    def _taken_before(self, read: sniff.Read, relative: str) -> bool:
        """Whether an earlier period's manifest lists this file (by its SHA-256): then it is
        no report of this period, nor a unit's mistake, and gets no outcome."""
        known = self.seen.periods.get(read.sha256) if read.size in self.seen.sizes else None
        if known is None:
            return False
        folder, words = known
        self.earlier.append(
            Ignored(shown(relative), f"đã tổng hợp ở {words}", read.sha256, read.size, folder)
        )
        return True

    def _email(self, read: sniff.Read | OSError, relative: str) -> None:
        folder = self.workdir / f"thu-{len(self.emails) + 1:05d}"
        folder.mkdir()
        record, attached = unpack.unpack_email(read, relative, folder, self.limits, self.board)
        self.emails.append(record)
        books = sum(c.kind not in _NOT_BOOKS for c in attached)
        if books > 1:  # one email, several units' workbooks: no sender evidence
            attached = [c if c.kind in _NOT_BOOKS else replace(c, bundled=True) for c in attached]
        self.entries += attached
