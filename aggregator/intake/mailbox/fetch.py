"""The Board's mailbox, fetch: units' emails with a workbook or zip saved into the inbox, read-only.

The folder is opened with EXAMINE and read with ``BODY.PEEK[]``, so nothing is deleted, moved
or marked read. One message's bad answer costs that message only; a broken connection is made
again (``_Session``). Every message found ends saved or listed with its reason (``FetchResult``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import imaplib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aggregator import problems
from aggregator.intake.discover import megabytes
from aggregator.intake.imap_guard import Cut, Guard
from aggregator.intake.mailbox.connection import (
    MailboxError,
    Settings,
    check,
    close,
    examine,
    expect,
    failure,
    safe,
    scrub,
    text,
)
from aggregator.intake.mailbox.listing import (
    HEAD_BYTES,
    SLACK,
    Header,
    Listed,
    chunks,
    fetch_headers,
    parse_headers,
    split_answers,
    uid_of,
)
from aggregator.intake.mailbox.saved import (
    PARTIAL_PREFIX,
    Known,
    carries_workbook,
    facts_of,
    saved_name,
    write_atomically,
)
from aggregator.problems import ProblemCode

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass
class FetchResult:
    """Every message found lands in exactly one list (``accounted == found``)."""

    found: int = 0
    saved: list[str] = field(default_factory=list)  # names written into the inbox
    already: int = 0
    without_workbook: list[Listed] = field(default_factory=list)
    too_large: list[Listed] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)  # saved as they came, for the run
    failed: list[Listed] = field(default_factory=list)  # not fetched: the server's failure, said
    stopped: MailboxError | None = None  # what ended the fetch before its last message

    @property
    def accounted(self) -> int:
        lists = (self.saved, self.without_workbook, self.too_large, self.failed)
        return self.already + sum(len(x) for x in lists)


_RECONNECTIONS = 10  # new connections one fetch may make after failures


class _Session:
    """One fetch's connection to the folder, made again after a failure that broke it."""

    def __init__(
        self,
        client: imaplib.IMAP4,
        settings: Settings,
        reconnect: Callable[[float | None], imaplib.IMAP4] | None,
    ):
        self.client, self.settings, self.reconnect = client, settings, reconnect
        self.validity: Any = None
        self.reconnections = 0

    def open(self) -> None:
        self._guard(literal=1 << 16, total=1 << 20)
        examine(self.client, self.settings.folder, "folder")
        validity = self.client.response("UIDVALIDITY")[1][0]
        if self.validity is None:
            self.validity = validity
        elif validity != self.validity:  # the same UIDs would now name other messages
            raise MailboxError(
                ProblemCode.MAILBOX_BAD_ANSWER,
                host=self.settings.host,
                detail="thư mục đã được đánh số lại (UIDVALIDITY) giữa chừng",
            )

    def _guard(self, literal: int, total: int) -> None:
        expect(self.client, literal, total)

    def call(self, literal: int, total: int, command: Callable[[imaplib.IMAP4], Any]) -> Any:
        """Run one command; a failure that leaves the connection unusable gives a new one.

        Raises ``_Lost`` (the cause, the connection renewed) for that message alone, or
        ``MailboxError`` when the fetch cannot go on (deadline, no new connection).
        """
        self._guard(literal, total)
        try:
            return command(self.client)
        except MailboxError:
            raise
        except Cut as exc:
            if exc.kind == "deadline":
                raise failure(exc, self.settings) from None
            self.renew(exc)
            raise _Lost(exc) from None
        except imaplib.IMAP4.abort as exc:
            hung_up = "BYE" in getattr(self.client, "untagged_responses", {})  # the server's goodbye
            cause: BaseException = ConnectionAbortedError("BYE") if hung_up else exc
            self.renew(cause)
            raise _Lost(cause) from None
        except imaplib.IMAP4.error as exc:
            if "got more than" in str(exc):  # a line past imaplib's limit: the rest unread
                self.renew(exc)
            raise _Lost(exc) from None
        except OSError as exc:
            self.renew(exc)
            raise _Lost(exc) from None

    def renew(self, cause: BaseException) -> None:
        guard = getattr(self.client, "guard", None)
        deadline = guard.deadline if isinstance(guard, Guard) else None
        close(self.client)
        if self.reconnect is None or self.reconnections >= _RECONNECTIONS:
            raise failure(cause, self.settings)
        self.reconnections += 1
        self.client = self.reconnect(deadline)
        self.open()


class _Lost(Exception):
    """One command failed (the connection renewed when it broke); ``cause`` says how."""

    def __init__(self, cause: BaseException):
        self.cause = cause
        super().__init__(type(cause).__name__)


def fetch(
    client: imaplib.IMAP4,
    settings: Settings,
    inbox: Path,
    since: dt.date | None = None,
    progress: Callable[[Iterable[Any], int], Iterable[Any]] | None = None,
    reconnect: Callable[[float | None], imaplib.IMAP4] | None = None,
) -> FetchResult:
    """Save every message with a workbook or zip attached into ``inbox`` as ``.eml``, once.

    Every message found ends saved or listed with its reason. A failure that breaks the
    connection costs the message being read; with ``reconnect`` (given the deadline, it returns
    a new logged-in client) the fetch goes on with the next one. The messages saved stay saved.
    """
    inbox.mkdir(parents=True, exist_ok=True)
    for leftover in inbox.glob(PARTIAL_PREFIX + "*"):  # from a fetch killed mid-write
        leftover.unlink()
    link = _Session(client, settings, reconnect)
    day = since or settings.since
    criteria = f"{day.day:02d}-{_MONTHS[day.month - 1]}-{day.year}"
    try:
        link.open()
        expect(client, 0, 2 << 20)  # the UIDs found: one line, at most imaplib's 1 MB
        uids = [
            u.decode("ascii", "replace")
            for u in check(*client.uid("SEARCH", "SINCE", criteria), "SEARCH")[0].split()
        ]
    except (Cut, OSError, imaplib.IMAP4.error) as exc:
        raise failure(exc, settings) from None
    uids = [u for u in dict.fromkeys(uids) if u.isdigit()]
    known = Known.scan(inbox, settings.max_message_bytes)
    result = FetchResult(found=len(uids))
    done: set[str] = set()

    def fail(header: Header, code: ProblemCode, **params: Any) -> None:
        done.add(header.uid)
        note = problems.make(code, **{k: scrub(v) for k, v in params.items()}).message
        result.failed.append(header.listed(note, code.value))

    headers: dict[str, Header] = {}
    try:
        for chunk in chunks(uids):
            found, lost = _all_headers(link, chunk)
            headers.update(found)
            for uid, (code, params) in lost.items():
                fail(_unknown(uid), code, **params)
        wanted = []
        for uid in uids:
            header = headers.get(uid)
            if header is None:
                continue
            if known.announced(header):
                done.add(uid)
                result.already += 1
            elif header.size > settings.max_message_bytes:  # said big: believed, and listed
                done.add(uid)
                result.too_large.append(header.listed(megabytes(header.size)))
            else:
                wanted.append(header)
        for header in progress(wanted, len(wanted)) if progress else wanted:
            try:
                _one_body(link, header, inbox, known, result, fail)
            except MailboxError as exc:  # the message being read when the fetch had to stop
                done.add(header.uid)
                result.failed.append(header.listed(str(exc), exc.code.value))
                raise
            done.add(header.uid)
    except MailboxError as exc:  # the fetch cannot go on: the rest listed, what is saved stays
        result.stopped = exc
        for uid in uids:
            if uid not in done:
                fail(headers.get(uid) or _unknown(uid), ProblemCode.MAILBOX_NOT_REACHED)
    finally:
        if link.client is not client:  # a connection made here is closed here
            close(link.client)
    return result


def incomplete(count: int) -> str:
    """What staff do when some messages could not be fetched."""
    return problems.make(ProblemCode.MAILBOX_INCOMPLETE, count=count).message


def _unknown(uid: str) -> Header:
    return Header(uid, 0, "", None, "(không rõ người gửi)", f"(thư số {uid} trên máy chủ)")


def _lost_reason(exc: _Lost, settings: Settings) -> tuple[ProblemCode, dict[str, Any]]:
    cause = exc.cause
    if (
        isinstance(cause, imaplib.IMAP4.error)
        and not isinstance(cause, imaplib.IMAP4.abort)
        and "got more than" not in str(cause)
    ):  # a BAD answer to this command: the server's word
        return ProblemCode.MAILBOX_FAILED, {"detail": safe(str(cause))}
    said = failure(cause, settings)
    params: dict[str, Any] = {"host": settings.host}
    if said.code == ProblemCode.MAILBOX_STALLED:
        params["seconds"] = settings.timeout_seconds
    if said.code == ProblemCode.MAILBOX_BAD_ANSWER:
        params["detail"] = str(said).split("(", 1)[-1].split(")", 1)[0]
    return said.code, params


def _all_headers(
    link: _Session, uids: list[str]
) -> tuple[dict[str, Header], dict[str, tuple[ProblemCode, dict[str, Any]]]]:
    """The headers of a batch; a batch that fails is asked again one message at a time."""
    total = len(uids) * (HEAD_BYTES + 1024) + SLACK
    why: tuple[ProblemCode, dict[str, Any]]
    try:
        typ, data = link.call(HEAD_BYTES, total, lambda c: fetch_headers(c, uids))
    except _Lost as exc:
        typ, data, why = "NO", [], _lost_reason(exc, link.settings)
    else:
        why = (ProblemCode.MAILBOX_FAILED, {"detail": "FETCH: " + text(data)})
    found: dict[str, Header] = {}
    if typ == "OK":
        found, without_uid, unreadable = parse_headers(data, uids)
        if unreadable:
            why = (
                ProblemCode.MAILBOX_BAD_ANSWER,
                {"host": link.settings.host, "detail": "câu trả lời không đọc được"},
            )
        elif without_uid:
            why = (ProblemCode.MAILBOX_ANSWER_WITHOUT_UID, {})
        else:
            why = (ProblemCode.MAILBOX_MESSAGE_GONE, {})
    missing = [u for u in uids if u not in found]
    lost: dict[str, tuple[ProblemCode, dict[str, Any]]] = {}
    if len(uids) == 1:
        return found, {u: why for u in missing}
    for uid in missing:
        more, gone = _all_headers(link, [uid])
        found.update(more)
        lost.update(gone)
    return found, lost


def _one_body(
    link: _Session,
    header: Header,
    inbox: Path,
    known: Known,
    result: FetchResult,
    fail: Callable[..., None],
) -> None:
    """Download one message, at most ``max_message_bytes`` and one byte, and keep it or list it."""
    limit = link.settings.max_message_bytes
    uid = header.uid
    try:
        typ, data = link.call(
            limit + 1,
            limit + 1 + SLACK,
            lambda c: c.uid("FETCH", uid, f"(UID BODY.PEEK[]<0.{limit + 1}>)"),
        )
    except _Lost as exc:
        if isinstance(exc.cause, Cut) and exc.cause.kind == "too_large":
            sent = f"định gửi {_size(exc.cause.size)}" if exc.cause.size else f"gửi hơn {_size(limit)}"
            result.too_large.append(header.listed(f"máy chủ báo {_size(header.size)} rồi {sent}; đã ngắt"))
            return
        code, params = _lost_reason(exc, link.settings)
        fail(header, code, **params)
        return
    if typ != "OK":
        fail(header, ProblemCode.MAILBOX_FAILED, detail="FETCH: " + text(data))
        return
    answers = split_answers(data)
    mine = [literal for words, literal in answers if uid_of(words) == uid]
    if mine and mine[0] is not None:
        raw = mine[0]
        if len(raw) > limit:  # counted on the bytes that came, whatever the server said before
            result.too_large.append(
                header.listed(f"máy chủ báo {_size(header.size)}, thật ra hơn {_size(limit)}")
            )
        else:
            _keep(raw, header, inbox, known, result)
    elif mine:
        fail(
            header,
            ProblemCode.MAILBOX_BAD_ANSWER,
            host=link.settings.host,
            detail="câu trả lời không có nội dung thư",
        )
    elif any(uid_of(words) is None and literal is not None for words, literal in answers):
        fail(header, ProblemCode.MAILBOX_ANSWER_WITHOUT_UID)
    else:
        fail(header, ProblemCode.MAILBOX_MESSAGE_GONE)


def _keep(raw: bytes, header: Header, inbox: Path, known: Known, result: FetchResult) -> None:
    """Save one downloaded message if it carries a workbook (or cannot be read to tell)."""
    facts = facts_of(raw)
    if known.holds(facts):
        result.already += 1
        return
    verdict = carries_workbook(raw)
    if verdict is False:
        result.without_workbook.append(header.listed())
        return
    digest = hashlib.sha256(raw).hexdigest()
    name = saved_name(header.date, digest[:20])
    if (inbox / name).exists():  # another email under the short name: the whole hash then
        name = saved_name(header.date, digest)
    write_atomically(inbox / name, raw)
    known.add(facts)
    result.saved.append(name)
    if verdict is None:
        result.unreadable.append(name)


def _size(count: int) -> str:
    return f"{max(1, count // 1024)} KB" if count < 1_048_576 else megabytes(count)
