"""The bundled sample inbox gives the figures its generator documents."""

from pathlib import Path

from aggregator.pipeline import aggregate

INBOX = Path(__file__).resolve().parents[1] / "examples" / "inbox"


def test_sample_inbox_figures(cfg):
    result = aggregate(cfg, INBOX, 2026, "annual")
    status = {u.code: u.status for u in result.statuses}
    assert sorted(c for c, s in status.items() if s == "missing") == ["hoi-ccb"]
    # khanh-son sent the standard workbook back empty: no report, the unit has not reported
    assert sorted(c for c, s in status.items() if s == "rejected") == ["khanh-son"]
    assert sorted(c for c, s in status.items() if s == "late") == ["dien-khanh", "hoi-phu-nu"]
    assert sum(s == "on_time" for s in status.values()) == 17
    fate = {o.candidate.relative: o for o in result.outcomes}
    assert len(fate) == 25 and [e.relative for e in result.emails] == [
        "Báo cáo mô hình điển hình năm 2026 - Tỉnh đoàn.eml"
    ]
    assert [i.relative for i in result.ignored] == [  # the sample's mark; an Excel lock file, never opened
        "du-lieu-mau.txt",
        "nha-trang/~$Thanh uy Nha Trang - bao cao mo hinh 2026 (sua lai).xlsx",
    ]
    assert result.sample
    letter = fate["Báo cáo mô hình điển hình năm 2026 - Tỉnh đoàn.eml › Công văn gửi kèm.pdf"]
    assert letter.status == "ignored"
    tinh_doan = next(u for u in result.statuses if u.code == "tinh-doan")
    assert str(tinh_doan.received) == "2026-12-04" and tinh_doan.used.received_source == "email"
    assert fate["nha-trang/Thanh uy Nha Trang - bao cao mo hinh 2026.xlsx"].status == "superseded"
    assert fate["nha-trang/Cong van kem theo.pdf"].status == "rejected"
    assert fate["cam-ranh-bao-cao-2025.xlsx"].problems[0].code == "year_mismatch"
    assert fate["DU Khu kinh te Van Phong - mo hinh.xlsx"].problems[0].code == "unit_unknown"
    assert fate["Ninh Hoa - DS mo hinh 2026.xlsx"].unit == "ninh-hoa"
    assert fate["mttq-bao-cao-mo-hinh-2026.xls"].status == "accepted"
    assert fate["khoi-co-quan-bao-cao-mo-hinh-2026.ods"].status == "accepted"
    rejected = sorted(
        p.code for o in result.outcomes if o.status == "accepted" for p in o.problems if p.is_error
    )
    assert rejected == [
        "duplicate_model",
        "field_invalid",
        "required_missing",
        "subject_not_allowed",
        "year_after_report_year",
    ]
    assert result.summary["rows"]["rejected"] == 5
    empty = fate["khanh-son-bao-cao-mo-hinh-2026.xlsx"]
    assert empty.status == "rejected" and [p.code for p in empty.problems] == ["no_rows"]
    # van-ninh signed under its list (a totals row, place and date, "Nơi nhận", "T/M …", a
    # name, in columns B, J, M and N): its 6 rows only, none of the block
    signed = fate["van-ninh-bao-cao-mo-hinh-2026.xlsx"]
    assert (signed.rows_read, signed.rows_valid) == (6, 4)
    assert {p.row for p in signed.problems} == {10, 11}
    assert signed.tables[0].left_out == [12, 14, 15, 16, 17, 19]
