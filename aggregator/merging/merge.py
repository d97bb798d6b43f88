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
from aggregator.checking.validate import records_frame
from aggregator.config import Config
from aggregator.model import FileOutcome, FileStatus, Submission, UnitStatus
from aggregator.problems import Problem, ProblemCode


def resolve(
    outcomes: list[FileOutcome], config: Config, deadline: dt.date
) -> tuple[list[FileOutcome], list[UnitStatus]]:
    """Each file's fate and each unit's status, in registry order.

    The outcomes come back in the same order: a file superseded or tied is a new outcome that
    says so; every other is the file as its stages left it.
    """
    decided: dict[int, FileOutcome] = {}
    for files in _by_unit(outcomes).values():
        decided |= _supersede(sorted((f for f in files if f.status == FileStatus.ACCEPTED), key=_recency))
    merged = [decided.get(id(o), o) for o in outcomes]
    by_unit = _by_unit(merged)
    statuses = []
    for unit in config.units:
        files = by_unit.get(unit.code, [])
        status = UnitStatus(
            code=unit.code,
            name=unit.name,
            group=unit.group,
            quota=unit.quota,
            status=Submission.MISSING if not files else Submission.REJECTED,
            files=files,
        )
        usable = [f for f in files if f.status in (FileStatus.ACCEPTED, FileStatus.SUPERSEDED)]
        in_use = [f for f in usable if f.status == FileStatus.ACCEPTED]
        if in_use:
            status.used = in_use[0]
            status.received = min(f.received for f in usable)
            status.status = Submission.ON_TIME if status.received <= deadline else Submission.LATE
        statuses.append(status)
    return merged, statuses


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


def _supersede(usable: list[FileOutcome]) -> dict[int, FileOutcome]:
    """The newest file is used, the others superseded (by ``id`` of the file as read: the file
    as merged). Two files equally new (same date and time by every source) are a tie: the rule
    is the later path in sort order, and both files say so."""
    if len(usable) < 2:
        return {}
    newest = usable[-1]
    found: dict[int, list[Problem]] = {}
    if _recency(usable[-2])[:3] == _recency(newest)[:3]:
        tied = usable[-2]
        for one, other in ((newest, tied), (tied, newest)):
            found.setdefault(id(one), []).append(
                problems.make(
                    ProblemCode.FILE_TIE, file=one.candidate.relative, other=other.candidate.relative
                )
            )
    for older in usable[:-1]:
        found.setdefault(id(older), []).append(
            problems.make(
                ProblemCode.FILE_SUPERSEDED, file=older.candidate.relative, newer=newest.candidate.relative
            )
        )
    return {
        id(o): replace(
            o,
            status=o.status if o is newest else FileStatus.SUPERSEDED,
            problems=[*o.problems, *found[id(o)]],
        )
        for o in usable
        if id(o) in found
    }


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
