"""The Board's mailbox, drafts: the run's reminder and feedback emails put into Drafts, each once.

The only write to the mailbox is APPEND of our own drafts, with the ``\\Draft`` flag; a draft
already there (found again by its Message-ID) is not put again. Nothing here sends mail.
"""

from __future__ import annotations

import imaplib
import re
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesHeaderParser
from pathlib import Path

from aggregator.intake.mailbox.connection import (
    MailboxError,
    Settings,
    check,
    encode_folder,
    examine,
    expect,
    text,
)
from aggregator.intake.mailbox.listing import (
    HEAD_BYTES,
    SLACK,
    chunks,
    fetch_headers,
    id_of,
    parse_headers,
)
from aggregator.problems import ProblemCode


@dataclass
class AppendResult:
    added: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)


def append_drafts(client: imaplib.IMAP4, settings: Settings, paths: list[Path]) -> AppendResult:
    """Put each draft into the Drafts folder with the \\Draft flag, unless it is there already."""
    examine(client, settings.drafts_folder, "drafts_folder")
    present = _present_ids(client)
    result = AppendResult()
    for path in sorted(paths):
        raw = path.read_bytes()
        message_id = id_of(BytesHeaderParser(policy=policy.default).parsebytes(raw))
        if message_id and message_id in present:
            result.already.append(path.name)
            continue
        expect(client, 0, 1 << 20)  # an APPEND's answer is a few short lines
        typ, data = client.append(encode_folder(settings.drafts_folder), r"(\Draft)", None, raw)
        if typ != "OK":
            detail = text(data)
            if re.search(r"OVERQUOTA|LIMIT|quota|too (big|large)|size", detail, re.IGNORECASE):
                raise MailboxError(ProblemCode.MAILBOX_QUOTA, folder=settings.drafts_folder, detail=detail)
            raise MailboxError(ProblemCode.MAILBOX_FAILED, detail=f"APPEND: {detail}")
        present.add(message_id)
        result.added.append(path.name)
    return result


def _present_ids(client: imaplib.IMAP4) -> set[str]:
    expect(client, 0, 2 << 20)
    uids = [u.decode() for u in check(*client.uid("SEARCH", "ALL"), "SEARCH")[0].split()]
    present = set()
    for chunk in chunks(uids):
        expect(client, HEAD_BYTES, len(chunk) * (HEAD_BYTES + 1024) + SLACK)
        typ, data = fetch_headers(client, chunk)
        found, _, _ = parse_headers(check(typ, data, "FETCH"), chunk)
        present |= {h.message_id for h in found.values() if h.message_id}
    return present


def drafts_in(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.eml")) if folder.is_dir() else []
