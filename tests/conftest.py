import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from aggregator import config  # noqa: E402


@pytest.fixture(scope="session")
def cfg():
    return config.load(ROOT / "schemas")
