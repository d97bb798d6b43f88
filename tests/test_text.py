import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from aggregator.text import loose_key, match_key, nfc, safe_filename, strip_marks


def test_old_and_new_tone_placement_share_a_key():
    assert match_key("Thị uỷ Ninh Hoà") == match_key("Thị ủy Ninh Hòa")
    assert match_key("khoẻ") == match_key("khỏe")


def test_tone_stays_on_vowel_before_final_consonant_and_after_qu():
    assert match_key("hoàng") == "hoàng"
    assert match_key("Quý") == "quý"
    assert match_key("thuyền") == "thuyền"


def test_nfd_and_nfc_share_a_key():
    nfd = unicodedata.normalize("NFD", "Giáo dục và đào tạo")
    assert match_key(nfd) == match_key("GIÁO DỤC VÀ ĐÀO TẠO")


def test_eth_lookalike_is_read_as_d_with_stroke():
    assert nfc("\u00d0ảng ủy") == "Đảng ủy"


def test_loose_key_drops_punctuation_and_line_breaks():
    assert loose_key("Duy trì,\nphát  huy") == loose_key("duy trì phát huy")
    assert loose_key("Tên mô hình, điển hình (*)") == "tên mô hình điển hình"


def test_strip_marks_is_the_last_resort():
    assert strip_marks(match_key("Huyện ủy Cam Lâm")) == "huyen uy cam lam"


def test_safe_filename_never_escapes():
    assert safe_filename("../../etc/passwd") == "etc-passwd"
    assert safe_filename("Huyện ủy Cam Lâm") == "huyen-uy-cam-lam"
    assert safe_filename("") == "khong-ten"


@given(st.text())
def test_keys_are_idempotent(text):
    assert match_key(match_key(text)) == match_key(text)
    assert "/" not in safe_filename(text) and ".." not in safe_filename(text)
