"""The book of models' settings (``book:`` in schemas/report.yaml): which models it publishes.

A model of the span goes into the book when it meets at least one of the criteria written
there; a criterion left out is not considered. Read by ``ReportSettings.from_yaml``; the shape
is checked by ``SCHEMA`` (part of ``descriptors.REPORT``) before it is parsed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# what each criterion means, for the book's own sentence on how its models were chosen
CRITERIA = {
    "honoured": 'đã đạt giai đoạn "Biểu dương, tôn vinh"',
    "reward_decision": "được khen thưởng có số, ngày quyết định",
    "replications": "được nhân rộng ở ít nhất {n} nơi",
    "years": "được duy trì, báo cáo ít nhất {n} năm",
}

# each criterion's short name, for the open data's CSV cell "Tiêu chí được chọn"
LABELS = {
    "honoured": "Biểu dương, tôn vinh",
    "reward_decision": "Khen thưởng có quyết định",
    "replications": "Nhân rộng nhiều nơi",
    "years": "Duy trì nhiều năm",
}

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "minLength": 1},
        "subtitle": {"type": "string", "minLength": 1},
        "criteria": {
            "type": "object",
            "minProperties": 1,
            "properties": {
                "honoured": {"enum": [True]},
                "reward_decision": {"enum": [True]},
                "replications": {"type": "integer", "minimum": 1},
                "years": {"type": "integer", "minimum": 1},
            },
            "additionalProperties": False,
        },
    },
    "additionalProperties": False,
}


@dataclass(frozen=True)
class Book:
    """Which models the book publishes, and its cover's words. Every default is here."""

    title: str = "SỔ TAY MÔ HÌNH, ĐIỂN HÌNH"
    subtitle: str = "trong học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh"
    honoured: bool = True  # reached "Biểu dương, tôn vinh" in a period of the span
    reward_decision: bool = True  # rewarded with a decision's number and date
    replications: int | None = 3  # replicated in at least this many places (latest period)
    years: int | None = 2  # reported in at least this many years of the span

    def sentences(self) -> list[str]:
        """The criteria in force, in Vietnamese, in the order of ``CRITERIA``."""
        said = []
        for key, text in CRITERIA.items():
            value = getattr(self, key)
            if value:
                said.append(text.format(n=value))
        return said


def parse_book(raw: dict[str, Any]) -> Book:
    """``book:`` as loaded and checked against ``SCHEMA``: a criteria list replaces the defaults."""
    criteria = raw.get("criteria")
    chosen: dict[str, Any] = {}
    if criteria is not None:
        off = {"honoured": False, "reward_decision": False, "replications": None, "years": None}
        chosen = {key: criteria.get(key, off[key]) for key in CRITERIA}
    return Book(**{k: raw[k] for k in ("title", "subtitle") if k in raw}, **chosen)
