"""The status and stage codes continuity reads, in one place: workbook.yaml's codes for a model
new this period, one continuing, and the stages in order (``CODES`` has the attributes of
``config.codes``: ``new``, ``continuing``, ``stages``, ``honoured``, ``stage_rank``)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Codes:
    new: str  # "Đăng ký mới"
    continuing: str  # "Duy trì, phát huy"
    stages: tuple[str, ...]  # lowest first
    honoured: str = field(init=False)  # the last stage: "Biểu dương, tôn vinh"

    def __post_init__(self) -> None:
        object.__setattr__(self, "honoured", self.stages[-1])

    def stage_rank(self, code: str | None) -> int | None:
        """Where a stage stands in the order (0 the lowest); None for no stage or an unknown one."""
        return self.stages.index(code) if code in self.stages else None


CODES = Codes(new="new", continuing="continuing", stages=("discovered", "replicated", "honoured"))
