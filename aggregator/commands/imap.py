"""The Board's mailbox over IMAP: the units' emails fetched into the inbox, drafts put into Drafts."""

from __future__ import annotations

import sys
from pathlib import Path

from aggregator import config as config_module
from aggregator.commands.common import holding, progress
from aggregator.commands.typed import FetchOptions
from aggregator.intake import mailbox
from aggregator.labels import date_vn


def fetch(given: FetchOptions) -> int:
    """The units' emails from the Board's mailbox into the inbox, each once, nothing changed there."""
    config_module.load(given.schemas)  # the settings checked, as every command checks them
    settings = mailbox.load_settings(holding(given.schemas, mailbox.SETTINGS_FILE))
    try:
        client, reconnect = mailbox.sessions(settings)
        try:
            result = mailbox.fetch(
                client, settings, given.inbox, given.since, progress("Đang tải thư", " thư"), reconnect
            )
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
    since = given.since or settings.since
    print(
        f'Hộp thư {settings.user}, thư mục "{settings.folder}", thư nhận từ '
        f"{date_vn(since)}: {result.found} thư."
    )
    print(f"  Mới lưu vào {given.inbox}: {len(result.saved)} thư.")
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


def to_mailbox(folder: Path, what: str, schemas: Path, json: bool = False) -> int:
    """The drafts just written, put into the mailbox's Drafts folder for staff to read and send
    (said on stderr after ``--json``: the JSON alone on stdout)."""
    paths = mailbox.drafts_in(folder)
    said = sys.stderr if json else sys.stdout
    if not paths:
        print(f"Không có {what} nào để đặt vào hộp thư.", file=said)
        return 0
    settings = mailbox.load_settings(holding(schemas, mailbox.SETTINGS_FILE))
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
