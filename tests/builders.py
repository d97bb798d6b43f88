"""Build the workbooks units send, in code, so each test shows its own input."""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd

from aggregator.checking.validate import rows_frame
from aggregator.model import FileOutcome, ListTable, Record, RecordColumns

HEADERS = [
    "STT",
    "Tên mô hình, điển hình",
    "Lĩnh vực",
    "Đối tượng",
    "Tập thể, cá nhân thực hiện",
    "Địa bàn, cơ quan, đơn vị",
    "Năm xây dựng",
    "Tình trạng",
    "Giai đoạn",
    "Nội dung, cách làm",
    "Hiệu quả đạt được",
    "Đánh giá",
    "Số nơi nhân rộng",
    "Hình thức khen thưởng",
    "Số, ngày quyết định khen thưởng",
    "Đã tuyên truyền trên báo chí",
    "Ghi chú",
]


def model(
    name: str = "Mô hình dân vận khéo",
    field: Any = 1,
    subject: str = "Tập thể",
    year: Any = 2024,
    status: str = "Duy trì, phát huy",
    stage: str = "Giới thiệu, nhân rộng",
    places: Any = 2,
    **extra: Any,
) -> dict[str, Any]:
    """One row of the list sheet, keyed by header; sensible and valid unless told otherwise."""
    row = {
        "Tên mô hình, điển hình": name,
        "Lĩnh vực": field,
        "Đối tượng": subject,
        "Tập thể, cá nhân thực hiện": "Chi bộ thôn 1",
        "Năm xây dựng": year,
        "Tình trạng": status,
        "Giai đoạn": stage,
        "Nội dung, cách làm": "Cách làm hay.",
        "Số nơi nhân rộng": places,
    }
    row.update(extra)
    return row


def workbook(
    path: Path,
    rows: list[dict[str, Any]],
    *,
    code: str | None = "cam-lam",
    name: str | None = "Huyện ủy Cam Lâm",
    year: Any = 2026,
    period: Any = "Năm",
    report_date: Any = "03/12/2026",
    headers: list[str] | None = None,
    title_rows: int | list[str] = 2,
    list_sheet: str = "Danh sách",
    info_sheet: bool = True,
    assessment: dict[str, str] | None = None,
    after: list[list[Any]] | None = None,
) -> Path:
    """A unit's workbook: Thông tin, then the list with title rows, header and data rows.

    ``title_rows`` is how many placeholder title lines to put above the header, or the lines.
    """
    book = openpyxl.Workbook()
    listing = book.active
    listing.title = list_sheet
    titles = (
        title_rows if isinstance(title_rows, list) else [f"Dòng tiêu đề {i + 1}" for i in range(title_rows)]
    )
    for title in titles:
        listing.append([title])
    title_rows = len(titles)
    headers = headers or HEADERS
    listing.append(headers)
    for n, row in enumerate(rows, start=1):
        values = [row.get(h, n if h == "STT" else None) for h in headers]
        listing.append(values)
        for j, value in enumerate(values, start=1):
            if isinstance(value, str) and value.startswith("="):
                # typed as text ('=1+2), not a formula
                listing.cell(title_rows + 1 + n, j).data_type = "s"
    for extra in after or []:
        listing.append(extra)
    if info_sheet:
        info = book.create_sheet("Thông tin", 0)
        for label, value in (
            ("Mã đơn vị", code),
            ("Tên đơn vị", name),
            ("Năm báo cáo", year),
            ("Kỳ báo cáo", period),
            ("Ngày báo cáo", report_date),
        ):
            info.append([label, value])
    if assessment:
        sheet = book.create_sheet("Đánh giá chung")
        for label, text in assessment.items():
            sheet.append([label, text])
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    saved_on_date(path, report_date)
    return path


def saved_on_date(path: Path, report_date: Any) -> None:
    """The file saved on the day it is dated, as units' files are (noon, Vietnam time): a
    "Ngày báo cáo" well after the file's own time is not trusted."""
    import datetime as dt
    import os

    try:
        day = dt.datetime.strptime(str(report_date), "%d/%m/%Y")
    except ValueError:
        return
    noon = day.replace(hour=12, tzinfo=dt.timezone(dt.timedelta(hours=7))).timestamp()
    os.utime(path, (noon, noon))


def repeated_ods(path, rows, columns, text="Tên mô hình, điển hình xx"):
    """An .ods of a few hundred bytes that expands to rows × columns filled cells."""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="S">'
        f'<table:table-row table:number-rows-repeated="{rows}"><table:table-cell '
        f'table:number-columns-repeated="{columns}" office:value-type="string"><text:p>{text}'
        "</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet>"
        "</office:body></office:document-content>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "mimetype", "application/vnd.oasis.opendocument.spreadsheet", compress_type=zipfile.ZIP_STORED
        )
        archive.writestr("content.xml", content)
        archive.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0"?><manifest:manifest '
            'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>',
        )
    return path


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def convert(path: Path, target: str, out: Path, profile: Path) -> Path:
    """``path`` converted by LibreOffice (``target`` as --convert-to takes it) into ``out``,
    with a profile of its own under ``profile`` so that tests never share one."""
    subprocess.run(
        [
            SOFFICE,
            "--headless",
            f"-env:UserInstallation=file://{profile}",
            "--convert-to",
            target,
            "--outdir",
            str(out),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )
    return out / f"{path.stem}.{target.split(':')[0]}"


def frame(table: ListTable) -> pd.DataFrame:
    """One list table's rows as typed, as a frame (column keys and the sheet row)."""
    return (
        pd.DataFrame.from_records(table.typed, columns=[*table.columns, "row"])
        .astype(object)
        .astype({"row": int})
    )


def records(outcome: FileOutcome) -> pd.DataFrame | None:
    """One file's parsed rows as a frame, with "accepted"; None once they were let go."""
    return None if outcome.rows is None else rows_frame(outcome.rows)


def record_rows(cfg: Any, rows: list[dict[str, Any]], file: str = "x.xlsx") -> tuple[Record, ...]:
    """Records as validation builds them, from dicts of the columns they have (the others
    empty): "sheet", "row", "accepted" and "name_key" beside the column keys."""
    columns = RecordColumns.of(c.key for c in cfg.columns)
    return tuple(
        Record(
            columns,
            tuple(row.get(key) for key in columns.keys),
            file,
            row.get("sheet", "Danh sách"),
            row["row"],
            row.get("accepted", True),
            row.get("name_key", ""),
        )
        for row in rows
    )


VBA_PROJECT_TYPE = "application/vnd.ms-office.vbaProject"
MACRO_WORKBOOK_TYPE = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"


def with_macro(path: Path, source: str) -> Path:
    """The workbook at ``path`` (an .xlsx as ``workbook`` writes it) made macro-enabled, in
    place: an ``xl/vbaProject.bin`` (a real OLE compound file, ``ole.vba_project``) whose one
    module holds ``source``, declared in [Content_Types].xml and related to the workbook, and
    the workbook's content type that of an .xlsm. Its modified time is kept."""
    from ole import vba_project

    times = path.stat()
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    types = parts["[Content_Types].xml"].decode("utf-8")
    types = types.replace(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml", MACRO_WORKBOOK_TYPE
    )
    assert MACRO_WORKBOOK_TYPE in types
    types = types.replace(
        "<Default ", f'<Default Extension="bin" ContentType="{VBA_PROJECT_TYPE}"/><Default ', 1
    )
    parts["[Content_Types].xml"] = types.encode("utf-8")
    rels = parts["xl/_rels/workbook.xml.rels"].decode("utf-8")
    rels = rels.replace(
        "</Relationships>",
        '<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" '
        'Target="vbaProject.bin"/></Relationships>',
    )
    parts["xl/_rels/workbook.xml.rels"] = rels.encode("utf-8")
    parts["xl/vbaProject.bin"] = vba_project(source)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    os.utime(path, ns=(times.st_atime_ns, times.st_mtime_ns))
    return path
