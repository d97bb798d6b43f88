"""The December run as one function: every stage in order, no user interface.

``aggregate`` does the work and returns data; ``outputs.write`` puts it on disk. One bad file
is rejected on its own: nothing a file holds can stop the run.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath

from aggregator import model, problems
from aggregator.checking.identify import UnitMatcher, identify
from aggregator.checking.validate import RowValidator
from aggregator.config import Config
from aggregator.intake import discover, mail
from aggregator.merging import continuity, merge, summarise
from aggregator.merging.register import DB_NAME, History
from aggregator.model import CandidateKind, FileOutcome, FileStatus, RunResult
from aggregator.outbox import swap as outbox_layout
from aggregator.pipeline import workers
from aggregator.problems import ProblemCode
from aggregator.reading.load import ReadRefused, load_sheets, locate, mark_uncalculated, repair_legacy_text
from aggregator.text import nfc

log = logging.getLogger("aggregator")
# entries whose own bytes are never read as a workbook (what they hold, if anything, comes apart)
NOT_READ = (CandidateKind.JUNK, CandidateKind.ATTACHMENT, CandidateKind.LINK, CandidateKind.EMAIL)
# wraps the outcomes as they come, given how many are coming (a progress bar, or nothing)
Progress = Callable[[Iterable[FileOutcome], int], Iterable[FileOutcome]]


class FileProcessor:
    """Reads, identifies and validates one file at a time for one year and period."""

    def __init__(self, config: Config, year: int, period: str, as_of: dt.date | None = None):
        self.config, self.year, self.period, self.as_of = config, year, period, as_of
        # whether the inbox files' own times say when each was saved (see file_times_tell)
        self.file_times_tell = True
        self.matcher = UnitMatcher(config)
        self.validator = RowValidator(config, year)

    def process(self, candidate: model.Candidate) -> FileOutcome:
        outcome = FileOutcome(candidate=candidate, problems=list(candidate.problems), as_of=self.as_of)
        if candidate.kind in NOT_READ:
            outcome.status = FileStatus.IGNORED
            return outcome
        if candidate.problems:
            return outcome
        try:
            self._read(outcome)
        except ReadRefused as refused:
            outcome.problems.append(refused.problem)
        except (KeyboardInterrupt, SystemExit):
            raise
        except MemoryError:
            outcome.problems.append(
                problems.make(
                    ProblemCode.FILE_OUT_OF_MEMORY,
                    file=candidate.relative,
                    technical="MemoryError",
                    limit=discover.megabytes(self.config.limits["max_worker_memory_bytes"]),
                )
            )
        except BaseException as exc:  # a file must never stop the run: record it and go on
            # (BaseException: a reader that panics raises PanicException, which is one)
            log.debug("unexpected error in %s\n%s", candidate.relative, traceback.format_exc())
            technical = f"{type(exc).__name__}: {exc}"
            outcome.problems.append(
                problems.make(
                    ProblemCode.FILE_UNREADABLE,
                    file=candidate.relative,
                    detail=technical[:160],
                    technical=technical,
                )
            )
            outcome.tables, outcome.rows = [], None
        outcome.status = FileStatus.REJECTED if outcome.file_errors else FileStatus.ACCEPTED
        if not outcome.problems:  # nothing to show the unit: the rows as typed are not needed
            for table in outcome.tables:
                table.rows = []
        return outcome

    def _read(self, outcome: FileOutcome) -> None:
        candidate, started = outcome.candidate, time.perf_counter()
        sheets = load_sheets(
            candidate.path,
            candidate.relative,
            self.config.limits,
            found=outcome.problems,
            kind=candidate.kind,
        )
        mark_uncalculated(sheets, candidate.path, candidate.kind)
        outcome.problems += repair_legacy_text(sheets, candidate.path, candidate.kind, candidate.relative)
        book = locate(sheets, self.config, candidate.relative)
        found = identify(
            book,
            self.matcher,
            candidate.relative,
            _stem(candidate),
            self.year,
            self.period,
            sender=None if candidate.bundled else candidate.sender,
        )
        outcome.problems += book.problems + found.problems
        outcome.unit, outcome.identified_by = found.unit, found.how
        outcome.identification = found.evidence
        self._check_sender(outcome)
        outcome.year, outcome.period, outcome.report_date = found.year, found.period, found.report_date
        self._check_report_date(outcome)
        outcome.tables, outcome.assessment = book.tables, book.assessment
        outcome.contact = {k: nfc(book.info[k]) for k in ("preparer", "phone", "email") if k in book.info}
        outcome.seconds["read"] = time.perf_counter() - started
        if book.tables:
            checked = self.validator.validate(book.tables, candidate.relative)
            outcome.seconds["validate"] = time.perf_counter() - started - outcome.seconds["read"]
            outcome.keep_rows(checked.rows)
            outcome.problems += checked.problems
            if not checked.rows:
                outcome.problems.append(
                    problems.make(ProblemCode.NO_ROWS, file=candidate.relative, sheet=book.tables[0].sheet)
                )

    def _check_report_date(self, outcome: FileOutcome) -> None:
        """A "Ngày báo cáo" after the run's date, or over a day after the file's own time,
        is not trusted for lateness: a warning, and the next source of the date is used."""
        typed, candidate = outcome.report_date, outcome.candidate
        if typed is None:
            return
        file_day = candidate.modified.date()
        why = (
            "sau ngày lập báo cáo tổng hợp"
            if self.as_of and typed > self.as_of
            else "sau thời điểm tệp được lưu hơn một ngày"
            if self.file_times_tell and not candidate.email_date and typed > file_day + dt.timedelta(days=1)
            else ""
        )
        if not why:
            return
        outcome.report_date_trusted = False
        used = "ngày gửi thư" if candidate.email_date else f"thời điểm lưu tệp ({file_day:%d/%m/%Y})"
        outcome.problems.append(
            problems.make(
                ProblemCode.REPORT_DATE_UNTRUSTED,
                file=candidate.relative,
                value=f"{typed:%d/%m/%Y}",
                why=why,
                used=used,
            )
        )

    def _check_sender(self, outcome: FileOutcome) -> None:
        """A workbook mailed from an address its unit has not registered: a warning."""
        sender, unit = outcome.candidate.sender, outcome.unit
        if not sender or unit is None:
            return
        registered = [e.lower() for e in self.config.unit(unit).emails]
        if registered and sender not in registered:
            outcome.problems.append(
                problems.make(
                    ProblemCode.SENDER_UNREGISTERED,
                    file=outcome.candidate.relative,
                    value=sender,
                    unit=self.config.unit(unit).name,
                    registered=", ".join(registered),
                )
            )


def _stem(candidate: model.Candidate) -> str:
    """The file's name as the unit gave it: an attachment's own, not the name we saved it as."""
    if candidate.attachment:
        return PurePosixPath(candidate.attachment.split("›")[-1].strip()).stem
    return candidate.path.stem


def aggregate(
    config: Config,
    inbox: Path,
    year: int,
    period: str,
    progress: Progress = lambda outcomes, total: outcomes,
    jobs: int = 1,
    lap: Callable[[str], None] = lambda stage: None,
    outbox: Path | None = None,
    scratch: Path | None = None,
    as_of: dt.date | None = None,
    history: History | None = None,
) -> RunResult:
    """Run every stage on the inbox for one year and period, and return what was found.

    ``jobs`` processes read files side by side; the result is the same for any number.
    ``lap`` is told as each stage ends: discover, read (and validate), merge, summarise.
    ``outbox``, when it is inside the inbox (or is it), is never read as input. Attachments
    are unpacked into ``scratch`` (the run's own temporary folder), else a system one.
    ``as_of`` is the run's report date: no file counts as received after it.
    ``history`` is the register of earlier periods (none: every model counts as new).
    """
    processor = FileProcessor(config, year, period, as_of)
    with tempfile.TemporaryDirectory(prefix="dienhinh-", dir=scratch) as workdir:
        items, emails, ignored = collect(inbox, Path(workdir), config, outbox)
        processor.file_times_tell = file_times_tell(items)
        lap("discover")
        read = workers.process_all(items, inbox, processor.process, config.limits, jobs, config.board_zone)
        outcomes = list(progress(read, len(items)))
        lap("read")
    deadline = config.deadline(year, period)
    statuses = merge.resolve(outcomes, config, deadline)
    history = history or History(year, period)
    tally = continuity.Tally(history, config.report.get("list_limit", 2000))
    continuity.assign(statuses, history, config, tally)  # one unit of the register at a time
    records = merge.accepted_records(statuses, config)
    comparison = tally.result(statuses)
    for outcome in outcomes:
        outcome.compact()
    lap("merge")
    summary = summarise.build(config, year, period, statuses, outcomes, records)
    summary["files"]["ignored"] += len(ignored)  # left alone by name: counted, never read
    summary["continuity"] = comparison.summary
    lap("summarise")
    return RunResult(
        config=config,
        year=year,
        period=model.Period(period),
        deadline=deadline,
        outcomes=outcomes,
        statuses=statuses,
        records=records,
        summary=summary,
        emails=emails,
        ignored=ignored,
        history=history,
        comparison=comparison,
    )


def collect(
    inbox: Path, workdir: Path, config: Config, outbox: Path | None = None, paths: list[Path] | None = None
) -> tuple[list[workers.Item], list[model.SavedEmail], list[model.Ignored]]:
    """Every entry to read, in inbox order: saved emails and zips give what they hold in their
    place; entries refused on sight come as candidates, so every entry has a fate.

    ``paths`` (entries below ``inbox``) instead of the whole inbox: ``check`` reads single files
    the way the run reads them, so the two always agree.
    """
    items: list[workers.Item] = []
    emails: list[model.SavedEmail] = []
    found = (
        discover.walk(inbox, skip=_own_outputs(inbox, outbox))
        if paths is None
        else discover.walk_paths(paths, inbox)
    )
    for entry in found.entries:
        if isinstance(entry, model.Candidate):
            items.append(entry)
            continue
        try:
            items += _unpacked(entry, inbox, workdir, config, emails)
        except Exception as exc:  # one entry never stops the run
            technical = f"{type(exc).__name__}: {exc}"
            items.append(
                discover.refused(
                    entry, entry.relative_to(inbox).as_posix(), "file_unreadable", detail=technical[:160]
                )
            )
    return items, emails, found.ignored


def _unpacked(
    path: Path, inbox: Path, workdir: Path, config: Config, emails: list[model.SavedEmail]
) -> list[workers.Item]:
    """A saved email's attachments, a zip's files (each container in a folder of its own),
    or the file itself."""
    if mail.is_email(path):
        folder = workdir / f"thu-{len(emails) + 1:05d}"
        folder.mkdir()
        record, attached = mail.unpack(path, inbox, folder, config.limits, config.board_zone)
        emails.append(record)
        books = [
            c
            for c in attached
            if isinstance(c, model.Candidate) and c.kind not in (CandidateKind.JUNK, CandidateKind.ATTACHMENT)
        ]
        for candidate in books if len(books) > 1 else []:
            candidate.bundled = True  # one email, several units' workbooks: no sender evidence
        return list(attached)
    if mail.is_plain_zip(path):
        folder = Path(tempfile.mkdtemp(prefix="nen-", dir=workdir))
        record, inside = mail.unpack_archive(path, inbox, folder, config.limits, config.board_zone)
        if record.sha256:
            emails.append(record)  # the zip's own hash: what its files are checked through
        return list(inside)
    return [path]


COPIED_WITHIN = 120  # seconds: inbox files all saved within this were copied as one folder


def file_times_tell(items: list[workers.Item]) -> bool:
    """Whether the inbox files' own times say when each was saved. A folder copied as a whole
    (a checkout, an unzipped download, a copy that does not keep times) gives every file the
    time of the copy: then a file's time is no evidence against its "Ngày báo cáo"."""
    times = []
    for item in items:
        if isinstance(item, Path):
            try:
                times.append(item.stat().st_mtime)
            except OSError:
                continue
    return len(times) < 3 or max(times) - min(times) > COPIED_WITHIN


def _own_outputs(inbox: Path, outbox: Path | None) -> tuple[Path, ...]:
    """The folders of this program's outputs found in the inbox: never read as input."""
    if outbox is None:
        return ()
    inbox, outbox = Path(os.path.abspath(inbox)), Path(os.path.abspath(outbox))
    if outbox != inbox and inbox in outbox.parents:
        return (outbox,)
    if outbox == inbox:  # run folders (a manifest and its sums), the archive, temp folders
        own = [
            p
            for p in inbox.iterdir()
            if p.is_dir()
            and not p.is_symlink()
            and (
                (p / "manifest.json").is_file()
                or p.name in (outbox_layout.ARCHIVE, "templates")
                or p.name.startswith(".")
            )
        ]
        register_files = [p for p in inbox.glob(f"{DB_NAME}*") if p.is_file()]
        return (*own, *register_files, inbox / outbox_layout.RUN_LOG, inbox / outbox_layout.LOCK_NAME)
    return ()
