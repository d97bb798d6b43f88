"""Resubmissions, received dates and each unit's status, through the whole pipeline."""

import datetime as dt
import os

from builders import model, workbook

from aggregator.pipeline import aggregate


def run(tmp_path, cfg, year=2026):
    return aggregate(cfg, tmp_path, year, "annual")


def unit(result, code):
    return next(u for u in result.statuses if u.code == code)


def test_a_corrected_file_supersedes_the_first(tmp_path, cfg):
    workbook(tmp_path / "v1.xlsx", [model("A", stage="Sai")], report_date="01/12/2026")
    workbook(tmp_path / "v2.xlsx", [model("A"), model("B", 2)], report_date="03/12/2026")
    result = run(tmp_path, cfg)
    fate = {o.candidate.relative: o.status for o in result.outcomes}
    assert fate == {"v1.xlsx": "superseded", "v2.xlsx": "accepted"}
    cam_lam = unit(result, "cam-lam")
    assert cam_lam.used.candidate.relative == "v2.xlsx" and cam_lam.models == 2
    assert cam_lam.received == dt.date(2026, 12, 1) and cam_lam.status == "on_time"
    assert result.summary["rows"] == {"read": 3, "accepted": 2, "rejected": 0, "superseded": 1}


def test_without_report_dates_the_later_modified_file_wins(tmp_path, cfg):
    old = workbook(tmp_path / "z-old.xlsx", [model("A")], report_date=None)
    new = workbook(tmp_path / "a-new.xlsx", [model("A"), model("B", 2)], report_date=None)
    os.utime(old, (1764000000, 1764000000))  # 2025-11-24
    os.utime(new, (1764100000, 1764100000))
    result = run(tmp_path, cfg, year=2026)
    assert unit(result, "cam-lam").used.candidate.relative == "a-new.xlsx"
    assert unit(result, "cam-lam").used.received_source == "modified"


def test_a_rejected_correction_does_not_replace_a_good_file(tmp_path, cfg):
    workbook(tmp_path / "good.xlsx", [model()], report_date="01/12/2026")
    workbook(tmp_path / "bad.xlsx", [model()], report_date="04/12/2026", year=2025)
    result = run(tmp_path, cfg)
    fate = {o.candidate.relative: o.status for o in result.outcomes}
    assert fate == {"bad.xlsx": "rejected", "good.xlsx": "accepted"}


def test_statuses_on_time_late_missing_rejected(tmp_path, cfg):
    workbook(tmp_path / "a.xlsx", [model()], report_date="05/12/2026")
    workbook(tmp_path / "b.xlsx", [model()], code="van-ninh", name=None, report_date="06/12/2026")
    workbook(tmp_path / "c.xlsx", [model()], code="mttq", name=None, year=2025)
    result = run(tmp_path, cfg)
    assert unit(result, "cam-lam").status == "on_time"  # the deadline day itself is on time
    assert unit(result, "van-ninh").status == "late"
    assert unit(result, "mttq").status == "rejected" and unit(result, "mttq").received is None
    assert unit(result, "ldld").status == "missing"
    totals = result.summary["totals"]
    assert (
        totals["units_on_time"],
        totals["units_late"],
        totals["units_rejected"],
        totals["units_missing"],
    ) == (1, 1, 1, 18)
