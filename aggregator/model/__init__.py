"""The data that passes between the stages, and the closed sets of values it carries.

Every stage takes and returns these types; none of them does any work beyond small views of
its own fields. The stages, in order: intake (``Candidate``, ``SavedEmail``, ``Ignored``) →
reading (``Sheet``, ``ListTable``, ``WorkbookRead``) → checking (``Problem``, ``Record``) →
merging (``FileOutcome``, ``UnitStatus``) → the run (``RunResult``), which rendering and the outbox
take. The Enums are ``str`` Enums: their values are what ``summary.json``, the manifest and the
register have always held.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from aggregator.model.record import LINEAGE as LINEAGE  # the record, from its own module
from aggregator.model.record import MATCH_KEY as MATCH_KEY
from aggregator.model.record import SOURCE as SOURCE
from aggregator.model.record import TYPED as TYPED
from aggregator.model.record import Record as Record
from aggregator.model.record import RecordColumns as RecordColumns
from aggregator.model.record import frame_columns as frame_columns
from aggregator.model.record import record_columns as record_columns
from aggregator.model.record import shared_texts
from aggregator.problems import Problem

if TYPE_CHECKING:  # types only
    import pandas as pd

    from aggregator.config import Config


class Period(StrEnum):
    ANNUAL = "annual"
    HALF_YEAR = "half_year"


class CandidateKind(StrEnum):
    """What an inbox entry turned out to be, from its bytes (never its name alone)."""

    XLSX = "xlsx"  # Office Open XML workbook (.xlsx, .xlsm)
    XLS = "xls"  # Excel 97-2003
    ODS = "ods"  # OpenDocument spreadsheet
    OTHER = "other"  # not a workbook we read, or refused on sight: its problems say why
    JUNK = "junk"  # a lock file or system file: ignored
    ATTACHMENT = "attachment"  # an email's attachment that is not a workbook (a cover letter)
    LINK = "link"  # a symbolic link: never followed
    EMAIL = "email"  # a saved email: what it holds comes as candidates of their own


class FileStatus(StrEnum):
    """What became of one file."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"  # acceptable, but the unit sent a newer one
    IGNORED = "ignored"


class Submission(StrEnum):
    """A unit's standing for the period."""

    ON_TIME = "on_time"
    LATE = "late"
    MISSING = "missing"  # nothing arrived
    REJECTED = "rejected"  # files arrived, none usable


@dataclass(frozen=True)
class Candidate:
    """One inbox entry (a file, or one an email or zip held) as intake found it, read once."""

    path: Path
    relative: str  # its stable path, as the manifest shows it
    size: int
    sha256: str
    modified: dt.datetime
    kind: CandidateKind = CandidateKind.OTHER  # from its bytes
    problems: tuple[Problem, ...] = ()  # why it is refused on sight (never read)
    email: str | None = None  # the saved email it came attached to (inbox-relative)
    email_date: dt.datetime | None = None
    sender: str | None = None
    attachment: str | None = None  # the attachment's name as sent: displayed, never a path
    bundled: bool = False  # its email carried other workbooks too: the sender speaks for none
    own_time: float | None = None  # an inbox file read as itself: its time, as the disk keeps it


# A file of this name at the top of an inbox marks its files as sample data (examples/inbox):
# the report made from it says plainly that it is a sample, never the Board's own.
SAMPLE_MARKER = "du-lieu-mau.txt"


@dataclass
class Ignored:
    """An inbox entry left alone, never opened: recognised by its name, or by its SHA-256 as an
    input of an earlier period (``earlier``: that period's folder); why, in Vietnamese."""

    relative: str
    reason: str
    sha256: str = ""  # only for an entry known by its hash
    size: int = 0
    earlier: str = ""  # the earlier period folder whose manifest lists it, e.g. "2025"


@dataclass
class SavedEmail:
    """One saved email: who sent it, when, and what was attached."""

    relative: str
    sha256: str
    size: int
    sender: str = ""
    date: dt.datetime | None = None
    subject: str = ""
    attachments: list[str] = field(default_factory=list)
    error: str = ""
    saved: dt.datetime = dt.datetime(2000, 1, 1)  # when the email file was saved (its mtime)


@dataclass(frozen=True)
class Uncalculated:
    """A formula cell saved without its value (by a tool that never calculated it)."""

    formula: str

    def __str__(self) -> str:
        return self.formula


@dataclass
class Sheet:
    name: str
    visible: bool
    rows: list[list[Any]]


@dataclass
class ListTable:
    """One sheet's list of models: where its header is, its columns and its data rows."""

    sheet: str
    header_row: int  # 1-based row of the (last) header line
    columns: dict[str, int]  # column key -> 0-based index
    typed: list[dict[str, Any]]  # the rows as typed: raw values by column key, and "row" (1-based)
    count: int = 0  # data rows read (kept when the rows themselves are let go)
    # model codes of rows emptied of their model on purpose (pre-filled workbook: "stopped")
    stopped: list[str] = field(default_factory=list)
    # sheet rows under the header that are no rows of the list: totals, the signature block
    left_out: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.count = self.count or len(self.typed)


@dataclass
class WorkbookRead:
    """What one workbook holds, located but not yet judged."""

    tables: list[ListTable] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    assessment: dict[str, str] = field(default_factory=dict)
    title: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass
class FileOutcome:
    """Everything the run learnt about one input file, and what became of it.

    Compared by what it holds, found in a dict by which file it is: two entries may share a
    path (one email, two attachments named alike), so a stage that gives back a new outcome for
    a file finds that file's place by the object itself, in one look-up, never by a scan.
    """

    __hash__ = object.__hash__

    candidate: Candidate
    status: FileStatus = FileStatus.REJECTED
    unit: str | None = None
    identified_by: str = ""
    identification: dict[str, Any] = field(default_factory=dict)  # evidence, units that came close
    year: int | None = None
    period: Period | None = None
    report_date: dt.date | None = None
    tables: list[ListTable] = field(default_factory=list)  # the rows as typed, per sheet
    rows: tuple[Record, ...] | None = None  # every data row read, as validation judged it
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
    deadline: dt.date | None = None  # the period's: the run's date never carries a file across it

    @property
    def received(self) -> dt.date:
        """The email's date, else the report date in the workbook, else the file's time. In
        the report's run (``deadline`` set) that date stands even after the run's own date: the
        contradiction is warned of (``received_after``) and the report shows the date found, so
        a late file stays late and is dated as it came. Elsewhere (``status``, as of today) a
        date in the future is a clock's error: today."""
        found = self.received_found
        if self.as_of is None or found <= self.as_of or self.deadline is not None:
            return found
        return self.as_of

    @property
    def received_found(self) -> dt.date:
        """The date its source gives, before the run's own date bounds it."""
        if self.candidate.email_date:
            return self.candidate.email_date.date()
        if self.report_date and self.report_date_trusted:
            return self.report_date
        return self.candidate.modified.date()

    @property
    def received_after(self) -> bool:
        """Received after the run's own date: a contradiction (a report dated before a file
        it counts), said to staff and on the file."""
        return self.as_of is not None and self.received_found > self.as_of

    @property
    def received_source(self) -> str:
        if self.candidate.email_date:
            return "email"
        return "report_date" if self.report_date and self.report_date_trusted else "modified"

    def __getstate__(self) -> dict[str, Any]:
        """Its fields as they travel between processes (a reading worker sends it to the run),
        the rows' repeated texts each once (``shared_texts``): pickled once, read back as one
        object (the outcome itself is left as it was)."""
        state = dict(self.__dict__)
        if self.rows:
            state["rows"] = shared_texts(self.rows)
        return state

    @staticmethod
    def counts(rows: tuple[Record, ...]) -> dict[str, Any]:
        """The fields a file's rows set: the rows, how many were read, how many count."""
        return {"rows": rows, "rows_read": len(rows), "rows_valid": sum(1 for r in rows if r.accepted)}

    def compacted(self) -> FileOutcome:
        """The outcome without the parsed rows of a file with nothing to fix: only their counts
        are needed (the outcome itself is left as it was).

        The feedback workbooks and the list of rejected rows show rows again, and only for
        files with problems; the accepted records of the file in use are already merged. (The
        rows as typed of such a file are let go as soon as it is read: ``FileProcessor``.)
        """
        if self.rows is not None and (
            not self.problems or (self.rows_invalid == 0 and not any(t.typed for t in self.tables))
        ):
            return replace(self, rows=None)  # (warnings found later, across periods, need no rows shown)
        return self

    @property
    def rows_invalid(self) -> int:
        return self.rows_read - self.rows_valid

    @property
    def rows_counted(self) -> int:
        return self.rows_valid if self.status == FileStatus.ACCEPTED else 0

    @property
    def file_errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error and p.row is None]


@dataclass
class UnitStatus:
    code: str
    name: str
    group: str
    quota: int
    status: Submission
    received: dt.date | None = None
    used: FileOutcome | None = None
    files: list[FileOutcome] = field(default_factory=list)

    @property
    def models(self) -> int:
        return self.used.rows_valid if self.used else 0

    @property
    def waiting(self) -> bool:
        """Nothing usable received yet: missing, or every file it sent rejected."""
        return self.status in (Submission.MISSING, Submission.REJECTED)

    @property
    def meets_quota(self) -> bool:
        return self.models >= self.quota


class Entry(NamedTuple):
    """One record of an earlier period, as the comparisons need it."""

    year: int
    period: str
    code: str
    unit: str
    field: int
    name: str
    name_key: str
    status: str | None
    stage: str | None
    replications: int | None
    year_built: int | None


@dataclass
class Comparison:
    """Model by model, how this period continues the compared one (for summary and report)."""

    summary: dict[str, Any] | None
    dropped: list[Entry]  # of units that reported this period
    honoured: list[dict[str, Any]]  # records that reached the last stage this period
    advanced: list[tuple[dict[str, Any], Entry]]
    between: int = 0  # of those continuing none, records of a period since the compared one


class OtherPeriodsView(Protocol):
    """What the outputs read of the register of earlier periods (``register_reading.OtherPeriods``)."""

    others: int  # periods besides this one
    trend: dict[int, int]  # year -> models, of this kind of period, up to now

    def periods_of(self, now: Iterable[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
        """Every period each of these codes appears in, in time order, this one included."""
        ...


@dataclass
class RunResult:
    """What one run found: files, units, records and figures, ready to be written."""

    config: Config
    year: int
    period: Period
    deadline: dt.date
    outcomes: list[FileOutcome]
    statuses: list[UnitStatus]
    records: pd.DataFrame
    summary: dict[str, Any]
    options: dict[str, Any] = field(default_factory=dict)
    emails: list[SavedEmail] = field(default_factory=list)
    staff_notes: list[str] = field(default_factory=list)  # what staff should do: terminal, manifest
    ignored: list[Ignored] = field(default_factory=list)  # left alone by name
    sample: bool = False  # the inbox is marked as sample data (SAMPLE_MARKER): the report says so
    # across periods: the register as it was before this run, and how this period continues it
    other_periods: OtherPeriodsView | None = None
    comparison: Comparison | None = None
