"""Merging: decide each file's fate and each unit's status (``resolve``); merge the accepted
records of the files in use (``accepted_records``).

When a unit sent several acceptable files for the period, the latest one received (the email's
date, else the trusted report date, else the file's time) is used and the others are
superseded, kept in the audit trail.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import pandas as pd

from aggregator import problems
from aggregator.config import Config
from aggregator.model import (
    LINEAGE,
    MATCH_KEY,
    FileOutcome,
    FileStatus,
    Record,
    RecordColumns,
    Submission,
    UnitStatus,
    frame_columns,
)
from aggregator.problems import Problem, ProblemCode


def resolve(
    outcomes: list[FileOutcome], config: Config, deadline: dt.date
) -> tuple[list[FileOutcome], list[UnitStatus]]:
    """Each file's fate and each unit's status, in registry order.

    The outcomes come back in the same order, one for one: a file superseded or tied is a new
    outcome that says so; every other is the file as its stages left it (those given are left
    as they were). Files are told apart by their place in the list: two entries may share a
    path (two attachments of one name in one email).
    """
    decided: dict[int, FileOutcome] = {}  # by the file's place in ``outcomes``
    for places in _by_unit(outcomes).values():
        usable = [i for i in places if outcomes[i].status == FileStatus.ACCEPTED]
        decided |= _supersede(outcomes, sorted(usable, key=lambda i: _recency(outcomes[i])))
    merged = [decided.get(i, o) for i, o in enumerate(outcomes)]
    by_unit = _by_unit(merged)
    return merged, [
        _status(unit, [merged[i] for i in by_unit.get(unit.code, [])], deadline) for unit in config.units
    ]


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


def _by_unit(outcomes: list[FileOutcome]) -> dict[str, list[int]]:
    """The places of the files credited to each unit, in inbox order (ignored entries are no
    unit's)."""
    by_unit: dict[str, list[int]] = {}
    for i, outcome in enumerate(outcomes):
        if outcome.unit is not None and outcome.status != FileStatus.IGNORED:
            by_unit.setdefault(outcome.unit, []).append(i)
    return by_unit


def _recency(outcome: FileOutcome) -> tuple[Any, ...]:
    sent = outcome.candidate.email_date or dt.datetime.combine(outcome.received, dt.time())
    return (outcome.received, sent, outcome.candidate.modified, outcome.candidate.relative)


def _supersede(outcomes: list[FileOutcome], usable: list[int]) -> dict[int, FileOutcome]:
    """The newest file is used, the others superseded: the files decided anew, by their place
    (``usable``: the places of a unit's acceptable files, oldest first). Two files equally new
    (same date and time by every source) are a tie: the rule is the later path in sort order,
    and both files say so."""
    if len(usable) < 2:
        return {}
    newest = usable[-1]
    found: dict[int, list[Problem]] = {}
    if _recency(outcomes[usable[-2]])[:3] == _recency(outcomes[newest])[:3]:
        tied = usable[-2]
        for one, other in ((newest, tied), (tied, newest)):
            found.setdefault(one, []).append(
                problems.make(
                    ProblemCode.FILE_TIE,
                    file=outcomes[one].candidate.relative,
                    other=outcomes[other].candidate.relative,
                )
            )
    for older in usable[:-1]:
        found.setdefault(older, []).append(
            problems.make(
                ProblemCode.FILE_SUPERSEDED,
                file=outcomes[older].candidate.relative,
                newer=outcomes[newest].candidate.relative,
            )
        )
    return {
        i: replace(
            outcomes[i],
            status=outcomes[i].status if i == newest else FileStatus.SUPERSEDED,
            problems=[*outcomes[i].problems, *found[i]],
        )
        for i in usable
        if i in found
    }


def accepted_records(statuses: list[UnitStatus], config: Config) -> pd.DataFrame:
    """Every accepted record of every unit's file in use, with its lineage (the columns as
    ``model.frame_columns`` declares them).

    Built a column at a time, straight from the records (no table of rows: it would stay
    behind the frame as a block of its own), each column holding every repeated text once
    (``shared``): each unit's file brings its own copy of the same texts, read apart."""
    keys = RecordColumns.of_config(config).keys
    columns = frame_columns(RecordColumns.of_config(config))
    records: list[Record] = []
    lineage: list[list[str]] = [[], [], []]  # unit, file, sha256: one per record
    for status in statuses:
        used = status.used
        if used is None or not used.rows:
            continue
        mine = [r for r in used.rows if r.accepted]
        records += mine
        for values, value in zip(
            lineage, (status.code, used.candidate.relative, used.candidate.sha256), strict=True
        ):
            values += [value] * len(mine)
    if not records:  # (no values to tell a column's type: every column as objects)
        return pd.DataFrame.from_records([], columns=columns).astype({"row": int})
    cells = {
        **dict(zip(LINEAGE, lineage, strict=True)),
        "sheet": shared(r.sheet for r in records),
        "row": [r.row for r in records],
        **{key: shared(r.values[i] for r in records) for i, key in enumerate(keys)},
        MATCH_KEY: [r.name_key for r in records],
    }
    return pd.DataFrame({key: cells[key] for key in columns}).astype({"row": int})


def shared(values: Iterable[Any]) -> list[Any]:
    """The values, each text that repeats held once: equal texts become the same object (the
    first met). Other values are kept as they are (1, 1.0 and True are equal keys, not the
    same value)."""
    seen: dict[str, str] = {}
    return [seen.setdefault(value, value) if type(value) is str else value for value in values]
