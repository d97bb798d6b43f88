"""Behaviour that mutants of the unit-finding, mail and cross-period code survived
(tools/mutate.py, default set): each test names the mutants it kills, as ``module:number`` in
``tools/mutate.py --list`` on main at c5894c6 (numbers move when a module changes)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from builders import model, workbook

from aggregator import config
from aggregator.checking.names import Match, UnitMatcher
from aggregator.intake.sniff import fingerprint
from aggregator.pipeline import FileProcessor

BUNDLED = config.load(config.BUNDLED)


def process(cfg, path, year=2026):
    return FileProcessor(cfg, year, "annual").process(fingerprint(path, path.parent, cfg.limits))


@pytest.mark.parametrize(
    ("written", "unit"),
    [("Tinh doan", "tinh-doan"), ("Hoi Nong dan tinh", "hoi-nong-dan"), ("Huyen uy Cam Lam", "cam-lam")],
)
def test_a_whole_name_without_diacritics_is_found_and_flagged(written, unit):
    """A whole name typed without marks: flagged as such (names:44 survives it all the same:
    the index of places without marks finds these names too; see tools/README.md)."""
    found = UnitMatcher(BUNDLED).match(written)
    assert (found.units, found.how) == ((unit,), "unmarked")


def test_a_year_typed_as_a_date_is_shown_as_the_date_a_person_sees(tmp_path):
    """identify:90: the invalid year's value as the cell shows it, not Python's text."""
    path = workbook(tmp_path / "cam-lam.xlsx", [model()], year=dt.datetime(2026, 1, 1))
    outcome = process(BUNDLED, path)
    assert [(p.code, p.column, p.value) for p in outcome.problems] == [
        ("info_invalid", "Năm báo cáo", "01/01/2026")
    ]
    assert outcome.status == "accepted"  # the run's year taken, said once


def test_a_title_row_one_letter_off_a_unit_names_no_unit(tmp_path):
    """identify:63: a title row is matched by exact names and places only, never by a close
    spelling (a heading is not a typed unit name): with nothing else to go by, no unit."""
    path = workbook(
        tmp_path / "bao-cao.xlsx", [model()], info_sheet=False, title_rows=["HUYỆN ỦY CAM LÂMM", "Báo cáo"]
    )
    outcome = process(BUNDLED, path)
    assert (outcome.status, outcome.unit) == ("rejected", None)
    assert [p.code for p in outcome.problems if p.is_error] == ["unit_missing"]
    right = workbook(
        tmp_path / "bao-cao.xlsx", [model()], info_sheet=False, title_rows=["HUYỆN ỦY CAM LÂM", "Báo cáo"]
    )
    assert (process(BUNDLED, right).status, process(BUNDLED, right).unit) == ("accepted", "cam-lam")


@pytest.mark.parametrize("emptied", ["ignore", "abbreviations"])
def test_a_registry_with_no_words_to_ignore_or_shorten_still_finds_names(tmp_path, emptied):
    """names:9: a registry may list no words to ignore (or no abbreviations): names are found
    all the same, with nothing dropped or shortened."""
    import shutil

    import yaml

    shutil.copytree(config.BUNDLED, tmp_path / "schemas")
    units_file = tmp_path / "schemas" / "units.yaml"
    units = yaml.safe_load(units_file.read_text(encoding="utf-8"))
    units["matching"][emptied] = [] if emptied == "ignore" else {}
    units_file.write_text(yaml.safe_dump(units, allow_unicode=True), encoding="utf-8")
    matcher = UnitMatcher(config.load(tmp_path / "schemas"))
    found = matcher.match("Huyện ủy Cam Lâm")
    assert (found.units, found.how) == (("cam-lam",), "name")


def test_an_email_refused_whole_is_its_own_entry_not_an_attachment(tmp_path):
    """mail:21: an email refused unopened (over the size limit) is listed as itself: no
    email, attachment or sender of an attachment; its record says why."""
    from test_email import message, save
    from test_hostile import fate, good_bytes, limited_schemas, run

    box = tmp_path / "inbox"
    workbook(box / "cam-lam.xlsx", [model("A")])
    save(box / "to.eml", message([("bc.xlsx", good_bytes(tmp_path) * 4)]))
    code, manifest, _ = run(box, tmp_path, schemas=limited_schemas(tmp_path, max_email_bytes=20_000))
    assert code == 0
    entry = fate(manifest, "to.eml")
    assert [entry[k] for k in ("email", "attachment", "sender", "email_date", "status")] == [
        None,
        None,
        None,
        None,
        "rejected",
    ]
    assert [p["code"] for p in entry["problems"]] == ["email_too_large"]
    [record] = manifest["emails"]
    assert (record["path"], record["attachments"]) == ("to.eml", [])
    assert record["error"] == entry["problems"][0]["message"]


def test_a_broken_zip_in_the_inbox_is_one_unreadable_file_not_an_archive(tmp_path):
    """mail:45: a file that begins like a zip and is not one is not taken for an archive of
    attachments (no record among the emails and archives): it is one unreadable file."""
    from test_hostile import fate, run

    box = tmp_path / "inbox"
    workbook(box / "cam-lam.xlsx", [model("A")])
    (box / "hong.zip").write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    code, manifest, summary = run(box, tmp_path)
    assert code == 0 and manifest["emails"] == []
    entry = fate(manifest, "hong.zip")
    assert (entry["type"], [p["code"] for p in entry["problems"]]) == ("other", ["file_unreadable"])


def test_a_member_of_an_unknown_compression_is_refused_by_its_method_before_reading(tmp_path):
    """mail:172: a zip member packed by a method the tool cannot unpack (99: AES) is refused
    from its header, saying the method, never handed to the inflater."""
    import struct

    from test_email import message, save
    from test_hostile import fate, good_bytes, run, zipped

    odd = bytearray(zipped([("la.xlsx", good_bytes(tmp_path))]))
    for signature, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        struct.pack_into("<H", odd, odd.find(signature) + offset, 99)
    box = tmp_path / "inbox"
    workbook(box / "cam-lam.xlsx", [model("A")])
    save(box / "thu.eml", message([("a.zip", bytes(odd))]))
    code, manifest, _ = run(box, tmp_path)
    assert code == 0
    [problem] = fate(manifest, "thu.eml › a.zip › la.xlsx")["problems"]
    assert problem["code"] == "member_unsupported" and "phương thức nén số 99" in problem["message"]


def test_a_period_record_holds_any_64_bit_integer_and_nothing_past_it(tmp_path, caplog):
    """register:45-50: a count at either end of the 64-bit range is a record's (SQLite holds
    it); one past either end leaves the period file out."""
    import hashlib
    import json
    import sqlite3

    from aggregator.cli import main
    from aggregator.merging import register

    outbox = tmp_path / "outbox"
    workbook(
        tmp_path / "in" / "cam-lam.xlsx", [model("A"), model("B", 5)], year=2025, report_date="01/12/2025"
    )
    args = ["--inbox", str(tmp_path / "in"), "--outbox", str(outbox), "--year", "2025", "--jobs", "1"]
    assert main([*args, "--report-date", "15/12/2025"]) == 0
    source = outbox / "2025" / register.PERIOD_FILE
    lines = source.read_text(encoding="utf-8").splitlines()
    at = json.loads(lines[0])["columns"].index("replications")
    rows = [json.loads(line) for line in lines[1:-1]]  # the last line: the count and the hash

    def written(low: int, high: int) -> list[int]:
        rows[0][at], rows[1][at] = low, high
        register.write_period_file(source, 2025, "annual", rows)
        sums = source.parent / "SHA256SUMS"  # the folder's sums, as its run would have them
        digest = hashlib.sha256(source.read_bytes()).hexdigest()
        sums.write_text(
            "".join(
                f"{digest}  {source.name}\n" if line.endswith(f"  {source.name}") else line + "\n"
                for line in sums.read_text(encoding="utf-8").splitlines()
            ),
            encoding="utf-8",
        )
        assert main(["register", "rebuild", "--outbox", str(outbox)]) == 0
        with sqlite3.connect(outbox / register.DB_NAME) as db:
            return sorted(n for (n,) in db.execute("SELECT replications FROM models WHERE year = 2025"))

    assert written(-(1 << 63), (1 << 63) - 1) == [-(1 << 63), (1 << 63) - 1]
    assert written(-(1 << 63) - 1, 0) == []
    assert "cột replications: cần một số nguyên, gặp -9223372036854775809" in caplog.text
    assert written(0, 1 << 63) == []


def test_an_email_past_its_unpacking_budget_says_the_limit_in_megabytes(tmp_path):
    """mail:123: the limit of what one email may unpack is said as a person reads it."""
    from test_email import message, save
    from test_hostile import good_bytes, limited_schemas, run, zipped

    from aggregator.intake import discover

    box = tmp_path / "inbox"
    workbook(box / "cam-lam.xlsx", [model("A")])
    good = good_bytes(tmp_path)
    save(box / "nhieu.eml", message([(f"bc{n}.zip", zipped([(f"bc{n}.xlsx", good)])) for n in range(5)]))
    code, manifest, _ = run(box, tmp_path, schemas=limited_schemas(tmp_path, max_unpacked_bytes=30_000))
    assert code == 0
    said = {
        p["message"]
        for f in manifest["files"]
        for p in f["problems"]
        if p["code"] == "email_unpacked_too_large"
    }
    assert said == {
        "Các tệp đính kèm của thư giải nén ra quá lớn (vượt "
        f"{discover.megabytes(30_000)}); các phần còn lại không được mở. Đề nghị đơn vị gửi riêng từng tệp."
    }


# --- pins2: the survivors of runs 1 and 2 listed in tools/README.md, one test each ---

PRESET_2025 = Path(__file__).resolve().parents[1] / "presets" / "khanh-hoa-2025"


def bundled_with(tmp_path, extra):
    """The bundled registry with more units."""
    import shutil

    import yaml

    shutil.copytree(config.BUNDLED, tmp_path / "schemas")
    units_file = tmp_path / "schemas" / "units.yaml"
    units = yaml.safe_load(units_file.read_text(encoding="utf-8"))
    units["units"] += extra
    units_file.write_text(yaml.safe_dump(units, allow_unicode=True), encoding="utf-8")
    return config.load(tmp_path / "schemas")


def test_a_whole_name_without_marks_picks_its_unit_where_the_place_fits_two(tmp_path):
    """names.py, UnitMatcher._index: the index of whole names without marks keyed by the
    marked name (``strip_marks(key)`` -> ``key``). "Huyện Cam Lâm" and "Huyện ủy Cam Lâm"
    share a place that both fit; only the whole name typed without marks tells them apart."""
    cfg = bundled_with(tmp_path, [{"code": "huyen-cam-lam", "name": "Huyện Cam Lâm", "group": "cap-huyen"}])
    found = UnitMatcher(cfg).match("Huyen Cam Lam")
    assert (found.units, found.how) == (("huyen-cam-lam",), "unmarked")


def test_a_one_word_place_names_the_units_whose_place_holds_that_word():
    """names.py, UnitMatcher._index: the runs of words inside a place start at two words
    (``range(i + 1, …)`` -> ``range(i + 2, …)``). "Xã Hòa" fits no unit; Ninh Hòa, whose
    place holds the word, came close."""
    assert UnitMatcher(BUNDLED).match("Xã Hòa") == Match(near=("ninh-hoa",))


def test_a_name_with_two_commas_is_read_from_its_first_part():
    """names.py, UnitMatcher._match: ``text.split(",", 1)`` -> ``split(",", 2)`` (a name with
    two commas would raise). The unit, then where it is: the first part names the unit."""
    found = UnitMatcher(BUNDLED).match("Huyện ủy Cam Lâm, Bến Gỗ, Suối Tre")
    assert (found.units, found.how) == (("cam-lam",), "name")


def test_three_commas_are_followed_before_a_name_is_taken_from_its_first_part():
    """names.py, UnitMatcher._match: the comma depth starts at 1, not 0 (one comma level fewer
    followed). Three commas are followed: the second and third parts name two other units,
    which cancel each other out, so the first part's unit stands."""
    found = UnitMatcher(BUNDLED).match("Huyện ủy Cam Lâm, Huyện ủy Khánh Sơn, Huyện ủy Khánh Vĩnh, Bến Gỗ")
    assert (found.units, found.how, found.near) == (("cam-lam",), "name", ())


def test_a_place_typed_without_marks_under_the_wrong_level_names_the_unit_that_came_close():
    """names.py, UnitMatcher._fitting (run 2): the units that only came close taken from the
    fitting ones (``e not in fits`` -> ``e in fits``). "Xa Ba Ngoi": the place is Ba Ngòi's,
    the level (xã) is not its level (phường), so it is not found but named as near."""
    cfg = config.load(PRESET_2025)
    found = UnitMatcher(cfg).match("Xa Ba Ngoi")
    assert found.units == ()
    assert found.near == tuple(u.code for u in cfg.units if u.name == "Đảng ủy phường Ba Ngòi")
    assert found.near


def test_an_unreadable_email_says_the_first_120_characters_of_what_failed(tmp_path):
    """mail (now intake/unpack.py), unpack_email: an unreadable email's detail cut at 121
    characters, not 120. The message shows the first 120; the technical text keeps it all."""
    from aggregator.intake.unpack import unpack_email

    failed = OSError(5, "Input/output error", "/hop-thu/" + "a" * 150 + ".eml")
    record, found = unpack_email(failed, "hop-thu/thu.eml", tmp_path, BUNDLED.limits, None)
    said = f"OSError: [Errno 5] Input/output error: '/hop-thu/{'a' * 150}.eml'"
    [problem] = found[0].problems
    assert (problem.code, problem.technical) == ("email_unreadable", said)
    assert problem.message == record.error == f"Không đọc được thư ({said[:120]})."


def test_the_index_of_earlier_names_gives_only_names_within_two_letters_of_length():
    """continuity (now merging/continuity_names.py), Names.candidates: the lengths looked up
    end at ``n + 3`` (exclusive), not ``n + 4``. A name three letters longer is never a
    candidate, though it holds the same pieces: each one would cost a comparison of the file's
    budget. Names of every length within two that share a piece are given, in order."""
    from aggregator.merging.continuity_names import Names
    from aggregator.model import Entry

    key = "abcdefghi"
    names = ["abcdefg", "abcdefgh", key + "x", key + "xy", key + "xyz", key + "xyzw", "zzzzzzzzz"]
    entries = [
        Entry(2025, "annual", f"u-{i}", "u", 1, n, n, None, None, None, None) for i, n in enumerate(names)
    ]
    given = [e.name_key for e in Names(entries).candidates(1, key)]
    assert given == ["abcdefg", "abcdefgh", "abcdefghix", "abcdefghixy"]


def test_a_register_that_cannot_be_written_is_a_folder_only_when_it_is_one(tmp_path):
    """register (now merging/register_store.py), _unwritable: ``is_dir() and not is_symlink()``
    -> ``or``. Here the register is not there at all, and what blocks its writing is a folder
    on its temporary file's name: the notice gives that error, not "the register is a folder"."""
    import os

    from aggregator.merging.register_store import DB_NAME, refresh

    outbox = tmp_path / "outbox"
    blocking = outbox / f".{DB_NAME}.dang-ghi-{os.getpid()}"
    blocking.mkdir(parents=True)
    stand_in, [notice] = refresh(outbox)
    assert stand_in != outbox / DB_NAME and not (outbox / DB_NAME).exists()
    assert "tên của sổ đang là một thư mục" not in notice
    said = f"IsADirectoryError: [Errno 21] Is a directory: '{blocking}'"
    assert f"Không ghi được sổ theo dõi mô hình {outbox / DB_NAME} ({said[:160]})." in notice
