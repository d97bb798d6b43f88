"""The register of models across periods: codes, continuity figures, re-runs and rebuilds,
over runs of two and three years into one outbox, counted by hand."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import jsonschema
import openpyxl
import pytest
from builders import HEADERS, SOFFICE, convert, model, workbook

from aggregator import periods
from aggregator.cli import main
from aggregator.merging import register_files, register_reading, register_store, register_tables
from aggregator.merging.continuity import make_code
from aggregator.merging.continuity_names import near as _near

ROOT = Path(__file__).resolve().parents[1]
CODE = "Mã mô hình"
WITH_CODE = [*HEADERS, CODE]


def run(inbox: Path, outbox: Path, year: int, *extra: str) -> dict:
    assert (
        main(
            [
                "--inbox",
                str(inbox),
                "--outbox",
                str(outbox),
                "--year",
                str(year),
                "--report-date",
                f"15/12/{year}",
                "--jobs",
                "1",
                *extra,
            ]
        )
        == 0
    )
    folder = outbox / periods.folder_name(year, "half_year" if "half_year" in extra else "annual")
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    schema = json.loads((ROOT / "schemas/summary.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(summary, schema)
    return summary


def codes_of(outbox: Path, year: int, period: str = "annual") -> dict[str, str]:
    """name -> code of one period, from the register."""
    with sqlite3.connect(outbox / register_tables.DB_NAME) as db:
        return dict(db.execute("SELECT name, code FROM models WHERE year = ? AND period = ?", (year, period)))


def problems_of(outbox: Path, year: int) -> list[tuple[str, str]]:
    manifest = json.loads((outbox / str(year) / "manifest.json").read_text(encoding="utf-8"))
    return [(p["code"], p["value"]) for f in manifest["files"] for p in f["problems"]]


def inbox_2024(root: Path) -> Path:
    box = root / "inbox-2024"
    workbook(
        box / "cam-lam.xlsx",
        [
            model("Dân vận khéo ở thôn", 1, year=2023, stage="Phát hiện, bồi dưỡng", places=1),
            model("Khuyến học", 5, year=2022, places=2),
            model(
                "Đường hoa nông thôn mới",
                9,
                year=2024,
                status="Đăng ký mới",
                stage="Phát hiện, bồi dưỡng",
                places=0,
            ),
        ],
        year=2024,
        report_date="01/12/2024",
    )
    workbook(
        box / "ldld.xlsx",
        [
            model("Sáng kiến công nhân", 2, "Cá nhân", year=2020, places=3),
            model("Tổ công đoàn mẫu", 2, year=2021, stage="Phát hiện, bồi dưỡng", places=0),
        ],
        code="ldld",
        name=None,
        year=2024,
        report_date="01/12/2024",
    )
    return box


def inbox_2025(root: Path, khuyen_hoc: str) -> Path:
    box = root / "inbox-2025"
    workbook(
        box / "cam-lam.xlsx",
        [
            model("Dân vận  khéo ở thôn", 1, year=2023, places=3),  # same key: continues
            model(
                "Khuyến học, khuyến tài",
                5,
                year=2022,
                stage="Biểu dương, tôn vinh",
                places=2,
                **{CODE: khuyen_hoc},
            ),  # renamed, code kept
            model(
                "Bếp ăn tình thương",
                10,
                year=2025,
                status="Đăng ký mới",
                stage="Phát hiện, bồi dưỡng",
                places=0,
            ),  # new
        ],
        year=2025,
        report_date="01/12/2025",
        headers=WITH_CODE,
    )  # C dropped; ldld silent
    return box


def inbox_2026(root: Path, codes_2024: dict[str, str], codes_2025: dict[str, str]) -> Path:
    box = root / "inbox-2026"
    workbook(
        box / "cam-lam.xlsx",
        [
            model("Dân vận khéo ở thôn", 1, year=2023, stage="Phát hiện, bồi dưỡng", places=1),
            model(
                "Bếp ăn tình thương",
                10,
                year=2024,
                status="Đăng ký mới",
                stage="Phát hiện, bồi dưỡng",
                places=0,
            ),
            model("Nhà văn hóa sạch đẹp", 8, year=2026, places=1),  # "continuing": no match
        ],
        year=2026,
        report_date="01/12/2026",
        headers=WITH_CODE,
    )  # Khuyến học dropped
    workbook(
        box / "ldld.xlsx",
        [
            model(
                "Sáng kiến công nhân",
                2,
                "Cá nhân",
                year=2020,
                places=4,
                **{CODE: codes_2024["Sáng kiến công nhân"]},
            ),  # a code of 2024
            model(
                "Lấy mã đơn vị khác", 2, year=2020, places=1, **{CODE: codes_2025["Bếp ăn tình thương"]}
            ),  # cam-lam's code
            model("Mã bịa", 2, year=2020, places=1, **{CODE: "ldld-zzzzzz"}),  # unknown code
        ],
        code="ldld",
        name=None,
        year=2026,
        report_date="01/12/2026",
        headers=WITH_CODE,
    )
    return box


@pytest.fixture
def three_years(tmp_path):
    outbox = tmp_path / "outbox"
    first = run(inbox_2024(tmp_path), outbox, 2024)
    codes_2024 = codes_of(outbox, 2024)
    second = run(inbox_2025(tmp_path, codes_2024["Khuyến học"]), outbox, 2025)
    codes_2025 = codes_of(outbox, 2025)
    third = run(inbox_2026(tmp_path, codes_2024, codes_2025), outbox, 2026)
    return outbox, (first, second, third), (codes_2024, codes_2025, codes_of(outbox, 2026))


def test_first_year_has_no_comparison_and_every_model_a_code(three_years):
    outbox, (first, _, _), (codes, _, _) = three_years
    assert first["continuity"] is None
    assert len(codes) == 5 and len(set(codes.values())) == 5
    assert codes["Khuyến học"].startswith("cam-lam-")
    assert codes["Sáng kiến công nhân"].startswith("ldld-")
    sheet = openpyxl.load_workbook(outbox / "2024" / "tong-hop.xlsx", read_only=True)["Lịch sử mô hình"]
    assert "chưa có kỳ báo cáo nào khác" in next(sheet.iter_rows(values_only=True))[0]


def test_second_year_counted_by_hand(three_years):
    outbox, (_, second, _), (c24, c25, _) = three_years
    assert second["totals"]["models"] == 3
    assert second["continuity"] == {
        "against": {"year": 2024, "period": "annual"},
        "matched": 2,  # Dân vận khéo (by name key), Khuyến học (by code)
        "new": 1,  # Bếp ăn tình thương
        "dropped": 1,  # Đường hoa nông thôn mới
        "not_reported": 2,  # ldld's two: ldld sent nothing in 2025
        "advanced": 2,  # discovered -> replicated, replicated -> honoured
        "regressed": 0,
        "replications_change": 2,  # (3 - 1) + (2 - 2)
        "claimed_continuing_unmatched": 0,
        "claimed_new_matched": 0,
        "by_unit": second["continuity"]["by_unit"],
    }
    by_unit = {u["code"]: u for u in second["continuity"]["by_unit"]}
    assert len(by_unit) == 21
    assert by_unit["cam-lam"] == {"code": "cam-lam", "matched": 2, "new": 1, "dropped": 1}
    assert by_unit["ldld"] == {"code": "ldld", "matched": 0, "new": 0, "dropped": 0}
    # the codes carry over: by name key, and by the code kept on a renamed model
    assert c25["Dân vận  khéo ở thôn"] == c24["Dân vận khéo ở thôn"]
    assert c25["Khuyến học, khuyến tài"] == c24["Khuyến học"]
    assert c25["Bếp ăn tình thương"] not in c24.values()
    # the unit is told which of last year's models it did not report
    assert ("model_not_reported", "Đường hoa nông thôn mới") in problems_of(outbox, 2025)
    summary = openpyxl.load_workbook(outbox / "2025" / "phan-hoi" / "cam-lam.xlsx")["Tóm tắt"]
    assert any("Đường hoa nông thôn mới" in str(c.value) for r in summary.iter_rows() for c in r)
    draft = (outbox / "2025" / "phan-hoi" / "cam-lam.eml").read_bytes()
    import email

    body = (
        next(p for p in email.message_from_bytes(draft).walk() if p.get_content_type() == "text/plain")
        .get_payload(decode=True)
        .decode()
    )
    assert "Đường hoa nông thôn mới" in body


def test_third_year_counted_by_hand(three_years):
    outbox, (_, second, third), (c24, c25, c26) = three_years
    assert third["totals"]["models"] == 4
    block = third["continuity"]
    assert {k: v for k, v in block.items() if k != "by_unit"} == {
        "against": {"year": 2025, "period": "annual"},
        "matched": 2,  # Dân vận khéo, Bếp ăn tình thương
        "new": 2,  # Nhà văn hóa (cam-lam), Sáng kiến (ldld: not in 2025)
        "dropped": 1,  # Khuyến học, khuyến tài
        "not_reported": 0,
        "advanced": 0,
        "regressed": 1,  # Dân vận khéo: replicated -> discovered
        "replications_change": -2,  # Dân vận khéo 3 -> 1; Bếp ăn 0 -> 0
        "claimed_continuing_unmatched": 2,  # Nhà văn hóa; Sáng kiến (nothing in 2025)
        "claimed_new_matched": 1,  # Bếp ăn tình thương
    }
    assert block["matched"] + block["new"] == third["totals"]["models"]
    assert block["matched"] + block["dropped"] + block["not_reported"] == second["totals"]["models"]
    # a code of an older period is a known code of the unit's own
    assert c26["Sáng kiến công nhân"] == c24["Sáng kiến công nhân"]
    assert c26["Dân vận khéo ở thôn"] == c24["Dân vận khéo ở thôn"]
    found = problems_of(outbox, 2026)
    codes = [code for code, _ in found]
    assert ("model_code_other_unit", c25["Bếp ăn tình thương"]) in found
    assert ("model_code_unknown", "ldld-zzzzzz") in found
    for warning in (
        "stage_backwards",
        "replications_down",
        "year_built_changed",
        "new_already_registered",
        "continuing_unmatched",
    ):
        assert warning in codes, warning
    assert ("model_not_reported", "Khuyến học, khuyến tài") in found
    assert third["units"][[u["code"] for u in third["units"]].index("ldld")]["models"] == 1


def test_the_register_tables(three_years):
    outbox, summaries, _ = three_years
    with sqlite3.connect(outbox / register_tables.DB_NAME) as db:
        periods = db.execute("SELECT year, period, folder, models FROM periods ORDER BY year").fetchall()
        assert periods == [
            (2024, "annual", "2024", 5),
            (2025, "annual", "2025", 3),
            (2026, "annual", "2026", 4),
        ]
        assert db.execute("SELECT count(*) FROM models").fetchone() == (12,)


def test_rerun_replaces_the_period_and_archives_are_not_in_it(three_years, tmp_path):
    outbox, (_, second, _), (c24, c25, _) = three_years
    dumped = register_store.dump(outbox / register_tables.DB_NAME)
    again = run(tmp_path / "inbox-2025", outbox, 2025)
    assert again["continuity"] == second["continuity"]
    assert codes_of(outbox, 2025) == c25
    assert list((outbox / "luu-tru").iterdir())  # the earlier 2025 run, archived
    with sqlite3.connect(outbox / register_tables.DB_NAME) as db:
        assert db.execute("SELECT count(*) FROM models WHERE year = 2025").fetchone() == (3,)
    assert register_store.dump(outbox / register_tables.DB_NAME) == dumped


def test_rebuild_gives_the_same_register(three_years, capsys):
    outbox, _, _ = three_years
    path = outbox / register_tables.DB_NAME
    before = register_store.dump(path)
    path.unlink()
    assert main(["register", "rebuild", "--outbox", str(outbox)]) == 0
    assert "3 kỳ" in capsys.readouterr().out
    assert register_store.dump(path) == before
    path.write_bytes(b"not a database")  # unreadable: the next sync writes it again
    register_store.sync(outbox)
    assert register_store.dump(path) == before


def test_a_deleted_period_folder_leaves_the_register(three_years):
    outbox, _, _ = three_years
    import shutil

    shutil.rmtree(outbox / "2026")
    register_store.sync(outbox)
    with sqlite3.connect(outbox / register_tables.DB_NAME) as db:
        assert [y for (y,) in db.execute("SELECT year FROM periods ORDER BY year")] == [2024, 2025]


def test_master_workbook_has_codes_and_timeline(three_years):
    outbox, _, (_, _, c26) = three_years
    book = openpyxl.load_workbook(outbox / "2026" / "tong-hop.xlsx", read_only=True)
    records = list(book["Mô hình, điển hình"].iter_rows(values_only=True))
    column = records[0].index(CODE)
    assert sorted(r[column] for r in records[1:]) == sorted(c26.values())
    timeline = list(book["Lịch sử mô hình"].iter_rows(values_only=True))
    code = c26["Dân vận khéo ở thôn"]
    mine = [r for r in timeline[1:] if r[0] == code]
    assert [r[3] for r in mine] == ["Năm 2024", "Năm 2025", "Năm 2026"]
    assert [r[5] for r in mine] == [1, 3, 1]


def test_codes_are_deterministic_and_collision_safe():
    assert make_code("cam-lam", 1, "a") == make_code("cam-lam", 1, "a")
    assert make_code("cam-lam", 1, "a") != make_code("cam-lam", 1, "a", 1)
    assert make_code("cam-lam", 1, "a") != make_code("cam-lam", 2, "a")
    assert _near("dan van kheo o thon", "dan van khep o thon")
    assert not _near("dan van kheo", "dan van kheo")
    assert not _near("khuyen hoc", "khuyen tai xyz")


def test_half_year_compares_with_half_year(tmp_path):
    outbox = tmp_path / "outbox"
    box = tmp_path / "h24"
    workbook(
        box / "cam-lam.xlsx",
        [model("Khuyến học", 5, year=2022)],
        year=2024,
        period="6 tháng",
        report_date="01/06/2024",
    )
    run(box, outbox, 2024, "--period", "half_year")
    annual = run(inbox_2024(tmp_path), outbox, 2024)
    assert annual["continuity"] is None  # no annual 2023
    box = tmp_path / "h25"
    workbook(
        box / "cam-lam.xlsx",
        [model("Khuyến học", 5, year=2022)],
        year=2025,
        period="6 tháng",
        report_date="01/06/2025",
    )
    half = run(box, outbox, 2025, "--period", "half_year")
    assert half["continuity"]["against"] == {"year": 2024, "period": "half_year"}
    assert half["continuity"]["matched"] == 1 and half["continuity"]["dropped"] == 0


def test_report_section_on_continuity(three_years):
    import docx

    outbox, _, (_, c25, _) = three_years
    html = (outbox / "2026" / "bao-cao-tong-hop.html").read_text(encoding="utf-8")
    section = html[html.index("5. Mô hình, điển hình qua các kỳ báo cáo") : html.index("III. KHÓ")]
    assert "So với kỳ báo cáo năm 2025: 2 mô hình, điển hình đã có trong báo cáo năm 2025" in section
    assert "Huyện ủy Cam Lâm (1)" in section
    assert "Khuyến học, khuyến tài" in section and c25["Khuyến học, khuyến tài"] in section
    assert "qua các năm" in section and "<svg" in section  # 2024, 2025, 2026
    earlier = (outbox / "2025" / "bao-cao-tong-hop.html").read_text(encoding="utf-8")
    assert (
        'đạt giai đoạn "Biểu dương, tôn vinh" kỳ này:\nKhuyến học, khuyến tài' in earlier
        or "Biểu dương, tôn vinh&#34; kỳ này:\nKhuyến học, khuyến tài" in earlier
    )
    assert "lên giai đoạn cao hơn" in earlier
    text = "\n".join(p.text for p in docx.Document(outbox / "2026" / "bao-cao-tong-hop.docx").paragraphs)
    assert "So với kỳ báo cáo năm 2025: 2 mô hình, điển hình đã có trong báo cáo năm 2025" in text
    cells = [
        c.text
        for t in docx.Document(outbox / "2026" / "bao-cao-tong-hop.docx").tables
        for r in t.rows
        for c in r.cells
    ]
    assert "Khuyến học, khuyến tài" in cells and c25["Khuyến học, khuyến tài"] in cells
    first = (outbox / "2024" / "bao-cao-tong-hop.html").read_text(encoding="utf-8")
    assert "Chưa có số liệu cùng kỳ năm trước" in first


def _fill(
    path: Path, edits: dict[str, dict[str, object]], clear: list[str], new: list[dict[str, object]]
) -> None:
    """Fill a pre-filled workbook as a unit would: rows found by their code."""
    book = openpyxl.load_workbook(path)
    sheet = book["Danh sách"]
    header = next(
        r for r in sheet.iter_rows(min_row=1, max_row=10) if any(c.value == "Mã mô hình" for c in r)
    )
    where = {str(c.value).replace(" (*)", ""): c.column for c in header if c.value}
    top = header[0].row
    last = top
    for row in sheet.iter_rows(min_row=top + 1, max_row=top + 300):
        code = row[where["Mã mô hình"] - 1].value
        if not code:
            continue
        last = row[0].row
        if code in clear:
            for name, column in where.items():
                if name not in ("Mã mô hình", "STT"):
                    sheet.cell(row[0].row, column).value = None
        for name, value in edits.get(code, {}).items():
            sheet.cell(row[0].row, where[name]).value = value
    for i, values in enumerate(new, start=last + 1):
        for name, value in values.items():
            sheet.cell(i, where[name]).value = value
    book.save(path)


def test_prefilled_round_trip(tmp_path, capsys):
    outbox = tmp_path / "outbox"
    box = tmp_path / "inbox-2025"
    workbook(
        box / "cam-lam.xlsx",
        [
            model("Dân vận khéo", 1, year=2023, stage="Phát hiện, bồi dưỡng", places=1),
            model("Khuyến học", 5, year=2022, places=2),
            model("Đường hoa", 9, year=2024, stage="Phát hiện, bồi dưỡng", places=0),
            model("Sân chơi thiếu nhi", 8, year=2021, places=3, **{"Đánh giá": "Tốt"}),
        ],
        year=2025,
        report_date="01/12/2025",
    )
    workbook(
        box / "ldld.xlsx",
        [model("Sáng kiến", 2, "Cá nhân", year=2020, places=3)],
        code="ldld",
        name=None,
        year=2025,
        report_date="01/12/2025",
    )
    run(box, outbox, 2025)
    c25 = codes_of(outbox, 2025)

    (outbox / register_tables.DB_NAME).unlink()  # the template command brings it back first
    assert main(["template", "--outbox", str(outbox), "--year", "2026"]) == 0
    assert "điền sẵn 5 mô hình" in capsys.readouterr().out
    path = outbox / "templates" / "bieu-mau-cam-lam.xlsx"
    book = openpyxl.load_workbook(path)
    sheet = book["Danh sách"]
    assert sheet.protection.sheet
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=6, max_row=9)]
    assert sorted(r[-1] for r in rows) == sorted(v for k, v in c25.items() if k != "Sáng kiến")
    first = next(r for r in sheet.iter_rows(min_row=6, max_row=9) if r[1].value == "Sân chơi thiếu nhi")
    assert [first[i].value for i in (2, 3, 6, 7, 8, 11, 12)] == [
        "8 - Thôn, tổ dân phố điển hình tiên tiến",
        "Tập thể",
        2021,
        "Duy trì, phát huy",
        "Giới thiệu, nhân rộng",
        "Tốt",
        3,
    ]
    assert first[-1].protection.locked and not first[1].protection.locked
    assert sheet.data_validations.dataValidation  # the dropdowns are still there

    content = {"Nội dung, cách làm": "Cách làm kỳ này."}
    _fill(
        path,
        {
            c25["Dân vận khéo"]: {**content, "Giai đoạn": "Biểu dương, tôn vinh", "Số nơi nhân rộng": 2},
            c25["Khuyến học"]: {**content, "Tên mô hình, điển hình": "Khuyến học, khuyến tài"},
            c25["Sân chơi thiếu nhi"]: content,
        },
        clear=[c25["Đường hoa"]],
        new=[
            {
                "Tên mô hình, điển hình": "Tủ sách dòng họ",
                "Lĩnh vực": 10,
                "Đối tượng": "Tập thể",
                "Tập thể, cá nhân thực hiện": "Dòng họ Nguyễn",
                "Năm xây dựng": 2026,
                "Tình trạng": "Đăng ký mới",
                "Giai đoạn": "Phát hiện, bồi dưỡng",
                **content,
            }
        ],
    )
    box = tmp_path / "inbox-2026"
    box.mkdir()
    (box / "cam-lam.xlsx").write_bytes(path.read_bytes())
    summary = run(box, outbox, 2026)
    assert summary["totals"]["models"] == 4
    assert summary["rows"]["rejected"] == 0
    block = summary["continuity"]
    assert {k: v for k, v in block.items() if k != "by_unit"} == {
        "against": {"year": 2025, "period": "annual"},
        "matched": 3,
        "new": 1,
        "dropped": 1,
        "not_reported": 1,
        "advanced": 1,
        "regressed": 0,
        "replications_change": 1,
        "claimed_continuing_unmatched": 0,
        "claimed_new_matched": 0,
    }
    c26 = codes_of(outbox, 2026)
    assert c26["Khuyến học, khuyến tài"] == c25["Khuyến học"]
    assert c26["Dân vận khéo"] == c25["Dân vận khéo"]
    assert c26["Tủ sách dòng họ"] not in c25.values()
    # the row emptied to its code, as the pre-filled workbook says to stop a model: dropped
    # (the contract counts it), and the unit is not asked about it again
    assert ("model_not_reported", "Đường hoa") not in problems_of(outbox, 2026)


def test_remind_attaches_the_prefilled_workbook(three_years, tmp_path):
    import email

    outbox, _, _ = three_years
    empty = tmp_path / "empty"
    empty.mkdir()
    assert (
        main(
            [
                "remind",
                "--inbox",
                str(empty),
                "--outbox",
                str(outbox),
                "--year",
                "2027",
                "--report-date",
                "01/12/2027",
            ]
        )
        == 0
    )
    message = email.message_from_bytes((outbox / "2027" / "nhac-nho" / "cam-lam.eml").read_bytes())
    attached = next(p for p in message.walk() if p.get_filename())
    path = tmp_path / "bieu-mau.xlsx"
    path.write_bytes(attached.get_payload(decode=True))
    names = [r[1].value for r in openpyxl.load_workbook(path)["Danh sách"].iter_rows(min_row=6) if r[1].value]
    assert sorted(names) == ["Bếp ăn tình thương", "Dân vận khéo ở thôn", "Nhà văn hóa sạch đẹp"]


# -- the contract's identities, for any register and any period -------------------------------

from types import SimpleNamespace  # noqa: E402

from builders import record_rows  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from aggregator.merging import continuity  # noqa: E402
from aggregator.merging.register_reading import OtherPeriods  # noqa: E402
from aggregator.model import Entry, FileOutcome, FileStatus, UnitStatus  # noqa: E402
from aggregator.text import loose_key  # noqa: E402

UNITS = ["a", "b", "c"]
NAMES = ["x", "y", "z", "w"]
STAGES = ["discovered", "replicated", "honoured"]
entries = st.lists(
    st.tuples(
        st.sampled_from(UNITS),
        st.integers(1, 2),
        st.sampled_from(NAMES),
        st.sampled_from(STAGES),
        st.none() | st.integers(0, 5),
    ),
    max_size=12,
    unique_by=lambda t: t[:3],
)
choices = st.lists(
    st.tuples(
        st.sampled_from(["code", "key", "fresh"]),
        st.integers(0, 20),
        st.sampled_from(UNITS),
        st.sampled_from(STAGES),
        st.none() | st.integers(0, 5),
        st.sampled_from(["new", "continuing"]),
    ),
    max_size=15,
)


@settings(max_examples=150, deadline=None)
@given(entries, choices, st.sets(st.sampled_from(UNITS)))
def test_continuity_identities(cfg, before, now, reporting):
    """The figures as the run makes them (``continuity.assign`` counting into a ``Tally``), for
    any register and any period: rows continue a model by its code or by its name, or are new."""
    compared = [
        Entry(2025, "annual", f"{u}-{i}", u, f, n, loose_key(n), "continuing", s, r, 2020)
        for i, (u, f, n, s, r) in enumerate(before)
    ]
    registry = [SimpleNamespace(code=u, name=f"Đơn vị {u}", formerly=()) for u in UNITS]
    other_periods = OtherPeriods(2026, "annual", compared=compared).with_units(registry)
    rows, used = [], set()
    for n, (how, pick, unit, stage, places, status) in enumerate(now):
        if how != "fresh" and compared:
            entry = compared[pick % len(compared)]
            if entry.unit not in reporting or entry.code in used:
                continue
            used.add(entry.code)
            rows.append(
                {
                    "unit": entry.unit,
                    "model_code": entry.code if how == "code" else None,  # else matched by its name
                    "field": entry.field,
                    "name": entry.name if how == "key" else f"renamed {n}",
                    "status": status,
                    "stage": stage,
                    "replications": places,
                }
            )
        elif unit in reporting:
            # a new model, perhaps of an earlier model's name: matched at most once
            rows.append(
                {
                    "unit": unit,
                    "model_code": None,
                    "field": 1 + pick % 2,
                    "name": NAMES[pick % len(NAMES)],
                    "status": status,
                    "stage": stage,
                    "replications": places,
                }
            )

    def used_file(unit: str) -> FileOutcome:
        mine = [
            {**r, "row": 6 + i, "name_key": loose_key(r["name"])}
            for i, r in enumerate(rows)
            if r["unit"] == unit
        ]
        return FileOutcome(
            SimpleNamespace(relative=f"{unit}.xlsx"), FileStatus.ACCEPTED, unit, rows=record_rows(cfg, mine)
        )

    statuses = [
        UnitStatus(
            u,
            u,
            "g",
            3,
            "on_time" if u in reporting else "missing",
            used=used_file(u) if u in reporting else None,
        )
        for u in UNITS
    ]
    tally = continuity.Tally(other_periods, cfg.codes)
    _, continued = continuity.assign(
        [s.used for s in statuses if s.used], statuses, other_periods, cfg, tally
    )
    block = tally.result(continued).summary
    assert block["matched"] + block["new"] == len(rows)
    assert block["matched"] + block["dropped"] + block["not_reported"] == len(compared)
    assert sum(u["matched"] for u in block["by_unit"]) == block["matched"]
    assert sum(u["new"] for u in block["by_unit"]) == block["new"]
    assert sum(u["dropped"] for u in block["by_unit"]) == block["dropped"]
    assert block["advanced"] + block["regressed"] <= block["matched"]
    assert block["not_reported"] == sum(1 for e in compared if e.unit not in reporting)
    # every row typed with a compared code, or named as a compared model, continues it
    assert block["matched"] >= sum(1 for r in rows if r["model_code"] is not None)


def _churn(outbox: str, times: int) -> None:
    for n in range(times):
        (register_store.rebuild if n % 2 else register_store.sync)(Path(outbox))


def test_two_writers_at_once_leave_a_whole_register(three_years):
    """Even without the outbox lock, SQLite transactions and the rename keep it whole."""
    import multiprocessing

    outbox, _, _ = three_years
    before = register_store.dump(outbox / register_tables.DB_NAME)
    (outbox / register_tables.DB_NAME).unlink()
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_churn, args=(str(outbox), 6)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    assert register_store.dump(outbox / register_tables.DB_NAME) == before
    assert not list(outbox.glob(".*dang-ghi*"))


def test_a_run_refuses_while_another_holds_the_outbox(three_years, tmp_path, capsys):
    import os

    outbox, _, _ = three_years
    before = register_store.dump(outbox / register_tables.DB_NAME)
    (outbox / ".dang-chay.lock").write_text(str(os.getppid()))
    assert (
        main(
            [
                "--inbox",
                str(tmp_path / "inbox-2025"),
                "--outbox",
                str(outbox),
                "--year",
                "2025",
                "--report-date",
                "15/12/2025",
            ]
        )
        == 1
    )
    assert "Đang có một lần chạy khác" in capsys.readouterr().err
    assert register_store.dump(outbox / register_tables.DB_NAME) == before


@pytest.mark.skipif(not SOFFICE, reason="LibreOffice (installed by .ci/run)")
def test_prefilled_workbook_and_report_open_in_libreoffice(three_years, tmp_path):
    """LibreOffice loads the pre-filled workbook and saves it back with the codes, their lock
    and the dropdowns; it lays out the Word report's section on continuity."""
    import subprocess

    outbox, _, (_, _, c26) = three_years
    assert main(["template", "--outbox", str(outbox), "--year", "2027"]) == 0
    source = outbox / "templates" / "bieu-mau-cam-lam.xlsx"
    out = tmp_path / "lo"
    for target, path in (
        ("xlsx:Calc MS Excel 2007 XML", source),
        ("pdf", outbox / "2026" / "bao-cao-tong-hop.docx"),
    ):
        convert(path, target, out, tmp_path / "u")
    sheet = openpyxl.load_workbook(out / source.name)["Danh sách"]
    header = [c.value for c in sheet[5]]
    column = header.index("Mã mô hình")
    rows = [r for r in sheet.iter_rows(min_row=6, max_row=8)]
    assert sorted(r[column].value for r in rows) == sorted(
        c26[n] for n in ("Dân vận khéo ở thôn", "Bếp ăn tình thương", "Nhà văn hóa sạch đẹp")
    )
    assert sheet.protection.sheet
    assert all(r[column].protection.locked and not r[1].protection.locked for r in rows)
    kinds = {v.type for v in sheet.data_validations.dataValidation}
    assert "list" in kinds and len(sheet.data_validations.dataValidation) >= 6
    pdftotext = __import__("shutil").which("pdftotext")
    if pdftotext:
        text = subprocess.run(
            [pdftotext, str(out / "bao-cao-tong-hop.pdf"), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "qua các kỳ báo cáo" in text and "Khuyến học, khuyến tài" in text


def test_annual_compares_with_last_annual_past_a_half_year(tmp_path):
    """Between 2024 annual and 2025 annual lies the 2025 half-year: the figures still come
    from the 2024 annual period (the stage and places of then, not of the half-year)."""
    outbox = tmp_path / "outbox"
    run(inbox_2024(tmp_path), outbox, 2024)
    c24 = codes_of(outbox, 2024)
    box = tmp_path / "h25"
    workbook(
        box / "cam-lam.xlsx",
        [model("Dân vận khéo ở thôn", 1, year=2023, stage="Biểu dương, tôn vinh", places=9)],
        year=2025,
        period="6 tháng",
        report_date="01/06/2025",
    )
    run(box, outbox, 2025, "--period", "half_year")
    second = run(inbox_2025(tmp_path, c24["Khuyến học"]), outbox, 2025)
    block = second["continuity"]
    assert (
        block["matched"],
        block["new"],
        block["dropped"],
        block["not_reported"],
        block["advanced"],
        block["regressed"],
        block["replications_change"],
    ) == (2, 1, 1, 2, 2, 0, 2)
    # the warnings look at the latest record: the half-year's
    assert ("stage_backwards", "Giới thiệu, nhân rộng") in problems_of(outbox, 2025)


@pytest.mark.skipif(not __import__("shutil").which("sqlite3"), reason="the sqlite3 program")
def test_the_register_opens_in_the_sqlite3_program(three_years):
    import subprocess

    outbox, _, (_, _, c26) = three_years
    shown = subprocess.run(
        [
            "sqlite3",
            "-readonly",
            str(outbox / register_tables.DB_NAME),
            "SELECT year, count(*) FROM models GROUP BY year ORDER BY year;",
            f"SELECT group_concat(year) FROM models WHERE code = '{c26['Dân vận khéo ở thôn']}';",
            ".schema periods",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert shown.splitlines()[:4] == ["2024|5", "2025|3", "2026|4", "2024,2025,2026"]
    assert "-- the folder in outbox/: 2025 or 2025-6-thang" in shown  # documented columns


def test_a_damaged_period_file_is_left_out_and_runs_go_on(three_years, tmp_path, caplog, capsys):
    outbox, _, (_, c25, _) = three_years
    (outbox / "2024" / register_files.PERIOD_FILE).write_text(
        '{"format": 1, "columns": []}\n[1, 2\n', encoding="utf-8"
    )
    assert main(["register", "rebuild", "--outbox", str(outbox)]) == 0
    assert "Bỏ qua" in caplog.text
    assert "từ 2 kỳ báo cáo: 2025, 2026." in capsys.readouterr().out  # what it holds
    with sqlite3.connect(outbox / register_tables.DB_NAME) as db:
        assert [y for (y,) in db.execute("SELECT year FROM periods ORDER BY year")] == [2025, 2026]
    again = run(tmp_path / "inbox-2025", outbox, 2025)  # compared with 2024: not in the register
    assert again["continuity"] is None
    # the code kept from 2024 is no longer known: that row is rejected, the others count
    assert ("model_code_unknown", c25["Khuyến học, khuyến tài"]) in problems_of(outbox, 2025)
    assert again["totals"]["models"] == 2


def test_a_model_whose_row_is_rejected_is_not_asked_about_as_not_reported(tmp_path):
    outbox = tmp_path / "outbox"
    workbook(
        tmp_path / "in-2025" / "cam-lam.xlsx",
        [model("Bếp ăn tình thương", 10), model("Khuyến học", 5)],
        year=2025,
        report_date="01/12/2025",
    )
    run(tmp_path / "in-2025", outbox, 2025)
    workbook(
        tmp_path / "in-2026" / "cam-lam.xlsx",
        [
            model("Bếp ăn tình thương", 10),
            model("Khuyến học", 5, **{"Nội dung, cách làm": ""}),  # there, rejected for its own reason
        ],
        report_date="01/12/2026",
    )
    summary = run(tmp_path / "in-2026", outbox, 2026)
    found = problems_of(outbox, 2026)
    assert ("required_missing", "") in found
    assert not any(code == "model_not_reported" for code, _ in found)
    # the contract counts accepted records: the rejected row continues nothing
    assert summary["continuity"]["matched"] == 1 and summary["continuity"]["dropped"] == 1


def test_continuing_is_not_questioned_for_a_unit_the_register_has_never_seen(tmp_path):
    outbox = tmp_path / "outbox"
    workbook(
        tmp_path / "in-2025" / "cam-lam.xlsx",
        [model("Bếp ăn tình thương", 10)],
        year=2025,
        report_date="01/12/2025",
    )
    run(tmp_path / "in-2025", outbox, 2025)
    box = tmp_path / "in-2026"
    workbook(
        box / "cam-lam.xlsx",
        [model("Bếp ăn tình thương", 10), model("Nhà văn hóa", 8)],
        report_date="01/12/2026",
    )
    workbook(
        box / "ldld.xlsx",
        [model("Sáng kiến công nhân", 2, "Cá nhân")],
        code="ldld",
        name=None,
        report_date="01/12/2026",
    )
    summary = run(box, outbox, 2026)
    questioned = [
        f["path"]
        for f in json.loads((outbox / "2026" / "manifest.json").read_text(encoding="utf-8"))["files"]
        if any(p["code"] == "continuing_unmatched" for p in f["problems"])
    ]
    assert questioned == ["cam-lam.xlsx"]  # ldld has no earlier record to continue
    assert summary["continuity"]["claimed_continuing_unmatched"] == 2  # the contract's count


def _listing(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        p.relative_to(folder).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")
    }


def test_check_applies_the_register_as_the_run_does(tmp_path, capsys):
    """``check --outbox`` reads the register as it is (never writes it) and gives a file the
    codes and cross-period checks the run gives it: the same rows rejected, the same problems."""
    outbox = tmp_path / "outbox"
    run(inbox_2024(tmp_path), outbox, 2024)
    c24 = codes_of(outbox, 2024)
    run(inbox_2025(tmp_path, c24["Khuyến học"]), outbox, 2025)
    c25 = codes_of(outbox, 2025)
    path = workbook(
        tmp_path / "inbox-2026" / "cam-lam.xlsx",
        [
            model(
                "Dân vận khéo ở thôn",
                1,
                year=2023,
                stage="Phát hiện, bồi dưỡng",
                places=3,
                **{CODE: c25["Dân vận  khéo ở thôn"]},
            ),  # stage lowered
            model(
                "Bếp ăn tình thương",
                10,
                year=2025,
                stage="Phát hiện, bồi dưỡng",
                places=0,
                **{CODE: c25["Bếp ăn tình thương"]},
            ),
            model("Mượn mã", 5, year=2022, places=2, **{CODE: c24["Sáng kiến công nhân"]}),  # ldld's
        ],
        year=2026,
        report_date="01/12/2026",
        headers=WITH_CODE,
    )
    before = register_store.dump(outbox / register_tables.DB_NAME), _listing(outbox)

    capsys.readouterr()
    assert main(["check", "--json", "--year", "2026", "--outbox", str(outbox), str(path)]) == 1
    [checked] = json.loads(capsys.readouterr().out)
    assert (register_store.dump(outbox / register_tables.DB_NAME), _listing(outbox)) == before
    found = [(p["code"], p["value"]) for p in checked["problems"]]
    assert ("model_code_other_unit", c24["Sáng kiến công nhân"]) in found
    assert ("stage_backwards", "Phát hiện, bồi dưỡng") in found
    assert (checked["rows_read"], checked["rows_valid"], checked["rows_invalid"]) == (3, 2, 1)
    assert main(["check", "--year", "2026", "--outbox", str(outbox), str(path)]) == 1
    assert "Huyện ủy Cam Lâm; 3 dòng, 2 hợp lệ, 1 có lỗi." in capsys.readouterr().out

    summary = run(path.parent, outbox, 2026)
    manifest = json.loads((outbox / "2026" / "manifest.json").read_text(encoding="utf-8"))
    [used] = manifest["files"]
    assert [(k, used[k]) for k in ("rows_read", "rows_valid", "rows_invalid")] == [
        (k, checked[k]) for k in ("rows_read", "rows_valid", "rows_invalid")
    ]
    assert [(p["code"], p["value"], p["cell"]) for p in used["problems"]] == [
        (p["code"], p["value"], p["cell"]) for p in checked["problems"]
    ]
    assert summary["rows"]["rejected"] == 1

    # no register at hand: as before, codes taken as typed and nothing compared
    capsys.readouterr()
    assert main(["check", "--json", "--year", "2026", "--outbox", str(tmp_path / "none"), str(path)]) == 0
    [alone] = json.loads(capsys.readouterr().out)
    assert alone["rows_invalid"] == 0
    assert not {p["code"] for p in alone["problems"]} & {"model_code_other_unit", "stage_backwards"}
    assert not (tmp_path / "none").exists()


def test_check_with_a_damaged_register_says_so_and_checks_alone(tmp_path, capsys):
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    (outbox / register_tables.DB_NAME).write_bytes(b"not a register")
    path = workbook(tmp_path / "cam-lam.xlsx", [model(**{CODE: "ldld-aaaaaa"})], headers=WITH_CODE)
    assert main(["check", "--year", "2026", "--outbox", str(outbox), str(path)]) == 0
    said = capsys.readouterr()
    assert "1 hợp lệ, 0 có lỗi" in said.out  # no period folder: nothing to judge codes by
    assert (outbox / register_tables.DB_NAME).read_bytes() == b"not a register"  # check writes nothing


def test_the_trend_of_a_rerun_period_stops_at_its_year(three_years):
    outbox, _, _ = three_years
    path = outbox / register_tables.DB_NAME
    assert register_reading.other_periods(path, 2024, "annual").trend == {}
    assert sorted(register_reading.other_periods(path, 2026, "annual").trend) == [2024, 2025]


def test_a_period_file_copied_into_another_periods_folder_is_left_out(three_years, capsys):
    outbox, _, _ = three_years
    (outbox / "2024" / register_files.PERIOD_FILE).write_bytes(
        (outbox / "2025" / register_files.PERIOD_FILE).read_bytes()
    )
    assert main(["register", "rebuild", "--outbox", str(outbox)]) == 0
    assert "từ 2 kỳ báo cáo: 2025, 2026." in capsys.readouterr().out


def test_units_read_in_turn_through_one_connection_are_those_read_one_by_one(three_years, monkeypatch):
    outbox, _, _ = three_years
    path = outbox / register_tables.DB_NAME
    others = register_reading.other_periods(path, 2026, "annual")
    with sqlite3.connect(str(path)) as connection:
        codes = [u for (u,) in connection.execute("SELECT DISTINCT unit FROM models ORDER BY unit")]
    alone = [others.unit(code) for code in codes]
    assert len(codes) > 1 and any(u.compared for u in alone)
    opened = []
    connect = sqlite3.connect
    monkeypatch.setattr(sqlite3, "connect", lambda *a, **k: opened.append(a) or connect(*a, **k))
    assert list(others.units(codes)) == alone
    assert len(opened) == 1  # the register opened once for every unit, not once a unit
