"""The register made ready while a run writes (``register_ahead``): the same register as one
rebuilt from the period folders, a period file edited between its writing and the swap still
caught and named as before, a run killed at any step leaving a register the next run repairs,
and nothing left behind by a run that failed."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import kills
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_register import run

from aggregator.cli import main
from aggregator.merging import register_ahead, register_files, register_store, register_tables
from aggregator.outbox import write as outputs

pipeline = importlib.import_module("aggregator.pipeline.run")  # (the package exports its run)
ROOT = Path(__file__).resolve().parents[1]
TMP = ".dang-ghi-2026"  # the run's temporary folder, as swap.publish names its own


def rebuilt(outbox: Path, tmp_path: Path) -> str:
    """The register rebuilt from the period folders, in a copy of the outbox."""
    copy = tmp_path / "rebuilt"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(outbox, copy)
    (copy / register_tables.DB_NAME).unlink()
    return register_store.dump(register_store.rebuild(copy))


def before_2026(outbox: Path) -> Path:
    """The outbox as a run of 2026 finds it while writing: the register of 2024 and 2025, and
    2026's outputs in the run's temporary folder."""
    tmp = outbox / TMP
    (outbox / "2026").rename(tmp)
    register_store.sync(outbox)
    return tmp


def published(outbox: Path, tmp: Path) -> None:
    (tmp).rename(outbox / "2026")


def test_a_run_reads_its_period_file_once_and_the_register_equals_the_rebuild(
    built, outbox, tmp_path, monkeypatch
):
    _, third, before = built
    reads = []
    original = register_store._period_file

    def counted(path, *args, **kwargs):
        reads.append(path.name)
        return original(path, *args, **kwargs)

    monkeypatch.setattr(register_store, "_period_file", counted)
    again = run(outbox.parent / "inbox-2026", outbox, 2026)  # a re-run: 2026 replaced
    assert again["continuity"] == third["continuity"]
    assert reads == [register_files.PERIOD_FILE]  # the new period's file, ahead; no other period
    dumped = register_store.dump(outbox / register_tables.DB_NAME)
    assert dumped == before == rebuilt(outbox, tmp_path)
    assert register_store.refresh(outbox, write=False) == (outbox / register_tables.DB_NAME, [])
    assert not list(outbox.glob(".*dang-ghi*"))


def test_the_first_run_of_a_period_is_made_ready_ahead(built, outbox, tmp_path):
    _, _, before = built
    tmp = before_2026(outbox)
    ahead = register_ahead.Ahead(outbox, (2026, "annual"), "2026")
    ahead.start(tmp / register_files.PERIOD_FILE)
    assert ahead.wait() is not None
    published(outbox, tmp)
    assert ahead.swap_in()
    assert register_store.dump(outbox / register_tables.DB_NAME) == before == rebuilt(outbox, tmp_path)
    assert not list(outbox.glob(".*dang-ghi*"))


def _edit_name(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    row = json.loads(lines[2])
    row[register_tables.COLUMNS.index("name")] = "Sửa tay"
    lines[2] = json.dumps(row, ensure_ascii=False) + "\n"
    path.write_text("".join(lines), encoding="utf-8")


def _wrong_sums(folder: Path) -> None:
    sums = folder / register_files.CHECKSUMS
    sums.write_text(
        "".join(
            f"{'0' * 64}  {name}\n" if name == register_files.PERIOD_FILE else f"{line}\n"
            for line in sums.read_text(encoding="utf-8").splitlines()
            for name in [line.partition("  ")[2]]
        ),
        encoding="utf-8",
    )


def _emptied(path: Path) -> None:
    db = sqlite3.connect(path)
    try:
        db.execute("DELETE FROM models")
        db.commit()
    finally:
        db.close()


CHANGES = {
    "the new period file edited": lambda outbox: _edit_name(outbox / "2026" / register_files.PERIOD_FILE),
    "an earlier period file edited": lambda outbox: _edit_name(outbox / "2025" / register_files.PERIOD_FILE),
    "an earlier period file deleted": lambda outbox: (outbox / "2024" / register_files.PERIOD_FILE).unlink(),
    "the new period's sums not vouching": lambda outbox: _wrong_sums(outbox / "2026"),
    "an earlier period's folder removed": lambda outbox: shutil.rmtree(outbox / "2024"),
    "the register edited": lambda outbox: _emptied(outbox / register_tables.DB_NAME),
}


@pytest.mark.parametrize("change", CHANGES, ids=list(CHANGES))
def test_a_change_between_writing_and_the_swap_is_caught_as_before(outbox, tmp_path, change):
    """Whatever changed after the copy was made ready: refused, and the register and what
    staff are told are exactly what a refresh of the folders gives."""
    tmp = before_2026(outbox)
    ahead = register_ahead.Ahead(outbox, (2026, "annual"), "2026")
    ahead.start(tmp / register_files.PERIOD_FILE)
    ahead.wait()
    published(outbox, tmp)
    CHANGES[change](outbox)
    twin = tmp_path / "twin"
    shutil.copytree(outbox, twin)
    expected = register_store.refresh(twin)[1]
    said = pipeline._sync_published(outbox, ahead)
    assert said == [n.replace(str(twin), str(outbox)) for n in expected]
    if "register" not in change and "removed" not in change:
        assert said and "Bỏ qua kỳ" in said[0]  # the damaged period named, with its file
    assert register_store.dump(outbox / register_tables.DB_NAME) == register_store.dump(
        twin / register_tables.DB_NAME
    )
    assert not list(outbox.glob(".*dang-ghi*"))


def test_a_register_not_current_is_not_copied(outbox):
    tmp = before_2026(outbox)
    with sqlite3.connect(outbox / register_tables.DB_NAME) as db:
        db.execute("UPDATE models SET stage = 'honoured' WHERE year = 2025")
    db.close()
    ahead = register_ahead.Ahead(outbox, (2026, "annual"), "2026")
    ahead.start(tmp / register_files.PERIOD_FILE)
    assert ahead.wait() is None and not ahead.path.exists()
    published(outbox, tmp)
    assert not ahead.swap_in()


def test_a_run_that_fails_after_the_copy_began_leaves_no_copy(built, outbox, monkeypatch):
    _, _, before = built
    started = []
    original = register_ahead.Ahead.start

    def start(self, source):
        started.append(source)
        original(self, source)

    def failing(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(register_ahead.Ahead, "start", start)
    monkeypatch.setattr(outputs, "_feedback", failing)
    args = ["--inbox", str(outbox.parent / "inbox-2026"), "--outbox", str(outbox), "--year", "2026"]
    assert main([*args, "--report-date", "15/12/2026", "--jobs", "1"]) == 1  # said, outputs kept
    assert started  # the copy was under way when the run failed
    assert not list(outbox.glob(".*dang-ghi*"))
    assert register_store.dump(outbox / register_tables.DB_NAME) == before


KILLED = kills.script(
    """
    import importlib
    import shutil
    from aggregator.merging import register_ahead, register_files

    pipeline = importlib.import_module("aggregator.pipeline.run")
    traced(register_ahead)
    os.rename = stepping(os.rename)
    shutil.copyfile = stepping(shutil.copyfile)
    ahead = register_ahead.Ahead(outbox, (2026, "annual"), "2026")
    tmp = outbox / ".dang-ghi-2026"
    ahead.start(tmp / register_files.PERIOD_FILE)
    ready = ahead.wait() is not None
    step()
    tmp.rename(outbox / "2026")  # the publish
    said = pipeline._sync_published(outbox, ahead)
    print("done", ready, steps[0], said)
    """
)


def test_a_run_killed_at_every_step_leaves_a_register_the_next_run_repairs(built, outbox):
    """Killed at every SQL statement, copy, fsync, unlink and rename of the copy made ready and
    swapped in, and between the publish and the swap: the register left is whole (stale at
    worst), and the next sync gives the one written without interruption, nothing left over."""
    _, _, before = built
    before_2026(outbox)
    shutil.copytree(outbox, outbox.parent / "pristine")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    stop = 1
    while True:
        shutil.rmtree(outbox)
        shutil.copytree(outbox.parent / "pristine", outbox)
        done = subprocess.run(
            [sys.executable, "-c", KILLED, str(outbox), str(stop)], env=env, capture_output=True, text=True
        )
        if done.returncode == 0:
            assert done.stdout.startswith("done True") and done.stdout.rstrip().endswith("[]"), done.stdout
            assert register_store.dump(outbox / register_tables.DB_NAME) == before
            break
        assert done.returncode == -signal.SIGKILL, done.stderr
        path = outbox / register_tables.DB_NAME
        with sqlite3.connect(path) as db:  # whole, whatever it holds
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        db.close()
        if (outbox / TMP).exists():  # killed before the publish: the next run publishes
            (outbox / TMP).rename(outbox / "2026")
        path = register_store.sync(outbox)
        assert path == outbox / register_tables.DB_NAME
        assert register_store.dump(path) == before, f"killed at step {stop}"
        assert not list(outbox.glob(".*dang-ghi*")), f"killed at step {stop}"
        stop += 1
    assert stop > 15  # every statement of the copy's update was a kill point


# -- the values of a period file checked a column at a time ---------------------------------

VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(1 << 65), max_value=1 << 65),
    st.sampled_from([0, 1, 2025, (1 << 63) - 1, -(1 << 63), 1 << 63]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.sampled_from(["", "\ud800", "x" * register_files.CELL_CHARS, "x" * (register_files.CELL_CHARS + 1)]),
    st.lists(st.integers(), max_size=2),
)


@settings(max_examples=400, deadline=None)
@given(
    changes=st.lists(
        st.tuples(st.integers(min_value=0, max_value=7), st.sampled_from(register_tables.COLUMNS), VALUES),
        max_size=4,
    ),
)
def test_the_values_checked_a_column_at_a_time_find_what_each_value_checked_finds(changes):
    """The fast check (a column at a time) and ``_fault`` (a value at a time) agree: the same
    first fault, on the same line, with the same words; none when ``_fault`` finds none."""
    valid = dict.fromkeys(register_tables.COLUMNS)
    valid.update(code="mã-1", unit="u", name="Tên", field=3, name_key="ten", row=4)
    rows = [list(valid.values()) for _ in range(8)]
    for at, name, value in changes:  # a few values changed, anywhere
        rows[at][register_tables.COLUMNS.index(name)] = value
    schema = register_tables.record_schema()
    expected = next(
        (
            (number, f"cột {name}: {fault}")
            for number, row in enumerate(rows, 7)
            for (name, kind, required), item in zip(schema, row, strict=True)
            if (fault := register_files._fault(item, kind, required)) is not None
        ),
        None,
    )
    try:
        register_files._check(rows, 7)
        found = None
    except register_files.Damaged as exc:
        found = (exc.line, exc.why)
    assert found == expected
