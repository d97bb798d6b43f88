"""The Board's report in Word and HTML: Party format, the figures of summary.json, real clients."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import docx
import pytest
from builders import SOFFICE, convert
from hypothesis import given
from hypothesis import strategies as st

from aggregator import config as config_module
from aggregator import labels
from aggregator.cli import main
from aggregator.rendering import report

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "inbox"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PDFTOTEXT = shutil.which("pdftotext")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    assert (
        main(["--inbox", str(SAMPLE), "--outbox", str(out), "--year", "2026", "--report-date", "15/12/2026"])
        == 0
    )
    folder = out / "2026"
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    return folder, summary


def docx_text(path):
    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    return "\n".join(parts)


def html_text(path):
    html = path.read_text(encoding="utf-8")
    html = re.sub(r"<svg.*?</svg>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def expected_lines(summary):
    t = summary["totals"]
    return [
        "TỈNH ỦY KHÁNH HÒA",
        "BAN TUYÊN GIÁO VÀ DÂN VẬN",
        "Số …-BC/BTGDVTU",
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        "Khánh Hòa, ngày 15 tháng 12 năm 2026",
        "BÁO CÁO",
        "K/T TRƯỞNG BAN",
        "PHÓ TRƯỞNG BAN",
        "Nơi nhận:",
        "Lưu Văn phòng Ban",
        f"Có {t['units_expected']} đơn vị phải báo cáo",
        f"{t['units_on_time']} đơn vị gửi đúng hạn",
        f"đã xây dựng và nhân rộng {t['models']} mô hình",
        f"trong đó {t['by_subject']['collective']} tập thể, {t['by_subject']['individual']} cá nhân, "
        f"{t['by_subject']['household']} hộ gia đình",
        f"Đăng ký mới {t['new']} mô hình",
        f"duy trì, phát huy {t['continuing']}",
        f"nhân rộng tại {t['replications']} nơi",
        f"{t['rewarded_this_period']} mô hình, điển hình được khen thưởng",
        f"{t['publicised_this_period']} mô hình, điển hình được tuyên truyền trên báo chí",
        "Huyện ủy Diên Khánh (ngày 08/12/2026)",
        "Huyện ủy Khánh Sơn",
    ]


def normal(text):
    return re.sub(r"\s+", " ", text)


def test_word_and_html_say_the_same_figures_as_summary(run):
    folder, summary = run
    word = normal(docx_text(folder / "bao-cao-tong-hop.docx"))
    page = html_text(folder / "bao-cao-tong-hop.html")
    for line in expected_lines(summary):
        assert line in word, line
        assert line in page, line
    for field in summary["fields"]:
        counts = r"\s+".join(str(n) for n in [field["models"], *field["by_subject"].values()])
        assert re.search(re.escape(field["name"]) + r"\s+" + counts, word), field
        assert re.search(re.escape(field["name"]) + r"\s+" + counts, page), field
    assert "{{" not in word and "{%" not in word


def test_word_report_is_a4_with_the_chart_and_the_appendices(run):
    folder, summary = run
    document = docx.Document(str(folder / "bao-cao-tong-hop.docx"))
    section = document.sections[0]
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    assert round(section.left_margin.mm) == 30
    assert len(document.inline_shapes) == 2  # the two charts
    text = docx_text(folder / "bao-cao-tong-hop.docx")
    for title in ("Phụ lục 1", "Phụ lục 2", "Phụ lục 3", "Phụ lục 4"):
        assert title in text
    assert summary["units"][0]["name"] in text and "Sáng kiến tiết kiệm điện" in text


def test_word_appendix_1_has_a_column_per_field_and_its_widths(run):
    folder, summary = run
    document = docx.Document(str(folder / "bao-cao-tong-hop.docx"))
    table = next(
        t
        for t in document.tables
        if t.rows[0].cells[0].text == "Đơn vị" and t.rows[0].cells[-1].text == "Tổng"
    )
    fields = [str(f["code"]) for f in summary["fields"]]
    assert [c.text for c in table.rows[0].cells] == ["Đơn vị", *fields, "Tổng"]
    for unit, row in zip(summary["units"], table.rows[1:], strict=False):
        cells = [c.text for c in row.cells]
        assert cells[0] == unit["name"] and cells[-1] == str(unit["models"])
        assert [int(n) for n in cells[1:-1]] == [unit["by_field"][f] for f in fields]
    assert [c.text for c in table.rows[-1].cells][-1] == str(summary["totals"]["models"])
    widths = [round(column.width.mm) for column in table.columns]  # the grid, as LibreOffice reads
    assert widths[0] > 3 * widths[1] and len(set(widths[1:-1])) == 1
    grids = [t for t in document.tables if t.style.name == "Table Grid"]  # not the layout ones
    assert len(grids) >= 4
    for data in grids:  # every data table prints its header again on every page
        assert data.rows[0]._tr.xpath("./w:trPr/w:tblHeader"), data.rows[0].cells[0].text


@pytest.mark.skipif(not (SOFFICE and PDFTOTEXT), reason="LibreOffice and poppler (installed by .ci/run)")
def test_word_report_opens_in_libreoffice(run, tmp_path):
    folder, summary = run
    pdf = convert(folder / "bao-cao-tong-hop.docx", "pdf", tmp_path, tmp_path / "u")
    text = normal(
        subprocess.run([PDFTOTEXT, str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    )
    for line in (
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        "BAN TUYÊN GIÁO VÀ DÂN VẬN",
        f"đã xây dựng và nhân rộng {summary['totals']['models']} mô hình",
    ):
        assert line in text, line
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert "(A4)" in info and int(re.search(r"Pages:\s+(\d+)", info).group(1)) > 3


@pytest.mark.skipif(not (CHROMIUM and PDFTOTEXT), reason="Chromium and poppler (installed by .ci/run)")
def test_html_report_prints_to_a_multi_page_a4_pdf(run, tmp_path):
    folder, summary = run
    pdf = tmp_path / "report.pdf"
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            (folder / "bao-cao-tong-hop.html").as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )
    text = normal(
        subprocess.run([PDFTOTEXT, str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    )
    for line in expected_lines(summary)[:12]:
        assert line in text, line
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert "(A4)" in info
    assert int(re.search(r"Pages:\s+(\d+)", info).group(1)) > 3


def test_a_sentence_changed_in_the_templates_shows_in_both_reports(tmp_path):
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    html = templates / "report.html.j2"
    html.write_text(
        html.read_text(encoding="utf-8").replace("tổng hợp\nkết quả", "xin báo cáo kết quả"), encoding="utf-8"
    )
    document = docx.Document(str(templates / "report.docx"))
    for paragraph in document.paragraphs:
        for run_ in paragraph.runs:
            run_.text = run_.text.replace("tổng hợp kết quả", "xin báo cáo kết quả")
    document.save(str(templates / "report.docx"))
    assert (
        main(
            [
                "--inbox",
                str(SAMPLE),
                "--outbox",
                str(tmp_path / "out"),
                "--year",
                "2026",
                "--templates",
                str(templates),
            ]
        )
        == 0
    )
    folder = tmp_path / "out" / "2026"
    assert "xin báo cáo kết quả năm 2026" in html_text(folder / "bao-cao-tong-hop.html")
    assert "xin báo cáo kết quả năm 2026" in docx_text(folder / "bao-cao-tong-hop.docx")


def test_a_sentence_with_figures_is_reworded_once_for_both_reports(tmp_path):
    """The sentences that carry figures live in templates/report-sentences.j2, shared by the
    HTML and the Word report: staff reword them there, the numbers stay filled in."""
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    sentences = templates / "report-sentences.j2"
    text = sentences.read_text(encoding="utf-8")
    assert "Các đơn vị đã xây dựng và nhân rộng {{ totals.models | number }}" in text
    sentences.write_text(
        text.replace("Các đơn vị đã xây dựng và nhân rộng", "Toàn tỉnh có"),
        encoding="utf-8",
    )
    args = ["--inbox", str(SAMPLE), "--outbox", str(tmp_path / "out"), "--year", "2026"]
    assert main([*args, "--templates", str(templates)]) == 0
    folder = tmp_path / "out" / "2026"
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    models = labels.number_vn(summary["totals"]["models"])
    for said in (html_text(folder / "bao-cao-tong-hop.html"), docx_text(folder / "bao-cao-tong-hop.docx")):
        assert f"Toàn tỉnh có {models} mô hình, điển hình; trong đó" in said
        assert "Các đơn vị đã xây dựng và nhân rộng" not in said


def test_half_year_report_is_titled_as_such(tmp_path):
    from builders import model, workbook

    inbox = tmp_path / "inbox"
    workbook(inbox / "a.xlsx", [model()], period="6 tháng", report_date="02/06/2026")
    assert (
        main(
            [
                "--inbox",
                str(inbox),
                "--outbox",
                str(tmp_path / "out"),
                "--year",
                "2026",
                "--period",
                "half_year",
            ]
        )
        == 0
    )
    folder = tmp_path / "out" / "2026-6-thang"
    for text in (html_text(folder / "bao-cao-tong-hop.html"), docx_text(folder / "bao-cao-tong-hop.docx")):
        assert "Sơ kết 6 tháng đầu năm 2026" in text and "kết quả 6 tháng đầu năm 2026" in text


def test_unit_text_in_word_is_escaped(tmp_path):
    from builders import model, workbook

    inbox = tmp_path / "inbox"
    workbook(
        inbox / "a.xlsx",
        [
            model(
                "<w:p>&amp; {{ 7*7 }}",
                stage="Biểu dương, tôn vinh",
                **{"Hình thức khen thưởng": "Bằng khen", "Số, ngày quyết định khen thưởng": "QĐ 1"},
            )
        ],
    )
    assert main(["--inbox", str(inbox), "--outbox", str(tmp_path / "out"), "--year", "2026"]) == 0
    text = docx_text(tmp_path / "out" / "2026" / "bao-cao-tong-hop.docx")
    # printed literally: neither XML nor a template expression (hashes elsewhere may hold "49")
    assert "<w:p>&amp; {{ 7*7 }}" in text


def test_voices_are_grouped_and_last_year_is_compared(tmp_path):
    from builders import model, workbook

    out = tmp_path / "out"
    inbox = tmp_path / "inbox"
    workbook(inbox / "a.xlsx", [model("A"), model("B", 5)], report_date="02/12/2025", year=2025)
    assert main(["--inbox", str(inbox), "--outbox", str(out), "--year", "2025"]) == 0
    workbook(
        inbox / "a.xlsx",
        [model("A"), model("B", 5), model("C", 5)],
        assessment={"Khó khăn, vướng mắc": "Thiếu kinh phí."},
    )
    workbook(
        inbox / "b.xlsx",
        [model("D", 2)],
        code="ldld",
        name=None,
        assessment={"Khó khăn, vướng mắc": "Ít người tham gia."},
    )
    assert main(["--inbox", str(inbox), "--outbox", str(out), "--year", "2026"]) == 0
    for text in (
        html_text(out / "2026" / "bao-cao-tong-hop.html"),
        normal(docx_text(out / "2026" / "bao-cao-tong-hop.docx")),
    ):
        assert "So với năm 2025 (2 mô hình, điển hình), tổng số tăng 2" in text
        assert "tổng số tăng 2 (lĩnh vực 2: +1; lĩnh vực 5: +1)." in text  # field 3 unchanged: unsaid
        first = text.index("Các huyện ủy, thị ủy, thành ủy")
        second = text.index("Mặt trận Tổ quốc và các tổ chức chính trị - xã hội tỉnh")
        assert first < text.index("- Thiếu kinh phí. (Huyện ủy Cam Lâm)") < second
        assert second < text.index("- Ít người tham gia. (Liên đoàn Lao động tỉnh)")


def test_the_same_statement_is_given_once_with_the_units_that_made_it(tmp_path):
    from builders import model, workbook

    inbox, out = tmp_path / "inbox", tmp_path / "out"
    said = {
        "cam-lam": "Kinh phí hỗ trợ còn hạn chế.\n- Ít báo chí đưa tin.",
        "van-ninh": "kinh phí hỗ trợ còn hạn chế",  # the same, in other case
        "cong-an": "Kinh phí hỗ trợ còn hạn chê.",  # a letter off
        "ldld": "Đoàn viên ít tham gia.",
    }  # its own
    for code, text in said.items():
        workbook(
            inbox / f"{code}.xlsx",
            [model("A")],
            code=code,
            name=None,
            assessment={"Khó khăn, vướng mắc": text},
        )
    assert main(["--inbox", str(inbox), "--outbox", str(out), "--year", "2026"]) == 0
    for text in (
        html_text(out / "2026" / "bao-cao-tong-hop.html"),
        normal(docx_text(out / "2026" / "bao-cao-tong-hop.docx")),
    ):
        section = text[text.index("III. KHÓ KHĂN") : text.index("IV. ĐỀ XUẤT")]
        assert section.count("hỗ trợ còn hạn") == 1
        assert (
            "- Kinh phí hỗ trợ còn hạn chế. (Huyện ủy Vạn Ninh, Huyện ủy Cam Lâm, Đảng ủy Công an tỉnh)"
        ) in section
        assert "- Ít báo chí đưa tin. (Huyện ủy Cam Lâm)" in section
        assert "- Đoàn viên ít tham gia. (Liên đoàn Lao động tỉnh)" in section
        assert "Huyện ủy Cam Lâm:" not in section


def test_beyond_the_limits_reports_point_to_the_master_workbook_and_chart_the_top_units(tmp_path):
    from builders import model, workbook

    schemas = tmp_path / "schemas"
    shutil.copytree(config_module.BUNDLED, schemas)
    path = schemas / "report.yaml"
    path.write_text(
        path.read_text(encoding="utf-8")
        .replace("list_limit: 2000", "list_limit: 1")
        .replace("chart_units_limit: 40", "chart_units_limit: 2"),
        encoding="utf-8",
    )
    workbook(tmp_path / "inbox" / "a.xlsx", [model("Mô hình A"), model("Mô hình B", 5)])
    workbook(tmp_path / "inbox" / "b.xlsx", [model("Mô hình C")], code="ldld", name=None)
    assert (
        main(
            [
                "--inbox",
                str(tmp_path / "inbox"),
                "--outbox",
                str(tmp_path / "out"),
                "--year",
                "2026",
                "--schemas",
                str(schemas),
            ]
        )
        == 0
    )
    folder = tmp_path / "out" / "2026"
    text = normal(docx_text(folder / "bao-cao-tong-hop.docx"))
    assert "Danh sách 3 mô hình, điển hình ở tệp tổng hợp tong-hop.xlsx" in text
    appendix = text[text.index("Phụ lục 2") : text.index("Phụ lục 3")]
    assert "Mô hình A" not in appendix  # no list; every unit still in the summary tables
    caption = (
        "Biểu đồ 2. Số mô hình, điển hình theo đơn vị (2 đơn vị có mô hình, điển hình; 19 đơn vị chưa có)"
    )
    assert caption in text
    html = normal((folder / "bao-cao-tong-hop.html").read_text(encoding="utf-8"))
    assert "Danh sách 3 mô hình, điển hình ở tệp tổng hợp tong-hop.xlsx" in html
    appendix = html[html.index("Phụ lục 2") : html.index("Phụ lục 3")]
    assert "Mô hình A" not in appendix and "Huyện ủy Khánh Sơn" in html
    assert caption in html
    chart = html[html.index('aria-label="Số mô hình, điển hình theo đơn vị') :]
    chart = chart[: chart.index("</svg>")]
    assert chart.count("<rect") == 2 and "Huyện ủy Cam Lâm" in chart and "Khánh Sơn" not in chart


def test_no_staff_note_working_note_or_junk_file_in_either_report(run):
    folder, _ = run
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    # a lock file is left alone by its name: in the manifest's ignored list only; an email's
    # cover letter is one of its attachments, listed with its fate like every entry
    assert any("~$" in f["path"] for f in manifest["ignored"])
    assert not any("~$" in f["path"] for f in manifest["files"])
    assert any("Công văn gửi kèm" in f["path"] and f["status"] == "ignored" for f in manifest["files"])
    for text in (html_text(folder / "bao-cao-tong-hop.html"), docx_text(folder / "bao-cao-tong-hop.docx")):
        assert "~$" not in text
        assert "schemas/" not in text and "units.yaml" not in text and "chạy lại" not in text
        assert "Chọn 5 mô hình" not in text and "Đảng ủy Khu kinh tế Vân Phong" in text


SECTIONS = [
    "I. TÌNH HÌNH THỰC HIỆN",
    "II. KẾT QUẢ XÂY DỰNG",
    "1. Kết quả chung",
    "2. Theo lĩnh vực",
    "3. Việc thực hiện chỉ tiêu",
    "4. Một số mô hình",
    "III. KHÓ KHĂN",
    "IV. ĐỀ XUẤT",
    "Nơi nhận:",
    "Phụ lục 1",
    "Phụ lục 2",
    "Phụ lục 3",
    "Phụ lục 4",
]


def sections(text):
    """The report's text cut at its headings, in order: {heading: words}."""
    found, at = {}, 0
    starts = []
    for heading in SECTIONS:
        at = text.index(heading, at)
        starts.append(at)
    for heading, start, end in zip(SECTIONS, starts, [*starts[1:], len(text)], strict=True):
        found[heading] = normal(text[start:end]).strip()
    return found


def html_report_text(path):
    """The HTML's text as printed: no on-screen help, no styles, charts' own labels left out."""
    import html as entities

    page = path.read_text(encoding="utf-8")
    page = re.sub(r'<div class="screen-only">.*?</div>', " ", page, flags=re.S)
    page = re.sub(r"<(svg|title|style)\b.*?</\1>", " ", page, flags=re.S)
    return entities.unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.mark.skipif(not SOFFICE, reason="LibreOffice (installed by .ci/run)")
def test_html_and_word_are_one_report_section_by_section(run, tmp_path):
    folder, summary = run
    text = convert(folder / "bao-cao-tong-hop.docx", "txt:Text (encoded):UTF8", tmp_path, tmp_path / "lo")
    word = sections(text.read_text(encoding="utf-8-sig"))
    html = sections(html_report_text(folder / "bao-cao-tong-hop.html"))
    for heading in SECTIONS:
        assert word[heading] == html[heading], heading
    assert "Dòng bị loại" in word["Phụ lục 3"] and "Ngày nhận" in word["Phụ lục 4"]
    assert "1. Ban cán sự đảng UBND tỉnh (5)" in word["Phụ lục 2"]
    for heading in SECTIONS[-4:]:
        assert (
            "(Kèm theo Báo cáo số …-BC/BTGDVTU ngày 15/12/2026 của Ban Tuyên giáo và Dân vận "
            "Tỉnh ủy)" in word[heading]
        )


@pytest.mark.skipif(not (CHROMIUM and PDFTOTEXT), reason="Chromium and poppler (installed by .ci/run)")
def test_html_prints_as_a_document_at_chromes_default_settings(run, tmp_path):
    folder, _ = run
    pdf = tmp_path / "report.pdf"
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--print-to-pdf={pdf}",
            (folder / "bao-cao-tong-hop.html").as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )  # no --no-pdf-header-footer
    pages = subprocess.run(
        [PDFTOTEXT, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout.split("\f")
    text = "\n".join(pages)
    assert "file:" not in text and "BÁO CÁO –" not in text  # Chrome's footer and header
    assert not re.search(r"\d{1,2}/\d{1,2}/\d{2},\s+\d{1,2}:\d{2}", text)  # its date and time
    assert not re.search(r"^\s*\d+/\d+\s*$", text, flags=re.M)  # its "page x/y"
    assert "Ctrl+P" not in text  # the on-screen help is not printed
    for page in pages:
        lines = [line.strip() for line in page.splitlines() if line.strip()]
        body = [line for line in lines if not line.isdigit()]
        if body:  # a unit's heading is never the last thing on a page
            assert not re.fullmatch(r"\d+\. .+ \(\d+\)", body[-1]), body[-1]
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    flat = re.sub(r"\s+", " ", text)
    for entry in (f for f in manifest["files"] if f["status"] != "ignored"):
        assert entry["sha256"][:16] in flat  # a hash wraps in lines of 16, not 8


def test_word_keeps_headings_with_their_tables_and_hashes_narrow(run):
    folder, _ = run
    document = docx.Document(str(folder / "bao-cao-tong-hop.docx"))
    heading = next(p for p in document.paragraphs if p.text == "1. Ban cán sự đảng UBND tỉnh (5)")
    assert heading.paragraph_format.keep_with_next
    files = next(t for t in document.tables if t.rows[0].cells[-1].text == "SHA-256")
    assert files.rows[1].cells[-1].paragraphs[0].style.font.name == "Courier New"
    recipients = next(
        p for t in document.tables for c in t._cells for p in c.paragraphs if p.text == "Nơi nhận:"
    )
    assert recipients.runs[0].underline and recipients.runs[0].font.size.pt == 14
    assert not recipients.runs[0].bold and not recipients.runs[0].italic


def test_the_word_signature_block_is_never_split_across_pages(run):
    import zipfile

    folder, _ = run
    with zipfile.ZipFile(folder / "bao-cao-tong-hop.docx") as docx:
        xml = docx.read("word/document.xml").decode("utf-8")
    signature_row = xml[xml.rindex("<w:tr", 0, xml.index("Nơi nhận:")) : xml.index("Nơi nhận:")]
    assert "<w:cantSplit/>" in signature_row


@given(st.lists(st.text(max_size=5)), st.integers(1, 8))
def test_the_html_report_is_written_in_batches_of_the_pieces_as_they_come(pieces, size):
    """``write_html`` writes Jinja's pieces gathered a batch at a time: all of them, in order."""
    batches = list(report._batched(iter(pieces), size))
    assert "".join(batches) == "".join(pieces)
    assert all(len(b) < size + 5 for b in batches)  # (never the whole gathered at once)
