import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_benchmark_runs_on_a_tiny_inbox_and_prints_its_table():
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--sizes", "3", "--rows", "4"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    lines = done.stdout.strip().splitlines()
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    assert header[:3] == ["workbooks", "models", "discover"] and "total ÷ floor" in header
    row = dict(zip(header, (cell.strip() for cell in lines[2].strip("|").split("|")), strict=True))
    assert row["workbooks"] == "3" and 0 < int(row["models"]) <= 12
    assert float(row["floor"]) > 0 and float(row["total"]) > 0
    stages = ["discover", "read", "validate", "merge", "summarise", "render", "write"]
    assert abs(sum(float(row[s]) for s in stages) - float(row["total"])) < 0.05
    if Path("/proc/self/smaps_rollup").exists():  # memory is sampled from /proc on Linux
        assert float(row["peak MB, all processes"]) > 50
