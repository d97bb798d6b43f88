"""The Board's mailbox over IMAP: units' emails fetched into the inbox, drafts put into Drafts.

Read-only where the units' mail is: the folder is opened with EXAMINE and read with
``BODY.PEEK[]``, so nothing is deleted, moved or marked read. The only write is APPEND of our
own drafts, with the ``\\Draft`` flag, each once (found again by its Message-ID). Nothing here
sends mail. The password comes from an environment variable, the keyring or a hidden prompt;
it is kept in memory only, never written or logged.
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
from aggregator.intake.discover import WORKBOOK_SUFFIXES, megabytes
from aggregator.intake.mail import shown_name
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
    timeout_seconds: int = 60

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
        super().__init__(problems.make(code, **params).message)


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


def connect(settings: Settings, secret: str) -> imaplib.IMAP4:
    """A logged-in connection, the server's certificate verified (plaintext only to loopback)."""
    if settings.security == "plain" and not is_loopback(settings.host):
        raise MailboxError(ProblemCode.MAILBOX_PLAINTEXT_REFUSED, exit_code=2, host=settings.host)
    context = _tls_context(settings)
    where: dict[str, Any] = {"host": settings.host, "port": settings.port}
    try:
        if settings.security == "imaps":
            client: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                settings.host, settings.port, ssl_context=context, timeout=settings.timeout_seconds
            )
        else:
            client = imaplib.IMAP4(settings.host, settings.port, timeout=settings.timeout_seconds)
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
    except (OSError, imaplib.IMAP4.error) as exc:
        raise MailboxError(ProblemCode.MAILBOX_UNREACHABLE, detail=_network_detail(exc), **where) from None
    try:
        if secret.isascii():
            client.login(settings.user, secret)
        else:  # LOGIN is ASCII only; AUTHENTICATE PLAIN carries UTF-8
            token = f"\0{settings.user}\0{secret}".encode()
            client.authenticate("PLAIN", lambda _: token)
    except imaplib.IMAP4.error:
        close(client)
        raise MailboxError(ProblemCode.MAILBOX_LOGIN_FAILED, **settings.hints) from None
    except OSError as exc:
        close(client)
        raise MailboxError(ProblemCode.MAILBOX_UNREACHABLE, detail=_network_detail(exc), **where) from None
    return client


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
    """Log out; a connection already gone is fine."""
    with contextlib.suppress(OSError, imaplib.IMAP4.error):
        client.logout()


def _check(typ: str, data: Any, what: str) -> Any:
    if typ != "OK":
        raise MailboxError(ProblemCode.MAILBOX_FAILED, detail=f"{what}: {_text(data)}")
    return data


def _text(data: Any) -> str:
    parts = data if isinstance(data, list) else [data]
    return " ".join(p.decode("utf-8", "replace") if isinstance(p, bytes) else str(p) for p in parts if p)[
        :200
    ]


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
    """A message staff should look at themselves: who, what, when."""

    sender: str
    subject: str
    date: str
    note: str = ""


@dataclass
class FetchResult:
    found: int = 0
    saved: list[str] = field(default_factory=list)  # names written into the inbox
    already: int = 0
    without_workbook: list[Listed] = field(default_factory=list)
    too_large: list[Listed] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)  # saved as they came, for the run


@dataclass
class _Header:
    uid: str
    size: int
    message_id: str
    date: dt.datetime | None
    sender: str
    subject: str


def fetch(
    client: imaplib.IMAP4,
    settings: Settings,
    inbox: Path,
    since: dt.date | None = None,
    progress: Callable[[Iterable[Any], int], Iterable[Any]] | None = None,
) -> FetchResult:
    """Save every message with a workbook or zip attached into ``inbox`` as ``.eml``, once."""
    inbox.mkdir(parents=True, exist_ok=True)
    for leftover in inbox.glob(PARTIAL_PREFIX + "*"):  # from a fetch killed mid-write
        leftover.unlink()
    _open(client, settings.folder, "folder")
    day = since or settings.since
    criteria = f"{day.day:02d}-{_MONTHS[day.month - 1]}-{day.year}"
    uids = _check(*client.uid("SEARCH", "SINCE", criteria), "SEARCH")[0].split()
    known_ids, known_names = _known(inbox)
    result = FetchResult(found=len(uids))
    headers = [h for chunk in _chunks(uids) for h in _headers(client, chunk)]
    wanted = []
    for header in headers:
        # known by its Message-ID and its date: a mail program that gives every email the same
        # Message-ID (some scanners do) cannot make a second report look already fetched
        if header.message_id and (
            (header.message_id, header.date) in known_ids
            or _name(header.date, _id_hash(header.message_id)) in known_names
        ):
            result.already += 1
        elif header.size > settings.max_message_bytes:
            result.too_large.append(
                Listed(header.sender, header.subject, _shown_date(header.date), note=megabytes(header.size))
            )
        else:
            wanted.append(header)
    for header in progress(wanted, len(wanted)) if progress else wanted:
        raw = _body(client, header.uid)
        if raw is not None:  # None: deleted on the server since the search
            _keep(raw, header, inbox, known_names, result)
    return result


def _keep(raw: bytes, header: _Header, inbox: Path, known_names: set[str], result: FetchResult) -> None:
    """Save one downloaded message if it carries a workbook (or cannot be read to tell)."""
    name = _name(
        header.date,
        _id_hash(header.message_id) if header.message_id else "raw-" + hashlib.sha256(raw).hexdigest()[:12],
    )
    if name in known_names:
        result.already += 1
        return
    verdict = _carries_workbook(raw)
    if verdict is False:
        result.without_workbook.append(Listed(header.sender, header.subject, _shown_date(header.date)))
        return
    _write_atomically(inbox / name, raw)
    known_names.add(name)
    result.saved.append(name)
    if verdict is None:
        result.unreadable.append(name)


def _chunks(uids: list[bytes]) -> Iterator[list[bytes]]:
    for start in range(0, len(uids), _BATCH):
        yield uids[start : start + _BATCH]


def _headers(client: imaplib.IMAP4, uids: list[bytes]) -> list[_Header]:
    typ, data = client.uid(
        "FETCH", b",".join(uids).decode(), f"(RFC822.SIZE BODY.PEEK[HEADER.FIELDS ({_HEADERS})])"
    )
    _check(typ, data, "FETCH")
    found = []
    items = list(data)
    for n, item in enumerate(items):
        if not isinstance(item, tuple):
            continue
        meta = item[0] + (items[n + 1] if n + 1 < len(items) and isinstance(items[n + 1], bytes) else b"")
        uid, size = re.search(rb"UID (\d+)", meta), re.search(rb"RFC822\.SIZE (\d+)", meta)
        if not uid:
            continue
        parsed = BytesHeaderParser(policy=policy.default).parsebytes(item[1])
        found.append(
            _Header(
                uid=uid.group(1).decode(),
                size=int(size.group(1)) if size else 0,
                message_id=_message_id(parsed),
                date=_date(parsed),
                sender=_safe(parseaddr(str(parsed.get("From", "")))[1]),
                subject=_safe(str(parsed.get("Subject", ""))),
            )
        )
    return found


def _body(client: imaplib.IMAP4, uid: str) -> bytes | None:
    typ, data = client.uid("FETCH", uid, "(BODY.PEEK[])")
    _check(typ, data, "FETCH")
    for item in data:
        if isinstance(item, tuple) and re.search(rb"UID " + uid.encode() + rb"\b", item[0]):
            return item[1]
    return None


def _message_id(message: Any) -> str:
    try:
        value = str(message.get("Message-ID", "") or "")
    except Exception:  # a header too broken to parse counts as none
        return ""
    return re.sub(r"\s+", "", value)


def _date(message: Any) -> dt.datetime | None:
    try:
        date = parsedate_to_datetime(str(message.get("Date", "")))
    except (TypeError, ValueError, IndexError):
        return None
    return date if date.tzinfo is None else date.astimezone(VIETNAM).replace(tzinfo=None)


def _safe(text: str) -> str:
    return re.sub(r"[\x00-\x1f\x7f]", " ", text)[:200]


def _id_hash(message_id: str) -> str:
    return hashlib.sha256(message_id.encode("utf-8", "replace")).hexdigest()[:16]


def _name(date: dt.datetime | None, digest: str) -> str:
    """``thu-2026-11-28-0830-<hash>.eml``: sorted by date, the same name at every fetch."""
    return f"thu-{date:%Y-%m-%d-%H%M}-{digest}.eml" if date else f"thu-khong-ngay-{digest}.eml"


def _shown_date(date: dt.datetime | None) -> str:
    return f"{date:%d/%m/%Y %H:%M}" if date else "không rõ ngày"


def _known(inbox: Path) -> tuple[set[tuple[str, dt.datetime | None]], set[str]]:
    """Message-ID and date of the emails already in the inbox (fetched or saved by hand), names."""
    ids: set[tuple[str, dt.datetime | None]] = set()
    names: set[str] = set()
    for path in inbox.rglob("*.eml"):
        names.add(path.name)
        try:
            with path.open("rb") as handle:
                head = handle.read(65536).split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
            parsed = BytesHeaderParser(policy=policy.default).parsebytes(head)
            found = _message_id(parsed)
        except (OSError, ValueError):
            continue
        if found:
            ids.add((found, _date(parsed)))
    return ids, names


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
    uids = _check(*client.uid("SEARCH", "ALL"), "SEARCH")[0].split()
    return {h.message_id for chunk in _chunks(uids) for h in _headers(client, chunk) if h.message_id}


def drafts_in(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.eml")) if folder.is_dir() else []


def session(settings: Settings, prompt: Callable[[str], str] | None = None) -> imaplib.IMAP4:
    """Password found, connection made and logged in."""
    return connect(settings, password(settings, prompt))
