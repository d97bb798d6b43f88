"""The review of several years (``aggregate.py review``), from a three-year register built by
real runs, its figures counted by hand; the folder's audit trail; Word read by LibreOffice.

The register (default registry: cam-lam and nha-trang report, quota 3 each; no code column, so
each model continues by its unit, field and name):

| model | unit | field | 2024 | 2025 | 2026 |
| --- | --- | --- | --- | --- | --- |
| A Dân vận khéo ở thôn | cam-lam | 1 | discovered, 1 | replicated, 3 | replicated, 4 |
| B Khuyến học | cam-lam | 5 | replicated, 2 | honoured, 2, B1 | — |
| C Đường hoa nông thôn mới | cam-lam | 9 | discovered, 0 | — | — |
| E Bếp ăn tình thương | cam-lam | 10 | — | discovered, 0 | replicated, 1 |
| D Tổ dân phố văn minh | nha-trang | 8 | replicated, 3, D1 | honoured, 5, D1 | honoured, 6, D2 |
| H (hostile name) | nha-trang | 10 | discovered, 0 | discovered, 0 | discovered, 0 |
| F Chi bộ bốn tốt | nha-trang | 1 | — | — | discovered, 0 |

(D1, D2, B1: rewards with their decisions, below; H: a hostile name, HOSTILE.)
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import sqlite3
import subprocess
import zipfile
from pathlib import Path

import pytest
from builders import SOFFICE, convert, model, workbook

from aggregator import config as config_module
from aggregator.cli import main
from aggregator.merging import register
from aggregator.merging.review import load_span

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = "=cmd|' /C calc'!A0 <script>alert(1)</script>"
NEW, KEEP = "Đăng ký mới", "Duy trì, phát huy"
D1 = ("Bằng khen của UBND tỉnh", "Quyết định 12/QĐ-UBND ngày 01/3/2024")
D2 = ("Bằng khen của Thủ tướng Chính phủ", "Quyết định 789/QĐ-TTg ngày 10/10/2026")
B1 = ("Giấy khen của Huyện ủy", "Quyết định 45-QĐ/HU ngày 02/9/2025")


def _m(name, field, stage, places, status=KEEP, reward=None, subject="Tập thể", built=2023):
    extra = (
        {"Hình thức khen thưởng": reward[0], "Số, ngày quyết định khen thưởng": reward[1]} if reward else {}
    )
    stages = {"d": "Phát hiện, bồi dưỡng", "r": "Giới thiệu, nhân rộng", "h": "Biểu dương, tôn vinh"}
    return model(name, field, subject, year=built, status=status, stage=stages[stage], places=places, **extra)


def _year(root: Path, year: int, cam_lam: list, nha_trang: list) -> Path:
    box = root / f"inbox-{year}"
    day = f"01/12/{year}"
    workbook(box / "cam-lam.xlsx", cam_lam, year=year, report_date=day)
    workbook(
        box / "nha-trang.xlsx",
        nha_trang,
        code="nha-trang",
        name="Thành ủy Nha Trang",
        year=year,
        report_date=day,
    )
    return box


def _run(inbox: Path, outbox: Path, year: int) -> None:
    args = ["--inbox", str(inbox), "--outbox", str(outbox), "--year", str(year), "--jobs", "1"]
    assert main([*args, "--report-date", f"15/12/{year}"]) == 0


def review(outbox: Path, first: int, last: int, *extra: str) -> int:
    return main(["review", "--from", str(first), "--to", str(last), "--outbox", str(outbox), *extra])


@pytest.fixture(scope="module")
def outbox(tmp_path_factory):
    root = tmp_path_factory.mktemp("review")
    box = root / "outbox"
    a, b, c, e = "Dân vận khéo ở thôn", "Khuyến học", "Đường hoa nông thôn mới", "Bếp ăn tình thương"
    d, f = "Tổ dân phố văn minh", "Chi bộ bốn tốt"
    _run(
        _year(
            root,
            2024,
            [_m(a, 1, "d", 1), _m(b, 5, "r", 2), _m(c, 9, "d", 0, NEW, built=2024)],
            [_m(d, 8, "r", 3, reward=D1), _m(HOSTILE, 10, "d", 0)],
        ),
        box,
        2024,
    )
    _run(
        _year(
            root,
            2025,
            [_m(a, 1, "r", 3), _m(b, 5, "h", 2, reward=B1), _m(e, 10, "d", 0, NEW, built=2025)],
            [_m(d, 8, "h", 5, reward=D1), _m(HOSTILE, 10, "d", 0)],
        ),
        box,
        2025,
    )
    _run(
        _year(
            root,
            2026,
            [_m(a, 1, "r", 4), _m(e, 10, "r", 1, built=2025)],
            [_m(d, 8, "h", 6, reward=D2), _m(HOSTILE, 10, "d", 0), _m(f, 1, "d", 0, NEW, built=2026)],
        ),
        box,
        2026,
    )
    return box


def test_figures_counted_by_hand(outbox, cfg):
    span = load_span(outbox, cfg, 2024, 2026, "annual")
    assert (span.years_asked, span.years_held, span.years_missing) == ((2024, 2025, 2026),) * 2 + ((),)
    by_year = {y.year: y for y in span.years}
    # models a year: the table's rows per column; by field in the order of fields.yaml (1..11)
    assert [by_year[y].models for y in (2024, 2025, 2026)] == [5, 5, 5]
    assert by_year[2024].by_field == (1, 0, 0, 0, 1, 0, 0, 1, 1, 1, 0)  # A, B, D, C, H
    assert by_year[2025].by_field == (1, 0, 0, 0, 1, 0, 0, 1, 0, 2, 0)  # A, B, D, E+H
    assert by_year[2026].by_field == (2, 0, 0, 0, 0, 0, 0, 1, 0, 2, 0)  # A+F, D, E+H
    assert [dict(by_year[y].by_stage) for y in (2024, 2025, 2026)] == [
        {"discovered": 3, "replicated": 2, "honoured": 0},  # A C H | B D
        {"discovered": 2, "replicated": 1, "honoured": 2},  # E H | A | B D
        {"discovered": 2, "replicated": 2, "honoured": 1},  # H F | A E | D
    ]
    # new in the register: 2024 all five, 2025 E, 2026 F
    assert [(by_year[y].new, by_year[y].continuing) for y in (2024, 2025, 2026)] == [(5, 0), (1, 4), (1, 4)]
    # places: 1+2+0+3+0, 3+2+0+5+0, 4+1+6+0+0; replicated at least once: A B D, A B D, A E D
    assert [by_year[y].replications for y in (2024, 2025, 2026)] == [6, 10, 11]
    assert [by_year[y].replicated for y in (2024, 2025, 2026)] == [3, 3, 3]
    assert [by_year[y].honoured for y in (2024, 2025, 2026)] == [0, 2, 1]
    names = {m.code: m.name for m in span.models}
    assert span.total_models == 7  # A B C D E F H
    assert sorted(m.name for m in span.maintained) == sorted(
        ["Dân vận khéo ở thôn", "Tổ dân phố văn minh", HOSTILE]
    )
    advanced = {names[a.model.code]: (a.before, a.after) for a in span.advanced}
    assert advanced == {
        "Dân vận khéo ở thôn": ("discovered", "replicated"),
        "Khuyến học": ("replicated", "honoured"),
        "Tổ dân phố văn minh": ("replicated", "honoured"),
        "Bếp ăn tình thương": ("discovered", "replicated"),
    }
    honoured = {m.name: [(r.year, r.form, r.decision) for r in m.rewards()] for m in span.honoured}
    assert honoured == {
        "Khuyến học": [(2025, *B1)],
        "Tổ dân phố văn minh": [(2024, *D1), (2026, *D2)],  # 2025 repeats 2024's: counted once
    }
    units = {u.code: u for u in span.units}
    assert units["cam-lam"].counts == ((2024, 3), (2025, 3), (2026, 2))
    assert units["cam-lam"].shortfalls == ((2026, 2),)
    assert units["nha-trang"].counts == ((2024, 2), (2025, 2), (2026, 3))
    assert units["nha-trang"].shortfalls == ((2024, 2), (2025, 2))
    assert len(span.units) == 21 and sum(1 for u in span.below_quota if u.total == 0) == 19
    # the rows the book is made from: the register's models rows of the span, by column name
    assert len(span.rows) == 15 and list(span.rows[0]) == ["year", "period", *register.COLUMNS]
    assert {r["code"] for r in span.rows} == set(names)
    assert [s.folder for s in span.sources] == ["2024", "2025", "2026"]


def test_the_command_writes_the_folder_and_verify_holds_it(outbox, capsys):
    assert review(outbox, 2024, 2026, "--report-date", "20/12/2026") == 0
    said = capsys.readouterr().out
    assert "có số liệu các năm 2024, 2025, 2026; 7 mô hình" in said and "chưa có dữ liệu" not in said
    # staff are told where the book of models is, as well as the report
    assert "Sổ tay mô hình, điển hình (Word, để in): " in said and "so-tay/index.html" in said
    folder = outbox / "tong-ket-2024-2026"
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert files == [
        "SHA256SUMS",
        "bao-cao-tong-ket.docx",
        "bao-cao-tong-ket.html",
        *[
            f"bieu-do/bieu-do-{k}.{s}"  # numbered as in the report, named in Vietnamese
            for k in ("1-mo-hinh-qua-cac-nam", "2-mo-hinh-theo-linh-vuc", "3-noi-nhan-rong-qua-cac-nam")
            for s in ("png", "svg")
        ],
        # the book of models, written by the same command
        *[f"du-lieu-mo/so-tay-mo-hinh.{s}" for s in ("csv", "json", "schema.json")],
        "manifest.json",
        "so-tay-mo-hinh.docx",
        *[f"so-tay/{n}" for n in ("index.html", "so-tay.css", "so-tay.js")],
    ]
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert [i["path"] for i in manifest["inputs"]] == [f"{y}/mo-hinh.jsonl" for y in (2024, 2025, 2026)]
    assert manifest["run"]["kind"] == "review" and manifest["run"]["years_missing"] == []
    assert sorted(register.period_folders(outbox)) == [(y, "annual") for y in (2024, 2025, 2026)]  # no period
    html = (folder / "bao-cao-tong-ket.html").read_text(encoding="utf-8")
    assert "đã báo cáo 7 mô hình, điển hình khác nhau" in html
    assert "từ sổ theo dõi mô hình (tổng hợp từ báo cáo kỳ năm của các đơn vị qua từng năm) như sau:" in html
    assert "năm 2026 so với năm 2024: tăng 5 nơi" in html
    assert (
        "Thành ủy Nha Trang (2024: 2/3; 2025: 2/3), Huyện ủy Cam Lâm (2026: 2/3)." in html
    )  # registry order
    assert "Có 3 mô hình, điển hình được báo cáo ở tất cả các năm" in html
    assert "Có 4 mô hình, điển hình lên giai đoạn cao hơn" in html
    # the unit wrote "Quyết định 12/…": said once, not "quyết định Quyết định 12/…"
    assert f"{D1[0]} (quyết định 12/QĐ-UBND ngày 01/3/2024), năm 2024<br>{D2[0]} (quyết định 789/" in html
    assert "định Quyết định" not in html
    capsys.readouterr()
    assert main(["verify", str(folder)]) == 0
    assert "Mọi tệp còn nguyên" in capsys.readouterr().out


def test_a_second_run_is_byte_identical(outbox):
    assert review(outbox, 2024, 2025, "--report-date", "20/12/2026") == 0
    folder = outbox / "tong-ket-2024-2025"
    first = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert review(outbox, 2024, 2025, "--report-date", "20/12/2026") == 0
    again = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert again == first
    archived = [p for p in (outbox / "luu-tru").iterdir() if p.name.startswith("tong-ket-2024-2025-")]
    assert len(archived) == 1  # the first, kept


def test_verify_catches_a_tampered_output_and_input(outbox, tmp_path, capsys):
    copy = tmp_path / "outbox"
    shutil.copytree(outbox, copy)
    assert review(copy, 2025, 2026, "--report-date", "20/12/2026") == 0
    folder = copy / "tong-ket-2025-2026"
    capsys.readouterr()
    assert main(["verify", str(folder)]) == 0
    report = folder / "bao-cao-tong-ket.html"
    report.write_text(report.read_text(encoding="utf-8").replace("tăng", "giảm"), encoding="utf-8")
    assert main(["verify", str(folder)]) == 1
    assert "Đã thay đổi: bao-cao-tong-ket.html" in capsys.readouterr().out
    with (copy / "2025" / "mo-hinh.jsonl").open("ab") as handle:
        handle.write(b"\n")
    assert main(["verify", str(folder)]) == 1
    assert "Đã thay đổi: 2025/mo-hinh.jsonl" in capsys.readouterr().out


def test_a_missing_year_is_named_and_none_held_is_exit_2(outbox, tmp_path, capsys):
    copy = tmp_path / "outbox"
    shutil.copytree(outbox, copy)
    shutil.rmtree(copy / "2025")  # the register leaves it at the next sync
    assert review(copy, 2023, 2026, "--report-date", "20/12/2026") == 0
    said = capsys.readouterr().out
    assert "Năm 2023: chưa có dữ liệu trong sổ mô hình" in said and "Năm 2025: chưa có dữ liệu" in said
    folder = copy / "tong-ket-2023-2026"
    html = (folder / "bao-cao-tong-ket.html").read_text(encoding="utf-8")
    assert "Năm 2023: chưa có dữ liệu trong sổ mô hình" in html and "Năm 2025: chưa có dữ liệu" in html
    assert "(chưa tổng hợp kỳ năm 2025)" in html and "bị hỏng" not in html  # not run: nothing damaged
    assert "có số liệu kỳ năm của 2 năm (2024, 2026), chưa có số liệu của 2 năm (2023, 2025)" in html
    assert json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["run"]["years_missing"] == [
        2023,
        2025,
    ]
    # with 2025 gone, the models of both years held: A, D, H again; B and C only in 2024
    assert "Có 3 mô hình, điển hình được báo cáo ở tất cả các năm có số liệu (2024, 2026)" in html
    capsys.readouterr()
    assert main(["verify", str(folder)]) == 0
    shutil.copytree(outbox / "2025", copy / "2025")  # the year run since: a re-run would count it
    assert main(["verify", str(folder)]) == 1
    assert "2025/mo-hinh.jsonl" in capsys.readouterr().out
    assert review(copy, 2019, 2021) == 2
    assert "chưa có số liệu kỳ năm của năm nào từ 2019 đến 2021" in capsys.readouterr().err
    assert not (copy / "tong-ket-2019-2021").exists()
    assert review(copy, 2026, 2024) == 2
    assert review(tmp_path / "chua-co", 2024, 2026) == 2
    assert not (tmp_path / "chua-co").exists()  # nothing made


@pytest.mark.skipif(not SOFFICE, reason="LibreOffice (installed by .ci/run)")
def test_libreoffice_reads_the_word_review_with_the_registers_figures(outbox, tmp_path):
    assert review(outbox, 2023, 2026, "--report-date", "20/12/2026") == 0
    docx = outbox / "tong-ket-2023-2026" / "bao-cao-tong-ket.docx"
    text = convert(docx, "txt:Text", tmp_path, tmp_path / "profile").read_text(encoding="utf-8-sig")
    for expected in (
        "Tổng kết việc xây dựng và nhân rộng các mô hình, điển hình",
        "Năm 2023: chưa có dữ liệu trong sổ mô hình",
        "đã báo cáo 7 mô hình, điển hình khác nhau",
        "năm 2024: 5 mô hình, điển hình (5 lần đầu có trong sổ, 0 đã có từ trước)",
        "năm 2025: 10 nơi (3 mô hình, điển hình đã được nhân rộng)",
        "năm 2026 so với năm 2024: tăng 5 nơi",
        f"{D1[0]} (quyết định 12/QĐ-UBND ngày 01/3/2024), năm 2024; {D2[0]} (quyết định 789/QĐ-TTg",
        "Huyện ủy Cam Lâm (2026: 2/3)",
        "Nơi nhận:",
        "K/T TRƯỞNG BAN",
        "Phụ lục 1",
        HOSTILE,
    ):
        assert expected in text, expected


def test_unit_text_stays_inert(outbox):
    assert review(outbox, 2024, 2026, "--report-date", "20/12/2026") == 0
    folder = outbox / "tong-ket-2024-2026"
    html = (folder / "bao-cao-tong-ket.html").read_text(encoding="utf-8")
    assert "<script" not in html and 'class="sample"' not in html  # the Board's own data: no banner
    assert "=cmd|&#39; /C calc&#39;!A0 &lt;script&gt;alert(1)&lt;/script&gt;" in html
    with zipfile.ZipFile(folder / "bao-cao-tong-ket.docx") as book:
        xml = book.read("word/document.xml").decode("utf-8")
    assert "<script" not in xml and "&lt;script&gt;alert(1)&lt;/script&gt;" in xml
    assert "calc" not in "".join(xml.split("<w:instrText")[1:])  # no field made of it


def test_the_subject_line_is_a_setting(outbox, tmp_path, cfg):
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    text = (cfg.folder / "report.yaml").read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if x.strip().startswith("review:"))
    edited = text.replace(line, "  review: Sơ kết giữa nhiệm kỳ {year_from}–{year_to}")
    (schemas / "report.yaml").write_text(edited, encoding="utf-8")
    assert review(outbox, 2025, 2026, "--schemas", str(schemas), "--report-date", "20/12/2026") == 0
    html = (outbox / "tong-ket-2025-2026" / "bao-cao-tong-ket.html").read_text(encoding="utf-8")
    assert '<div class="subject">Sơ kết giữa nhiệm kỳ 2025–2026</div>' in html


def test_units_of_another_registry_are_named_as_recorded(outbox):
    """With the 2025 registry, cam-lam and nha-trang are communes and wards of the same codes
    but other names: the district's and the city's models are of units no longer in the
    registry, listed under their names then, with no quota; today's units of those codes have
    none (the register's rule, register.Identities)."""
    preset = config_module.load(ROOT / "presets" / "khanh-hoa-2025")
    span = load_span(outbox, preset, 2024, 2026, "annual")
    gone = {u.name: u for u in span.units if u.code is None}
    assert set(gone) == {"Huyện ủy Cam Lâm", "Thành ủy Nha Trang"}
    assert gone["Huyện ủy Cam Lâm"].counts == ((2024, 3), (2025, 3), (2026, 2))
    assert gone["Huyện ủy Cam Lâm"].quota is None and gone["Huyện ủy Cam Lâm"].shortfalls == ()
    today = {u.code: u for u in span.units if u.code}
    assert today["cam-lam"].total == 0 and today["nha-trang"].total == 0
    assert {m.unit for m in span.models} == {"Huyện ủy Cam Lâm", "Thành ủy Nha Trang"}
    assert span.units[-2:] == (gone["Huyện ủy Cam Lâm"], gone["Thành ủy Nha Trang"])  # after today's


def test_lists_longer_than_the_limit_are_counted_not_listed(outbox, tmp_path, cfg):
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    text = (cfg.folder / "report.yaml").read_text(encoding="utf-8")
    (schemas / "report.yaml").write_text(text.replace("list_limit: 2000", "list_limit: 2"), encoding="utf-8")
    assert review(outbox, 2024, 2026, "--schemas", str(schemas), "--report-date", "21/12/2026") == 0
    html = (outbox / "tong-ket-2024-2026" / "bao-cao-tong-ket.html").read_text(encoding="utf-8")
    # 3 maintained and 4 advanced: more than 2, counted; 2 honoured: listed; 7 models: no appendix
    assert "(2024, 2025, 2026). Danh sách nhiều hơn mức liệt kê trong báo cáo (2 mô hình" in html
    assert "lần báo cáo cuối trong giai đoạn). Danh sách nhiều hơn mức liệt kê" in html
    assert "<td>Dân vận khéo ở thôn</td>" not in html and "<td>Khuyến học</td>" in html
    assert "Giai đoạn có 7 mô hình, điển hình, nhiều hơn mức liệt kê trong báo cáo (2," in html


def test_half_year_periods_are_reviewed_apart(tmp_path, capsys):
    box = tmp_path / "outbox"
    for year, places in ((2025, 1), (2026, 4)):
        inbox = tmp_path / f"h{year}"
        workbook(
            inbox / "a.xlsx",
            [_m("Khuyến học", 5, "r", places)],
            year=year,
            period="6 tháng",
            report_date=f"01/06/{year}",
        )
        args = ["--inbox", str(inbox), "--outbox", str(box), "--year", str(year), "--period", "half_year"]
        assert main([*args, "--report-date", f"15/06/{year}", "--jobs", "1"]) == 0
    capsys.readouterr()
    assert review(box, 2025, 2026) == 2  # no annual period
    assert "Có số liệu kỳ 6 tháng các năm 2025, 2026: thêm --period half_year" in capsys.readouterr().err
    assert review(box, 2025, 2026, "--period", "half_year", "--report-date", "20/06/2026") == 0
    html = (box / "tong-ket-2025-2026-6-thang" / "bao-cao-tong-ket.html").read_text(encoding="utf-8")
    assert "có số liệu kỳ 6 tháng của 2 năm (2025, 2026)" in html
    assert "Có 1 mô hình, điển hình được báo cáo ở tất cả các năm có số liệu (2025, 2026)" in html
    assert "năm 2026 so với năm 2025: tăng 3 nơi" in html


def test_a_review_of_sample_data_says_so(tmp_path):
    box = tmp_path / "outbox-mau"
    schemas = ["--schemas", str(ROOT / "presets" / "ke-hoach-235")]
    args = ["--inbox", str(ROOT / "examples" / "inbox"), "--outbox", str(box), "--year", "2026", *schemas]
    assert main([*args, "--report-date", "15/12/2026", "--jobs", "1"]) == 0
    assert review(box, 2026, 2026, *schemas, "--report-date", "20/12/2026") == 0
    folder = box / "tong-ket-2026-2026"
    html = (folder / "bao-cao-tong-ket.html").read_text(encoding="utf-8")
    assert '<div class="sample">BẢN MẪU — dữ liệu minh họa, không phải báo cáo của Ban</div>' in html
    with zipfile.ZipFile(folder / "bao-cao-tong-ket.docx") as book:
        assert "BẢN MẪU — dữ liệu minh họa" in book.read("word/document.xml").decode("utf-8")


def test_a_direction_control_in_a_units_text_cannot_turn_round_what_follows(tmp_path):
    """A name ending in an open right-to-left override (U+202E) would show the model's code
    after it backwards in the appendix ("Tên (mã)"): the review prints the name without it."""
    box = tmp_path / "outbox"
    inbox = tmp_path / "inbox"
    workbook(inbox / "a.xlsx", [_m("Khuyến học\u202e", 5, "r", 3)], year=2026, report_date="01/12/2026")
    _run(inbox, box, 2026)
    with contextlib.closing(sqlite3.connect(box / "so-mo-hinh.sqlite")) as db:
        assert db.execute("SELECT name FROM models").fetchall() == [("Khuyến học\u202e",)]  # kept there
    assert review(box, 2026, 2026, "--report-date", "20/12/2026") == 0
    folder = box / "tong-ket-2026-2026"
    html = (folder / "bao-cao-tong-ket.html").read_text(encoding="utf-8")
    with zipfile.ZipFile(folder / "bao-cao-tong-ket.docx") as docx:
        body = docx.read("word/document.xml").decode("utf-8")
    for text in (html, body):
        assert not any(c in text for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    assert "Khuyến học (cam-lam-" in html


def test_a_year_whose_period_file_is_damaged_is_named_damaged_not_merely_missing(outbox, tmp_path, capsys):
    copy = tmp_path / "outbox"
    shutil.copytree(outbox, copy)
    with (copy / "2025" / "mo-hinh.jsonl").open("a", encoding="utf-8") as damaged:
        damaged.write('["sửa tay"]\n')  # the register leaves the whole period out
    capsys.readouterr()
    assert review(copy, 2023, 2026, "--report-date", "20/12/2026") == 0
    out = capsys.readouterr().out
    assert "  Năm 2023: chưa có dữ liệu trong sổ mô hình (không tính trong báo cáo).\n" in out
    assert (
        "  Năm 2025: chưa có dữ liệu trong sổ mô hình (không tính trong báo cáo): kết quả kỳ này có trong "
        "thư mục kết quả nhưng bị hỏng hoặc đã bị sửa; chạy lại kỳ đó rồi tổng kết lại.\n"
    ) in out
    folder = copy / "tong-ket-2023-2026"
    html = (folder / "bao-cao-tong-ket.html").read_text(encoding="utf-8")
    assert (
        "Năm 2025: chưa có dữ liệu trong sổ mô hình (kết quả kỳ năm 2025 có trong thư mục kết quả nhưng "
        "bị hỏng hoặc đã bị sửa nên không vào sổ; cần chạy lại kỳ này); các số liệu của báo cáo "
        "không gồm năm này."
    ) in html
    assert "Năm 2023: chưa có dữ liệu trong sổ mô hình (chưa tổng hợp kỳ năm 2023);" in html
    with zipfile.ZipFile(folder / "bao-cao-tong-ket.docx") as docx:
        body = re.sub(r"<[^>]+>", "", docx.read("word/document.xml").decode("utf-8"))
    assert "kết quả kỳ năm 2025 có trong thư mục kết quả nhưng bị hỏng hoặc đã bị sửa" in body


def test_no_two_tables_of_the_word_review_touch(outbox, tmp_path):
    """Two tables with nothing between are one table to Word and LibreOffice: the first one's
    header would be repeated over the second's rows on the next page."""
    assert review(outbox, 2024, 2026, "--report-date", "20/12/2026") == 0
    with zipfile.ZipFile(outbox / "tong-ket-2024-2026" / "bao-cao-tong-ket.docx") as docx:
        body = docx.read("word/document.xml").decode("utf-8")
    assert body.count("<w:tbl>") >= 5
    assert "</w:tbl><w:tbl>" not in re.sub(r"\s+", "", body)


def test_every_table_of_the_word_review_fits_between_the_margins(outbox, tmp_path):
    """A column a year, and the lists' eight columns, ran past the right margin (180 and 194 mm
    in 165): on paper the last column met the paper's edge. Each table is shrunk to fit."""
    assert review(outbox, 2022, 2026, "--report-date", "20/12/2026") == 0
    with zipfile.ZipFile(outbox / "tong-ket-2022-2026" / "bao-cao-tong-ket.docx") as docx:
        body = docx.read("word/document.xml").decode("utf-8")
    margins = body.split("<w:pgMar", 1)[1].split("/>", 1)[0]
    side = {k: int(v) for k, v in re.findall(r'w:(left|right)="(\d+)"', margins)}
    room = int(re.search(r'<w:pgSz w:w="(\d+)"', body).group(1)) - side["left"] - side["right"]
    grids = [
        sum(int(w) for w in re.findall(r'<w:gridCol w:w="(\d+)"', grid))
        for grid in re.findall(r"<w:tblGrid>(.*?)</w:tblGrid>", body, re.S)
    ]
    assert len(grids) >= 8 and max(grids) <= room, (grids, room)
    assert room - max(grids) < 20  # shrunk to the margin, not further


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.skipif(not CHROMIUM or not shutil.which("pdftotext"), reason="Chromium or pdftotext")
def test_a_long_unbroken_name_stays_between_the_margins_when_printed(tmp_path):
    """A name holding a long link (no space to break at) widened the table past the right
    margin of the printed page; every word printed stays inside the A4 page's text box."""
    link = "https://khanhhoa.gov.vn/tintuc/danvankheo_thonhonro_xacamhaitay_2026?id=1234567890"
    box, inbox = tmp_path / "outbox", tmp_path / "inbox"
    workbook(inbox / "a.xlsx", [_m(f"Dân vận khéo {link}", 1, "r", 3)], year=2025, report_date="01/12/2025")
    _run(inbox, box, 2025)
    workbook(inbox / "a.xlsx", [_m(f"Dân vận khéo {link}", 1, "r", 4)], year=2026, report_date="01/12/2026")
    _run(inbox, box, 2026)
    assert review(box, 2025, 2026, "--report-date", "20/12/2026") == 0
    pdf = tmp_path / "tong-ket.pdf"
    subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
        + [f"--user-data-dir={tmp_path / 'profile'}", "--no-pdf-header-footer", f"--print-to-pdf={pdf}"]
        + [(box / "tong-ket-2025-2026" / "bao-cao-tong-ket.html").as_uri()],
        check=True,
        capture_output=True,
        timeout=240,
    )
    boxes = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True)
    words = re.findall(
        r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"[^>]*>([^<]*)</word>', boxes.stdout
    )
    assert any("khanhhoa" in w for *_, w in words)
    right = 595.28 - 15 / 25.4 * 72  # A4 less the right margin of 15 mm, in points
    beyond = [(float(x), w) for _, x, w in words if float(x) > right + 1]
    assert not beyond, beyond


def test_an_outbox_that_cannot_be_written_is_said_in_vietnamese(outbox, monkeypatch, capsys):
    """A read-only share (or a full disk) ended in "Lỗi bất ngờ: OSError: [Errno 30] Read-only
    file system: …", in English; the folder of the last review stays as it was."""
    from aggregator.outbox import swap

    folder = outbox / "tong-ket-2024-2026"
    assert review(outbox, 2024, 2026, "--report-date", "20/12/2026") == 0
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}

    def read_only(lock):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(lock.path))

    monkeypatch.setattr(swap._Lock, "__enter__", read_only)
    capsys.readouterr()
    assert review(outbox, 2024, 2026, "--report-date", "21/12/2026") == 1
    err = capsys.readouterr().err
    assert err == (
        f"Không ghi được {outbox / '.dang-chay.lock'}: ổ đĩa, thư mục chỉ cho đọc. Kết quả chỉ được thay "
        "khi đã ghi xong, nên outbox vẫn là kết quả đầy đủ gần nhất.\n"
    )
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before


def test_a_span_reaching_past_the_report_date_or_turned_round_is_refused(outbox, capsys):
    capsys.readouterr()
    assert review(outbox, 2024, 2100, "--report-date", "20/12/2026") == 2
    assert capsys.readouterr().err == (
        "Lỗi cách dùng: năm cuối của giai đoạn (--to 2100) sau năm lập báo cáo (2026, theo --report-date "
        "hoặc hôm nay): chỉ tổng kết được những năm đã qua hoặc đang diễn ra. Không ghi tệp nào.\n"
    )
    assert not (outbox / "tong-ket-2024-2100").exists()
    assert review(outbox, 2024, 2027, "--report-date", "02/01/2027") == 0  # the year under way: fine
    capsys.readouterr()
    assert review(outbox, 2026, 2024) == 2
    assert capsys.readouterr().err == (
        "Lỗi cách dùng: năm cuối (--to 2024) trước năm đầu (--from 2026) của giai đoạn: đổi chỗ hai năm.\n"
    )
