"""Faults that once slipped past the suite (issue 12): each test here fails if one comes back.

Each was checked by putting the fault into the code by hand and seeing the test fail.
"""

import datetime as dt
import io
import os
import shutil
import zipfile
from pathlib import Path

import openpyxl
from builders import model, workbook
from openpyxl.styles import Font
from test_email import message, save
from test_legacy_workbooks import tcvn3

from aggregator import config
from aggregator.intake import sniff
from aggregator.pipeline import aggregate
from aggregator.reading import legacy
from aggregator.rendering.report import context

ROOT = Path(__file__).resolve().parents[1]


def run(inbox, cfg):
    return aggregate(cfg, inbox, 2026, "annual")


def fates(result):
    return {o.candidate.relative: o.status for o in result.outcomes}


# --- merge: the later report date wins, whatever the files' times ---------------------------


def test_the_later_report_date_wins_even_when_its_file_is_older(tmp_path, cfg):
    later = workbook(tmp_path / "a-sua.xlsx", [model("A"), model("B", 2)], report_date="03/12/2026")
    earlier = workbook(tmp_path / "z-dau.xlsx", [model("A")], report_date="01/12/2026")
    # the correction saved on 03/12; the first file copied again on 04/12: by file time the
    # first would win, by report date the correction does
    os.utime(later, (1796263200, 1796263200))  # 03/12/2026 09:00 +07
    os.utime(earlier, (1796371200, 1796371200))  # 04/12/2026 15:00 +07
    result = run(tmp_path, cfg)
    assert fates(result) == {"a-sua.xlsx": "accepted", "z-dau.xlsx": "superseded"}
    cam_lam = next(u for u in result.statuses if u.code == "cam-lam")
    assert cam_lam.used.candidate.relative == "a-sua.xlsx" and cam_lam.models == 2
    assert cam_lam.received == dt.date(2026, 12, 1)  # the first file in time still counts
    superseded = next(o for o in result.outcomes if o.status == "superseded")
    assert [p.code for p in superseded.problems] == ["file_superseded"]


# --- summarise: which models the report holds up, and in which order ------------------------


def test_outstanding_models_are_honoured_then_rewarded_by_decision_then_most_replicated(tmp_path, cfg):
    reward = {
        "Hình thức khen thưởng": "Bằng khen của UBND tỉnh",
        "Số, ngày quyết định khen thưởng": "123/QĐ-UBND ngày 01/6/2025",
    }
    workbook(
        tmp_path / "cam-lam.xlsx",
        [
            model("Ít nơi", 1, places=1),
            model("Nhiều nơi", 2, places=9),
            model("Khen thưởng, ba nơi", 8, places=3, **reward),
            model("Tôn vinh, một nơi", 4, stage="Biểu dương, tôn vinh", places=1),
            model("Ba nơi", 5, places=3),
            model("Hai nơi", 6, places=2),
        ],
        report_date="01/12/2026",
    )
    workbook(
        tmp_path / "ldld.xlsx",
        [model("Ba nơi, đơn vị sau", 7, places=3)],
        code="ldld",
        name=None,
        report_date="01/12/2026",
    )
    result = run(tmp_path, cfg)
    assert len(result.records) == 7 and cfg.report.outstanding_models == 5
    named = [m["name"] for m in context(result, dt.date(2026, 12, 10))["outstanding"]]
    # report.yaml's criteria: honoured, a reward with its decision, replications, any reward;
    # ties go by unit code (cam-lam before ldld), then by row
    assert cfg.report.outstanding_criteria == ("honoured", "reward_decision", "replications", "rewarded")
    assert named == ["Tôn vinh, một nơi", "Khen thưởng, ba nơi", "Nhiều nơi", "Ba nơi", "Ba nơi, đơn vị sau"]


# --- legacy: text already in Unicode is never "converted" ----------------------------------


def test_unicode_text_in_a_legacy_font_is_left_as_typed():
    for text in ("Giáo dục và đào tạo", "Bệnh viện Khánh Hòa", "Người tốt, việc tốt"):
        for hint in (legacy.TCVN3, legacy.TCVN3_CAPS, legacy.VNI):
            assert legacy.decode(text, hint) == (text, None)


def test_latin1_only_unicode_words_are_not_converted_by_their_neighbours():
    # Every word reads as Vietnamese but one: no decoding may read better than the text.
    assert legacy.decode("Hòa Khá Chí Café") == ("Hòa Khá Chí Café", None)


def test_a_legacy_workbook_keeps_its_unicode_cells(tmp_path, cfg):
    path = workbook(
        tmp_path / "cam-lam.xlsx",
        [
            model(tcvn3("Người tốt, việc tốt ở thôn"), 11, "Cá nhân"),
            model(tcvn3("Dòng họ học tập"), 10),
            model("Giáo dục và đào tạo ở Khánh Hòa", 5, **{"Đánh giá": "Khá"}),
            model("Chí Hòa", 6, **{"Đánh giá": "Khá"}),
        ],
        report_date="01/12/2026",
    )
    book = openpyxl.load_workbook(path)
    for name_cell in ("B4", "B5", "B6"):  # B6: Unicode typed in a cell of the old font
        book["Danh sách"][name_cell].font = Font(name=".VnTime")
    book.save(path)
    result = run(tmp_path, cfg)
    assert result.outcomes[0].status == "accepted"
    assert result.records["name"].tolist() == [
        "Người tốt, việc tốt ở thôn",
        "Dòng họ học tập",
        "Giáo dục và đào tạo ở Khánh Hòa",
        "Chí Hòa",
    ]
    assert result.records["rating"].tolist()[2:] == ["fair", "fair"]


# --- discover: a part compressed too hard is a bomb, whatever the total --------------------


def test_a_workbook_with_an_absurdly_compressed_part_is_refused(tmp_path, cfg):
    honest = workbook(tmp_path / "src.xlsx", [model()])
    buffer = io.BytesIO()
    with zipfile.ZipFile(honest) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            out.writestr(info, source.read(info))
        out.writestr("xl/media/image1.png", b"\0" * 4_000_000)  # about 1000:1
    inbox = tmp_path / "in"
    inbox.mkdir()
    path = inbox / "bom.xlsx"
    path.write_bytes(buffer.getvalue())
    limits = cfg.limits
    assert path.stat().st_size < limits["max_file_bytes"]
    assert limits["max_uncompressed_bytes"] > 4_000_000  # the total alone would pass
    found = sniff.fingerprint(path, inbox, limits)
    assert (found.kind, [p.code for p in found.problems]) == ("other", ["file_bomb"])
    result = run(inbox, cfg)
    assert fates(result) == {"bom.xlsx": "rejected"}
    assert [p.code for p in result.outcomes[0].problems] == ["file_bomb"]


# --- summary: the rows of a file refused as a whole are not counted ------------------------


def test_rows_of_a_refused_file_are_not_in_the_row_counts(tmp_path, cfg):
    workbook(tmp_path / "good.xlsx", [model("A")], report_date="01/12/2026")
    workbook(
        tmp_path / "bad.xlsx",
        [model("B"), model("C", 2), model("D", 3, year="x")],
        report_date="04/12/2026",
        year=2025,
    )
    workbook(tmp_path / "other.xlsx", [model("E"), model("F", 2)], code="ldld", name=None, year=2025)
    result = run(tmp_path, cfg)
    assert fates(result) == {"good.xlsx": "accepted", "bad.xlsx": "rejected", "other.xlsx": "rejected"}
    refused = [o for o in result.outcomes if o.status == "rejected"]
    assert sorted(o.rows_read for o in refused) == [2, 3]  # they were read, and not counted
    assert result.summary["rows"] == {"read": 1, "accepted": 1, "rejected": 0, "superseded": 0}
    assert result.summary["files"]["rejected"] == 2


# --- sender: addresses compared without regard to case -------------------------------------


def test_a_sender_in_other_capitals_is_the_registered_one(tmp_path, cfg):
    data = workbook(tmp_path / "src" / "a.xlsx", [model()], report_date="01/12/2026").read_bytes()
    save(tmp_path / "in" / "hoa.eml", message([("a.xlsx", data)], sender="HuyenUy@CamLam.KhanhHoa.gov.vn"))
    [outcome] = run(tmp_path / "in", cfg).outcomes
    assert (outcome.unit, outcome.status) == ("cam-lam", "accepted")
    assert "sender_unregistered" not in [p.code for p in outcome.problems]


def test_a_registered_address_in_capitals_matches_a_lower_case_sender(tmp_path):
    schemas = tmp_path / "schemas"
    shutil.copytree(config.BUNDLED, schemas)
    units = schemas / "units.yaml"
    text = units.read_text(encoding="utf-8")
    assert text.count("huyenuy@camlam.khanhhoa.gov.vn") == 1
    units.write_text(
        text.replace("huyenuy@camlam.khanhhoa.gov.vn", "Cam.Lam@KhanhHoa.gov.vn"), encoding="utf-8"
    )
    mixed = config.load(schemas)
    data = workbook(tmp_path / "src" / "a.xlsx", [model()], report_date="01/12/2026").read_bytes()
    save(tmp_path / "in" / "a.eml", message([("a.xlsx", data)], sender="cam.lam@khanhhoa.gov.vn"))
    save(tmp_path / "in" / "b.eml", message([("a.xlsx", data)], sender="Cam.Lam@KhanhHoa.gov.vn"))
    save(tmp_path / "in" / "c.eml", message([("a.xlsx", data)], sender="camlam@khanhhoa.gov.vn"))
    result = aggregate(mixed, tmp_path / "in", 2026, "annual")
    warned = {
        o.candidate.email: "sender_unregistered" in [p.code for p in o.problems] for o in result.outcomes
    }
    assert warned == {"a.eml": False, "b.eml": False, "c.eml": True}
