"""The one-way imports hold: the contracts in pyproject.toml (stages import the model and
earlier stages only, renderers never the pipeline, ``verify`` none of the heavy libraries)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("pandas", "jinja2", "PIL", "docxtpl", "openpyxl", "xlsxwriter")


def test_the_import_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    run = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout


def test_verify_loads_none_of_the_renderers_libraries():
    # an auditor's check runs without pandas, Jinja or Pillow: fast, and nothing that renders
    code = "import sys, aggregator.outbox.verify; print(' '.join(sorted(sys.modules)))"
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    loaded = {name.split(".")[0] for name in run.stdout.split()}
    assert "aggregator" in loaded
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))
