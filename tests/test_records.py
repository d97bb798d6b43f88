"""Records are typed and frozen, stages return new results, and every writer lays out the
record's columns as they are declared once (``model.Record``, ``model.frame_columns``)."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import re
from pathlib import Path

import openpyxl
import pytest
from builders import model, record_rows, workbook
from test_register import codes_of, inbox_2024, inbox_2025, inbox_2026, run

from aggregator.config import descriptors
from aggregator.merging import continuity, merge, register
from aggregator.model import (
    LINEAGE,
    MATCH_KEY,
    SOURCE,
    TYPED,
    FileStatus,
    Record,
    RecordColumns,
    frame_columns,
    record_columns,
)
from aggregator.model.record import _Typed
from aggregator.pipeline import workers
from aggregator.pipeline.files import FileProcessor
from aggregator.pipeline.run import aggregate, collect, compacted, file_times_tell, other_periods_of
from aggregator.rendering import feedback, template
from aggregator.rendering.workbooks import write_master

ROOT = Path(__file__).resolve().parent.parent


def test_a_record_is_frozen_and_holds_no_dict(cfg):
    [record] = record_rows(cfg, [{"row": 6, "name": "Dân vận khéo", "field": 1, "stage": "honoured"}])
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.accepted = False  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.values = ()  # type: ignore[misc]
    assert not hasattr(record, "__dict__")  # slotted: no key can be added to it either
    with pytest.raises((AttributeError, TypeError)):
        record._code = "x"  # type: ignore[attr-defined]
    # its typed accessors and its columns by name read the same values
    assert (record.name, record.field, record.stage, record.model_code) == (
        "Dân vận khéo",
        1,
        "honoured",
        None,
    )
    assert record["name"] == record.get("name") == "Dân vận khéo" and record["row"] == 6
    coded = record.coded("cam-lam-abcdef")
    assert (coded.model_code, record.model_code) == ("cam-lam-abcdef", None)
    assert (record.rejected().accepted, record.accepted) == (False, True)
    with pytest.raises(KeyError):
        record["no_such_column"]


def test_the_typed_accessors_are_the_columns_workbook_yaml_must_declare(cfg):
    typed = {name for name, value in vars(Record).items() if isinstance(value, _Typed)}
    assert typed == set(TYPED) == set(descriptors.REQUIRED_COLUMNS)
    assert set(TYPED) <= set(RecordColumns.of_config(cfg).keys)
    with pytest.raises(ValueError, match="model_code"):
        RecordColumns.of(k for k in RecordColumns.of_config(cfg).keys if k != "model_code")


def test_no_hand_off_by_object_identity():
    """Outcomes are keyed by the entry's path: no ``id(`` anywhere in the package."""
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted((ROOT / "aggregator").rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if re.search(r"(?<![\w.])id\(", line)
    ]
    assert found == []


def _frozen_copy(value):
    return copy.deepcopy(value)


def test_no_stage_changes_what_it_was_given(cfg, tmp_path):
    """Three years into one register, then the third year's stages one by one: each stage's
    input is deeply equal before and after it (validation, merging, continuity, compaction)."""
    outbox = tmp_path / "outbox"
    run(inbox_2024(tmp_path), outbox, 2024)
    codes_2024 = codes_of(outbox, 2024)
    run(inbox_2025(tmp_path, codes_2024["Khuyến học"]), outbox, 2025)
    inbox = inbox_2026(tmp_path, codes_2024, codes_of(outbox, 2025))
    workbook(
        inbox / "cam-lam-sua.xlsx", [model("Dân vận khéo"), model("Dân vận khéo")], report_date="01/12/2026"
    )
    workbook(
        inbox / "khanh-vinh.xlsx",
        [model("Bếp ăn tình thương", year=2025)],
        code="khanh-vinh",
        name=None,
        report_date="01/12/2026",
    )
    other_periods, _ = other_periods_of(outbox, 2026, "annual")
    work = tmp_path / "work"
    work.mkdir()
    items, _, _ = collect(inbox, work, cfg)
    processor = FileProcessor(cfg, 2026, "annual", dt.date(2026, 12, 15), True, file_times_tell(items))
    tables_given = []
    read = []
    for outcome in workers.process_all(items, processor.process, cfg.limits):
        read.append(outcome)
        tables_given.append(_frozen_copy(outcome.tables))
    assert any(o.rows for o in read) and any(not r.accepted for o in read for r in o.rows or ())

    before = _frozen_copy(read)
    merged, statuses = merge.resolve(read, cfg, cfg.deadline(2026, "annual"))
    assert read == before
    assert {o.status for o in merged} >= {FileStatus.ACCEPTED, FileStatus.SUPERSEDED}

    merged_before, statuses_before = _frozen_copy(merged), _frozen_copy(statuses)
    other_periods = other_periods.with_units(cfg.units)
    tally = continuity.Tally(other_periods, cfg.codes)
    outcomes, continued_statuses = continuity.assign(merged, statuses, other_periods, cfg, tally)
    assert (merged, statuses) == (merged_before, statuses_before)
    assert len(outcomes) == len(merged) and [o.candidate for o in outcomes] == [o.candidate for o in merged]
    at = next(i for i, o in enumerate(merged) if o.candidate.relative == "cam-lam.xlsx")
    now, given = outcomes[at], merged[at]
    assert all(r.model_code for r in now.rows if r.accepted)  # the new rows have codes...
    assert [r.model_code for r in given.rows] != [r.model_code for r in now.rows]  # ...the given ones not
    assert next(s for s in continued_statuses if s.code == "cam-lam").used is now

    outcomes_before, continued_before = _frozen_copy(outcomes), _frozen_copy(continued_statuses)
    small, small_statuses = compacted(outcomes, continued_statuses)
    assert (outcomes, continued_statuses) == (outcomes_before, continued_before)
    assert any(o.rows is not None for o in outcomes) and any(o.rows is None for o in small)
    # the statuses hold the compacted outcomes themselves
    for status in small_statuses:
        assert all(any(f is o for o in small) for f in status.files)


def test_every_writer_lays_out_the_declared_columns(cfg, tmp_path):
    declared = RecordColumns.of_config(cfg)
    headers = [c.header for c in record_columns(cfg)]
    assert [c.key for c in record_columns(cfg)] == list(declared.keys) == [c.key for c in cfg.columns]
    inbox = tmp_path / "inbox"
    workbook(inbox / "cam-lam.xlsx", [model("Dân vận khéo"), model("Khác", 12)])
    result = aggregate(cfg, inbox, 2026, "annual")

    # the records frame
    assert (
        list(result.records.columns)
        == frame_columns(declared)
        == [*LINEAGE, *SOURCE, *declared.keys, MATCH_KEY]
    )

    # the master workbook: the record's columns in order ("STT" numbered anew), then its lineage
    write_master(result, tmp_path / "tong-hop.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "tong-hop.xlsx", read_only=True)["Mô hình, điển hình"]
    first = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert first == ["STT", "Đơn vị", *headers[1:], "Tệp nguồn", "Trang", "Dòng", "SHA-256 của tệp"]

    # the standard and the pre-filled workbook: every column, in order
    template.write_template(cfg, tmp_path / "bieu-mau.xlsx", 2026, "annual")
    listing = openpyxl.load_workbook(tmp_path / "bieu-mau.xlsx")[cfg.sheets["list"]]
    row = next(r for r in listing.iter_rows(values_only=True) if r and r[0] and str(r[0]).startswith("STT"))
    assert [str(v).removesuffix(" (*)") for v in row[: len(headers)]] == headers

    # the feedback workbook: the unit's columns where the unit had them, then the Board's two
    [target] = feedback.targets(result)
    feedback.write(result, target, tmp_path / "phan-hoi.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "phan-hoi.xlsx")["Danh sách"]
    table = result.outcomes[0].tables[0]
    header_row = table.header_row
    shown = [v for v in next(sheet.iter_rows(min_row=header_row, max_row=header_row, values_only=True)) if v]
    assert "model_code" not in table.columns  # (a workbook of an older layout: no code column)
    assert shown == [*[c.header for c in record_columns(cfg) if c.key in table.columns], "Kết quả", "Cần sửa"]

    # the register: every column of the record under its own key, the code first
    kept = [register.WORKBOOK_KEY.get(c, c) for c in register.COLUMNS]
    assert kept == [
        "model_code",
        "unit",
        "unit_name",
        *[k for k in declared.keys if k != "model_code"],
        MATCH_KEY,
        "file",
        *SOURCE,
    ]


def test_two_attachments_of_one_name_keep_their_own_outcomes(cfg, tmp_path):
    """Entries may share a path (one email, two attachments named alike): each file keeps its
    own fate, rows and codes through merging, continuity and compaction."""
    from email.message import EmailMessage

    first = workbook(tmp_path / "a.xlsx", [model("Dân vận khéo")])
    second = workbook(
        tmp_path / "b.xlsx", [model("Bếp ăn tình thương", year=2025)], code="khanh-vinh", name=None
    )
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "vp@example.vn", "ban@example.vn", "Báo cáo"
    message["Date"] = "Tue, 01 Dec 2026 10:00:00 +0700"
    message.set_content("Xin gửi báo cáo.")
    for path in (first, second):
        message.add_attachment(
            path.read_bytes(),
            maintype="application",
            subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            filename="bao-cao.xlsx",
        )
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "thu.eml").write_bytes(bytes(message))
    result = aggregate(cfg, inbox, 2026, "annual")
    books = [o for o in result.outcomes if o.candidate.relative.endswith("bao-cao.xlsx")]
    assert [o.candidate.relative for o in books] == ["thu.eml › bao-cao.xlsx"] * 2
    assert [(o.unit, o.status, o.rows_valid) for o in books] == [
        ("cam-lam", FileStatus.ACCEPTED, 1),
        ("khanh-vinh", FileStatus.ACCEPTED, 1),
    ]
    assert sorted(zip(result.records["unit"], result.records["name"], strict=True)) == [
        ("cam-lam", "Dân vận khéo"),
        ("khanh-vinh", "Bếp ăn tình thương"),
    ]
    assert all(
        code.startswith(unit)
        for unit, code in zip(result.records["unit"], result.records["model_code"], strict=True)
    )
