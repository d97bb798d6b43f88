import atexit
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from hypothesis import settings  # noqa: E402

from aggregator import config  # noqa: E402

pytest_plugins = ["three_years"]  # the register's three years, shared by its tests

# CI runs the same examples every time (a red CI must mean a real regression); locally
# hypothesis keeps exploring new ones.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


def _shipped_schemas(target: Path) -> str:
    """The schemas as the project ships them, copied into ``target``; says where from.

    Staff edit ``schemas/`` (the signer, the registry, the rules), and the suite must pass
    whatever they put there: it reads the committed files (``git archive HEAD schemas``), never
    the working folder, unless ``AGGREGATOR_TEST_SCHEMAS=worktree`` asks for a change not yet
    committed to be tested. Outside a git checkout the folder is all there is.
    """
    wanted = os.environ.get("AGGREGATOR_TEST_SCHEMAS", "")
    if wanted != "worktree":
        try:
            archive = subprocess.run(
                ["git", "-C", str(ROOT), "archive", "--format=tar", "HEAD", "schemas"],
                capture_output=True,
                check=True,
            ).stdout
        except (OSError, subprocess.CalledProcessError):
            archive = b""
        if archive:
            with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
                tar.extractall(target, filter="data")
            shutil.copytree(target / "schemas", target, dirs_exist_ok=True)
            shutil.rmtree(target / "schemas")
            changed = subprocess.run(
                ["git", "-C", str(ROOT), "diff", "--quiet", "HEAD", "--", "schemas"], capture_output=True
            ).returncode
            return (
                "schemas: the committed files (schemas/ has changes the tests do not read; "
                "AGGREGATOR_TEST_SCHEMAS=worktree tests them)"
                if changed
                else "schemas: the committed files"
            )
    shutil.copytree(ROOT / "schemas", target, dirs_exist_ok=True)
    return "schemas: the working folder schemas/"


# one copy for the session, before any test module loads a configuration: the command line's
# default (--schemas) and a settings folder's missing files come from it
SCHEMAS = Path(tempfile.mkdtemp(prefix="schemas-shipped-"))
atexit.register(shutil.rmtree, SCHEMAS, ignore_errors=True)
_SCHEMAS_NOTE = _shipped_schemas(SCHEMAS)
config.BUNDLED = SCHEMAS
# compiled templates kept in a folder of the session's, not the user's cache (rendering/compiled.py)
if "AGGREGATOR_CACHE_DIR" not in os.environ:
    os.environ["AGGREGATOR_CACHE_DIR"] = tempfile.mkdtemp(prefix="aggregator-cache-")
    atexit.register(shutil.rmtree, os.environ["AGGREGATOR_CACHE_DIR"], ignore_errors=True)


def pytest_report_header(config):
    return _SCHEMAS_NOTE


@pytest.fixture(scope="session")
def cfg():
    return config.load(SCHEMAS)
