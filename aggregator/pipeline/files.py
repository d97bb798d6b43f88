"""One file's path through the stages, in order: load → legacy text → locate → validate → identify.

Each stage is called with what the stages before it returned and returns its own result; the
file's ``FileOutcome`` is assembled once, from those results, at the end. A file that cannot
be read is rejected on its own, with the file-level problems the stages found before it failed
(its rows, and their problems, are not kept): nothing a file holds stops the run.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import traceback
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath

from aggregator import problems
from aggregator.checking.identify import Identity, UnitMatcher, identify
from aggregator.checking.validate import RowValidator, Validated
from aggregator.config import Config
from aggregator.intake import discover
from aggregator.model import Candidate, CandidateKind, FileOutcome, FileStatus, WorkbookRead
from aggregator.problems import Problem, ProblemCode
from aggregator.reading import legacy
from aggregator.reading.load import ReadRefused, load_sheets, mark_uncalculated
from aggregator.reading.locate import locate
from aggregator.text import as_text

log = logging.getLogger("aggregator")
# entries whose own bytes are never read as a workbook (what they hold, if anything, comes apart)
NOT_READ = (CandidateKind.JUNK, CandidateKind.ATTACHMENT, CandidateKind.LINK, CandidateKind.EMAIL)
CONTACT = ("preparer", "phone", "email")  # the unit's contact, from its information sheet


@dataclass
class _Done:
    """What the stages of one file returned so far (a stage that failed leaves the rest unset)."""

    found: list[Problem] = field(default_factory=list)  # loading's and legacy text's problems
    book: WorkbookRead | None = None
    checked: Validated | None = None
    identity: Identity | None = None
    sender: list[Problem] = field(default_factory=list)  # an address the unit has not registered
    dated: list[Problem] = field(default_factory=list)  # why the report date is not trusted
    seconds: dict[str, float] = field(default_factory=dict)


class FileProcessor:
    """The per-file stages for one year and period: one call of ``process`` per inbox entry."""

    def __init__(
        self,
        config: Config,
        year: int,
        period: str,
        as_of: dt.date | None = None,
        late_stays_late: bool = False,
    ):
        self.config, self.year, self.period, self.as_of = config, year, period, as_of
        # the report's date (``run``) never carries a file received after the deadline before
        # it; "today" (``status``) does: a date after today is the clock's error, not lateness
        self.deadline = config.deadline(year, period) if late_stays_late else None
        # whether the inbox files' own times say when each was saved (see run.file_times_tell)
        self.file_times_tell = True
        self.matcher = UnitMatcher(config)
        self.validator = RowValidator(config, year)

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
        done = _Done()
        failure = None
        try:
            self._stages(candidate, done)
        except ReadRefused as refused:
            failure = refused.problem
        except (KeyboardInterrupt, SystemExit):
            raise
        except MemoryError:
            limit = discover.megabytes(self.config.limits["max_worker_memory_bytes"])
            failure = problems.make(
                ProblemCode.FILE_OUT_OF_MEMORY, file=candidate.relative, technical="MemoryError", limit=limit
            )
        except BaseException as exc:  # a file must never stop the run: record it and go on
            # (BaseException: a reader that panics raises PanicException, which is one)
            log.debug("unexpected error in %s\n%s", candidate.relative, traceback.format_exc())
            technical = f"{type(exc).__name__}: {exc}"
            failure = problems.make(
                ProblemCode.FILE_UNREADABLE,
                file=candidate.relative,
                detail=technical[:160],
                technical=technical,
            )
        return self._outcome(candidate, done, failure)

    def _stages(self, candidate: Candidate, done: _Done) -> None:
        """The stages, in order, each given what the ones before it returned."""
        path, relative, kind = candidate.path, candidate.relative, candidate.kind
        started = time.perf_counter()
        sheets = load_sheets(path, relative, self.config.limits, found=done.found, kind=kind)
        mark_uncalculated(sheets, path, kind)
        done.found += legacy.repair_sheets(sheets, path, kind, relative)
        done.book = book = locate(sheets, self.config, relative)
        done.seconds["read"] = time.perf_counter() - started
        if book.tables:
            done.checked = self.validator.validate(book.tables, relative)
            done.seconds["validate"] = time.perf_counter() - started - done.seconds["read"]
        sender = None if candidate.bundled else candidate.sender
        done.identity = identity = identify(
            book, self.matcher, relative, _stem(candidate), self.year, self.period, sender=sender
        )
        done.sender = self._sender_problems(candidate, identity.unit)
        done.dated = self._report_date(candidate, identity.report_date)
        done.seconds["identify"] = time.perf_counter() - started - sum(done.seconds.values())

    def _outcome(self, candidate: Candidate, done: _Done, failure: Problem | None) -> FileOutcome:
        """The file's outcome from the stages' results: its problems file-level first (in the
        order the stages found them), then its rows'."""
        book, identity, checked = done.book, done.identity, done.checked
        found = [*done.found, *(book.problems if book else [])]
        outcome = FileOutcome(candidate, as_of=self.as_of, deadline=self.deadline, seconds=done.seconds)
        if identity is not None:
            outcome.unit, outcome.identified_by, outcome.identification = (
                identity.unit,
                identity.how,
                identity.evidence,
            )
            outcome.year, outcome.period, outcome.report_date = (
                identity.year,
                identity.period,
                identity.report_date,
            )
            outcome.report_date_trusted = not done.dated
            found += [*identity.problems, *done.sender, *done.dated]
        if failure is None and book is not None:
            outcome.assessment = book.assessment
            outcome.contact = {k: as_text(book.info[k]) for k in CONTACT if k in book.info}
            outcome.tables = book.tables
            # another period's report: its rows were never meant for this period's rules, and
            # the unit is told only that (never to correct last year's rows for this year)
            other_period = identity is not None and any(
                p.code in (ProblemCode.YEAR_MISMATCH, ProblemCode.PERIOD_MISMATCH) for p in identity.problems
            )
            if checked is not None and other_period:
                outcome.keep_rows(checked.rows)
            elif checked is not None:
                found += checked.problems
                if not checked.rows:
                    found.append(
                        problems.make(
                            ProblemCode.NO_ROWS, file=candidate.relative, sheet=book.tables[0].sheet
                        )
                    )
                outcome.keep_rows(checked.rows)
        if failure is not None:
            found.append(failure)
        if outcome.received_after and self.as_of is not None:
            found.append(
                problems.make(
                    ProblemCode.RECEIVED_AFTER_REPORT_DATE,
                    file=candidate.relative,
                    value=f"{outcome.received_found:%d/%m/%Y}",
                    report_date=f"{self.as_of:%d/%m/%Y}",
                )
            )
        outcome.problems = problems.with_rules(found, self.config.rules)
        outcome.status = FileStatus.REJECTED if outcome.file_errors else FileStatus.ACCEPTED
        if not outcome.problems:  # nothing to show the unit: the rows as typed are not needed
            outcome.tables = [replace(t, typed=[]) for t in outcome.tables]
        return outcome

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
