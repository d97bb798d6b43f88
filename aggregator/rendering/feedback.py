"""One feedback workbook per unit whose files had problems: its rows, bad cells marked."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from xlsxwriter.worksheet import Worksheet

from aggregator import labels
from aggregator.labels import FILE_STATUS, SEVERITY
from aggregator.model import CandidateKind, FileOutcome, FileStatus, ListTable, RunResult, record_columns
from aggregator.problems import Problem
from aggregator.rendering import drafts
from aggregator.rendering.drafts import is_empty, shown_name
from aggregator.rendering.sheets import Styles, fit_row, open_workbook, printable, write_table
from aggregator.rendering.workbooks import reasons_by_row
from aggregator.text import as_text, safe_filename

TEMPLATE = "phan-hoi.txt.j2"  # the draft email's text, in the templates folder
UNKNOWN_SUBJECT = "Tệp chưa rõ đơn vị"  # names a draft about a file matched to no unit
# what a unit whose only files held no model row is asked (the letter's own words are its template's)
ASK_FOR_THE_LIST = (
    "Tệp để trống chưa được tính là đơn vị đã báo cáo. Đề nghị đơn vị điền danh sách các mô hình, "
    'điển hình của đơn vị vào biểu mẫu (mỗi mô hình, điển hình một dòng ở trang "Danh sách") và '
    "gửi lại"
)


def not_replacing(used: str) -> str:
    """Said of an empty file sent after a usable one: the usable one still counts."""
    return f'Tệp này để trống nên không thay cho tệp "{used}"; báo cáo vẫn dùng tệp "{used}".'


# A draft stays under every mail server's limit (``max_draft_bytes``, 5 MB unless set): its body
# lists the first problems, the attachment all of them; an attachment that would not fit is
# left out, and the body and the staff say so.
MAX_DRAFT_BYTES = 5_000_000
BODY_PROBLEMS = 30  # problems listed in a draft's body, all files together
BODY_ALLOWANCE = 1_000_000  # room kept for the body and headers beside the attachment
BODY_MESSAGE_CHARS = 500  # a problem's message in the body (a name typed 30,000 long, cut)


@dataclass
class Feedback:
    """Who a feedback workbook is for and which of their files it covers."""

    name: str  # file name, made only from registry codes or sanitised text
    title: str  # who it is for, as people read it
    outcomes: list[FileOutcome]
    recipients: list[str] = field(default_factory=list)
    used: FileOutcome | None = None  # the unit's file the report counts, if any
    unknown: bool = False  # a file no reporting unit could be matched to
    # the address its report came from, when the unit has none registered (the draft says so)
    sender: str = ""

    @property
    def resend(self) -> bool:
        """Only rows not counted, or no usable file at all, call for a new file."""
        if self.used is not None:
            return any(p.is_error and p.row is not None for p in self.used.problems)
        return any(o.status == FileStatus.REJECTED for o in self.outcomes)

    @property
    def empty(self) -> bool:
        """No usable file, and one of them was the list left empty: the unit is asked for its list."""
        return self.used is None and any(is_empty(o) for o in self.outcomes)


def targets(result: RunResult) -> list[Feedback]:
    """Units (and unidentified files) that have something to fix."""
    found = []
    for status in result.statuses:
        files = [o for o in status.files if o.status != FileStatus.SUPERSEDED and o.problems]
        if files:
            to = drafts.address(result.config.unit(status.code), status.files)
            found.append(
                Feedback(
                    f"{status.code}.xlsx", status.name, files, to.recipients, status.used, sender=to.sender
                )
            )
    unidentified = (
        o
        for o in result.outcomes
        if o.unit is None and o.status == FileStatus.REJECTED and o.candidate.kind != CandidateKind.OTHER
    )
    for n, outcome in enumerate(unidentified, start=1):
        stem = safe_filename(outcome.candidate.path.stem, 40)
        sender = [outcome.candidate.sender] if outcome.candidate.sender else []
        found.append(
            Feedback(
                f"khong-ro-don-vi-{n:02d}-{stem}.xlsx", "Quý cơ quan, đơn vị", [outcome], sender, unknown=True
            )
        )
    return found


def resend_deadline(deadline: dt.date, on: dt.date) -> str:
    """When to send a file again, as a letter dated ``on`` says it."""
    if on <= deadline:
        return f"đến hết ngày {labels.date_vn(deadline)}"
    return f"sớm nhất có thể (hạn gửi là đến hết ngày {labels.date_vn(deadline)})"


def max_draft_bytes(result: RunResult) -> int:
    return int(result.config.limits.get("max_draft_bytes", MAX_DRAFT_BYTES))


def attachable(result: RunResult, workbook: Path) -> bool:
    """The feedback workbook fits in its draft: base64 (4/3, and a line end every 76) beside
    the body, under ``max_draft_bytes``."""
    encoded = (workbook.stat().st_size + 2) // 3 * 4 * 77 // 76
    return encoded + BODY_ALLOWANCE <= max_draft_bytes(result)


def email(
    result: RunResult, feedback: Feedback, workbook: Path, templates: Path, report_date: dt.date
) -> tuple[bytes, bool]:
    """A ready-to-send draft to the unit: the first problems in the body, the workbook with
    every one attached (or, too big to mail, left out and said so); and whether it is attached."""
    attached = attachable(result, workbook)
    draft = _email(result, feedback, workbook, templates, report_date, attached)
    if len(draft) <= max_draft_bytes(result):
        return draft, attached
    return _email(result, feedback, workbook, templates, report_date, False), False  # a body beyond all


def _email(
    result: RunResult,
    feedback: Feedback,
    workbook: Path,
    templates: Path,
    report_date: dt.date,
    attached: bool,
) -> bytes:
    header = result.config.report
    budget, files = BODY_PROBLEMS, []
    for o in feedback.outcomes:
        shown = [
            {
                "cell": p.cell,
                "message": p.message[:BODY_MESSAGE_CHARS] + "…" * (len(p.message) > BODY_MESSAGE_CHARS),
            }
            for p in o.problems[:budget]
        ]
        budget -= len(shown)
        files.append(
            {
                "name": shown_name(o),
                "status": FILE_STATUS[o.status],
                "rows_read": o.rows_read,
                "rows_valid": o.rows_valid,
                "rows_invalid": o.rows_invalid,
                "used": o is feedback.used,
                "empty": is_empty(o),
                "problems": shown,
                "more": len(o.problems) - len(shown),
            }
        )
    size = workbook.stat().st_size
    used = feedback.used
    text = drafts.body(
        templates,
        TEMPLATE,
        {
            "title": feedback.title,
            "header": header,
            "files": files,
            "year": result.year,
            "period_phrase": labels.period_phrase(result.period),
            "deadline": result.deadline,
            "overdue": report_date > result.deadline,
            "resend": feedback.resend,
            "empty": feedback.empty,
            "resend_by": resend_deadline(result.deadline, report_date),
            "unknown": feedback.unknown,
            "used": {"name": shown_name(used), "models": used.rows_counted} if used else None,
            "attachment": workbook.name,
            "attached": attached,
            "size": f"{size / 1_000_000:.1f}".replace(".", ","),
        },
    )
    topic = f"Phản hồi báo cáo mô hình, điển hình {labels.period_phrase(result.period)} {result.year}"
    return drafts.draft(
        header.board.email,
        feedback.recipients,
        drafts.subject(UNKNOWN_SUBJECT if feedback.unknown else feedback.title, topic),
        drafts.Address(feedback.recipients, feedback.sender).signed(text),
        [(workbook.name, workbook.read_bytes())] if attached else [],
        report_date,
    )


def write(result: RunResult, feedback: Feedback, path: Path, report_date: dt.date | None = None) -> None:
    book = open_workbook(path)
    styles = Styles(book)
    _summary(book.add_worksheet("Tóm tắt"), styles, result, feedback, report_date or result.deadline)
    used: set[str] = set()
    for outcome in feedback.outcomes:
        for table in outcome.tables:
            name = _sheet_name(table.sheet, used)
            _rows(book.add_worksheet(name), styles, result, outcome, table)
    problems = [p for o in feedback.outcomes for p in o.problems]
    headers = ["Mức độ", "Tệp", "Ô", "Cột", "Giá trị đã ghi", "Cần sửa"]
    rows = [[SEVERITY[p.severity], p.file, p.cell, p.column, p.value, p.message] for p in problems]
    write_table(book.add_worksheet("Các lỗi"), styles, 0, headers, rows, [8, 30, 16, 22, 28, 80])
    book.close()


def _sheet_name(source: str, used: set[str]) -> str:
    """The unit's own sheet name, made valid and unique for Excel (31 characters, no []:*?/\\)."""
    base = "".join(ch for ch in source if ch not in "[]:*?/\\")[:28].strip("' ") or "Danh sách"
    name, n = base, 1
    while name.lower() in {u.lower() for u in used} or name in ("Tóm tắt", "Các lỗi"):
        n += 1
        name = f"{base[:25]} ({n})"
    used.add(name)
    return name


def _summary(
    sheet: Worksheet, styles: Styles, result: RunResult, feedback: Feedback, report_date: dt.date
) -> None:
    period = result.config.period_label(result.period).lower()
    sheet.set_column(0, 0, 80)  # a portrait A4 page wide
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)
    used = feedback.used
    lines = [
        (f"PHẢN HỒI VỀ BÁO CÁO MÔ HÌNH, ĐIỂN HÌNH KỲ {period.upper()} {result.year}", styles.title),
        (f"Gửi: {feedback.title}", styles.text),
        (
            "Ban đã nhận và kiểm tra tệp báo cáo của đơn vị. Ô màu đỏ là lỗi làm dòng đó không được "
            "tính; ô màu vàng là điểm cần lưu ý."
            + (
                f" {ASK_FOR_THE_LIST} {resend_deadline(result.deadline, report_date)}."
                if feedback.empty
                else f" Đề nghị đơn vị sửa ở đúng các ô đó trong tệp gốc và gửi lại cả tệp "
                f"{resend_deadline(result.deadline, report_date)}."
                if feedback.resend
                else " Đơn vị không cần gửi lại tệp."
            ),
            styles.text,
        ),
        (
            (
                f"Tệp được dùng để tổng hợp: {shown_name(used)} ({used.rows_counted} mô hình, điển "
                "hình được tính)."
                if used
                else "Chưa có tệp nào của đơn vị dùng được để tổng hợp."
            )
            if not feedback.unknown
            else "",
            styles.text,
        ),
        ("", styles.text),
    ]
    for outcome in feedback.outcomes:
        lines.append(
            (
                f"Tệp: {outcome.candidate.relative} — {FILE_STATUS[outcome.status]}; "
                f"đọc {outcome.rows_read} dòng, {outcome.rows_valid} dòng hợp lệ, "
                f"{outcome.rows_invalid} dòng có lỗi; được tính {outcome.rows_counted}.",
                styles.text,
            )
        )
        lines += [(f"• {p.message}", styles.text) for p in outcome.problems if p.row is None]
        if used is not None and is_empty(outcome):
            lines.append((f"• {not_replacing(shown_name(used))}", styles.text))
    for i, (text, style) in enumerate(lines):
        fit_row(sheet, i, [text], [80], bold=style is styles.title)
        sheet.write_string(i, 0, text, style)


def _rows(
    sheet: Worksheet, styles: Styles, result: RunResult, outcome: FileOutcome, table: ListTable
) -> None:
    """The unit's rows where the unit had them: the header on its row, each value in its own
    column, so that a message's "Danh sách!J12" is cell J12 of this sheet too."""
    columns = sorted(
        (c for c in record_columns(result.config) if c.key in table.columns),
        key=lambda c: table.columns[c.key],
    )
    at = {c.key: table.columns[c.key] for c in columns}
    extra = max(at.values(), default=-1) + 1  # the Board's two columns, after the unit's
    top = table.header_row - 1
    mine = [p for p in outcome.problems if p.sheet == table.sheet]
    marks = _marks(mine, {c.header: c.key for c in columns})
    valid = {r.row: r.accepted for r in outcome.rows or () if r.sheet == table.sheet}
    notes = reasons_by_row(mine, errors_only=False)
    if top > 0:
        sheet.write_string(
            0,
            0,
            "Các ô ở trang này đúng vị trí như trong tệp của đơn vị (ô J12 "
            "ở đây là ô J12 trong tệp gốc); hai cột cuối là ý kiến của Ban.",
        )
    for column in columns:
        sheet.write_string(top, at[column.key], column.header, styles.header)
        sheet.set_column(at[column.key], at[column.key], column.width)
    widths = {at[c.key]: c.width for c in columns} | {extra: 11, extra + 1: 60}
    span = [widths.get(j, 9) for j in range(extra + 2)]
    headers = [""] * extra + ["Kết quả", "Cần sửa"]
    for column in columns:
        headers[at[column.key]] = column.header
    fit_row(sheet, top, headers, span, bold=True)
    sheet.write_string(top, extra, "Kết quả", styles.header)
    sheet.write_string(top, extra + 1, "Cần sửa", styles.header)
    sheet.set_column(extra, extra, 11)
    sheet.set_column(extra + 1, extra + 1, 60)
    for raw in table.typed:
        row = int(raw["row"])
        cells = [""] * (extra + 2)
        for column in columns:
            cells[at[column.key]] = as_text(raw.get(column.key))  # each value made text once
        cells[extra + 1] = "\n".join(notes.get((table.sheet, row), []))
        fit_row(sheet, row - 1, cells, span)
        for column in columns:
            j = at[column.key]
            problem = marks.get((row, column.key))
            style = styles.cell if problem is None else (styles.error if problem.is_error else styles.warning)
            sheet.write_string(row - 1, j, cells[j], style)
            if problem is not None:
                sheet.write_comment(row - 1, j, problem.message, {"x_scale": 2.5, "y_scale": 2})
        sheet.write_string(row - 1, extra, "Hợp lệ" if valid.get(row) else "Bị loại", styles.cell)
        sheet.write_string(row - 1, extra + 1, cells[extra + 1], styles.cell)
    sheet.freeze_panes(top + 1, 0)
    last = max((int(raw["row"]) for raw in table.typed), default=top + 1)
    sheet.autofilter(top, 0, last - 1, extra + 1)
    printable(sheet, top, span, keep_columns=min(at.get("name", -1) + 1, 3))  # through the name


def _marks(found: list[Problem], keys: dict[str, str]) -> dict[tuple[int, str], Problem]:
    """The worst problem of each cell, errors over warnings."""
    marks: dict[tuple[int, str], Problem] = {}
    for problem in found:
        key = keys.get(problem.column)
        if problem.row is None or key is None:
            continue
        held = marks.get((problem.row, key))
        if held is None or (problem.is_error and not held.is_error):
            marks[(problem.row, key)] = problem
    return marks
