"""Merging: decide each file's fate and each unit's status (``resolve``); merge the accepted
records of the files in use (``accepted_records``).

When a unit sent several acceptable files for the period, the latest one received (the email's
date, else the trusted report date, else the file's time) is used and the others are
superseded, kept in the audit trail.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pandas as pd

from aggregator import problems
from aggregator.config import Config
from aggregator.model import FileOutcome, FileStatus, RecordColumns, Submission, UnitStatus, frame_columns
from aggregator.problems import Problem, ProblemCode


def resolve(
    outcomes: list[FileOutcome], config: Config, deadline: dt.date
) -> tuple[list[FileOutcome], list[UnitStatus]]:
    """Each file's fate and each unit's status, in registry order.

    The outcomes come back in the same order: a file superseded or tied is a new outcome that
    says so; every other is the file as its stages left it (those given are left as they were).
    """
    decided: dict[str, FileOutcome] = {}  # by the entry's path
    for files in _by_unit(outcomes).values():
        decided |= _supersede(sorted((f for f in files if f.status == FileStatus.ACCEPTED), key=_recency))
    merged = [decided.get(o.candidate.relative, o) for o in outcomes]
    by_unit = _by_unit(merged)
    return merged, [_status(unit, by_unit.get(unit.code, []), deadline) for unit in config.units]


def _status(unit: Any, files: list[FileOutcome], deadline: dt.date) -> UnitStatus:
    """A unit's standing: the file it uses, when its first usable file came, on time or late."""
    usable = [f for f in files if f.status in (FileStatus.ACCEPTED, FileStatus.SUPERSEDED)]
    in_use = [f for f in usable if f.status == FileStatus.ACCEPTED]
    received = min(f.received for f in usable) if in_use else None
    return UnitStatus(
        code=unit.code,
        name=unit.name,
        group=unit.group,
        quota=unit.quota,
        status=Submission.MISSING
        if not files
        else Submission.REJECTED
        if received is None
        else Submission.ON_TIME
        if received <= deadline
        else Submission.LATE,
        received=received,
        used=in_use[0] if in_use else None,
        files=files,
    )


def _by_unit(outcomes: list[FileOutcome]) -> dict[str, list[FileOutcome]]:
    """The files credited to each unit, in inbox order (ignored entries are no unit's)."""
    by_unit: dict[str, list[FileOutcome]] = {}
    for outcome in outcomes:
        if outcome.unit is not None and outcome.status != FileStatus.IGNORED:
            by_unit.setdefault(outcome.unit, []).append(outcome)
    return by_unit


def _recency(outcome: FileOutcome) -> tuple[Any, ...]:
    sent = outcome.candidate.email_date or dt.datetime.combine(outcome.received, dt.time())
    return (outcome.received, sent, outcome.candidate.modified, outcome.candidate.relative)


def _supersede(usable: list[FileOutcome]) -> dict[str, FileOutcome]:
    """The newest file is used, the others superseded: the files decided anew, by their entry's
    path. Two files equally new (same date and time by every source) are a tie: the rule is the
    later path in sort order, and both files say so."""
    if len(usable) < 2:
        return {}
    newest = usable[-1]
    found: dict[str, list[Problem]] = {}
    if _recency(usable[-2])[:3] == _recency(newest)[:3]:
        tied = usable[-2]
        for one, other in ((newest, tied), (tied, newest)):
            found.setdefault(one.candidate.relative, []).append(
                problems.make(
                    ProblemCode.FILE_TIE, file=one.candidate.relative, other=other.candidate.relative
                )
            )
    for older in usable[:-1]:
        found.setdefault(older.candidate.relative, []).append(
            problems.make(
                ProblemCode.FILE_SUPERSEDED, file=older.candidate.relative, newer=newest.candidate.relative
            )
        )
    return {
        o.candidate.relative: replace(
            o,
            status=o.status if o is newest else FileStatus.SUPERSEDED,
            problems=[*o.problems, *found[o.candidate.relative]],
        )
        for o in usable
        if o.candidate.relative in found
    }


def accepted_records(statuses: list[UnitStatus], config: Config) -> pd.DataFrame:
    """Every accepted record of every unit's file in use, with its lineage (the columns as
    ``model.frame_columns`` declares them)."""
    columns = frame_columns(RecordColumns.of_config(config))
    rows = []
    for status in statuses:
        used = status.used
        if used is None or not used.rows:
            continue
        lineage = (status.code, used.candidate.relative, used.candidate.sha256)
        rows += [(*lineage, r.sheet, r.row, *r.values, r.name_key) for r in used.rows if r.accepted]
    frame = pd.DataFrame.from_records(rows, columns=columns)
    return frame.astype({"row": int})
