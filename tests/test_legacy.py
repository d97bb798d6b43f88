"""TCVN3 and VNI text decoded; Unicode text never touched."""

import shutil
import subprocess
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aggregator.reading import legacy

LOWER = [
    b
    for b in range(0xA8, 0x100)
    if b
    not in (
        0xAF,
        0xB0,
        0xB1,
        0xB2,
        0xB3,
        0xB4,
        0xBA,
        0xBF,
        0xC0,
        0xC1,
        0xC2,
        0xC3,
        0xC4,
        0xC5,
        0xCD,
        0xD9,
        0xDA,
        0xDB,
        0xE0,
        0xF0,
        0xFF,
    )
]


@pytest.mark.skipif(shutil.which("iconv") is None, reason="glibc iconv is the oracle")
def test_tcvn3_matches_glibc_iconv_over_the_lower_case_range():
    raw = bytes(LOWER)
    oracle = subprocess.run(
        ["iconv", "-f", "TCVN5712-1", "-t", "UTF-8"], input=raw, capture_output=True, check=True
    ).stdout.decode("utf-8")
    assert legacy.decode_tcvn3(raw.decode("latin-1")) == unicodedata.normalize("NFC", oracle)


@pytest.mark.parametrize(
    "typed,meant",
    [
        ("Ng\u00adêi tèt, viÖc tèt", "Người tốt, việc tốt"),
        ("Gi¸o dôc vµ ®µo t¹o", "Giáo dục và đào tạo"),
        ("Duy tr×, ph¸t huy", "Duy trì, phát huy"),
    ],
)
def test_tcvn3_cells_are_detected_by_content(typed, meant):
    assert legacy.decode(typed) == (meant, legacy.TCVN3)


def test_capitals_only_font_is_upper_cased():
    assert legacy.decode("huyÖn ñy cam l©m", legacy.TCVN3_CAPS)[0] == "HUYỆN ỦY CAM LÂM"


@pytest.mark.parametrize(
    "typed,meant",
    [
        ("Tænh uûy Khaùnh Hoøa", "Tỉnh ủy Khánh Hòa"),
        ("Ñaûng uûy Coâng an tænh", "Đảng ủy Công an tỉnh"),
        ("Ngöôøi toát, vieäc toát", "Người tốt, việc tốt"),
        ("Phaùt hieän, boài döôõng", "Phát hiện, bồi dưỡng"),
        ("Thanh nieân khôûi nghieäp", "Thanh niên khởi nghiệp"),
    ],
)
def test_vni_cells_are_detected_by_content(typed, meant):
    assert legacy.decode(typed) == (meant, legacy.VNI)


@pytest.mark.parametrize(
    "text",
    [
        "Có",
        "Khá",
        "Tốt",
        "Giáo dục và đào tạo",
        "Hòa",
        "ó",
        "Tô",
        "Bệnh viện",
        "Café",
        "m² đất",
        "Ông Tư",
        "Hà Nội",
    ],
)
def test_unicode_text_is_never_converted(text):
    assert legacy.decode(text) == (text, None)


def test_font_names():
    assert legacy.font_encoding(".VnTime") == legacy.TCVN3
    assert legacy.font_encoding(".VnTimeH") == legacy.TCVN3_CAPS
    assert legacy.font_encoding(".VnArial NarrowH") == legacy.TCVN3_CAPS
    assert legacy.font_encoding("VNI-Times") == legacy.VNI
    assert legacy.font_encoding("Times New Roman") is None and legacy.font_encoding(None) is None


def test_font_hint_decodes_cells_without_markers():
    assert legacy.decode("Cã", legacy.TCVN3) == ("Có", legacy.TCVN3)
    assert legacy.decode("Cã", None) == ("Cã", None)


@given(
    st.text(
        alphabet=st.characters(min_codepoint=0x1EA0, max_codepoint=0x1EF9)
        | st.sampled_from(list("abcdeghiklmnopqrstuvxyđăơư áàóòé "))
    )
)
def test_any_unicode_vietnamese_is_left_alone(text):
    if legacy.is_unicode_vietnamese(text) or text.isascii():
        assert legacy.decode(text)[1] is None
