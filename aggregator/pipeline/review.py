"""The review of several years (``aggregate.py review``) as one library call: ``review``.

The register brought up to date with the period folders (holding the outbox lock) → the span's
figures (``merging.review.load_span``) → every output written into a hidden folder by
``_write_outputs``, then the manifest and SHA256SUMS (``outbox.write.seal``) → one line in the
run log → the folder swapped in whole as ``outbox/tong-ket-<from>-<to>/`` (the previous one
archived in ``luu-tru/``), exactly as a December run's folder is. Same register, options and
report date: the same bytes.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aggregator import hashing, periods
from aggregator.config import Config
from aggregator.merging import register, summarise
from aggregator.merging.review import NothingHeld, Span, load_span
from aggregator.model import SAMPLE_MARKER, Period
from aggregator.outbox import swap
from aggregator.outbox import write as outputs
from aggregator.rendering import book
from aggregator.rendering import review as rendering

HTML = "bao-cao-tong-ket.html"
DOCX = "bao-cao-tong-ket.docx"
CHARTS = "bieu-do"  # each chart of the report also as a file of its own (SVG and PNG)
# its file's name: its number in the report ("Biểu đồ 1. …") and what it shows, in Vietnamese
CHART_FILES = {
    "years": "bieu-do-1-mo-hinh-qua-cac-nam",
    "fields": "bieu-do-2-mo-hinh-theo-linh-vuc",
    "replications": "bieu-do-3-noi-nhan-rong-qua-cac-nam",
}
TEMPLATES = (*rendering.TEMPLATES, *book.TEMPLATES)  # what the review renders from ``--templates``

__all__ = [
    "CHARTS",
    "DOCX",
    "HTML",
    "NothingHeld",
    "Options",
    "Reviewed",
    "command",
    "nothing_held",
    "review",
    "said",
]


@dataclass(frozen=True)
class Options:
    """What a review is asked: the span, the period kind, and where it reads and writes."""

    outbox: Path
    year_from: int
    year_to: int
    period: str
    templates: Path
    report_date: dt.date


@dataclass
class Reviewed:
    """A finished review: its folder, its figures, and what staff must know (the register's
    notices: a period file left out)."""

    folder: Path
    span: Span
    warnings: list[str] = field(default_factory=list)
    staff_notes: list[str] = field(default_factory=list)  # what to do before signing


def review(config: Config, options: Options) -> Reviewed:
    """The review of ``options``' span into its folder of the outbox. Raises ``NothingHeld``
    when the register holds no year of the span (nothing is written), and
    ``swap.OutboxBusy`` when another run holds the outbox."""
    started = dt.datetime.now().astimezone()
    name = periods.review_folder_name(options.year_from, options.year_to, options.period)
    if not any(
        period == options.period and options.year_from <= year <= options.year_to
        for year, period in register.period_folders(options.outbox)
    ):  # said before the outbox is locked, or even made
        raise NothingHeld(f"{options.year_from}-{options.year_to}")
    found: dict[str, Any] = {}

    def build(staging: Path) -> None:  # holding the outbox lock
        notices = register.refresh(options.outbox)[1]  # brought up to date, as a run does
        span = load_span(options.outbox, config, options.year_from, options.year_to, options.period)
        warnings = list(dict.fromkeys([*notices, *span.notices]))
        notes = summarise.staff_notes(config, [])  # a placeholder number or signer
        written = _write_outputs(staging, span, config, options)
        outputs.seal(staging, written, _manifest(span, config, options, [*warnings, *notes]))
        _log(options, started, staging, name, span)  # logged before the folder takes its name
        found.update(span=span, warnings=warnings, notes=notes)

    folder = swap.publish(options.outbox, name, build)
    return Reviewed(folder, found["span"], found["warnings"], found["notes"])


def _write_outputs(staging: Path, span: Span, config: Config, options: Options) -> list[Path]:
    """Every file of the review into the staging folder (the manifest and sums come after):
    the report in HTML and Word, its charts, and the book of models. One more writer of files is
    one more line."""
    model = rendering.context(span, config, options.report_date, _sample(options.outbox, span))
    written = rendering.render(options.templates, model, staging, HTML, DOCX)
    (staging / CHARTS).mkdir()
    for key, chart in sorted(model["charts"].items()):
        for suffix, data in ((".svg", chart.svg.encode("utf-8")), (".png", chart.png)):
            path = staging / CHARTS / f"{CHART_FILES[key]}{suffix}"
            path.write_bytes(data)
            written.append(path)
    # the book of models, for the press and the portal (so-tay-mo-hinh.docx, so-tay/, du-lieu-mo/)
    held = list(span.years_held)
    chosen = book.write(
        span.rows, held, config, staging, templates=options.templates, date=options.report_date
    )
    return written + [staging / path for path in chosen]


def _sample(outbox: Path, span: Span) -> bool:
    """Whether a period read was run on sample data (its manifest left the sample marker alone):
    the review then says at its top that it is a sample, as that period's report did."""
    for source in span.sources:
        try:
            record = json.loads((outbox / source.folder / swap.MANIFEST).read_text(encoding="utf-8"))
            if any(i.get("path") == SAMPLE_MARKER for i in record.get("ignored", [])):
                return True
        except (OSError, ValueError, AttributeError):
            continue  # no manifest to tell: taken as the Board's data
    return False


def _manifest(span: Span, config: Config, options: Options, notes: list[str]) -> dict[str, Any]:
    """What the review was made from: the period files of the register (each by its path in the
    outbox, with its SHA-256), the years missing, the options, and what produced it."""
    return {
        "program": outputs.program(),
        "run": {
            "kind": swap.REVIEW,
            "year_from": span.year_from,
            "year_to": span.year_to,
            "period": span.period,
            "report_date": options.report_date.isoformat(),
            "outbox": str(options.outbox.resolve()),
            "schemas": str(config.folder.resolve()),
            "templates": str(options.templates.resolve()),
            "years_held": list(span.years_held),
            "years_missing": list(span.years_missing),
        },
        "schemas": config.hashes,
        "registry": {
            "file": str(config.units_file.resolve()),
            "origin": config.units_origin or None,
            "units": len(config.units),
        },
        # the register's sources: verify re-hashes each in the outbox
        "inputs": [
            {
                "path": f"{s.folder}/{register.PERIOD_FILE}",
                "sha256": s.sha256,
                "year": s.year,
                "period": span.period,
                "models": s.models,
            }
            for s in span.sources
        ],
        "files": [],
        "staff_notes": notes,
    }


def _log(options: Options, started: dt.datetime, staging: Path, name: str, span: Span) -> None:
    swap.append_log(
        options.outbox,
        {
            "event": swap.REVIEW,
            "kind": swap.REVIEW,
            "started": started.isoformat(timespec="seconds"),
            "finished": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "folder": name,
            "year_from": span.year_from,
            "year_to": span.year_to,
            "period": span.period,
            "models": span.total_models,
            "manifest_sha256": hashing.sha256(staging / swap.MANIFEST),
            "sums_sha256": hashing.sha256(staging / swap.CHECKSUMS),
        },
    )


def said(done: Reviewed) -> list[str]:
    """What staff read at the end of a review: the years missing named, the files written."""
    span = done.span
    lines = [
        f"Đã tổng kết giai đoạn {span.year_from} - {span.year_to} từ sổ theo dõi mô hình: "
        f"có số liệu {'các năm' if len(span.years_held) > 1 else 'năm'} "
        f"{', '.join(map(str, span.years_held))}; "
        f"{span.total_models} mô hình, điển hình khác nhau."
    ]
    lines += [
        f"  Năm {y}: chưa có dữ liệu trong sổ mô hình (không tính trong báo cáo)"
        + (
            ": kết quả kỳ này có trong thư mục kết quả nhưng bị hỏng hoặc đã bị sửa;"
            " chạy lại kỳ đó rồi tổng kết lại."
            if y in span.years_damaged
            else "."
        )
        for y in span.years_missing
    ]
    lines += [
        f"  Báo cáo (Word, để sửa và ký): {done.folder / DOCX}",
        f"  Báo cáo (xem, in): {done.folder / HTML}",
        f"  Sổ tay mô hình, điển hình (Word, để in): {done.folder / book.DOCX}",
        f"  Sổ tay cho cổng thông tin (mở bằng trình duyệt): {done.folder / book.CATALOGUE / 'index.html'}",
        f"  Dữ liệu mở (CSV, JSON): {done.folder / book.OPEN_DATA}",
        *(["Việc cần làm trước khi trình ký:"] if done.staff_notes else []),
        *(f"  - {note}" for note in done.staff_notes),
        f"Mã SHA-256 của {done.folder / swap.MANIFEST} (ghi lại vào sổ, để sau này đối chiếu bằng lệnh "
        f"verify): {hashing.sha256(done.folder / swap.MANIFEST)}",
    ]
    return lines


def nothing_held(year_from: int, year_to: int, outbox: Path, period: str) -> str:
    """Why a review wrote nothing: no year of its span in the register (for this period kind;
    the other kind's, if the outbox has them, pointed to)."""
    kind, other = ("năm", Period.HALF_YEAR) if period == Period.ANNUAL else ("6 tháng", Period.ANNUAL)
    others = sorted(y for y, p in register.period_folders(outbox) if p == other and year_from <= y <= year_to)
    hint = (
        f" Có số liệu kỳ {'6 tháng' if other == Period.HALF_YEAR else 'năm'} các năm "
        f"{', '.join(map(str, others))}: thêm --period {other} để tổng kết các kỳ đó."
        if others
        else ""
    )
    run = f"python aggregate.py --year {year_from}" + (
        "" if period == Period.ANNUAL else " --period half_year"
    )
    return (
        f"Sổ theo dõi mô hình ({outbox / register.DB_NAME}) chưa có số liệu kỳ {kind} của năm nào từ "
        f"{year_from} đến {year_to}: chưa tổng hợp kỳ báo cáo nào của các năm này vào {outbox}. "
        f'Tổng hợp từng năm trước ("{run}" …), rồi chạy lại lệnh review. Không ghi tệp nào.{hint}'
    )


def command(config: Config, options: Options) -> int:
    """``aggregate.py review`` at the boundary, with typed arguments: what staff read, and the
    exit code (0 written, even with years missing; 2 bad span, templates missing, or no year
    held). Raises ``swap.OutboxBusy`` when another run holds the outbox."""
    if options.year_to < options.year_from:
        print(
            f"Lỗi cách dùng: năm cuối (--to {options.year_to}) trước năm đầu (--from {options.year_from}) "
            "của giai đoạn: đổi chỗ hai năm.",
            file=sys.stderr,
        )
        return 2
    if options.year_to > options.report_date.year:  # "--to 2100": a review of years to come
        print(
            f"Lỗi cách dùng: năm cuối của giai đoạn (--to {options.year_to}) sau năm lập báo cáo "
            f"({options.report_date.year}, theo --report-date hoặc hôm nay): chỉ tổng kết được những "
            "năm đã qua hoặc đang diễn ra. Không ghi tệp nào.",
            file=sys.stderr,
        )
        return 2
    missing = [str(options.templates / n) for n in TEMPLATES if not (options.templates / n).is_file()]
    if missing:
        print(
            f"Không thấy mẫu {', '.join(missing)} (thư mục mẫu: --templates {options.templates}).",
            file=sys.stderr,
        )
        return 2
    try:
        done = review(config, options)
    except NothingHeld:
        print(
            nothing_held(options.year_from, options.year_to, options.outbox, options.period), file=sys.stderr
        )
        return 2
    for warning in done.warnings:
        print(warning, file=sys.stderr)
    print("\n".join(said(done)))
    return 0
