"""Where a unit's list ends (reading/locate.py ``ListEnd``), and a workbook with no model row.

A totals row and the signature block under the list, in any column, are no rows: never judged,
never counted, never put to the unit. A model named after a person is a model; a row half
filled before the signature block is the unit's to complete. A workbook with no model row is
not a report (``no_rows``, an error of the whole file).
"""

import pytest
from builders import HEADERS, model, workbook

from aggregator.intake import sniff
from aggregator.pipeline import FileProcessor
from aggregator.reading.locate import ListEnd

B, E, J, N = 1, 4, 9, 13  # 0-based columns of the standard list: name, performer, content, reward


def at(**cells):
    """One sheet row with text at the given 0-based columns, e.g. at(B="Nơi nhận:")."""
    columns = {"A": 0, "B": B, "C": 2, "D": 3, "E": E, "F": 5, "J": J, "N": N, "Q": 16, "R": 17}
    row = [None] * 18
    for letter, text in cells.items():
        row[columns[letter]] = text
    return row


SIGNATURE = [
    at(N="Vạn Ninh, ngày 06 tháng 12 năm 2026"),
    at(B="Nơi nhận:", N="T/M BAN THƯỜNG VỤ"),
    at(B="- Như trên;", N="K/T BÍ THƯ"),
    at(B="- Lưu VP.", N="PHÓ BÍ THƯ"),
    at(J="(Ký tên, đóng dấu)"),
    at(E="CHỦ TỊCH"),
    at(),
    at(N="Nguyễn Văn Hùng"),
]
PERSON = model(
    "Gương Nguyễn Văn Hùng", 11, "Cá nhân", **{"Tập thể, cá nhân thực hiện": "Ông Nguyễn Văn Hùng"}
)


def process(path, cfg):
    found = sniff.fingerprint(path, path.parent, cfg.limits, board=cfg.board_zone)
    return FileProcessor(cfg, 2026, "annual").process(found)


def signed_list(path):
    """Three models (one named after a person), a blank row in the middle, a totals row and a
    signature block in columns B, E, J and N."""
    return workbook(
        path,
        [model("A"), {"STT": None}, {"STT": None}, model("B", 2), PERSON],
        after=[at(B="Tổng cộng", N=3), *SIGNATURE],
    )


def test_a_totals_row_and_a_signature_block_in_any_column_end_the_list(tmp_path, cfg):
    outcome = process(signed_list(tmp_path / "cam-lam.xlsx"), cfg)
    assert outcome.status == "accepted" and outcome.problems == []
    # the header is on row 3; the models on rows 4, 7 and 8 (5 and 6 blank); totals on 9
    assert (outcome.rows_read, outcome.rows_valid) == (3, 3)
    assert [r["name"] for r in outcome.rows] == ["A", "B", "Gương Nguyễn Văn Hùng"]
    (table,) = outcome.tables
    assert table.count == 3
    assert table.left_out == [9, 10, 11, 12, 13, 14, 15, 17]  # 16 is blank


@pytest.mark.parametrize(
    "tail",
    [
        [at(A="Tổng số", N=4)],
        [at(E="TỔNG CỘNG: 3 mô hình")],
        [at(J="Cộng")],
        [at(N="Ninh Hòa, ngày ... tháng ... năm 2026")],
        [at(B="TM. ĐẢNG ỦY")],
        [at(E="T/M ĐẢNG ỦY")],
        [at(N="Bí thư")],
        [at(N="NGUYỄN THỊ LAN")],
        [at(B="Nơi nhận:"), at(B="- Như trên;"), at(B="- Lưu VP.")],
        [at(Q="Người lập biểu"), at(B="Trần Văn Nam", R="Lê Thị Hoa")],  # Q: the notes column
    ],
)
def test_each_way_a_list_is_closed_is_no_row(tmp_path, cfg, tail):
    outcome = process(workbook(tmp_path / "cam-lam.xlsx", [model("A"), model("B", 2)], after=tail), cfg)
    assert (outcome.rows_read, outcome.problems) == (2, [])


def test_a_model_named_after_a_person_is_a_model_even_last(tmp_path, cfg):
    """Its columns filled, "Gương Nguyễn Văn Hùng" is the last model, whatever its name says;
    the signature under it still ends the list."""
    path = workbook(tmp_path / "cam-lam.xlsx", [model("A"), PERSON], after=SIGNATURE)
    outcome = process(path, cfg)
    assert outcome.rows_valid == 2 and outcome.rows[-1]["name"] == "Gương Nguyễn Văn Hùng"
    assert outcome.problems == []


def test_a_half_filled_row_before_the_signature_stays_the_units_to_complete(tmp_path, cfg):
    """A sparse row that opens no signature ("Gương Nguyễn Văn Hùng" alone: "Gương" is no
    surname) is a model row missing its columns, rejected with its reasons; the block under it
    still ends the list."""
    path = workbook(
        tmp_path / "cam-lam.xlsx",
        [model("A"), {"Tên mô hình, điển hình": "Gương Nguyễn Văn Hùng"}],
        after=SIGNATURE,
    )
    outcome = process(path, cfg)
    assert (outcome.rows_read, outcome.rows_valid) == (2, 1)
    assert {p.row for p in outcome.problems} == {5}
    assert {p.code for p in outcome.problems} == {"required_missing"}


def test_signature_like_rows_between_models_end_nothing(tmp_path, cfg):
    """Only the tail after the last model is a signature block: a sparse row between models is
    a row (here rejected), and the models under it count."""
    path = workbook(
        tmp_path / "cam-lam.xlsx",
        [model("A"), {"Tên mô hình, điển hình": "Nguyễn Văn Hùng"}, model("B", 2)],
    )
    outcome = process(path, cfg)
    assert (outcome.rows_read, outcome.rows_valid) == (3, 2)


def test_a_subtotal_between_models_is_left_out_and_the_list_goes_on(tmp_path, cfg):
    path = workbook(
        tmp_path / "cam-lam.xlsx",
        [model("A"), {"STT": "Cộng", "Số nơi nhân rộng": 2}, model("B", 2)],
    )
    outcome = process(path, cfg)
    assert (outcome.rows_read, outcome.rows_valid, outcome.problems) == (2, 2, [])
    assert outcome.tables[0].left_out == [5]


def test_a_signer_is_a_name_alone():
    end = ListEnd([], [], [], ["Nguyễn", "Trần"])
    assert end.is_signer("Nguyễn Văn Hùng") and end.is_signer("TRẦN THỊ MAI")
    assert not end.is_signer("Gương Nguyễn Văn Hùng")  # "Gương" is no surname
    assert not end.is_signer("Nguyễn")  # one word
    assert not end.is_signer("Nguyễn Văn 2")
    assert not end.is_signer("nguyễn văn hùng")  # not written as a name
    assert not end.is_signer("Nguyễn Văn Hùng Anh Tuấn Minh")  # six words


@pytest.mark.parametrize(
    "rows",
    [
        [],  # the empty standard template sent back
        [{"STT": None}, {"STT": None}],  # every row emptied
        [{}, {}, {}],  # numbers only (the template's STT column)
    ],
)
def test_a_workbook_with_no_model_row_is_not_a_report(tmp_path, cfg, rows):
    outcome = process(workbook(tmp_path / "cam-lam.xlsx", rows, after=[at(B="Tổng cộng"), *SIGNATURE]), cfg)
    assert outcome.status == "rejected" and [p.code for p in outcome.file_errors] == ["no_rows"]
    assert outcome.rows_read == 0 and outcome.unit == "cam-lam"


def test_the_headers_alone_are_the_standard_list(cfg):
    """The tests' list is the standard one: columns B, E, J and N are name, performer, content
    and reward (what the signature block above is written under)."""
    assert [HEADERS[i] for i in (B, E, J, N)] == [
        c.header for c in cfg.columns if c.key in ("name", "performer", "content", "reward_form")
    ]


@pytest.mark.parametrize("label", ["Tổng cộng", "CỘNG", "Tổng số", "Tổng cộng: 12"])
def test_a_totals_row_in_the_name_cell_is_no_row_even_with_figures_filled(tmp_path, cfg, label):
    """A model is never named "Tổng cộng": the row is left out however many cells it fills."""
    figures = {"Tên mô hình, điển hình": label, "Lĩnh vực": 5, "Năm xây dựng": 2026, "Số nơi nhân rộng": 5}
    figures |= {"Nội dung, cách làm": 12, "Đối tượng": "Tập thể"}
    outcome = process(workbook(tmp_path / "cam-lam.xlsx", [model(), figures]), cfg)
    assert (outcome.rows_read, outcome.problems, outcome.tables[0].left_out) == (1, [], [5])


def test_a_totals_label_with_room_for_spaces_and_marks_is_a_totals_row(tmp_path, cfg):
    """Up to twice the longest totals label plus ten characters (9 → 28) a cell can be one; a
    longer cell is a model's name, judged as any other."""
    assert max(len(t) for t in cfg.totals_labels) == 9
    padded = "Tổng cộng:" + " " * 17 + "-"  # 28 characters
    longer = "Tổng cộng:" + " " * 18 + "-"  # 29
    for name, read in ((padded, 1), (longer, 2)):
        rows = [model(), {"Tên mô hình, điển hình": name, "Số nơi nhân rộng": 5}]
        outcome = process(workbook(tmp_path / "cam-lam.xlsx", rows), cfg)
        assert outcome.rows_read == read, name


def test_a_model_whose_name_begins_with_a_totals_word_is_a_model(tmp_path, cfg):
    """ "Cộng đồng 3 thôn…" is a name (the word after "Cộng" is no figure)."""
    outcome = process(workbook(tmp_path / "cam-lam.xlsx", [model("Cộng đồng 3 thôn cùng làm")]), cfg)
    assert (outcome.rows_valid, outcome.problems) == (1, [])
