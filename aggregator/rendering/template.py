"""The standard workbook units fill, generated from ``schemas/`` (one per unit, and a blank)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

from xlsxwriter.worksheet import Worksheet

from aggregator.config import Column, Config, Unit
from aggregator.model import record_columns
from aggregator.rendering import prefilled
from aggregator.rendering.sheets import Styles, fit_row, open_workbook, printable

DATA_ROWS = 300
_HEADER_ROW = 4  # 0-based: two title lines, a unit line, a blank line, then the header


def guide_lines(config: Config, year: int, period: str) -> list[str]:
    """The instructions sheet: the fields, their subjects and the choices as fields.yaml and
    workbook.yaml give them."""
    sheets = config.sheets
    fields = "; ".join(f"{f.code} - {f.name}" for f in config.fields)
    new = next(c.label for c in config.column("status").choices if c.code == config.codes.new)
    return [
        f"HƯỚNG DẪN ĐIỀN BIỂU MẪU BÁO CÁO MÔ HÌNH, ĐIỂN HÌNH ({config.period_label(period).upper()} {year})",
        "",
        f'1. Trang "{sheets["info"]}": mã và tên đơn vị đã điền sẵn, không sửa. Điền năm, kỳ báo cáo, '
        "ngày báo cáo (dd/mm/yyyy), người lập biểu, điện thoại, email.",
        f'2. Trang "{sheets["list"]}": mỗi mô hình, điển hình một dòng, bắt đầu ngay dưới dòng tiêu đề. '
        "Không thêm dòng tổng cộng, không gộp ô, không đổi tên cột.",
        "   Các cột có dấu (*) là bắt buộc. Các cột có danh sách thả xuống: chọn trong danh sách, không gõ tay.",
        f"   Lĩnh vực: {fields}.",
        *_subjects_by_field(config),
        "   Năm xây dựng: ghi năm bắt đầu xây dựng (ví dụ 2024), không sau năm báo cáo. "
        f'"{new}" là mô hình bắt đầu trong năm báo cáo.',
        "   Số nơi nhân rộng: số nguyên (0, 1, 2, …). Nếu có khen thưởng, ghi cả số, ngày quyết định.",
        "   Mã mô hình: chỉ ghi mã Ban đã cấp cho mô hình đã báo cáo kỳ trước (xem biểu mẫu điền sẵn "
        "hoặc tệp tổng hợp); mô hình mới thì để trống, chương trình tự cấp mã.",
        f'3. Trang "{sheets["assessment"]}": ghi ngắn gọn kết quả nổi bật, khó khăn, vướng mắc và đề xuất, kiến nghị.',
        "4. Lưu tệp dạng .xlsx và gửi về Ban trước hạn. Mỗi đơn vị chỉ gửi một tệp; nếu sửa, gửi lại cả tệp.",
    ]


def _subjects_by_field(config: Config) -> list[str]:
    """The fields that take other subjects than most fields do, each with the subjects it takes
    (none when every field takes the same)."""
    usual = Counter(frozenset(f.subjects) for f in config.fields).most_common(1)[0][0]
    label = {s.code: s.label for s in config.subjects}
    said = []
    for f in config.fields:
        if frozenset(f.subjects) != usual:
            names = [label[s] for s in f.subjects]
            takes = (
                f"chỉ nhận {names[0]}"
                if len(names) == 1
                else f"nhận {', '.join(names[:-1])} hoặc {names[-1]}"
            )
            said.append(f"lĩnh vực {f.code} {takes}")
    return [f"   Đối tượng phải phù hợp lĩnh vực: {'; '.join(said)}."] if said else []


def write_template(
    config: Config,
    path: Path,
    year: int,
    period: str,
    unit: Unit | None = None,
    models: list[dict[str, Any]] | None = None,
) -> None:
    """One standard workbook; with a unit, its code and name filled in and locked.

    ``models`` (the unit's models of its latest earlier period, from the register) pre-fill the
    list: every column, codes locked, everything else editable, room left for new rows.
    """
    book = open_workbook(path)
    styles = Styles(book)
    locked = book.add_format(
        {
            "font_name": "Times New Roman",
            "font_size": 12,
            "bold": True,
            "bg_color": "#EDEDED",
            "border": 1,
            "locked": True,
        }
    )
    free = book.add_format(
        {
            "font_name": "Times New Roman",
            "font_size": 12,
            "border": 1,
            "locked": False,
            "text_wrap": True,
            "valign": "top",
        }
    )
    free_date = book.add_format(
        {
            "font_name": "Times New Roman",
            "font_size": 12,
            "border": 1,
            "locked": False,
            "num_format": "dd/mm/yyyy",
        }
    )
    sheets = config.sheets

    guide = book.add_worksheet(sheets["guide"])
    guide.set_column(0, 0, 80)  # the width of a portrait A4 page, in 12 pt Times New Roman
    guide.set_paper(9)
    guide.fit_to_pages(1, 0)
    lines = guide_lines(config, year, period) + (prefilled.guide(config, models) if models else [])
    for i, line in enumerate(lines):
        fit_row(guide, i, [line], [80], bold=i == 0)
        guide.write_string(i, 0, line, styles.title if i == 0 else styles.text)

    info = book.add_worksheet(sheets["info"])
    info.set_column(0, 0, 22)
    info.set_column(1, 1, 50)
    values = {
        "unit_code": unit.code if unit else "",
        "unit_name": unit.name if unit else "",
        "year": year,
        "period": config.period_label(period),
    }
    for i, label in enumerate(config.info):
        info.write_string(i, 0, label.label, styles.header)
        value = values.get(label.key, "")
        style = (
            locked
            if unit and label.key in ("unit_code", "unit_name")
            else (free_date if label.key == "report_date" else free)
        )
        if isinstance(value, int):
            info.write_number(i, 1, value, style)
        else:
            info.write(i, 1, value, style)
        if label.key == "period":
            info.data_validation(
                i, 1, i, 1, {"validate": "list", "source": [p.label for p in config.periods]}
            )
        if label.key == "report_date":
            info.data_validation(
                i,
                1,
                i,
                1,
                {
                    "validate": "date",
                    "criteria": ">=",
                    "value": _excel_date(year - 1),
                    "input_message": "Ghi ngày dạng dd/mm/yyyy",
                },
            )
    if unit:
        info.protect("", {"select_locked_cells": True, "select_unlocked_cells": True})

    lists = book.add_worksheet(sheets["meta"])
    _list_sheet(lists, config, year, period, unit)
    listing = book.add_worksheet(sheets["list"])
    _listing(listing, styles, config, year, period, unit, sheets["meta"])
    if models:
        prefilled.fill(book, listing, config, models, _HEADER_ROW)

    assessment = book.add_worksheet(sheets["assessment"])
    assessment.set_column(0, 0, 24)
    assessment.set_column(1, 1, 90)
    assessment.set_paper(9)
    assessment.set_landscape()
    assessment.fit_to_pages(1, 0)
    for i, label in enumerate(config.assessment):
        assessment.write_string(i, 0, label.label, styles.header)
        assessment.write_blank(i, 1, None, free)
        assessment.set_row(i, 90)
    lists.hide()
    listing.activate()
    book.close()


def _list_sheet(sheet: Worksheet, config: Config, year: int, period: str, unit: Unit | None) -> None:
    """The hidden sheet: template facts in A:B, the dropdown lists in D onwards."""
    for i, (key, value) in enumerate(
        [
            ("template_version", config.template_version),
            ("unit_code", unit.code if unit else ""),
            ("year", year),
            ("period", period),
        ]
    ):
        sheet.write(i, 0, key)
        sheet.write(i, 1, value)
    for j, options in enumerate(_dropdowns(config).values(), start=3):
        sheet.write_column(0, j, options)


def _dropdowns(config: Config) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for column in config.columns:
        if column.type == "field":
            found[column.key] = [f"{f.code} - {f.name}" for f in config.fields]
        elif column.type == "subject":
            found[column.key] = [s.label for s in config.subjects]
        elif column.choices:
            found[column.key] = [c.label for c in column.choices]
    return found


def _listing(
    sheet: Worksheet, styles: Styles, config: Config, year: int, period: str, unit: Unit | None, meta: str
) -> None:
    columns = record_columns(config)
    width = len(columns)
    sheet.merge_range(
        0,
        0,
        0,
        width - 1,
        "DANH SÁCH MÔ HÌNH, ĐIỂN HÌNH TRONG HỌC TẬP VÀ LÀM THEO TƯ TƯỞNG, ĐẠO ĐỨC, PHONG CÁCH HỒ CHÍ MINH",
        styles.title,
    )
    sheet.merge_range(1, 0, 1, width - 1, f"Kỳ báo cáo: {config.period_label(period)} {year}", styles.text)
    sheet.merge_range(2, 0, 2, width - 1, f"Đơn vị: {unit.name if unit else ''}", styles.text)
    for j, column in enumerate(columns):
        label = column.header + (" (*)" if column.required else "")
        sheet.write_string(_HEADER_ROW, j, label, styles.header)
        sheet.set_column(j, j, column.width, styles.cell)
        _validation(sheet, j, column, config, year, meta)
    fit_row(
        sheet,
        _HEADER_ROW,
        [c.header + " (*)" for c in columns],
        [c.width for c in columns],
        bold=True,
    )
    sheet.freeze_panes(_HEADER_ROW + 1, 2)
    printable(sheet, _HEADER_ROW)  # landscape, one page wide, the header on every page


def _validation(sheet: Worksheet, j: int, column: Column, config: Config, year: int, meta: str) -> None:
    first, last = _HEADER_ROW + 1, _HEADER_ROW + DATA_ROWS
    lists = list(_dropdowns(config))
    if column.key in lists:
        letter = chr(ord("D") + lists.index(column.key))
        count = len(_dropdowns(config)[column.key])
        sheet.data_validation(
            first,
            j,
            last,
            j,
            {
                "validate": "list",
                "source": f"='{meta}'!${letter}$1:${letter}${count}",
                "error_title": "Giá trị không có trong danh sách",
                "error_message": "Chọn một giá trị trong danh sách thả xuống.",
            },
        )
    elif column.type == "year":
        sheet.data_validation(
            first,
            j,
            last,
            j,
            {
                "validate": "integer",
                "criteria": "between",
                "minimum": config.earliest_year,
                "maximum": year,
                "error_message": f"Ghi năm từ {config.earliest_year} đến {year}.",
            },
        )
    elif column.type == "count":
        sheet.data_validation(
            first,
            j,
            last,
            j,
            {
                "validate": "integer",
                "criteria": ">=",
                "value": 0,
                "error_message": "Ghi số nguyên không âm (0, 1, 2, …).",
            },
        )


def _excel_date(year: int) -> dt.date:
    return dt.date(year, 1, 1)


def write_all(
    config: Config,
    folder: Path,
    year: int,
    period: str,
    models: dict[str, list[dict[str, Any]]] | None = None,
) -> list[Path]:
    """A workbook per unit of the registry (pre-filled with its ``models``), plus a blank one."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for unit in config.units:
        path = folder / f"bieu-mau-{unit.code}.xlsx"
        write_template(config, path, year, period, unit, (models or {}).get(unit.code))
        written.append(path)
    blank = folder / "bieu-mau-trong.xlsx"
    write_template(config, blank, year, period)
    return [*written, blank]
