"""What the signer reads: one figure for one thing, every answer used, entered once, printable,
and a sample never taken for the Board's report (issue 20, points 7 to 10)."""

import dataclasses
import datetime as dt
import json
import re
import shutil
from pathlib import Path

import docx
import openpyxl
import pytest
from builders import model, workbook

from aggregator import config as config_module
from aggregator.cli import build_parser, main
from aggregator.model import SAMPLE_MARKER
from aggregator.pipeline import aggregate
from aggregator.rendering.report import context

ROOT = Path(__file__).resolve().parents[1]
DECIDED = {
    "Hình thức khen thưởng": "Bằng khen của UBND tỉnh",
    "Số, ngày quyết định khen thưởng": "12/QĐ-UBND",
}
UNDECIDED = {"Hình thức khen thưởng": "Giấy khen"}


def html_text(path: Path) -> str:
    html = path.read_text(encoding="utf-8")
    html = re.sub(r"<svg.*?</svg>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#34;", '"').replace("&quot;", '"')


def docx_text(path: Path) -> str:
    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    return re.sub(r"\s+", " ", " ".join(parts))


@pytest.fixture(scope="module")
def two_years(tmp_path_factory):
    """2025: Cam Lâm's A and B. 2026: A declared new (it continues), B continuing, C1 and C2
    declared continuing (they continue nothing), D new; Liên đoàn Lao động's E new. Hand count:
    declared new 3 (A, D, E), continuing 3 (B, C1, C2); by the register continuing 2 (A, B),
    new 4 (C1, C2, D, E)."""
    tmp = tmp_path_factory.mktemp("two-years")
    out = tmp / "outbox"
    workbook(
        tmp / "in-2025" / "cam-lam.xlsx",
        [model("Mô hình A", 1), model("Mô hình B", 2)],
        year=2025,
        report_date="03/12/2025",
    )
    args = ["--outbox", str(out), "--jobs", "1"]
    assert (
        main(["--inbox", str(tmp / "in-2025"), "--year", "2025", "--report-date", "15/12/2025", *args]) == 0
    )
    highlight = "Nhiều mô hình gắn với chuyển đổi số"
    workbook(
        tmp / "in-2026" / "cam-lam.xlsx",
        [
            model("Mô hình A", 1, status="Đăng ký mới", places=1, **UNDECIDED),
            model("Mô hình B", 2, places=1),
            model("Mô hình C1", 3, subject="Hộ gia đình", places=1),
            model("Mô hình C2", 5, places=1),
            model("Mô hình D", 6, year=2026, status="Đăng ký mới", places=1, **DECIDED),
        ],
        assessment={"Kết quả nổi bật": f"- {highlight}\n- Cam Lâm có 5 mô hình"},
    )
    workbook(
        tmp / "in-2026" / "ldld.xlsx",
        [model("Mô hình E", 2, year=2026, status="Đăng ký mới", places=9)],
        code="ldld",
        name=None,
        assessment={"Kết quả nổi bật": f"{highlight}."},
    )
    signed = ["--so", "123", "--nguoi-ky", "Lê Thị Hồng"]
    assert (
        main(
            ["--inbox", str(tmp / "in-2026"), "--year", "2026", "--report-date", "15/12/2026", *args, *signed]
        )
        == 0
    )
    return out / "2026"


def test_new_and_continuing_agree_with_the_register_or_one_sentence_says_why(two_years):
    summary = json.loads((two_years / "summary.json").read_text(encoding="utf-8"))
    totals, block = summary["totals"], summary["continuity"]
    assert (totals["new"], totals["continuing"], block["new"], block["matched"]) == (3, 3, 4, 2)
    sentence = (
        'Số liệu mục 1 (đăng ký mới 3, duy trì, phát huy 3) theo cột "Tình trạng" các đơn vị ghi; '
        'số liệu mục này theo sổ theo dõi mô hình, khác nhau vì 2 mô hình ghi "Duy trì, phát huy" '
        'nhưng không có trong báo cáo kỳ trước và 1 mô hình ghi "Đăng ký mới" nhưng đã có trong sổ; '
        'các dòng này được nêu trong tệp phản hồi gửi đơn vị và trang "Lỗi và lưu ý" của tệp tổng hợp.'
    )
    for text in (
        html_text(two_years / "bao-cao-tong-hop.html"),
        docx_text(two_years / "bao-cao-tong-hop.docx"),
    ):
        assert sentence in text
    # the rows are named where the unit and the Board look: the feedback and the master workbook
    feedback = openpyxl.load_workbook(two_years / "phan-hoi" / "cam-lam.xlsx")["Các lỗi"]
    said = [" ".join(str(c or "") for c in row) for row in feedback.iter_rows(values_only=True)]
    assert sum('"Duy trì, phát huy" nhưng không thấy' in line for line in said) == 2
    assert sum('"Đăng ký mới" nhưng mô hình đã có' in line for line in said) == 1
    master = openpyxl.load_workbook(two_years / "tong-hop.xlsx", read_only=True)["Lỗi và lưu ý"]
    codes = [str(v) for row in master.iter_rows(values_only=True) for v in row if v]
    assert sum("không thấy mô hình này" in v for v in codes) == 2


def test_the_units_results_are_section_ii_with_the_units_cited(two_years):
    text = html_text(two_years / "bao-cao-tong-hop.html")
    part = text.split("6. Kết quả nổi bật các đơn vị nêu", 1)[1].split("III. KHÓ KHĂN", 1)[0]
    # said by two units, once, both cited; a statement of one unit under its group
    assert part.count("Nhiều mô hình gắn với chuyển đổi số") == 1
    assert "Nhiều mô hình gắn với chuyển đổi số. (Huyện ủy Cam Lâm, Liên đoàn Lao động tỉnh)" in part
    assert "Cam Lâm có 5 mô hình." in part
    assert "6. Kết quả nổi bật các đơn vị nêu" in docx_text(two_years / "bao-cao-tong-hop.docx")


def test_outstanding_models_follow_the_settings_and_the_report_says_how(two_years):
    text = html_text(two_years / "bao-cao-tong-hop.html")
    rule = (
        "Các mô hình, điển hình tiêu biểu dưới đây (tối đa 5) được chọn theo thứ tự ưu tiên: "
        'đã đạt giai đoạn "Biểu dương, tôn vinh"; được khen thưởng có số, ngày quyết định; '
        "được nhân rộng ở nhiều nơi hơn; được khen thưởng; ngang nhau thì theo đơn vị"
    )
    assert rule in text and rule in docx_text(two_years / "bao-cao-tong-hop.docx")
    part = text.split("4. Một số mô hình, điển hình tiêu biểu", 1)[1].split("5. Mô hình", 1)[0]
    names = re.findall(r"- (Mô hình \w+) \(", part)
    # D has a decision, so before E (9 places) and before A (a reward with no decision)
    assert names == ["Mô hình D", "Mô hình E", "Mô hình A", "Mô hình B", "Mô hình C1"]
    # each entry is sentences: "Cách làm hay." then the reward with its decision
    decided = "Được khen thưởng: Bằng khen của UBND tỉnh (quyết định 12/QĐ-UBND)."
    assert f"Cách làm hay. Đã nhân rộng tại 1 nơi. {decided}" in part


def test_the_number_and_the_signer_entered_once_reach_every_place(two_years):
    html = html_text(two_years / "bao-cao-tong-hop.html")
    word = docx_text(two_years / "bao-cao-tong-hop.docx")
    for text in (html, word):
        assert text.count("Số 123-BC/BTGDVTU") == 1
        assert text.count("Kèm theo Báo cáo số 123-BC/BTGDVTU") == 4  # each appendix
        assert "Lê Thị Hồng" in text and "Nguyễn Văn A" not in text and "…-BC" not in text
    notes = json.loads((two_years / "manifest.json").read_text(encoding="utf-8"))["staff_notes"]
    assert not any("Số văn bản chưa có" in n or "tên mẫu" in n for n in notes)


def test_the_end_of_run_note_says_how_to_enter_the_number_and_signer(tmp_path, capsys):
    workbook(tmp_path / "in" / "cam-lam.xlsx", [model()])
    assert main(["--inbox", str(tmp_path / "in"), "--outbox", str(tmp_path / "out"), "--year", "2026"]) == 0
    out = capsys.readouterr().out
    assert "chạy lại với --so SỐ" in out and '--nguoi-ky "Họ và tên"' in out
    text = html_text(tmp_path / "out" / "2026" / "bao-cao-tong-hop.html")
    # one unit on time, none late: no "0 đơn vị"
    assert "tất cả đều đúng hạn" in text and not re.search(r"\b0 đơn vị", text), text[:600]
    assert "BẢN MẪU" not in text  # a real inbox: no sample banner


def test_master_and_feedback_lists_print_on_a4_landscape_fitted_to_width(two_years):
    books = [
        (openpyxl.load_workbook(two_years / "tong-hop.xlsx"), None),
        (openpyxl.load_workbook(two_years / "phan-hoi" / "cam-lam.xlsx"), ("Danh sách", "Các lỗi")),
    ]
    checked = 0
    for book, names in books:
        for sheet in book.worksheets:
            if names and sheet.title not in names:
                continue
            setup = sheet.page_setup
            assert setup.orientation == "landscape" and setup.paperSize in (9, "9"), sheet.title
            assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
            assert int(setup.fitToHeight) == 0 and int(setup.fitToWidth or 1) >= 1, sheet.title
            assert sheet.print_options.gridLines, sheet.title
            assert sheet.print_title_rows, sheet.title  # the header on every page
            checked += 1
    assert checked == 7 + 2
    records = books[0][0]["Mô hình, điển hình"]
    assert int(records.page_setup.fitToWidth) >= 2 and records.print_title_cols == "$A:$B"  # wide: readable


def test_feedback_colours_are_said_as_colours(two_years):
    summary = openpyxl.load_workbook(two_years / "phan-hoi" / "cam-lam.xlsx")["Tóm tắt"]
    text = " ".join(str(c.value or "") for row in summary.iter_rows() for c in row)
    assert "Ô màu đỏ" in text and "ô màu vàng" in text and "tô đỏ" not in text.lower()


def test_a_file_received_after_the_report_date_is_said_and_stays_late(tmp_path, capsys):
    # received 10/12 (after the 05/12 deadline), the report dated 04/12: not made on time
    workbook(tmp_path / "in" / "cam-lam.xlsx", [model()], report_date="10/12/2026")
    args = ["--inbox", str(tmp_path / "in"), "--outbox", str(tmp_path / "out"), "--year", "2026"]
    assert main([*args, "--report-date", "04/12/2026"]) == 0
    out = capsys.readouterr().out
    folder = tmp_path / "out" / "2026"
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    cam_lam = next(u for u in summary["units"] if u["code"] == "cam-lam")
    assert cam_lam["status"] == "late"
    assert cam_lam["received"] == "2026-12-10"  # as it came, as the warning says: never the report's date
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    [entry] = [f for f in manifest["files"] if f["path"] == "cam-lam.xlsx"]
    assert "received_after_report_date" in [p["code"] for p in entry["problems"]]
    assert "cam-lam.xlsx: Tệp được nhận ngày 10/12/2026, sau ngày lập báo cáo tổng hợp (04/12/2026)" in out
    # the report dated after the deadline, the file later still: shown as it came (10/12), not 06/12
    assert main([*args, "--report-date", "06/12/2026"]) == 0
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert next(u["received"] for u in summary["units"] if u["code"] == "cam-lam") == "2026-12-10"
    assert "Huyện ủy Cam Lâm (ngày 10/12/2026)" in html_text(folder / "bao-cao-tong-hop.html")
    capsys.readouterr()
    # dated after it, the same file is simply on time as received
    workbook(tmp_path / "in" / "cam-lam.xlsx", [model()], report_date="03/12/2026")
    assert main([*args, "--report-date", "04/12/2026"]) == 0
    assert "sau ngày lập báo cáo" not in capsys.readouterr().out


def test_a_chart_of_the_units_with_the_most_models_draws_none_at_zero(tmp_path, cfg):
    workbook(tmp_path / "cam-lam.xlsx", [model("A"), model("B", 2)])
    workbook(tmp_path / "ldld.xlsx", [model("C")], code="ldld", name=None)
    few = dataclasses.replace(cfg, report=dataclasses.replace(cfg.report, chart_units_limit=5))
    result = aggregate(few, tmp_path, 2026, "annual")
    made = context(result, dt.date(2026, 12, 15))
    assert made["chart_captions"]["units"] == (
        "Số mô hình, điển hình theo đơn vị (2 đơn vị có mô hình, điển hình; 19 đơn vị chưa có)"
    )
    svg = made["charts"]["units"].svg
    assert "Huyện ủy Cam Lâm" in svg and "Liên đoàn Lao động tỉnh" in svg and "Tỉnh đoàn" not in svg


def test_the_sample_inbox_makes_a_report_that_says_it_is_a_sample(tmp_path):
    inbox = tmp_path / "in"
    workbook(inbox / "cam-lam.xlsx", [model()])
    shutil.copy(ROOT / "examples" / "inbox" / SAMPLE_MARKER, inbox / SAMPLE_MARKER)
    assert main(["--inbox", str(inbox), "--outbox", str(tmp_path / "out"), "--year", "2026"]) == 0
    folder = tmp_path / "out" / "2026"
    banner = "BẢN MẪU — dữ liệu minh họa, không phải báo cáo của Ban"
    assert banner in html_text(folder / "bao-cao-tong-hop.html")
    assert docx_text(folder / "bao-cao-tong-hop.docx").startswith(banner)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert [i["path"] for i in manifest["ignored"]] == [SAMPLE_MARKER]


def test_the_quick_start_sample_run_writes_to_a_folder_of_its_own():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Quick start", 1)[1].split("```bash\n", 1)[1].split("```", 1)[0]
    commands = block.strip().splitlines()
    assert len(commands) == 2 and "--inbox examples/inbox --outbox outbox-mau " in commands[0]
    assert "--schemas presets/ke-hoach-235 " in commands[0]  # the sample's own list, whatever staff chose


def test_the_plans_list_as_a_preset_is_the_shipped_one():
    """presets/ke-hoach-235 (the sample's list, and the way back to it) holds the units the
    program ships in schemas/units.yaml: the two never drift apart."""
    plan = config_module.load(ROOT / "presets" / "ke-hoach-235")
    shipped = config_module.load(config_module.BUNDLED)
    assert [(u.code, u.name, u.group, u.quota) for u in plan.units] == [
        (u.code, u.name, u.group, u.quota) for u in shipped.units
    ]
    assert len(plan.units) == 21


def test_the_suite_reads_its_own_copy_of_the_shipped_schemas():
    """Staff edit schemas/ (the signer, the registry): the tests never read it."""
    assert config_module.BUNDLED != ROOT / "schemas"
    assert build_parser().parse_args(["run"]).schemas == config_module.BUNDLED
    assert (config_module.BUNDLED / "report.yaml").is_file()


def test_outstanding_ties_follow_the_registrys_order_as_the_report_says():
    """ "ngang nhau thì theo đơn vị": the units in the registry's (the report's) order, not their
    codes' alphabetical one."""
    import pandas as pd

    from aggregator.merging.summarise import outstanding

    tied = {"stage": "honoured", "reward_form": "Bằng khen", "reward_decision": "12/QĐ", "replications": 3}
    records = pd.DataFrame(
        [
            {
                "unit": "mttq",
                "row": 5,
                "name": "Phụ nữ khởi nghiệp",
                "rating": None,
                "publicised": None,
                **tied,
            },
            {
                "unit": "nha-trang",
                "row": 9,
                "name": "Dân vận khéo",
                "rating": None,
                "publicised": None,
                **tied,
            },
        ]
    )
    picked = outstanding(records, 2, units=["ubnd-tinh", "nha-trang", "mttq"], honoured="honoured")
    assert picked["unit"].tolist() == ["nha-trang", "mttq"]
    assert outstanding(records, 2, honoured="honoured")["unit"].tolist() == [
        "mttq",
        "nha-trang",
    ]  # no registry: by code
