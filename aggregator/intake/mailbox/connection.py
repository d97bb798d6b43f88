"""The Board's mailbox reached over IMAP: its settings, the password, one checked connection.

The server is a peer that may misbehave: every socket read has a timeout, the whole session a
deadline, every answer a byte budget checked on the bytes actually read (``expect``). The
password comes from an environment variable, the keyring or a hidden prompt; it is kept in
memory only, never written or logged, and scrubbed from anything said (``scrub``).
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import getpass
import imaplib
import ipaddress
import os
import re
import socket
import ssl
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aggregator import problems
from aggregator.config import ConfigError, check_structure, descriptors, read_yaml
from aggregator.intake.imap_guard import Cut, Guard, Plain, Tls
from aggregator.problems import ProblemCode

SETTINGS_FILE = "mailbox.yaml"


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
        super().__init__(problems.make(code, **{k: scrub(v) for k, v in params.items()}).message)


# what was sent to log in: never repeated, even when a server echoes it back in an answer
_SECRETS: set[str] = set()


def scrub(value: Any) -> Any:
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


def check(typ: str, data: Any, what: str) -> Any:
    if typ != "OK":
        raise MailboxError(ProblemCode.MAILBOX_FAILED, detail=f"{what}: {text(data)}")
    return data


def text(data: Any) -> str:
    parts = data if isinstance(data, list) else [data]
    text = " ".join(p.decode("utf-8", "replace") if isinstance(p, bytes) else str(p) for p in parts if p)
    return scrub(safe(text))


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


def examine(client: imaplib.IMAP4, folder: str, key: str) -> None:
    """EXAMINE a folder (read-only), or say which folders there are."""
    typ, _ = client.select(encode_folder(folder), readonly=True)
    if typ != "OK":
        raise MailboxError(
            ProblemCode.MAILBOX_FOLDER_MISSING,
            folder=folder,
            key=key,
            folders=", ".join(folders(client)) or "(không có)",
        )


def expect(client: imaplib.IMAP4, literal: int, total: int) -> None:
    """What the next answer may take: its largest literal, all its bytes."""
    guard = getattr(client, "guard", None)
    if isinstance(guard, Guard):
        guard.expect(literal, total)


def safe(text: str) -> str:
    return scrub(re.sub(r"[\x00-\x1f\x7f]", " ", text))[:200]


def session(settings: Settings, prompt: Callable[[str], str] | None = None) -> imaplib.IMAP4:
    """Password found, connection made and logged in."""
    return connect(settings, password(settings, prompt))


def sessions(
    settings: Settings, prompt: Callable[[str], str] | None = None
) -> tuple[imaplib.IMAP4, Callable[[float | None], imaplib.IMAP4]]:
    """A logged-in connection, and how to make another within the same deadline (password asked once)."""
    secret = password(settings, prompt)
    return connect(settings, secret), lambda deadline: connect(settings, secret, deadline)
