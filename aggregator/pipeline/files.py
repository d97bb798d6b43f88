"""One file's path through the stages, in order: load → legacy text → locate → validate → identify.

Each stage is called with what the stages before it returned and returns its own result; the
file's ``FileOutcome`` is assembled once, from those results, at the end. A file that cannot
be read is rejected on its own, with the file-level problems the stages found before it failed
(its rows, and their problems, are not kept): nothing a file holds stops the run.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
import time
import traceback
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from typing import Any

from aggregator import problems
from aggregator.checking.identify import Identity, UnitMatcher, identify
from aggregator.checking.validate import RowValidator, Validated
from aggregator.config import Config
from aggregator.intake import discover
from aggregator.model import Candidate, CandidateKind, FileOutcome, FileStatus, WorkbookRead
from aggregator.problems import Problem, ProblemCode
from aggregator.reading import legacy
from aggregator.reading.load import ReadRefused, RefusedOnSight, load_book, mark_uncalculated
from aggregator.reading.locate import locate
from aggregator.text import as_text

log = logging.getLogger("aggregator")
# entries whose own bytes are never read as a workbook (what they hold, if anything, comes apart)
NOT_READ = (CandidateKind.JUNK, CandidateKind.ATTACHMENT, CandidateKind.LINK, CandidateKind.EMAIL)
CONTACT = ("preparer", "phone", "email")  # the unit's contact, from its information sheet


@dataclass(frozen=True)
class _Done:
    """What the stages of one file returned (a stage that failed leaves the rest unset, and
    ``failure`` says why)."""

    found: list[Problem] = field(default_factory=list)  # loading's and legacy text's problems
    book: WorkbookRead | None = None
    checked: Validated | None = None
    identity: Identity | None = None
    sender: list[Problem] = field(default_factory=list)  # an address the unit has not registered
    dated: list[Problem] = field(default_factory=list)  # why the report date is not trusted
    seconds: dict[str, float] = field(default_factory=dict)
    failure: Problem | None = None


class FileProcessor:
    """The per-file stages for one year and period: one call of ``process`` per inbox entry."""

    def __init__(
        self,
        config: Config,
        year: int,
        period: str,
        as_of: dt.date | None = None,
        late_stays_late: bool = False,
        file_times_tell: bool = True,
    ):
        self.config, self.year, self.period, self.as_of = config, year, period, as_of
        # the report's date (``run``) never carries a file received after the deadline before
        # it; "today" (``status``) does: a date after today is the clock's error, not lateness
        self.deadline = config.deadline(year, period) if late_stays_late else None
        # whether the inbox files' own times say when each was saved (see run.file_times_tell)
        self.file_times_tell = file_times_tell
        self.matcher = UnitMatcher(config)
        self.validator = RowValidator(config, year)

    def telling(self, file_times_tell: bool) -> FileProcessor:
        """The same stages for files whose own times say (or do not say) when each was saved
        (this processor is left as it is)."""
        other = copy.copy(self)
        other.file_times_tell = file_times_tell
        return other

    def process(self, candidate: Candidate) -> FileOutcome:
        if candidate.kind in NOT_READ:
            return FileOutcome(
                candidate,
                FileStatus.IGNORED,
                problems=list(candidate.problems),
                as_of=self.as_of,
                deadline=self.deadline,
            )
        if candidate.problems:  # refused on sight (intake): never opened
            return FileOutcome(
                candidate, problems=list(candidate.problems), as_of=self.as_of, deadline=self.deadline
            )
        try:
            return self._outcome(candidate, self._stages(candidate))
        except RefusedOnSight as sight:  # no workbook after all: refused as intake would
            return self.process(replace(candidate, kind=CandidateKind.OTHER, problems=(sight.problem,)))

    def _stages(self, candidate: Candidate) -> _Done:
        """The stages, in order, each given what the ones before it returned; a failure ends
        them, and what they returned before it is kept with it."""
        path, relative, kind = candidate.path, candidate.relative, candidate.kind
        found: list[Problem] = []
        seconds: dict[str, float] = {}
        book, checked, identity = None, None, None
        try:
            started = time.perf_counter()
            loaded = load_book(path, relative, self.config.limits, found=found, kind=kind)
            sheets = loaded.sheets
            mark_uncalculated(sheets, path, kind, loaded.formulas)
            found += legacy.repair_sheets(sheets, path, kind, relative)
            book = locate(sheets, self.config, relative)
            seconds["read"] = time.perf_counter() - started
            if book.tables:
                checked = self.validator.validate(book.tables, relative)
                seconds["validate"] = time.perf_counter() - started - seconds["read"]
            sender = None if candidate.bundled else candidate.sender
            identity = identify(
                book, self.matcher, relative, _stem(candidate), self.year, self.period, sender=sender
            )
            senders = self._sender_problems(candidate, identity.unit)
            dated = self._report_date(candidate, identity.report_date)
            seconds["identify"] = time.perf_counter() - started - sum(seconds.values())
            return _Done(found, book, checked, identity, senders, dated, seconds)
        except RefusedOnSight:
            raise
        except ReadRefused as refused:
            failure = refused.problem
        except (KeyboardInterrupt, SystemExit):
            raise
        except MemoryError:
            limit = discover.megabytes(self.config.limits["max_worker_memory_bytes"])
            failure = problems.make(
                ProblemCode.FILE_OUT_OF_MEMORY, file=relative, technical="MemoryError", limit=limit
            )
        except BaseException as exc:  # a file must never stop the run: record it and go on
            # (BaseException: a reader that panics raises PanicException, which is one)
            log.debug("unexpected error in %s\n%s", relative, traceback.format_exc())
            technical = f"{type(exc).__name__}: {exc}"
            failure = problems.make(
                ProblemCode.FILE_UNREADABLE, file=relative, detail=technical[:160], technical=technical
            )
        return _Done(found, book, checked, identity, seconds=seconds, failure=failure)

    def _outcome(self, candidate: Candidate, done: _Done) -> FileOutcome:
        """The file's outcome from the stages' results: its problems file-level first (in the
        order the stages found them), then its rows'."""
        book, identity, checked, failure = done.book, done.identity, done.checked, done.failure
        found = [*done.found, *(book.problems if book else [])]
        known: dict[str, Any] = {}
        if identity is not None:
            known |= {
                "unit": identity.unit,
                "identified_by": identity.how,
                "identification": identity.evidence,
                "year": identity.year,
                "period": identity.period,
                "report_date": identity.report_date,
                "report_date_trusted": not done.dated,
            }
            found += [*identity.problems, *done.sender, *done.dated]
        if failure is None and book is not None:
            known |= {
                "assessment": book.assessment,
                "contact": {k: as_text(book.info[k]) for k in CONTACT if k in book.info},
                "tables": checked.tables if checked is not None else book.tables,
            }
            # another period's report: its rows were never meant for this period's rules, and
            # the unit is told only that (never to correct last year's rows for this year)
            other_period = identity is not None and any(
                p.code in (ProblemCode.YEAR_MISMATCH, ProblemCode.PERIOD_MISMATCH) for p in identity.problems
            )
            if checked is not None and not other_period:
                found += checked.problems
                if not checked.rows:
                    found.append(
                        problems.make(
                            ProblemCode.NO_ROWS, file=candidate.relative, sheet=book.tables[0].sheet
                        )
                    )
            if checked is not None:
                known |= FileOutcome.counts(checked.rows)
        if failure is not None:
            found.append(failure)
        read = FileOutcome(candidate, as_of=self.as_of, deadline=self.deadline, seconds=done.seconds, **known)
        if read.received_after and self.as_of is not None:
            found.append(
                problems.make(
                    ProblemCode.RECEIVED_AFTER_REPORT_DATE,
                    file=candidate.relative,
                    value=f"{read.received_found:%d/%m/%Y}",
                    report_date=f"{self.as_of:%d/%m/%Y}",
                )
            )
        judged = problems.with_rules(found, self.config.rules)
        status = (
            FileStatus.REJECTED if any(p.is_error and p.row is None for p in judged) else FileStatus.ACCEPTED
        )
        tables = read.tables
        if not judged:  # nothing to show the unit: the rows as typed are not needed
            tables = [replace(t, typed=[]) for t in tables]
        return replace(read, status=status, problems=judged, tables=tables)

    def _report_date(self, candidate: Candidate, typed: dt.date | None) -> list[Problem]:
        """A "Ngày báo cáo" after the run's date, or over a day after the file's own time,
        is not trusted for lateness: a warning, and the next source of the date is used."""
        if typed is None:
            return []
        file_day = candidate.modified.date()
        why = (
            "sau ngày lập báo cáo tổng hợp"
            if self.as_of and typed > self.as_of
            else "sau thời điểm tệp được lưu hơn một ngày"
            if self.file_times_tell and not candidate.email_date and typed > file_day + dt.timedelta(days=1)
            else ""
        )
        if not why:
            return []
        used = "ngày gửi thư" if candidate.email_date else f"thời điểm lưu tệp ({file_day:%d/%m/%Y})"
        return [
            problems.make(
                ProblemCode.REPORT_DATE_UNTRUSTED,
                file=candidate.relative,
                value=f"{typed:%d/%m/%Y}",
                why=why,
                used=used,
            )
        ]

    def _sender_problems(self, candidate: Candidate, unit: str | None) -> list[Problem]:
        """A workbook mailed from an address its unit has not registered: a warning."""
        sender = candidate.sender
        if not sender or unit is None:
            return []
        registered = [e.lower() for e in self.config.unit(unit).emails]
        if not registered or sender in registered:
            return []
        return [
            problems.make(
                ProblemCode.SENDER_UNREGISTERED,
                file=candidate.relative,
                value=sender,
                unit=self.config.unit(unit).name,
                registered=", ".join(registered),
            )
        ]


def _stem(candidate: Candidate) -> str:
    """The file's name as the unit gave it: an attachment's own, not the name we saved it as."""
    if candidate.attachment:
        return PurePosixPath(candidate.attachment.split(" › ")[-1].strip()).stem
    return discover.shown(candidate.path.stem)  # the evidence is written: never the raw bytes
