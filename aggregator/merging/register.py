"""The register of models across periods: a SQLite database in ``outbox/``, derived from the
period folders.

Each period folder holds its accepted records with their model codes (``mo-hinh.jsonl``, listed
in its ``SHA256SUMS``); that file is the source of truth, and untrusted input: every record is
checked against the ``models`` table's declaration, and the file's last line holds its record
count and the hash of the lines above, so a file cut short is seen. A damaged period is left
out whole, said with its file and line. The database ``so-mo-hinh.sqlite`` is a cache of every
period folder's file: ``sync`` (every run) checks it cheaply (its own hash against the seal
``so-mo-hinh.sqlite.sha256`` written beside it, and the period files' hashes against its
``periods`` table) and writes it afresh when anything differs, whatever a person did to it
(archived runs in ``luu-tru/`` are not period folders). Deleting it loses nothing.

It is never written in place: a new register is built in a temporary file (journal in memory,
so no journal of its own can outlive a crash), any journal or WAL left beside the old one is
removed (SQLite would roll it into whatever file carries the name), and the new file is renamed
into place. A register that cannot be written there (a folder in its way, a read-only outbox,
a file held by another program) is built in a temporary folder for this process instead, and
staff are told.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import hashlib
import json
import logging
import math
import os
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

from aggregator.hashing import sha256
from aggregator.model import Entry, Period
from aggregator.text import match_key

log = logging.getLogger("aggregator")
DB_NAME = "so-mo-hinh.sqlite"
PERIOD_FILE = "mo-hinh.jsonl"
SEAL = f"{DB_NAME}.sha256"  # the register's SHA-256 as last written here (``sha256sum -c``)
FORMAT = 2  # the period files' layout: 2 ends with a line of the record count and hash
OLD_FORMAT = 1  # no last line: trusted only when the folder's SHA256SUMS vouches for it
CHECKSUMS = "SHA256SUMS"  # the period folder's sums (outbox.swap.CHECKSUMS)
DB_FORMAT = 5  # the database's layout: another one is rebuilt
JOURNALS = ("-journal", "-wal", "-shm")  # SQLite's files beside a database: never outlive it
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


RANK_SQL = "year * 2 + (period = 'annual')"  # ``rank`` of a row of the models table, in SQL


def period_of(name: str) -> tuple[int, str] | None:
    """The year and period a period folder's name says ("2025", "2025-6-thang"), else None."""
    match = _FOLDER.fullmatch(name)
    return (int(match[1]), Period.HALF_YEAR if match[2] else Period.ANNUAL) if match else None


def period_folders(outbox: Path) -> dict[tuple[int, str], Path]:
    """The period folders of an outbox (archived runs are not): those that carry a records
    file, and those whose records file is gone (a run's folder, its manifest there): a period
    that went missing is said, never dropped without a word."""
    found: dict[tuple[int, str], Path] = {}
    if outbox.is_dir():
        for folder in sorted(outbox.iterdir()):
            when = period_of(folder.name)
            if when and ((folder / PERIOD_FILE).exists() or _ran(folder)):
                found[when] = folder
    return found


def _ran(folder: Path) -> bool:
    """A run of this version wrote the folder: its SHA256SUMS names a records file."""
    return _vouched(folder) is not None


def _digest(source: Path) -> str:
    """A period file's SHA-256; "" when there is no file to read (gone, or a folder)."""
    try:
        return sha256(source) if source.is_file() else ""
    except OSError:
        return ""


# -- the period file ------------------------------------------------------------------------


class Damaged(ValueError):
    """A period file that cannot be trusted whole: the line (1 = the header) and why."""

    def __init__(self, line: int, why: str):
        super().__init__(f"dòng {line}: {why}" if line else why)
        self.line = line
        self.why = why


def write_period_file(path: Path, year: int, period: str, rows: Iterable[list[Any]]) -> Path:
    """A period's accepted records: a header line, one JSON array per record, and a last line
    with the record count and the SHA-256 of every line above it."""
    digest = hashlib.sha256()
    count = 0
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    header = {"format": FORMAT, "year": year, "period": period, "columns": COLUMNS}
    with path.open("wb") as handle:

        def put(line: str) -> None:
            data = (line + "\n").encode("utf-8")
            digest.update(data)
            handle.write(data)

        put(json.dumps(header, ensure_ascii=False))
        for row in rows:  # a blank read as a float (NaN) is no value: null
            put(encode([None if type(v) is float and v != v else v for v in row]))
            count += 1
        handle.write((json.dumps({"records": count, "sha256": digest.hexdigest()}) + "\n").encode("utf-8"))
    return path


@functools.cache
def declared() -> dict[str, list[tuple[Any, ...]]]:
    """``PRAGMA table_info`` of each table as ``SCHEMA`` declares it: what a register's own
    tables are held to, and what a period record is checked against."""
    connection = sqlite3.connect(":memory:")
    try:
        connection.executescript(SCHEMA)
        return {
            t: connection.execute(f"PRAGMA table_info({t})").fetchall()
            for t in ("register_info", "periods", "models")
        }
    finally:
        connection.close()


@functools.cache
def record_schema() -> tuple[tuple[str, str, bool], ...]:
    """(column, declared type, required) of a period record: read from the ``models`` table's
    declaration itself, so a column added there is checked with no second list to keep."""
    columns = {r[1]: (str(r[2]).upper(), bool(r[3])) for r in declared()["models"]}
    return tuple((c, *columns.get(c, ("", False))) for c in COLUMNS)


_INT64 = (-(1 << 63), (1 << 63) - 1)
CELL_CHARS = 32_767  # what one worksheet cell holds: validation cuts longer text, so no record has more
# a record line's bound: every column at a full cell, each character escaped (\uXXXX), with room
MAX_LINE = 8_000_000
_WHAT = {"INTEGER": "một số nguyên", "TEXT": "một đoạn chữ", "REAL": "một số"}


def _fault(value: Any, kind: str, required: bool) -> str | None:
    """What is wrong with one value of a record for its declared column, or None."""
    if value is None:
        return "thiếu giá trị" if required else None
    if kind == "INTEGER":
        ok = type(value) is int and _INT64[0] <= value <= _INT64[1]
    elif kind == "TEXT":
        ok = type(value) is str
        if ok and len(value) > CELL_CHARS:
            return f"chữ dài {len(value)} ký tự, quá sức chứa một ô ({CELL_CHARS})"
        if ok:
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return "chữ có ký tự không hợp lệ"
    elif kind == "REAL":
        ok = type(value) in (int, float) and math.isfinite(value) and abs(value) < 1e300
    else:
        ok = type(value) in (str, int)
    return None if ok else f"cần {_WHAT.get(kind, 'một giá trị')}, gặp {json.dumps(value)[:40]}"


def _period_file(
    path: Path, key: tuple[int, str], vouched: str | None = None, chunk: int = 5000
) -> Iterator[list[list[Any]]]:
    """The records of a period file, in chunks, each record checked against the declared
    columns. Raises ``Damaged`` (which line, why) at the first fault, and at the end when the
    file is shorter or longer than its last line says: the caller drops what it took.

    ``vouched``: the file's SHA-256 as the folder's SHA256SUMS gives it, for a file of the
    old layout (no last line): taken only when it matches.
    """
    schema = record_schema()
    digest = hashlib.sha256()
    whole = hashlib.sha256()
    with path.open("rb") as handle:
        first = handle.readline(MAX_LINE + 1)
        digest.update(first)
        whole.update(first)
        try:
            header = json.loads(first)
            columns = header["columns"]
            fmt = header.get("format")
            if not isinstance(columns, list) or not all(type(c) is str for c in columns):
                raise TypeError("columns")
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise Damaged(1, "dòng đầu không phải tiêu đề của tệp mô hình") from exc
        if fmt not in (FORMAT, OLD_FORMAT) or (header.get("year"), header.get("period")) != key:
            raise Damaged(
                1, f"tiêu đề ghi năm {header.get('year')}, kỳ {header.get('period')}, định dạng {fmt}"
            )
        where = [columns.index(c) if c in columns else None for c in COLUMNS]
        missing = [c for (c, _, required), i in zip(schema, where, strict=True) if required and i is None]
        if missing:
            raise Damaged(1, f"thiếu cột {', '.join(missing)}")
        codes: set[str] = set()
        rows: list[list[Any]] = []
        trailer: dict[str, Any] | None = None
        number = 1
        for line in iter(lambda: handle.readline(MAX_LINE + 1), b""):
            number += 1
            if len(line) > MAX_LINE:  # no record the writer makes is this long: never parsed
                raise Damaged(number, f"dòng dài quá {MAX_LINE // 1_000_000} MB")
            whole.update(line)
            if trailer is not None:
                raise Damaged(number, "còn dòng sau dòng cuối ghi số bản ghi")
            if not line.endswith(b"\n"):
                raise Damaged(number, "dòng bị cắt dở (không có dấu xuống dòng)")
            try:
                value = json.loads(line)
            except ValueError as exc:
                raise Damaged(number, "không đọc được (JSON hỏng)") from exc
            if isinstance(value, dict) and fmt == FORMAT:
                trailer = value
                continue
            digest.update(line)
            if not isinstance(value, list) or len(value) != len(columns):
                raise Damaged(number, f"cần {len(columns)} giá trị theo tiêu đề")
            row = [value[i] if i is not None else None for i in where]
            if fmt == OLD_FORMAT:  # its writer wrote a blank text as NaN
                row = [None if type(v) is float and v != v else v for v in row]
            for (name, kind, required), item in zip(schema, row, strict=True):
                if (fault := _fault(item, kind, required)) is not None:
                    raise Damaged(number, f"cột {name}: {fault}")
            code = str(row[0])  # required: checked above
            if code in codes:
                raise Damaged(number, f"mã {code} ghi hai lần")
            codes.add(code)
            rows.append(row)
            if len(rows) >= chunk:
                yield rows
                rows = []
        if rows:
            yield rows
    if fmt == FORMAT:
        if trailer is None:
            raise Damaged(number + 1, "thiếu dòng cuối ghi số bản ghi: tệp bị cắt ngắn")
        if trailer.get("records") != len(codes):
            raise Damaged(number, f"có {len(codes)} bản ghi, dòng cuối ghi {trailer.get('records')}")
        if trailer.get("sha256") != digest.hexdigest():
            raise Damaged(number, "nội dung khác mã SHA-256 ghi ở dòng cuối (tệp đã bị sửa)")
    elif vouched != whole.hexdigest():
        raise Damaged(0, "tệp định dạng cũ (không ghi số bản ghi) không khớp SHA256SUMS của thư mục")
    if vouched is not None and vouched != whole.hexdigest():  # its last line rewritten to match
        raise Damaged(0, "nội dung khác mã SHA-256 ghi trong SHA256SUMS của thư mục (tệp đã bị sửa)")


def _vouched(folder: Path) -> str | None:
    """The period file's SHA-256 as its folder's SHA256SUMS gives it, if it does."""
    try:
        for line in (folder / CHECKSUMS).read_text(encoding="utf-8").splitlines():
            expected, _, name = line.partition("  ")
            if name == PERIOD_FILE:
                return expected
    except (OSError, ValueError):
        pass
    return None


# -- the database ---------------------------------------------------------------------------


def connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode: writers say BEGIN IMMEDIATE themselves."""
    connection = sqlite3.connect(str(path), isolation_level=None, timeout=30)
    connection.execute("PRAGMA foreign_keys = ON")
    return connection


def sync(outbox: Path) -> Path:
    """Bring the register up to date with the period folders; returns the path of a register
    that matches them (a temporary one when the outbox's cannot be written). What staff must
    know is logged. Call it holding the outbox lock."""
    path, notices = refresh(outbox)
    for notice in notices:
        log.warning(notice)
    return path


def refresh(outbox: Path, write: bool = True) -> tuple[Path, list[str]]:
    """The register that matches the period folders, and what staff must know.

    The outbox's own register when it is whole and current (cheap: hashes, no rows read);
    else, with ``write``, written afresh there; when that fails, or without ``write``
    (``check`` and ``status`` write nothing), one built in a temporary folder of this process.
    """
    path = outbox / DB_NAME
    folders = period_folders(outbox)
    expected = {key: _digest(folder / PERIOD_FILE) for key, folder in folders.items()}
    if write:
        _clear_leftovers(outbox)
    if _current(path, expected):
        return path, []
    if write:
        try:
            return path, _build(path, folders)
        except (OSError, sqlite3.Error) as exc:
            why = _unwritable(path, exc)
        notices = [
            f"Không ghi được sổ theo dõi mô hình {path} ({why}). Lần này chương trình dùng một bản "
            f"tạm dựng lại từ các thư mục kết quả, số liệu vẫn đúng. Gỡ chỗ vướng rồi chạy: "
            f"python aggregate.py register rebuild --outbox {outbox}"
        ]
    else:
        notices = (
            [
                f"Sổ theo dõi mô hình {path} không khớp các thư mục kết quả (bị sửa, hỏng hoặc "
                f"chưa cập nhật): lần này đọc từ các thư mục kết quả. Lần chạy tổng hợp sau tự "
                f"lập lại sổ, hoặc chạy: python aggregate.py register rebuild --outbox {outbox}"
            ]
            if os.path.lexists(path)
            else []
        )
    stand_in, said = _stand_in(outbox, folders, expected)
    return stand_in, [*notices, *said]


def rebuild(outbox: Path) -> Path:
    """Write the register afresh from the period folders, then swap it in (raises when it
    cannot be written there); the damaged period files are logged."""
    path = outbox / DB_NAME
    for notice in _build(path, period_folders(outbox)):
        log.warning(notice)
    return path


def _unwritable(path: Path, exc: BaseException) -> str:
    if path.is_dir() and not path.is_symlink():
        return "tên của sổ đang là một thư mục"
    if isinstance(exc, PermissionError):
        return "không có quyền ghi, hoặc tệp đang mở trong chương trình khác"
    return f"{type(exc).__name__}: {exc}"[:160]


def _current(path: Path, expected: dict[tuple[int, str], str]) -> bool:
    """Whether the register is the one last written here (its seal) and holds exactly the
    period files as they are now; any doubt is a no."""
    try:
        if path.is_symlink() or not path.is_file():
            return False
        if any(os.path.lexists(f"{path}{s}") for s in JOURNALS):
            return False  # someone's transaction left open or killed: its pages may be in the file
        seal = (path.parent / SEAL).read_text(encoding="utf-8").split()
        if not seal or seal[0] != sha256(path):
            return False
        connection = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True, timeout=1)
        try:
            _check_format(connection)
            if not _whole(connection):
                return False
            known = {
                (y, p): sha
                for y, p, sha in connection.execute("SELECT year, period, source_sha256 FROM periods")
            }
        finally:
            connection.close()
    except (OSError, ValueError, sqlite3.Error):
        return False
    return known == expected


def _whole(connection: sqlite3.Connection) -> bool:
    """The register's tables as declared, every value of its declared type, and as many rows
    per period as the period says: a register edited by hand (its seal rewritten too) is not
    taken on trust. One pass over the rows, no Python per row."""
    if any(connection.execute(f"PRAGMA table_info({t})").fetchall() != w for t, w in declared().items()):
        return False
    kinds = {"INTEGER": "'integer'", "TEXT": "'text'", "REAL": "'real', 'integer'"}
    nullable = ", 'null'"
    wrong = " OR ".join(
        f'typeof("{column}") NOT IN ({kinds.get(kind, repr(kind.lower()))}{"" if required else nullable})'
        for column, kind, required in record_schema()
    )
    if connection.execute(f"SELECT 1 FROM models WHERE {wrong} LIMIT 1").fetchone():
        return False
    counted = connection.execute(
        "SELECT count(*) FROM periods p WHERE models != "
        "(SELECT count(*) FROM models m WHERE m.year = p.year AND m.period = p.period)"
    ).fetchone()[0]
    return counted == 0


def _build(path: Path, folders: dict[tuple[int, str], Path]) -> list[str]:
    """A new register at ``path``: built in a temporary file beside it, stale journals beside
    the old one removed, renamed into place, then sealed. Returns the damaged periods said."""
    outbox = path.parent
    _clear_leftovers(outbox)
    temporary = outbox / f".{DB_NAME}.dang-ghi-{os.getpid()}"
    try:
        temporary.unlink(missing_ok=True)
        notices = _write_new(temporary, folders)
        with open(temporary, "rb+") as handle:  # on disk before it takes the register's name
            os.fsync(handle.fileno())
        for suffix in JOURNALS:  # SQLite would apply an old journal or WAL to the new file
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        os.replace(temporary, path)
        _fsync_folder(outbox)
        seal = outbox / f".{SEAL}.dang-ghi-{os.getpid()}"
        seal.write_text(f"{sha256(path)}  {DB_NAME}\n", encoding="utf-8")
        os.replace(seal, outbox / SEAL)
    except BaseException:
        temporary.unlink(missing_ok=True)
        (outbox / f".{SEAL}.dang-ghi-{os.getpid()}").unlink(missing_ok=True)
        raise
    return notices


def _write_new(target: Path, folders: dict[tuple[int, str], Path]) -> list[str]:
    connection = connect(target)
    try:  # a file no one else sees yet: journal in memory, no waiting for the disk till the end
        connection.execute("PRAGMA journal_mode = MEMORY")
        connection.execute("PRAGMA synchronous = OFF")
        connection.executescript(SCHEMA)
        connection.execute("INSERT INTO register_info VALUES ('format', ?)", (str(DB_FORMAT),))
        notices = _update(connection, folders)
        connection.executescript(INDEXES)  # faster built once, after the rows
    finally:
        connection.close()
    return notices


def _fsync_folder(folder: Path) -> None:
    """The rename on disk too (where the system allows a folder to be synced)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _clear_leftovers(outbox: Path) -> None:
    """Temporary registers and seals of writers that were killed."""
    for leftover in [*outbox.glob(f".{DB_NAME}.dang-ghi-*"), *outbox.glob(f".{SEAL}.dang-ghi-*")]:
        pid = leftover.name.rsplit("-", 1)[-1]
        if pid.isdigit() and int(pid) != os.getpid() and not _running(int(pid)):
            with contextlib.suppress(OSError):  # a read-only outbox: left for a later run
                leftover.unlink(missing_ok=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


_STAND_INS: dict[str, tuple[dict[tuple[int, str], str], Path, list[str]]] = {}


def _stand_in(
    outbox: Path, folders: dict[tuple[int, str], Path], expected: dict[tuple[int, str], str]
) -> tuple[Path, list[str]]:
    """A register built from the period folders in a temporary folder of this process (removed
    when it ends), built once for the same period files."""
    key = os.path.abspath(outbox)
    known = _STAND_INS.get(key)
    if known is not None and known[0] == expected and known[1].is_file():
        return known[1], known[2]
    folder = Path(tempfile.mkdtemp(prefix="so-mo-hinh-"))
    atexit.register(shutil.rmtree, folder, True)
    path = folder / DB_NAME
    said = _write_new(path, folders)
    _STAND_INS[key] = (expected, path, said)
    return path, said


def _check_format(connection: sqlite3.Connection) -> None:
    row = connection.execute("SELECT value FROM register_info WHERE key = 'format'").fetchone()
    if row is None or row[0] != str(DB_FORMAT):
        raise sqlite3.DatabaseError("register of another format")


def periods_held(path: Path) -> list[str]:
    """The period folders the register holds, in time order."""
    connection = connect(path)
    try:
        return [row[0] for row in connection.execute("SELECT folder FROM periods ORDER BY year, period")]
    finally:
        connection.close()


def _update(connection: sqlite3.Connection, folders: dict[tuple[int, str], Path]) -> list[str]:
    """One transaction: every period folder's records, each period whole or not at all; the
    damaged ones said (file, line, why)."""
    notices = []
    connection.execute("BEGIN IMMEDIATE")
    try:
        for key, folder in sorted(folders.items()):
            source = folder / PERIOD_FILE
            connection.execute("SAVEPOINT period")
            try:
                _replace_period(connection, key, folder, source)
            except (OSError, Damaged) as exc:
                # a damaged period file leaves its whole period out; the run goes on
                connection.execute("ROLLBACK TO period")
                connection.execute("DELETE FROM periods WHERE year = ? AND period = ?", key)
                where = f" ở dòng {exc.line}" if isinstance(exc, Damaged) and exc.line else ""
                why = (
                    exc.why
                    if isinstance(exc, Damaged)
                    else "không còn tệp này (đã bị xóa, chuyển đi hoặc thay bằng một thư mục)"
                    if not source.is_file()
                    else f"không đọc được: {type(exc).__name__}"
                )
                notices.append(
                    f"Bỏ qua kỳ {folder.name} khi lập sổ theo dõi mô hình: tệp {source} hỏng "
                    f"hoặc đã bị sửa{where} ({why}). Cả kỳ này không vào sổ, các kỳ khác vẫn "
                    f"dùng. Chạy lại kỳ {folder.name} để ghi lại tệp."
                )
            connection.execute("RELEASE period")
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    return notices


def _replace_period(connection: sqlite3.Connection, key: tuple[int, str], folder: Path, source: Path) -> None:
    year, period = key
    digest = sha256(source)
    connection.execute("DELETE FROM periods WHERE year = ? AND period = ?", key)
    connection.execute("INSERT INTO periods VALUES (?, ?, ?, ?, 0)", (year, period, folder.name, digest))
    marks = ", ".join("?" * (len(COLUMNS) + 2))
    insert = f"INSERT INTO models (year, period, {', '.join(COLUMNS)}) VALUES ({marks})"
    count = 0
    names: dict[str, str] | None = None
    unit, unit_name = COLUMNS.index("unit"), COLUMNS.index("unit_name")
    for rows in _period_file(source, key, _vouched(folder)):
        for r in rows:
            if r[unit_name] is None:  # a file written before names were: the names of its summary
                if names is None:
                    names = _names_then(source.parent)
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
            rows: Any = [(*e, rank(e.year, e.period), None) for e in self.compared or [] if e.unit in codes]
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
