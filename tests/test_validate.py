"""Each rule of DOMAIN.md, asserted by code: an error rejects its row, a warning keeps it."""

import dataclasses

import pytest
from builders import model

from aggregator.checking.validate import RowValidator
from aggregator.model import ListTable
from aggregator.text import column_letter

KEYS = {
    "Tên mô hình, điển hình": "name",
    "Lĩnh vực": "field",
    "Đối tượng": "subject",
    "Tập thể, cá nhân thực hiện": "performer",
    "Năm xây dựng": "year_built",
    "Tình trạng": "status",
    "Giai đoạn": "stage",
    "Nội dung, cách làm": "content",
    "Số nơi nhân rộng": "replications",
    "Hình thức khen thưởng": "reward_form",
    "Số, ngày quyết định khen thưởng": "reward_decision",
    "STT": "seq",
}


def check(cfg, *rows, year=2026):
    """Validate rows given as models; returns (records, problems by row number)."""
    records = []
    for n, row in enumerate(rows, start=7):
        records.append({KEYS[k]: v for k, v in row.items() if k in KEYS} | {"row": n})
    columns = {c.key: i for i, c in enumerate(cfg.columns)}
    table = [{key: record.get(key) for key in columns} | {"row": record["row"]} for record in records]
    tables = [ListTable("Danh sách", 6, columns, table)]
    result = RowValidator(cfg, year).validate(tables, "f.xlsx")
    by_row = {}
    for p in result.problems:
        by_row.setdefault(p.row, []).append(p.code)
    return result.records, by_row, result.problems


def test_a_clean_row_is_accepted_with_no_problem(cfg):
    records, problems, _ = check(cfg, model())
    assert records["accepted"].tolist() == [True] and problems == {}
    assert records.loc[0, "field"] == 1 and records.loc[0, "stage"] == "replicated"


@pytest.mark.parametrize(
    "header",
    [
        "Tên mô hình, điển hình",
        "Lĩnh vực",
        "Đối tượng",
        "Tập thể, cá nhân thực hiện",
        "Năm xây dựng",
        "Tình trạng",
        "Giai đoạn",
        "Nội dung, cách làm",
    ],
)
def test_every_required_column_left_blank_rejects_the_row(cfg, header):
    records, problems, found = check(cfg, model(**{header: "  "}))
    assert not records.loc[0, "accepted"]
    assert problems[7] == ["required_missing"] and found[0].column == header


def test_problem_names_the_cell(cfg):
    _, _, found = check(cfg, model(field=12))
    assert found[0].cell == "Danh sách!C7" and found[0].value == "12"
    assert found[0].code == "field_invalid" and found[0].message


def test_subject_must_be_allowed_for_the_field(cfg):
    records, problems, _ = check(
        cfg,
        model(field=3, subject="Cá nhân"),
        model(field=3, subject="Hộ gia đình"),
        model(field=11, subject="Tập thể"),
        model(field=8, subject="Tập thể"),
    )
    assert problems == {7: ["subject_not_allowed"], 9: ["subject_not_allowed"]}
    assert records["accepted"].tolist() == [False, True, False, True]


def test_year_after_the_report_year_is_an_error(cfg):
    _, problems, _ = check(cfg, model(year=2027))
    assert problems == {7: ["year_after_report_year"]}


def test_new_registration_from_an_earlier_year_is_a_warning(cfg):
    records, problems, _ = check(
        cfg, model(status="Đăng ký mới", year=2023), model("B", status="Đăng ký mới", year=2026)
    )
    assert problems == {7: ["new_not_report_year"]}
    assert records["accepted"].all()


def test_replication_stage_without_places_is_a_warning(cfg):
    records, problems, _ = check(
        cfg, model(places=0), model("B", places=None), model("C", stage="Phát hiện, bồi dưỡng", places=0)
    )
    assert problems == {7: ["replicated_without_places"], 8: ["replicated_without_places"]}
    assert records["accepted"].all()


def test_reward_without_decision_is_a_warning(cfg):
    _, problems, _ = check(
        cfg,
        model(**{"Hình thức khen thưởng": "Bằng khen"}),
        model("B", **{"Hình thức khen thưởng": "Bằng khen", "Số, ngày quyết định khen thưởng": "QĐ 1/2026"}),
    )
    assert problems == {7: ["reward_without_decision"]}


def test_negative_or_text_replications_are_errors(cfg):
    _, problems, _ = check(cfg, model(places=-2), model("B", places="nhiều"))
    assert problems == {7: ["number_invalid"], 8: ["number_invalid"]}


def test_the_same_model_twice_rejects_the_later(cfg):
    records, problems, found = check(
        cfg, model("Dân vận khéo", 1), model("DÂN VẬN  KHÉO", 1), model("Dân vận khéo", 2)
    )
    assert problems == {8: ["duplicate_model"]}
    assert "7" in found[0].message
    assert records["accepted"].tolist() == [True, False, True]


def test_a_duplicate_of_a_rejected_row_is_kept(cfg):
    records, problems, _ = check(cfg, model("A", year=3000), model("A"))
    assert problems == {7: ["year_invalid"]} and records["accepted"].tolist() == [False, True]


def test_rule_severity_comes_from_the_schema(cfg):
    strict = dataclasses.replace(
        cfg, rules={**cfg.rules, "new_not_report_year": "error", "reward_without_decision": "off"}
    )
    records, problems, _ = check(
        strict, model(status="Đăng ký mới", year=2023, **{"Hình thức khen thưởng": "Bằng khen"})
    )
    assert problems == {7: ["new_not_report_year"]} and not records.loc[0, "accepted"]


def test_close_choice_is_kept_with_a_warning_far_choice_rejected(cfg):
    records, problems, found = check(cfg, model(stage="Gioi thieu, nhan rong"), model("B", stage="Đã xong"))
    assert problems == {7: ["choice_guessed"], 8: ["choice_invalid"]}
    assert "Giới thiệu, nhân rộng" in found[0].message
    assert records["accepted"].tolist() == [True, False]


def test_column_letters():
    assert [column_letter(i) for i in (0, 2, 25, 26, 27)] == ["A", "C", "Z", "AA", "AB"]


def test_a_text_as_long_as_a_cell_holds_is_cut_marked_and_said(cfg):
    """A text that fills an Excel cell (32,767 characters) was cut by the workbook: it is cut
    again to make room for the mark, kept, and a warning says so; one character less is whole."""
    content = "Nội dung, cách làm"
    full, shorter = "x" * 32_767, "y" * 32_766
    records, problems, _ = check(cfg, model("A", **{content: full}), model("B", 2, **{content: shorter}))
    assert problems == {7: ["text_truncated"]} and records["accepted"].tolist() == [True, True]
    cut = records.loc[0, "content"]
    assert len(cut) == 32_767 and cut.endswith("…[đã cắt bớt]") and cut.startswith("x" * 32_700)
    assert records.loc[1, "content"] == shorter
