"""Whole workbooks typed with legacy fonts read as if they were Unicode."""

import unicodedata

import openpyxl
from builders import model, workbook
from openpyxl.styles import Font

from aggregator.pipeline import aggregate
from aggregator.reading import legacy, legacy_tables

_TO_TCVN3 = {v: k for k, v in legacy_tables.TCVN3_LETTERS.items() if len(k) == 1 and ord(k) >= 0xA0}
_TO_VNI = {}
for base in "aAeEoOuUyYiI":
    for mark in legacy_tables.VNI_MARKS:
        _TO_VNI.setdefault(legacy.decode_vni(base + mark), base + mark)
for single, letter in legacy_tables.VNI_LETTERS.items():
    _TO_VNI.setdefault(letter, single)
for horn in "ơƠưƯ":
    for mark in "øùûõïØÙÛÕÏ":
        _TO_VNI.setdefault(legacy.decode_vni(_TO_VNI[horn] + mark), _TO_VNI[horn] + mark)


def tcvn3(text):
    return "".join(_TO_TCVN3.get(ch, ch) for ch in unicodedata.normalize("NFC", text))


def vni(text):
    return "".join(_TO_VNI.get(ch, ch) for ch in unicodedata.normalize("NFC", text))


def retype(path, encode, font=None):
    """Every text cell re-typed in a legacy encoding (and font), as an old machine would."""
    book = openpyxl.load_workbook(path)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.value = encode(cell.value)
                    if font:
                        cell.font = Font(name=font)
    book.save(path)


def test_a_tcvn3_workbook_with_vntime_fonts(tmp_path, cfg):
    path = workbook(
        tmp_path / "cam-lam.xlsx",
        [
            model("Người tốt, việc tốt ở thôn", 11, "Cá nhân", stage="Biểu dương, tôn vinh"),
            model(
                "Hộ nuôi tôm",
                "Kinh tế hộ gia đình, giảm nghèo bền vững",
                "Hộ gia đình",
                status="Duy trì, phát huy",
                **{"Đánh giá": "Khá"},
            ),
        ],
        code=None,
        name="Huyện ủy Cam Lâm",
        period="Năm",
    )
    retype(path, tcvn3, ".VnTime")
    book = openpyxl.load_workbook(path)
    name_cell = book["Thông tin"]["B2"]  # shown as capitals by the .VnTimeH font
    name_cell.value, name_cell.font = tcvn3("huyện ủy cam lâm"), Font(name=".VnTimeH")
    book.save(path)
    result = aggregate(cfg, tmp_path, 2026, "annual")
    outcome = result.outcomes[0]
    assert outcome.unit == "cam-lam" and outcome.status == "accepted"
    assert result.records["name"].tolist() == ["Người tốt, việc tốt ở thôn", "Hộ nuôi tôm"]
    assert result.records["field"].tolist() == [11, 3]
    assert result.records["rating"].tolist()[1] == "fair"
    assert "legacy_font" in [p.code for p in outcome.problems]
    assert "TCVN3 (.VnTimeH)" in next(p.message for p in outcome.problems if p.code == "legacy_font")


def test_a_vni_workbook_read_by_content_alone(tmp_path, cfg):
    path = workbook(
        tmp_path / "vni.xlsx",
        [
            model(
                "Phụ nữ giúp nhau phát triển kinh tế",
                2,
                "Tập thể",
                **{"Tập thể, cá nhân thực hiện": "Chi hội Phụ nữ thôn Đông"},
            ),
        ],
        code=None,
        name="Hội Liên hiệp Phụ nữ tỉnh",
    )
    retype(path, vni)
    result = aggregate(cfg, tmp_path, 2026, "annual")
    assert result.outcomes[0].unit == "hoi-phu-nu"
    assert result.records["performer"].tolist() == ["Chi hội Phụ nữ thôn Đông"]
    assert result.records["name"].tolist() == ["Phụ nữ giúp nhau phát triển kinh tế"]


def test_a_single_legacy_cell_in_a_unicode_workbook(tmp_path, cfg):
    workbook(
        tmp_path / "mixed.xlsx",
        [model(tcvn3("Dòng họ học tập"), 10, "Tập thể"), model("Câu lạc bộ dưỡng sinh", 10, "Tập thể")],
    )
    result = aggregate(cfg, tmp_path, 2026, "annual")
    assert result.records["name"].tolist() == ["Dòng họ học tập", "Câu lạc bộ dưỡng sinh"]
