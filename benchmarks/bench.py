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
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import python_calamine
import xlsxwriter
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aggregator import config as config_module
from aggregator.model import RunResult
from aggregator.outbox import swap as outbox
from aggregator.outbox import write as outputs
from aggregator.pipeline import aggregate, workers

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
STAGES = ["discover", "read", "validate", "merge", "summarise", "render", "write"]
BAD_WORKBOOKS = 0.15  # share of workbooks with one or two rows a rule rejects


def make_registry(folder: Path, size: int) -> Path:
    """A copy of the schemas with ``size`` units (the 70-unit province scaled further)."""
    target = folder / "schemas"
    shutil.copytree(ROOT / "schemas", target)
    units = yaml.safe_load((target / "units.yaml").read_text(encoding="utf-8"))
    units["units"] = [
        {"code": f"dv-{i:05d}", "name": f"Đảng ủy đơn vị số {i}", "group": "truc-thuoc", "quota": 3}
        for i in range(size)
    ]
    (target / "units.yaml").write_text(yaml.safe_dump(units, allow_unicode=True), encoding="utf-8")
    return target


def make_inbox(folder: Path, cfg, size: int, rows: int, seed: int = 7) -> Path:
    rng = random.Random(seed)
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
                ("Năm báo cáo", 2026),
                ("Kỳ báo cáo", "Năm"),
                ("Ngày báo cáo", "03/12/2026"),
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
        for r in range(rows):
            sheet.write_row(3 + r, 0, _model(rng, allowed, i, r, bad=r in bad))
        book.close()
        # saved on the day it is dated (a "Ngày báo cáo" after the file's time is not trusted)
        os.utime(inbox / f"dv-{i:05d}.xlsx", (SAVED, SAVED))
    return inbox


SAVED = dt.datetime(2026, 12, 3, 12, tzinfo=dt.timezone(dt.timedelta(hours=7))).timestamp()


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
        now = time.perf_counter()
        self.times[stage] = self.times.get(stage, 0.0) + now - self.clock
        self.clock = now


def run_pipeline(cfg, inbox: Path, folder: Path, jobs: int) -> tuple[dict[str, float], RunResult]:
    """``pipeline.aggregate`` and ``outputs.write``, as the run command calls them, timed."""
    lap = Laps()
    result = aggregate(cfg, inbox, 2026, "annual", jobs=jobs, lap=lap)
    # read and validate run together in the workers: split their wall time as the workers did
    spent = {s: sum(o.seconds.get(s, 0.0) for o in result.outcomes) for s in ("read", "validate")}
    share = spent["read"] / max(spent["read"] + spent["validate"], 1e-9)
    both = lap.times.pop("read")
    lap.times |= {"read": both * share, "validate": both * (1 - share)}
    outbox.publish(
        folder / "outbox",
        "2026",
        lambda out: outputs.write(result, out, ROOT / "templates", dt.date(2026, 12, 15), lap=lap),
    )
    lap("write")  # the swap into place
    return lap.times, result


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


def end_to_end(inbox: Path, schemas: Path, folder: Path, jobs: int) -> tuple[float, float]:
    """`aggregate.py` as staff run it, interpreter start included: seconds and peak MB."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "aggregate.py"),
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


def measure(size: int, rows: int, jobs: int, cli: bool, repeat: int) -> dict[str, float]:
    """Figures for one size: of ``repeat`` runs, the fastest pipeline (with its stages), the
    fastest floor and the fastest command; the highest memory."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        schemas = make_registry(folder, size)
        cfg = config_module.load(schemas)
        inbox = make_inbox(folder, cfg, size, rows)
        runs, floors, commands = [], [], []
        for n in range(repeat):
            here = folder / f"run-{n}"
            here.mkdir()
            watch = MemoryWatch(os.getpid())
            figures, result = run_pipeline(cfg, inbox, here, jobs)
            figures["memory"] = watch.peak_mb()
            figures["total"] = sum(figures[s] for s in STAGES)
            runs.append(figures)
            models = len(result.records)
            del result  # the next run's memory must not include this one's
            gc.collect()
            # the records sheet: STT, unit, every column but STT, file, sheet, row, SHA-256
            floors.append(floor(inbox, models, len(cfg.columns) + 5, here))
            commands.append(end_to_end(inbox, schemas, here, jobs) if cli else (float("nan"), float("nan")))
        best = min(runs, key=lambda f: f["total"])
        return {
            **best,
            "models": models,
            "floor": min(floors),
            "memory": max(f["memory"] for f in runs),
            "cli": min(c[0] for c in commands),
            "cli_memory": max(c[1] for c in commands),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[21, 200, 2000])
    parser.add_argument("--rows", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=workers.cpu_count())
    parser.add_argument("--cli", action="store_true", help="also run aggregate.py end to end on each inbox")
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per size; the table keeps the fastest of each measure"
    )
    parser.add_argument("--watch", nargs=2, help=argparse.SUPPRESS)  # the memory sampler
    args = parser.parse_args()
    if args.watch:
        _watch(int(args.watch[0]), float(args.watch[1]))
        return
    print(
        f"| workbooks | models | {' | '.join(STAGES)} | total | floor | total ÷ floor "
        "| s per workbook since last size | peak MB, all processes | peak RSS main (MB) "
        "| aggregate.py end to end (s) | its peak MB, all processes |"
    )
    print("|" + "---|" * (len(STAGES) + 10))
    previous = None
    for size in sorted(args.sizes):
        f = measure(size, args.rows, args.jobs, args.cli, args.repeat)
        slope = (f["total"] - previous[1]) / (size - previous[0]) if previous else f["total"] / size
        previous = (size, f["total"])
        main_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        cells = " | ".join(f"{f[s]:.2f}" for s in STAGES)
        print(
            f"| {size} | {int(f['models'])} | {cells} | {f['total']:.2f} | {f['floor']:.2f} "
            f"| {f['total'] / f['floor']:.2f} | {slope:.4f} | {f['memory']:.0f} "
            f"| {main_mb:.0f} | {f['cli']:.2f} | {f['cli_memory']:.0f} |",
            flush=True,
        )
    print(
        f"\n{args.jobs} reading process(es), {args.rows} models per workbook, fastest of "
        f"{args.repeat} run(s) per size; Python "
        f"{sys.version.split()[0]}; {dt.date.today():%Y-%m-%d}."
    )


if __name__ == "__main__":
    main()
