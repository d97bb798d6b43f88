"""Stage 5: decide each file's fate and each unit's status; merge the accepted records.

When a unit sent several acceptable files for the period, the latest one (report date, else
modification time) is used and the others are superseded, kept in the audit trail.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from aggregator import problems
from aggregator.checking.validate import records_frame, rows_frame
from aggregator.config import Config
from aggregator.intake.discover import Candidate
from aggregator.problems import Problem
from aggregator.reading.load import ListTable

ACCEPTED, REJECTED, SUPERSEDED, IGNORED = "accepted", "rejected", "superseded", "ignored"


@dataclass
class FileOutcome:
    """Everything the run learnt about one input file, and what became of it."""

    candidate: Candidate
    status: str = REJECTED
    unit: str | None = None
    identified_by: str = ""
    identification: dict[str, Any] = field(default_factory=dict)  # evidence, units that came close
    year: int | None = None
    period: str | None = None
    report_date: dt.date | None = None
    tables: list[ListTable] = field(default_factory=list)  # the rows as typed, per sheet
    rows: list[dict[str, Any]] | None = None  # every data row read, parsed, with "accepted"
    rows_read: int = 0
    rows_valid: int = 0  # rows with no error (counted only if this file is the one used)
    problems: list[Problem] = field(default_factory=list)
    assessment: dict[str, str] = field(default_factory=dict)
    contact: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)  # time spent per stage, for benchmarks
    # a "Ngày báo cáo" after the run's date or well after the file's own time is shown, but
    # not used as the date received
    report_date_trusted: bool = True
    as_of: dt.date | None = None  # the run's report date: nothing is received after it

    @property
    def received(self) -> dt.date:
        """The email's date, else the report date in the workbook, else the file's time
        (never later than the run's own date: a file is not received in the future)."""
        if self.candidate.email_date:
            found = self.candidate.email_date.date()
        elif self.report_date and self.report_date_trusted:
            found = self.report_date
        else:
            found = self.candidate.modified.date()
        return min(found, self.as_of) if self.as_of else found

    @property
    def received_source(self) -> str:
        if self.candidate.email_date:
            return "email"
        return "report_date" if self.report_date and self.report_date_trusted else "modified"

    @property
    def records(self) -> pd.DataFrame | None:
        """The parsed rows as a frame (for people and tests; the pipeline reads ``rows``)."""
        return None if self.rows is None else rows_frame(self.rows)

    def keep_rows(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        self.rows_read = len(rows)
        self.rows_valid = sum(1 for r in rows if r["accepted"])

    def compact(self) -> None:
        """Let go of the parsed rows of a file with nothing to fix: only their counts are needed.

        The feedback workbooks and the list of rejected rows show rows again, and only for
        files with problems; the accepted records of the file in use are already merged. (The
        rows as typed of such a file are let go as soon as it is read: ``FileProcessor``.)
        """
        if not self.problems or (self.rows_invalid == 0 and not any(t.rows for t in self.tables)):
            self.rows = None  # (warnings found later, across periods, need no rows shown)

    @property
    def rows_invalid(self) -> int:
        return self.rows_read - self.rows_valid

    @property
    def rows_counted(self) -> int:
        return self.rows_valid if self.status == ACCEPTED else 0

    @property
    def file_errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error and p.row is None]


@dataclass
class UnitStatus:
    code: str
    name: str
    group: str
    quota: int
    status: str  # on_time | late | missing | rejected
    received: dt.date | None = None
    used: FileOutcome | None = None
    files: list[FileOutcome] = field(default_factory=list)

    @property
    def models(self) -> int:
        return self.used.rows_valid if self.used else 0

    @property
    def meets_quota(self) -> bool:
        return self.models >= self.quota


def resolve(outcomes: list[FileOutcome], config: Config, deadline: dt.date) -> list[UnitStatus]:
    """Mark superseded files and give every unit of the registry its status, in order."""
    by_unit: dict[str, list[FileOutcome]] = {}
    for outcome in outcomes:
        if outcome.unit is not None and outcome.status != IGNORED:
            by_unit.setdefault(outcome.unit, []).append(outcome)
    statuses = []
    for unit in config.units:
        files = by_unit.get(unit.code, [])
        status = UnitStatus(
            code=unit.code,
            name=unit.name,
            group=unit.group,
            quota=unit.quota,
            status="missing" if not files else "rejected",
            files=files,
        )
        usable = sorted((f for f in files if f.status == ACCEPTED), key=_recency)
        if usable:
            _supersede(usable)
            status.used = usable[-1]
            status.received = min(f.received for f in usable)
            status.status = "on_time" if status.received <= deadline else "late"
        statuses.append(status)
    return statuses


def _recency(outcome: FileOutcome) -> tuple[Any, ...]:
    sent = outcome.candidate.email_date or dt.datetime.combine(outcome.received, dt.time())
    return (outcome.received, sent, outcome.candidate.modified, outcome.candidate.relative)


def _supersede(usable: list[FileOutcome]) -> None:
    """The newest file is used. Two files equally new (same date and time by every source)
    are a tie: the rule is the later path in sort order, and both files say so."""
    newest = usable[-1]
    if len(usable) > 1 and _recency(usable[-2])[:3] == _recency(newest)[:3]:
        tied = usable[-2]
        for one, other in ((newest, tied), (tied, newest)):
            one.problems.append(
                problems.make("file_tie", file=one.candidate.relative, other=other.candidate.relative)
            )
    for older in usable[:-1]:
        older.status = SUPERSEDED
        older.problems.append(
            problems.make("file_superseded", file=older.candidate.relative, newer=newest.candidate.relative)
        )


def accepted_records(statuses: list[UnitStatus], config: Config) -> pd.DataFrame:
    """Every accepted record of every unit's file in use, with its lineage."""
    keys = [c.key for c in config.columns]
    columns = ["unit", "file", "sha256", "sheet", "row", *keys, "name_key"]
    rows = []
    for status in statuses:
        used = status.used
        if used is None or not used.rows:
            continue
        lineage = {"unit": status.code, "file": used.candidate.relative, "sha256": used.candidate.sha256}
        rows += [lineage | row for row in used.rows if row["accepted"]]
    return records_frame(rows, columns)
