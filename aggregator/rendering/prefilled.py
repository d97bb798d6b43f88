"""Rendering: a unit's pre-filled rows, its models of the latest earlier period, and their guide.

The standard workbook (``template``) carries them when the register holds the unit's models:
every column as the register keeps it, codes locked, and the instructions that say which
columns to update each year.
"""

from __future__ import annotations

from typing import Any

from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from aggregator.config import Column, Config
from aggregator.merging import register_tables
from aggregator.model import record_columns
from aggregator.rendering.sheets import fit_row


def guide(config: Config, models: list[dict[str, Any]]) -> list[str]:
    """The instructions of a pre-filled workbook: what it carries (from which period), and which
    columns to update each year (the headers as workbook.yaml gives them)."""
    header = {c.key: f'"{c.header}"' for c in config.columns}
    status = config.column("status")
    continuing = next(c.label for c in status.choices if c.code == config.codes.continuing)
    yes = next((c.label for c in config.column("publicised").choices if c.code == "yes"), "Có")
    source = {(m.get("year"), m.get("period")) for m in models}
    when = "kỳ trước"  # a unit's records come from one period, its latest
    if len(source) == 1 and (known := source.pop())[1] in {p.code for p in config.periods}:
        when = f"kỳ {config.period_label(known[1]).lower()} {known[0]}"
    lines = [
        "",
        f'BIỂU MẪU ĐÃ ĐIỀN SẴN: trang "{config.sheets["list"]}" đã ghi đủ mọi cột của các mô hình, '
        f"điển hình đơn vị đã báo cáo {when}. Mỗi dòng có {header['model_code']} (ô khóa, không sửa "
        f'được); {header["status"]} đã ghi "{continuing}".',
        "   Mô hình không có gì thay đổi thì giữ nguyên dòng. Gửi lại biểu mẫu nguyên như vậy vẫn là "
        "báo cáo hợp lệ: các mô hình được tính là tiếp tục duy trì.",
        "   Mỗi năm, với mỗi mô hình còn duy trì, cập nhật các cột:",
        f"   - {header['stage']}: chọn giai đoạn mới khi mô hình đã lên giai đoạn cao hơn;",
        f"   - {header['replications']}: tổng số nơi đã nhân rộng đến nay;",
        f"   - {header['reward_form']} và {header['reward_decision']}: khi mô hình được khen thưởng "
        "mới, ghi khen thưởng mới và số, ngày quyết định; không có khen thưởng mới thì giữ nguyên;",
        f'   - {header["publicised"]}: chọn "{yes}" khi mô hình đã được báo chí đưa tin.',
        "   Khen thưởng và tuyên truyền trên báo chí đã báo cáo ở các năm trước chỉ được Ban tính một "
        "lần, ở năm báo cáo đầu tiên, không tính lại: cứ giữ nguyên các ô đó.",
        "   Các cột khác (nội dung, cách làm, hiệu quả đạt được, đánh giá, ghi chú…) sửa lại nếu kỳ này "
        "có thay đổi. Đổi tên mô hình thì cứ sửa tên, mã vẫn giữ nguyên.",
        "   Mô hình đã dừng: xóa nội dung các ô của dòng đó (ô mã giữ nguyên), Ban sẽ ghi nhận mô hình "
        "không còn báo cáo.",
        "   Mô hình mới: ghi vào các dòng trống bên dưới, để trống ô mã (chương trình tự cấp mã).",
    ]
    empty = [
        c.header
        for c in config.columns
        if c.required
        and any(_blank(m.get(register_tables.REGISTER_KEY.get(c.key, c.key), _MISSING)) for m in models)
    ]  # the register of an older layout kept no such column
    if empty:
        lines.append(
            f"   Cột bắt buộc còn trống ở dòng điền sẵn ({'; '.join(empty)}): Ban chưa lưu được cột "
            "này từ kỳ trước, đơn vị điền trước khi gửi."
        )
    return lines


_MISSING = object()


def _blank(value: Any) -> bool:
    return value is _MISSING or value is None or (isinstance(value, str) and not value.strip())


def fill(
    book: Workbook, sheet: Worksheet, config: Config, models: list[dict[str, Any]], header_row: int
) -> None:
    """The unit's models of the latest earlier period, every column as the register keeps it,
    below the list's ``header_row``: codes locked, the rest editable, the status continuing
    (``config.codes``)."""
    base = {"font_name": "Times New Roman", "font_size": 12, "border": 1, "valign": "top"}
    free = book.add_format({**base, "locked": False, "text_wrap": True})
    code = book.add_format({**base, "locked": True, "bg_color": "#EDEDED"})
    columns = record_columns(config)
    for j, column in enumerate(columns):
        sheet.set_column(j, j, column.width, code if column.key == "model_code" else free)
    for i, model in enumerate(models, start=header_row + 1):
        values = [i - header_row if c.key == "seq" else _shown(config, c, model) for c in columns]
        fit_row(sheet, i, ["" if v is None else v for v in values], [c.width for c in columns])
        for j, (column, value) in enumerate(zip(columns, values, strict=True)):
            style = code if column.key == "model_code" else free
            if value is None or value == "":
                sheet.write_blank(i, j, None, style)
            elif isinstance(value, int):
                sheet.write_number(i, j, value, style)
            else:
                sheet.write_string(i, j, str(value), style)
    sheet.protect(
        "",
        {
            "select_locked_cells": True,
            "select_unlocked_cells": True,
            "format_columns": True,
            "format_rows": True,
            "insert_rows": True,
            "delete_rows": True,
            "sort": True,
            "autofilter": True,
        },
    )


def _shown(config: Config, column: Column, model: dict[str, Any]) -> Any:
    """One cell of a pre-filled row, as the unit would have picked or typed it: a field, a
    subject or a choice by its label (an unknown code left blank: nothing false is said), the
    status continuing (``config.codes.continuing``), anything else as kept."""
    value = model.get(register_tables.REGISTER_KEY.get(column.key, column.key))
    if column.key == "status":
        value = config.codes.continuing
    if value is None:
        return None
    if column.type == "field":
        return next((f"{f.code} - {f.name}" for f in config.fields if f.code == value), None)
    if column.type == "subject":
        return next((s.label for s in config.subjects if s.code == value), None)
    if column.type == "choice":
        return next((c.label for c in column.choices if c.code == value), None)
    return value
