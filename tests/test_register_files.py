"""The register's own files as untrusted input (issue 21, point 1): every period record checked
against the declared columns, a damaged period left out whole and said with its file and line,
a period file cut short seen, the register checked against the period files on every run and
written afresh whatever a person did to it, never a stale journal applied to a new register
(writers killed at every step), and a register that cannot be written costing a notice only."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import kills
import pytest
from test_register import run

from aggregator.cli import main
from aggregator.hashing import sha256
from aggregator.merging import register_files, register_store, register_tables
from aggregator.periods import RANK_SQL, rank

ROOT = Path(__file__).resolve().parents[1]


def periods(outbox: Path) -> list[int]:
    with sqlite3.connect(outbox / register_tables.DB_NAME) as db:
        return [y for (y,) in db.execute("SELECT year FROM periods ORDER BY year")]


def lines_of(outbox: Path, year: int) -> list[str]:
    return (
        (outbox / str(year) / register_files.PERIOD_FILE)
        .read_text(encoding="utf-8")
        .splitlines(keepends=True)
    )


def put(outbox: Path, year: int, lines: list[str]) -> None:
    (outbox / str(year) / register_files.PERIOD_FILE).write_text("".join(lines), encoding="utf-8")


def record(lines: list[str], n: int = 1) -> list:
    return json.loads(lines[n])


def column(name: str) -> int:
    return register_tables.COLUMNS.index(name)


def with_value(name: str, value: object):
    def damage(lines: list[str]) -> tuple[list[str], int]:
        row = record(lines, 2)
        row[column(name)] = value
        lines[2] = json.dumps(row) + "\n"
        return lines, 3

    return damage


DAMAGES = {
    "code missing": with_value("code", None),
    "unit missing": with_value("unit", None),
    "a list for a name": with_value("name", ["Khuyến học"]),
    "an object for a unit": with_value("unit", {"a": 1}),
    "an integer over 64 bits": with_value("replications", 1 << 70),
    "an integer over 64 bits in a required column": with_value("field", -(1 << 64)),
    "a text for a number": with_value("field", "3"),
    "a true for a number": with_value("year_built", True),
    "a number for a text": with_value("stage", 2),
    "a fraction for an integer": with_value("row", 7.5),
    "a lone surrogate": with_value("name", "\ud800"),
    "a text over a cell": with_value("note", "x" * 32_768),
    "a line over any record's bound": lambda lines: (
        [*lines[:2], '["' + "x" * (register_files.MAX_LINE + 10) + '"]\n', *lines[3:]],
        3,
    ),
    "a short record": lambda lines: ([*lines[:2], json.dumps(record(lines, 2)[:-1]) + "\n", *lines[3:]], 3),
    "two records on one line": lambda lines: (
        [*lines[:2], lines[2].rstrip("\n") + "," + lines[3], *lines[4:]],
        3,
    ),
    "broken JSON": lambda lines: ([*lines[:2], lines[2][:10] + "\n", *lines[3:]], 3),
    "a code twice": lambda lines: ([*lines[:3], lines[1], *lines[3:]], 4),
    "NaN": lambda lines: ([*lines[:2], lines[2].replace("null", "NaN", 1), *lines[3:]], 3),
    "cut at a line end": lambda lines: (lines[:-2], len(lines) - 1),
    "cut mid-line": lambda lines: ([*lines[:-1], lines[-1][:15]], len(lines)),
    "the last line only lost": lambda lines: (lines[:-1], len(lines)),
    "a record removed from the middle": lambda lines: ([*lines[:2], *lines[3:]], len(lines) - 1),
    "a record added": lambda lines: (
        [*lines[:-1], lines[1].replace("-", "-x", 1), lines[-1]],
        len(lines) + 1,
    ),
    "a line after the last": lambda lines: ([*lines, lines[1]], len(lines) + 1),
    "a header of another year": lambda lines: ([lines[0].replace("2025", "2024"), *lines[1:]], 1),
    "a header without columns": lambda lines: (
        ['{"format": 2, "year": 2025, "period": "annual"}\n', *lines[1:]],
        1,
    ),
}


@pytest.mark.parametrize("damage", DAMAGES, ids=list(DAMAGES))
def test_a_damaged_period_file_is_left_out_whole_and_said_with_its_line(outbox, damage, capsys, caplog):
    lines = lines_of(outbox, 2025)
    assert "null" in lines[2] or damage != "NaN"
    damaged, line = DAMAGES[damage](lines)
    put(outbox, 2025, damaged)
    assert main(["register", "rebuild", "--outbox", str(outbox)]) == 0
    assert "từ 2 kỳ báo cáo: 2024, 2026." in capsys.readouterr().out
    notice = next(r.getMessage() for r in caplog.records if "Bỏ qua kỳ 2025" in r.getMessage())
    assert str(outbox / "2025" / register_files.PERIOD_FILE) in notice
    assert f"ở dòng {line} " in notice
    with sqlite3.connect(outbox / register_tables.DB_NAME) as db:  # never half-loaded
        assert db.execute("SELECT count(*) FROM models WHERE year = 2025").fetchone() == (0,)
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


@pytest.mark.parametrize("value", [None, ["a", "b"], 1 << 64], ids=["missing", "list", "int over 64 bits"])
def test_runs_go_on_past_a_damaged_record(outbox, value, capsys):
    lines = lines_of(outbox, 2025)
    row = record(lines, 1)
    row[column("field")] = value
    lines[1] = json.dumps(row) + "\n"
    put(outbox, 2025, lines)
    summary = run(outbox.parent / "inbox-2026", outbox, 2026)  # exit 0: no "Lỗi bất ngờ"
    said = capsys.readouterr()
    assert "Bỏ qua kỳ 2025" in said.err and "ở dòng 2 " in said.err  # at the end of the run
    assert "Lỗi bất ngờ" not in said.err
    assert summary["continuity"] is None  # 2025 is not in the register: nothing to compare
    assert periods(outbox) == [2024, 2026]


def test_the_record_check_follows_the_declared_columns(tmp_path, monkeypatch):
    """A column added to the declaration is checked with no second list to keep."""
    schema = register_tables.record_schema()
    assert [c for c, _, _ in schema] == register_tables.COLUMNS
    assert dict((c, (t, r)) for c, t, r in schema)["field"] == ("INTEGER", True)
    monkeypatch.setattr(register_tables, "COLUMNS", [*register_tables.COLUMNS, "press"])
    monkeypatch.setattr(
        register_tables,
        "SCHEMA",
        re.sub(r"(?m)^(\s+row\s+INTEGER,.*)$", r"\1\n    press INTEGER NOT NULL,", register_tables.SCHEMA),
    )
    register_tables.declared.cache_clear()
    register_tables.record_schema.cache_clear()
    try:
        assert register_tables.record_schema()[-1] == ("press", "INTEGER", True)
        folder = tmp_path / "2025"
        folder.mkdir()
        known = {"code": "m-1", "unit": "u", "field": 1, "name": "A", "name_key": "a", "press": 3}
        good = [known.get(c) for c in register_tables.COLUMNS]
        register_files.write_period_file(
            folder / register_files.PERIOD_FILE, 2025, "annual", [good, [*good[:-1], "ba"]]
        )
        with pytest.raises(register_files.Damaged) as caught:
            [r for r in register_files._period_file(folder / register_files.PERIOD_FILE, (2025, "annual"))]
        assert (caught.value.line, "press" in caught.value.why) == (3, True)
    finally:
        register_tables.declared.cache_clear()
        register_tables.record_schema.cache_clear()


def test_a_period_file_of_the_old_layout_is_read_as_its_sums_vouch(outbox, capsys):
    """Format 1 had no last line: taken whole only while SHA256SUMS still gives its hash."""
    folder = outbox / "2025"
    lines = lines_of(outbox, 2025)
    header = json.loads(lines[0])
    header["format"] = 1
    old = [json.dumps(header, ensure_ascii=False) + "\n", *lines[1:-1]]
    assert "null" in old[1]
    old[1] = old[1].replace("null", "NaN", 1)  # as the old writer wrote a blank text
    put(outbox, 2025, old)
    sums = (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    digest = sha256(folder / register_files.PERIOD_FILE)
    (folder / "SHA256SUMS").write_text(
        "".join(f"{digest}  mo-hinh.jsonl\n" if s.endswith("  mo-hinh.jsonl") else s + "\n" for s in sums),
        encoding="utf-8",
    )
    assert main(["register", "rebuild", "--outbox", str(outbox)]) == 0
    assert periods(outbox) == [2024, 2025, 2026]
    put(outbox, 2025, old[:-1])  # cut at a line end: SHA256SUMS no longer vouches for it
    assert main(["register", "rebuild", "--outbox", str(outbox)]) == 0
    assert periods(outbox) == [2024, 2026]
    assert "từ 2 kỳ báo cáo" in capsys.readouterr().out


def test_the_written_file_ends_with_its_count_and_hash(outbox):
    import hashlib

    raw = (outbox / "2025" / register_files.PERIOD_FILE).read_bytes()
    *body, last = raw.splitlines(keepends=True)
    trailer = json.loads(last)
    assert trailer == {"records": len(body) - 1, "sha256": hashlib.sha256(b"".join(body)).hexdigest()}


# -- the register edited, broken or in the way -----------------------------------------------


def edit(outbox: Path, *statements: str) -> None:
    """As a person would with a SQLite tool (the real library, committed)."""
    db = sqlite3.connect(outbox / register_tables.DB_NAME)
    try:
        for statement in statements:
            db.execute(statement)
        db.commit()
    finally:
        db.close()


EDITS = {
    "rows edited": ("UPDATE models SET stage = 'honoured', replications = 99 WHERE year = 2025",),
    "rows deleted": ("DELETE FROM models WHERE year = 2025 AND unit = 'cam-lam'",),
    "a period's row edited": ("UPDATE periods SET models = 0",),
    "a column lost": ("ALTER TABLE models DROP COLUMN stage",),
    "a table lost": ("DROP TABLE models",),
}


@pytest.mark.parametrize("change", EDITS, ids=list(EDITS))
def test_a_register_edited_by_hand_changes_no_figure(built, outbox, change):
    _, third, before = built
    edit(outbox, *EDITS[change])
    again = run(outbox.parent / "inbox-2026", outbox, 2026)  # re-run: same figures
    assert again["continuity"] == third["continuity"]
    assert register_store.dump(outbox / register_tables.DB_NAME) == before  # written afresh


def seal(outbox: Path) -> None:
    """What a forger adds to a hand edit: the register's seal written to match."""
    path = outbox / register_tables.DB_NAME
    (outbox / register_store.SEAL).write_text(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  x\n")


SEALED_EDITS = {
    "a column lost": ("ALTER TABLE models DROP COLUMN name",),
    "a text for a number": ("UPDATE models SET replications = 'nhiều' WHERE year = 2025",),
    "a table lost": ("DROP TABLE models",),
    "rows deleted": ("DELETE FROM models WHERE year = 2025 AND unit = 'cam-lam'",),
}


@pytest.mark.parametrize("change", SEALED_EDITS, ids=list(SEALED_EDITS))
def test_a_register_edited_with_its_seal_rewritten_is_still_checked(built, outbox, change, capsys):
    """The seal is not the only guard: the tables as declared, every value of its type and each
    period's row count are checked on every run, in one SQL pass; any doubt, written afresh."""
    _, third, before = built
    edit(outbox, *SEALED_EDITS[change])
    seal(outbox)
    args = ["--inbox", str(outbox.parent / "inbox-2026"), "--outbox", str(outbox), "--year", "2026"]
    assert main(["status", *args]) == 0
    assert main(["template", "--outbox", str(outbox), "--year", "2027"]) == 0
    assert "Lỗi bất ngờ" not in capsys.readouterr().err
    again = run(outbox.parent / "inbox-2026", outbox, 2026)
    assert again["continuity"] == third["continuity"]
    assert register_store.dump(outbox / register_tables.DB_NAME) == before


@pytest.mark.parametrize("how", ["deleted", "a folder"])
def test_a_period_file_gone_is_said_not_dropped_silently(outbox, how, capsys, caplog):
    source = outbox / "2025" / register_files.PERIOD_FILE
    source.unlink()
    if how == "a folder":
        source.mkdir()
    assert main(["register", "rebuild", "--outbox", str(outbox)]) == 0
    assert "từ 2 kỳ báo cáo: 2024, 2026." in capsys.readouterr().out
    notice = next(r.getMessage() for r in caplog.records if "Bỏ qua kỳ 2025" in r.getMessage())
    assert "không còn tệp này" in notice and str(source) in notice


def test_a_period_file_rewritten_with_its_last_line_recomputed_is_held_to_the_folders_sums(
    outbox, capsys, caplog
):
    """Its own last line can be recomputed; the folder's SHA256SUMS (held to the run log by
    verify) still gives the hash the run wrote."""
    lines = lines_of(outbox, 2025)
    kept = [record(lines, n) for n in range(2, len(lines) - 1)]  # the first record dropped
    register_files.write_period_file(outbox / "2025" / register_files.PERIOD_FILE, 2025, "annual", kept)
    assert main(["register", "rebuild", "--outbox", str(outbox)]) == 0
    notice = next(r.getMessage() for r in caplog.records if "Bỏ qua kỳ 2025" in r.getMessage())
    assert "SHA256SUMS" in notice
    assert periods(outbox) == [2024, 2026]


def test_check_reads_the_period_folders_past_an_edited_register(outbox, capsys):
    """check and status write nothing: they read a register built from the folders instead."""
    edit(outbox, "DELETE FROM models")
    edited = (outbox / register_tables.DB_NAME).read_bytes()
    workbook = next((outbox.parent / "inbox-2026").glob("*.xlsx"))
    assert main(["check", "--year", "2026", "--outbox", str(outbox), str(workbook)]) == 0
    said = capsys.readouterr()
    assert "không khớp các thư mục kết quả" in said.err
    assert "model_code_unknown" not in said.out and "không có trong sổ" not in said.out
    assert (outbox / register_tables.DB_NAME).read_bytes() == edited


def _every_command(outbox: Path, tmp_path: Path, capsys) -> str:
    inbox = outbox.parent / "inbox-2026"
    for args in (
        ["status", "--inbox", str(inbox), "--outbox", str(outbox), "--year", "2026"],
        ["check", "--year", "2026", "--outbox", str(outbox), str(next(inbox.glob("*.xlsx")))],
        ["template", "--outbox", str(outbox), "--year", "2027"],
        [
            "remind",
            "--inbox",
            str(tmp_path),
            "--outbox",
            str(outbox),
            "--year",
            "2027",
            "--report-date",
            "01/12/2027",
        ],
    ):
        assert main(args) == 0, args
    return capsys.readouterr().out


def test_a_folder_at_the_registers_path_costs_a_notice_only(built, outbox, tmp_path, capsys):
    _, third, _ = built
    (outbox / register_tables.DB_NAME).unlink()
    (outbox / register_tables.DB_NAME).mkdir()
    again = run(outbox.parent / "inbox-2026", outbox, 2026)
    said = capsys.readouterr().err
    assert "Không ghi được sổ theo dõi mô hình" in said and "là một thư mục" in said
    assert again["continuity"] == third["continuity"]  # figures from a temporary register
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "điền sẵn" in _every_command(outbox, empty, capsys)
    assert (outbox / register_tables.DB_NAME).is_dir()
    assert main(["register", "rebuild", "--outbox", str(outbox)]) == 1
    assert "Không ghi được sổ theo dõi mô hình" in capsys.readouterr().err


def test_a_read_only_register_is_replaced_not_written(built, outbox):
    _, third, before = built
    edit(outbox, "DELETE FROM models WHERE year = 2024")
    (outbox / register_tables.DB_NAME).chmod(0o444)
    again = run(outbox.parent / "inbox-2026", outbox, 2026)
    assert again["continuity"] == third["continuity"]
    assert register_store.dump(outbox / register_tables.DB_NAME) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through read-only folders")
def test_a_read_only_outbox_costs_a_notice_for_the_register(built, outbox, tmp_path, capsys):
    _, third, _ = built
    edit(outbox, "DELETE FROM models WHERE year = 2024")
    outbox.chmod(0o555)
    try:
        workbook = next((outbox.parent / "inbox-2026").glob("*.xlsx"))
        assert main(["check", "--year", "2026", "--outbox", str(outbox), str(workbook)]) == 0
        assert main(["register", "rebuild", "--outbox", str(outbox)]) == 1
    finally:
        outbox.chmod(0o755)


def test_a_register_locked_by_another_program_costs_nothing(built, outbox, capsys):
    """Another program holds a write lock (its transaction open): the run neither waits nor fails."""
    _, third, before = built
    edit(outbox, "DELETE FROM models WHERE year = 2024")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys, time; db = sqlite3.connect(sys.argv[1], isolation_level=None); "
            "db.execute('BEGIN EXCLUSIVE'); db.execute('DELETE FROM periods'); print('held', flush=True); "
            "time.sleep(600)",
            str(outbox / register_tables.DB_NAME),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        again = run(outbox.parent / "inbox-2026", outbox, 2026)
        assert again["continuity"] == third["continuity"]
    finally:
        holder.kill()
        holder.wait()
    assert register_store.dump(outbox / register_tables.DB_NAME) == before


# -- killed writers ---------------------------------------------------------------------------

FOREIGN = textwrap.dedent(
    """
    import os, signal, sqlite3, sys
    db = sqlite3.connect(sys.argv[1], isolation_level=None)
    db.execute("PRAGMA journal_mode = " + sys.argv[2])
    db.execute("PRAGMA cache_size = 1")  # dirty pages spill into the file before the commit
    if sys.argv[2] == "WAL":
        db.execute("DELETE FROM models WHERE year = 2024")  # committed into the WAL only
        db.execute("CREATE TABLE notes (text TEXT)")
        db.executemany("INSERT INTO notes VALUES (?)", [("x" * 900,)] * 300)
    else:
        db.execute("BEGIN IMMEDIATE")
        db.execute("DELETE FROM models")
        db.execute("DELETE FROM periods WHERE year = 2025")
        db.execute("CREATE TABLE notes (text TEXT)")
        db.executemany("INSERT INTO notes VALUES (?)", [("x" * 900,)] * 300)  # more than the cache
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


@pytest.mark.parametrize("mode", ["DELETE", "WAL"])
def test_a_writer_killed_mid_transaction_leaves_nothing_to_the_rebuilt_register(outbox, mode, capsys):
    """The old hot journal (or WAL) of a killed writer is never applied to the new register."""
    path = outbox / register_tables.DB_NAME
    killed = subprocess.run([sys.executable, "-c", FOREIGN, str(path), mode])
    assert killed.returncode == -signal.SIGKILL
    left = Path(f"{path}{'-wal' if mode == 'WAL' else '-journal'}")
    assert left.is_file() and left.stat().st_size > 0  # a hot journal / a WAL with a commit
    shutil.rmtree(outbox / "2024")  # a period deleted since: it must not come back
    assert main(["register", "rebuild", "--outbox", str(outbox)]) == 0
    expected = register_store.dump(path)
    for mode_now in ("DELETE", "WAL", "DELETE"):  # opened again, by a tool that turns WAL on too
        with sqlite3.connect(path) as db:
            db.execute(f"PRAGMA journal_mode = {mode_now}")
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert [y for (y,) in db.execute("SELECT year FROM periods ORDER BY year")] == [2025, 2026]
            assert db.execute("SELECT count(*) FROM models WHERE year = 2025").fetchone()[0] > 0
            assert db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'notes'").fetchone() == (0,)
        db.close()
    assert register_store.dump(path) == expected
    capsys.readouterr()
    run(outbox.parent / "inbox-2026", outbox, 2026)  # no period file taken for damaged
    assert "Bỏ qua" not in capsys.readouterr().err
    assert periods(outbox) == [2025, 2026]


WRITER = kills.script(
    """
    from aggregator.merging import register_store

    traced(register_store)
    register_store.sync(outbox)
    print("done", steps[0])
    """
)


def test_a_register_writer_killed_at_every_step_leaves_a_whole_register(built, outbox):
    """Killed at every SQL statement, fsync, unlink and rename of a sync after a re-run: the next
    sync gives a whole register, the same as one written without interruption."""
    _, _, before = built
    shutil.copytree(outbox, outbox.parent / "pristine")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    stop = 1
    while True:
        shutil.rmtree(outbox)
        shutil.copytree(outbox.parent / "pristine", outbox)
        edit(outbox, "DELETE FROM models WHERE year = 2026")  # the register must be written
        done = subprocess.run(
            [sys.executable, "-c", WRITER, str(outbox), str(stop)], env=env, capture_output=True, text=True
        )
        if done.returncode == 0:
            assert done.stdout.startswith("done")
            break
        assert done.returncode == -signal.SIGKILL, done.stderr
        path = register_store.sync(outbox)
        assert path == outbox / register_tables.DB_NAME
        with sqlite3.connect(path) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert register_store.dump(path) == before, f"killed at step {stop}"
        assert not list(outbox.glob(".*dang-ghi*")), f"killed at step {stop}"
        stop += 1
    assert stop > 20  # every statement of the rebuild was a kill point


def test_a_register_that_lost_a_column_stops_no_command(outbox, tmp_path, capsys):
    edit(outbox, "ALTER TABLE models DROP COLUMN stage", "ALTER TABLE periods DROP COLUMN models")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "điền sẵn" in _every_command(outbox, empty, capsys)  # pre-filled from the folders
    assert "Lỗi bất ngờ" not in capsys.readouterr().err


@pytest.mark.parametrize(
    "damage, why",
    [("a text over a cell", "quá sức chứa một ô"), ("a line over any record's bound", "dòng dài quá")],
)
def test_an_oversized_record_is_refused_by_its_size_before_it_costs_memory(outbox, damage, why, caplog):
    """No record the writer makes holds more than a cell's text per column: a bigger one (a
    300 MB note typed into the file) is refused on its size, its line never parsed whole."""
    damaged, _ = DAMAGES[damage](lines_of(outbox, 2025))
    put(outbox, 2025, damaged)
    assert main(["register", "rebuild", "--outbox", str(outbox)]) == 0
    assert any(why in r.getMessage() for r in caplog.records if "Bỏ qua kỳ 2025" in r.getMessage())


def test_the_period_order_in_sql_is_the_period_order_in_python():
    """``RANK_SQL`` orders the models table's rows as ``rank`` orders periods: one rule."""
    db = sqlite3.connect(":memory:")
    for year in (2024, 2025):
        for period in ("half_year", "annual"):
            query = f"SELECT {RANK_SQL} FROM (SELECT ? AS year, ? AS period)"
            assert db.execute(query, (year, period)).fetchone()[0] == rank(year, period)
