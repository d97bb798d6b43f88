"""Which unit a workbook is from, and whether it is this year's and this period's."""

import pytest
from builders import model, workbook

from aggregator.checking.identify import UnitMatcher, identify
from aggregator.reading.load import load_sheets
from aggregator.reading.locate import locate


def who(tmp_path, cfg, filename="a.xlsx", year=2026, period="annual", **kwargs):
    path = workbook(tmp_path / filename, [model()], **kwargs)
    book = locate(load_sheets(path, path.name, cfg.limits), cfg, path.name)
    return identify(book, UnitMatcher(cfg), path.name, path.stem, year, period)


def codes(identity):
    return [p.code for p in identity.problems]


def test_by_code(tmp_path, cfg):
    found = who(tmp_path, cfg, code="CAM-LAM ", name=None)
    assert (found.unit, found.how, codes(found)) == ("cam-lam", "code", [])


@pytest.mark.parametrize(
    "written,unit",
    [
        ("HU Cam Lâm", "cam-lam"),
        ("Huyện uỷ Cam Lâm", "cam-lam"),
        ("Thành ủy NT", "nha-trang"),
        ("Thị uỷ Ninh Hoà", "ninh-hoa"),
        ("Hội Nông dân tỉnh Khánh Hòa", "hoi-nong-dan"),
        ("Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh", "mttq"),
        ("LĐLĐ tỉnh", "ldld"),
        ("ĐẢNG ỦY CÔNG AN TỈNH", "cong-an"),
        ("Hội LHPN tỉnh", "hoi-phu-nu"),
    ],
)
def test_by_name_alias_and_abbreviation(tmp_path, cfg, written, unit):
    found = who(tmp_path, cfg, code=None, name=written)
    assert (found.unit, found.how, codes(found)) == (unit, "name", [])


def test_name_without_diacritics_is_accepted_with_a_warning(tmp_path, cfg):
    found = who(tmp_path, cfg, code=None, name="Huyen uy Cam Lam")
    assert found.unit == "cam-lam" and codes(found) == ["unit_by_loose_name"]


def test_code_contradicting_the_name_rejects(tmp_path, cfg):
    found = who(tmp_path, cfg, code="cam-lam", name="Thành ủy Nha Trang")
    assert found.unit is None and codes(found) == ["unit_conflict"]


def test_unknown_unit(tmp_path, cfg):
    found = who(tmp_path, cfg, code=None, name="Đảng ủy Khu kinh tế Vân Phong")
    assert found.unit is None and codes(found) == ["unit_unknown"]
    assert "Vân Phong" in found.problems[0].message


def test_file_name_is_the_last_resort(tmp_path, cfg):
    found = who(tmp_path, cfg, filename="BC mo hinh - HU_Dien_Khanh.xlsx", code=None, info_sheet=False)
    assert found.unit == "dien-khanh" and codes(found)[0] == "unit_by_filename"


def test_nothing_to_go_by(tmp_path, cfg):
    found = who(tmp_path, cfg, filename="bao cao.xlsx", code=None, info_sheet=False)
    assert found.unit is None and "unit_missing" in codes(found)


def test_last_years_file_is_rejected(tmp_path, cfg):
    found = who(tmp_path, cfg, filename="b.xlsx", year=2027)  # workbook says 2026
    assert codes(found) == ["year_mismatch"] and "2026" in found.problems[0].message


def test_year_and_period_as_written(tmp_path, cfg):
    assert codes(who(tmp_path, cfg, period="half_year")) == ["period_mismatch"]
    path = workbook(tmp_path / "c.xlsx", [model()], period="6 tháng")
    book = locate(load_sheets(path, path.name, cfg.limits), cfg, path.name)
    found = identify(book, UnitMatcher(cfg), path.name, path.stem, 2026, "half_year")
    assert found.period == "half_year" and codes(found) == []


def test_blank_year_and_period_are_assumed_with_warnings(tmp_path, cfg):
    path = workbook(tmp_path / "a.xlsx", [model()], year=None, period=None)
    book = locate(load_sheets(path, path.name, cfg.limits), cfg, path.name)
    found = identify(book, UnitMatcher(cfg), path.name, path.stem, 2026, "annual")
    assert sorted(codes(found)) == ["period_assumed", "year_assumed"]
    assert (found.year, found.period) == (2026, "annual")


def test_report_date_as_text_or_date(tmp_path, cfg):
    import datetime as dt

    assert who(tmp_path, cfg).report_date == dt.date(2026, 12, 3)
    found = who(tmp_path, cfg, filename="d.xlsx", report_date=dt.datetime(2026, 12, 4))
    assert found.report_date == dt.date(2026, 12, 4)


def test_a_name_typed_where_the_code_belongs(tmp_path, cfg):
    found = who(tmp_path, cfg, code="Huyện ủy Cam Lâm", name=None)
    assert (found.unit, found.how) == ("cam-lam", "name")


def test_period_and_year_from_the_template_title_line(tmp_path, cfg):
    path = workbook(
        tmp_path / "a.xlsx",
        [model()],
        info_sheet=False,
        title_rows=["Kỳ báo cáo: Năm 2026", "Đơn vị: Huyện ủy Cam Lâm"],
    )
    book_read = locate(load_sheets(path, path.name, cfg.limits), cfg, path.name)
    found = identify(book_read, UnitMatcher(cfg), path.name, path.stem, 2026, "annual")
    assert (found.unit, found.year, found.period, codes(found)) == ("cam-lam", 2026, "annual", [])
