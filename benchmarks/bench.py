#!/usr/bin/env python3
"""Measure the December run on synthetic inboxes: time per stage, memory, and the floor.

Makes its own inbox of N standard workbooks (R models each, realistic Vietnamese text, a few
bad rows) and a registry of N units, runs the real pipeline with its real worker processes,
and prints one table row per size. In the same run it measures the floor, the I/O no
implementation can avoid, done the fastest simple way in one process: parsing every sheet of
the same files with python-calamine alone, and writing as many records and columns as the
master workbook's records sheet with XlsxWriter in constant_memory mode.

    python benchmarks/bench.py                       # 21, 200 and 2,000 workbooks of 30 models
    python benchmarks/bench.py --sizes 21 200 --jobs 1
    python benchmarks/bench.py --cli --repeat 3      # also `aggregate.py` end to end; best of 3
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import importlib
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import python_calamine
import xlsxwriter
import yaml

ROOT = Path(__file__).resolve().parents[1]
# the code measured: this checkout, or another one named by BENCH_CODE (the same workload on
# both, e.g. BENCH_CODE=/path/to/main for the code before a change)
CODE = Path(os.environ.get("BENCH_CODE") or ROOT).resolve()
sys.path[:0] = [str(CODE), str(ROOT / "benchmarks")]

from aggregator import config as config_module
from aggregator.model import RunResult
from aggregator.outbox import swap as outbox_swap
from aggregator.outbox import write as outputs
from aggregator.pipeline import aggregate, outreach, workers
from aggregator.rendering import report

run_module = importlib.import_module("aggregator.pipeline.run")  # (the package's run is a function)
from statements import answers as unit_answers

NAMES = [
    "Dân vận khéo",
    "Thôn văn hóa kiểu mẫu",
    "Hộ nuôi tôm hùm an toàn",
    "Bếp ăn miễn phí",
    "Thư viện xanh thân thiện",
    "Tổ an ninh tự quản",
    "Thanh niên khởi nghiệp yến sào",
    "Hiến đất mở đường",
    "Dòng họ học tập",
    "Người tốt việc tốt trên biển",
    "Chi bộ bốn tốt",
    "Camera an ninh kết nối",
    "Tuyến đường hoa nông thôn mới",
]
PERFORMERS = [
    "Chi bộ thôn Tân Phú",
    "Hội Nông dân xã",
    "Đoàn Thanh niên phường",
    "Bà Nguyễn Thị Hồng",
    "Ông Trần Văn Lực",
    "Tổ dân phố số 5",
]
PLACES = ["Xã Ninh Ích", "Phường Vĩnh Hòa", "Xã Cam Thành Bắc", "Thị trấn Tô Hạp"]
STAGES = ["discover", "read", "validate", "merge", "summarise", "render", "write", "register"]
STAGE_OF = {"period": "render"}  # the period file, written first of the outputs: counted in render
YEAR = 2026
REPORT_DATE = dt.date(YEAR, 12, 15)
BAD_WORKBOOKS = 0.15  # share of workbooks with one or two rows a rule rejects


def make_registry(folder: Path, size: int) -> Path:
    """A copy of the schemas with ``size`` units (the 70-unit province scaled further)."""
    target = folder / "schemas"
    shutil.copytree(CODE / "schemas", target)
    units = yaml.safe_load((target / "units.yaml").read_text(encoding="utf-8"))
    units["units"] = [
        {"code": f"dv-{i:05d}", "name": f"Đảng ủy đơn vị số {i}", "group": "truc-thuoc", "quota": 3}
        for i in range(size)
    ]
    (target / "units.yaml").write_text(yaml.safe_dump(units, allow_unicode=True), encoding="utf-8")
    return target


def make_inbox(
    folder: Path, cfg, size: int, rows: int, seed: int = 7, year: int = 2026, statements: bool = False
) -> Path:
    """``size`` workbooks of ``rows`` models; with ``statements``, each unit's answers on the
    assessment sheet too (``statements.py``: its own, and some shared with other units). For a
    ``year`` before 2026, the same lists without the models new in 2026."""
    rng = random.Random(seed)
    said = random.Random(seed + 1)  # its own stream: the models stay those of the plain inbox
    inbox = folder / "inbox"
    inbox.mkdir()
    headers = [c.header for c in cfg.columns]
    label = {c.code: c.label for c in cfg.subjects}
    allowed = {f.code: [label[s] for s in f.subjects] for f in cfg.fields}
    for i in range(size):
        book = xlsxwriter.Workbook(str(inbox / f"dv-{i:05d}.xlsx"))
        info = book.add_worksheet("Thông tin")
        for r, (label, value) in enumerate(
            [
                ("Mã đơn vị", f"dv-{i:05d}"),
                ("Năm báo cáo", year),
                ("Kỳ báo cáo", "Năm"),
                ("Ngày báo cáo", f"03/12/{year}"),
            ]
        ):
            info.write_row(r, 0, [label, value])
        sheet = book.add_worksheet("Danh sách")
        sheet.write(0, 0, "DANH SÁCH MÔ HÌNH, ĐIỂN HÌNH")
        sheet.write_row(2, 0, headers)
        bad = (
            set(rng.sample(range(rows), k=min(rows, rng.randint(1, 2))))
            if rng.random() < BAD_WORKBOOKS
            else set()
        )
        listed = 0
        for r in range(rows):
            row = _model(rng, allowed, i, r, bad=r in bad)
            if year < 2026 and row[6] == 2026:  # a model new this year: not in last year's list
                continue
            sheet.write_row(3 + listed, 0, [listed + 1, *row[1:]])
            listed += 1
        if statements:
            answers = book.add_worksheet(cfg.sheets["assessment"])
            for r, label in enumerate(cfg.assessment):
                answers.write_row(r, 0, [label.label, unit_answers(said, i)])
        book.close()
        # saved on the day it is dated (a "Ngày báo cáo" after the file's time is not trusted)
        os.utime(inbox / f"dv-{i:05d}.xlsx", (saved(year), saved(year)))
    return inbox


def saved(year: int) -> float:
    return dt.datetime(year, 12, 3, 12, tzinfo=dt.timezone(dt.timedelta(hours=7))).timestamp()


SAVED = saved(2026)


def _model(rng: random.Random, allowed: dict[int, list[str]], unit: int, r: int, bad: bool) -> list:
    field = rng.choice(list(allowed))
    subject = rng.choice(allowed[field])
    if bad:  # a subject the field does not allow: the row is rejected
        subject = next(s for s in ("Hộ gia đình", "Cá nhân") if s not in allowed[field])
    new = rng.random() < 0.3
    replicated = rng.random() < 0.5
    return [
        r + 1,
        f"{rng.choice(NAMES)} {unit}-{r}",
        field,
        subject,
        rng.choice(PERFORMERS),
        rng.choice(PLACES),
        2026 if new else rng.randint(2019, 2025),
        "Đăng ký mới" if new else "Duy trì, phát huy",
        "Giới thiệu, nhân rộng" if replicated else "Phát hiện, bồi dưỡng",
        "Cách làm hay, hiệu quả, được nhân dân đồng tình hưởng ứng.",
        "Tăng thu nhập, giữ vững an ninh trật tự.",
        "Tốt",
        rng.randint(1, 9) if replicated else "",
    ]


class MemoryWatch:
    """Peak memory of a process and all its descendants (workers, the master workbook's
    writer), sampled from /proc by a separate process so the measured tree holds no threads.

    The sum of PSS (proportional set size) counts pages shared after fork once in all, so it
    is the memory the job really takes from the machine. Linux only; elsewhere it reports nan.
    """

    def __init__(self, pid: int, interval: float = 0.05):
        self.process = None
        if Path("/proc/self/smaps_rollup").exists():
            self.process = subprocess.Popen(
                [sys.executable, __file__, "--watch", str(pid), str(interval)],
                stdout=subprocess.PIPE,
                text=True,
            )
            self.process.stdout.readline()  # "sampling": the first sample is taken

    def peak_mb(self) -> float:
        if self.process is None:
            return float("nan")
        self.process.terminate()
        out, _ = self.process.communicate()
        return int(out.split()[-1]) / 1024


def _watch(root: int, interval: float) -> None:
    import signal

    stopped = []
    signal.signal(signal.SIGTERM, lambda *_: stopped.append(True))
    peak = _tree_pss_kb(root)
    print("sampling", flush=True)
    while not stopped and Path(f"/proc/{root}").exists():
        time.sleep(interval)
        peak = max(peak, _tree_pss_kb(root))
    print(peak, flush=True)


def _tree_pss_kb(root: int) -> int:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    total, todo, me = 0, [root], os.getpid()
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        if pid == me:
            continue
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        total += next((int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:")), 0)
    return total


class Laps:
    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self.clock = time.perf_counter()

    def __call__(self, stage: str) -> None:
        stage = STAGE_OF.get(stage, stage)
        now = time.perf_counter()
        self.times[stage] = self.times.get(stage, 0.0) + now - self.clock
        self.clock = now


def run_pipeline(cfg, inbox: Path, folder: Path, jobs: int) -> tuple[dict[str, float], RunResult]:
    """``pipeline.aggregate`` and ``outputs.write``, as the run command calls them, timed."""
    lap = Laps()
    result = aggregate(cfg, inbox, 2026, "annual", jobs=jobs, lap=lap)
    _split_read(lap, result)
    outbox_swap.publish(
        folder / "outbox",
        "2026",
        lambda out: outputs.write(result, out, CODE / "templates", dt.date(2026, 12, 15), lap=lap),
    )
    lap("write")  # the swap into place
    return lap.times, result


def make_real(folder: Path, schemas: Path, size: int, rows: int, jobs: int) -> tuple[Path, Path]:
    """The shape of real work: last year run first into the outbox (so the register holds it:
    codes, continuity, cross-period checks, the timeline sheet), then this year's inbox, where
    every unit writes its statements and every other unit returns last year's pre-filled
    workbook (``aggregate.py template --year``) instead of a list of its own. Last year's lists
    are this year's without the models new this year, so the other models continue by name."""
    cfg = config_module.load(schemas)
    outbox = folder / "outbox"
    (folder / "previous").mkdir()
    before = make_inbox(folder / "previous", cfg, size, rows, year=YEAR - 1, statements=True)
    run_module.run(
        cfg, before, outbox, YEAR - 1, "annual", CODE / "templates", dt.date(YEAR - 1, 12, 15), jobs=jobs
    )
    made = outreach.templates(cfg, outbox, YEAR, "annual")
    (folder / "current").mkdir()
    inbox = make_inbox(folder / "current", cfg, size, rows, year=YEAR, statements=True)
    for i in range(1, size, 2):
        target = inbox / f"dv-{i:05d}.xlsx"
        shutil.copyfile(made.folder / f"bieu-mau-dv-{i:05d}.xlsx", target)
        os.utime(target, (saved(YEAR), saved(YEAR)))
    return inbox, outbox


WAITED: list[float] = []  # how long the run waited for the master workbook's process, each run


def _waited_for(start: Callable[..., Any]) -> Callable[..., Any]:
    """``Beside.start`` whose ``finish`` times its wait (what the run waits for at the end)."""

    def started(what: str, function: Callable[..., Any], *args: Any) -> Callable[..., Any]:
        finish = start(what, function, *args)

        def timed(wanted: bool = True) -> Any:
            clock = time.perf_counter()
            value = finish(wanted)  # what the work returned: the run needs it
            WAITED.append(time.perf_counter() - clock)
            return value

        return timed

    return started


outputs.Beside.start = _waited_for(outputs.Beside.start)  # type: ignore[method-assign]


def run_real(cfg, inbox: Path, outbox: Path, jobs: int) -> tuple[dict[str, float], RunResult]:
    """``pipeline.run`` as the run command calls it, with the register, timed stage by stage."""
    lap = Laps()
    beside = outputs.beside()  # forked before reading, as ``pipeline.run`` forks it
    other_periods, _ = run_module.other_periods_of(outbox, YEAR, "annual", sync=True)
    lap("register")
    with outbox_swap.scratch(outbox) as scratch:
        result = aggregate(
            cfg,
            inbox,
            YEAR,
            "annual",
            jobs=jobs,
            lap=lap,
            outbox=outbox,
            scratch=scratch,
            as_of=REPORT_DATE,
            other_periods=other_periods,
            late_stays_late=True,
        )
    _split_read(lap, result)
    previous = report.previous_summary(outbox, outbox_swap.folder_name(YEAR - 1, "annual"))
    run_module.publish(  # the swap into place; the register takes the period in, made ready ahead
        outbox,
        YEAR,
        "annual",
        lambda out, ready: outputs.write(
            result, out, CODE / "templates", REPORT_DATE, previous, lambda s: (ready(s), lap(s)), beside
        ),
    )
    lap("write")  # (the register's swap after the publish included)
    return lap.times, result


def _split_read(lap: Laps, result: RunResult) -> None:
    """Read and validate run together in the workers: their wall time split as the workers did."""
    spent = {s: sum(o.seconds.get(s, 0.0) for o in result.outcomes) for s in ("read", "validate")}
    share = spent["read"] / max(spent["read"] + spent["validate"], 1e-9)
    both = lap.times.pop("read")
    lap.times |= {"read": both * share, "validate": both * (1 - share)}


def floor(inbox: Path, records: int, columns: int, folder: Path) -> float:
    """Parse every sheet with calamine alone, then write records x columns, constant memory."""
    started = time.perf_counter()
    for path in sorted(inbox.iterdir()):
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        for name in book.sheet_names:
            book.get_sheet_by_name(name).to_python()
    book = xlsxwriter.Workbook(str(folder / "floor.xlsx"), {"constant_memory": True})
    sheet = book.add_worksheet()
    row = ["Mô hình dân vận khéo ở khu dân cư", 12, "Tập thể", "Chi bộ thôn Tân Phú"]
    for r in range(records + 1):
        for c in range(columns):
            sheet.write(r, c, row[c % len(row)])
    book.close()
    return time.perf_counter() - started


def end_to_end(
    inbox: Path, schemas: Path, folder: Path, jobs: int, outbox: Path | None = None
) -> tuple[float, float]:
    """`aggregate.py` as staff run it, interpreter start included: seconds and peak MB (of its
    whole process tree, nothing of the benchmark's). With ``outbox``, into a copy of it (the
    real shape: last year's outbox, its register holding that period), else an empty one."""
    if outbox is not None:
        shutil.copytree(outbox, folder / "outbox-cli")
    started = time.perf_counter()
    child = subprocess.Popen(
        [
            sys.executable,
            str(CODE / "aggregate.py"),
            "run",
            "--inbox",
            str(inbox),
            "--outbox",
            str(folder / "outbox-cli"),
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
    watch = MemoryWatch(child.pid)
    if child.wait() != 0:
        raise SystemExit(f"aggregate.py failed on the {inbox} inbox")
    return time.perf_counter() - started, watch.peak_mb()


def measure(
    size: int,
    rows: int,
    jobs: int,
    cli: bool,
    repeat: int,
    shape: str = "real",
    keep: Path | None = None,
) -> dict[str, float]:
    """Figures for one size: of ``repeat`` runs, the median of each stage, of the total, of the
    floor and of the command; the highest memory. With ``keep``, the inboxes made (and, in the
    real shape, last year's outbox) are kept in a folder of it and used again next time."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) if keep is None else keep / f"{shape}-{size}x{rows}"
        inbox, last_year = made(folder, shape, size, rows, jobs)
        schemas = folder / "schemas"
        cfg = config_module.load(schemas)
        runs, floors, commands = [], [], []
        for n in range(repeat):
            here = Path(tmp) / f"run-{n}"
            here.mkdir()
            # the sampler reads /proc every 50 ms: with --cli it samples the command alone, and
            # the timed run here goes unsampled (on 2 cores the sampler would slow the parallel
            # stages, which the floor, one process, does not have)
            watch = None if cli else MemoryWatch(os.getpid())
            if shape == "real":
                outbox = here / "outbox"  # every run from last year's outbox as it was
                shutil.copytree(last_year, outbox)
                figures, result = run_real(cfg, inbox, outbox, jobs)
            else:
                figures, result = run_pipeline(cfg, inbox, here, jobs)
            figures["memory"] = watch.peak_mb() if watch else float("nan")
            figures["waited"] = WAITED[-1] if WAITED else float("nan")
            figures["total"] = sum(figures.get(s, 0.0) for s in STAGES)
            runs.append(figures)
            models = len(result.records)
            del result  # the next run's memory must not include this one's
            gc.collect()
            # the records sheet: STT, unit, every column but STT, file, sheet, row, SHA-256
            floors.append(floor(inbox, models, len(cfg.columns) + 5, here))
            if cli:
                before = last_year if shape == "real" else None
                commands.append(end_to_end(inbox, schemas, here, jobs, before))
            else:
                commands.append((float("nan"),) * 2)
            shutil.rmtree(here)
        return {
            **{s: statistics.median(f.get(s, 0.0) for f in runs) for s in [*STAGES, "total", "waited"]},
            "models": models,
            "floor": statistics.median(floors),
            "ratio": statistics.median(f["total"] / fl for f, fl in zip(runs, floors, strict=True)),
            "memory": max(f["memory"] for f in runs),
            "cli": statistics.median(c[0] for c in commands),
            "cli_memory": max(c[1] for c in commands),
        }


def made(folder: Path, shape: str, size: int, rows: int, jobs: int) -> tuple[Path, Path | None]:
    """The workload in ``folder``, made unless a finished one is there: this year's inbox and,
    in the real shape, last year's outbox (its register holding that period)."""
    ready = folder / "ready"
    last_year = folder / "outbox-last-year" if shape == "real" else None
    inbox = folder / ("current" if shape == "real" else ".") / "inbox"
    if ready.exists():
        return inbox, last_year
    if folder.exists() and keep_made(folder):
        shutil.rmtree(folder)  # a half-made one (interrupted)
    folder.mkdir(parents=True, exist_ok=True)
    schemas = make_registry(folder, size)
    if shape == "real":
        inbox, outbox = make_real(folder, schemas, size, rows, jobs)
        outbox.rename(last_year)
    else:
        inbox = make_inbox(folder, config_module.load(schemas), size, rows)
    ready.touch()
    return inbox, last_year


def keep_made(folder: Path) -> bool:
    """A folder the benchmark made (safe to clear), not a user's folder named by mistake."""
    return {p.name for p in folder.iterdir()} <= {"schemas", "previous", "current", "inbox", "outbox"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 2000, 20000])
    parser.add_argument("--rows", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=workers.cpu_count())
    parser.add_argument(
        "--shape",
        choices=["real", "plain"],
        default="real",
        help="real: last year in the register, statements, half the units pre-filled; "
        "plain: this year's standard workbooks alone, into an empty outbox",
    )
    parser.add_argument(
        "--cli",
        action="store_true",
        help="also run aggregate.py end to end as staff run it (its own time and memory; real "
        "shape: into a copy of last year's outbox)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs per size; the table gives their medians")
    parser.add_argument(
        "--keep",
        type=Path,
        help="keep the inboxes made (and last year's outbox) in this folder, and use them again",
    )
    parser.add_argument("--watch", nargs=2, help=argparse.SUPPRESS)  # the memory sampler
    args = parser.parse_args()
    if args.watch:
        _watch(int(args.watch[0]), float(args.watch[1]))
        return
    print(
        f"| workbooks | models | {' | '.join(STAGES)} | total | floor | total ÷ floor "
        "| of write: waiting for the master workbook | peak MB, all processes (PSS) | peak RSS main (MB) "
        "| aggregate.py end to end (s) | its peak MB, all processes |"
    )
    print("|" + "---|" * (len(STAGES) + 10))
    measured = []
    for size in sorted(args.sizes):
        f = measure(size, args.rows, args.jobs, args.cli, args.repeat, args.shape, args.keep)
        measured.append((size, f))
        main_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        cells = " | ".join(f"{f[s]:.2f}" for s in STAGES)
        print(
            f"| {size} | {int(f['models'])} | {cells} | {f['total']:.2f} | {f['floor']:.2f} "
            f"| {f['ratio']:.2f} | {f['waited']:.2f} | {f['memory']:.0f} "
            f"| {main_mb:.0f} | {f['cli']:.2f} | {f['cli_memory']:.0f} |",
            flush=True,
        )
    if len(measured) > 1:
        print("\nSlope between sizes (time ratio ÷ size ratio; 1.00 = linear):\n")
        print(f"| sizes | {' | '.join(STAGES)} | total | floor |")
        print("|" + "---|" * (len(STAGES) + 3))
        for (n1, f1), (n2, f2) in zip(measured, measured[1:], strict=False):
            slopes = [
                f"{(f2[k] / f1[k]) / (n2 / n1):.2f}" if f1[k] > 0.005 else "–"
                for k in [*STAGES, "total", "floor"]
            ]
            print(f"| {n1} → {n2} | {' | '.join(slopes)} |")
    print(
        f"\n{args.shape} shape, {args.jobs} reading process(es), {args.rows} models per workbook, "
        f"median of {args.repeat} run(s) per size; Python {sys.version.split()[0]}; "
        f"{dt.date.today():%Y-%m-%d}; load average {os.getloadavg()[0]:.1f}."
    )


if __name__ == "__main__":
    main()
