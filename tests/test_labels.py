"""How figures, dates and names read: one percentage format, Vietnamese alphabetical order."""

from hypothesis import given
from hypothesis import strategies as st

from aggregator.labels import percent_vn, sort_key


def test_one_percentage_format():
    assert percent_vn(81, 100) == "81,0%" and percent_vn(19, 21) == "90,5%"
    assert percent_vn(0, 0) == "0,0%"


def test_names_sort_in_vietnamese_alphabetical_order():
    names = ["Đức", "Bình", "ánh", "Ông", "Anh", "ơn", "Ăn", "Dũng", "Ê", "em", "Uy", "ưu", "an"]
    assert sorted(names, key=sort_key) == [
        "an",
        "Anh",
        "ánh",
        "Ăn",
        "Bình",
        "Dũng",
        "Đức",
        "em",
        "Ê",
        "Ông",
        "ơn",
        "Uy",
        "ưu",
    ]
    assert sorted(["Huyện ủy Vạn Ninh", "huyện ủy Cam Lâm", "Hội Nông dân"], key=sort_key) == [
        "Hội Nông dân",
        "huyện ủy Cam Lâm",
        "Huyện ủy Vạn Ninh",
    ]
    # tones come second: the letters decide first
    assert sorted(["Ánh", "Anh", "Ạnh", "Ảnh", "Ãnh", "Ành"], key=sort_key) == [
        "Anh",
        "Ành",
        "Ảnh",
        "Ãnh",
        "Ánh",
        "Ạnh",
    ]


@given(st.lists(st.text(max_size=12), max_size=8))
def test_the_key_never_fails_and_orders_totally(texts):
    keys = sorted(texts, key=sort_key)
    assert sorted(keys, key=sort_key) == keys
