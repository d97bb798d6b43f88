"""What a start costs: each command, and each spawned reading worker, imports only the libraries it uses."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RENDERING = {"pandas", "numpy", "jinja2", "PIL", "docxtpl", "docx", "xlsxwriter"}


def _loaded(code: str) -> set[str]:
    """The top-level packages a fresh interpreter holds after ``code`` (run from the program's folder)."""
    script = f"import sys\nsys.path.insert(0, {str(ROOT)!r})\n{code}\nprint(' '.join(sorted(sys.modules)))"
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    return {name.split(".")[0] for name in run.stdout.split()}


def test_help_loads_no_settings_checker_and_no_renderer():
    loaded = _loaded(
        "from aggregator.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass"
    )
    assert "aggregator" in loaded
    assert not loaded & (RENDERING | {"jsonschema", "openpyxl", "tqdm", "imaplib"}), sorted(loaded)


def test_a_spawned_reading_worker_imports_no_renderer():
    # what a spawned worker imports: the main module (aggregate.py: the command line) and the
    # reading stages it unpickles its work from; pandas and the renderers are the run's
    loaded = _loaded("import aggregator.cli, aggregator.pipeline.workers, aggregator.pipeline.files")
    assert {"aggregator", "python_calamine"} <= loaded
    assert not loaded & (RENDERING | {"openpyxl", "jsonschema"}), sorted(loaded & RENDERING)


def test_the_sample_is_read_without_openpyxl():
    # openpyxl is for a workbook with formulas or legacy fonts only; the sample has neither
    code = "\n".join(
        [
            "import tempfile",
            "from pathlib import Path",
            "from aggregator import config",
            "from aggregator.pipeline import FileProcessor, collect",
            "settings = config.load(Path('presets/ke-hoach-235'))",
            "items, _, _ = collect(Path('examples/inbox'), Path(tempfile.mkdtemp()), settings)",
            "read = [FileProcessor(settings, 2026, 'annual').process(item) for item in items]",
            "assert sum(o.rows_read for o in read) > 50, [o.status for o in read]",
        ]
    )
    loaded = _loaded(code)
    assert "python_calamine" in loaded
    assert "openpyxl" not in loaded
