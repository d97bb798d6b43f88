"""imaplib with bounds: a timeout on every read, a deadline on the session, bytes per answer.

imaplib trusts its peer: it reads a literal with one ``read(size)`` of whatever size the server
announces, keeps every untagged line it is sent, and waits as long as bytes keep coming, one a
minute if need be. Here its socket file is replaced by a reader that sets the socket's timeout
to what is left of the deadline before each receive and counts each byte against the budget of
the answer awaited, and a literal larger than the command allows is refused before it is read.
What is refused is raised as ``Cut``; the caller says it as the mailbox's problem.
"""

from __future__ import annotations

import imaplib
import io
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any


class Cut(Exception):
    """The guard stopped reading: ``kind`` is "stalled", "deadline" or "too_large"."""

    def __init__(self, kind: str, size: int = 0):
        self.kind, self.size = kind, size
        super().__init__(kind)


@dataclass
class Guard:
    """What one session may spend: a timeout per read, a deadline, bytes per answer.

    imaplib reads a literal with one ``read(size)`` of the size the server announces and keeps
    every untagged line: neither is bounded. Here every read goes through ``_Reader`` (the
    socket's timeout set to what is left of the deadline, each byte counted against the
    answer's budget) and a literal larger than the command allows is refused before it is read.
    """

    timeout: float
    deadline: float  # time.monotonic() when the session must end
    literal: int = 1 << 20  # the largest literal the current command may receive
    budget: int = 16 << 20  # bytes the current answer may still take

    def expect(self, literal: int, total: int) -> None:
        self.literal, self.budget = literal, total

    def wait(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise Cut("deadline")
        return min(self.timeout, left)


class _Reader(io.RawIOBase):
    """The socket as imaplib's file: each receive bounded in time and counted."""

    def __init__(self, sock: socket.socket, guard: Guard):
        self.sock, self.guard = sock, guard

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        self.sock.settimeout(self.guard.wait())
        view = memoryview(buffer)[: min(len(buffer), 65536)]
        try:
            count = self.sock.recv_into(view)
        except TimeoutError:
            self.guard.wait()  # the deadline, if that is what ran out
            raise Cut("stalled") from None
        self.guard.budget -= count
        if self.guard.budget < 0:
            raise Cut("too_large")
        return count


class _Guarded:
    """Mixed into imaplib's classes: its reads go through the guard."""

    guard: Guard
    sock: socket.socket
    file: Any

    def _guard_file(self) -> None:
        self.file = io.BufferedReader(_Reader(self.sock, self.guard), 65536)

    def open(self, host: Any = "", port: Any = None, timeout: Any = None) -> None:
        super().open(host, port, timeout)  # type: ignore[misc]
        self._guard_file()

    def read(self, size: int) -> bytes:
        if size > self.guard.literal:  # refused before a byte of it is read
            raise Cut("too_large", size)
        data = self.file.read(size)
        if len(data) < size:
            raise imaplib.IMAP4.abort("socket error: EOF")
        return bytes(data)

    def send(self, data: Any) -> None:
        self.sock.settimeout(self.guard.wait())
        super().send(data)  # type: ignore[misc]

    def starttls(self, ssl_context: Any = None) -> Any:
        self.sock.settimeout(self.guard.wait())  # ssl bounds a whole handshake by the timeout
        answer = super().starttls(ssl_context)  # type: ignore[misc]
        self._guard_file()
        return answer


class Plain(_Guarded, imaplib.IMAP4):
    def __init__(self, host: str, port: int, guard: Guard):
        self.guard = guard
        super().__init__(host, port, timeout=guard.timeout)


class Tls(_Guarded, imaplib.IMAP4_SSL):
    def __init__(self, host: str, port: int, guard: Guard, context: ssl.SSLContext):
        self.guard = guard
        super().__init__(host, port, ssl_context=context, timeout=guard.timeout)

    def _create_socket(self, timeout: float | None) -> socket.socket:
        sock = imaplib.IMAP4._create_socket(self, timeout)  # type: ignore[attr-defined]
        sock.settimeout(self.guard.wait())  # ssl bounds a whole handshake by the timeout
        return self.ssl_context.wrap_socket(sock, server_hostname=self.host)
