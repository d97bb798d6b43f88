"""The Vietnamese words for the codes the pipeline computes with, in one place."""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import TYPE_CHECKING, Any

from aggregator import periods
from aggregator.text import is_blank

if TYPE_CHECKING:  # for the annotation only: the settings and the labels are independent layers
    from aggregator.config import Config

UNIT_STATUS = {"on_time": "Đúng hạn", "late": "Trễ hạn", "missing": "Chưa gửi", "rejected": "Tệp bị loại"}
FILE_STATUS = {
    "accepted": "Được dùng để tổng hợp",
    "rejected": "Bị loại",
    "superseded": "Đã thay bằng tệp mới hơn",
    "ignored": "Bỏ qua (không phải báo cáo)",
}
SEVERITY = {"error": "Lỗi", "warning": "Lưu ý"}
IDENTIFIED_BY = {
    "code": "mã đơn vị",
    "name": "tên đơn vị",
    "title": "dòng tiêu đề",
    "filename": "tên tệp",
    "sender": "địa chỉ gửi thư",
    "": "",
}
RECEIVED_SOURCE = {
    "report_date": "ngày báo cáo ghi trong tệp",
    "modified": "thời điểm sửa tệp",
    "email": "ngày gửi thư",
}


def period_phrase(period: str) -> str:
    """How the text of a report or letter names the period: "năm" or "6 tháng đầu năm"."""
    return periods.phrase(period)


def date_vn(value: dt.date | str | None) -> str:
    """dd/mm/yyyy, or empty."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    return value.strftime("%d/%m/%Y")


def long_date_vn(value: dt.date) -> str:
    """ "ngày 15 tháng 12 năm 2026", as Party documents write it."""
    return f"ngày {value.day:02d} tháng {value.month:02d} năm {value.year}"


def number_vn(value: float | int, decimals: int = 0) -> str:
    """1.234 and 12,5: Vietnamese separators."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def percent_vn(part: int, whole: int) -> str:
    """One decimal, comma: "81,0%" beside "90,5%"."""
    return number_vn(100 * part / whole if whole else 0, 1) + "%"


# Vietnamese alphabetical order: letters as the alphabet orders them (ă after a, đ after d, …),
# tones second (none, huyền, hỏi, ngã, sắc, nặng), case last. A tailored key, not PyICU: ICU
# is a C library to compile or install apart, for one sort order we can state in 30 lines.
_ALPHABET = tuple("aăâbcdđeêfghijklmnoôơpqrstuưvwxyz")
_LETTER = {letter: n for n, letter in enumerate(_ALPHABET, start=100)}
_SHAPES = {"\u0306": "ă", "\u0302": "â", "\u031b": "ơ"}  # breve, circumflex, horn (on a/e/o/u)
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
# a base letter and the mark on it -> the letter of the alphabet they make
_SHAPED = {
    ("a", "ă"): "ă",
    ("a", "â"): "â",
    ("e", "â"): "ê",
    ("o", "â"): "ô",
    ("o", "ơ"): "ơ",
    ("u", "ơ"): "ư",
}


def sort_key(text: str) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """A key that sorts Vietnamese text as a Vietnamese reader expects ("Ánh" before "Bình")."""
    primary: list[int] = []
    tones: list[int] = []
    cases: list[int] = []
    for ch in unicodedata.normalize("NFD", text):
        if ch in _TONES:
            if tones:
                tones[-1] = _TONES[ch]
            continue
        if ch in _SHAPES and primary and primary[-1] >= 100:
            base = _ALPHABET[primary[-1] - 100]
            shaped = _SHAPED.get((base, _SHAPES[ch]))
            if shaped:
                primary[-1] = _LETTER[shaped]
            continue
        lower = ch.lower()
        primary.append(_LETTER.get(lower, ord(lower) if ord(lower) < 100 else 1000 + ord(lower)))
        tones.append(0)
        cases.append(0 if ch == lower else 1)
    return tuple(primary), tuple(tones), tuple(cases)


class Labels:
    """Code → label for every closed list in the schemas."""

    def __init__(self, config: Config):
        self.config = config
        self.choices: dict[str, dict[Any, str]] = {
            c.key: {x.code: x.label for x in c.choices} for c in config.columns if c.choices
        }
        self.choices["subject"] = {s.code: s.label for s in config.subjects}
        self.fields = {f.code: f.name for f in config.fields}
        self.units = {u.code: u.name for u in config.units}

    def value(self, key: str, value: Any) -> Any:
        """A record's value as a person reads it."""
        if value is None or is_blank(value) or (isinstance(value, float) and value != value):
            return ""
        if key == "field":
            return f"{int(value)}. {self.fields.get(int(value), '')}"
        if key in self.choices:
            return self.choices[key].get(value, value)
        if hasattr(value, "item"):  # numpy scalars
            value = value.item()
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value
