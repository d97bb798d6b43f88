#!/usr/bin/env python3
"""Measure the register of models: what it adds to the December run, and a rebuild.

1. Makes the synthetic inbox of ``bench.py`` (N workbooks of R models), runs it once as the
   previous year, then runs it again as this year, so every model continues one in the
   register (the year-two run, the costliest case: every record is compared). Times every
   piece of work the register adds inside that run (bringing the register up to date before
   and after, reading it, giving codes and checking rows, the comparison, the timeline rows,
   writing ``mo-hinh.jsonl``) against the whole run. Then runs ``aggregate.py`` end to end,
   year two and a first year, with the peak memory of all their processes.
2. Copies that period file into five years of period folders and times ``register_store.rebuild``.

    python benchmarks/bench_register.py                 # 2,000 workbooks of 30 models
    python benchmarks/bench_register.py --size 200 --years 5
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("bench", ROOT / "benchmarks" / "bench.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

from aggregator import cli
from aggregator import config as config_module
from aggregator.merging import (
    continuity,
    register,  # the facade: the run calls register.sync and .other_periods
    register_files,
    register_store,
    register_tables,
)
from aggregator.outbox import write as outputs

SPENT: dict[str, float] = defaultdict(float)


def _timed(module, name: str, label: str) -> None:
    original = getattr(module, name)

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            SPENT[label] += time.perf_counter() - started

    setattr(module, name, wrapper)


def instrument() -> None:
    """Time each piece of register work where the run calls it."""
    _timed(register, "sync", "sync (before and after)")
    _timed(register, "other_periods", "read the register")
    _timed(continuity, "assign", "codes and cross-period checks")
    _timed(continuity, "compare", "continuity figures")
    _timed(continuity, "timeline_rows", "timeline rows")
    _timed(outputs, "_register_source", "write mo-hinh.jsonl")


def run(inbox: Path, out: Path, schemas: Path, jobs: int) -> float:
    started = time.perf_counter()
    code = cli.main(
        [
            "--inbox",
            str(inbox),
            "--outbox",
            str(out),
            "--year",
            "2026",
            "--report-date",
            "15/12/2026",
            "--schemas",
            str(schemas),
            "--jobs",
            str(jobs),
        ]
    )
    assert code == 0
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2000)
    parser.add_argument("--rows", type=int, default=30)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=bench.workers.cpu_count())
    parser.add_argument(
        "--baseline",
        type=Path,
        default=None,
        metavar="DIR",
        help="also run the first year with the aggregate.py of another "
        "checkout (e.g. `git archive` of the commit before the register)",
    )
    parser.add_argument(
        "--warn-resent",
        action="store_true",
        help='keep the warning on "Đăng ký mới" for a registered model: the '
        "synthetic inbox is last year's files sent again, so about a third "
        "of the rows get it and nearly every unit a feedback workbook",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-register-") as tmp:
        folder = Path(tmp)
        schemas = bench.make_registry(folder, args.size)
        cfg = config_module.load(schemas)
        inbox = bench.make_inbox(folder, cfg, args.size, args.rows)
        out = folder / "outbox"
        first = run(inbox, out, schemas, args.jobs)
        _as_previous_year(out, "2026", 2025)
        if not args.warn_resent:  # units that update their list say "Duy trì, phát huy"
            rules = schemas / "workbook.yaml"
            rules.write_text(
                rules.read_text(encoding="utf-8").replace(
                    "new_already_registered: warning", 'new_already_registered: "off"'
                ),
                encoding="utf-8",
            )
        register_store.sync(out)  # as the previous year's run left it
        instrument()
        with contextlib.redirect_stdout(None):
            total = run(inbox, out, schemas, args.jobs)
        summary = json.loads((out / "2026" / "summary.json").read_text(encoding="utf-8"))
        added = sum(SPENT.values())
        print(
            f"Year-two run, {args.size} workbooks, {summary['totals']['models']} models "
            f"(first run {first:.1f} s): {total:.1f} s"
        )
        for label, seconds in SPENT.items():
            print(f"  {label:<32} {seconds:6.2f} s")
        print(
            f"  register work, all told          {added:6.2f} s = {100 * added / total:.1f}% "
            f"of the run (matched {summary['continuity']['matched']})"
        )

        # memory, as staff run it: the year-two run again (compared with 2025), and a first
        # year into an empty outbox, each with the peak of all its processes
        runs = [("year two", out, ROOT), ("first year", folder / "outbox-first", ROOT)]
        if args.baseline:  # the same first year by another checkout (before the register)
            runs.append((f"first year, {args.baseline}", folder / "outbox-base", args.baseline))
        for label, target, code in runs:
            seconds, peak = _end_to_end(inbox, schemas, target, args.jobs, code)
            print(f"aggregate.py end to end, {label}: {seconds:.1f} s, peak {peak:.0f} MB (all processes)")

        source = out / "2026" / register_files.PERIOD_FILE
        archive = folder / "years"
        archive.mkdir()
        for year in range(2026 - args.years + 1, 2027):
            target = archive / str(year)
            target.mkdir()
            _copy_period_file(source, target / register_files.PERIOD_FILE, year)
        best = min(_rebuild(archive) for _ in range(3))
        with register_store.connect(archive / register_tables.DB_NAME) as db:
            count = db.execute("SELECT count(*) FROM models").fetchone()[0]
        size = (archive / register_tables.DB_NAME).stat().st_size / 1e6
        print(f"Rebuild from {args.years} years ({count} records): {best:.2f} s (best of 3), {size:.0f} MB")


def _end_to_end(inbox: Path, schemas: Path, out: Path, jobs: int, code: Path = ROOT) -> tuple[float, float]:
    started = time.perf_counter()
    child = subprocess.Popen(
        [
            sys.executable,
            str(code / "aggregate.py"),
            "run",
            "--inbox",
            str(inbox),
            "--outbox",
            str(out),
            "--schemas",
            str(schemas),
            "--year",
            "2026",
            "--report-date",
            "15/12/2026",
            "--jobs",
            str(jobs),
        ],
        stdout=subprocess.DEVNULL,
    )
    watch = bench.MemoryWatch(child.pid)
    assert child.wait() == 0
    return time.perf_counter() - started, watch.peak_mb()


def _rebuild(outbox: Path) -> float:
    (outbox / register_tables.DB_NAME).unlink(missing_ok=True)
    started = time.perf_counter()
    register_store.rebuild(outbox)
    return time.perf_counter() - started


def _as_previous_year(out: Path, name: str, year: int) -> None:
    """Turn a run's folder into the previous year's period folder (the register follows)."""
    target = out / str(year)
    (out / name).rename(target)
    _copy_period_file(target / register_files.PERIOD_FILE, target / register_files.PERIOD_FILE, year)


def _copy_period_file(source: Path, target: Path, year: int) -> None:
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    header = json.loads(lines[0])
    header["year"] = year
    target.write_text(json.dumps(header, ensure_ascii=False) + "\n" + "".join(lines[1:]), encoding="utf-8")


if __name__ == "__main__":
    main()
