"""Ready-to-send email drafts (.eml): reminders to missing units, feedback to units with problems.

Drafts open in any mail client (Outlook opens them as unsent drafts: X-Unsent). The body comes
from a plain-text Jinja template in ``templates/``; names of attachments are ours, never typed.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import mimetypes
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from aggregator import labels
from aggregator.clock import VIETNAM
from aggregator.problems import ProblemCode
from aggregator.rendering.report import environment

# opens the subject of a draft that has nowhere to go yet: staff fill in "To" before sending
NO_ADDRESS = "[CHƯA CÓ ĐỊA CHỈ NGƯỜI NHẬN] "
REMINDER = "nhac-nho.txt.j2"  # the reminder's text, in the templates folder
# the last line of a draft sent to the address a unit's report came from (none registered)
FROM_SENDER = (
    "Ghi chú: thư này gửi đến địa chỉ {sender}, là địa chỉ đơn vị đã dùng để gửi báo cáo, vì "
    "đơn vị chưa đăng ký địa chỉ thư điện tử với Ban."
)


@dataclass(frozen=True)
class Address:
    """Where a unit's draft goes: its registered addresses, else the address its identified
    report came from (then ``sender`` is that address, and the draft says so)."""

    recipients: list[str]
    sender: str = ""

    @property
    def note(self) -> str:
        return FROM_SENDER.format(sender=self.sender) if self.sender else ""

    def signed(self, text: str) -> str:
        """The body with the note on how it was addressed, if any, as its last line."""
        return f"{text.rstrip()}\n\n{self.note}\n" if self.sender else text


def address(unit: Any, files: list[Any], earlier: str | None = None) -> Address:
    """The unit's registered addresses, else the sender of its report (the file in use first,
    then the latest email; else ``earlier``, the address its report of an earlier period came
    from): an email that carried several units' workbooks speaks for none."""
    if unit.emails:
        return Address(list(unit.emails))
    mailed = [f for f in files if "@" in (f.candidate.sender or "") and not f.candidate.bundled]
    used = [f for f in mailed if f.status == "accepted"]
    latest = sorted(
        mailed,
        key=lambda f: (f.candidate.email_date is not None, f.candidate.email_date or 0, f.candidate.relative),
    )
    found = used or latest[::-1]
    if found:
        return Address([found[0].candidate.sender], found[0].candidate.sender)
    return Address([earlier], earlier) if earlier else Address([])


def subject(unit_name: str, text: str) -> str:
    """A draft's subject naming whom it is for, so that staff and the unit tell them apart."""
    return f"[{unit_name}] {text}"


def encoded_words(text: str, most: int = 39) -> str:
    """A header's text as RFC 2047 encoded words of at most ``most`` bytes, one a line of at
    most 78 characters (so the policy never refolds it), each keeping its own spaces: Python's
    folding leaves a space between two encoded words, where mail programs drop it ("gửibáo")."""
    if text.isascii():
        return text
    words, chunk = [], b""
    for character in text:
        data = character.encode("utf-8")
        if len(chunk) + len(data) > most:
            words.append(chunk)
            chunk = b""
        chunk += data
    words.append(chunk)
    return "\n ".join(f"=?utf-8?b?{base64.b64encode(w).decode('ascii')}?=" for w in words)


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
    message.set_raw("Subject", encoded_words(subject if recipients else NO_ADDRESS + subject))
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
    data = bytes(message)
    message["Message-ID"] = f"<{hashlib.sha256(data).hexdigest()[:32]}@{domain}>"
    # the header added last, its folded line put after the others: the message not made again
    head, _, rest = data.partition(b"\n\n")
    return head + b"\n" + message.policy.fold_binary(*list(message.raw_items())[-1]) + b"\n" + rest


def is_empty(outcome: Any) -> bool:
    """A file rejected for holding no model row (the standard workbook sent back empty)."""
    return any(p.code == ProblemCode.NO_ROWS for p in outcome.file_errors)


def shown_name(outcome: Any) -> str:
    """A file as a unit knows it: an attachment by its own name, a file by its inbox path
    (both escaped by intake: shown, never raw)."""
    c = outcome.candidate
    return (c.attachment or c.relative.rsplit("/", 1)[-1]) if c.email else c.relative


def refusals(files: list[Any], most: int = 3) -> list[str]:
    """Why each refused file of a unit could not be used, said in the reminder itself: a
    reminder goes out before any feedback, so it never points to one ("the feedback sent")."""
    said = []
    for f in files:
        if f.status != "rejected" or is_empty(f):
            continue
        reasons = [p.message for p in f.problems if p.severity == "error"][:most]
        said.append(f'Tệp "{shown_name(f)}": ' + (" ".join(reasons) if reasons else "không dùng được."))
    return said


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
    known: dict[str, str] | None = None,
) -> tuple[list[str], list[str]]:
    """A reminder draft per unit still waited for, its own standard workbook attached
    (pre-filled with its ``models`` of the latest earlier period, when the register has them).

    Returns the units written to with no address at all, and those written to the address
    their report came from (no address registered).
    """
    unaddressed, from_sender = [], []
    from aggregator.rendering import template

    topic = f"Đề nghị gửi báo cáo mô hình, điển hình {labels.period_phrase(period)} {year}"
    for status in waiting:
        unit = config.unit(status.code)
        to = address(unit, status.files, (known or {}).get(unit.code))
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
                "empty": any(is_empty(f) for f in status.files),
                "reasons": refusals(status.files),
                "prefilled": len((models or {}).get(unit.code) or []),
            },
        )
        (target / f"{unit.code}.eml").write_bytes(
            draft(
                config.report.board.email,
                to.recipients,
                subject(unit.name, topic),
                to.signed(text),
                [(attachment.name, attachment.read_bytes())],
                report_date,
            )
        )
        attachment.unlink()
        if not to.recipients:
            unaddressed.append(unit.name)
        elif to.sender:
            from_sender.append(f"{unit.name} ({to.sender})")
    return unaddressed, from_sender
