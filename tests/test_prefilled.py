"""Pre-filled means filled: the register keeps every column of every record, the pre-filled
workbook carries them all back, and a workbook sent back unchanged is a valid report of the
same models, continuing, whose rewards and press coverage are not counted a second time.
Two years into one outbox, counted by hand."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import jsonschema
import openpyxl
import pandas as pd
import pytest
from builders import HEADERS, SOFFICE, convert, model, saved_on_date, workbook
from hypothesis import given
from hypothesis import strategies as st
from test_continuity import resum

from aggregator.cli import main
from aggregator.merging import register_files, register_tables, summarise

ROOT = Path(__file__).resolve().parents[1]
CODE = "Mã mô hình"
REWARD, DECISION, PRESS = (
    "Hình thức khen thưởng",
    "Số, ngày quyết định khen thưởng",
    "Đã tuyên truyền trên báo chí",
)


def every(name: str, *args: object, **extra: object) -> dict[str, object]:
    """A row with every column the unit can fill, each value its own."""
    return model(
        name,
        *args,
        **{
            "Địa bàn, cơ quan, đơn vị": f"Địa bàn của {name}",
            "Nội dung, cách làm": f"Cách làm của {name}.",
            "Hiệu quả đạt được": f"Hiệu quả của {name}.",
            "Đánh giá": "Tốt",
            "Ghi chú": f"Ghi chú về {name}",
            PRESS: "Không",
            **extra,
        },
    )


CAM_LAM_2025 = [
    every(
        "Dân vận khéo ở thôn",
        1,
        year=2023,
        stage="Phát hiện, bồi dưỡng",
        places=1,
        **{REWARD: "Giấy khen UBND huyện", DECISION: "QĐ số 12/QĐ-UBND ngày 05/3/2025", PRESS: "Có"},
    ),
    every(
        "Bếp ăn tình thương",
        10,
        year=2025,
        status="Đăng ký mới",
        stage="Phát hiện, bồi dưỡng",
        places=0,
        **{"Đánh giá": "Khá"},
    ),
    every(
        "Khuyến học",
        5,
        year=2022,
        places=2,
        **{
            REWARD: "Bằng khen UBND tỉnh",
            DECISION: "QĐ 301/QĐ-UBND, 10/10/2024",
            PRESS: "Có",
            "Ghi chú": '=HYPERLINK("http://x.invalid") <b>đậm</b>',  # inert: carried as text
        },
    ),
    every("Người tốt việc tốt Nguyễn Văn B", 11, "Cá nhân", year=2024, stage="Biểu dương, tôn vinh", places=3)
    | {PRESS: "Có"},
]
LDLD_2025 = [
    every(
        "Sáng kiến công nhân",
        2,
        "Cá nhân",
        year=2020,
        places=3,
        **{REWARD: "Bằng khen LĐLĐ tỉnh", DECISION: "QĐ 45/QĐ-LĐLĐ ngày 02/02/2025"},
    ),
    every("Tổ công đoàn mẫu", 2, year=2021, stage="Phát hiện, bồi dưỡng", places=0, **{PRESS: "Có"}),
]


def run(inbox: Path, outbox: Path, year: int) -> dict:
    args = ["--inbox", str(inbox), "--outbox", str(outbox), "--year", str(year)]
    assert main([*args, "--report-date", f"15/12/{year}", "--jobs", "1"]) == 0
    summary = json.loads((outbox / str(year) / "summary.json").read_text(encoding="utf-8"))
    schema = json.loads((ROOT / "schemas/summary.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(summary, schema)
    return summary


def listed(path: Path) -> list[dict[str, object]]:
    """A workbook's list rows, by header (the "(*)" of required columns dropped)."""
    sheet = openpyxl.load_workbook(path)["Danh sách"]
    rows = list(sheet.iter_rows(values_only=True))
    top = next(i for i, r in enumerate(rows) if CODE in r)
    header = [str(h).replace(" (*)", "") if h else "" for h in rows[top]]
    return [dict(zip(header, r, strict=True)) for r in rows[top + 1 :] if any(r)]


def guide_of(path: Path) -> str:
    return "\n".join(
        r[0] for r in openpyxl.load_workbook(path)["Hướng dẫn"].iter_rows(values_only=True) if r[0]
    )


def problems(outbox: Path, year: int) -> dict[str, list[tuple[str, object]]]:
    manifest = json.loads((outbox / str(year) / "manifest.json").read_text(encoding="utf-8"))
    return {f["path"]: [(p["code"], p["value"]) for p in f["problems"]] for f in manifest["files"]}


@pytest.fixture
def year_one(tmp_path):
    """2025 run on an inbox with every column filled, then the 2026 pre-filled workbooks."""
    outbox, box = tmp_path / "outbox", tmp_path / "inbox-2025"
    workbook(box / "cam-lam.xlsx", CAM_LAM_2025, year=2025, report_date="01/12/2025")
    workbook(box / "ldld.xlsx", LDLD_2025, code="ldld", name=None, year=2025, report_date="01/12/2025")
    summary = run(box, outbox, 2025)
    assert main(["template", "--outbox", str(outbox), "--year", "2026"]) == 0
    return outbox, summary


def test_the_register_keeps_every_column(year_one, cfg):
    outbox, summary = year_one
    # one declaration: every column of the standard workbook is a column of the register
    assert {register_tables.WORKBOOK_KEY.get(c, c) for c in register_tables.COLUMNS} >= {
        c.key for c in cfg.columns
    }
    lines = (outbox / "2025" / register_files.PERIOD_FILE).read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0])["columns"] == register_tables.COLUMNS
    with sqlite3.connect(outbox / register_tables.DB_NAME) as db:
        db.row_factory = sqlite3.Row
        kept = {r["name"]: dict(r) for r in db.execute("SELECT * FROM models WHERE year = 2025")}
    assert list(next(iter(kept.values())))[2:] == register_tables.COLUMNS
    first = kept["Dân vận khéo ở thôn"]
    assert {k: first[k] for k in ("content", "results", "rating", "location", "note")} == {
        "content": "Cách làm của Dân vận khéo ở thôn.",
        "results": "Hiệu quả của Dân vận khéo ở thôn.",
        "rating": "good",
        "location": "Địa bàn của Dân vận khéo ở thôn",
        "note": "Ghi chú về Dân vận khéo ở thôn",
    }
    assert (first["reward_form"], first["reward_decision"], first["publicised"]) == (
        "Giấy khen UBND huyện",
        "QĐ số 12/QĐ-UBND ngày 05/3/2025",
        "yes",
    )
    assert kept["Bếp ăn tình thương"]["reward_form"] is None
    assert kept["Bếp ăn tình thương"]["publicised"] == "no"
    totals = summary["totals"]  # the first year: every reward and press coverage is this year's
    assert (totals["rewarded"], totals["rewarded_this_period"]) == (3, 3)
    assert (totals["publicised"], totals["publicised_this_period"]) == (4, 4)


def test_the_prefilled_workbook_carries_every_column(year_one, cfg):
    outbox, _ = year_one
    path = outbox / "templates" / "bieu-mau-cam-lam.xlsx"
    rows = {r["Tên mô hình, điển hình"]: r for r in listed(path)}
    assert len(rows) == len(CAM_LAM_2025)
    fields = {f.code: f"{f.code} - {f.name}" for f in cfg.fields}
    for sent in CAM_LAM_2025:
        row = rows[sent["Tên mô hình, điển hình"]]
        expected = {h: sent.get(h) for h in HEADERS if h != "STT"}
        expected["Lĩnh vực"] = fields[sent["Lĩnh vực"]]
        expected["Tình trạng"] = "Duy trì, phát huy"  # last year's "Đăng ký mới" continues now
        assert {h: row[h] for h in expected} == expected
        assert row[CODE]
    sheet = openpyxl.load_workbook(path)["Danh sách"]
    assert sheet.protection.sheet
    header = [str(c.value) for c in sheet[5]]
    notes = [sheet.cell(r, header.index("Ghi chú") + 1) for r in range(6, 10)]
    assert all(c.data_type == "s" for c in notes)  # text, never a formula
    assert sheet.cell(6, header.index(CODE) + 1).protection.locked
    assert not sheet.cell(6, header.index("Nội dung, cách làm (*)") + 1).protection.locked
    text = guide_of(path)
    assert "đã báo cáo kỳ năm 2025" in text
    for header_text in ("Giai đoạn", "Số nơi nhân rộng", REWARD, DECISION, PRESS):
        assert f'"{header_text}"' in text
    assert "không tính lại" in text
    assert "Cột bắt buộc còn trống" not in text  # nothing missing: nothing said


def test_sent_back_unchanged_and_updated_counted_by_hand(year_one, tmp_path):
    """cam-lam sends its pre-filled workbook back unchanged; ldld advances a stage, gets a new
    reward and adds a new model. Every row accepted, no warning, rewards and press once."""
    outbox, _ = year_one
    box = tmp_path / "inbox-2026"
    box.mkdir()
    (box / "cam-lam.xlsx").write_bytes((outbox / "templates" / "bieu-mau-cam-lam.xlsx").read_bytes())
    ldld = box / "ldld.xlsx"
    ldld.write_bytes((outbox / "templates" / "bieu-mau-ldld.xlsx").read_bytes())
    book = openpyxl.load_workbook(ldld)
    sheet = book["Danh sách"]
    header = {str(c.value).replace(" (*)", ""): c.column for c in sheet[5] if c.value}
    for row in range(6, 8):
        if sheet.cell(row, header["Tên mô hình, điển hình"]).value == "Sáng kiến công nhân":
            sheet.cell(row, header["Giai đoạn"]).value = "Biểu dương, tôn vinh"
            sheet.cell(row, header[REWARD]).value = "Huân chương Lao động hạng Ba"
            sheet.cell(row, header[DECISION]).value = "QĐ 999/QĐ-CTN ngày 01/9/2026"
    new = every(
        "Tiếng kẻng an toàn",
        2,
        year=2026,
        status="Đăng ký mới",
        stage="Phát hiện, bồi dưỡng",
        places=0,
        **{REWARD: "Giấy khen LĐLĐ tỉnh", DECISION: "QĐ 7/QĐ-LĐLĐ ngày 03/3/2026", PRESS: "Có"},
    )
    for name, value in new.items():
        sheet.cell(8, header[name]).value = value
    book.save(ldld)
    for path in box.iterdir():
        saved_on_date(path, "01/12/2026")  # received before the deadline

    summary = run(box, outbox, 2026)
    assert summary["rows"] == {"read": 7, "accepted": 7, "rejected": 0, "superseded": 0}
    assert problems(outbox, 2026) == {"cam-lam.xlsx": [], "ldld.xlsx": []}  # not one warning
    totals = summary["totals"]
    assert (totals["models"], totals["continuing"], totals["new"]) == (7, 6, 1)
    block = summary["continuity"]
    assert (block["matched"], block["new"], block["dropped"], block["advanced"]) == (6, 1, 0, 1)
    assert (block["claimed_new_matched"], block["claimed_continuing_unmatched"]) == (0, 0)
    assert block["replications_change"] == 0
    # rewards: Dân vận khéo and Khuyến học carry 2025's; Sáng kiến's Huân chương and Tiếng
    # kẻng's Giấy khen are this year's. Press: only Tiếng kẻng is new, four "Có" are carried.
    assert (totals["rewarded"], totals["rewarded_this_period"]) == (4, 2)
    assert (totals["publicised"], totals["publicised_this_period"]) == (5, 1)
    html = (outbox / "2026" / "bao-cao-tong-hop.html").read_text(encoding="utf-8")
    assert "2 mô hình, điển hình được khen thưởng" in html
    assert "không tính lại 2 mô hình, điển hình có khen thưởng đã báo cáo" in html
    assert "1 mô hình, điển hình được tuyên truyền trên báo chí" in html
    assert "không tính lại 4 mô hình, điển hình đã được tuyên truyền" in html
    with sqlite3.connect(outbox / register_tables.DB_NAME) as db:
        kept = dict(db.execute("SELECT name, year_built FROM models WHERE year = 2026 AND unit = 'cam-lam'"))
    assert kept["Bếp ăn tình thương"] == 2025  # the year built kept


def test_a_reward_is_this_periods_unless_the_same_model_reported_it_in_an_earlier_year():
    def count(now: list[tuple], earlier: dict) -> tuple[int, int]:
        frame = pd.DataFrame(now, columns=["model_code", "reward_form", "reward_decision", "publicised"])
        return summarise.this_period(frame, earlier)

    form, decision = "Bằng khen UBND tỉnh", "QĐ 12/QĐ-UBND ngày 5/3/2025"
    then = {"a": [(form, decision, "yes")]}
    assert count([("a", form, decision, "yes")], then) == (0, 0)  # carried, both
    assert count([("a", " bằng khen  UBND tỉnh", "QĐ 12/QĐ-UBND, ngày 5/3/2025", "yes")], then) == (0, 0)
    assert count([("a", form, None, None)], then) == (0, 0)  # the decision left out: same reward
    assert count([("a", form, decision, None)], {"a": [(form, None, "no")]}) == (0, 0)  # filled in later
    assert count([("a", form, "QĐ 99/QĐ-UBND ngày 1/9/2026", "no")], then) == (1, 0)  # again, anew
    assert count([("a", "Huân chương Lao động", decision, None)], then) == (1, 0)  # another form
    assert count([("b", form, decision, "yes")], then) == (1, 1)  # another model
    assert count([("a", form, decision, "yes")], {"a": [(None, None, "no")]}) == (1, 1)
    assert count([("a", None, None, "no")], then) == (0, 0)


def test_an_older_register_without_the_new_columns_prefills_blanks_and_says_so(year_one, capsys):
    """A period file of the earlier layout (no content, results, reward, press, note): its
    missing columns are empty in the register and in the pre-filled workbook, never guessed."""
    outbox, _ = year_one
    old = [
        c
        for c in register_tables.COLUMNS
        if c not in ("seq", "content", "results", "reward_form", "reward_decision", "publicised", "note")
    ]
    source = outbox / "2025" / register_files.PERIOD_FILE
    lines = source.read_text(encoding="utf-8").splitlines()
    header = json.loads(lines[0])
    rows = [json.loads(line) for line in lines[1:-1]]  # the last line: the count and the hash
    keep = [header["columns"].index(c) for c in old]
    with pytest.MonkeyPatch.context() as earlier:  # the writer of the earlier layout
        earlier.setattr(register_tables, "COLUMNS", old)
        register_files.write_period_file(source, 2025, "annual", ([r[i] for i in keep] for r in rows))
    resum(source)
    (outbox / register_tables.DB_NAME).unlink()
    assert main(["template", "--outbox", str(outbox), "--year", "2026"]) == 0
    path = outbox / "templates" / "bieu-mau-cam-lam.xlsx"
    rows_now = listed(path)
    assert len(rows_now) == 4
    for row in rows_now:
        assert row["Nội dung, cách làm"] is None and row[REWARD] is None and row[PRESS] is None
        assert row["Đánh giá"] in ("Tốt", "Khá") and row[CODE]  # what was kept is carried
    assert "Cột bắt buộc còn trống ở dòng điền sẵn (Nội dung, cách làm)" in guide_of(path)


def test_status_and_check_read_a_register_of_the_earlier_layout_as_it_is(year_one, tmp_path, capsys):
    """Before the next run rebuilds it, a register written by the earlier version (no reward or
    press columns) is read as it is by the commands that write nothing."""
    outbox, _ = year_one
    with sqlite3.connect(outbox / register_tables.DB_NAME) as db:
        for column in ("reward_form", "reward_decision", "publicised"):
            db.execute(f"ALTER TABLE models DROP COLUMN {column}")
        db.execute("UPDATE register_info SET value = '2' WHERE key = 'format'")
    box = tmp_path / "inbox-2026"
    box.mkdir()
    (box / "cam-lam.xlsx").write_bytes((outbox / "templates" / "bieu-mau-cam-lam.xlsx").read_bytes())
    args = ["--outbox", str(outbox), "--year", "2026"]
    assert main(["status", "--inbox", str(box), *args]) == 0
    assert main(["check", str(box / "cam-lam.xlsx"), *args]) == 0
    assert "Huyện ủy Cam Lâm" in capsys.readouterr().out


@pytest.mark.skipif(not SOFFICE, reason="LibreOffice (installed by .ci/run)")
def test_the_prefilled_workbook_saved_by_libreoffice_is_a_valid_report(year_one, tmp_path):
    """A unit opens the pre-filled workbook in LibreOffice Calc and saves it unchanged: every
    column is still there, the code still locked, and the run takes every row, continuing."""
    outbox, _ = year_one
    source = outbox / "templates" / "bieu-mau-cam-lam.xlsx"
    out = tmp_path / "lo"
    saved = convert(source, "xlsx:Calc MS Excel 2007 XML", out, tmp_path / "profile")
    sheet = openpyxl.load_workbook(saved)["Danh sách"]
    header = [str(c.value) for c in sheet[5]]
    assert sheet.protection.sheet
    assert all(sheet.cell(r, header.index(CODE) + 1).protection.locked for r in range(6, 10))
    assert listed(saved) == listed(source)
    box = tmp_path / "inbox-2026"
    box.mkdir()
    (box / "cam-lam.xlsx").write_bytes(saved.read_bytes())
    saved_on_date(box / "cam-lam.xlsx", "01/12/2026")
    summary = run(box, outbox, 2026)
    assert summary["rows"]["accepted"] == 4 and summary["rows"]["rejected"] == 0
    assert summary["continuity"]["matched"] == 4 and summary["totals"]["continuing"] == 4
    assert problems(outbox, 2026) == {"cam-lam.xlsx": []}
    assert (summary["totals"]["rewarded_this_period"], summary["totals"]["publicised_this_period"]) == (0, 0)


def test_the_annual_report_counts_the_rewards_first_reported_in_its_half_year(year_one, tmp_path):
    """2026 half-year: ldld reports a new reward. 2026 annual: the workbook pre-filled from the
    half-year, sent back unchanged, carries it. The half-year is no earlier year: the annual
    report counts it as this year's; 2025's rewards stay carried."""
    outbox, _ = year_one
    args = ["--outbox", str(outbox), "--year", "2026"]
    assert main(["template", *args, "--period", "half_year"]) == 0
    half = tmp_path / "inbox-2026-6-thang"
    half.mkdir()
    path = half / "ldld.xlsx"
    path.write_bytes((outbox / "templates" / "bieu-mau-ldld.xlsx").read_bytes())
    book = openpyxl.load_workbook(path)
    sheet = book["Danh sách"]
    header = {str(c.value).replace(" (*)", ""): c.column for c in sheet[5] if c.value}
    row = next(
        r for r in (6, 7) if sheet.cell(r, header["Tên mô hình, điển hình"]).value == "Sáng kiến công nhân"
    )
    sheet.cell(row, header[REWARD]).value = "Huân chương Lao động hạng Ba"
    sheet.cell(row, header[DECISION]).value = "QĐ 999/QĐ-CTN ngày 01/6/2026"
    book.save(path)
    saved_on_date(path, "20/06/2026")
    run_args = ["--inbox", str(half), *args, "--period", "half_year", "--report-date", "30/06/2026"]
    assert main([*run_args, "--jobs", "1"]) == 0
    totals = json.loads((outbox / "2026-6-thang" / "summary.json").read_text(encoding="utf-8"))["totals"]
    assert (totals["rewarded"], totals["rewarded_this_period"]) == (1, 1)

    assert main(["template", *args]) == 0  # pre-filled from the half-year now
    box = tmp_path / "inbox-2026"
    box.mkdir()
    for unit in ("cam-lam", "ldld"):
        (box / f"{unit}.xlsx").write_bytes((outbox / "templates" / f"bieu-mau-{unit}.xlsx").read_bytes())
        saved_on_date(box / f"{unit}.xlsx", "01/12/2026")
    rows = {r["Tên mô hình, điển hình"]: r for r in listed(box / "ldld.xlsx")}
    assert rows["Sáng kiến công nhân"][REWARD] == "Huân chương Lao động hạng Ba"
    # each unit's workbook from its own latest period: cam-lam sent nothing at the half-year
    assert len(listed(box / "cam-lam.xlsx")) == len(CAM_LAM_2025)
    assert "đã báo cáo kỳ 6 tháng 2026" in guide_of(box / "ldld.xlsx")
    assert "đã báo cáo kỳ năm 2025" in guide_of(box / "cam-lam.xlsx")
    totals = run(box, outbox, 2026)["totals"]
    # cam-lam's pre-filled workbook came from 2025 (it sent nothing at the half-year)
    assert (totals["rewarded"], totals["rewarded_this_period"]) == (3, 1)
    assert (totals["publicised"], totals["publicised_this_period"]) == (4, 0)


_FORMS = st.sampled_from([None, "Giấy khen", "giấy  khen", "Bằng khen"])
_DECISIONS = st.sampled_from([None, "QĐ 1/2025", "QĐ 1, 2025", "QĐ 2/2026"])
_PRESS = st.sampled_from([None, "yes", "no"])
_CODES = st.sampled_from(["a", "b", "c"])


@given(
    st.lists(st.tuples(_CODES, _FORMS, _DECISIONS, _PRESS), max_size=8),
    st.dictionaries(_CODES, st.lists(st.tuples(_FORMS, _DECISIONS, _PRESS), max_size=3)),
)
def test_this_periods_figures_are_never_more_than_the_records_say(now, earlier):
    frame = pd.DataFrame(now, columns=["model_code", "reward_form", "reward_decision", "publicised"])
    rewarded, publicised = summarise.this_period(frame, earlier)
    assert 0 <= rewarded <= int(frame["reward_form"].notna().sum())
    assert 0 <= publicised <= int((frame["publicised"] == "yes").sum())
    assert summarise.this_period(frame, {}) == (
        int(frame["reward_form"].notna().sum()),
        int((frame["publicised"] == "yes").sum()),
    )  # nothing earlier: everything is this period's
