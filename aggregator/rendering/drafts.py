"""Ready-to-send email drafts (.eml): reminders to missing units, feedback to units with problems.

Drafts open in any mail client (Outlook opens them as unsent drafts: X-Unsent). The body comes
from a plain-text Jinja template in ``templates/``; names of attachments are ours, never typed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import mimetypes
from email.message import EmailMessage
from email.utils import format_datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from aggregator import labels
from aggregator.clock import VIETNAM
from aggregator.rendering.report import environment

# opens the subject of a draft that has nowhere to go yet: staff fill in "To" before sending
NO_ADDRESS = "[CHƯA CÓ ĐỊA CHỈ NGƯỜI NHẬN] "
REMINDER = "nhac-nho.txt.j2"  # the reminder's text, in the templates folder


def draft(
    sender: str,
    recipients: list[str],
    subject: str,
    body: str,
    attachments: list[tuple[str, bytes]],
    date: dt.date,
) -> bytes:
    """An email draft as bytes, dated the report date (so the same run gives the same bytes)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject if recipients else NO_ADDRESS + subject
    message["Date"] = format_datetime(dt.datetime.combine(date, dt.time(8, 0), tzinfo=VIETNAM))
    message["X-Unsent"] = "1"
    message.set_content(body, cte="quoted-printable")
    digest = hashlib.sha256(body.encode())
    for name, data in attachments:
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        message.add_attachment(data, *kind.split("/", 1), filename=name)
        digest.update(data)
    if message.is_multipart():  # a boundary from the content, not from a random number
        message.set_boundary(f"=_dienhinh_{digest.hexdigest()[:40]}")
    # a Message-ID from the content: the same draft is found again in the mailbox's Drafts folder
    domain = sender.rpartition("@")[2].strip(" >") or "dienhinh.invalid"
    message["Message-ID"] = f"<{hashlib.sha256(bytes(message)).hexdigest()[:32]}@{domain}>"
    return bytes(message)


def body(templates: Path, name: str, context: dict[str, Any]) -> str:
    """A plain-text body from ``templates/<name>`` (text: no HTML escaping, strict variables)."""
    try:
        return _text_environment(templates).get_template(name).render(**context)
    except jinja2.TemplateNotFound as exc:
        raise FileNotFoundError(f"Không thấy mẫu thư {templates / name}.") from exc


@lru_cache(maxsize=4)
def _text_environment(templates: Path) -> jinja2.Environment:
    """One environment per templates folder: each template compiled once per run, not per email."""
    env = environment(templates)
    env.autoescape = False
    return env


def reminders(
    config: Any,
    templates: Path,
    year: int,
    period: str,
    deadline: dt.date,
    waiting: list[Any],
    report_date: dt.date,
    target: Path,
    models: dict[str, list[Any]] | None = None,
) -> list[str]:
    """A reminder draft per unit still waited for, its own standard workbook attached
    (pre-filled with its ``models`` of the latest earlier period, when the register has them).

    Returns the drafts written with no address (the unit has none registered).
    """
    unaddressed = []
    from aggregator.rendering import template

    subject = f"Đề nghị gửi báo cáo mô hình, điển hình kỳ {config.period_label(period).lower()} {year}"
    for status in waiting:
        unit = config.unit(status.code)
        attachment = target / f"bieu-mau-{unit.code}.xlsx"
        template.write_template(config, attachment, year, period, unit, (models or {}).get(unit.code))
        text = body(
            templates,
            REMINDER,
            {
                "unit": unit,
                "header": config.report,
                "year": year,
                "period_phrase": labels.period_phrase(period),
                "deadline": deadline,
                "overdue": report_date > deadline,
                "status": status.status,
            },
        )
        (target / f"{unit.code}.eml").write_bytes(
            draft(
                config.report.board.email,
                list(unit.emails),
                subject,
                text,
                [(attachment.name, attachment.read_bytes())],
                report_date,
            )
        )
        attachment.unlink()
        if not unit.emails:
            unaddressed.append(f"{unit.code}.eml")
    return unaddressed
