import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGES = ["discover", "read", "validate", "merge", "summarise", "render", "write", "register"]


def _table(lines: list[str]) -> list[dict[str, str]]:
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    return [
        dict(zip(header, (cell.strip() for cell in line.strip("|").split("|")), strict=True))
        for line in lines[2:]
    ]


def test_the_benchmark_runs_the_shape_of_real_work_and_prints_stages_and_slopes():
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--sizes", "3", "6", "--rows", "4"],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    blocks = done.stdout.strip().split("\n\n")
    rows = _table(blocks[0].splitlines())
    assert [r["workbooks"] for r in rows] == ["3", "6"]
    for row, size in zip(rows, (3, 6), strict=True):
        assert 0 < int(row["models"]) <= 4 * size
        assert float(row["floor"]) > 0 and float(row["total"]) > 0
        assert abs(sum(float(row[s]) for s in STAGES) - float(row["total"])) < 0.05
        if Path("/proc/self/smaps_rollup").exists():  # memory is sampled from /proc on Linux
            assert float(row["peak MB, all processes (PSS)"]) > 50
    assert blocks[1].startswith("Slope between sizes")
    slopes = _table(blocks[2].splitlines())
    assert [s["sizes"] for s in slopes] == ["3 → 6"]
    total = float(rows[1]["total"]) / float(rows[0]["total"]) / 2
    assert abs(float(slopes[0]["total"]) - total) < 0.05  # (from the totals as printed, rounded)
    assert blocks[3].startswith("real shape, ")


def test_the_real_shape_has_last_year_statements_and_pre_filled_workbooks(tmp_path):
    sys.path[:0] = [str(ROOT / "benchmarks")]
    import bench

    from aggregator import config as config_module

    schemas = bench.make_registry(tmp_path, 4)
    inbox, outbox = bench.make_real(tmp_path, schemas, 4, 3, jobs=1)
    assert (outbox / "2025" / "summary.json").exists()  # last year, run first: in the register
    assert (outbox / "so-mo-hinh.sqlite").stat().st_size > 0
    import python_calamine

    sheets = {
        p.name: python_calamine.CalamineWorkbook.from_path(str(p)).sheet_names
        for p in sorted(inbox.iterdir())
    }
    cfg = config_module.load(schemas)
    assessment = cfg.sheets["assessment"]
    # every other unit returns last year's pre-filled workbook (its hidden meta sheet), the rest
    # their own list with their statements
    assert [cfg.sheets["meta"] in s for s in sheets.values()] == [False, True, False, True]
    own = python_calamine.CalamineWorkbook.from_path(str(inbox / "dv-00000.xlsx"))
    answers = own.get_sheet_by_name(assessment).to_python()
    assert [r[0] for r in answers] == [label.label for label in cfg.assessment]
    assert all(len(str(r[1]).splitlines()) == 3 for r in answers)
