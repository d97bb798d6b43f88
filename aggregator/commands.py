"""What each command does at the boundary: paths, progress, and what staff read at the end."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import sqlite3
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tqdm import tqdm

from aggregator import config as config_module
from aggregator import pipeline
from aggregator.checking.identify import describe
from aggregator.config import Config, registry
from aggregator.hashing import sha256
from aggregator.intake import mailbox
from aggregator.labels import FILE_STATUS, SEVERITY, UNIT_STATUS, date_vn
from aggregator.merging import register
from aggregator.model import FileOutcome, FileStatus, Period
from aggregator.outbox import swap as outbox
from aggregator.outbox import verify
from aggregator.outbox import write as outputs
from aggregator.pipeline import aggregate, outreach, workers
from aggregator.pipeline.single import EMPTY_FOLDER, NOT_FOUND, Checked
from aggregator.rendering import drafts

# no progress-bar monitor thread: the run forks worker processes, which want no other threads
tqdm.monitor_interval = 0


def run(args: argparse.Namespace, config: Config) -> int:
    """The December job: inbox in, report and workbooks out."""
    if not args.inbox.is_dir():
        print(
            f"Không thấy thư mục hộp thư đến {args.inbox}. Tạo thư mục này và lưu các tệp đơn vị gửi vào đó.",
            file=sys.stderr,
        )
        return 2
    if not _has_templates(args.templates, outputs.TEMPLATES):
        return 2
    if getattr(args, "to_mailbox", False):
        mailbox.load_settings(
            _holding(args.schemas, mailbox.SETTINGS_FILE)
        )  # a broken mailbox.yaml said before the long run
    config = signed_by(config, args)

    def progress(outcomes: Iterable[FileOutcome], total: int) -> Iterable[FileOutcome]:
        return tqdm(
            outcomes,
            total=total,
            desc="Đang đọc",
            unit=" tệp",
            file=sys.stderr,
            leave=False,
            disable=not sys.stderr.isatty(),
        )

    try:
        published = pipeline.run(
            config,
            args.inbox,
            args.outbox,
            args.year,
            args.period,
            args.templates,
            args.report_date or dt.date.today(),
            jobs=_jobs(args),
            progress=progress,
        )
    except outbox.OutboxBusy:
        return _busy(args.outbox)
    folder, result = published.folder, published.result
    for warning in published.warnings:
        print(warning, file=sys.stderr)
    if args.json:
        _print_json(
            {
                "outbox": str(folder),
                "year": args.year,
                "period": args.period,
                "outputs": sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()),
                **{k: result.summary[k] for k in ("totals", "rows", "files")},
                "problems": _problem_counts(result.outcomes),
                "manifest_sha256": sha256(folder / outbox.MANIFEST),
            }
        )
    else:
        _closing(result.summary, folder, config)
        _staff_notes(published.staff_notes)
        print(
            f"Mã SHA-256 của {folder / outbox.MANIFEST} (ghi lại vào sổ, để sau này đối chiếu bằng "
            f"lệnh verify): {sha256(folder / outbox.MANIFEST)}"
        )
    if getattr(args, "to_mailbox", False):
        return to_mailbox(args, folder / outputs.FEEDBACK, "thư phản hồi")
    return 0


def signed_by(config: Config, args: argparse.Namespace) -> Config:
    """The document number and the signer given on the command line (``--so``, ``--nguoi-ky``)
    in place of report.yaml's: entered once, they reach every place the report prints them."""
    number = (getattr(args, "document_number", None) or "").strip()
    name = " ".join((getattr(args, "signer", None) or "").split())
    if not number and not name:
        return config
    report = config.report
    return dataclasses.replace(
        config,
        report=dataclasses.replace(
            report,
            document_number=number or report.document_number,
            signer=dataclasses.replace(report.signer, name=name or report.signer.name),
        ),
    )


def _has_templates(folder: Path, names: tuple[str, ...]) -> bool:
    """Whether the templates folder holds every file the command renders from (said if not)."""
    missing = [str(folder / name) for name in names if not (folder / name).is_file()]
    if missing:
        print(f"Không thấy mẫu {', '.join(missing)} (thư mục mẫu: --templates {folder}).", file=sys.stderr)
    return not missing


def _holding(schemas: Path, name: str) -> Path:
    """The settings folder that holds ``name``: the one given, else the bundled ``schemas/``
    (a folder given with ``--schemas`` needs only the files it changes)."""
    return config_module.source(schemas, name).parent


def registry_line(config: Config) -> str:
    """Which unit list a command uses, and how many units: said by every run and by status."""
    origin = f", chép từ {config.units_origin}" if config.units_origin else ""
    return f"Danh sách đơn vị: {registry.shown(config.units_file)}{origin} ({len(config.units)} đơn vị)."


def use_registry(args: argparse.Namespace) -> int:
    """The unit list every command uses, chosen once: copied into the settings folder."""
    chosen = registry.use(args.list, args.schemas, dt.date.today())
    if chosen.unchanged:
        print(f"Danh sách {chosen.origin} ({chosen.units} đơn vị) đã là danh sách đang dùng ({chosen.path}).")
        return 0
    print(
        f"Đã chọn danh sách đơn vị {chosen.origin} ({chosen.units} đơn vị): chép vào "
        f"{registry.shown(chosen.path)}."
    )
    print(
        "  Từ nay mọi lệnh (run, status, remind, check, template, fetch, register) dùng danh "
        "sách này, không cần thêm --schemas."
    )
    if chosen.backup is not None:
        print(f"  Danh sách trước được giữ ở {registry.shown(chosen.backup)}.")
    return 0


def show_registry(args: argparse.Namespace, config: Config) -> int:
    print(registry_line(config))
    return 0


def _staff_notes(notes: list[str]) -> None:
    """What staff should do next: said here and in the manifest, never in the report."""
    if notes:
        print("Việc cần làm trước khi trình ký, gửi thư:")
        for note in notes:
            print(f"  - {note}")


def _busy(outbox_dir: Path) -> int:
    print(
        f"Đang có một lần chạy khác ghi vào {outbox_dir}. Chờ lần đó xong rồi chạy lại "
        f"(nếu chắc chắn không có, xóa tệp {outbox_dir / outbox.LOCK_NAME}).",
        file=sys.stderr,
    )
    return 1


def _read_history(outbox_dir: Path | None, year: int, period: str) -> register.History:
    """The register as it is (nothing written), and a damaged one said to staff."""
    history, warnings = pipeline.history_of(outbox_dir, year, period)
    for warning in warnings:
        print(warning, file=sys.stderr)
    return history


def _jobs(args: argparse.Namespace) -> int:
    """Processes to read with: as asked, else one per CPU this process may use."""
    return args.jobs or workers.cpu_count()


def _print_json(data: object) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _problem_counts(outcomes: list[FileOutcome]) -> dict[str, int]:
    found = [p for o in outcomes for p in o.problems]
    return {"errors": sum(p.is_error for p in found), "warnings": sum(not p.is_error for p in found)}


def _closing(summary: dict, folder: Path, config: Config) -> None:
    t, rows, files = summary["totals"], summary["rows"], summary["files"]
    print(f"Đã tổng hợp kỳ {'năm' if summary['period'] == Period.ANNUAL else '6 tháng'} {summary['year']}:")
    print(f"  {registry_line(config)}")
    print(
        f"  Đơn vị: {t['units_expected']} phải báo cáo; {t['units_on_time']} đúng hạn, "
        f"{t['units_late']} trễ hạn, {t['units_missing']} chưa gửi, "
        f"{t['units_rejected']} có tệp bị loại."
    )
    print(f"  Mô hình, điển hình được tính: {t['models']}; dòng bị loại: {rows['rejected']}.")
    print(
        f"  Tệp: {files['accepted']} dùng, {files['superseded']} được thay bằng tệp mới hơn, "
        f"{files['rejected']} bị loại, {files['ignored']} bỏ qua."
    )
    print(f"  Báo cáo (Word, để sửa và ký): {folder / outputs.REPORT_DOCX}")
    print(f"  Báo cáo (xem, in): {folder / outputs.REPORT_HTML}")
    print(f"  Tệp tổng hợp: {folder / outputs.MASTER}")
    if (folder / outputs.FEEDBACK).is_dir():
        print(f"  Tệp phản hồi gửi các đơn vị: {folder / outputs.FEEDBACK}")


def make_templates(args: argparse.Namespace, config: Config) -> int:
    """Standard workbooks for every unit, ready to send out."""
    made = outreach.templates(config, args.outbox, args.year, args.period)
    print(f"Đã tạo {len(made.written)} biểu mẫu (mỗi đơn vị một tệp và một tệp trống) trong {made.folder}.")
    print(f"  {registry_line(config)}")
    if made.source:
        periods = {(m["year"], m["period"]) for models in made.models.values() for m in models[:1]}
        said = (
            f"của kỳ {config.period_label(made.source[1]).lower()} {made.source[0]}"
            if len(periods) == 1
            else "của kỳ gần nhất mỗi đơn vị đã báo cáo"
        )
        print(
            f"Biểu mẫu của {len(made.models)} đơn vị đã điền sẵn {sum(map(len, made.models.values()))} "
            f"mô hình, điển hình {said} (theo sổ theo dõi mô hình)."
        )
    return 0


def check(args: argparse.Namespace, config: Config) -> int:
    """Problems of single files, for staff looking at one email; exit 1 if any has an error."""
    history = _read_history(args.outbox, args.year, args.period)
    failed = False
    report: list[dict[str, Any]] = []  # one entry per file, for --json
    for entry in pipeline.check(config, args.files, args.year, args.period, history, args.outbox):
        outcome = entry.outcome
        if entry.kind == NOT_FOUND:
            failed = True
            report.append({"file": entry.name, "status": NOT_FOUND, "problems": []})
        elif entry.kind == FileStatus.IGNORED and outcome is None:
            report.append(
                {"file": entry.name, "status": FileStatus.IGNORED, "reason": entry.reason, "problems": []}
            )
        elif entry.kind == EMPTY_FOLDER:
            report.append({"file": entry.name, "status": EMPTY_FOLDER, "problems": []})
        elif outcome is not None:
            failed = failed or outcome.status == FileStatus.REJECTED or outcome.rows_invalid > 0
            report.append(
                {
                    "file": entry.name,
                    "status": outcome.status,
                    "unit": outcome.unit,
                    "rows_read": outcome.rows_read,
                    "rows_valid": outcome.rows_valid,
                    "rows_invalid": outcome.rows_invalid,
                    "identification": outcome.identification or None,
                    "problems": [p.to_dict() for p in outcome.problems],
                }
            )
        if not args.json:
            _print_check(entry, config)
    if args.json:
        _print_json(report)
    return 1 if failed else 0


def _print_check(entry: Checked, config: Config) -> None:
    name, outcome = entry.name, entry.outcome
    if entry.kind == NOT_FOUND:
        print(f"{name}: không thấy tệp.")
        return
    if entry.kind == EMPTY_FOLDER:
        print(f"{name}: thư mục không có tệp nào.")
        return
    if outcome is None:  # left alone by its name
        print(f"{name}: bỏ qua, không đọc — {entry.reason}.")
        return
    if outcome.status == FileStatus.IGNORED:  # (a saved email with nothing attached says so)
        print(f"{name}: {FILE_STATUS[FileStatus.IGNORED].lower()}.")
        for p in outcome.problems:
            print(f"  [{SEVERITY[p.severity]}] {p.message}")
        return
    unit = config.unit(outcome.unit).name if outcome.unit else "không rõ đơn vị"
    verdict = "BỊ LOẠI" if outcome.status == FileStatus.REJECTED else "dùng được"
    rows = (
        f"; {outcome.rows_read} dòng, {outcome.rows_valid} hợp lệ, {outcome.rows_invalid} có lỗi"
        if outcome.tables
        else ""
    )
    print(f"{name}: {verdict} — {unit}{rows}.")
    if outcome.identification:
        print(f"  Căn cứ xác định đơn vị: {describe(outcome.identification, config)}.")
    for p in outcome.problems:
        where = f" {p.cell}" if p.cell else ""
        print(f"  [{SEVERITY[p.severity]}]{where} {p.message}")


def verify_run(args: argparse.Namespace) -> int:
    """Whether a run's inputs and outputs are unchanged since it was written."""
    if not args.folder.is_dir():
        print(f"Không thấy thư mục kết quả {args.folder}.", file=sys.stderr)
        return 2
    try:
        verdict = verify.verify(args.folder, args.inbox, args.run_log)
    except verify.NotARun as not_a_run:
        print(
            f"{args.folder} không phải thư mục kết quả của một lần tổng hợp ("
            + (not_a_run.why or "thiếu manifest.json hoặc SHA256SUMS")
            + ").",
            file=sys.stderr,
        )
        return 2
    for kind, label in (("inputs", "Tệp đầu vào"), ("outputs", "Tệp kết quả")):
        print(
            f"{label}: {len(verdict.matched[kind])} khớp, {len(verdict.changed[kind])} đã "
            f"thay đổi, {len(verdict.missing[kind])} không còn."
        )
        for name in verdict.changed[kind]:
            print(f"  Đã thay đổi: {name}")
        for name in verdict.missing[kind]:
            print(f"  Không còn: {name}")
    for names, label in (
        (verdict.unlisted, "Tệp lạ (không có trong manifest.json và SHA256SUMS)"),
        (
            verdict.unsummed,
            "Tệp kết quả có trong manifest.json nhưng thiếu trong SHA256SUMS (hoặc ghi mã khác)",
        ),
        (verdict.outside, "Đường dẫn trỏ ra ngoài thư mục (bị từ chối)"),
        (verdict.added, "Tệp mới trong thư mục đầu vào từ sau lần tổng hợp (chạy lại sẽ xét tệp này)"),
    ):
        for name in names:
            print(f"  {label}: {name}")
    print(f"Mã SHA-256 của manifest.json: {verdict.manifest_sha256}")
    if verdict.log is None:
        print(
            "  Không thấy nhật ký chạy run-log.jsonl (chỉ định bằng --run-log): không chứng minh "
            "được manifest.json và SHA256SUMS chưa bị viết lại cùng nhau."
        )
    elif verdict.manifest_logged is None:
        print(f"  manifest.json KHÔNG khớp lần chạy nào trong nhật ký {verdict.log}: đã bị viết lại.")
    else:
        print(f"  Khớp nhật ký chạy {verdict.log} (lần chạy lúc {verdict.manifest_logged}).")
        if verdict.sums_logged is False:
            print(
                "  SHA256SUMS KHÔNG khớp nhật ký chạy: đã bị viết lại sau lần chạy (hoặc lần soạn thư nhắc)."
            )
        elif verdict.sums_logged is None:
            print(
                "  Nhật ký (phiên bản cũ) không ghi mã SHA256SUMS: tệp này chỉ được đối chiếu "
                "với manifest.json."
            )
    touched = (
        any(verdict.changed.values())
        or any(verdict.missing.values())
        # the manifest or the sums rewritten since the run, as its log tells
        or (verdict.log is not None and (verdict.manifest_logged is None or verdict.sums_logged is False))
    )
    print(
        "Mọi tệp còn nguyên như lúc tổng hợp."
        if verdict.intact
        else "CÓ TỆP ĐÃ THAY ĐỔI HOẶC MẤT SAU LẦN TỔNG HỢP NÀY."
        if touched
        else "CÁC TỆP CỦA LẦN TỔNG HỢP CÒN NGUYÊN, NHƯNG THƯ MỤC CÓ ĐIỀU BẤT THƯỜNG (xem trên)."
    )
    return 0 if verdict.intact else 1


def status(args: argparse.Namespace, config: Config) -> int:
    """Which units have sent, when, and who is still missing, as of today."""
    if not args.inbox.is_dir():
        print(f"Không thấy thư mục hộp thư đến {args.inbox}.", file=sys.stderr)
        return 2
    today = dt.date.today()  # no unit is late before the deadline: nothing is received after today
    result = aggregate(
        config,
        args.inbox,
        args.year,
        args.period,
        jobs=_jobs(args),
        outbox=args.outbox,
        as_of=today,
        history=_read_history(args.outbox, args.year, args.period),
    )
    left = (result.deadline - today).days
    period = config.period_label(args.period).lower()
    print(
        f"Tình hình nhận báo cáo kỳ {period} {args.year} đến ngày {date_vn(today)} "
        f"(hạn {date_vn(result.deadline)}, "
        + (f"còn {left} ngày)" if left >= 0 else f"đã quá hạn {-left} ngày)")
    )
    print(registry_line(config))
    width = max(len(u.name) for u in result.statuses)
    print(f"{'TT':>3}  {'Đơn vị':<{width}}  {'Tình trạng':<12}  {'Ngày nhận':<10}  Số mô hình")
    for n, unit in enumerate(result.statuses, start=1):
        print(
            f"{n:>3}  {unit.name:<{width}}  {UNIT_STATUS[unit.status]:<12}  "
            f"{date_vn(unit.received):<10}  {unit.models if unit.used else ''}"
        )
    waiting = [u.name for u in result.statuses if u.waiting]
    print(
        f"Còn {len(waiting)} đơn vị chưa có báo cáo dùng được: " + ", ".join(waiting) + "."
        if waiting
        else "Mọi đơn vị đã có báo cáo dùng được."  # never "Còn 0 đơn vị"
    )
    earlier = sum(bool(i.earlier) for i in result.ignored)
    if earlier:
        print(f"Bỏ qua {earlier} tệp đã tổng hợp ở các kỳ trước (cứ để trong inbox, không cần xóa).")
    return 0


def remind(args: argparse.Namespace, config: Config) -> int:
    """A ready-to-send reminder for each unit still missing, its own workbook attached."""
    if not _has_templates(args.templates, (drafts.REMINDER,)):
        return 2
    if getattr(args, "to_mailbox", False):
        mailbox.load_settings(
            _holding(args.schemas, mailbox.SETTINGS_FILE)
        )  # a broken mailbox.yaml said before the drafts
    try:
        done = outreach.reminders(
            config,
            args.inbox,
            args.outbox,
            args.templates,
            args.year,
            args.period,
            args.report_date or dt.date.today(),
            jobs=_jobs(args),
        )
    except outbox.OutboxBusy:
        return _busy(args.outbox)
    for warning in done.warnings:
        print(warning, file=sys.stderr)
    print(
        f"Đã soạn {len(done.waiting)} thư nhắc trong {done.folder}"
        + (": " + ", ".join(u.name for u in done.waiting) + "." if done.waiting else ".")
    )
    if done.from_sender:
        print(
            "  Gửi đến địa chỉ đơn vị đã dùng để gửi báo cáo (chưa đăng ký; nên bổ sung vào mục "
            f"emails của danh sách đơn vị): {', '.join(done.from_sender)}."
        )
    if done.unaddressed:
        print(
            f'  Chưa có địa chỉ người nhận của {len(done.unaddressed)} đơn vị (điền ô "Đến" '
            f"trước khi gửi): {', '.join(done.unaddressed)}."
        )
    if getattr(args, "to_mailbox", False):
        return to_mailbox(args, done.folder, "thư nhắc")
    return 0


def rebuild_register(args: argparse.Namespace, config: Config) -> int:
    """The register of models written afresh from the period folders of the outbox."""
    if not args.outbox.is_dir():
        print(f"Không thấy thư mục kết quả {args.outbox}.", file=sys.stderr)
        return 2
    try:
        with outbox.locked(args.outbox):
            path = register.rebuild(args.outbox)
    except outbox.OutboxBusy:
        return _busy(args.outbox)
    except (OSError, sqlite3.Error) as exc:
        where = args.outbox / register.DB_NAME
        print(
            f"Không ghi được sổ theo dõi mô hình {where} ({type(exc).__name__}: {exc}). Kiểm tra: "
            f"tên đó không phải một thư mục, thư mục {args.outbox} cho phép ghi, không chương trình "
            f"nào đang mở sổ; rồi chạy lại lệnh này. Các lần tổng hợp vẫn chạy được (dùng bản tạm).",
            file=sys.stderr,
        )
        return 1
    held = register.periods_held(path)  # what the register holds: damaged folders left out
    print(
        f"Đã lập lại sổ theo dõi mô hình {path} từ {len(held)} kỳ báo cáo"
        + (": " + ", ".join(held) + "." if held else ".")
    )
    return 0


def fetch(args: argparse.Namespace, config: Config) -> int:
    """The units' emails from the Board's mailbox into the inbox, each once, nothing changed there."""
    settings = mailbox.load_settings(_holding(args.schemas, mailbox.SETTINGS_FILE))

    def progress(items: Iterable[Any], total: int) -> Iterable[Any]:
        return tqdm(
            items,
            total=total,
            desc="Đang tải thư",
            unit=" thư",
            file=sys.stderr,
            leave=False,
            disable=not sys.stderr.isatty(),
        )

    try:
        client, reconnect = mailbox.sessions(settings)
        try:
            result = mailbox.fetch(client, settings, args.inbox, args.since, progress, reconnect)
        finally:
            mailbox.close(client)
    except mailbox.MailboxError as exc:
        print(f"Lỗi hộp thư: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(
            "Đã dừng theo yêu cầu. Các thư đã lưu vào inbox đều trọn vẹn; chạy lại lệnh fetch "
            "để lấy tiếp (thư đã có không bị lưu trùng).",
            file=sys.stderr,
        )
        return 1
    since = args.since or settings.since
    print(
        f'Hộp thư {settings.user}, thư mục "{settings.folder}", thư nhận từ '
        f"{date_vn(since)}: {result.found} thư."
    )
    print(f"  Mới lưu vào {args.inbox}: {len(result.saved)} thư.")
    print(f"  Đã có sẵn trong inbox (không lưu lại): {result.already} thư.")
    if result.unreadable:
        print(
            f"  Trong đó {len(result.unreadable)} thư không đọc được cấu trúc, đã lưu nguyên "
            "trạng để lần tổng hợp ghi lý do: " + ", ".join(result.unreadable)
        )
    print(
        f"  Không có bảng tính hay tệp nén đính kèm (không lưu; xem lại trong hộp thư): "
        f"{len(result.without_workbook)} thư" + (":" if result.without_workbook else ".")
    )
    for item in result.without_workbook:
        print(f'    - {item.date}  {item.sender or "(không rõ người gửi)"}  "{item.subject}"')
    if result.too_large:
        print(
            f"  Quá lớn, không tải (giới hạn {mailbox.megabytes(settings.max_message_bytes)}, mục "
            f"max_message_bytes): {len(result.too_large)} thư; mở bằng webmail và lưu tệp đính "
            "kèm vào inbox bằng tay:"
        )
        for item in result.too_large:
            print(f'    - {item.date}  {item.sender}  "{item.subject}" ({item.note})')
    if result.failed:
        print(
            f"  Chưa tải được (lỗi phía máy chủ thư; mở bằng webmail hoặc chạy lại fetch): "
            f"{len(result.failed)} thư:"
        )
        for item in result.failed:
            print(f'    - {item.date}  {item.sender}  "{item.subject}" (số {item.uid}): {item.note}')
    if result.stopped is not None:
        print(f"Lỗi hộp thư: {result.stopped}", file=sys.stderr)
    if result.failed:
        print(f"Lỗi hộp thư: {mailbox.incomplete(len(result.failed))}", file=sys.stderr)
    return 1 if result.failed or result.stopped is not None else 0


def to_mailbox(args: argparse.Namespace, folder: Path, what: str) -> int:
    """The drafts just written, put into the mailbox's Drafts folder for staff to read and send."""
    paths = mailbox.drafts_in(folder)
    said = sys.stderr if getattr(args, "json", False) else sys.stdout  # JSON alone on stdout
    if not paths:
        print(f"Không có {what} nào để đặt vào hộp thư.", file=said)
        return 0
    settings = mailbox.load_settings(_holding(args.schemas, mailbox.SETTINGS_FILE))
    try:
        client = mailbox.session(settings)
        try:
            result = mailbox.append_drafts(client, settings, paths)
        finally:
            mailbox.close(client)
    except mailbox.MailboxError as exc:
        print(
            f"Lỗi hộp thư: {exc} Các {what} vẫn ở {folder}; có thể mở từng tệp .eml để gửi.", file=sys.stderr
        )
        return exc.exit_code
    print(
        f'Đã đặt {len(result.added)} {what} vào thư mục "{settings.drafts_folder}" của hộp '
        f"thư {settings.user}"
        + (f" ({len(result.already)} thư đã có sẵn ở đó, không đặt trùng)" if result.already else "")
        + ". Mở webmail, đọc lại từng thư rồi bấm Gửi; chương trình không tự gửi thư.",
        file=said,
    )
    return 0


def review(args: argparse.Namespace, config: Config) -> int:
    """The review of several years, from the register (``pipeline.review.command``)."""
    from aggregator.pipeline import review as reviewing

    when = args.report_date or dt.date.today()
    options = reviewing.Options(args.outbox, args.year_from, args.year_to, args.period, args.templates, when)
    try:
        return reviewing.command(signed_by(config, args), options)
    except outbox.OutboxBusy:
        return _busy(args.outbox)


# the commands that load the schemas, by name (``verify`` loads none: ``cli`` calls ``verify_run``)
COMMANDS = {
    "run": run,
    "template": make_templates,
    "check": check,
    "status": status,
    "remind": remind,
    "fetch": fetch,
    "register": rebuild_register,
    "registry": show_registry,  # (``use`` is called by ``cli`` before the settings are loaded)
    "review": review,
}
