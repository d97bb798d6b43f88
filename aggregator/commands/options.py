"""Every command-line option declared once: one builder per option, and its check of the text typed.

A builder returns an ``Option`` (flags and argparse's keywords); ``table`` lists which builders
each command takes, and ``cli`` adds them to the parser. What a handler receives is in
``typed``. This module imports nothing heavy: ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aggregator import config as config_module

MIN_YEAR, MAX_YEAR = 2000, 2100
FOLDER = "THƯ_MỤC"


class UsageError(Exception):
    """Bad usage a handler finds (argparse cannot): said like argparse's own errors, exit 2."""


@dataclass(frozen=True)
class Option:
    """One option or argument as argparse takes it."""

    flags: tuple[str, ...]
    keywords: Mapping[str, Any] = field(default_factory=dict)
    # read when the parser is built, given the program's folder (tests move it, and the settings);
    # None: argparse's own (None, or False for a flag)
    default: Callable[[Path], Any] | None = None


def _beside(name: str) -> Callable[[Path], Path]:
    return lambda program: program / name


def _settings(program: Path) -> Path:
    return config_module.BUNDLED


# --- the checks of what is typed ------------------------------------------------------------


def _date(text: str) -> dt.date:
    found = re.fullmatch(r"\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*", text)
    day, month, year = (int(x) for x in found.groups()) if found else (0, 0, 0)
    if not found:
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f'ngày "{text}" cần dạng dd/mm/yyyy, ví dụ 15/12/2026') from None
    if not 1 <= month <= 12:
        raise argparse.ArgumentTypeError(f'ngày "{text}" không có thật: không có tháng {month}')
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'ngày "{text}" không có thật: tháng {month} năm {year} không có ngày {day}'
        ) from None


def _year(text: str) -> int:
    """A report year: four digits, within the years the plan could ever concern."""
    if not text.strip().isdigit() or not MIN_YEAR <= int(text) <= MAX_YEAR:
        raise argparse.ArgumentTypeError(
            f'năm "{text}" không hợp lệ: cần một năm từ {MIN_YEAR} đến {MAX_YEAR}, ví dụ 2026'
        )
    return int(text)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f'"{text}" cần là số nguyên dương')
    return int(text)


# --- the builders: one per option -----------------------------------------------------------


def help_option() -> Option:
    return Option(("-h", "--help"), {"action": "help", "help": "xem hướng dẫn này rồi thoát"})


def debug() -> Option:
    return Option(("--debug",), {"action": "store_true", "help": "in chi tiết khi có lỗi bất ngờ"})


def year() -> Option:
    return Option(
        ("--year",),
        {"type": _year, "metavar": "NĂM", "help": "năm báo cáo (mặc định: năm nay)"},
        lambda program: dt.date.today().year,
    )


def period() -> Option:
    return Option(
        ("--period",),
        {
            "choices": config_module.PERIODS,
            "metavar": "KỲ",
            "help": "kỳ báo cáo: annual (năm, mặc định) hoặc half_year (6 tháng)",
        },
        lambda program: "annual",
    )


def schemas(of: str = "thư mục cấu hình") -> Option:
    return Option(
        ("--schemas",), {"type": Path, "metavar": FOLDER, "help": f"{of} (mặc định: schemas)"}, _settings
    )


def outbox(read_only: bool = False) -> Option:
    """``check`` and ``status`` write nothing: the outbox is only read, for its register."""
    said = (
        "thư mục kết quả, chỉ đọc: không bao giờ bị đọc như tệp đơn vị gửi; sổ theo dõi mô "
        "hình trong đó dùng để đối chiếu mã và các kỳ trước (mặc định: outbox)"
        if read_only
        else "thư mục ghi kết quả (mặc định: outbox)"
    )
    return Option(("--outbox",), {"type": Path, "metavar": FOLDER, "help": said}, _beside("outbox"))


def inbox(
    said: str = "thư mục chứa các tệp đơn vị gửi (mặc định: inbox)", beside_program: bool = True
) -> Option:
    default = _beside("inbox") if beside_program else None
    return Option(("--inbox",), {"type": Path, "metavar": FOLDER, "help": said}, default)


def jobs() -> Option:
    return Option(
        ("--jobs",),
        {
            "type": _positive,
            "metavar": "SỐ",
            "help": "số tiến trình đọc tệp cùng lúc (mặc định: số nhân CPU của máy)",
        },
    )


def templates(of: str) -> Option:
    return Option(
        ("--templates",),
        {"type": Path, "metavar": FOLDER, "help": f"thư mục {of} (mặc định: templates)"},
        _beside("templates"),
    )


def report_date(on: str) -> Option:
    return Option(
        ("--report-date",),
        {
            "type": _date,
            "metavar": "NGÀY",
            "help": f"ngày ghi trên {on}, dạng dd/mm/yyyy (mặc định: hôm nay)",
        },
    )


def document_number() -> Option:
    return Option(
        ("--so",),
        {
            "dest": "document_number",
            "metavar": "SỐ",
            "help": "số văn bản của báo cáo, ví dụ --so 123: ghi ở đầu báo cáo và dưới tên mỗi phụ "
            "lục, bản Word và HTML (mặc định: document_number trong schemas/report.yaml)",
        },
    )


def signer() -> Option:
    return Option(
        ("--nguoi-ky",),
        {
            "dest": "signer",
            "metavar": "HỌ_TÊN",
            "help": 'họ tên người ký báo cáo, ví dụ --nguoi-ky "Trần Thị Bích" (mặc định: signer.name '
            "trong schemas/report.yaml)",
        },
    )


def json() -> Option:
    return Option(
        ("--json",), {"action": "store_true", "help": "in kết quả dạng JSON (cho chương trình khác đọc)"}
    )


def to_mailbox() -> Option:
    return Option(
        ("--to-mailbox",),
        {
            "action": "store_true",
            "help": "đặt thêm các thư soạn sẵn vào thư mục Thư nháp của hộp thư "
            "(IMAP, schemas/mailbox.yaml) để đọc lại và tự bấm Gửi; không bao giờ tự gửi",
        },
    )


def since() -> Option:
    return Option(
        ("--since",),
        {
            "type": _date,
            "metavar": "NGÀY",
            "help": "chỉ lấy thư nhận từ ngày này, dạng dd/mm/yyyy (mặc định: mục since trong "
            "schemas/mailbox.yaml)",
        },
    )


def run_log() -> Option:
    return Option(
        ("--run-log",),
        {
            "type": Path,
            "metavar": "TỆP",
            "help": "nhật ký chạy run-log.jsonl nếu đã chuyển chỗ (mặc định: trong thư mục outbox)",
        },
    )


def files() -> Option:
    return Option(
        ("files",),
        {
            "nargs": "+",
            "type": Path,
            "metavar": "TỆP",
            "help": "tệp bảng tính, thư đã lưu (.eml) hoặc thư mục cần kiểm tra",
        },
    )


def run_folder() -> Option:
    return Option(
        ("folder",),
        {
            "type": Path,
            "metavar": "THƯ_MỤC_KẾT_QUẢ",
            "help": "thư mục kết quả của một lần chạy, ví dụ outbox/2026",
        },
    )


def action(**actions: str) -> Option:
    """The command's action word, each with what it does: ``action(rebuild="...")``."""
    return Option(
        ("action",),
        {
            "choices": list(actions),
            "metavar": "|".join(actions),
            "help": "; ".join(f"{name}: {said}" for name, said in actions.items()),
        },
    )


def unit_list() -> Option:
    return Option(
        ("list",),
        {
            "nargs": "?",
            "type": Path,
            "metavar": "DANH_SÁCH",
            "help": "với use: thư mục có tệp units.yaml (ví dụ presets/khanh-hoa-2025) hoặc tệp units.yaml",
        },
    )


def year_from() -> Option:
    return Option(
        ("--from",),
        {
            "dest": "year_from",
            "type": _year,
            "required": True,
            "metavar": "NĂM",
            "help": "năm đầu của giai đoạn",
        },
    )


def year_to() -> Option:
    return Option(
        ("--to",),
        {
            "dest": "year_to",
            "type": _year,
            "required": True,
            "metavar": "NĂM",
            "help": "năm cuối của giai đoạn",
        },
    )


def for_a_period() -> tuple[Option, ...]:
    """What every command about one period of reports takes, in this order."""
    return (year(), period(), schemas(), debug())
