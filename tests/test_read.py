"""The header finder and the raw table: wherever the unit put things, they read right."""

from builders import HEADERS, frame, model, records, workbook

from aggregator.reading.load import load_sheets
from aggregator.reading.locate import locate


def read(path, cfg):
    return locate(load_sheets(path, path.name, cfg.limits), cfg, path.name)


def test_standard_layout(tmp_path, cfg):
    book = read(workbook(tmp_path / "a.xlsx", [model(), model("Khác", 5)]), cfg)
    assert book.tables[0].sheet == "Danh sách" and book.tables[0].header_row == 3
    assert list(frame(book.tables[0])["row"]) == [4, 5]
    assert frame(book.tables[0])["name"].tolist() == ["Mô hình dân vận khéo", "Khác"]
    assert book.info["unit_code"] == "cam-lam" and not book.problems


def test_title_rows_added_or_removed(tmp_path, cfg):
    none = read(workbook(tmp_path / "a.xlsx", [model()], title_rows=0), cfg)
    many = read(workbook(tmp_path / "b.xlsx", [model()], title_rows=9), cfg)
    assert none.tables[0].header_row == 1 and list(frame(none.tables[0])["row"]) == [2]
    assert many.tables[0].header_row == 10 and list(frame(many.tables[0])["row"]) == [11]


def test_columns_moved_extra_and_spelled_loosely(tmp_path, cfg):
    headers = [
        "Ghi chú riêng của đơn vị",
        "Giai đoạn",
        "TÊN MÔ HÌNH,\nĐIỂN HÌNH (*)",
        "Lĩnh  vực",
        "Đối tượng",
        "Tập thể, cá nhân thực hiện",
        "Năm xây dựng",
        "Tình trạng",
        "Nội dung, cách làm",
    ]
    row = model(
        **{"Ghi chú riêng của đơn vị": "x", "TÊN MÔ HÌNH,\nĐIỂN HÌNH (*)": "Mô hình A", "Lĩnh  vực": 3}
    )
    book = read(workbook(tmp_path / "a.xlsx", [row], headers=headers), cfg)
    table = book.tables[0]
    assert (table.columns["name"], table.columns["stage"], table.columns["field"]) == (2, 1, 3)
    assert frame(table).loc[0, "name"] == "Mô hình A" and frame(table).loc[0, "field"] == 3
    assert not book.problems


def test_blank_rows_numbering_row_and_prenumbered_stt_are_not_rows(tmp_path, cfg):
    path = workbook(tmp_path / "a.xlsx", [model(), {}, model("B")], after=[[99], [None, None]])
    import openpyxl

    book = openpyxl.load_workbook(path)
    sheet = book["Danh sách"]
    sheet.insert_rows(4)
    for j in range(1, len(HEADERS) + 1):
        sheet.cell(4, j, f"({j})")
    book.save(path)
    read_back = read(path, cfg)
    assert frame(read_back.tables[0])["name"].tolist() == ["Mô hình dân vận khéo", "B"]
    assert list(frame(read_back.tables[0])["row"]) == [5, 7]


def test_header_split_over_two_lines(tmp_path, cfg):
    upper = HEADERS[:13] + ["Khen thưởng", None] + HEADERS[15:]
    lower = [None] * 13 + ["Hình thức khen thưởng", "Số, ngày quyết định khen thưởng"] + [None] * 2
    path = workbook(tmp_path / "a.xlsx", [], headers=upper)
    import openpyxl

    book = openpyxl.load_workbook(path)
    sheet = book["Danh sách"]
    sheet.append(lower)
    sheet.append(
        [
            1,
            "Mô hình",
            1,
            "Tập thể",
            "Ai",
            None,
            2024,
            "Duy trì",
            "Phát hiện",
            "Làm",
            None,
            None,
            0,
            "Giấy khen",
            "QĐ 12",
        ]
    )
    book.save(path)
    found = read(path, cfg)
    assert found.tables[0].columns["reward_form"] == 13 and found.tables[0].columns["reward_decision"] == 14
    assert frame(found.tables[0]).loc[0, "reward_decision"] == "QĐ 12"


def test_list_sheet_renamed_and_moved_is_found_by_its_header(tmp_path, cfg):
    book = read(workbook(tmp_path / "a.xlsx", [model()], list_sheet="Sheet1"), cfg)
    assert book.tables[0].sheet == "Sheet1" and len(frame(book.tables[0])) == 1


def test_no_recognisable_header(tmp_path, cfg):
    path = workbook(tmp_path / "a.xlsx", [], headers=["Cột 1", "Cột 2", "Cột 3"])
    assert [p.code for p in read(path, cfg).problems] == ["header_not_found"]


def test_missing_required_column_names_it(tmp_path, cfg):
    headers = [h for h in HEADERS if h != "Nội dung, cách làm"]
    problems = read(workbook(tmp_path / "a.xlsx", [model()], headers=headers), cfg).problems
    assert [p.code for p in problems] == ["column_missing"]
    assert "Nội dung, cách làm" in problems[0].message


def test_info_from_title_rows_when_the_info_sheet_is_gone(tmp_path, cfg):
    path = workbook(
        tmp_path / "a.xlsx",
        [model()],
        info_sheet=False,
        title_rows=["Đơn vị: HU Cam Lâm", "Ngày báo cáo: 02/12/2026"],
    )
    found = read(path, cfg)
    assert found.info["unit_name"] == "HU Cam Lâm" and found.info["report_date"] == "02/12/2026"


def test_assessment_answers_are_read(tmp_path, cfg):
    path = workbook(
        tmp_path / "a.xlsx",
        [model()],
        assessment={"Khó khăn, vướng mắc": "Thiếu kinh phí.", "Đề xuất, kiến nghị": "Tăng tuyên truyền."},
    )
    found = read(path, cfg)
    assert found.assessment == {"difficulties": "Thiếu kinh phí.", "proposals": "Tăng tuyên truyền."}


def test_formulas_read_by_their_cached_values_and_flagged_without_one(tmp_path, cfg):
    import xlsxwriter

    from aggregator.intake.sniff import fingerprint
    from aggregator.pipeline import FileProcessor

    path = workbook(tmp_path / "src.xlsx", [model("A", places=None), model("B", places=None)])
    import openpyxl

    book = openpyxl.load_workbook(path)
    book["Danh sách"]["M4"] = "=1+1"  # openpyxl saves no cached value
    book.save(path)
    done = xlsxwriter.Workbook(str(tmp_path / "calc.xlsx"))
    sheet = done.add_worksheet("Danh sách")
    sheet.write_row(
        0,
        0,
        [
            "Tên mô hình, điển hình",
            "Lĩnh vực",
            "Đối tượng",
            "Tập thể, cá nhân thực hiện",
            "Năm xây dựng",
            "Tình trạng",
            "Giai đoạn",
            "Nội dung, cách làm",
            "Số nơi nhân rộng",
        ],
    )
    sheet.write_row(1, 0, ["A", 1, "Tập thể", "Ai", 2024, "Duy trì", "Giới thiệu, nhân rộng", "x"])
    sheet.write_formula(1, 8, "=2+1", None, 3)  # saved with its value, as Excel does
    done.close()
    processor = FileProcessor(cfg, 2026, "annual")
    flagged = processor.process(fingerprint(path, tmp_path, cfg.limits))
    assert [p.code for p in flagged.problems if p.row == 4] == ["formula_without_value"]
    assert "=1+1" in next(p.message for p in flagged.problems if p.row == 4)
    calculated = processor.process(fingerprint(tmp_path / "calc.xlsx", tmp_path, cfg.limits))
    assert records(calculated)["replications"].tolist() == [3]


def test_a_list_split_over_two_sheets_is_read_whole(tmp_path, cfg):
    import openpyxl

    from aggregator.intake.sniff import fingerprint
    from aggregator.pipeline import FileProcessor

    path = workbook(tmp_path / "a.xlsx", [model("A"), model("B", 5)], list_sheet="Mô hình")
    book = openpyxl.load_workbook(path)
    second = book.create_sheet("Điển hình")
    second.append(HEADERS)
    for row in (model("C", 11, "Cá nhân"), model("A")):  # A again: a duplicate across sheets
        second.append([row.get(h) for h in HEADERS])
    summary = book.create_sheet("Tổng hợp")
    summary.append(["Tên mô hình, điển hình", "Lĩnh vực", "Đối tượng"])
    summary.append(["A", 1, "Tập thể"])
    book.save(path)
    outcome = FileProcessor(cfg, 2026, "annual").process(fingerprint(path, tmp_path, cfg.limits))
    found = records(outcome)
    assert list(zip(found["sheet"], found["row"], found["accepted"], strict=True)) == [
        ("Mô hình", 4, True),
        ("Mô hình", 5, True),
        ("Điển hình", 2, True),
        ("Điển hình", 3, False),
    ]
    duplicate = next(p for p in outcome.problems if p.code == "duplicate_model")
    assert duplicate.cell == "Điển hình!B3" and "Mô hình" in duplicate.message
    ignored = next(p for p in outcome.problems if p.code == "sheet_ignored")
    assert ignored.sheet == "Tổng hợp" and not ignored.is_error
    assert outcome.status == "accepted"


def test_header_cells_with_notes_after_the_header_text(cfg):
    from aggregator.reading.locate import header_spellings, map_header

    spellings = header_spellings(tuple(cfg.columns))
    line = [
        "STT",
        "Tên mô hình, điển hình (ghi rõ tên)",
        "Lĩnh vực (1-11)",
        "Đối tượng",
        "Lĩnhvực",
        "Năm xây dựng mô hình",
        "Ghi chú khác",
    ]
    mapping = map_header(line, spellings)
    assert mapping == {"seq": 0, "name": 1, "field": 2, "subject": 3, "year_built": 5, "note": 6}


def test_what_the_header_finder_remembers_of_cell_texts_stays_bounded(cfg, monkeypatch):
    from aggregator.reading import locate as read

    monkeypatch.setattr(read, "_SEEN_LIMIT", 10)
    spellings = read.HeaderSpellings(tuple(cfg.columns))
    for n in range(100):  # the data rows of many files searched for a header
        assert spellings.match(f"Hộ ông Nguyễn Văn {n}") is None
        assert len(spellings._seen) <= 10
    assert spellings.match("Tên mô hình, điển hình") == ("name", True)  # still right after clearing
