import datetime as dt
import unicodedata

import pytest

from aggregator import config
from aggregator.checking.values import ColumnReader, read_date

CFG = config.load(config.BUNDLED)


def reader(key):
    return ColumnReader(CFG.column(key), CFG)


@pytest.mark.parametrize(
    "raw",
    [
        5,
        5.0,
        "5",
        " 5 ",
        "5 - Giáo dục và đào tạo",
        "5. Giáo dục",
        "Giáo dục và đào tạo",
        "GIÁO DỤC VÀ ĐÀO TẠO",
        "giáo dục",
        unicodedata.normalize("NFD", "Giáo dục và đào tạo"),
        "Lĩnh vực 5",
    ],
)
def test_field_is_read_however_it_is_typed(raw):
    assert reader("field").read(raw).value == 5
    assert reader("field").read(raw).code == ""


@pytest.mark.parametrize("raw", [0, 12, "12", "Thể thao", 5.5])
def test_a_field_outside_the_list_is_an_error(raw):
    assert reader("field").read(raw).code == "field_invalid"


def test_old_tone_placement_and_missing_comma_read_as_the_field():
    assert reader("field").read("Y tế, chăm sóc sức khoẻ nhân dân").value == 6
    assert reader("status").read("Duy trì phát huy").value == "continuing"


def test_choices_with_stray_spaces_and_case_are_exact():
    assert reader("stage").read("  giới thiệu,  NHÂN RỘNG ").value == "replicated"
    assert reader("subject").read("tập thể").value == "collective"


def test_close_but_wrong_choice_is_accepted_with_a_warning():
    reading = reader("stage").read("Biểu dương, tôn vin")
    assert reading.value == "honoured" and reading.code == "choice_guessed"
    unmarked = reader("subject").read("Ca nhan")
    assert unmarked.value == "individual" and unmarked.code == "choice_guessed"


def test_far_off_choice_lists_the_allowed_values():
    reading = reader("stage").read("Đang làm")
    assert reading.code == "choice_invalid" and "Biểu dương, tôn vinh" in reading.params["allowed"]


@pytest.mark.parametrize(
    "raw,year", [(2024, 2024), (2024.0, 2024), ("2024", 2024), (dt.date(2023, 5, 1), 2023)]
)
def test_years_as_numbers_text_or_dates(raw, year):
    assert reader("year_built").read(raw).value == year


@pytest.mark.parametrize("raw", ["năm ngoái", 24, 3000, 2024.5])
def test_not_a_year(raw):
    assert reader("year_built").read(raw).code == "year_invalid"


@pytest.mark.parametrize("raw,ok", [(3, 3), ("3", 3), (0.0, 0), (-1, None), ("ba", None), (2.5, None)])
def test_replications_are_whole_and_not_negative(raw, ok):
    reading = reader("replications").read(raw)
    assert (reading.value == ok) if ok is not None else reading.code == "number_invalid"


@pytest.mark.parametrize(
    "raw",
    [
        dt.date(2026, 12, 3),
        dt.datetime(2026, 12, 3, 9, 0),
        "03/12/2026",
        "3/12/2026",
        "03-12-2026",
        "2026-12-03",
        46359,
        46359.0,
    ],
)
def test_dates_as_cells_text_or_serials(raw):
    assert read_date(raw) == dt.date(2026, 12, 3)


def test_impossible_dates_are_none():
    assert read_date("31/02/2026") is None and read_date("sáng nay") is None


def test_excel_serial_numbers_are_dates_strictly_between_20000_and_80000():
    assert read_date(20_001) == dt.date(1954, 10, 4) and read_date(79_999) == dt.date(2119, 1, 10)
    assert read_date(20_000) is None and read_date(80_000) is None


def test_a_number_that_is_no_date_serial_is_no_date():
    """A year or a day typed alone in "Ngày báo cáo" reads as nothing, not as a failure."""
    assert [read_date(raw) for raw in (2026, 5, 12.5, None)] == [None, None, None, None]


def test_only_a_two_digit_year_is_completed_to_this_century():
    assert read_date("03/12/99") == dt.date(2099, 12, 3)
    assert read_date("03/12/100") == dt.date(100, 12, 3)  # three digits: taken as typed


def test_free_text_is_kept_as_typed_in_nfc_and_trimmed():
    performer = reader("performer")
    decomposed = " Chi bo\u0323\u0302 tho\u0302n\u00a01 "  # decomposed marks, a no-break space
    assert performer.read(decomposed).value == "Chi bộ thôn 1"


def test_replications_up_to_the_limit_are_read_and_beyond_it_refused():
    limit = CFG.limits["max_replications"]
    replications = reader("replications")
    assert (replications.read(limit).value, replications.read(limit).code) == (limit, "")
    assert replications.read(limit + 1).code == "number_too_large"


def test_a_field_typed_with_decomposed_marks_is_read_by_its_number():
    assert reader("field").read("Li\u0303nh vu\u031b\u0323c 5").value == 5  # "Lĩnh vực 5", marks decomposed
