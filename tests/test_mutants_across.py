"""Behaviour that mutants of the unit-finding, mail and cross-period code survived
(tools/mutate.py, default set): each test names the mutants it kills, as ``module:number`` in
``tools/mutate.py --list`` on main at c5894c6 (numbers move when a module changes)."""

from __future__ import annotations

import datetime as dt

import pytest
from builders import model, workbook

from aggregator import config
from aggregator.checking.names import UnitMatcher
from aggregator.intake.discover import fingerprint
from aggregator.pipeline import FileProcessor

BUNDLED = config.load(config.BUNDLED)


def process(cfg, path, year=2026):
    return FileProcessor(cfg, year, "annual").process(fingerprint(path, path.parent, cfg.limits))


@pytest.mark.parametrize(
    ("written", "unit"),
    [("Tinh doan", "tinh-doan"), ("Hoi Nong dan tinh", "hoi-nong-dan"), ("Huyen uy Cam Lam", "cam-lam")],
)
def test_a_whole_name_without_diacritics_is_found_and_flagged(written, unit):
    """A whole name typed without marks: flagged as such (names:44 survives it all the same:
    the index of places without marks finds these names too; see tools/README.md)."""
    found = UnitMatcher(BUNDLED).match(written)
    assert (found.units, found.how) == ((unit,), "unmarked")


def test_a_year_typed_as_a_date_is_shown_as_the_date_a_person_sees(tmp_path):
    """identify:90: the invalid year's value as the cell shows it, not Python's text."""
    path = workbook(tmp_path / "cam-lam.xlsx", [model()], year=dt.datetime(2026, 1, 1))
    outcome = process(BUNDLED, path)
    assert [(p.code, p.column, p.value) for p in outcome.problems] == [
        ("info_invalid", "Năm báo cáo", "01/01/2026")
    ]
    assert outcome.status == "accepted"  # the run's year taken, said once


def test_a_title_row_one_letter_off_a_unit_names_no_unit(tmp_path):
    """identify:63: a title row is matched by exact names and places only, never by a close
    spelling (a heading is not a typed unit name): with nothing else to go by, no unit."""
    path = workbook(
        tmp_path / "bao-cao.xlsx", [model()], info_sheet=False, title_rows=["HUYỆN ỦY CAM LÂMM", "Báo cáo"]
    )
    outcome = process(BUNDLED, path)
    assert (outcome.status, outcome.unit) == ("rejected", None)
    assert [p.code for p in outcome.problems if p.is_error] == ["unit_missing"]
    right = workbook(
        tmp_path / "bao-cao.xlsx", [model()], info_sheet=False, title_rows=["HUYỆN ỦY CAM LÂM", "Báo cáo"]
    )
    assert (process(BUNDLED, right).status, process(BUNDLED, right).unit) == ("accepted", "cam-lam")


@pytest.mark.parametrize("emptied", ["ignore", "abbreviations"])
def test_a_registry_with_no_words_to_ignore_or_shorten_still_finds_names(tmp_path, emptied):
    """names:9: a registry may list no words to ignore (or no abbreviations): names are found
    all the same, with nothing dropped or shortened."""
    import shutil

    import yaml

    shutil.copytree(config.BUNDLED, tmp_path / "schemas")
    units_file = tmp_path / "schemas" / "units.yaml"
    units = yaml.safe_load(units_file.read_text(encoding="utf-8"))
    units["matching"][emptied] = [] if emptied == "ignore" else {}
    units_file.write_text(yaml.safe_dump(units, allow_unicode=True), encoding="utf-8")
    matcher = UnitMatcher(config.load(tmp_path / "schemas"))
    found = matcher.match("Huyện ủy Cam Lâm")
    assert (found.units, found.how) == (("cam-lam",), "name")
