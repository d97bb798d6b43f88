#!/usr/bin/env python3
"""Are the outputs the same before and after a change? A digest of every output, compared.

A refactor must not change a byte the Board, a unit or an auditor reads. This runs the real
command line on fixed inputs and writes one line per output file: its path and its SHA-256.
The register (SQLite) is digested by its SQL dump, not its bytes (SQLite's page layout is not
part of what the register says); ``run-log.jsonl`` holds the runs' clock times and is left out.

The inputs are made once, into ``--inputs`` (default ``/tmp/same-outputs/inputs``), and reused
for every digest, since workbooks made again carry new creation times. Scenarios:

- ``sample``: ``examples/inbox`` as the Quick start runs it;
- ``synthetic-200``: 200 standard workbooks of 30 models (``benchmarks/bench.py``'s inbox and a
  200-unit registry), 15 % of them with rejected rows;
- ``three-years``: the register's test inboxes of 2024, 2025 and 2026 run in turn into one
  outbox (codes, continuity, section II.5, "Lịch sử mô hình"), then ``template --year 2027``
  (the pre-filled workbooks);
- ``check``: ``check --json`` on the sample inbox.

    .venv/bin/python tools/same_outputs.py before.txt     # on the old code
    .venv/bin/python tools/same_outputs.py after.txt      # on the new code
    diff before.txt after.txt                             # nothing: byte-identical
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATE = "15/12/{year}"


def make_inputs(inputs: Path) -> None:
    sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks"), str(ROOT / "tests")]
    import bench  # noqa: PLC0415
    import test_register  # noqa: PLC0415

    from aggregator import config as config_module  # noqa: PLC0415

    inputs.mkdir(parents=True)
    schemas = bench.make_registry(inputs / "synthetic", 200)
    cfg = config_module.load(schemas)
    bench.make_inbox(inputs / "synthetic", cfg, 200, 30)
    years = inputs / "years"
    years.mkdir()
    # the 2025 and 2026 inboxes carry codes the register gives; the codes are deterministic,
    # so they are read from a first run here and the inboxes stay fixed from then on
    scratch = inputs / "scratch-outbox"
    _run(test_register.inbox_2024(years), scratch, 2024)
    codes_2024 = test_register.codes_of(scratch, 2024)
    _run(test_register.inbox_2025(years, codes_2024["Khuyến học"]), scratch, 2025)
    codes_2025 = test_register.codes_of(scratch, 2025)
    test_register.inbox_2026(years, codes_2024, codes_2025)
    shutil.rmtree(scratch)


def _run(inbox: Path, outbox: Path, year: int, *extra: str) -> str:
    command = [
        sys.executable,
        str(ROOT / "aggregate.py"),
        "--inbox",
        str(inbox),
        "--outbox",
        str(outbox),
        "--year",
        str(year),
        "--report-date",
        DATE.format(year=year),
        "--jobs",
        "2",
        *extra,
    ]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr}")
    return done.stdout


def digest(folder: Path) -> list[str]:
    lines = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder).as_posix()
        if path.name == "run-log.jsonl" or path.name.endswith(("-wal", "-shm", "-journal")):
            continue
        if path.suffix == ".sqlite":
            with sqlite3.connect(path) as db:
                data = "\n".join(db.iterdump()).encode()
        else:
            data = path.read_bytes()
        lines.append(f"{hashlib.sha256(data).hexdigest()}  {relative}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("digest", type=Path, help="where to write the digest")
    parser.add_argument("--inputs", type=Path, default=Path("/tmp/same-outputs/inputs"))
    args = parser.parse_args()
    if not args.inputs.exists():
        make_inputs(args.inputs)
    work = args.inputs.parent / "outputs"
    shutil.rmtree(work, ignore_errors=True)
    lines = []
    _run(ROOT / "examples" / "inbox", work / "sample", 2026)
    _run(
        args.inputs / "synthetic" / "inbox",
        work / "synthetic-200",
        2026,
        "--schemas",
        str(args.inputs / "synthetic" / "schemas"),
    )
    for year in (2024, 2025, 2026):
        _run(args.inputs / "years" / f"inbox-{year}", work / "three-years", year)
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "aggregate.py"),
            "template",
            "--outbox",
            str(work / "three-years"),
            "--year",
            "2027",
        ],
        check=True,
        cwd=ROOT,
        capture_output=True,
    )
    checked = subprocess.run(
        [
            sys.executable,
            str(ROOT / "aggregate.py"),
            "check",
            "--json",
            "--outbox",
            str(work / "sample"),
            str(ROOT / "examples" / "inbox"),
        ],
        capture_output=True,
        cwd=ROOT,
        check=False,
    )
    (work / "check.json").write_bytes(checked.stdout)
    for scenario in ("sample", "synthetic-200", "three-years"):
        lines += [
            f"{line.split('  ')[0]}  {scenario}/{line.split('  ', 1)[1]}" for line in digest(work / scenario)
        ]
    lines += [f"{hashlib.sha256(checked.stdout).hexdigest()}  check.json"]
    args.digest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} outputs digested into {args.digest}")


if __name__ == "__main__":
    main()
