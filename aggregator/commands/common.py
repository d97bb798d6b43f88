"""What several commands do alike at the boundary: the unit list named, a busy outbox, progress, JSON."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from aggregator import config as config_module
from aggregator import pipeline
from aggregator.config import Config, registry
from aggregator.merging import register
from aggregator.outbox import swap as outbox
from aggregator.pipeline import workers


def registry_line(config: Config) -> str:
    """Which unit list a command uses, and how many units: said by every run and by status."""
    origin = f", chép từ {config.units_origin}" if config.units_origin else ""
    return f"Danh sách đơn vị: {registry.shown(config.units_file)}{origin} ({len(config.units)} đơn vị)."


def has_templates(folder: Path, names: tuple[str, ...]) -> bool:
    """Whether the templates folder holds every file the command renders from (said if not)."""
    missing = [str(folder / name) for name in names if not (folder / name).is_file()]
    if missing:
        print(f"Không thấy mẫu {', '.join(missing)} (thư mục mẫu: --templates {folder}).", file=sys.stderr)
    return not missing


def holding(schemas: Path, name: str) -> Path:
    """The settings folder that holds ``name``: the one given, else the bundled ``schemas/``
    (a folder given with ``--schemas`` needs only the files it changes)."""
    return config_module.source(schemas, name).parent


def busy(outbox_dir: Path) -> int:
    print(
        f"Đang có một lần chạy khác ghi vào {outbox_dir}. Chờ lần đó xong rồi chạy lại "
        f"(nếu chắc chắn không có, xóa tệp {outbox_dir / outbox.LOCK_NAME}).",
        file=sys.stderr,
    )
    return 1


def read_other_periods(outbox_dir: Path | None, year: int, period: str) -> register.OtherPeriods:
    """The register as it is (nothing written), and a damaged one said to staff."""
    other_periods, warnings = pipeline.other_periods_of(outbox_dir, year, period)
    for warning in warnings:
        print(warning, file=sys.stderr)
    return other_periods


def jobs(asked: int | None) -> int:
    """Processes to read with: as asked, else one per CPU this process may use."""
    return asked or workers.cpu_count()


def print_json(data: object) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def progress(desc: str, unit: str) -> Callable[[Iterable[Any], int], Iterable[Any]]:
    """A progress bar on the terminal (none when stderr is not one), for a long loop."""

    def bar(items: Iterable[Any], total: int) -> Iterable[Any]:
        if not sys.stderr.isatty():
            return items
        from tqdm import tqdm  # here: only a terminal shows a bar

        # no progress-bar monitor thread: the run forks worker processes, which want no other threads
        tqdm.monitor_interval = 0
        return tqdm(items, total=total, desc=desc, unit=unit, file=sys.stderr, leave=False)

    return bar
