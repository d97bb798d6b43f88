"""Merging: decide each file's fate and each unit's status (``resolve``); merge the accepted
records of the files in use (``AcceptedRecords``, a unit at a time; ``accepted_records``, all at once).

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
    ``model.frame_columns`` declares them): ``AcceptedRecords`` given every status in turn."""
    merged = AcceptedRecords(config)
    for status in statuses:
        merged.add(status)
    return merged.frame()


class AcceptedRecords:
    """The records frame gathered a unit at a time (``add``), in the order the units come:
    the run merges each unit's records as soon as continuity has given them their codes, and
    lets its rows go then, so that no second copy of every record is ever held at once.

    Built a column at a time, straight from the records (no table of rows: it would stay
    behind the frame as a block of its own), each column holding every repeated text once (the
    first met): each unit's file brings its own copy of the same texts, read apart."""

    def __init__(self, config: Config):
        self.keys = RecordColumns.of_config(config).keys
        self.columns = frame_columns(RecordColumns.of_config(config))
        self.cells: dict[str, list[Any]] = {key: [] for key in self.columns}
        self.seen: dict[str, dict[str, str]] = {key: {} for key in ("sheet", *self.keys)}

    def add(self, status: UnitStatus) -> None:
        """The accepted records of the unit's file in use, if any, after those given before."""
        used = status.used
        if used is None or not used.rows:
            return
        mine = [r for r in used.rows if r.accepted]
        if not mine:
            return
        cells, seen = self.cells, self.seen
        for key, value in zip(
            LINEAGE, (status.code, used.candidate.relative, used.candidate.sha256), strict=True
        ):
            cells[key] += [value] * len(mine)
        cells["sheet"] += shared((r.sheet for r in mine), seen["sheet"])
        cells["row"] += [r.row for r in mine]
        for key, values in zip(self.keys, zip(*(r.values for r in mine), strict=True), strict=True):
            cells[key] += shared(values, seen[key])
        cells[MATCH_KEY] += [r.name_key for r in mine]

    def frame(self) -> pd.DataFrame:
        """The records given so far, as one frame (its columns are let go here)."""
        cells, self.cells = self.cells, {key: [] for key in self.columns}
        if not cells["row"]:  # (no values to tell a column's type: every column as objects)
            return pd.DataFrame.from_records([], columns=self.columns).astype({"row": int})
        made = {}
        for key in self.columns:  # a column at a time, each list let go as its column is made
            made[key] = pd.Series(cells.pop(key))  # (not the whole table of lists made at once)
        return pd.DataFrame(made, copy=False).astype({"row": int})


def shared(values: Iterable[Any], seen: dict[str, str] | None = None) -> list[Any]:
    """The values, each text that repeats held once: equal texts become the same object (the
    first met, here or in ``seen``, which keeps the texts met for the next call). Other values
    are kept as they are (1, 1.0 and True are equal keys, not the same value)."""
    seen = {} if seen is None else seen
    return [seen.setdefault(value, value) if type(value) is str else value for value in values]
