"""The Board's mailbox against a real Dovecot: fetch into the inbox, drafts into Drafts, errors."""

from __future__ import annotations

import base64
import datetime as dt
import email
import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
import unicodedata
import zipfile
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import dovecot
import keyring
import pytest
from builders import model, workbook
from hypothesis import given
from hypothesis import strategies as st
from keyring.backends import null

from aggregator import config as config_module
from aggregator.cli import main
from aggregator.clock import VIETNAM
from aggregator.config import ConfigError
from aggregator.intake import discover, mailbox
from aggregator.merging import merge
from aggregator.pipeline import aggregate

ROOT = Path(__file__).resolve().parents[1]
XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
ENV = "DIENHINH_TEST_MAIL_PASSWORD"


@pytest.fixture(scope="session")
def server():
    if not dovecot.DOVECOT or not shutil.which("openssl"):
        pytest.skip("Dovecot (dovecot-imapd) or openssl is not installed")
    running = dovecot.start()
    yield running
    running.stop()
    shutil.rmtree(running.root, ignore_errors=True)


@dataclass
class Box:
    server: dovecot.Dovecot
    user: str
    password: str
    schemas: Path
    tmp: Path

    def settings(self) -> mailbox.Settings:
        return mailbox.load_settings(self.schemas)

    def rewrite(self, **overrides: object) -> None:
        self.server.settings(self.schemas, self.user, **overrides)

    def append(self, messages: list[bytes], folder: str = "INBOX") -> None:
        self.server.append(self.user, self.password, messages, folder)

    def read_folder(self, folder: str) -> list[tuple[bytes, bytes]]:
        """(flags, raw) of every message in a folder, read without changing anything."""
        client = self.server.client(self.user, self.password)
        try:
            client.select(mailbox.encode_folder(folder), readonly=True)
            uids = client.uid("SEARCH", None, "ALL")[1][0].split()
            found = []
            for uid in uids:
                data = client.uid("FETCH", uid.decode(), "(FLAGS BODY.PEEK[])")[1]
                found.append((data[0][0], data[0][1]))
            return found
        finally:
            client.logout()


@pytest.fixture
def box(server, tmp_path, monkeypatch):
    user, password = server.new_user()
    monkeypatch.setenv(ENV, password)
    return Box(server, user, password, server.settings(tmp_path / "schemas", user), tmp_path)


@pytest.fixture
def no_keyring():
    previous = keyring.get_keyring()
    keyring.set_keyring(null.Keyring())
    yield
    keyring.set_keyring(previous)


def message(
    attachments=(),
    sender="vanphong@camlam.khanhhoa.gov.vn",
    subject="Báo cáo mô hình",
    date="Thu, 03 Dec 2026 09:15:00 +0700",
    body="Kính gửi Ban.",
    charset="utf-8",
    message_id: str | None = "auto",
) -> EmailMessage:
    mail = EmailMessage()
    mail["From"], mail["To"] = f"Văn phòng <{sender}>", "btgdv@khanhhoa.gov.vn"
    mail["Subject"], mail["Date"] = subject, date
    if message_id == "auto":
        mail["Message-ID"] = f"<{abs(hash((sender, subject, date))):x}@{sender.split('@')[1]}>"
    elif message_id:
        mail["Message-ID"] = message_id
    if charset == "cp1258":  # the Windows code page: base letters, tones as combining marks
        body = "".join(windows_1258(c) for c in body)
    mail.set_content(body, charset=charset, cte="quoted-printable" if charset == "utf-8" else "base64")
    for name, data in attachments:
        if isinstance(data, EmailMessage):
            mail.add_attachment(data)
        else:
            kind = XLSX if name.endswith(".xlsx") else ("application", "octet-stream")
            mail.add_attachment(data, *kind, filename=name)
    return mail


def windows_1258(char: str) -> str:
    try:
        char.encode("cp1258")
        return char
    except UnicodeEncodeError:
        parts = unicodedata.normalize("NFD", char)
        base = unicodedata.normalize("NFC", parts[:2])
        return base + parts[2:] if len(base) == 1 else parts


def book(tmp: Path, code: str, name: str, rows: int = 2) -> bytes:
    path = workbook(
        tmp / "src" / f"{code}.xlsx",
        [model(f"Mô hình {code} {i}") for i in range(rows)],
        code=code,
        name=name,
        report_date="01/12/2026",
    )
    return path.read_bytes()


def zipped(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


def rfc2047_attachment(filename: str, data: bytes) -> bytes:
    """What some mail programs write: an encoded word inside the filename parameter."""
    word = "=?utf-8?b?" + base64.b64encode(filename.encode()).decode() + "?="
    return (
        b"From: thanhuy@nhatrang.khanhhoa.gov.vn\r\nTo: btgdv@khanhhoa.gov.vn\r\n"
        b"Subject: =?utf-8?q?B=C3=A1o_c=C3=A1o_Nha_Trang?=\r\n"
        b"Date: Wed, 02 Dec 2026 10:00:00 +0700\r\nMessage-ID: <rfc2047@nhatrang>\r\n"
        b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="XX"\r\n\r\n'
        b"--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nG\xe1\xbb\xadi Ban.\r\n"
        b'--XX\r\nContent-Type: application/octet-stream; name="' + word.encode() + b'"\r\n'
        b'Content-Disposition: attachment; filename="' + word.encode() + b'"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(data).replace(b"\n", b"\r\n")
        + b"--XX--\r\n"
    )


def broken_multipart() -> bytes:
    """A multipart email whose boundary never comes: its parts cannot be told apart."""
    return (
        b"From: ai@do.vn\r\nSubject: hong\r\nDate: Fri, 04 Dec 2026 08:00:00 +0700\r\n"
        b"Message-ID: <broken@do.vn>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="never"\r\n\r\nno parts here\r\n'
    )


def crlf(raw: bytes) -> bytes:
    """As an IMAP server keeps a message: every line ending CRLF."""
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def lf(text):
    return text.replace("\r\n", "\n") if isinstance(text, str) else text.replace(b"\r\n", b"\n")


def files_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


# ---------------------------------------------------------------------------------------------


def test_fetch_saves_emails_with_workbooks_in_every_encoding_and_leaves_the_server_untouched(box, capsys):
    tmp = box.tmp
    cam_lam = book(tmp, "cam-lam", "Huyện ủy Cam Lâm")
    nha_trang = book(tmp, "nha-trang", "Thành ủy Nha Trang")
    ldld = book(tmp, "ldld", "Liên đoàn Lao động tỉnh")
    mttq = book(tmp, "mttq", "Ủy ban MTTQ Việt Nam tỉnh")
    van_ninh = book(tmp, "van-ninh", "Huyện ủy Vạn Ninh")
    inner = message(
        [("LĐLĐ tỉnh.xlsx", ldld)],
        sender="ldld@khanhhoa.gov.vn",
        subject="Báo cáo LĐLĐ",
        date="Sat, 05 Dec 2026 16:00:00 +0700",
    )
    box.append(
        [
            # RFC 2231 filename (Python writes non-ASCII names so), UTF-8 subject and body
            bytes(message([("Báo cáo mô hình - HU Cam Lâm.xlsx", cam_lam)])),
            rfc2047_attachment("Báo cáo Nha Trang.xlsx", nha_trang),
            # a forwarded email with the workbook inside it
            bytes(
                message(
                    [("", inner)],
                    sender="ldld@khanhhoa.gov.vn",
                    subject="Fwd: Báo cáo LĐLĐ",
                    date="Sat, 05 Dec 2026 17:30:00 +0700",
                )
            ),
            # body in the Vietnamese Windows code page, the workbook zipped
            bytes(
                message(
                    [("bao cao.zip", zipped("MTTQ tỉnh.xlsx", mttq))],
                    sender="mttq@khanhhoa.gov.vn",
                    subject="Báo cáo MTTQ",
                    body="Kính gửi Ban Tuyên giáo",
                    charset="cp1258",
                    date="Wed, 02 Dec 2026 14:00:00 +0700",
                )
            ),
            # no Message-ID: named from the bytes
            bytes(
                message(
                    [("van-ninh.xlsx", van_ninh)],
                    sender="huyenuy@vanninh.khanhhoa.gov.vn",
                    subject="Vạn Ninh",
                    date="Thu, 03 Dec 2026 07:00:00 +0700",
                    message_id=None,
                )
            ),
            bytes(message(subject="Xin gia hạn nộp báo cáo", sender="khanhson@khanhhoa.gov.vn")),
            bytes(
                message(
                    [("cong-van.pdf", b"%PDF-1.4 scan")],
                    subject="Công văn kèm theo",
                    sender="cong-an@khanhhoa.gov.vn",
                )
            ),
            broken_multipart(),
        ]
    )
    before = box.read_folder("INBOX")
    inbox = tmp / "inbox"

    assert main(["fetch", "--schemas", str(box.schemas), "--inbox", str(inbox)]) == 0

    out = capsys.readouterr().out
    saved = sorted(p.name for p in inbox.iterdir())
    assert len(saved) == 6 and all(
        re.fullmatch(r"thu-2026-12-\d\d-\d{4}-[0-9a-f]{20}\.eml", n) for n in saved
    ), saved
    assert "Xin gia hạn nộp báo cáo" in out and "khanhson@khanhhoa.gov.vn" in out
    assert "Công văn kèm theo" in out and "cong-an@khanhhoa.gov.vn" in out
    # saved byte for byte as the server holds them
    server_bytes = {raw for _, raw in before}
    assert {p.read_bytes() for p in inbox.iterdir()} <= server_bytes
    # read-only: same messages, none marked read, deleted or flagged
    after = box.read_folder("INBOX")
    assert after == before and not any(b"\\Seen" in flags or b"\\Deleted" in flags for flags, _ in after)
    # the run reads the fetched emails like hand-saved ones
    result = aggregate(config_module.load(box.schemas), inbox, 2026, "annual")
    used = {u.code: u for u in result.statuses if u.used}
    assert set(used) == {"cam-lam", "nha-trang", "ldld", "mttq", "van-ninh"}
    assert used["ldld"].received.isoformat() == "2026-12-05"
    assert used["mttq"].used.candidate.attachment == "bao cao.zip › MTTQ tỉnh.xlsx"
    assert used["nha-trang"].used.candidate.attachment == "Báo cáo Nha Trang.xlsx"
    # the email whose parts cannot be told apart is saved as it came and listed by the run
    [broken] = [e for e in result.emails if e.subject == "hong"]
    assert broken.attachments == [] and (inbox / broken.relative).read_bytes() == broken_multipart()


def test_a_second_fetch_adds_nothing_and_an_interrupted_one_leaves_no_half_file(box, capsys):
    messages = [
        bytes(
            message(
                [(f"bc{i}.xlsx", book(box.tmp, "cam-lam", "Huyện ủy Cam Lâm", 1))],
                subject=f"Báo cáo {i}",
                date=f"Thu, 03 Dec 2026 09:{i:02d}:00 +0700",
            )
        )
        for i in range(6)
    ]
    box.append(messages)
    inbox = box.tmp / "inbox"
    settings = box.settings()

    def stop_after_two(items, total):
        for n, item in enumerate(items):
            if n == 2:
                raise KeyboardInterrupt
            yield item

    client = mailbox.session(settings)
    with pytest.raises(KeyboardInterrupt):
        mailbox.fetch(client, settings, inbox, progress=stop_after_two)
    mailbox.close(client)
    first = files_in(inbox)
    assert len(first) == 2 and all(p.read_bytes() in map(crlf, messages) for p in first)
    # a fetch killed while writing leaves its partial file: ignored by the run, removed next time
    partial = inbox / (mailbox.PARTIAL_PREFIX + "thu-2026-12-03-0905-0000.eml")
    partial.write_bytes(messages[5][:100])
    walked = discover.walk(inbox)
    assert partial not in walked.entries and partial.name in [i.relative for i in walked.ignored]

    assert main(["fetch", "--schemas", str(box.schemas), "--inbox", str(inbox)]) == 0
    assert not partial.exists()
    second = files_in(inbox)
    assert len(second) == 6 and sorted(p.read_bytes() for p in second) == sorted(map(crlf, messages))
    capsys.readouterr()

    assert main(["fetch", "--schemas", str(box.schemas), "--inbox", str(inbox)]) == 0
    assert files_in(inbox) == second
    out = capsys.readouterr().out
    assert "Mới lưu vào" in out and ": 0 thư" in out.split("Mới lưu vào")[1].split("\n")[0]
    # saved by hand under another name: the same email is not fetched again
    hand = box.tmp / "hand"
    hand.mkdir()
    (hand / "Báo cáo.eml").write_bytes(messages[0])  # as a mail program saves it, LF endings
    client = mailbox.session(settings)
    result = mailbox.fetch(client, settings, hand)
    mailbox.close(client)
    assert result.already == 1 and len(result.saved) == 5


def test_the_mailbox_code_has_no_command_that_changes_the_units_mail():
    """Read-only by construction: no STORE, EXPUNGE, MOVE, COPY or DELETE anywhere in the package."""
    modules = sorted((ROOT / "aggregator" / "intake" / "mailbox").glob("*.py"))
    assert {m.stem for m in modules} >= {"connection", "fetch", "drafts", "listing", "saved"}
    source = "\n".join(m.read_text(encoding="utf-8") for m in modules)
    code = re.sub(r'""".*?"""|#[^\n]*', "", source, flags=re.S)
    for verb in ("store", "expunge", "move", "copy", "delete", "rename", "setacl"):
        assert not re.search(rf"\.{verb}\(|[\"']{verb.upper()}\b", code), verb
    assert "BODY[]" not in code.replace("BODY.PEEK[]", "") and "readonly=True" in code


def test_two_reports_under_one_message_id_are_both_fetched(box):
    """Some scanners and copiers give every email they send the same Message-ID."""
    same = "<scan@copier.local>"
    first = bytes(
        message(
            [("a.xlsx", book(box.tmp, "cam-lam", "Huyện ủy Cam Lâm"))],
            message_id=same,
            date="Tue, 01 Dec 2026 08:00:00 +0700",
        )
    )
    second = bytes(
        message(
            [("b.xlsx", book(box.tmp, "van-ninh", "Huyện ủy Vạn Ninh"))],
            message_id=same,
            date="Thu, 03 Dec 2026 10:30:00 +0700",
        )
    )
    inbox = box.tmp / "inbox"
    box.append([first])
    assert main(["fetch", "--schemas", str(box.schemas), "--inbox", str(inbox)]) == 0
    box.append([second])  # arrives after the first fetch
    for _ in range(2):
        assert main(["fetch", "--schemas", str(box.schemas), "--inbox", str(inbox)]) == 0
        assert sorted(p.read_bytes() for p in files_in(inbox)) == sorted(map(crlf, [first, second]))


def test_two_reports_under_one_message_id_in_one_minute_are_both_saved_under_their_hash(box):
    """The same Message-ID and the same Date: told apart by their bytes, on a real server."""
    same = {"message_id": "<scan@copier.local>", "date": "Tue, 01 Dec 2026 08:00:00 +0700"}
    sent = [
        bytes(message([("a.xlsx", book(box.tmp, "cam-lam", "Huyện ủy Cam Lâm"))], **same)),
        bytes(message([("b.xlsx", book(box.tmp, "van-ninh", "Huyện ủy Vạn Ninh"))], **same)),
    ]
    box.append(sent)
    inbox = box.tmp / "inbox"
    for _ in range(2):
        assert main(["fetch", "--schemas", str(box.schemas), "--inbox", str(inbox)]) == 0
        assert sorted(p.read_bytes() for p in files_in(inbox)) == sorted(map(crlf, sent))
    for path in files_in(inbox):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:20]
        assert path.name == f"thu-2026-12-01-0800-{digest}.eml"


def test_since_and_the_size_limit_choose_what_is_downloaded(box, capsys):
    small = bytes(message([("a.xlsx", book(box.tmp, "cam-lam", "Huyện ủy Cam Lâm"))]))
    big = bytes(
        message(
            [("b.xlsx", b"PK\x03\x04" + b"x" * 300_000)],
            subject="Tệp rất lớn",
            date="Fri, 04 Dec 2026 09:00:00 +0700",
        )
    )
    box.append([small, big])
    box.rewrite(max_message_bytes=200_000)
    inbox = box.tmp / "inbox"
    assert main(["fetch", "--schemas", str(box.schemas), "--inbox", str(inbox)]) == 0
    assert [p.read_bytes() for p in files_in(inbox)] == [crlf(small)]
    assert "Tệp rất lớn" in capsys.readouterr().out
    later = box.tmp / "later"
    assert main(["fetch", "--schemas", str(box.schemas), "--inbox", str(later), "--since", "01/01/2099"]) == 0
    assert files_in(later) == []


def test_starttls_and_plaintext_to_this_machine_work(box):
    box.append([bytes(message([("a.xlsx", book(box.tmp, "cam-lam", "Huyện ủy Cam Lâm"))]))])
    for security in ("starttls", "plain"):
        box.rewrite(port=box.server.plain_port, security=security)
        inbox = box.tmp / security
        assert main(["fetch", "--schemas", str(box.schemas), "--inbox", str(inbox)]) == 0
        assert len(files_in(inbox)) == 1


def test_a_folder_with_a_vietnamese_name(box):
    box.append(
        [bytes(message([("a.xlsx", book(box.tmp, "cam-lam", "Huyện ủy Cam Lâm"))]))],
        folder=mailbox.encode_folder("Báo cáo 2026"),
    )
    box.rewrite(folder="Báo cáo 2026")
    inbox = box.tmp / "inbox"
    assert main(["fetch", "--schemas", str(box.schemas), "--inbox", str(inbox)]) == 0
    assert len(files_in(inbox)) == 1


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters='"\\'), min_size=1))
def test_folder_names_go_to_modified_utf7_and_back(name):
    encoded = mailbox.encode_folder(name)
    assert encoded.isascii() and encoded.startswith('"') and encoded.endswith('"')
    assert mailbox.decode_folder(encoded[1:-1]) == name


def test_a_folder_name_that_is_not_utf7_is_shown_as_it_came():
    assert mailbox.decode_folder("A&B!-C") == "A&B!-C"
    assert mailbox.decode_folder("X&Zm9v-") == "X&Zm9v-"


# ---------------------------------------------------------------------------------------------
# Drafts


def test_a_workbook_is_the_same_bytes_whether_first_or_later_in_a_process(tmp_path):
    """Drafts are found again in Drafts by a Message-ID from their bytes, attachment included."""
    script = (
        "import sys; from pathlib import Path; from aggregator import config; "
        "from aggregator.rendering import template; "
        "cfg = config.load('schemas'); "
        "[template.write_template(cfg, Path(sys.argv[1]) / f'{n}.xlsx', 2026, 'annual', "
        "cfg.units[0]) for n in range(3)]"
    )
    subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], cwd=ROOT, check=True, timeout=120
    )  # a fresh process: its first workbook is really its first
    made = [(tmp_path / f"{n}.xlsx").read_bytes() for n in range(3)]
    assert made[0] == made[1] == made[2]


def test_reminders_go_into_drafts_once_and_read_back_intact(box, capsys):
    inbox = box.tmp / "inbox"
    inbox.mkdir()
    workbook(inbox / "cam-lam.xlsx", [model()], report_date="01/12/2026")
    outbox = box.tmp / "outbox"
    args = [
        "remind",
        "--schemas",
        str(box.schemas),
        "--inbox",
        str(inbox),
        "--outbox",
        str(outbox),
        "--year",
        "2026",
        "--report-date",
        "01/12/2026",
        "--to-mailbox",
    ]
    assert main(args) == 0
    written = sorted((outbox / "2026" / "nhac-nho").glob("*.eml"))
    assert len(written) == 20  # 21 units, one has sent
    stored = box.read_folder("Drafts")
    assert len(stored) == len(written) and all(b"\\Draft" in flags for flags, _ in stored)
    by_id = {email.message_from_bytes(raw, policy=policy.default)["Message-ID"]: raw for _, raw in stored}
    for path in written:
        mine = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        theirs = email.message_from_bytes(by_id[mine["Message-ID"]], policy=policy.default)
        assert theirs["Subject"] == mine["Subject"] and theirs["To"] == mine["To"]
        assert lf(theirs.get_body().get_content()) == mine.get_body().get_content()
        [mine_file], [their_file] = mine.iter_attachments(), theirs.iter_attachments()
        assert their_file.get_content() == mine_file.get_content()
        assert their_file.get_filename() == mine_file.get_filename()
        assert by_id[mine["Message-ID"]].replace(b"\r\n", b"\n") == path.read_bytes()
    capsys.readouterr()
    # a second time: the same drafts (same Message-ID from the same content) are not added again
    assert main(args) == 0
    assert len(box.read_folder("Drafts")) == len(written)
    out = capsys.readouterr().out
    assert "20 thư đã có sẵn" in out, out


def test_feedback_drafts_of_a_run_go_into_a_drafts_folder_named_in_vietnamese(box):
    box.server.client(box.user, box.password).create(mailbox.encode_folder("Thư nháp"))
    box.rewrite(drafts_folder="Thư nháp")
    inbox = box.tmp / "inbox"
    inbox.mkdir()
    workbook(inbox / "cam-lam.xlsx", [model(), model("Sai", field=99)], report_date="01/12/2026")
    outbox = box.tmp / "outbox"
    assert (
        main(
            [
                "run",
                "--schemas",
                str(box.schemas),
                "--inbox",
                str(inbox),
                "--outbox",
                str(outbox),
                "--year",
                "2026",
                "--report-date",
                "15/12/2026",
                "--jobs",
                "1",
                "--to-mailbox",
            ]
        )
        == 0
    )
    feedback = sorted((outbox / "2026" / "phan-hoi").glob("*.eml"))
    assert [p.name for p in feedback] == ["cam-lam.eml"]
    [(flags, raw)] = box.read_folder("Thư nháp")
    assert b"\\Draft" in flags and raw.replace(b"\r\n", b"\n") == feedback[0].read_bytes()


def test_a_broken_mailbox_file_stops_the_run_before_it_starts_and_json_stays_alone(box, capsys):
    inbox = box.tmp / "inbox"
    inbox.mkdir()
    workbook(inbox / "cam-lam.xlsx", [model(), model("Sai", field=99)], report_date="01/12/2026")
    outbox = box.tmp / "outbox"
    args = [
        "run",
        "--schemas",
        str(box.schemas),
        "--inbox",
        str(inbox),
        "--outbox",
        str(outbox),
        "--year",
        "2026",
        "--report-date",
        "15/12/2026",
        "--jobs",
        "1",
        "--to-mailbox",
    ]
    box.rewrite(security="ssl")
    assert main(args) == 2 and not outbox.exists()
    assert "security" in capsys.readouterr().err
    box.rewrite()
    assert main([*args, "--json"]) == 0
    said = capsys.readouterr()
    assert json.loads(said.out)["totals"]["models"] == 1 and "Drafts" in said.err
    assert len(box.read_folder("Drafts")) == 1


def test_drafts_over_quota_say_so(server, tmp_path, monkeypatch):
    user, password = server.new_user(quota=True)
    monkeypatch.setenv(ENV, password)
    schemas = server.settings(tmp_path / "schemas", user)
    drafts = tmp_path / "drafts"
    drafts.mkdir()
    (drafts / "a.eml").write_bytes(bytes(message([("a.xlsx", b"PK\x03\x04" + b"y" * 20_000)])))
    settings = mailbox.load_settings(schemas)
    client = mailbox.session(settings)
    with pytest.raises(mailbox.MailboxError) as caught:
        mailbox.append_drafts(client, settings, [drafts / "a.eml"])
    mailbox.close(client)
    assert caught.value.code == "mailbox_quota" and caught.value.exit_code == 1


# ---------------------------------------------------------------------------------------------
# Errors


def error_of(settings: mailbox.Settings, secret: str, folder: str | None = None) -> mailbox.MailboxError:
    with pytest.raises(mailbox.MailboxError) as caught:
        client = mailbox.connect(settings, secret)
        try:
            if folder == "drafts":
                mailbox.append_drafts(client, settings, [])
            else:
                mailbox.fetch(client, settings, Path(settings.ca_file).parent / "unused-inbox")
        finally:
            mailbox.close(client)
    return caught.value


def test_each_failure_has_its_code_and_exit_code(box, capsys):
    good = box.settings()
    cases = {
        "mailbox_login_failed": (good, "wrong-password"),
        "mailbox_unreachable": (
            mailbox.Settings(**{**good.__dict__, "port": dovecot.free_port()}),
            box.password,
        ),
        "mailbox_certificate": (mailbox.Settings(**{**good.__dict__, "ca_file": ""}), box.password),
        "mailbox_ca_file_missing": (
            mailbox.Settings(**{**good.__dict__, "ca_file": str(box.tmp / "none.pem")}),
            box.password,
        ),
        "mailbox_plaintext_refused": (
            mailbox.Settings(**{**good.__dict__, "host": "mail.example.vn", "security": "plain"}),
            box.password,
        ),
        "mailbox_folder_missing": (mailbox.Settings(**{**good.__dict__, "folder": "Không có"}), box.password),
    }
    for code, (settings, secret) in cases.items():
        error = error_of(settings, secret)
        assert error.code == code, (code, str(error))
        assert error.exit_code == (
            2 if code in ("mailbox_ca_file_missing", "mailbox_plaintext_refused") else 1
        )
        assert box.password not in str(error)
    missing = error_of(mailbox.Settings(**{**good.__dict__, "drafts_folder": "Nháp"}), box.password, "drafts")
    assert missing.code == "mailbox_folder_missing" and "INBOX" in str(missing)
    # at the command line: one Vietnamese line, the README's exit codes
    box.rewrite(ca_file="")
    assert main(["fetch", "--schemas", str(box.schemas), "--inbox", str(box.tmp / "i")]) == 1
    err = capsys.readouterr().err
    assert "ca_file" in err and "Traceback" not in err
    box.rewrite(port=box.server.plain_port, host="10.0.0.1", security="plain")
    assert main(["fetch", "--schemas", str(box.schemas), "--inbox", str(box.tmp / "i")]) == 2


def test_broken_or_missing_mailbox_settings_exit_2(box, capsys):
    (box.schemas / "mailbox.yaml").write_text(
        (box.schemas / "mailbox.yaml").read_text() + "password: hunter2\n"
    )
    with pytest.raises(ConfigError, match="password"):
        mailbox.load_settings(box.schemas)
    assert main(["fetch", "--schemas", str(box.schemas), "--inbox", str(box.tmp / "i")]) == 2
    (box.schemas / "mailbox.yaml").unlink()
    assert main(["fetch", "--schemas", str(box.schemas), "--inbox", str(box.tmp / "i")]) == 2
    assert "mailbox.yaml" in capsys.readouterr().err


def test_the_password_comes_from_the_keyring_or_the_prompt_else_exit_2(box, monkeypatch, capsys, no_keyring):
    monkeypatch.delenv(ENV)
    settings = box.settings()
    with pytest.raises(mailbox.MailboxError) as caught:
        mailbox.password(settings)  # no variable, nothing in the keyring, no terminal
    assert caught.value.code == "mailbox_no_password" and caught.value.exit_code == 2
    assert main(["fetch", "--schemas", str(box.schemas), "--inbox", str(box.tmp / "i")]) == 2
    assert "keyring set dienhinh-test" in capsys.readouterr().err
    assert mailbox.password(settings, prompt=lambda _: box.password) == box.password

    class Stored(null.Keyring):
        priority = 1

        def get_password(self, service, username):
            return box.password if (service, username) == ("dienhinh-test", box.user) else None

    keyring.set_keyring(Stored())
    assert mailbox.password(settings) == box.password
    assert main(["fetch", "--schemas", str(box.schemas), "--inbox", str(box.tmp / "i")]) == 0


def test_the_password_is_in_no_file_written_and_no_output(box, capsys, caplog):
    inbox = box.tmp / "inbox"
    box.append([bytes(message([("a.xlsx", book(box.tmp, "cam-lam", "Huyện ủy Cam Lâm"))]))])
    outbox = box.tmp / "outbox"
    common = ["--schemas", str(box.schemas), "--inbox", str(inbox)]
    assert main(["fetch", *common, "--debug"]) == 0
    assert (
        main(
            [
                "run",
                *common,
                "--outbox",
                str(outbox),
                "--year",
                "2026",
                "--jobs",
                "1",
                "--report-date",
                "15/12/2026",
                "--to-mailbox",
                "--debug",
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "remind",
                *common,
                "--outbox",
                str(outbox),
                "--year",
                "2026",
                "--report-date",
                "01/12/2026",
                "--to-mailbox",
                "--debug",
            ]
        )
        == 0
    )
    box.rewrite(ca_file="")
    assert main(["fetch", *common, "--debug"]) == 1
    written = files_in(box.tmp)
    assert any(p.name == "manifest.json" for p in written)
    assert any(p.name == "run-log.jsonl" for p in written)
    secret = box.password.encode()
    for path in written:
        data = path.read_bytes()
        assert secret not in data and base64.b64encode(secret) not in data, path
    said = capsys.readouterr()
    assert box.password not in said.out + said.err + caplog.text


# ---------------------------------------------------------------------------------------------
# Done when: the sample units' emails, fetched from a real mailbox, give the sample's figures


def sample_emails(cfg) -> list[bytes]:
    """An email around every file of examples/inbox, dated when the sample run says it came."""
    inbox = ROOT / "examples" / "inbox"
    result = aggregate(cfg, inbox, 2026, "annual")
    ordered = sorted(result.outcomes, key=merge._recency)
    emails = []
    for rank, outcome in enumerate(ordered):
        relative = outcome.candidate.relative.split(" › ")[0]
        path = inbox / relative
        if path.suffix == ".eml":  # a unit's email as it came: appended as it is, once
            if path.read_bytes() not in emails:
                emails.append(path.read_bytes())
            continue
        registered = cfg.unit(outcome.unit).emails if outcome.unit else ()
        sender = registered[0] if registered else "ai.do@gmail.com"
        when = format_datetime(dt.datetime.combine(outcome.received, dt.time(7, rank), tzinfo=VIETNAM))
        emails.append(
            bytes(
                message(
                    [(path.name, path.read_bytes())],
                    sender=sender,
                    subject=f"Báo cáo mô hình, điển hình: {path.stem}",
                    date=when,
                    message_id=f"<sample-{rank}@khanhhoa.test>",
                )
            )
        )
    return emails


def test_the_sample_units_emails_fetched_from_the_mailbox_give_the_sample_figures(box, cfg):
    box.append(sample_emails(cfg))
    inbox = box.tmp / "inbox"
    assert main(["fetch", "--schemas", str(box.schemas), "--inbox", str(inbox)]) == 0
    assert main(["fetch", "--schemas", str(box.schemas), "--inbox", str(inbox)]) == 0
    summaries = {}
    for name, folder in (("sample", ROOT / "examples" / "inbox"), ("fetched", inbox)):
        outbox = box.tmp / f"outbox-{name}"
        assert (
            main(
                [
                    "run",
                    "--inbox",
                    str(folder),
                    "--outbox",
                    str(outbox),
                    "--year",
                    "2026",
                    "--report-date",
                    "15/12/2026",
                    "--schemas",
                    str(box.schemas),
                ]
            )
            == 0
        )
        summaries[name] = json.loads((outbox / "2026" / "summary.json").read_text())
    sample, fetched = summaries["sample"], summaries["fetched"]
    assert fetched["totals"] == sample["totals"] and sample["totals"]["models"] > 0
    assert fetched["fields"] == sample["fields"]
    strip = [{k: v for k, v in u.items() if k != "file"} for u in sample["units"]]
    assert [{k: v for k, v in u.items() if k != "file"} for u in fetched["units"]] == strip


def test_the_mailbox_benchmark_runs_on_a_tiny_folder_and_prints_its_table(server):
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_mailbox.py"), "--messages", "10"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    header, _, row = done.stdout.strip().splitlines()
    cells = dict(
        zip(
            [c.strip() for c in header.strip("|").split("|")],
            [c.strip() for c in row.strip("|").split("|")],
            strict=True,
        )
    )
    assert cells["messages"] == "10" and cells["saved (with a workbook)"] == "9"


def test_a_password_written_where_the_variable_name_goes_is_never_echoed(tmp_path):
    import yaml

    from aggregator.config import ConfigError
    from aggregator.intake import mailbox as mailbox_module

    data = yaml.safe_load((config_module.BUNDLED / "mailbox.yaml").read_text(encoding="utf-8"))
    data["password_env"] = "Mk@2026!bimat"
    (tmp_path / "mailbox.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    with pytest.raises(ConfigError) as caught:
        mailbox_module.load_settings(tmp_path)
    assert "password_env" in str(caught.value) and "Mk@2026!bimat" not in str(caught.value)
