"""The Board's mailbox over IMAP: units' emails fetched into the inbox, drafts put into Drafts.

Read-only where the units' mail is: the folder is opened with EXAMINE and read with
``BODY.PEEK[]``, so nothing is deleted, moved or marked read. The server is a peer that may
misbehave: every socket read has a timeout, the whole session a deadline, every answer a byte
budget checked on the bytes actually read, and one message's bad answer costs that message
only. The only write is APPEND of our own drafts, with the ``\\Draft`` flag, each once (found
again by its Message-ID). Nothing here sends mail. The password comes from an environment
variable, the keyring or a hidden prompt; it is kept in memory only, never written or logged.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import email
import getpass
import hashlib
import imaplib
import ipaddress
import os
import re
import socket
import ssl
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesHeaderParser
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path
from typing import Any

from aggregator import problems
from aggregator.clock import VIETNAM
from aggregator.config import ConfigError, check_structure, descriptors, read_yaml
from aggregator.intake.discover import megabytes
from aggregator.intake.imap_guard import Cut, Guard, Plain, Tls
from aggregator.intake.mail import shown_name
from aggregator.intake.sniff import WORKBOOK_SUFFIXES
from aggregator.problems import ProblemCode

SETTINGS_FILE = "mailbox.yaml"
SAVED_SUFFIXES = (*WORKBOOK_SUFFIXES, ".zip")
# a fetch in progress writes here first; discover takes ".~lock…" files for junk and skips them
PARTIAL_PREFIX = ".~lock.dienhinh-fetch-"
_HEADERS = "MESSAGE-ID DATE FROM SUBJECT"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_BATCH = 200
# structural defects after which the parts of a message cannot be trusted: saved, left to the run
_BROKEN = (
    "StartBoundaryNotFoundDefect",
    "NoBoundaryInMultipartDefect",
    "MultipartInvariantViolationDefect",
    "CloseBoundaryNotFoundDefect",
)


@dataclass(frozen=True)
class Settings:
    """schemas/mailbox.yaml, checked."""

    host: str
    port: int
    security: str
    user: str
    folder: str
    drafts_folder: str
    since: dt.date
    ca_file: str = ""
    password_env: str = "DIENHINH_MAIL_PASSWORD"
    keyring_service: str = "dienhinh-mail"
    max_message_bytes: int = 50 * 1024 * 1024
    timeout_seconds: int = 60  # the longest wait for one read from the server
    deadline_seconds: int = 1800  # the longest a whole fetch (or drafts) session may take

    @property
    def hints(self) -> dict[str, Any]:
        """What the password messages name: where staff put the password."""
        return {
            "user": self.user,
            "host": self.host,
            "env": self.password_env or "(không đặt)",
            "service": self.keyring_service or "(không đặt)",
        }


class MailboxError(Exception):
    """A mailbox failure said in Vietnamese; ``exit_code`` 2 for settings, 1 for the rest."""

    def __init__(self, code: ProblemCode, exit_code: int = 1, **params: Any):
        self.code, self.exit_code = code, exit_code
        super().__init__(problems.make(code, **{k: _scrub(v) for k, v in params.items()}).message)


# what was sent to log in: never repeated, even when a server echoes it back in an answer
_SECRETS: set[str] = set()


def _scrub(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    for secret in sorted(_SECRETS, key=len, reverse=True):
        value = value.replace(secret, "***")
    return value


_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def load_settings(folder: Path | str) -> Settings:
    """Read and check ``schemas/mailbox.yaml`` (a ConfigError names the file and the key)."""
    path = Path(folder) / SETTINGS_FILE
    data = read_yaml(path)
    if isinstance(data, dict) and isinstance(data.get("since"), dt.date):
        data["since"] = data["since"].isoformat()  # an unquoted date in YAML is a date
    env = data.get("password_env") if isinstance(data, dict) else None
    if env is not None and not (isinstance(env, str) and _ENV_NAME.match(env)):
        # never echoed: what is written there may be the password itself
        raise ConfigError(
            f"Tệp {path}, mục password_env: cần tên một biến môi trường (chữ "
            "không dấu, số, gạch dưới), ví dụ DIENHINH_MAIL_PASSWORD. Không ghi "
            "mật khẩu vào tệp này."
        )
    check_structure(path, data, descriptors.MAILBOX)
    try:
        since = dt.date.fromisoformat(data["since"])
    except ValueError:
        raise ConfigError(
            f'Tệp {path}, mục since: "{data["since"]}" không phải một ngày '
            '(năm-tháng-ngày, ví dụ "2026-11-01").'
        ) from None
    return Settings(**{**data, "since": since})


# ---------------------------------------------------------------------------------------------
# Password and connection


def password(settings: Settings, prompt: Callable[[str], str] | None = None) -> str:
    """Environment variable, else keyring, else a hidden prompt (only at a terminal)."""
    if settings.password_env and os.environ.get(settings.password_env):
        return os.environ[settings.password_env]
    if settings.keyring_service:
        try:
            import keyring

            stored = keyring.get_password(settings.keyring_service, settings.user)
        except Exception:  # no keyring backend on this machine (a server, CI): try the prompt
            stored = None
        if stored:
            return stored
    if prompt is None and sys.stdin is not None and sys.stdin.isatty():
        prompt = getpass.getpass
    if prompt is not None:
        typed = prompt(f"Mật khẩu hộp thư {settings.user} (không hiện khi gõ): ")
        if typed:
            return typed
    raise MailboxError(ProblemCode.MAILBOX_NO_PASSWORD, exit_code=2, **settings.hints)


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def connect(settings: Settings, secret: str, deadline: float | None = None) -> imaplib.IMAP4:
    """A logged-in connection, the server's certificate verified (plaintext only to loopback).

    ``deadline`` (a ``time.monotonic()`` value) is shared by the reconnections of one fetch.
    """
    if settings.security == "plain" and not is_loopback(settings.host):
        raise MailboxError(ProblemCode.MAILBOX_PLAINTEXT_REFUSED, exit_code=2, host=settings.host)
    context = _tls_context(settings)
    where: dict[str, Any] = {"host": settings.host, "port": settings.port}
    token = f"\0{settings.user}\0{secret}".encode()
    _SECRETS.update({secret, base64.b64encode(token).decode()})
    guard = Guard(
        timeout=settings.timeout_seconds,
        deadline=deadline if deadline is not None else time.monotonic() + settings.deadline_seconds,
    )
    try:
        if settings.security == "imaps":
            client: imaplib.IMAP4 = Tls(settings.host, settings.port, guard, context)
        else:
            client = Plain(settings.host, settings.port, guard)
            if settings.security == "starttls":
                if "STARTTLS" not in client.capabilities:
                    client.shutdown()
                    raise MailboxError(ProblemCode.MAILBOX_TLS_UNAVAILABLE, host=settings.host)
                client.starttls(ssl_context=context)
    except ssl.SSLCertVerificationError as exc:
        raise MailboxError(
            ProblemCode.MAILBOX_CERTIFICATE,
            host=settings.host,
            detail=exc.verify_message or "chứng chỉ không hợp lệ",
        ) from None
    except Cut as exc:
        raise failure(exc, settings) from None
    except OSError as exc:
        raise MailboxError(ProblemCode.MAILBOX_UNREACHABLE, detail=_network_detail(exc), **where) from None
    except imaplib.IMAP4.error as exc:  # a greeting that is no greeting, a connection closed
        raise failure(exc, settings) from None
    try:
        if secret.isascii():
            client.login(settings.user, secret)
        else:  # LOGIN is ASCII only; AUTHENTICATE PLAIN carries UTF-8
            client.authenticate("PLAIN", lambda _: token)
    except imaplib.IMAP4.abort as exc:
        close(client)
        raise failure(exc, settings) from None
    except imaplib.IMAP4.error:
        close(client)
        raise MailboxError(ProblemCode.MAILBOX_LOGIN_FAILED, **settings.hints) from None
    except (OSError, Cut) as exc:
        close(client)
        raise failure(exc, settings) from None
    return client


def failure(exc: BaseException, settings: Settings) -> MailboxError:
    """A failure met while talking to the server, said as the mailbox's problem."""
    host = settings.host
    if isinstance(exc, Cut) and exc.kind == "deadline":
        return MailboxError(ProblemCode.MAILBOX_DEADLINE, seconds=settings.deadline_seconds, host=host)
    if isinstance(exc, Cut) and exc.kind == "stalled":
        return MailboxError(ProblemCode.MAILBOX_STALLED, seconds=settings.timeout_seconds, host=host)
    if isinstance(exc, Cut):  # too much where a short answer was due
        return MailboxError(ProblemCode.MAILBOX_BAD_ANSWER, host=host, detail="câu trả lời dài quá mức")
    if isinstance(exc, MailboxError):
        return exc
    text = str(exc)
    if isinstance(exc, OSError) or "EOF" in text or "socket error" in text:
        return MailboxError(ProblemCode.MAILBOX_DROPPED, host=host)
    if "got more than" in text:
        return MailboxError(ProblemCode.MAILBOX_BAD_ANSWER, host=host, detail="một dòng dài quá mức")
    return MailboxError(ProblemCode.MAILBOX_BAD_ANSWER, host=host, detail="một dòng không theo chuẩn IMAP")


def _tls_context(settings: Settings) -> ssl.SSLContext:
    if settings.ca_file and not Path(settings.ca_file).is_file():
        raise MailboxError(ProblemCode.MAILBOX_CA_FILE_MISSING, exit_code=2, path=settings.ca_file)
    try:
        return ssl.create_default_context(cafile=settings.ca_file or None)
    except ssl.SSLError:
        raise MailboxError(ProblemCode.MAILBOX_CA_FILE_MISSING, exit_code=2, path=settings.ca_file) from None


def _network_detail(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "máy chủ từ chối kết nối"
    if isinstance(exc, socket.gaierror):
        return "không tìm thấy tên máy chủ"
    if isinstance(exc, TimeoutError | socket.timeout):
        return "quá thời gian chờ"
    if isinstance(exc, ssl.SSLError):
        return f"lỗi TLS: {exc.reason or exc}"
    return type(exc).__name__


def close(client: imaplib.IMAP4) -> None:
    """Log out; a connection already gone (or a server that stalls) is fine."""
    guard = getattr(client, "guard", None)
    if guard is not None:  # a few seconds at most to say goodbye, whatever is left
        guard.deadline = min(guard.deadline, time.monotonic() + 5)
        guard.expect(literal=1 << 16, total=1 << 20)
    with contextlib.suppress(OSError, imaplib.IMAP4.error, Cut, ValueError):
        client.logout()
    with contextlib.suppress(OSError, ValueError, AttributeError):
        client.sock.close()


def _check(typ: str, data: Any, what: str) -> Any:
    if typ != "OK":
        raise MailboxError(ProblemCode.MAILBOX_FAILED, detail=f"{what}: {_text(data)}")
    return data


def _text(data: Any) -> str:
    parts = data if isinstance(data, list) else [data]
    text = " ".join(p.decode("utf-8", "replace") if isinstance(p, bytes) else str(p) for p in parts if p)
    return _scrub(_safe(text))


# ---------------------------------------------------------------------------------------------
# Folders: names in IMAP's modified UTF-7 (RFC 3501 5.1.3), so "Thư nháp" works


def encode_folder(name: str) -> str:
    """A folder name as IMAP wants it: modified UTF-7, quoted."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            packed = base64.b64encode("".join(pending).encode("utf-16-be")).decode()
            out.append("&" + packed.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return '"' + "".join(out).replace("\\", "\\\\").replace('"', '\\"') + '"'


def decode_folder(name: str) -> str:
    def one(match: re.Match[str]) -> str:
        body = match.group(1)
        if not body:
            return "&"
        packed = body.replace(",", "/")
        try:
            return base64.b64decode(packed + "=" * (-len(packed) % 4)).decode("utf-16-be")
        except ValueError:  # not modified UTF-7 after all: shown as the server sent it
            return match.group(0)

    return re.sub(r"&([A-Za-z0-9+,]*)-", one, name)


def folders(client: imaplib.IMAP4) -> list[str]:
    """Every folder of the mailbox, as staff see their names."""
    typ, data = client.list()
    names = []
    for line in data if typ == "OK" else []:
        if not isinstance(line, bytes):
            continue
        match = re.match(rb'\((.*?)\) (?:"(?:[^"\\]|\\.)*"|NIL) (.*)$', line)
        if match:
            raw = match.group(2).decode("ascii", "replace").strip()
            if raw.startswith('"') and raw.endswith('"'):
                raw = raw[1:-1].replace('\\"', '"').replace("\\\\", "\\")
            names.append(decode_folder(raw))
    return sorted(names)


def _open(client: imaplib.IMAP4, folder: str, key: str) -> None:
    """EXAMINE a folder (read-only), or say which folders there are."""
    typ, _ = client.select(encode_folder(folder), readonly=True)
    if typ != "OK":
        raise MailboxError(
            ProblemCode.MAILBOX_FOLDER_MISSING,
            folder=folder,
            key=key,
            folders=", ".join(folders(client)) or "(không có)",
        )


# ---------------------------------------------------------------------------------------------
# Fetch


@dataclass
class Listed:
    """A message staff should look at themselves: who, what, when, and why."""

    sender: str
    subject: str
    date: str
    note: str = ""
    uid: str = ""
    code: str = ""  # a ProblemCode value when the message could not be fetched


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


@dataclass
class _Header:
    uid: str
    size: int
    message_id: str
    date: dt.datetime | None
    sender: str
    subject: str

    @property
    def identity(self) -> tuple[str, str, str, str]:
        return (self.message_id, str(self.date), self.sender, self.subject)

    def listed(self, note: str = "", code: str = "") -> Listed:
        return Listed(self.sender, self.subject, _shown_date(self.date), note, self.uid, code)


_HEAD_BYTES = 16384  # of the four header fields read per message: plenty, and bounded
_RECONNECTIONS = 10  # new connections one fetch may make after failures
_SLACK = 65536  # bytes an answer may take beyond its literal (its lines, an unsolicited word)


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
        _open(self.client, self.settings.folder, "folder")
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
        _expect(self.client, literal, total)

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


def _expect(client: imaplib.IMAP4, literal: int, total: int) -> None:
    """What the next answer may take: its largest literal, all its bytes."""
    guard = getattr(client, "guard", None)
    if isinstance(guard, Guard):
        guard.expect(literal, total)


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
        _expect(client, 0, 2 << 20)  # the UIDs found: one line, at most imaplib's 1 MB
        uids = [
            u.decode("ascii", "replace")
            for u in _check(*client.uid("SEARCH", "SINCE", criteria), "SEARCH")[0].split()
        ]
    except (Cut, OSError, imaplib.IMAP4.error) as exc:
        raise failure(exc, settings) from None
    uids = [u for u in dict.fromkeys(uids) if u.isdigit()]
    known = _Known.scan(inbox, settings.max_message_bytes)
    result = FetchResult(found=len(uids))
    done: set[str] = set()

    def fail(header: _Header, code: ProblemCode, **params: Any) -> None:
        done.add(header.uid)
        note = problems.make(code, **{k: _scrub(v) for k, v in params.items()}).message
        result.failed.append(header.listed(note, code.value))

    headers: dict[str, _Header] = {}
    try:
        for chunk in _chunks(uids):
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


def _unknown(uid: str) -> _Header:
    return _Header(uid, 0, "", None, "(không rõ người gửi)", f"(thư số {uid} trên máy chủ)")


def _lost_reason(exc: _Lost, settings: Settings) -> tuple[ProblemCode, dict[str, Any]]:
    cause = exc.cause
    if (
        isinstance(cause, imaplib.IMAP4.error)
        and not isinstance(cause, imaplib.IMAP4.abort)
        and "got more than" not in str(cause)
    ):  # a BAD answer to this command: the server's word
        return ProblemCode.MAILBOX_FAILED, {"detail": _safe(str(cause))}
    said = failure(cause, settings)
    params: dict[str, Any] = {"host": settings.host}
    if said.code == ProblemCode.MAILBOX_STALLED:
        params["seconds"] = settings.timeout_seconds
    if said.code == ProblemCode.MAILBOX_BAD_ANSWER:
        params["detail"] = str(said).split("(", 1)[-1].split(")", 1)[0]
    return said.code, params


def _all_headers(
    link: _Session, uids: list[str]
) -> tuple[dict[str, _Header], dict[str, tuple[ProblemCode, dict[str, Any]]]]:
    """The headers of a batch; a batch that fails is asked again one message at a time."""
    total = len(uids) * (_HEAD_BYTES + 1024) + _SLACK
    why: tuple[ProblemCode, dict[str, Any]]
    try:
        typ, data = link.call(_HEAD_BYTES, total, lambda c: _fetch_headers(c, uids))
    except _Lost as exc:
        typ, data, why = "NO", [], _lost_reason(exc, link.settings)
    else:
        why = (ProblemCode.MAILBOX_FAILED, {"detail": "FETCH: " + _text(data)})
    found: dict[str, _Header] = {}
    if typ == "OK":
        found, without_uid, unreadable = _headers(data, uids)
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


def _fetch_headers(client: imaplib.IMAP4, uids: list[str]) -> tuple[str, Any]:
    return client.uid(
        "FETCH", ",".join(uids), f"(UID RFC822.SIZE BODY.PEEK[HEADER.FIELDS ({_HEADERS})]<0.{_HEAD_BYTES}>)"
    )


def _answers(data: Any) -> list[tuple[bytes, bytes | None]]:
    """Each FETCH answer as (its words, its literal or None), the words after a literal joined."""
    items = list(data or [])
    answers: list[tuple[bytes, bytes | None]] = []
    for n, item in enumerate(items):
        if isinstance(item, tuple) and len(item) == 2 and all(isinstance(x, bytes) for x in item):
            tail = items[n + 1] if n + 1 < len(items) and isinstance(items[n + 1], bytes) else b""
            answers.append((item[0] + b" " + tail, item[1]))
        elif isinstance(item, bytes) and not (n and isinstance(items[n - 1], tuple)):
            answers.append((item, None))
    return answers


def _uid_of(words: bytes) -> str | None:
    match = re.search(rb"\bUID (\d+)", words)
    return match.group(1).decode() if match else None


def _headers(data: Any, asked: list[str]) -> tuple[dict[str, _Header], int, int]:
    """The headers answered for the messages asked; how many answers had no UID, or no sense."""
    found: dict[str, _Header] = {}
    without_uid = unreadable = 0
    for words, literal in _answers(data):
        uid = _uid_of(words)
        if uid is None:
            without_uid += literal is not None or b"RFC822.SIZE" in words
            continue
        if uid not in asked or uid in found:
            continue
        size = re.search(rb"RFC822\.SIZE (\d+)", words)
        if literal is None or size is None:
            unreadable += 1
            continue
        try:
            parsed = BytesHeaderParser(policy=policy.default).parsebytes(literal)
            found[uid] = _Header(
                uid=uid,
                size=int(size.group(1)),
                message_id=_message_id(parsed),
                date=_date(parsed),
                sender=_sender(parsed),
                subject=_subject(parsed),
            )
        except Exception:  # a header the parser cannot take: this answer has no sense
            unreadable += 1
    return found, without_uid, unreadable


def _one_body(
    link: _Session,
    header: _Header,
    inbox: Path,
    known: _Known,
    result: FetchResult,
    fail: Callable[..., None],
) -> None:
    """Download one message, at most ``max_message_bytes`` and one byte, and keep it or list it."""
    limit = link.settings.max_message_bytes
    uid = header.uid
    try:
        typ, data = link.call(
            limit + 1,
            limit + 1 + _SLACK,
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
        fail(header, ProblemCode.MAILBOX_FAILED, detail="FETCH: " + _text(data))
        return
    answers = _answers(data)
    mine = [literal for words, literal in answers if _uid_of(words) == uid]
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
    elif any(_uid_of(words) is None and literal is not None for words, literal in answers):
        fail(header, ProblemCode.MAILBOX_ANSWER_WITHOUT_UID)
    else:
        fail(header, ProblemCode.MAILBOX_MESSAGE_GONE)


def _keep(raw: bytes, header: _Header, inbox: Path, known: _Known, result: FetchResult) -> None:
    """Save one downloaded message if it carries a workbook (or cannot be read to tell)."""
    facts = _facts(raw)
    if known.holds(facts):
        result.already += 1
        return
    verdict = _carries_workbook(raw)
    if verdict is False:
        result.without_workbook.append(header.listed())
        return
    digest = hashlib.sha256(raw).hexdigest()
    name = _name(header.date, digest[:20])
    if (inbox / name).exists():  # another email under the short name: the whole hash then
        name = _name(header.date, digest)
    _write_atomically(inbox / name, raw)
    known.add(facts)
    result.saved.append(name)
    if verdict is None:
        result.unreadable.append(name)


def _chunks(uids: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(uids), _BATCH):
        yield uids[start : start + _BATCH]


def _message_id(message: Any) -> str:
    try:
        value = str(message.get("Message-ID", "") or "")
    except Exception:  # a header too broken to parse counts as none
        return ""
    return _safe(re.sub(r"\s+", "", value))


def _sender(message: Any) -> str:
    try:
        return _safe(parseaddr(str(message.get("From", "")))[1])
    except Exception:
        return ""


def _subject(message: Any) -> str:
    try:
        return _safe(str(message.get("Subject", "")))
    except Exception:
        return ""


def _date(message: Any) -> dt.datetime | None:
    try:
        date = parsedate_to_datetime(str(message.get("Date", "")))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    try:
        return date if date.tzinfo is None else date.astimezone(VIETNAM).replace(tzinfo=None)
    except (OverflowError, ValueError):
        return None


def _safe(text: str) -> str:
    return _scrub(re.sub(r"[\x00-\x1f\x7f]", " ", text))[:200]


def _name(date: dt.datetime | None, digest: str) -> str:
    """``thu-2026-11-28-0830-<SHA-256 of the bytes>.eml``: sorted by date, one email one name."""
    return f"thu-{date:%Y-%m-%d-%H%M}-{digest}.eml" if date else f"thu-khong-ngay-{digest}.eml"


def _size(count: int) -> str:
    return f"{max(1, count // 1024)} KB" if count < 1_048_576 else megabytes(count)


def _shown_date(date: dt.datetime | None) -> str:
    return f"{date:%d/%m/%Y %H:%M}" if date else "không rõ ngày"


@dataclass(frozen=True)
class _Facts:
    """What tells one email from another, however it was saved (line ends, added headers)."""

    content: str  # SHA-256 of the bytes, line ends made LF
    identity: tuple[str, str, str, str]  # Message-ID, date, sender, subject
    body: str  # SHA-256 of what follows the headers, line ends made LF
    size: int  # as an IMAP server counts it: line ends CRLF


def _facts(raw: bytes) -> _Facts:
    lf = raw.replace(b"\r\n", b"\n")
    head, _, body = lf.partition(b"\n\n")
    try:
        parsed = BytesHeaderParser(policy=policy.default).parsebytes(head[:65536] + b"\n\n")
        identity = (_message_id(parsed), str(_date(parsed)), _sender(parsed), _subject(parsed))
    except Exception:  # headers past reading: known by its bytes only
        identity = ("", "", "", "")
    return _Facts(
        content=hashlib.sha256(lf).hexdigest(),
        identity=identity,
        body=hashlib.sha256(body).hexdigest(),
        size=len(lf) + lf.count(b"\n"),
    )


@dataclass
class _Known:
    """The emails already in the inbox, fetched (under any name, old ones too) or saved by hand."""

    contents: set[str] = field(default_factory=set)
    letters: set[tuple[tuple[str, str, str, str], str]] = field(default_factory=set)
    sizes: dict[tuple[str, str, str, str], set[int]] = field(default_factory=dict)

    @classmethod
    def scan(cls, inbox: Path, limit: int) -> _Known:
        known = cls()
        for path in sorted(inbox.rglob("*.eml")):
            try:
                # CRLF counts twice LF: a file larger cannot be a message the fetch would take
                if not path.is_file() or path.stat().st_size > 2 * limit + _SLACK:
                    continue
                known.add(_facts(path.read_bytes()))
            except OSError:
                continue
        return known

    def add(self, facts: _Facts) -> None:
        self.contents.add(facts.content)
        if facts.identity[0]:
            self.letters.add((facts.identity, facts.body))
            self.sizes.setdefault(facts.identity, set()).add(facts.size)

    def holds(self, facts: _Facts) -> bool:
        """The same bytes, or the same email saved by a mail program that added headers."""
        return facts.content in self.contents or (
            bool(facts.identity[0]) and (facts.identity, facts.body) in self.letters
        )

    def announced(self, header: _Header) -> bool:
        """Known before downloading: Message-ID, date, sender, subject and size all the same."""
        return bool(header.message_id) and header.size in self.sizes.get(header.identity, ())


def _carries_workbook(raw: bytes) -> bool | None:
    """True if a workbook or zip is attached; None if the message cannot be read to tell."""
    try:
        message = email.message_from_bytes(raw, policy=policy.default)
        parts = list(message.walk())
        if any(type(d).__name__ in _BROKEN for p in parts for d in p.defects):
            return None
        for n, part in enumerate(parts, start=1):
            if part.is_multipart() or part.get_content_type() == "message/rfc822":
                continue
            name = part.get_filename()
            if not (name or part.get_content_disposition() == "attachment"):
                continue
            if shown_name(name, n).lower().endswith(SAVED_SUFFIXES):
                return True
            payload = part.get_payload(decode=True)  # bytes, or None when there is nothing
            if isinstance(payload, bytes) and (
                payload[:4] == b"PK\x03\x04" or payload[:8] == bytes.fromhex("d0cf11e0a1b11ae1")
            ):
                return True  # a workbook or zip under another name: the run will tell
        return False
    except Exception:  # the run refuses it with its reason; the fetch goes on
        return None


def _write_atomically(path: Path, data: bytes) -> None:
    """Write beside, then rename: an interrupted fetch leaves no half-written email."""
    partial = path.with_name(PARTIAL_PREFIX + path.name)
    try:
        with partial.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
    finally:
        if partial.exists():
            partial.unlink()


# ---------------------------------------------------------------------------------------------
# Drafts


@dataclass
class AppendResult:
    added: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)


def append_drafts(client: imaplib.IMAP4, settings: Settings, paths: list[Path]) -> AppendResult:
    """Put each draft into the Drafts folder with the \\Draft flag, unless it is there already."""
    _open(client, settings.drafts_folder, "drafts_folder")
    present = _present_ids(client)
    result = AppendResult()
    for path in sorted(paths):
        raw = path.read_bytes()
        message_id = _message_id(BytesHeaderParser(policy=policy.default).parsebytes(raw))
        if message_id and message_id in present:
            result.already.append(path.name)
            continue
        _expect(client, 0, 1 << 20)  # an APPEND's answer is a few short lines
        typ, data = client.append(encode_folder(settings.drafts_folder), r"(\Draft)", None, raw)
        if typ != "OK":
            detail = _text(data)
            if re.search(r"OVERQUOTA|LIMIT|quota|too (big|large)|size", detail, re.IGNORECASE):
                raise MailboxError(ProblemCode.MAILBOX_QUOTA, folder=settings.drafts_folder, detail=detail)
            raise MailboxError(ProblemCode.MAILBOX_FAILED, detail=f"APPEND: {detail}")
        present.add(message_id)
        result.added.append(path.name)
    return result


def _present_ids(client: imaplib.IMAP4) -> set[str]:
    _expect(client, 0, 2 << 20)
    uids = [u.decode() for u in _check(*client.uid("SEARCH", "ALL"), "SEARCH")[0].split()]
    present = set()
    for chunk in _chunks(uids):
        _expect(client, _HEAD_BYTES, len(chunk) * (_HEAD_BYTES + 1024) + _SLACK)
        typ, data = _fetch_headers(client, chunk)
        found, _, _ = _headers(_check(typ, data, "FETCH"), chunk)
        present |= {h.message_id for h in found.values() if h.message_id}
    return present


def drafts_in(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.eml")) if folder.is_dir() else []


def session(settings: Settings, prompt: Callable[[str], str] | None = None) -> imaplib.IMAP4:
    """Password found, connection made and logged in."""
    return connect(settings, password(settings, prompt))


def sessions(
    settings: Settings, prompt: Callable[[str], str] | None = None
) -> tuple[imaplib.IMAP4, Callable[[float | None], imaplib.IMAP4]]:
    """A logged-in connection, and how to make another within the same deadline (password asked once)."""
    secret = password(settings, prompt)
    return connect(settings, secret), lambda deadline: connect(settings, secret, deadline)
