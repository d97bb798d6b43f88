"""The register of models across periods: a SQLite database in ``outbox/``, derived from the
period folders.

Each period folder holds its accepted records with their model codes (``mo-hinh.jsonl``, listed
in its ``SHA256SUMS``); that file is the source of truth. The database ``so-mo-hinh.sqlite`` is
a cache of every period folder's file, brought up to date by ``sync`` (a changed or new folder
replaces its period, a vanished one is removed; archived runs in ``luu-tru/`` are not period
folders). Deleting it loses nothing: ``rebuild`` writes it again, the same, from the folders.
Writers hold the outbox lock and write in one SQLite transaction; a rebuild writes a temporary
file and renames it into place, so a reader never sees half a register.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from itertools import islice
from pathlib import Path
from typing import Any, NamedTuple

from aggregator.hashing import sha256
from aggregator.model import Entry, Period
from aggregator.text import match_key

log = logging.getLogger("aggregator")
DB_NAME = "so-mo-hinh.sqlite"
PERIOD_FILE = "mo-hinh.jsonl"
FORMAT = 1  # the period files' layout
DB_FORMAT = 4  # the database's layout: another one is rebuilt
PERIOD_RANK: dict[str, int] = {
    Period.HALF_YEAR: 0,
    Period.ANNUAL: 1,
}  # within a year, the half-year comes first
_FOLDER = re.compile(r"^(\d{4})(-6-thang)?$")

# What the register keeps of each record, declared once: the period file's "columns", the
# models table's columns (in this order) and what a pre-filled workbook carries back. Every column
# of the standard workbook is kept, under its key in workbook.yaml (``model_code`` is ``code``),
# then the name's matching key and the record's source. (key, SQL type, what it holds)
RECORD: tuple[tuple[str, str, str], ...] = (
    ("code", "TEXT NOT NULL", "Mã mô hình: stable across periods (unit code + 6 letters)"),
    ("unit", "TEXT NOT NULL", "Mã đơn vị (schemas/units.yaml)"),
    (
        "unit_name",
        "TEXT",
        "the unit's registry name when recorded: a code later borne by another unit is not it",
    ),
    ("seq", "TEXT", "STT, as the unit typed it"),
    ("name", "TEXT NOT NULL", "Tên mô hình, điển hình, as the unit wrote it"),
    ("field", "INTEGER NOT NULL", "Lĩnh vực 1-11"),
    ("subject", "TEXT", "Đối tượng: collective | individual | household"),
    ("performer", "TEXT", "Tập thể, cá nhân thực hiện"),
    ("location", "TEXT", "Địa bàn, cơ quan, đơn vị"),
    ("year_built", "INTEGER", "Năm xây dựng"),
    ("status", "TEXT", "Tình trạng: new (Đăng ký mới) | continuing (Duy trì, phát huy)"),
    ("stage", "TEXT", "Giai đoạn: discovered | replicated | honoured"),
    ("content", "TEXT", "Nội dung, cách làm"),
    ("results", "TEXT", "Hiệu quả đạt được"),
    ("rating", "TEXT", "Đánh giá: good | fair | average"),
    ("replications", "INTEGER", "Số nơi nhân rộng"),
    ("reward_form", "TEXT", "Hình thức khen thưởng"),
    ("reward_decision", "TEXT", "Số, ngày quyết định khen thưởng"),
    ("publicised", "TEXT", "Đã tuyên truyền trên báo chí: yes | no"),
    ("note", "TEXT", "Ghi chú"),
    ("name_key", "TEXT NOT NULL", "the name's matching key (case, tone marks, spacing)"),
    ("file", "TEXT", "source file of the record, as in the period's manifest"),
    ("sheet", "TEXT", "its sheet"),
    ("row", "INTEGER", "its row"),
)
COLUMNS = [key for key, _, _ in RECORD]
WORKBOOK_KEY = {"code": "model_code"}  # a register column -> its workbook column, where they differ
REGISTER_KEY = {w: r for r, w in WORKBOOK_KEY.items()}  # and back
_RECORD_SQL = "\n".join(f"    {key:<15} {kind + ',':<17} -- {comment}" for key, kind, comment in RECORD)

SCHEMA = f"""
-- Sổ theo dõi mô hình qua các kỳ (the register of models across periods).
-- Derived from the period folders of outbox/ (each folder's mo-hinh.jsonl); safe to delete.
CREATE TABLE register_info (
    key   TEXT PRIMARY KEY,   -- 'format': the layout version of these tables
    value TEXT NOT NULL
);
-- One row per period folder the register was built from.
CREATE TABLE periods (
    year          INTEGER NOT NULL,          -- report year (Năm báo cáo)
    period        TEXT NOT NULL CHECK (period IN ('annual', 'half_year')),  -- Kỳ: năm / 6 tháng
    folder        TEXT NOT NULL UNIQUE,      -- the folder in outbox/: 2025 or 2025-6-thang
    source_sha256 TEXT NOT NULL,             -- SHA-256 of the folder's mo-hinh.jsonl
    models        INTEGER NOT NULL,          -- accepted records of the period
    PRIMARY KEY (year, period)
) WITHOUT ROWID;
-- One row per accepted record (mô hình, điển hình) of a period, with its model code: every
-- column of the unit's row (a period file of an older layout leaves the columns it lacks empty).
CREATE TABLE models (
    year            INTEGER NOT NULL,
    period          TEXT NOT NULL,
{_RECORD_SQL}
    PRIMARY KEY (year, period, code),
    FOREIGN KEY (year, period) REFERENCES periods (year, period) ON DELETE CASCADE
) WITHOUT ROWID;
"""
INDEXES = """
CREATE INDEX models_by_code ON models (code);  -- a model's periods (the history sheet)
CREATE INDEX models_by_unit ON models (unit);  -- a unit's models, read one unit at a time
"""


def rank(year: int, period: str) -> int:
    """Periods in time order: 2025 half-year < 2025 annual < 2026 half-year."""
    return year * 2 + PERIOD_RANK[period]


def period_folders(outbox: Path) -> dict[tuple[int, str], Path]:
    """The period folders of an outbox that carry a records file (archived runs are not)."""
    found: dict[tuple[int, str], Path] = {}
    if outbox.is_dir():
        for folder in sorted(outbox.iterdir()):
            match = _FOLDER.match(folder.name)
            if match and (folder / PERIOD_FILE).is_file():
                found[(int(match[1]), Period.HALF_YEAR if match[2] else Period.ANNUAL)] = folder
    return found


# -- the period file ------------------------------------------------------------------------


def write_period_file(path: Path, year: int, period: str, rows: Iterable[list[Any]]) -> Path:
    """A period's accepted records: a header line, then one JSON array per record."""
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write(
            json.dumps(
                {"format": FORMAT, "year": year, "period": period, "columns": COLUMNS}, ensure_ascii=False
            )
            + "\n"
        )
        encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        handle.writelines(encode(row) + "\n" for row in rows)
    return path


def _period_file(path: Path, chunk: int = 5000) -> tuple[dict[str, Any], Iterator[list[Any]]]:
    """The header, and the records in chunks (each parsed in one call: fast, and a whole
    period is never held at once)."""
    with path.open(encoding="utf-8") as handle:
        header = json.loads(handle.readline())
    columns = header["columns"]
    where = None if columns == COLUMNS else [columns.index(c) if c in columns else None for c in COLUMNS]

    def chunks() -> Iterator[list[Any]]:
        with path.open(encoding="utf-8") as handle:
            handle.readline()  # the header, read above
            while lines := [line for line in islice(handle, chunk) if line.strip()]:
                rows = json.loads("[" + ",".join(lines) + "]")
                if where is not None:  # a file of another layout: by name, missing ones empty
                    rows = [[r[i] if i is not None else None for i in where] for r in rows]
                yield rows

    return header, chunks()


# -- the database ---------------------------------------------------------------------------


def connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode: writers say BEGIN IMMEDIATE themselves."""
    connection = sqlite3.connect(str(path), isolation_level=None, timeout=30)
    connection.execute("PRAGMA foreign_keys = ON")
    return connection


def sync(outbox: Path) -> Path:
    """Bring the register up to date with the period folders; returns its path.

    Call it holding the outbox lock. A missing or unreadable register is rebuilt.
    """
    path = outbox / DB_NAME
    if not path.exists():
        return rebuild(outbox)
    try:
        connection = connect(path)
        try:
            _check_format(connection)
            _update(connection, period_folders(outbox))
        finally:
            connection.close()
    except sqlite3.DatabaseError:
        return rebuild(outbox)
    return path


def periods_held(path: Path) -> list[str]:
    """The period folders the register holds, in time order."""
    connection = connect(path)
    try:
        return [row[0] for row in connection.execute("SELECT folder FROM periods ORDER BY year, period")]
    finally:
        connection.close()


def rebuild(outbox: Path) -> Path:
    """Write the register afresh from the period folders, then swap it in."""
    path = outbox / DB_NAME
    temporary = outbox / f".{DB_NAME}.dang-ghi-{os.getpid()}"
    temporary.unlink(missing_ok=True)
    try:
        connection = connect(temporary)
        try:  # a file no one else sees yet: journal in memory, no waiting for the disk till the end
            connection.execute("PRAGMA journal_mode = MEMORY")
            connection.execute("PRAGMA synchronous = OFF")
            connection.executescript(SCHEMA)
            connection.execute("INSERT INTO register_info VALUES ('format', ?)", (str(DB_FORMAT),))
            _update(connection, period_folders(outbox))
            connection.executescript(INDEXES)  # faster built once, after the rows
        finally:
            connection.close()
        with open(temporary, "rb+") as handle:  # on disk before it takes the register's name
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


def _check_format(connection: sqlite3.Connection) -> None:
    row = connection.execute("SELECT value FROM register_info WHERE key = 'format'").fetchone()
    if row is None or row[0] != str(DB_FORMAT):
        raise sqlite3.DatabaseError("register of another format")


def _update(connection: sqlite3.Connection, folders: dict[tuple[int, str], Path]) -> None:
    """One transaction: every changed or new folder replaces its period; vanished ones go."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        known = {
            (y, p): sha for y, p, sha in connection.execute("SELECT year, period, source_sha256 FROM periods")
        }
        for key in sorted(set(known) - set(folders)):
            connection.execute("DELETE FROM periods WHERE year = ? AND period = ?", key)
        for key, folder in sorted(folders.items()):
            source = folder / PERIOD_FILE
            digest = sha256(source)
            if known.get(key) != digest:
                connection.execute("SAVEPOINT period")
                try:
                    _replace_period(connection, key, folder.name, source, digest)
                except (
                    ValueError,
                    KeyError,
                    TypeError,
                    IndexError,
                    AttributeError,
                    sqlite3.IntegrityError,
                    sqlite3.InterfaceError,
                ) as exc:
                    # a damaged period file leaves its period out; the run goes on
                    connection.execute("ROLLBACK TO period")
                    connection.execute("DELETE FROM periods WHERE year = ? AND period = ?", key)
                    log.warning(
                        "Bỏ qua %s khi lập sổ theo dõi mô hình: tệp hỏng hoặc đã bị sửa "
                        "(%s). Chạy lại kỳ %s để ghi lại tệp này.",
                        source,
                        f"{type(exc).__name__}: {exc}"[:160],
                        folder.name,
                    )
                connection.execute("RELEASE period")
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


def _replace_period(
    connection: sqlite3.Connection, key: tuple[int, str], folder: str, source: Path, digest: str
) -> None:
    year, period = key
    header, chunks = _period_file(source)
    if (header.get("format"), header.get("year"), header.get("period")) != (FORMAT, *key):
        # a file of another period or layout copied here: not this period's
        raise ValueError(f"header {header.get('year')} {header.get('period')} format {header.get('format')}")
    connection.execute("DELETE FROM periods WHERE year = ? AND period = ?", key)
    connection.execute("INSERT INTO periods VALUES (?, ?, ?, ?, 0)", (year, period, folder, digest))
    marks = ", ".join("?" * (len(COLUMNS) + 2))
    insert = f"INSERT INTO models (year, period, {', '.join(COLUMNS)}) VALUES ({marks})"
    count = 0
    names = None if "unit_name" in header["columns"] else _names_then(source.parent)
    unit, unit_name = COLUMNS.index("unit"), COLUMNS.index("unit_name")
    for rows in chunks:
        if names is not None:  # a file written before names were: the names of its summary
            for r in rows:
                r[unit_name] = names.get(r[unit])
        connection.executemany(insert, ([year, period, *r] for r in rows))
        count += len(rows)
    connection.execute("UPDATE periods SET models = ? WHERE year = ? AND period = ?", (count, year, period))


def _names_then(folder: Path) -> dict[str, str]:
    """The units' names in the registry a period was run with, from its ``summary.json``
    (none readable: its records stay without a name, each taken as its code's unit now)."""
    try:
        units = json.loads((folder / "summary.json").read_text(encoding="utf-8"))["units"]
        return {
            u["code"]: u["name"] for u in units if isinstance(u["code"], str) and isinstance(u["name"], str)
        }
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def dump(path: Path) -> str:
    """The register as SQL text: two registers are the same when their dumps are."""
    connection = sqlite3.connect(str(path))
    try:
        return "\n".join(connection.iterdump())
    finally:
        connection.close()


# -- reading it -----------------------------------------------------------------------------

_FIELDS = (
    "SELECT year, period, code, unit, field, name, name_key, status, stage, "
    "replications, year_built, year * 2 + (period = 'annual') AS rank, unit_name FROM models "
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
class UnitHistory:
    """One unit's records in the other periods of the register, as a run needs them."""

    by_key: dict[tuple[int, str], str] = field(default_factory=dict)  # nearest period first
    latest: dict[str, Entry] = field(default_factory=dict)  # code -> latest earlier record
    nearest: dict[str, Entry] = field(default_factory=dict)  # code -> latest earlier, else nearest
    first_seen: dict[str, tuple[int, str]] = field(default_factory=dict)
    compared: list[Entry] = field(default_factory=list)  # same period, previous year
    codes: set[str] = field(default_factory=set)  # its codes, every other period
    taken: set[str] = field(default_factory=set)  # codes under its code of another unit: never given


@dataclass
class History:
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

    def with_units(self, units: Iterable[Any]) -> History:
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

    def unit(self, code: str) -> UnitHistory:
        """One unit's records of the other periods (its predecessors' included)."""
        codes = self.identities.codes.get(code, (code,)) if self.identities else (code,)
        if self.path is None:
            rows: Any = [
                (*e, e.year * 2 + PERIOD_RANK[e.period], None) for e in self.compared or [] if e.unit in codes
            ]
            return self._unit(code, rows)
        connection = sqlite3.connect(str(self.path))
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
            connection.close()

    def _unit(self, code: str, rows: Any) -> UnitHistory:
        found = UnitHistory()
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
                "ORDER BY year * 2 + (period = 'annual') DESC LIMIT 1",
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
                f"SELECT * FROM ({earlier}SELECT *, NULL, 0 FROM now) "
                "ORDER BY unit, code, year * 2 + (period = 'annual')",
                parameters,
            ):
                unit = row[1]
                if row[8] and self.owner_now(unit, row[7]) != unit:
                    unit = row[7] or unit  # not today's unit of this code: its name then
                yield (row[0], unit, *row[2:7])
        finally:
            connection.close()


def history(path: Path | None, year: int, period: str) -> History:
    """The register's outline for a run of ``year`` and ``period`` (nothing, if none)."""
    found = History(year, period, path)
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
    the unit that bore it then."""
    path = outbox / DB_NAME
    if not path.exists():
        return None, {}
    identities = Identities.of(units) if units is not None else None
    connection = sqlite3.connect(str(path))
    connection.row_factory = sqlite3.Row
    here = rank(year, period)
    try:
        rows = connection.execute(
            "WITH ranked AS (SELECT *, year * 2 + (period = 'annual') AS _rank FROM models "
            "WHERE year * 2 + (period = 'annual') < ?), "
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
