"""Behaviour that mutants of the rules, merge and summary code survived (tools/mutate.py).

Each test names the mutants it kills, as ``module:number`` in ``tools/mutate.py --list``.
"""

import datetime as dt

from builders import model, workbook
from test_email import message, save
from test_validate import check

from aggregator import config
from aggregator.checking.validate import RowValidator
from aggregator.checking.values import ColumnReader, read_date
from aggregator.merging import summarise
from aggregator.model import ListTable
from aggregator.pipeline import aggregate

CFG = config.load(config.BUNDLED)


def run(inbox):
    return aggregate(CFG, inbox, 2026, "annual")


def unit(summary, code):
    return next(u for u in summary["units"] if u["code"] == code)


def test_the_figures_of_a_small_run(tmp_path):
    """summarise: zeros are zeros, new and continuing, units below quota; merge: quota met."""
    workbook(tmp_path / "cam-lam-1.xlsx", [model("A"), model("B", 2)], report_date="01/12/2026")
    workbook(
        tmp_path / "cam-lam-2.xlsx",
        [
            model("A", **{"Đã tuyên truyền trên báo chí": "Có"}),
            model("B", 2, "Cá nhân", **{"Đã tuyên truyền trên báo chí": "Không"}),
            model("C", 2, status="Đăng ký mới", year=2026),
        ],
        report_date="02/12/2026",
    )
    workbook(
        tmp_path / "ldld.xlsx", [model("D", 1, "Cá nhân")], code="ldld", name=None, report_date="02/12/2026"
    )
    (tmp_path / "scan.xlsx").write_bytes(b"%PDF-1.5 not a workbook")
    result = run(tmp_path)
    summary, totals = result.summary, result.summary["totals"]
    assert (totals["models"], totals["new"], totals["continuing"]) == (4, 1, 3)
    assert (totals["publicised"], totals["replications"]) == (1, 8)
    cam_lam, ldld = unit(summary, "cam-lam"), unit(summary, "ldld")
    # exactly the quota is enough; one short is not
    assert (cam_lam["models"], cam_lam["quota"], cam_lam["meets_quota"]) == (3, 3, True)
    assert (ldld["models"], ldld["quota"], ldld["meets_quota"]) == (1, 3, False)
    below = [u["code"] for u in summary["units"] if not u["meets_quota"]]
    assert len(below) == len(CFG.units) - 1 and totals["units_below_quota"] == len(below)
    assert cam_lam["by_field"] == {"1": 1, "2": 2} | {str(c): 0 for c in range(3, 12)}
    for entry in summary["units"]:
        assert sum(entry["by_field"].values()) == entry["models"]
    assert unit(summary, "mttq")["by_field"] == {str(c): 0 for c in range(1, 12)}
    assert [unit(summary, c)["rejected_rows"] for c in ("cam-lam", "ldld", "mttq")] == [0, 0, 0]
    field_2 = next(f for f in summary["fields"] if f["code"] == 2)
    assert field_2["by_subject"] == {"collective": 1, "individual": 1, "household": 0}
    assert totals["by_subject"] == {"collective": 2, "individual": 2, "household": 0}
    counted = {
        o.candidate.relative: (o.status, o.rows_read, o.rows_counted, o.rows_invalid) for o in result.outcomes
    }
    assert counted == {
        "cam-lam-1.xlsx": ("superseded", 2, 0, 0),
        "cam-lam-2.xlsx": ("accepted", 3, 3, 0),
        "ldld.xlsx": ("accepted", 1, 1, 0),
        "scan.xlsx": ("rejected", 0, 0, 0),
    }  # refused unread: no rows at all


def test_a_run_with_nothing_accepted_has_zeros_everywhere(tmp_path):
    """summarise: the unit × field table of an empty run."""
    workbook(tmp_path / "cu.xlsx", [model()], year=2025)
    summary = run(tmp_path).summary
    assert summary["totals"]["models"] == 0
    assert all(u["by_field"] == {str(c): 0 for c in range(1, 12)} for u in summary["units"])
    assert summary["totals"]["by_subject"] == {"collective": 0, "individual": 0, "household": 0}


def test_rows_are_kept_only_for_files_with_something_to_fix(tmp_path):
    """merge.compact: the feedback workbooks need the rows of files with problems."""
    workbook(tmp_path / "cam-lam.xlsx", [model("A"), model("B", year=3000)])
    workbook(tmp_path / "ldld.xlsx", [model("C")], code="ldld", name=None)
    result = run(tmp_path)
    kept = {o.candidate.relative: o.rows is not None for o in result.outcomes}
    assert kept == {"cam-lam.xlsx": True, "ldld.xlsx": False}
    assert [r["accepted"] for r in result.outcomes[0].rows] == [True, False]


def test_two_emails_on_one_day_the_later_sent_wins(tmp_path):
    """merge._recency: the email's time orders files received on the same day."""
    first = workbook(tmp_path / "src" / "1.xlsx", [model("A")]).read_bytes()
    second = workbook(tmp_path / "src" / "2.xlsx", [model("A"), model("B", 2)]).read_bytes()
    inbox = tmp_path / "in"
    save(inbox / "a.eml", message([("sua.xlsx", second)], date="Thu, 03 Dec 2026 15:30:00 +0700"))
    save(inbox / "b.eml", message([("dau.xlsx", first)], date="Thu, 03 Dec 2026 08:00:00 +0700"))
    result = run(inbox)
    fates = {o.candidate.email: o.status for o in result.outcomes}
    assert fates == {"a.eml": "accepted", "b.eml": "superseded"}
    assert unit(result.summary, "cam-lam")["models"] == 2


def test_a_duplicate_on_another_sheet_names_that_sheet(cfg):
    """validate._duplicates: the first row's place, with its sheet only when it differs."""
    columns = {c.key: i for i, c in enumerate(cfg.columns)}
    rows = [
        {
            "name": "Dân vận khéo",
            "field": 1,
            "subject": "Tập thể",
            "performer": "Chi bộ",
            "year_built": 2024,
            "status": "Duy trì, phát huy",
            "stage": "Phát hiện, bồi dưỡng",
            "content": "Cách làm.",
        }
    ]
    one = [r | {"row": n} for n, r in ((7, rows[0]), (8, rows[0]))]
    other = [rows[0] | {"row": 5}]
    found = (
        RowValidator(cfg, 2026)
        .validate(
            [ListTable("Danh sách", 6, columns, one), ListTable("Phụ lục", 4, columns, other)], "f.xlsx"
        )
        .problems
    )
    assert [(p.code, p.cell) for p in found] == [
        ("duplicate_model", "Danh sách!B8"),
        ("duplicate_model", "Phụ lục!B5"),
    ]
    assert "dòng 7 (" in found[0].message and "trang" not in found[0].message
    assert 'dòng 7 trang "Danh sách"' in found[1].message


def test_a_long_wrong_value_is_shown_cut_to_200_characters(cfg):
    """validate._shown."""
    _, _, found = check(cfg, model(field="x" * 300))
    [problem] = found
    assert problem.code == "field_invalid" and problem.value == "x" * 200


def test_dates_in_a_text_column_read_as_people_write_them():
    """text.as_text: a date cell in a text column."""
    decision = ColumnReader(CFG.column("reward_decision"), CFG)
    assert decision.read(dt.datetime(2025, 6, 1, 0, 0)).value == "01/06/2025"
    assert decision.read(dt.date(2025, 6, 2)).value == "02/06/2025"


def test_two_digit_years_are_this_century():
    """values.read_date."""
    assert read_date("03/12/26") == dt.date(2026, 12, 3)
    assert read_date("3.12.99") == dt.date(2099, 12, 3)


def test_a_year_up_to_2100_is_a_year():
    """values._year: the upper bound of a readable year (later than the report: another rule)."""
    year_built = ColumnReader(CFG.column("year_built"), CFG)
    assert (year_built.read(2100).value, year_built.read(2100).code) == (2100, "")
    assert year_built.read(2101).code == "year_invalid"
    assert CFG.earliest_year == 1945
    assert (year_built.read(1945).value, year_built.read(1945).code) == (1945, "")
    assert year_built.read(1944).code == "year_invalid"


def test_a_field_read_by_guess_says_what_it_was_read_as():
    """values.ColumnReader.label: a field's label is its number and name."""
    reading = ColumnReader(CFG.column("field"), CFG).read("Giao duc va dao tao")
    assert (reading.value, reading.code) == (5, "choice_guessed")
    assert reading.params == {"read_as": "5 - Giáo dục và đào tạo"}


def test_a_blank_number_of_places_adds_nothing_to_the_replications(tmp_path):
    """summarise.build: blank places are none."""
    workbook(
        tmp_path / "cam-lam.xlsx",
        [model("A", stage="Phát hiện, bồi dưỡng", places=None), model("B", 2, places=4)],
    )
    totals = run(tmp_path).summary["totals"]
    assert (totals["models"], totals["replications"]) == (2, 4)


def test_a_single_outstanding_model_is_the_first_ranked(tmp_path):
    """summarise.outstanding: any limit gives that many, the best first; 0 gives none."""
    workbook(tmp_path / "cam-lam.xlsx", [model("A", places=1), model("B", 2, places=4)])
    records = run(tmp_path).records
    assert summarise.outstanding(records, 1, honoured="honoured")["name"].tolist() == ["B"]
    assert summarise.outstanding(records, 0, honoured="honoured").empty
    assert summarise.outstanding(records.head(0), 3, honoured="honoured").empty


def test_a_model_without_places_ranks_below_one_with_a_place(tmp_path):
    """summarise.outstanding: a blank number of places is none, not one."""
    workbook(
        tmp_path / "cam-lam.xlsx",
        [model("A", stage="Phát hiện, bồi dưỡng", places=None), model("B", 2, places=1)],
    )
    records = run(tmp_path).records
    assert records["replications"].isna().tolist() == [True, False]
    assert summarise.outstanding(records, 1, honoured="honoured")["name"].tolist() == ["B"]


def test_the_pivot_every_rendering_draws(tmp_path):
    """summarise.pivot: units in registry order, counts per field, totals."""
    workbook(tmp_path / "cam-lam.xlsx", [model("A"), model("B", 2), model("C", 2)])
    table = summarise.pivot(run(tmp_path).summary)
    assert [r["name"] for r in table["rows"]] == [u.name for u in CFG.units]
    cam_lam = next(r for r in table["rows"] if r["name"] == "Huyện ủy Cam Lâm")
    assert cam_lam == {"name": "Huyện ủy Cam Lâm", "counts": [1, 2] + [0] * 9, "total": 3}
    assert table["totals"] == [1, 2] + [0] * 9 and table["total"] == 3


def test_equal_models_of_one_unit_keep_their_row_order(tmp_path):
    """summarise.outstanding: the last tie-break is the row, first row first."""
    workbook(
        tmp_path / "cam-lam.xlsx", [model("A", places=3), model("B", 2, places=3), model("C", 4, places=1)]
    )
    records = run(tmp_path).records
    assert summarise.outstanding(records, 2, honoured="honoured")["name"].tolist() == ["A", "B"]


def test_an_email_and_a_loose_file_on_the_same_day_the_email_is_later(tmp_path):
    """merge._recency: a date without a time is the start of that day; the email has its hour."""
    inbox = tmp_path / "in"
    workbook(inbox / "cam-lam.xlsx", [model("A")], report_date="03/12/2026")
    mailed = workbook(
        tmp_path / "src.xlsx", [model("A"), model("B", 2)], report_date="03/12/2026"
    ).read_bytes()
    save(inbox / "thu.eml", message([("bao-cao.xlsx", mailed)], date="Thu, 03 Dec 2026 09:15:00 +0700"))
    result = run(inbox)
    fates = {(o.candidate.email or o.candidate.relative): o.status for o in result.outcomes}
    assert fates == {"thu.eml": "accepted", "cam-lam.xlsx": "superseded"}
    assert unit(result.summary, "cam-lam")["received"] == "2026-12-03"


def test_entries_left_alone_by_name_are_counted_as_ignored_only(tmp_path):
    """summarise.build: the files by status, the entries never read (a lock file) among them."""
    workbook(tmp_path / "cam-lam.xlsx", [model("A")])
    (tmp_path / "~$cam-lam.xlsx").write_bytes(b"\x00" * 165)  # Excel's lock file beside it
    (tmp_path / "scan.xlsx").write_bytes(b"%PDF-1.5 not a workbook")
    summary = run(tmp_path).summary
    assert summary["files"] == {"accepted": 1, "rejected": 1, "superseded": 0, "ignored": 1}
