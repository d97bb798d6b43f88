"""The commands as staff run them, end to end in tmp_path, figures counted by hand."""

import json
import re
import shutil
from pathlib import Path

import jsonschema
import openpyxl
import pytest
from builders import model, workbook

from aggregator import config as config_module
from aggregator.cli import build_parser, main
from aggregator.commands.table import TABLE

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def inbox(tmp_path):
    """Three units' files, a correction, bad rows, an unknown unit, a PDF and a lock file."""
    box = tmp_path / "inbox"
    workbook(
        box / "cam-lam.xlsx",
        [
            model("A", 1, "Tập thể", places=3),
            model(
                "B", 3, "Hộ gia đình", status="Đăng ký mới", year=2026, stage="Phát hiện, bồi dưỡng", places=0
            ),
            model(
                "C",
                11,
                "Cá nhân",
                stage="Biểu dương, tôn vinh",
                places=1,
                **{"Hình thức khen thưởng": "Bằng khen", "Số, ngày quyết định khen thưởng": "QĐ 5"},
            ),
            model("D", 3, "Cá nhân"),  # rejected: subject not allowed
            {"Tên mô hình, điển hình": "Tổng cộng"},  # no row: a totals row ends the list
        ],
        report_date="02/12/2026",
        assessment={"Khó khăn, vướng mắc": "Thiếu kinh phí <b>nhân rộng</b>."},
    )
    workbook(
        box / "ldld-v1.xlsx", [model("E", 2, "Cá nhân")], code="ldld", name=None, report_date="01/12/2026"
    )
    workbook(
        box / "ldld-v2.xlsx",
        [model("=1+2", 2, "Cá nhân", places=4), model("F", 5, "Tập thể", places=2)],
        code="ldld",
        name=None,
        report_date="09/12/2026",
    )
    workbook(
        box / "sub/hnd.xlsx",
        [model("G", 9, "Cá nhân", places=0)],
        code=None,
        name="Hội Nông dân tỉnh Khánh Hòa",
        report_date="08/12/2026",
    )
    workbook(box / "vanphong.xlsx", [model("H")], code=None, name="Đảng ủy Khu kinh tế Vân Phong")
    (box / "cong-van.pdf").write_bytes(b"%PDF-1.4 scan")
    (box / "~$cam-lam.xlsx").write_bytes(b"lock")
    return box


def run(inbox, outbox, *extra):
    return main(
        [
            "--inbox",
            str(inbox),
            "--outbox",
            str(outbox),
            "--year",
            "2026",
            "--report-date",
            "15/12/2026",
            *extra,
        ]
    )


def test_the_december_run(inbox, tmp_path, capsys):
    outbox = tmp_path / "outbox"
    assert run(inbox, outbox) == 0
    folder = outbox / "2026"
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    contract = json.loads(
        (ROOT.parent / "shared/contracts/summary.schema.json").read_text()
        if (ROOT.parent / "shared").exists()
        else (config_module.BUNDLED / "summary.schema.json").read_text()
    )
    jsonschema.validate(summary, contract)

    totals = summary["totals"]
    # cam-lam A B C; ldld "=1+2" F (v2; v1 superseded); hoi-nong-dan G
    assert totals["models"] == 6
    assert (
        totals["units_on_time"],
        totals["units_late"],
        totals["units_missing"],
        totals["units_rejected"],
    ) == (2, 1, 18, 0)
    assert totals["by_subject"] == {"collective": 2, "individual": 3, "household": 1}
    assert totals["by_stage"] == {"discovered": 1, "replicated": 4, "honoured": 1}
    assert (totals["new"], totals["continuing"]) == (1, 5)
    assert totals["replications"] == 3 + 0 + 1 + 4 + 2 + 0
    assert totals["rewarded"] == 1
    assert totals["units_below_quota"] == 20  # only cam-lam has 3
    assert summary["rows"] == {"read": 8, "accepted": 6, "rejected": 1, "superseded": 1}
    assert summary["files"] == {"accepted": 3, "rejected": 2, "superseded": 1, "ignored": 1}
    units = {u["code"]: u for u in summary["units"]}
    assert units["ldld"]["received"] == "2026-12-01" and units["ldld"]["status"] == "on_time"
    assert units["hoi-nong-dan"]["status"] == "late"
    assert units["cam-lam"]["by_field"]["3"] == 1 and units["cam-lam"]["rejected_rows"] == 1
    assert units["cam-lam"]["meets_quota"] and not units["ldld"]["meets_quota"]
    fields = {f["code"]: f for f in summary["fields"]}
    assert fields[2]["models"] == 1 and fields[2]["by_subject"]["individual"] == 1
    assert [u["code"] for u in summary["units"]][:3] == ["ubnd-tinh", "nha-trang", "cam-ranh"]

    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    listed = {f["path"]: f for f in manifest["files"]}
    everything = {p.relative_to(inbox).as_posix() for p in inbox.rglob("*") if p.is_file()}
    ignored = {i["path"]: i for i in manifest["ignored"]}
    assert set(listed) | set(ignored) == everything and not set(listed) & set(ignored)
    assert listed["ldld-v1.xlsx"]["status"] == "superseded"
    assert listed["cong-van.pdf"]["status"] == "rejected" and listed["cong-van.pdf"]["reasons"]
    # a lock file is known by its name: never hashed nor opened, listed with why
    assert ignored["~$cam-lam.xlsx"]["status"] == "ignored" and ignored["~$cam-lam.xlsx"]["reason"]
    assert listed["vanphong.xlsx"]["reasons"][0].startswith("Đơn vị")
    assert listed["sub/hnd.xlsx"]["identified_by"] == "name"
    assert all(len(f["sha256"]) == 64 for f in manifest["files"])

    out = capsys.readouterr().out
    assert "2 đúng hạn, 1 trễ hạn, 18 chưa gửi" in out and "bao-cao-tong-hop.html" in out


def test_master_workbook_traces_every_record_and_keeps_text_inert(inbox, tmp_path):
    outbox = tmp_path / "outbox"
    run(inbox, outbox)
    book = openpyxl.load_workbook(outbox / "2026" / "tong-hop.xlsx")
    records = book["Mô hình, điển hình"]
    header = [c.value for c in records[1]]
    rows = [dict(zip(header, (c.value for c in r), strict=True)) for r in records.iter_rows(min_row=2)]
    assert len(rows) == 6
    formula_like = next(r for r in records.iter_rows(min_row=2) if r[2].value == "=1+2")
    assert formula_like[2].data_type == "s"  # text, not a formula
    first = next(r for r in rows if r["Tên mô hình, điển hình"] == "A")
    assert (first["Tệp nguồn"], first["Trang"], first["Dòng"]) == ("cam-lam.xlsx", "Danh sách", 4)
    rejected = book["Dòng bị loại"]
    reasons = [r[6].value for r in rejected.iter_rows(min_row=2)]
    assert len(reasons) == 1 and any("Danh sách!D7" in r for r in reasons)
    pivot = book["Đơn vị x lĩnh vực"]
    assert pivot.cell(pivot.max_row, 1).value == "Tổng cộng"
    assert pivot.cell(pivot.max_row, pivot.max_column).value == 6


def test_feedback_marks_the_bad_cells(inbox, tmp_path):
    outbox = tmp_path / "outbox"
    run(inbox, outbox)
    feedback = outbox / "2026" / "phan-hoi"
    names = sorted(p.name for p in feedback.iterdir())
    assert "cam-lam.xlsx" in names and any(n.startswith("khong-ro-don-vi") for n in names)
    assert "ldld.xlsx" not in names  # its file used had no problem
    book = openpyxl.load_workbook(feedback / "cam-lam.xlsx")
    sheet = book["Danh sách"]
    marked = [c for row in sheet.iter_rows() for c in row if c.comment]
    assert any("lĩnh vực 3" in c.comment.text for c in marked)
    assert all(c.fill.fgColor.rgb.endswith("FFC7CE") for c in marked if "không thuộc" in c.comment.text)


def test_report_escapes_what_units_typed(inbox, tmp_path):
    outbox = tmp_path / "outbox"
    run(inbox, outbox)
    html = (outbox / "2026" / "bao-cao-tong-hop.html").read_text(encoding="utf-8")
    assert "Thiếu kinh phí &lt;b&gt;nhân rộng&lt;/b&gt;." in html
    assert "<b>nhân rộng</b>" not in html
    assert "ngày 15 tháng 12 năm 2026" in html and "Số …-BC/BTGDVTU" in html
    assert "Hội Nông dân tỉnh (ngày 08/12/2026)" in html


def test_a_second_run_archives_the_first(inbox, tmp_path):
    outbox = tmp_path / "outbox"
    assert run(inbox, outbox) == 0
    first = (outbox / "2026" / "summary.json").read_bytes()
    (inbox / "cam-lam.xlsx").unlink()
    assert run(inbox, outbox) == 0
    archived = list((outbox / "luu-tru").iterdir())
    assert len(archived) == 1 and (archived[0] / "summary.json").read_bytes() == first
    assert (outbox / "2026" / "summary.json").read_bytes() != first
    assert not list(outbox.glob(".dang-*"))


def test_a_failure_while_writing_leaves_the_last_report(inbox, tmp_path, monkeypatch):
    outbox = tmp_path / "outbox"
    run(inbox, outbox)
    before = (outbox / "2026" / "summary.json").read_bytes()
    from aggregator.rendering import workbooks

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(workbooks, "write_master", boom)
    assert run(inbox, outbox) == 1
    assert (outbox / "2026" / "summary.json").read_bytes() == before
    assert not list(outbox.glob(".dang-*")) and not (outbox / "luu-tru").exists()


def test_half_year_run_writes_its_own_folder(tmp_path):
    box = tmp_path / "inbox"
    workbook(box / "a.xlsx", [model()], period="6 tháng", report_date="02/06/2026")
    assert run(box, tmp_path / "out", "--period", "half_year") == 0
    summary = json.loads((tmp_path / "out" / "2026-6-thang" / "summary.json").read_text())
    assert summary["period"] == "half_year" and summary["deadline"] == "2026-06-05"
    assert summary["totals"]["units_on_time"] == 1


def test_broken_schema_exits_2_with_a_vietnamese_message(inbox, tmp_path, capsys):
    schemas = tmp_path / "schemas"
    shutil.copytree(config_module.BUNDLED, schemas)
    text = (schemas / "units.yaml").read_text(encoding="utf-8").replace("quota: 3", "quota: ba", 1)
    (schemas / "units.yaml").write_text(text, encoding="utf-8")
    assert run(inbox, tmp_path / "out", "--schemas", str(schemas)) == 2
    err = capsys.readouterr().err
    assert "units.yaml" in err and "units.0.quota" in err and "Traceback" not in err


def test_bad_usage_exits_2(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["--period", "quarter"])
    assert caught.value.code == 2 and "Lỗi cách dùng" in capsys.readouterr().err


def test_verify_of_a_folder_that_is_not_there_says_so(tmp_path, capsys):
    assert main(["verify", str(tmp_path / "khong-co")]) == 2
    assert "Không thấy thư mục kết quả" in capsys.readouterr().err


def test_missing_inbox_exits_2(tmp_path, capsys):
    assert run(tmp_path / "khong-co", tmp_path / "out") == 2
    assert "hộp thư đến" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["run", "remind"])
def test_a_templates_folder_missing_a_file_is_said_before_reading(inbox, tmp_path, capsys, command):
    """A set of templates made before report-sentences.j2 existed: named, exit 2, nothing read."""
    own = tmp_path / "mau"
    own.mkdir()
    shutil.copy(ROOT / "templates" / "report.html.j2", own)
    args = [command, "--inbox", str(inbox), "--outbox", str(tmp_path / "out"), "--templates", str(own)]
    assert main(args) == 2
    err = capsys.readouterr().err
    needed = "report-sentences.j2" if command == "run" else "nhac-nho.txt.j2"
    assert needed in err and "Lỗi bất ngờ" not in err
    assert not (tmp_path / "out" / "2026").exists()


def test_check_prints_problems_and_exits_1_on_errors(inbox, capsys):
    assert main(["check", str(inbox / "cam-lam.xlsx"), "--year", "2026"]) == 1
    out = capsys.readouterr().out
    assert "Danh sách!D7" in out and "Huyện ủy Cam Lâm" in out
    assert main(["check", str(inbox / "ldld-v2.xlsx"), "--year", "2026"]) == 0


def test_template_writes_a_workbook_per_unit_that_reads_back(tmp_path, capsys):
    assert main(["template", "--outbox", str(tmp_path), "--year", "2026"]) == 0
    folder = tmp_path / "templates"
    assert len(list(folder.glob("*.xlsx"))) == 22
    book = openpyxl.load_workbook(folder / "bieu-mau-cam-lam.xlsx")
    assert book["_mau_bieu"].sheet_state == "hidden"
    assert book["Thông tin"].protection.sheet and book["Thông tin"]["B1"].value == "cam-lam"
    listing = book["Danh sách"]
    validated = {str(dv.sqref).split(":")[0][0] for dv in listing.data_validations.dataValidation}
    assert {"C", "D", "H", "I", "L", "P", "G", "M"} <= validated
    assert [c.value for c in listing[5]][1] == "Tên mô hình, điển hình (*)"
    # the standard workbook sent back empty is no report: check says so, as for an error
    assert main(["check", str(folder / "bieu-mau-cam-lam.xlsx"), "--year", "2026"]) == 1
    out = capsys.readouterr().out
    assert "không có dòng mô hình, điển hình nào" in out and "chưa phải là báo cáo" in out


@pytest.mark.parametrize(
    "subjects,said",
    [
        (["individual", "collective"], None),  # field 11 then takes what most fields take
        (["individual", "household"], "lĩnh vực 11 nhận Cá nhân hoặc Hộ gia đình"),
    ],
)
def test_the_standard_workbook_takes_the_subjects_of_each_field_from_fields_yaml(tmp_path, subjects, said):
    schemas = tmp_path / "schemas"
    shutil.copytree(config_module.BUNDLED, schemas)
    path = schemas / "fields.yaml"
    text = path.read_text(encoding="utf-8")
    eleven = text.index("  - code: 11")
    path.write_text(
        text[:eleven] + text[eleven:].replace("subjects: [individual]", f"subjects: [{', '.join(subjects)}]"),
        encoding="utf-8",
    )
    assert main(["template", "--outbox", str(tmp_path), "--year", "2026", "--schemas", str(schemas)]) == 0
    book = openpyxl.load_workbook(tmp_path / "templates" / "bieu-mau-cam-lam.xlsx")
    line = next(c.value for c in book["Hướng dẫn"]["A"] if str(c.value).strip().startswith("Đối tượng"))
    assert "lĩnh vực 3 chỉ nhận Hộ gia đình; lĩnh vực 8 chỉ nhận Tập thể" in line
    assert "lĩnh vực 11 chỉ nhận Cá nhân" not in line
    if said:
        assert said in line
    else:
        assert "lĩnh vực 11" not in line
    # the subject column's dropdown offers every subject; the run accepts field 11's new one
    listing = book["Danh sách"]
    subject = next(dv for dv in listing.data_validations.dataValidation if str(dv.sqref).startswith("D"))
    meta, column = book["_mau_bieu"], subject.formula1.split("$")[1]
    assert [c.value for c in meta[column] if c.value] == ["Tập thể", "Cá nhân", "Hộ gia đình"]
    chosen = "Tập thể" if "collective" in subjects else "Hộ gia đình"
    inbox = tmp_path / "inbox"
    workbook(inbox / "cam-lam.xlsx", [model("A", 11, chosen)])
    assert run(inbox, tmp_path / "out", "--schemas", str(schemas)) == 0
    summary = json.loads((tmp_path / "out" / "2026" / "summary.json").read_text(encoding="utf-8"))
    assert summary["totals"]["models"] == 1


def test_every_command_has_help_and_is_in_the_readme(capsys):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for command in (c.name for c in TABLE):
        with pytest.raises(SystemExit) as caught:
            main([command, "--help"])
        assert caught.value.code == 0
        assert "Cách dùng" in capsys.readouterr().out
        assert re.search(rf"aggregate\.py {command}\b", readme), command
    assert build_parser().format_help()


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--year", "0"], 'năm "0" không hợp lệ'),
        (["--year", "99999"], 'năm "99999" không hợp lệ'),
        (["--year", "abc"], 'năm "abc" không hợp lệ'),
        (["--report-date", "31/02/2026"], "không có thật: tháng 2 năm 2026 không có ngày 31"),
        (["--report-date", "15/13/2026"], "không có thật: không có tháng 13"),
        (["--report-date", "hôm qua"], "cần dạng dd/mm/yyyy"),
        (["--period", "quy"], "chọn một trong"),
        (["check", "a.xlsx", "--year", "20266"], "không hợp lệ"),
    ],
)
def test_usage_errors_exit_2_with_a_vietnamese_message(args, said, capsys):
    with pytest.raises(SystemExit) as caught:
        main(args)
    err = capsys.readouterr().err
    assert caught.value.code == 2 and "Lỗi cách dùng" in err and said in err
    assert "invalid" not in err and "choose from" not in err and "argument" not in err


def test_an_outbox_that_is_a_file_is_a_usage_error(tmp_path, capsys):
    (tmp_path / "in").mkdir()
    (tmp_path / "ra.txt").write_text("x")
    with pytest.raises(SystemExit) as caught:
        run(tmp_path / "in", tmp_path / "ra.txt")
    assert caught.value.code == 2 and "là một tệp, không phải thư mục" in capsys.readouterr().err


def test_help_is_vietnamese_and_the_top_level_shows_the_run_options(capsys):
    top = build_parser().format_help()
    assert "--year NĂM" in top and "--inbox THƯ_MỤC" in top and "--report-date NGÀY" in top
    helps = [top]
    for command in (c.name for c in TABLE):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        helps.append(capsys.readouterr().out)
    for text in helps:
        for english in (
            "YEAR",
            "INBOX",
            "OUTBOX",
            "REPORT_DATE",
            "SCHEMAS",
            "TEMPLATES",
            "usage:",
            "options:",
        ):
            assert english not in text, english


def test_an_empty_inbox_says_no_unit_reported(tmp_path):
    (tmp_path / "in").mkdir()
    assert run(tmp_path / "in", tmp_path / "out") == 0
    html = (tmp_path / "out" / "2026" / "bao-cao-tong-hop.html").read_text(encoding="utf-8")
    assert "Chưa có đơn vị nào gửi báo cáo dùng được" in html
    assert "đều đạt số lượng" not in html and "Chưa có đơn vị nào gửi báo cáo hợp lệ." in html
    assert not re.search(r"\b0 đơn vị", html)  # never "0 đơn vị gửi đúng hạn"


def test_the_master_workbook_names_problems_in_vietnamese(inbox, tmp_path):
    assert run(inbox, tmp_path / "out") == 0
    book = openpyxl.load_workbook(tmp_path / "out" / "2026" / "tong-hop.xlsx", read_only=True)
    kinds = [row[1] for row in book["Lỗi và lưu ý"].iter_rows(min_row=2, values_only=True)]
    assert kinds and "Đơn vị ngoài danh sách" in kinds
    assert not [k for k in kinds if re.fullmatch(r"[a-z_]+", k or "")]


def test_a_real_signer_and_number_are_not_warned_about(tmp_path, capsys):
    schemas = tmp_path / "schemas"
    shutil.copytree(config_module.BUNDLED, schemas)
    text = (schemas / "report.yaml").read_text(encoding="utf-8")
    text = text.replace("name: Nguyễn Văn A", "name: Trần Thị Bích").replace(
        'document_number: "…"', 'document_number: "125"'
    )
    (schemas / "report.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "in").mkdir()
    assert run(tmp_path / "in", tmp_path / "out", "--schemas", str(schemas)) == 0
    out = capsys.readouterr().out
    assert "tên mẫu" not in out and "Số văn bản chưa có" not in out
    html = (tmp_path / "out" / "2026" / "bao-cao-tong-hop.html").read_text(encoding="utf-8")
    assert "Số 125-BC/BTGDVTU" in html and "Kèm theo Báo cáo số 125-BC/BTGDVTU" in html
