"""The December run as one function: every stage in order, no user interface.

``aggregate`` does the work and returns data; ``outputs.write`` puts it on disk. One bad file
is rejected on its own: nothing a file holds can stop the run.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from . import continuity, discover, mail, merge, problems, summarise, workers
from .config import Config
from .identify import UnitMatcher, identify
from .merge import ACCEPTED, IGNORED, REJECTED, FileOutcome, UnitStatus
from .register import History
from .read import ReadRefused, load_sheets, locate, mark_uncalculated, repair_legacy_text
from .text import nfc
from .validate import RowValidator

log = logging.getLogger("aggregator")
# wraps the outcomes as they come, given how many are coming (a progress bar, or nothing)
Progress = Callable[[Iterable[FileOutcome], int], Iterable[FileOutcome]]


@dataclass
class RunResult:
    """What one run found: files, units, records and figures, ready to be written."""

    config: Config
    year: int
    period: str
    deadline: dt.date
    outcomes: list[FileOutcome]
    statuses: list[UnitStatus]
    records: pd.DataFrame
    summary: dict[str, Any]
    options: dict[str, Any] = field(default_factory=dict)
    emails: list[mail.SavedEmail] = field(default_factory=list)
    # across periods: the register as it was before this run, and how this period continues it
    history: History | None = None
    comparison: continuity.Comparison | None = None


class FileProcessor:
    """Reads, identifies and validates one file at a time for one year and period."""

    def __init__(self, config: Config, year: int, period: str):
        self.config, self.year, self.period = config, year, period
        self.matcher = UnitMatcher(config)
        self.validator = RowValidator(config, year)

    def process(self, candidate: discover.Candidate) -> FileOutcome:
        outcome = FileOutcome(candidate=candidate, problems=list(candidate.problems))
        if candidate.kind in ("junk", "attachment"):
            outcome.status = IGNORED
            return outcome
        if candidate.problems:
            return outcome
        try:
            self._read(outcome)
        except ReadRefused as refused:
            outcome.problems.append(refused.problem)
        except Exception as exc:  # a file must never stop the run: record it and go on
            log.debug("unexpected error in %s\n%s", candidate.relative, traceback.format_exc())
            outcome.problems.append(problems.make("file_unreadable", file=candidate.relative,
                                                  detail=f"{type(exc).__name__}: {exc}"[:160]))
        outcome.status = REJECTED if outcome.file_errors else ACCEPTED
        if not outcome.problems:  # nothing to show the unit: the rows as typed are not needed
            for table in outcome.tables:
                table.rows = []
        return outcome

    def _read(self, outcome: FileOutcome) -> None:
        candidate, started = outcome.candidate, time.perf_counter()
        sheets = load_sheets(candidate.path, candidate.relative, self.config.limits)
        mark_uncalculated(sheets, candidate.path, candidate.kind)
        outcome.problems += repair_legacy_text(sheets, candidate.path, candidate.kind,
                                               candidate.relative)
        book = locate(sheets, self.config, candidate.relative)
        found = identify(book, self.matcher, candidate.relative, candidate.path.stem,
                         self.year, self.period)
        outcome.problems += book.problems + found.problems
        outcome.unit, outcome.identified_by = found.unit, found.how
        self._check_sender(outcome)
        outcome.year, outcome.period, outcome.report_date = found.year, found.period, found.report_date
        outcome.tables, outcome.assessment = book.tables, book.assessment
        outcome.contact = {k: nfc(book.info[k]) for k in ("preparer", "phone", "email")
                           if k in book.info}
        outcome.seconds["read"] = time.perf_counter() - started
        if book.tables:
            checked = self.validator.validate(book.tables, candidate.relative)
            outcome.seconds["validate"] = time.perf_counter() - started - outcome.seconds["read"]
            outcome.keep_rows(checked.rows)
            outcome.problems += checked.problems
            if not checked.rows:
                outcome.problems.append(problems.make("no_rows", file=candidate.relative,
                                                      sheet=book.tables[0].sheet))


    def _check_sender(self, outcome: FileOutcome) -> None:
        """A workbook mailed from an address its unit has not registered: a warning."""
        sender, unit = outcome.candidate.sender, outcome.unit
        if not sender or unit is None:
            return
        registered = [e.lower() for e in self.config.unit(unit).emails]
        if registered and sender not in registered:
            outcome.problems.append(problems.make(
                "sender_unregistered", file=outcome.candidate.relative, value=sender,
                unit=self.config.unit(unit).name, registered=", ".join(registered)))


def aggregate(config: Config, inbox: Path, year: int, period: str,
              progress: Progress = lambda outcomes, total: outcomes, jobs: int = 1,
              lap: Callable[[str], None] = lambda stage: None,
              history: History | None = None) -> RunResult:
    """Run every stage on the inbox for one year and period, and return what was found.

    ``jobs`` processes read files side by side; the result is the same for any number.
    ``lap`` is told as each stage ends: discover, read (and validate), merge, summarise.
    ``history`` is the register of earlier periods (none: every model counts as new).
    """
    processor = FileProcessor(config, year, period)
    with tempfile.TemporaryDirectory(prefix="dienhinh-") as workdir:
        items, emails = _collect(inbox, Path(workdir), config)
        lap("discover")
        read = workers.process_all(items, inbox, processor.process, config.limits, jobs)
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
    summary["continuity"] = comparison.summary
    lap("summarise")
    return RunResult(config=config, year=year, period=period, deadline=deadline,
                     outcomes=outcomes, statuses=statuses, records=records, summary=summary,
                     emails=emails, history=history, comparison=comparison)


def _collect(inbox: Path, workdir: Path, config: Config
             ) -> tuple[list[workers.Item], list[mail.SavedEmail]]:
    """Every file to read, in inbox order: saved emails give their attachments in their place."""
    items: list[workers.Item] = []
    emails: list[mail.SavedEmail] = []
    for path in discover.find_files(inbox):
        if mail.is_email(path):  # each email's attachments in a folder of their own
            folder = workdir / f"thu-{len(emails) + 1:05d}"
            folder.mkdir()
            record, attached = mail.unpack(path, inbox, folder, config.limits)
            emails.append(record)
            items += attached
        else:
            items.append(path)
    return items, emails
