#!/usr/bin/env python3
"""Measure the December run on synthetic inboxes: time per stage and peak memory.

Makes its own inbox of N standard workbooks (R models each, realistic Vietnamese text, a few
bad rows) and a registry of N units, runs the real stages, and prints a table.

    python benchmarks/bench.py                 # 21 and 200 workbooks of 30 models
    python benchmarks/bench.py --sizes 21 200 2000 --rows 30
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import xlsxwriter
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aggregator import config as config_module  # noqa: E402
from aggregator import discover, merge, outbox, outputs, summarise  # noqa: E402
from aggregator.pipeline import FileProcessor, RunResult  # noqa: E402

NAMES = ["Dân vận khéo", "Thôn văn hóa kiểu mẫu", "Hộ nuôi tôm hùm an toàn", "Bếp ăn miễn phí",
         "Thư viện xanh thân thiện", "Tổ an ninh tự quản", "Thanh niên khởi nghiệp yến sào",
         "Hiến đất mở đường", "Dòng họ học tập", "Người tốt việc tốt trên biển"]
SUBJECT = {3: "Hộ gia đình", 8: "Tập thể", 11: "Cá nhân"}


def make_registry(folder: Path, size: int) -> Path:
    """A copy of the schemas with ``size`` units (the 70-unit province scaled further)."""
    target = folder / "schemas"
    shutil.copytree(ROOT / "schemas", target)
    units = yaml.safe_load((target / "units.yaml").read_text(encoding="utf-8"))
    units["units"] = [{"code": f"dv-{i:05d}", "name": f"Đảng ủy đơn vị số {i}",
                       "group": "truc-thuoc", "quota": 3} for i in range(size)]
    (target / "units.yaml").write_text(yaml.safe_dump(units, allow_unicode=True), encoding="utf-8")
    return target


def make_inbox(folder: Path, cfg, size: int, rows: int, seed: int = 7) -> Path:
    rng = random.Random(seed)
    inbox = folder / "inbox"
    inbox.mkdir()
    headers = [c.header for c in cfg.columns]
    for i in range(size):
        book = xlsxwriter.Workbook(str(inbox / f"dv-{i:05d}.xlsx"))
        info = book.add_worksheet("Thông tin")
        for r, (label, value) in enumerate([("Mã đơn vị", f"dv-{i:05d}"), ("Năm báo cáo", 2026),
                                            ("Kỳ báo cáo", "Năm"), ("Ngày báo cáo", "03/12/2026")]):
            info.write_row(r, 0, [label, value])
        sheet = book.add_worksheet("Danh sách")
        sheet.write(0, 0, "DANH SÁCH MÔ HÌNH, ĐIỂN HÌNH")
        sheet.write_row(2, 0, headers)
        for r in range(rows):
            field = rng.randint(1, 11)
            subject = SUBJECT.get(field, rng.choice(["Tập thể", "Cá nhân"]))
            if rng.random() < 0.02:
                subject = "Hộ gia đình" if field != 3 else "Cá nhân"  # a bad row now and then
            sheet.write_row(3 + r, 0, [r + 1, f"{rng.choice(NAMES)} {i}-{r}", field, subject,
                                       "Chi bộ thôn", "Xã Ninh Ích", rng.randint(2020, 2026),
                                       rng.choice(["Duy trì, phát huy", "Đăng ký mới"]),
                                       "Giới thiệu, nhân rộng", "Cách làm hay, hiệu quả.",
                                       "Tăng thu nhập.", "Tốt", rng.randint(1, 9)])
        book.close()
    return inbox


def run(size: int, rows: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cfg = config_module.load(make_registry(folder, size))
        inbox = make_inbox(folder, cfg, size, rows)
        times: dict[str, float] = {}
        clock = time.perf_counter()

        def lap(name: str) -> None:
            nonlocal clock
            now = time.perf_counter()
            times[name] = now - clock
            clock = now

        paths = discover.find_files(inbox)
        candidates = [discover.fingerprint(p, inbox, cfg.limits) for p in paths]
        lap("discover")
        processor = FileProcessor(cfg, 2026, "annual")
        outcomes = [processor.process(c) for c in candidates]
        lap("read+validate")
        deadline = cfg.deadline(2026, "annual")
        statuses = merge.resolve(outcomes, cfg, deadline)
        records = merge.accepted_records(statuses, cfg)
        lap("merge")
        summary = summarise.build(cfg, 2026, "annual", statuses, outcomes, records)
        lap("summarise")
        result = RunResult(cfg, 2026, "annual", deadline, outcomes, statuses, records, summary)
        outbox.publish(folder / "outbox", "2026", lambda out: outputs.write(
            result, out, ROOT / "templates", dt.date(2026, 12, 15)))
        lap("render+write")
        times["total"] = sum(times.values())
        times["models"] = summary["totals"]["models"]
        return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[21, 200])
    parser.add_argument("--rows", type=int, default=30)
    args = parser.parse_args()
    stages = ["discover", "read+validate", "merge", "summarise", "render+write", "total"]
    print(f"| workbooks | models | {' | '.join(stages)} | s per workbook | peak RSS (MB) |")
    print("|" + "---|" * (len(stages) + 4))
    for size in args.sizes:
        times = run(size, args.rows)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        cells = " | ".join(f"{times[s]:.2f}" for s in stages)
        print(f"| {size} | {int(times['models'])} | {cells} | {times['total'] / size:.4f} "
              f"| {peak:.0f} |", flush=True)


if __name__ == "__main__":
    main()
