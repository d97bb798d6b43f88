import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_benchmark_runs_on_a_tiny_inbox_and_prints_its_table():
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--sizes", "3",
                           "--rows", "4"], capture_output=True, text=True, timeout=300, check=True)
    lines = done.stdout.strip().splitlines()
    assert lines[0].startswith("| workbooks | models | discover")
    row = [cell.strip() for cell in lines[2].strip("|").split("|")]
    assert row[0] == "3" and 0 < int(row[1]) <= 12
