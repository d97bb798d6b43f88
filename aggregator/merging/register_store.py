"""The register's SQLite file: kept current with the period folders, rebuilt and sealed, never edited.

The database ``so-mo-hinh.sqlite`` is a cache of every period folder's records file
(``register_files``): ``sync`` (every run) checks it cheaply (its own hash against the seal
``so-mo-hinh.sqlite.sha256`` written beside it, and the period files' hashes against its
``periods`` table) and writes it afresh when anything differs, whatever a person did to it. A
damaged period is left out whole, said with its file and line. Deleting it loses nothing.

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
import json
import logging
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path

from aggregator.hashing import sha256
from aggregator.merging import register_tables as tables
from aggregator.merging.register_files import (
    PERIOD_FILE,
    Damaged,
    _digest,
    _period_file,
    _vouched,
    period_folders,
)
from aggregator.merging.register_tables import DB_FORMAT, DB_NAME, INDEXES, SCHEMA, declared, record_schema

log = logging.getLogger("aggregator")
SEAL = f"{DB_NAME}.sha256"  # the register's SHA-256 as last written here (``sha256sum -c``)
JOURNALS = ("-journal", "-wal", "-shm")  # SQLite's files beside a database: never outlive it


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


def _current(
    path: Path, expected: dict[tuple[int, str], str], besides: tuple[int, str] | None = None
) -> bool:
    """Whether the register is the one last written here (its seal) and holds exactly the
    period files as they are now; any doubt is a no. ``besides``: a period whatever it holds
    of is not asked about (about to be replaced)."""
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
    if besides is not None:
        known.pop(besides, None)
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
        install(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return notices


def install(temporary: Path, path: Path, digest: str | None = None) -> None:
    """A register written in full at ``temporary`` takes the name ``path`` and is sealed: on
    disk first, stale journals beside the old one removed. ``digest``: its SHA-256, when known."""
    outbox = path.parent
    seal = outbox / f".{SEAL}.dang-ghi-{os.getpid()}"
    try:
        with open(temporary, "rb+") as handle:  # on disk before it takes the register's name
            os.fsync(handle.fileno())
        for suffix in JOURNALS:  # SQLite would apply an old journal or WAL to the new file
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        os.replace(temporary, path)
        _fsync_folder(outbox)
        seal.write_text(f"{digest or sha256(path)}  {DB_NAME}\n", encoding="utf-8")
        os.replace(seal, outbox / SEAL)
    finally:
        seal.unlink(missing_ok=True)


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
                _replace_period(connection, key, folder.name, source, _vouched(folder))
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


def _replace_period(
    connection: sqlite3.Connection,
    key: tuple[int, str],
    name: str,
    source: Path,
    vouched: str | None,
    names_then: Callable[[Path], dict[str, str]] | None = None,
) -> str:
    """The period's records in place of any the register held for it, read from ``source``
    checked (raises ``Damaged``); returns the SHA-256 of the file it read. ``name``: its
    folder's name; ``names_then``: the units' names a record written without one takes."""
    year, period = key
    digest = sha256(source)
    connection.execute("DELETE FROM periods WHERE year = ? AND period = ?", key)
    connection.execute("INSERT INTO periods VALUES (?, ?, ?, ?, 0)", (year, period, name, digest))
    columns = tables.COLUMNS
    marks = ", ".join("?" * (len(columns) + 2))
    insert = f"INSERT INTO models (year, period, {', '.join(columns)}) VALUES ({marks})"
    count = 0
    names: dict[str, str] | None = None
    unit, unit_name = columns.index("unit"), columns.index("unit_name")
    for rows in _period_file(source, key, vouched):
        for r in rows:
            if r[unit_name] is None:  # a file written before names were: the names of its summary
                if names is None:
                    names = (names_then or _names_then)(source.parent)
                r[unit_name] = names.get(r[unit])
        connection.executemany(insert, ([year, period, *r] for r in rows))
        count += len(rows)
    connection.execute("UPDATE periods SET models = ? WHERE year = ? AND period = ?", (count, year, period))
    return digest


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
