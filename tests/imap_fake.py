"""A misbehaving IMAP server for the tests, on 127.0.0.1 only.

It speaks just enough IMAP4rev1 for imaplib (greeting, CAPABILITY, LOGIN, SELECT/EXAMINE,
UID SEARCH, UID FETCH, NOOP, LOGOUT) and misbehaves per message, as a hostile or broken server
would: answers without a UID, a size announced small with a body that never ends, a byte every
few seconds, a connection dropped mid-answer, a line that is not IMAP, a NO that echoes the
password. Every loop is bounded and the server stops by itself after ``lifetime`` seconds.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from dataclasses import dataclass, field

HOST = "127.0.0.1"
FIRST_UID = 101  # UIDs unlike the sequence numbers, so a mix-up shows


@dataclass
class Mail:
    raw: bytes
    mode: str = ""  # how this message's answers misbehave (see Server._body / Server._head)
    phase: str = "body"  # "head": when its headers are asked; "body": when its content is


@dataclass
class Server:
    mails: list[Mail]
    user: str = "ban@khanhhoa.test"
    password: str = "Pw-fake-Secret-2026"
    drip: float = 3.0  # seconds between bytes in "drip" mode
    lifetime: float = 120.0
    port: int = 0
    body_fetches: list[int] = field(default_factory=list)  # UIDs whose content was asked
    logins: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def __enter__(self) -> Server:
        self._listener = socket.socket()
        self._listener.bind((HOST, 0))
        self._listener.listen(8)
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._ends = time.monotonic() + self.lifetime
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._listener.close()
        for thread in list(self._threads):
            thread.join(timeout=10)

    def uid(self, n: int) -> int:
        return FIRST_UID + n

    # -----------------------------------------------------------------------------------------

    def _running(self) -> bool:
        return not self._stop.is_set() and time.monotonic() < self._ends

    def _accept(self) -> None:
        while self._running():
            try:
                conn, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        reader = conn.makefile("rb")
        try:
            conn.sendall(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] fake server ready\r\n")
            for _ in range(10_000):  # commands per connection, at most
                if not self._running():
                    return
                line = reader.readline(65536)
                if not line:
                    return
                if not self._answer(conn, line.rstrip(b"\r\n")):
                    return
        except OSError:  # the client went away: that is how many modes end
            return
        finally:
            reader.close()
            conn.close()

    def _answer(self, conn: socket.socket, line: bytes) -> bool:
        tag, _, rest = line.partition(b" ")
        verb, _, args = rest.partition(b" ")
        verb = verb.upper()
        send = conn.sendall
        if verb == b"CAPABILITY":
            send(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n" + tag + b" OK done\r\n")
        elif verb == b"NOOP":
            send(tag + b" OK done\r\n")
        elif verb == b"LOGIN":
            words = [_unquote(w) for w in re.findall(rb'"(?:[^"\\]|\\.)*"|\S+', args)]
            if words == [self.user.encode(), self.password.encode()]:
                self.logins += 1
                send(tag + b" OK logged in\r\n")
            else:
                send(tag + b" NO [AUTHENTICATIONFAILED] wrong\r\n")
        elif verb in (b"SELECT", b"EXAMINE"):
            send(
                b"* %d EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 7] ok\r\n"
                b"* OK [UIDNEXT %d] ok\r\n"
                % (len(self.mails), self.uid(len(self.mails)))
                + tag
                + b" OK [READ-ONLY] done\r\n"
            )
        elif verb == b"UID":
            sub, _, rest = args.partition(b" ")
            if sub.upper() == b"SEARCH":
                uids = b" ".join(b"%d" % self.uid(n) for n in range(len(self.mails)))
                send(b"* SEARCH " + uids + b"\r\n" + tag + b" OK done\r\n")
            elif sub.upper() == b"FETCH":
                return self._fetch(conn, tag, rest)
            else:
                send(tag + b" BAD unknown\r\n")
        elif verb == b"LOGOUT":
            send(b"* BYE bye\r\n" + tag + b" OK done\r\n")
            return False
        else:
            send(tag + b" BAD unknown command\r\n")
        return True

    def _fetch(self, conn: socket.socket, tag: bytes, rest: bytes) -> bool:
        wanted, _, items = rest.partition(b" ")
        asked = set()
        for part in wanted.split(b","):
            low, _, high = part.partition(b":")
            if low.isdigit() and (not high or high.isdigit()):
                asked.update(range(int(low), int(high or low) + 1))
        head = b"HEADER.FIELDS" in items
        partial = re.search(rb"<0\.(\d+)>", items)
        for n, mail in enumerate(self.mails):
            uid = self.uid(n)
            if uid not in asked:
                continue
            if head:
                keep_going = self._head(conn, tag, n + 1, uid, mail)
            else:
                self.body_fetches.append(uid)
                keep_going = self._body(
                    conn, tag, n + 1, uid, mail, int(partial.group(1)) if partial else None
                )
            if keep_going is None:  # the command is answered (a NO): the connection goes on
                return True
            if keep_going is False:  # the connection is over
                return False
        conn.sendall(tag + b" OK done\r\n")
        return True

    def _head(self, conn: socket.socket, tag: bytes, seq: int, uid: int, mail: Mail) -> bool | None:
        header = mail.raw.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0].replace(b"\n", b"\r\n") + b"\r\n\r\n"
        size = 2048 if mail.mode in ("huge", "understated") else len(mail.raw)  # a lying server
        mode = mail.mode if mail.phase == "head" else ""
        no_uid = mode == "no_uid" or mail.mode == "no_uid_everywhere"
        start = (
            b"* %d FETCH (%sRFC822.SIZE %d BODY[HEADER.FIELDS (MESSAGE-ID DATE FROM SUBJECT)]<0> {%d}\r\n"
            % (
                seq,
                b"" if no_uid else b"UID %d " % uid,
                size,
                len(header),
            )
        )
        if mode in ("garbage", "drop", "drip"):
            return self._misbehave(conn, mode, start, header)
        if mode == "no":  # the whole batch refused because of this one
            conn.sendall(tag + b" NO [UNAVAILABLE] message cannot be read now\r\n")
            return None
        if mode == "unparseable":  # well-formed IMAP, but no size and no header in it
            conn.sendall(b"* %d FETCH (UID %d BODY[HEADER.FIELDS (DATE)]<0> NIL)\r\n" % (seq, uid))
            return True
        if mode == "bye":  # the server says goodbye in the middle of an answer
            conn.sendall(b"* BYE going down\r\n")
            return False
        conn.sendall(start + header + b")\r\n")
        return True

    def _body(
        self, conn: socket.socket, tag: bytes, seq: int, uid: int, mail: Mail, partial: int | None
    ) -> bool | None:
        mode = mail.mode if mail.phase == "body" else ""
        raw = mail.raw
        if mode == "understated":  # honest about the range asked, not about the size
            raw = raw[:partial] if partial is not None else raw
        elif partial is not None and mode != "huge":
            raw = raw[:partial]
        if mode == "no":
            conn.sendall(tag + b" NO [UNAVAILABLE] message cannot be read now\r\n")
            return None
        if mode == "echo":
            conn.sendall(tag + b" NO [SERVERBUG] you said " + self.password.encode() + b"\r\n")
            return None
        if mode == "huge":  # announces 2 KB, then three gigabytes
            start = b"* %d FETCH (UID %d BODY[]<0> {3000000000}\r\n" % (seq, uid)
            conn.sendall(start)
            chunk = b"x" * 65536
            for _ in range(4096):  # 256 MB at most, until the client hangs up
                if not self._running():
                    return False
                conn.sendall(chunk)
            return False
        if mode == "flood":  # the right answer, then untagged lines without end
            conn.sendall(b"* %d FETCH (UID %d BODY[]<0> {%d}\r\n" % (seq, uid, len(raw)) + raw + b")\r\n")
            line = b"* OK " + b"y" * 1000 + b"\r\n"
            for _ in range(200_000):  # 200 MB at most
                if not self._running():
                    return False
                conn.sendall(line * 64)
            return False
        no_uid = mode == "no_uid" or mail.mode == "no_uid_everywhere"
        label = b"" if no_uid else b"UID %d " % uid
        start = b"* %d FETCH (%sBODY[]<0> {%d}\r\n" % (seq, label, len(raw))
        if mode == "unparseable":
            conn.sendall(b"* %d FETCH (UID %d BODY[]<0> NIL)\r\n" % (seq, uid))
            return True
        if mode == "bye":
            conn.sendall(b"* BYE going down\r\n")
            return False
        if mode in ("garbage", "drop", "drip"):
            return self._misbehave(conn, mode, start, raw)
        conn.sendall(start + raw + b")\r\n")
        return True

    def _misbehave(self, conn: socket.socket, mode: str, start: bytes, literal: bytes) -> bool:
        if mode == "garbage":
            conn.sendall(b"this is not IMAP, and there is no tag here\r\n")
            return True  # the client gives up on this connection, not the server
        if mode == "drop":
            conn.sendall(start + literal[: len(literal) // 2])
            conn.shutdown(socket.SHUT_RDWR)
            return False
        conn.sendall(start)  # drip: one byte, then a pause, for as long as anyone listens
        for byte in literal[:2000]:
            if not self._running():
                return False
            conn.sendall(bytes([byte]))
            self._stop.wait(self.drip)
        return False


def _unquote(word: bytes) -> bytes:
    if word.startswith(b'"') and word.endswith(b'"'):
        return word[1:-1].replace(b'\\"', b'"').replace(b"\\\\", b"\\")
    return word
