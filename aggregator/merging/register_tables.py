"""What the register keeps of a record, declared once: the period file's columns and the SQLite tables.

``RECORD`` is the one list: the period file's "columns", the ``models`` table's columns (in this
order) and what a pre-filled workbook carries back. A period record is checked against the
``models`` table as ``SCHEMA`` declares it (``record_schema``), and a register's own tables are
held to that declaration, so a column added here needs no second list.
"""

from __future__ import annotations

import functools
import sqlite3
from typing import Any

DB_NAME = "so-mo-hinh.sqlite"
DB_FORMAT = 5  # the database's layout: another one is rebuilt

# What the register keeps of each record, declared once: the period file's "columns", the
# models table's columns (in this order) and what a pre-filled workbook carries back. Every column
# of the standard workbook is kept, under its key in workbook.yaml (``model_code`` is ``code``),
# then the name's matching key and the record's source. (key, SQL type, what it holds)
RECORD: tuple[tuple[str, str, str], ...] = (
    ("code", "TEXT NOT NULL", "Mã mô hình: stable across periods (unit code + 6 letters)"),
    ("unit", "TEXT NOT NULL", "Mã đơn vị (schemas/units.yaml)"),
    (
        "unit_name",
        "TEXT",
        "the unit's registry name when recorded: a code later borne by another unit is not it",
    ),
    ("seq", "TEXT", "STT, as the unit typed it"),
    ("name", "TEXT NOT NULL", "Tên mô hình, điển hình, as the unit wrote it"),
    ("field", "INTEGER NOT NULL", "Lĩnh vực 1-11"),
    ("subject", "TEXT", "Đối tượng: collective | individual | household"),
    ("performer", "TEXT", "Tập thể, cá nhân thực hiện"),
    ("location", "TEXT", "Địa bàn, cơ quan, đơn vị"),
    ("year_built", "INTEGER", "Năm xây dựng"),
    ("status", "TEXT", "Tình trạng: new (Đăng ký mới) | continuing (Duy trì, phát huy)"),
    ("stage", "TEXT", "Giai đoạn: discovered | replicated | honoured"),
    ("content", "TEXT", "Nội dung, cách làm"),
    ("results", "TEXT", "Hiệu quả đạt được"),
    ("rating", "TEXT", "Đánh giá: good | fair | average"),
    ("replications", "INTEGER", "Số nơi nhân rộng"),
    ("reward_form", "TEXT", "Hình thức khen thưởng"),
    ("reward_decision", "TEXT", "Số, ngày quyết định khen thưởng"),
    ("publicised", "TEXT", "Đã tuyên truyền trên báo chí: yes | no"),
    ("note", "TEXT", "Ghi chú"),
    ("name_key", "TEXT NOT NULL", "the name's matching key (case, tone marks, spacing)"),
    ("file", "TEXT", "source file of the record, as in the period's manifest"),
    ("sheet", "TEXT", "its sheet"),
    ("row", "INTEGER", "its row"),
)
COLUMNS = [key for key, _, _ in RECORD]
WORKBOOK_KEY = {"code": "model_code"}  # a register column -> its workbook column, where they differ
REGISTER_KEY = {w: r for r, w in WORKBOOK_KEY.items()}  # and back
_RECORD_SQL = "\n".join(f"    {key:<15} {kind + ',':<17} -- {comment}" for key, kind, comment in RECORD)

SCHEMA = f"""
-- Sổ theo dõi mô hình qua các kỳ (the register of models across periods).
-- Derived from the period folders of outbox/ (each folder's mo-hinh.jsonl); safe to delete.
CREATE TABLE register_info (
    key   TEXT PRIMARY KEY,   -- 'format': the layout version of these tables
    value TEXT NOT NULL
);
-- One row per period folder the register was built from.
CREATE TABLE periods (
    year          INTEGER NOT NULL,          -- report year (Năm báo cáo)
    period        TEXT NOT NULL CHECK (period IN ('annual', 'half_year')),  -- Kỳ: năm / 6 tháng
    folder        TEXT NOT NULL UNIQUE,      -- the folder in outbox/: 2025 or 2025-6-thang
    source_sha256 TEXT NOT NULL,             -- SHA-256 of the folder's mo-hinh.jsonl
    models        INTEGER NOT NULL,          -- accepted records of the period
    PRIMARY KEY (year, period)
) WITHOUT ROWID;
-- One row per accepted record (mô hình, điển hình) of a period, with its model code: every
-- column of the unit's row (a period file of an older layout leaves the columns it lacks empty).
CREATE TABLE models (
    year            INTEGER NOT NULL,
    period          TEXT NOT NULL,
{_RECORD_SQL}
    PRIMARY KEY (year, period, code),
    FOREIGN KEY (year, period) REFERENCES periods (year, period) ON DELETE CASCADE
) WITHOUT ROWID;
"""
INDEXES = """
CREATE INDEX models_by_code ON models (code);  -- a model's periods (the timeline sheet, Lịch sử mô hình)
CREATE INDEX models_by_unit ON models (unit);  -- a unit's models, read one unit at a time
"""


@functools.cache
def declared() -> dict[str, list[tuple[Any, ...]]]:
    """``PRAGMA table_info`` of each table as ``SCHEMA`` declares it: what a register's own
    tables are held to, and what a period record is checked against."""
    connection = sqlite3.connect(":memory:")
    try:
        connection.executescript(SCHEMA)
        return {
            t: connection.execute(f"PRAGMA table_info({t})").fetchall()
            for t in ("register_info", "periods", "models")
        }
    finally:
        connection.close()


@functools.cache
def record_schema() -> tuple[tuple[str, str, bool], ...]:
    """(column, declared type, required) of a period record: read from the ``models`` table's
    declaration itself, so a column added there is checked with no second list to keep."""
    columns = {r[1]: (str(r[2]).upper(), bool(r[3])) for r in declared()["models"]}
    return tuple((c, *columns.get(c, ("", False))) for c in COLUMNS)
