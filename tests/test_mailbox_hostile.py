"""The mailbox as a hostile peer: fetch against a misbehaving IMAP server (tests/imap_fake.py).

Each test gives the server good messages and bad ones and checks that every message ends saved
or listed with its reason, that the good ones are saved whatever the bad ones did, and that the
failure is said as the mailbox's, in Vietnamese, with the README's exit code.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import socket
import tempfile
import threading
from email.message import EmailMessage
from pathlib import Path

import imap_fake
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aggregator import config
from aggregator.cli import main
from aggregator.intake import mailbox

ROOT = Path(__file__).resolve().parents[1]
ENV = "DIENHINH_TEST_MAIL_PASSWORD"
XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def mail(n: int, message_id: str | None = None, date: str | None = None, size: int = 3000) -> bytes:
    """A unit's email with a small workbook-like attachment, distinct by ``n``."""
    made = EmailMessage()
    made["From"] = f"Đơn vị {n} <donvi{n}@khanhhoa.gov.vn>"
    made["To"] = "btgdv@khanhhoa.gov.vn"
    made["Subject"] = f"Báo cáo mô hình {n}"
    made["Date"] = date or f"Thu, 03 Dec 2026 09:{n % 60:02d}:00 +0700"
    made["Message-ID"] = message_id or f"<m{n}@khanhhoa.gov.vn>"
    made.set_content("Kính gửi Ban.")
    made.add_attachment(b"PK\x03\x04" + bytes([n % 256]) * size, *XLSX, filename=f"bc{n}.xlsx")
    return bytes(made).replace(b"\n", b"\r\n")  # as a server holds it


def settings_for(folder: Path, server: imap_fake.Server, **overrides: object) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    data = yaml.safe_load((config.BUNDLED / "mailbox.yaml").read_text(encoding="utf-8"))
    data.update(
        host=imap_fake.HOST,
        port=server.port,
        security="plain",
        user=server.user,
        since="2020-01-01",
        password_env=ENV,
        max_message_bytes=1_000_000,
        timeout_seconds=1,
        deadline_seconds=60,
    )
    data.update(overrides)
    (folder / "mailbox.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return folder


def fetched(server: imap_fake.Server, tmp: Path, inbox: Path, **overrides: object) -> mailbox.FetchResult:
    """The library's fetch, reconnecting as the command does."""
    settings = mailbox.load_settings(settings_for(tmp / "schemas", server, **overrides))
    client, reconnect = mailbox.sessions(settings)
    try:
        result = mailbox.fetch(client, settings, inbox, reconnect=reconnect)
    finally:
        mailbox.close(client)
    assert result.accounted == result.found == len(server.mails)  # nothing falls between lists
    return result


def contents(inbox: Path) -> list[bytes]:
    return sorted(p.read_bytes() for p in inbox.iterdir() if p.is_file())


@pytest.fixture
def password(monkeypatch):
    monkeypatch.setenv(ENV, imap_fake.Server.password)
    return imap_fake.Server.password


def failed_codes(result: mailbox.FetchResult) -> dict[str, str]:
    return {item.uid: item.code for item in result.failed}


# ---------------------------------------------------------------------------------------------


def test_two_emails_with_one_message_id_in_one_minute_are_both_saved_under_their_hash(tmp_path, password):
    same = {"message_id": "<scan@copier.local>", "date": "Thu, 03 Dec 2026 09:15:00 +0700"}
    first, second = mail(1, **same), mail(2, **same)
    inbox = tmp_path / "inbox"
    with imap_fake.Server([imap_fake.Mail(first), imap_fake.Mail(second)]) as server:
        result = fetched(server, tmp_path, inbox)
        assert len(result.saved) == 2 and contents(inbox) == sorted([first, second])
        for raw in (first, second):
            digest = hashlib.sha256(raw).hexdigest()[:20]
            assert (inbox / f"thu-2026-12-03-0915-{digest}.eml").read_bytes() == raw
        asked = len(server.body_fetches)
        again = fetched(server, tmp_path, inbox)
        assert again.saved == [] and again.already == 2 and contents(inbox) == sorted([first, second])
        assert len(server.body_fetches) == asked  # known without downloading them again


def test_files_saved_under_the_old_names_or_by_hand_are_not_fetched_again(tmp_path, password):
    """An inbox filled before the upgrade: names from the Message-ID, a mail program's copies."""
    old, hand, thunderbird, new = mail(1), mail(2), mail(3), mail(4)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    digest = hashlib.sha256(b"<m1@khanhhoa.gov.vn>").hexdigest()[:16]
    (inbox / f"thu-2026-12-03-0901-{digest}.eml").write_bytes(old)  # the old fetch's name
    (inbox / "Báo cáo đơn vị 2.eml").write_bytes(hand.replace(b"\r\n", b"\n"))  # LF line ends
    (inbox / "tb.eml").write_bytes(b"X-Mozilla-Status: 0001\r\n" + thunderbird)  # a header added
    with imap_fake.Server([imap_fake.Mail(m) for m in (old, hand, thunderbird, new)]) as server:
        result = fetched(server, tmp_path, inbox)
    assert result.already == 3 and len(result.saved) == 1
    assert (inbox / result.saved[0]).read_bytes() == new


def test_answers_without_a_uid_are_listed_and_the_rest_saved(tmp_path, password):
    good = mail(1)
    mails = [
        imap_fake.Mail(good),
        imap_fake.Mail(mail(2), "no_uid", "head"),
        imap_fake.Mail(mail(3), "no_uid", "body"),
        imap_fake.Mail(mail(4), "no_uid_everywhere"),
    ]
    inbox = tmp_path / "inbox"
    with imap_fake.Server(mails) as server:
        result = fetched(server, tmp_path, inbox)
        uids = [str(server.uid(n)) for n in range(4)]
    assert contents(inbox) == [good]
    assert failed_codes(result) == {u: "mailbox_answer_without_uid" for u in uids[1:]}
    assert all("UID" in item.note for item in result.failed)


def test_a_message_announced_small_that_never_ends_is_cut_at_the_limit_and_listed(tmp_path, password):
    """2 KB announced, then a literal of 3 GB, or more than the range asked, or lines without end."""
    good = mail(1)
    mails = [
        imap_fake.Mail(mail(2, size=10_000), "huge"),
        imap_fake.Mail(good),
        imap_fake.Mail(mail(3, size=1_500_000), "understated"),
        imap_fake.Mail(mail(4), "flood"),
    ]
    inbox = tmp_path / "inbox"
    with imap_fake.Server(mails) as server:
        result = fetched(server, tmp_path, inbox)
    assert contents(inbox) == [good]
    assert len(result.too_large) == 3 and result.failed == []
    assert all(item.note for item in result.too_large)


def test_a_server_that_stalls_costs_one_message_and_is_said(tmp_path, password, capsys):
    good = [mail(1), mail(3)]
    mails = [imap_fake.Mail(good[0]), imap_fake.Mail(mail(2), "drip"), imap_fake.Mail(good[1])]
    inbox = tmp_path / "inbox"
    with imap_fake.Server(mails, drip=3.0) as server:
        schemas = settings_for(tmp_path / "schemas", server)
        assert main(["fetch", "--schemas", str(schemas), "--inbox", str(inbox)]) == 1
        stalled = str(server.uid(1))
    assert contents(inbox) == sorted(good)
    said = capsys.readouterr()
    assert "timeout_seconds" in said.out and f"(số {stalled})" in said.out
    assert "Lỗi hộp thư" in said.err and "Lỗi bất ngờ" not in said.err + said.out


def test_a_slow_drip_cannot_outlast_the_deadline(tmp_path, password):
    """One byte every few tenths of a second: each read is on time, the whole is not."""
    good = mail(1)
    mails = [imap_fake.Mail(good), imap_fake.Mail(mail(2), "drip"), imap_fake.Mail(mail(3))]
    inbox = tmp_path / "inbox"
    with imap_fake.Server(mails, drip=0.2) as server:
        result = fetched(server, tmp_path, inbox, timeout_seconds=5, deadline_seconds=2)
    assert contents(inbox) == [good]  # saved before the deadline: kept
    assert result.stopped is not None and result.stopped.code == "mailbox_deadline"
    stalled, after = (str(server.uid(n)) for n in (1, 2))
    assert failed_codes(result) == {stalled: "mailbox_deadline", after: "mailbox_not_reached"}


@pytest.mark.parametrize("phase", ["head", "body"])
@pytest.mark.parametrize("mode", ["drop", "garbage", "no", "unparseable", "bye"])
def test_a_dropped_connection_a_garbage_line_or_a_refusal_costs_that_message_only(
    tmp_path, password, mode, phase
):
    good = [mail(1), mail(3), mail(4)]
    mails = [imap_fake.Mail(good[0]), imap_fake.Mail(mail(2), mode, phase), *map(imap_fake.Mail, good[1:])]
    inbox = tmp_path / "inbox"
    with imap_fake.Server(mails) as server:
        result = fetched(server, tmp_path, inbox)
        bad = str(server.uid(1))
    assert contents(inbox) == sorted(good)
    expected = {
        "drop": "mailbox_dropped",
        "garbage": "mailbox_bad_answer",
        "no": "mailbox_failed",
        "unparseable": "mailbox_bad_answer",
        "bye": "mailbox_dropped",
    }[mode]
    assert failed_codes(result) == {bad: expected} and result.stopped is None


def test_every_failure_at_the_command_line_is_the_mailboxs_with_exit_1(tmp_path, password, capsys):
    inbox = tmp_path / "inbox"
    with imap_fake.Server([imap_fake.Mail(mail(1)), imap_fake.Mail(mail(2), "drop")]) as server:
        schemas = settings_for(tmp_path / "schemas", server)
        assert main(["fetch", "--schemas", str(schemas), "--inbox", str(inbox)]) == 1
    said = capsys.readouterr()
    assert len(contents(inbox)) == 1
    assert "ngắt kết nối" in said.out and "Lỗi hộp thư" in said.err
    assert "Lỗi bất ngờ" not in said.err and "outbox" not in said.err
    # a server that breaks every time: the fetch stops, said as the mailbox's, exit 1
    with imap_fake.Server([imap_fake.Mail(mail(n), "garbage", "head") for n in range(30)]) as server:
        schemas = settings_for(tmp_path / "schemas", server)
        assert main(["fetch", "--schemas", str(schemas), "--inbox", str(tmp_path / "other")]) == 1
    said = capsys.readouterr()
    assert "Lỗi hộp thư" in said.err and "Lỗi bất ngờ" not in said.err
    assert said.out.count("\n    - ") == 30  # every message listed, with its reason


def test_a_server_that_stops_answering_at_the_greeting_is_said(tmp_path, password):
    with imap_fake.Server([]) as server:
        settings = mailbox.load_settings(settings_for(tmp_path / "schemas", server))
    # the server is gone: nothing listens on its port any more
    with pytest.raises(mailbox.MailboxError) as caught:
        mailbox.sessions(settings)
    assert caught.value.code == "mailbox_unreachable" and caught.value.exit_code == 1


def test_the_password_never_appears_even_when_the_server_echoes_it(tmp_path, password, capsys, caplog):
    inbox = tmp_path / "inbox"
    mails = [imap_fake.Mail(mail(1)), imap_fake.Mail(mail(2), "echo"), imap_fake.Mail(mail(3), "garbage")]
    with imap_fake.Server(mails) as server:
        schemas = settings_for(tmp_path / "schemas", server)
        assert main(["fetch", "--schemas", str(schemas), "--inbox", str(inbox), "--debug"]) == 1
    said = capsys.readouterr()
    shown = said.out + said.err + caplog.text
    assert "you said ***" in shown  # the echo reached the output, the password did not
    token = base64.b64encode(f"\0{imap_fake.Server.user}\0{password}".encode()).decode()
    assert password not in shown and token not in shown
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert password.encode() not in path.read_bytes(), path


def test_the_deadline_is_a_checked_setting(tmp_path):
    with imap_fake.Server([]) as server:
        schemas = settings_for(tmp_path / "schemas", server, deadline_seconds=0)
    from aggregator.config import ConfigError

    with pytest.raises(ConfigError, match="deadline_seconds"):
        mailbox.load_settings(schemas)
    assert main(["fetch", "--schemas", str(schemas), "--inbox", str(tmp_path / "i")]) == 2


class Mute:
    """A listener that answers a connection with ``first`` and then one byte every few tenths."""

    def __init__(self, first: bytes = b"", drip: bytes = b""):
        self.first, self.drip = first, drip
        self.listener = socket.socket()
        self.listener.bind((imap_fake.HOST, 0))
        self.listener.listen(4)
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Mute:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=10)
        self.listener.close()

    def _run(self) -> None:
        conns = []
        for _ in range(600):  # a minute at most
            if self.stop.is_set():
                break
            try:
                conn, _ = self.listener.accept()
                conns.append(conn)
                conn.sendall(self.first)
            except (TimeoutError, OSError):
                pass
            for conn in conns:
                with contextlib.suppress(OSError):
                    conn.sendall(self.drip)
            self.stop.wait(0.1 if conns else 0)
        for conn in conns:
            conn.close()


@pytest.mark.parametrize(
    ("security", "first", "drip", "code"),
    [
        ("plain", b"", b"", "mailbox_stalled"),  # connected, then not a word
        ("plain", b"* OK ", b"x", "mailbox_deadline"),  # a greeting that never ends
        ("plain", b"HTTP/1.1 400 Bad Request\r\n", b"", "mailbox_bad_answer"),  # not IMAP
        # a TLS record dripped: ssl bounds the whole handshake by the timeout
        ("imaps", b"\x16\x03\x03\x40\x00", b"\x00", "mailbox_unreachable"),
    ],
)
def test_a_server_that_stalls_drips_or_babbles_before_login_is_said(
    tmp_path, password, security, first, drip, code
):
    with Mute(first, drip) as mute:
        overrides = {"port": mute.port, "security": security, "deadline_seconds": 2}
        schemas = settings_for(tmp_path / "schemas", imap_fake.Server([]), **overrides)
        settings = mailbox.load_settings(schemas)
        with pytest.raises(mailbox.MailboxError) as caught:
            mailbox.sessions(settings)
    assert caught.value.code == code and caught.value.exit_code == 1


# (mode, phase) pairs that misbehave, the good message twice, none that waits on a timeout
FAST_MODES = [("", "body"), ("", "body")] + [
    (mode, phase)
    for mode in ("no_uid", "unparseable", "garbage", "drop", "no", "bye")
    for phase in ("head", "body")
]
FAST_MODES += [("huge", "body"), ("flood", "body"), ("understated", "body")]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(FAST_MODES), max_size=8))
def test_whatever_the_server_does_every_message_is_saved_or_listed_and_the_good_ones_saved(password, plan):
    mails = [
        imap_fake.Mail(mail(n, size=1_500_000 if mode == "understated" else 3000), mode, phase)
        for n, (mode, phase) in enumerate(plan)
    ]
    with tempfile.TemporaryDirectory() as folder, imap_fake.Server(mails) as server:
        tmp = Path(folder)
        result = fetched(server, tmp, tmp / "inbox")  # accounted == found, checked there
        good = sorted(m.raw for m in mails if not m.mode)
        if result.stopped is None:  # (more failures than new connections allowed: it stops)
            assert contents(tmp / "inbox") == good
        assert all(item.note and item.code for item in result.failed)
