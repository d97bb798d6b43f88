"""The job as a library call: ``pipeline.run`` does what ``aggregate.py run`` does, and the
stages of one file run in the order the README names them, each on what the earlier returned."""

import datetime as dt
import json
from pathlib import Path

from builders import model, workbook

from aggregator import pipeline
from aggregator.checking import identify as identify_module
from aggregator.checking.validate import RowValidator
from aggregator.intake.sniff import fingerprint
from aggregator.merging import continuity, merge
from aggregator.merging.register_reading import OtherPeriods
from aggregator.model import FileStatus, Submission
from aggregator.outbox import swap

ROOT = Path(__file__).resolve().parents[1]


def test_one_call_does_the_whole_job(cfg, tmp_path):
    inbox, outbox = tmp_path / "inbox", tmp_path / "outbox"
    workbook(
        inbox / "cam-lam.xlsx", [model("Dân vận khéo"), model("Khuyến học", 5)], report_date="01/12/2026"
    )
    workbook(
        inbox / "ldld.xlsx", [model("Tổ công đoàn", 2)], code="ldld", name=None, report_date="01/12/2026"
    )
    published = pipeline.run(cfg, inbox, outbox, 2026, "annual", ROOT / "templates", dt.date(2026, 12, 15))
    assert published.folder == outbox / "2026" and published.warnings == []
    summary = json.loads((published.folder / "summary.json").read_text(encoding="utf-8"))
    assert summary["totals"]["models"] == 3 == published.result.summary["totals"]["models"]
    statuses = {u.code: u.status for u in published.result.statuses}
    assert statuses["cam-lam"] == statuses["ldld"] == Submission.ON_TIME
    # the register is brought up to date and the run logged, as the command line does
    assert (outbox / "so-mo-hinh.sqlite").is_file()
    logged = [json.loads(line) for line in (outbox / swap.RUN_LOG).read_text(encoding="utf-8").splitlines()]
    assert [entry["folder"] for entry in logged] == ["2026"]
    manifest = json.loads((published.folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["run"]["inbox"] == str(inbox.resolve())
    # a second call archives the first run's outputs, never overwrites them
    again = pipeline.run(cfg, inbox, outbox, 2026, "annual", ROOT / "templates", dt.date(2026, 12, 15))
    assert again.folder == published.folder and any((outbox / swap.ARCHIVE).iterdir())


def test_a_file_is_validated_before_it_is_identified(cfg, tmp_path, monkeypatch):
    path = workbook(tmp_path / "cam-lam.xlsx", [model("Dân vận khéo")])
    order = []
    validate, identify = RowValidator.validate, identify_module.identify

    def validating(self, *args, **kwargs):
        order.append("validate")
        return validate(self, *args, **kwargs)

    def identifying(*args, **kwargs):
        order.append("identify")
        return identify(*args, **kwargs)

    monkeypatch.setattr(RowValidator, "validate", validating)
    monkeypatch.setattr("aggregator.pipeline.files.identify", identifying)
    outcome = pipeline.FileProcessor(cfg, 2026, "annual").process(fingerprint(path, tmp_path, cfg.limits))
    assert order == ["validate", "identify"]
    assert outcome.status == FileStatus.ACCEPTED and outcome.unit == "cam-lam"


def test_a_stage_that_fails_rejects_its_file_alone_keeping_what_earlier_stages_found(
    cfg, tmp_path, monkeypatch
):
    path = workbook(tmp_path / "cam-lam.xlsx", [model("Dân vận khéo")])

    def broken(*args, **kwargs):
        raise RuntimeError("identify broke")

    monkeypatch.setattr("aggregator.pipeline.files.identify", broken)
    outcome = pipeline.FileProcessor(cfg, 2026, "annual").process(fingerprint(path, tmp_path, cfg.limits))
    assert outcome.status == FileStatus.REJECTED
    assert [p.code for p in outcome.problems] == ["file_unreadable"]
    assert outcome.rows is None and outcome.tables == [] and outcome.unit is None


def test_the_stages_results_are_not_changed_by_later_stages(cfg, tmp_path, monkeypatch):
    """Each stage returns its result; the outcome is assembled from them, so what validate
    returned is what the file's rows are (no later stage edits it in place)."""
    path = workbook(tmp_path / "cam-lam.xlsx", [model("Dân vận khéo"), model("Khác", 12)])
    kept = {}
    validate = RowValidator.validate

    def keeping(self, *args, **kwargs):
        kept["result"] = result = validate(self, *args, **kwargs)
        kept["rows"] = [row.as_row() for row in result.rows]
        return result

    monkeypatch.setattr(RowValidator, "validate", keeping)
    outcome = pipeline.FileProcessor(cfg, 2026, "annual").process(fingerprint(path, tmp_path, cfg.limits))
    assert kept["result"].rows == outcome.rows and [r.as_row() for r in outcome.rows] == kept["rows"]
    assert [r.accepted for r in outcome.rows] == [True, False]


def test_merging_decides_fates_on_new_outcomes_leaving_the_files_as_read(cfg, tmp_path):
    first = workbook(tmp_path / "cam-lam.xlsx", [model("Dân vận khéo")], report_date="01/12/2026")
    second = workbook(tmp_path / "cam-lam-sua.xlsx", [model("Dân vận khéo")], report_date="03/12/2026")
    processor = pipeline.FileProcessor(cfg, 2026, "annual")
    read = [processor.process(fingerprint(p, tmp_path, cfg.limits)) for p in (first, second)]
    merged, statuses = merge.resolve(read, cfg, dt.date(2026, 12, 5))
    assert [o.status for o in read] == [FileStatus.ACCEPTED, FileStatus.ACCEPTED]
    assert [p.code for o in read for p in o.problems] == []
    assert [o.status for o in merged] == [FileStatus.SUPERSEDED, FileStatus.ACCEPTED]
    assert [p.code for p in merged[0].problems] == ["file_superseded"] and merged[1] is read[1]
    cam_lam = next(s for s in statuses if s.code == "cam-lam")
    assert cam_lam.used is merged[1] and cam_lam.files == merged and cam_lam.status == Submission.ON_TIME


def test_continuity_gives_codes_on_new_outcomes_leaving_the_merged_ones(cfg, tmp_path):
    path = workbook(tmp_path / "cam-lam.xlsx", [model("Dân vận khéo"), model("Khuyến học", 5)])
    read = [pipeline.FileProcessor(cfg, 2026, "annual").process(fingerprint(path, tmp_path, cfg.limits))]
    merged, statuses = merge.resolve(read, cfg, dt.date(2026, 12, 5))
    given = [row.as_row() for row in merged[0].rows]
    files, continued = continuity.assign(
        merged, statuses, OtherPeriods(2026, "annual", checks_codes=False), cfg
    )
    assert [row.as_row() for row in merged[0].rows] == given
    assert all(row.get("model_code") is None for row in given)
    [now] = files
    assert [row["model_code"][:8] for row in now.rows] == ["cam-lam-", "cam-lam-"]
    cam_lam = next(s for s in continued if s.code == "cam-lam")
    assert cam_lam.used is now and cam_lam.files == [now]
    assert next(s for s in statuses if s.code == "cam-lam").used is merged[0]
