"""Reading the register for a run: a unit's earlier records, whose a code is, the latest period.

A run never holds every earlier record at once: ``OtherPeriods.unit`` reads one unit at a time. Which
unit of today's registry a record belongs to is told by its code and its name then
(``Identities``), so a code reused by another unit inherits nothing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

from aggregator.merging.register_files import period_folders
from aggregator.merging.register_store import refresh
from aggregator.model import Entry
from aggregator.periods import RANK_SQL, rank
from aggregator.text import match_key

_FIELDS = (
    "SELECT year, period, code, unit, field, name, name_key, status, stage, "
    f"replications, year_built, {RANK_SQL} AS rank, unit_name FROM models "
)


class Owner(NamedTuple):
    """Whose a model code is: a unit of today's registry (``code``), or one no longer in it
    (``code`` None; ``name`` as it was recorded)."""

    code: str | None
    name: str


@dataclass(frozen=True)
class Identities:
    """Which unit of today's registry a record belongs to, by the unit's code AND its name when
    the record was made: the unit that bears both now, or the one whose ``formerly`` (in
    ``units.yaml``) names them. A code now borne by a unit of another name is another unit:
    it inherits nothing unless the registry says so."""

    owners: dict[tuple[str, str], str]  # (code then, name key then) -> code now
    legacy: dict[str, str]  # code then -> code now, for records made before names were kept
    codes: dict[str, tuple[str, ...]]  # code now -> the codes its records may be under
    names: dict[str, str]  # code now -> name now

    @classmethod
    def of(cls, units: Iterable[Any]) -> Identities:
        units = list(units)
        owners = {(u.code, match_key(u.name)): u.code for u in units}
        legacy = {u.code: u.code for u in units}
        codes: dict[str, tuple[str, ...]] = {}
        for unit in units:
            for code, name in unit.formerly:
                owners.setdefault((code, match_key(name)), unit.code)
                legacy.setdefault(code, unit.code)
            codes[unit.code] = tuple(dict.fromkeys([unit.code, *(c for c, _ in unit.formerly)]))
        return cls(owners, legacy, codes, {u.code: u.name for u in units})

    def owner(self, code: str, name: str | None) -> str | None:
        """Today's unit a record made under ``code`` by the unit then named ``name`` is of."""
        if name is None:
            return self.legacy.get(code)
        return self.owners.get((code, match_key(name)))


@dataclass
class UnitRecords:
    """One unit's records in the other periods of the register, as a run needs them."""

    by_key: dict[tuple[int, str], str] = field(default_factory=dict)  # nearest period first
    latest: dict[str, Entry] = field(default_factory=dict)  # code -> latest earlier record
    nearest: dict[str, Entry] = field(default_factory=dict)  # code -> latest earlier, else nearest
    first_seen: dict[str, tuple[int, str]] = field(default_factory=dict)
    compared: list[Entry] = field(default_factory=list)  # same period, previous year
    codes: set[str] = field(default_factory=set)  # its codes, every other period
    taken: set[str] = field(default_factory=set)  # codes under its code of another unit: never given


@dataclass
class OtherPeriods:
    """What the register says before one period is (re)run: that period itself left out.

    Read one unit at a time (``unit``): a run never holds every earlier record at once.
    """

    year: int
    period: str
    path: Path | None = None
    compared: list[Entry] | None = None  # without a register: the compared records (tests)
    checks_codes: bool = True  # False: no register at hand (status), typed codes taken as is
    has_compared: bool = False  # the register holds the same period a year before
    # the compared period's records by unit as recorded: (its code, its name then) -> records
    compared_counts: dict[tuple[str, str | None], int] = field(default_factory=dict)
    trend: dict[int, int] = field(default_factory=dict)  # year -> models, this period kind
    others: int = 0  # periods besides this one
    identities: Identities | None = None  # None: a record is its code's unit (no registry at hand)

    def __post_init__(self) -> None:
        if self.compared is not None:
            self.has_compared = True
            counts: dict[tuple[str, str | None], int] = {}
            for entry in self.compared:
                counts[(entry.unit, None)] = counts.get((entry.unit, None), 0) + 1
            self.compared_counts = counts

    @property
    def against(self) -> tuple[int, str]:
        return self.year - 1, self.period

    def with_units(self, units: Iterable[Any]) -> OtherPeriods:
        """The same register read with this registry's units: whose each record is."""
        return replace(self, identities=Identities.of(units))

    def owner_now(self, code: str, name: str | None) -> str | None:
        """Today's unit a record of unit ``code`` then named ``name`` belongs to."""
        return code if self.identities is None else self.identities.owner(code, name)

    def not_reported(self, reporting: set[str]) -> int:
        """Records of the compared period whose unit (today's) has no accepted file, or that
        are of a unit no longer in the registry."""
        return sum(
            n
            for (unit, name), n in self.compared_counts.items()
            if self.owner_now(unit, name) not in reporting
        )

    def reused(self) -> list[tuple[str, str, int]]:
        """(code, name then, records) of the compared period recorded under a code that today's
        registry gives to a unit of another name, with no successor named: what staff should
        check (a rename not written in ``formerly``, or a code reused)."""
        if self.identities is None:
            return []
        return sorted(
            (unit, name, n)
            for (unit, name), n in self.compared_counts.items()
            if name is not None and unit in self.identities.names and self.owner_now(unit, name) is None
        )

    def units(self, codes: Iterable[str]) -> Generator[UnitRecords, None, None]:
        """``unit`` of each code in turn, the register opened once for them all."""
        connection = None if self.path is None else sqlite3.connect(str(self.path))
        try:
            yield from (self.unit(code, connection) for code in codes)
        finally:
            if connection is not None:
                connection.close()

    def unit(self, code: str, opened: sqlite3.Connection | None = None) -> UnitRecords:
        """One unit's records of the other periods (its predecessors' included)."""
        codes = self.identities.codes.get(code, (code,)) if self.identities else (code,)
        if self.path is None:
            rows: Any = [(*e, rank(e.year, e.period), None) for e in self.compared or [] if e.unit in codes]
            return self._unit(code, rows)
        connection = opened or sqlite3.connect(str(self.path))
        try:
            here = rank(self.year, self.period)
            marks = ", ".join("?" * len(codes))
            return self._unit(
                code,
                connection.execute(
                    _FIELDS + f"WHERE unit IN ({marks}) AND NOT (year = ? AND period = ?) "
                    "ORDER BY rank > ?, abs(rank - ?), code",
                    (*codes, self.year, self.period, here, here),
                ),
            )
        finally:
            if connection is not opened:
                connection.close()

    def _unit(self, code: str, rows: Any) -> UnitRecords:
        found = UnitRecords()
        here, against = rank(self.year, self.period), self.against
        for row in rows:  # nearest period first
            entry = Entry._make(row[:11])
            if self.owner_now(entry.unit, row[12]) != code:
                if entry.unit == code:  # the code's unit then was another: its codes stay its own
                    found.taken.add(entry.code)
                continue
            if entry.unit != code:  # a predecessor's record: its successor's now
                entry = entry._replace(unit=code)
            model = entry.code
            found.codes.add(model)
            found.by_key.setdefault((entry.field, entry.name_key), model)
            found.nearest.setdefault(model, entry)
            if row[11] < here:
                found.latest.setdefault(model, entry)
                found.first_seen[model] = (entry.year, entry.period)  # the farthest comes last
            if (entry.year, entry.period) == against:
                found.compared.append(entry)
        found.compared.sort(key=lambda e: e.code)
        return found

    def owner(self, code: str) -> Owner | None:
        """Whose a code is, if any other period of the register has it."""
        if self.path is None:
            unit = next((e.unit for e in self.compared or [] if e.code == code), None)
            return None if unit is None else self._owner(unit, None)
        connection = sqlite3.connect(str(self.path))
        try:
            row = connection.execute(
                "SELECT unit, unit_name FROM models WHERE code = ? AND NOT (year = ? AND period = ?) "
                f"ORDER BY {RANK_SQL} DESC LIMIT 1",
                (code, self.year, self.period),
            ).fetchone()
        finally:
            connection.close()
        return None if row is None else self._owner(*row)

    def _owner(self, unit: str, name: str | None) -> Owner:
        now = self.owner_now(unit, name)
        if now is None:
            return Owner(None, name or unit)
        return Owner(now, self.identities.names.get(now, now) if self.identities else now)

    def earlier_years(self, codes: Iterable[str]) -> dict[str, list[tuple[Any, Any, Any]]]:
        """(reward_form, reward_decision, publicised) of each of these codes in every period of
        an earlier year: what tells this period's rewards and press coverage from carried ones
        (``summarise.this_period``). Without a register, nothing."""
        if self.path is None:
            return {}
        connection = sqlite3.connect(str(self.path))
        try:
            connection.execute("CREATE TEMP TABLE wanted (code TEXT PRIMARY KEY)")
            connection.executemany("INSERT OR IGNORE INTO wanted VALUES (?)", ((c,) for c in codes))
            found: dict[str, list[tuple[Any, Any, Any]]] = {}
            try:
                rows = connection.execute(
                    "SELECT m.code, m.reward_form, m.reward_decision, m.publicised FROM main.models m "
                    "JOIN wanted USING (code) WHERE m.year < ? ORDER BY m.code, m.year, m.period",
                    (self.year,),
                ).fetchall()
            except sqlite3.OperationalError:  # a register of an earlier layout, read as it is
                return {}  # (status, check): nothing to tell by; the next run rebuilds it
            for code, form, decision, publicised in rows:
                found.setdefault(code, []).append((form, decision, publicised))
            return found
        finally:
            connection.close()

    def periods_of(self, now: Iterable[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
        """(code, unit, name, year, period, stage, replications) of every code in ``now`` (this
        period's records, as such tuples) or of the compared period, in every period, ordered
        by unit, code and time; read from the register as they are written out. ``unit`` is
        the unit's code when the record is of today's unit of that code, else the unit's name
        as recorded (a unit no longer in the registry, or one another succeeds)."""
        connection = sqlite3.connect(":memory:" if self.path is None else str(self.path))
        try:
            connection.execute(
                "CREATE TEMP TABLE now (code TEXT, unit TEXT, name TEXT, "
                "year INTEGER, period TEXT, stage TEXT, replications INTEGER)"
            )
            connection.executemany("INSERT INTO now VALUES (?, ?, ?, ?, ?, ?, ?)", now)
            connection.execute("CREATE TEMP TABLE wanted (code TEXT PRIMARY KEY)")
            connection.execute("INSERT OR IGNORE INTO wanted SELECT code FROM now")
            earlier = ""
            parameters: tuple[Any, ...] = ()
            if self.path is not None:
                connection.execute(
                    "INSERT OR IGNORE INTO wanted SELECT code FROM main.models WHERE year = ? AND period = ?",
                    self.against,
                )
                earlier = (
                    "SELECT m.code, m.unit, m.name, m.year, m.period, m.stage, "
                    "m.replications, m.unit_name, 1 FROM main.models m JOIN wanted USING (code) "
                    "WHERE NOT (m.year = ? AND m.period = ?) UNION ALL "
                )
                parameters = (self.year, self.period)
            for row in connection.execute(
                f"SELECT * FROM ({earlier}SELECT *, NULL, 0 FROM now) ORDER BY unit, code, {RANK_SQL}",
                parameters,
            ):
                unit = row[1]
                if row[8] and self.owner_now(unit, row[7]) != unit:
                    unit = row[7] or unit  # not today's unit of this code: its name then
                yield (row[0], unit, *row[2:7])
        finally:
            connection.close()


def other_periods(path: Path | None, year: int, period: str) -> OtherPeriods:
    """The register's outline for a run of ``year`` and ``period`` (nothing, if none)."""
    found = OtherPeriods(year, period, path)
    if path is None or not path.exists():
        found.path = None
        return found
    connection = sqlite3.connect(str(path))
    try:
        counts = connection.execute("SELECT year, period, models FROM periods").fetchall()
        found.compared_counts = {
            (unit, name): n
            for unit, name, n in connection.execute(
                "SELECT unit, unit_name, count(*) FROM models WHERE year = ? AND period = ? "
                "GROUP BY unit, unit_name",
                found.against,
            )
        }
    finally:
        connection.close()
    found.has_compared = any((y, p) == found.against for y, p, _ in counts)
    found.trend = {y: n for y, p, n in counts if p == period and y < year}  # up to now
    found.others = sum(1 for y, p, _ in counts if (y, p) != (year, period))
    return found


def latest_before(
    outbox: Path, year: int, period: str, units: Iterable[Any] | None = None
) -> tuple[tuple[int, str] | None, dict[str, list[dict[str, Any]]]]:
    """Each unit's records of its latest period before this one (a unit that sent nothing to
    the half-year review keeps its models of the year before), by unit; and the latest of
    those periods. Each record carries its ``year`` and ``period``. By today's unit when
    ``units`` (the registry) is given, so a code reused by another unit pre-fills nothing of
    the unit that bore it then. The register is read as the period folders give it: never one
    edited or damaged."""
    if not period_folders(outbox):
        return None, {}
    path = refresh(outbox, write=False)[0]
    identities = Identities.of(units) if units is not None else None
    connection = sqlite3.connect(str(path))
    connection.row_factory = sqlite3.Row
    here = rank(year, period)
    try:
        rows = connection.execute(
            f"WITH ranked AS (SELECT *, {RANK_SQL} AS _rank FROM models WHERE {RANK_SQL} < ?), "
            "latest AS (SELECT unit, max(_rank) AS _rank FROM ranked GROUP BY unit) "
            "SELECT ranked.* FROM ranked JOIN latest USING (unit, _rank) ORDER BY unit, field, name_key",
            (here,),
        ).fetchall()
    finally:
        connection.close()
    by_unit: dict[str, list[dict[str, Any]]] = {}
    chosen: tuple[int, str] | None = None
    for row in rows:
        record = dict(row)
        del record["_rank"]
        owner = identities.owner(row["unit"], row["unit_name"]) if identities else row["unit"]
        if owner is None:
            continue
        by_unit.setdefault(owner, []).append({**record, "unit": owner})
        if chosen is None or rank(row["year"], row["period"]) > rank(*chosen):
            chosen = (row["year"], row["period"])
    for models in by_unit.values():  # a successor's own and inherited models, in one order
        models.sort(key=lambda m: (m["field"], m["name_key"]))
    return chosen, by_unit
