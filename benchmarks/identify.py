#!/usr/bin/env python3
"""Measure unit identification alone: N files against a registry of N units named after places.

The registry nests its places the way the 2025 province does ("Nha Trang", "Bắc Nha Trang",
"Tây Nha Trang"...), at two levels (xã, phường). Every file types no code: its name is written
the way people do (organisation word and level in full, abbreviated or left out, old tone
placement, capitals, no diacritics, one letter off), with a title row and a file name, so every
path of the matcher is taken. Prints the time to index the registry and to identify every file,
and what became of the files (credited to their own unit, refused; never another unit).

    python benchmarks/identify.py                 # 2,000 files, 2,000 units
    python benchmarks/identify.py --sizes 70 2000 5000
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aggregator import config as config_module
from aggregator.checking.identify import identify
from aggregator.checking.names import UnitMatcher
from aggregator.model import WorkbookRead

SYLLABLES = [
    "Cam",
    "Ninh",
    "Phước",
    "Vĩnh",
    "Diên",
    "Khánh",
    "Sơn",
    "Hòa",
    "Hải",
    "Lâm",
    "An",
    "Tân",
    "Thạnh",
    "Xuân",
    "Mỹ",
    "Lộc",
    "Thọ",
    "Hiệp",
    "Phú",
    "Bình",
    "Trung",
    "Lạc",
    "Thủy",
    "Định",
    "Hưng",
    "Long",
    "Đức",
    "Thuận",
    "Hậu",
    "Hữu",
    "Dinh",
    "Quang",
]
DIRECTIONS = ["Bắc", "Nam", "Đông", "Tây", "Trung"]


def places(size: int, rng: random.Random) -> list[tuple[str, str]]:
    """``size`` distinct (level, place) pairs, a fifth of them nested inside another."""
    found: dict[str, str] = {}
    while len(found) < size:
        base = " ".join(rng.sample(SYLLABLES, k=rng.choice([2, 2, 3])))
        if base in found:
            continue
        found[base] = rng.choice(["xã", "phường"])
        for direction in rng.sample(DIRECTIONS, k=rng.randint(0, 3)):
            if len(found) < size:
                found.setdefault(f"{direction} {base}", "xã")
    return [(level, place) for place, level in found.items()]


def registry(folder: Path, pairs: list[tuple[str, str]]) -> Path:
    target = folder / "schemas"
    target.mkdir()
    shutil.copy(ROOT / "presets" / "khanh-hoa-2025" / "units.yaml", target / "units.yaml")
    data = yaml.safe_load((target / "units.yaml").read_text(encoding="utf-8"))
    data["units"] = [
        {"code": f"dv-{i:05d}", "name": f"Đảng ủy {level} {place}", "group": "xa"}
        for i, (level, place) in enumerate(pairs)
    ]
    (target / "units.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return target


def unmarked(text: str) -> str:
    text = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in text if not unicodedata.combining(c))


def written(level: str, place: str, rng: random.Random) -> str:
    org = rng.choice(["Đảng ủy ", "Đảng bộ ", "ĐU ", "Ban Thường vụ Đảng ủy ", ""])
    short = {"xã": "X.", "phường": "P."}[level]
    text = org + rng.choice([f"{level} ", f"{short} ", ""]) + place
    style = rng.random()
    if style < 0.15:
        return unmarked(text)
    if style < 0.3:
        return text.upper()
    if style < 0.4:
        return text.replace("òa", "oà").replace("ủy", "uỷ")
    if style < 0.45:
        return text + "g"  # one letter off
    return text


def files(pairs: list[tuple[str, str]], rng: random.Random) -> list[tuple[WorkbookRead, str]]:
    made = []
    for level, place in pairs:
        name = written(level, place, rng)
        book = WorkbookRead(
            info={"unit_name": name, "year": 2026, "period": "Năm"},
            title=["ĐẢNG BỘ TỈNH KHÁNH HÒA", f"Đơn vị: {name}", "DANH SÁCH MÔ HÌNH, ĐIỂN HÌNH NĂM 2026"],
        )
        made.append((book, f"Bao cao mo hinh 2026 - {unmarked(place)}"))
    return made


def measure(size: int, seed: int = 2025) -> dict[str, float]:
    rng = random.Random(seed)
    pairs = places(size, rng)
    with tempfile.TemporaryDirectory() as tmp:
        cfg = config_module.load(registry(Path(tmp), pairs))
    started, cpu = time.perf_counter(), time.process_time()
    matcher = UnitMatcher(cfg)
    indexed, indexed_cpu = time.perf_counter() - started, time.process_time() - cpu
    inputs = files(pairs, rng)
    started, cpu = time.perf_counter(), time.process_time()
    found = [identify(book, matcher, stem, stem, 2026, "annual") for book, stem in inputs]
    seconds, seconds_cpu = time.perf_counter() - started, time.process_time() - cpu
    own = sum(f.unit == f"dv-{i:05d}" for i, f in enumerate(found))
    other = sum(f.unit is not None and f.unit != f"dv-{i:05d}" for i, f in enumerate(found))
    return {
        "units": len(cfg.units),
        "files": len(inputs),
        "index": indexed,
        "index_cpu": indexed_cpu,
        "identify": seconds,
        "identify_cpu": seconds_cpu,
        "own": own,
        "refused": len(found) - own - other,
        "other": other,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000])
    args = parser.parse_args()
    print(
        "| units = files | index registry (s) | its CPU (s) | identify all files (s) | its CPU (s) "
        "| ms per file | credited to own unit | refused | credited to another |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for size in args.sizes:
        r = measure(size)
        print(
            f"| {r['units']} | {r['index']:.2f} | {r['index_cpu']:.2f} | {r['identify']:.2f} | "
            f"{r['identify_cpu']:.2f} | "
            f"{1000 * r['identify'] / r['files']:.2f} | {r['own']} | {r['refused']} | "
            f"{r['other']} |"
        )


if __name__ == "__main__":
    main()
