"""The commands that write to the units: template (standard workbooks) and remind (reminders)."""

from __future__ import annotations

import datetime as dt
import sys

from aggregator import config as config_module
from aggregator.commands.common import busy, has_templates, holding, jobs, registry_line
from aggregator.commands.imap import to_mailbox
from aggregator.commands.typed import RemindOptions, TemplateOptions
from aggregator.intake import mailbox
from aggregator.outbox import swap as outbox
from aggregator.pipeline import outreach
from aggregator.rendering import drafts


def make_templates(given: TemplateOptions) -> int:
    """Standard workbooks for every unit, ready to send out."""
    config = config_module.load(given.schemas)
    made = outreach.templates(config, given.outbox, given.year, given.period)
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


def remind(given: RemindOptions) -> int:
    """A ready-to-send reminder for each unit still missing, its own workbook attached."""
    config = config_module.load(given.schemas)
    if not has_templates(given.templates, (drafts.REMINDER,)):
        return 2
    if given.to_mailbox:  # a broken mailbox.yaml said before the drafts
        mailbox.load_settings(holding(given.schemas, mailbox.SETTINGS_FILE))
    try:
        done = outreach.reminders(
            config,
            given.inbox,
            given.outbox,
            given.templates,
            given.year,
            given.period,
            given.report_date or dt.date.today(),
            jobs=jobs(given.jobs),
        )
    except outbox.OutboxBusy:
        return busy(given.outbox)
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
    if given.to_mailbox:
        return to_mailbox(done.folder, "thư nhắc", given.schemas)
    return 0
