"""Models across periods: give every accepted record its model code, check it against the
register, and count what continued, advanced, was dropped and grew.

Runs between deciding each unit's file (``merge.resolve``) and merging the records: a bad code
rejects its row like any other error. Takes the register's ``OtherPeriods`` as data; never opens
the outbox. The parts: ``continuity_checks`` (a unit's rows against the register),
``continuity_names`` (close spellings), ``continuity_tally`` (the figures); the status and
stage codes it reads are workbook.yaml's ``meanings`` (``config.codes``). Nothing given is
changed: the files and statuses it continues come back new, in their places.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from aggregator import problems
from aggregator.collector import on_new_objects
from aggregator.config import Config, registry
from aggregator.merging.continuity_checks import Checker, key_of, normalise_code
from aggregator.merging.continuity_names import CLOSE_MAX
from aggregator.merging.continuity_tally import Tally, match
from aggregator.merging.register_reading import OtherPeriods, UnitRecords
from aggregator.model import FileOutcome, FileStatus, OtherPeriodsView, Record, UnitStatus
from aggregator.periods import in_words
from aggregator.problems import Problem, ProblemCode

__all__ = ["Tally", "assign", "make_code", "normalise_code", "staff_notes", "timeline_rows"]


def make_code(unit: str, field: int, name_key: str, salt: int = 0) -> str:
    """A model's code: its unit's code and six letters from a hash of field and name.

    The same unit, field and name always give the same code; on the rare collision with a
    code already taken, ``salt`` counts up until the code is free.
    """
    text = f"{unit}|{field}|{name_key}|{salt}".encode()
    letters = base64.b32encode(hashlib.sha256(text).digest()[:5]).decode().lower()  # 6 letters: 30 bits
    return f"{unit}-{letters[:6]}"


@on_new_objects
def assign(
    outcomes: list[FileOutcome],
    statuses: list[UnitStatus],
    other_periods: OtherPeriods,
    config: Config,
    tally: Tally | None = None,
    each: Callable[[UnitStatus], UnitStatus] | None = None,
) -> tuple[list[FileOutcome], list[UnitStatus]]:
    """Every accepted row of every unit's file in use gets its model code; bad codes reject
    their row; cross-period warnings and the models not reported again are added; ``tally``
    counts the comparison on the way (the register is read one unit at a time).

    Returns the outcomes (``merge.resolve``'s), one for one and in their order, each file in
    use as continued; and the statuses holding those files. What is given is left as it was.
    ``each`` is given each unit's status as soon as its file is continued, in their order, and
    what it returns (the same unit, its file in use in its ``files`` too) is what comes back
    (the run merges the unit's records there and lets go of the rows it no longer needs, so
    that the rows of every file are never held twice).
    """
    if other_periods.identities is None:  # whose each record is, by this registry
        other_periods = other_periods.with_units(config.units)
    result = []
    continued_as: dict[FileOutcome, FileOutcome] = {}  # the very file merging decided, continued
    reporting = [s for s in statuses if s.used is not None and s.used.status == FileStatus.ACCEPTED]
    records = other_periods.units(s.code for s in reporting)  # read a unit at a time, in this order
    try:
        for status in statuses:
            used = status.used
            if used is None or used.status != FileStatus.ACCEPTED:
                result.append(status)
                continue
            mine = next(records)
            continued = _continue(status, used, other_periods, mine, config, tally)
            now = replace(status, used=continued, files=[continued if f is used else f for f in status.files])
            if each is not None:
                now = each(now)
            continued_as[used] = continued if now.used is None else now.used  # (``each`` keeps it)
            result.append(now)
    finally:
        records.close()  # the register closed
    return [continued_as.get(o, o) for o in outcomes], result


def _continue(
    status: UnitStatus,
    used: FileOutcome,
    other_periods: OtherPeriods,
    mine: UnitRecords,
    config: Config,
    tally: Tally | None,
) -> FileOutcome:
    """One unit's file in use, continued: its rows with codes, its cross-period problems
    (``mine``: the unit's records in the register)."""
    if not used.rows:
        if tally is not None:
            tally.add(status, [], mine)
        accounted = _accounted(used, (), mine)
        return replace(
            used, problems=[*used.problems, *_not_reported(used, other_periods, mine, config, accounted)]
        )
    checker = Checker(status, used, other_periods, mine, config)
    given = used.rows
    codes: dict[int, str] = {}  # by the row's place in the file: the code it is given
    claimed: dict[str, Record] = {}
    for at, row in enumerate(given):  # typed codes first: a typed code wins over a name match
        if (
            row.accepted
            and (code := normalise_code(row.model_code))
            and checker.typed(at, row, code, claimed)
        ):
            codes[at], claimed[code] = code, row
    for at, row in enumerate(given):
        if row.accepted and at not in codes and at not in checker.rejected:
            codes[at] = code = _code_by_name(status.code, row, mine, claimed)
            claimed[code] = row
    parsed = tuple(
        row.coded(codes[at]) if at in codes else row.rejected() if at in checker.rejected else row
        for at, row in enumerate(given)
    )
    rows = [row for row in parsed if row.accepted]
    for at, row in enumerate(parsed):
        if row.accepted:
            checker.across(at, row)
    matched = match(rows, mine) if other_periods.has_compared else {}
    not_reported = []
    if other_periods.has_compared:
        checker.close_names(rows, matched)
        # after the code checks: a row rejected for its code speaks of its model all the same
        accounted = _accounted(used, parsed, mine, set(matched.values()), checker)
        not_reported = _not_reported(used, other_periods, mine, config, set(matched.values()) | accounted)
    if tally is not None:
        tally.add(status, rows, mine, matched)
    return replace(
        used,
        **FileOutcome.counts(parsed),  # the file's rows now: with codes, and bad codes rejected
        problems=[*used.problems, *not_reported, *checker.found],
    )


def _code_by_name(unit: str, row: Record, mine: UnitRecords, claimed: dict[str, Record]) -> str:
    """The code of the unit's earlier model of the row's field and name, unless taken; else a
    new one, free of every code the unit has or had."""
    key = (unit, row.field, key_of(row))
    known = mine.by_key.get(key[1:])  # type: ignore[arg-type]  # an accepted row has its field
    if known is not None and known not in claimed:
        return known
    salt = 0
    code = make_code(*key)  # type: ignore[arg-type]
    while code in mine.codes or code in claimed or code in mine.taken:
        salt += 1
        code = make_code(*key, salt)  # type: ignore[arg-type]
    return code


def _accounted(
    used: FileOutcome,
    rows: tuple[Record, ...],
    mine: UnitRecords,
    continued: set[str] = frozenset(),  # type: ignore[assignment]  # never changed
    checker: Checker | None = None,
) -> set[str]:
    """Codes of the compared period's models that this file speaks of although no accepted row
    continues them: a row emptied to its code (the unit says the model stopped), or a row
    rejected, with its own reason or for its code (by the code it carries, by its name, or by
    a code one or two letters off one of them). None is asked about again as "not reported":
    one cause, one problem."""
    compared = {e.code for e in mine.compared}
    by_key = {(e.field, e.name_key): e.code for e in mine.compared}
    found = {code for t in used.tables for c in t.stopped if (code := normalise_code(c)) in compared}
    pool = sorted(compared - continued)  # once: what a mistyped code may stand for
    for at, row in enumerate(rows):
        if row.accepted and (checker is None or at not in checker.set_aside):
            continue
        code = (checker.set_aside.get(at) if checker else None) or normalise_code(row.model_code)
        if (
            isinstance(row.field, int)
            and isinstance(row.name, str)
            and (known := by_key.get((row.field, key_of(row)))) is not None
        ):
            found.add(known)
        if code in compared:
            found.add(code)
        elif (
            code
            and checker is not None
            and len(code) <= CLOSE_MAX  # a code mistyped
            and (near := checker.first_near(code, [c for c in pool if c not in found])) is not None
        ):
            found.add(near)
    return found


def staff_notes(other_periods: OtherPeriods, config: Config) -> list[str]:
    """For staff: records of the compared period under a code that today's registry gives a
    unit of another name, no successor named. They are not that unit's; a rename must be said
    in ``units.yaml`` (``formerly``) for the unit to keep its models."""
    if not other_periods.has_compared:
        return []
    other_periods = (
        other_periods if other_periods.identities is not None else other_periods.with_units(config.units)
    )
    shown = registry.shown(config.units_file)
    against = in_words(*other_periods.against)
    return [
        f'Sổ theo dõi mô hình có {n} mô hình của báo cáo {against} ghi mã đơn vị "{code}" khi mã '
        f'này là của "{then}"; nay mã "{code}" là của "{config.unit(code).name}", nên các mô hình '
        "đó không được coi là của đơn vị này (không so sánh, không điền sẵn, không nhắc). Nếu là "
        f"cùng một đơn vị chỉ đổi tên, thêm vào {shown}, ở đơn vị {code}: "
        f'formerly: [{{code: {code}, name: "{then}"}}] rồi chạy lại.'
        for code, then, n in other_periods.reused()
    ]


def _not_reported(
    used: FileOutcome, other_periods: OtherPeriods, mine: UnitRecords, config: Config, continued: set[str]
) -> list[Problem]:
    """A file-level warning for each model of the compared period this unit did not report."""
    severity = config.rules.get(ProblemCode.MODEL_NOT_REPORTED)
    if severity == "off" or not other_periods.has_compared:
        return []
    against = in_words(*other_periods.against)
    return [
        problems.make(
            ProblemCode.MODEL_NOT_REPORTED,
            severity=severity,
            file=used.candidate.relative,
            value=entry.name,
            model=entry.code,
            field=entry.field,
            against=against,
        )
        for entry in mine.compared
        if entry.code not in continued
    ]


def timeline_rows(
    other_periods: OtherPeriodsView, records: Any, year: int, period: str
) -> Iterator[tuple[Any, ...]]:
    """The master workbook's timeline ("Lịch sử mô hình"): every code of this period or the
    compared one × every period it appears in, in time order (``records``: the run's accepted
    records frame)."""
    count = len(records)  # (the same year and period, and each count, given as they are read)
    now = zip(
        records["model_code"].tolist(),
        records["unit"].tolist(),
        records["name"].tolist(),
        itertools.repeat(year, count),
        itertools.repeat(period, count),
        records["stage"].tolist(),
        map(_whole, records["replications"].tolist()),
        strict=True,
    )
    return other_periods.periods_of(now)


def _whole(value: Any) -> int | None:
    """A count read as a float among blanks, as a whole number (a blank as None)."""
    if value is None or value != value:
        return None
    return int(value)
