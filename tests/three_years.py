"""The three years run into one outbox (2024, 2025, 2026: codes typed, continued, re-run) that
the register's tests share: ``built`` once a module, ``outbox`` a copy of it for each test.

A plugin of the tests (``conftest.pytest_plugins``): a module defining its own ``outbox`` keeps it.
"""

import shutil

import pytest
from test_register import codes_of, inbox_2024, inbox_2025, inbox_2026, run

from aggregator.merging import register_store, register_tables


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Three years run into one outbox, once; each test works on a copy."""
    root = tmp_path_factory.mktemp("three-years")
    outbox = root / "outbox"
    run(inbox_2024(root), outbox, 2024)
    run(inbox_2025(root, codes_of(outbox, 2024)["Khuyến học"]), outbox, 2025)
    third = run(inbox_2026(root, codes_of(outbox, 2024), codes_of(outbox, 2025)), outbox, 2026)
    return root, third, register_store.dump(outbox / register_tables.DB_NAME)


@pytest.fixture
def outbox(built, tmp_path):
    root, _, _ = built
    for name in ("inbox-2024", "inbox-2025", "inbox-2026"):
        shutil.copytree(root / name, tmp_path / name)
    shutil.copytree(root / "outbox", tmp_path / "outbox")
    return tmp_path / "outbox"
