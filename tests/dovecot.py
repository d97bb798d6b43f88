"""A real IMAP server for the tests: Dovecot under a temporary configuration on loopback ports.

The test makes its own self-signed certificate (openssl) and users; each test takes a fresh user,
so each test has a mailbox of its own. Nothing outside the temporary folder is touched.
"""

from __future__ import annotations

import grp
import imaplib
import itertools
import os
import pwd
import secrets
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)
HOST = "127.0.0.1"
USERS = 60
QUOTA = "8K"

CONF = """\
protocols = imap
listen = {host}
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = {internal}
default_internal_group = {group}
default_login_user = {login}
first_valid_uid = 1
login_trusted_networks = 127.0.0.0/8
mail_plugins = $mail_plugins quota
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/passwd
  default_fields = uid={uid} gid={gid} home={root}/home/%u
}}
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Drafts {{
    special_use = \\Drafts
    auto = create
  }}
}}
protocol imap {{
  mail_plugins = $mail_plugins imap_quota
}}
plugin {{
  quota = maildir:User quota
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = {host}
    port = {plain_port}
  }}
  inet_listener imaps {{
    address = {host}
    port = {tls_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@dataclass
class Dovecot:
    root: Path
    tls_port: int
    plain_port: int
    process: subprocess.Popen | None = None
    passwords: dict[str, str] = field(default_factory=dict)

    @property
    def ca_file(self) -> Path:
        return self.root / "cert.pem"

    def start(self) -> Dovecot:
        self.root.chmod(0o755)
        for sub in ("run", "state", "home"):
            (self.root / sub).mkdir(exist_ok=True)
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-keyout",
                str(self.root / "key.pem"),
                "-out",
                str(self.ca_file),
                "-subj",
                "/CN=localhost",
                "-addext",
                "subjectAltName=DNS:localhost,IP:127.0.0.1",
            ],
            check=True,
            capture_output=True,
        )
        self._users()
        if os.getuid() == 0:  # dovecot runs its processes as its own users, mail as nobody
            internal, login, uid, gid, group = "dovecot", "dovenull", 65534, 65534, "dovecot"
            os.chown(self.root / "home", uid, gid)
        else:  # rootless: everything as the user running the tests
            internal = login = pwd.getpwuid(os.getuid()).pw_name
            uid, gid, group = os.getuid(), os.getgid(), grp.getgrgid(os.getgid()).gr_name
        (self.root / "dovecot.conf").write_text(
            CONF.format(
                root=self.root,
                host=HOST,
                internal=internal,
                login=login,
                group=group,
                uid=uid,
                gid=gid,
                plain_port=self.plain_port,
                tls_port=self.tls_port,
            )
        )
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.root / "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("dovecot stopped: " + self.process.stderr.read().decode() + self.log())
            try:
                socket.create_connection((HOST, self.tls_port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("dovecot did not start: " + self.log())

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    _count = itertools.count(1)

    def _users(self) -> None:
        """Users made before the start (Dovecot rereads the file only when its time changes)."""
        lines = []
        for n in range(1, USERS + 1):
            extra = f"userdb_quota_rule=*:storage={QUOTA}" if n == 1 else ""
            password = "Pw-" + secrets.token_urlsafe(12)
            self.passwords[f"ban{n}@khanhhoa.test"] = password
            lines.append(f"ban{n}@khanhhoa.test:{{PLAIN}}{password}::::::{extra}\n")
        (self.root / "passwd").write_text("".join(lines))

    def new_user(self, quota: bool = False) -> tuple[str, str]:
        """A fresh user and password: a mailbox of its own for one test (quota: a tiny one)."""
        n = 1 if quota else next(self._count) + 1
        if n > USERS:
            raise RuntimeError("more tests than mailboxes: raise dovecot.USERS")
        user = f"ban{n}@khanhhoa.test"
        return user, self.passwords[user]

    def client(self, user: str, password: str) -> imaplib.IMAP4_SSL:
        context = ssl.create_default_context(cafile=str(self.ca_file))
        client = imaplib.IMAP4_SSL(HOST, self.tls_port, ssl_context=context)
        client.login(user, password)
        return client

    def append(
        self, user: str, password: str, messages: list[bytes], folder: str = "INBOX", date: str | None = None
    ) -> None:
        client = self.client(user, password)
        try:
            if folder != "INBOX":
                client.create(folder)
            for raw in messages:
                typ, data = client.append(folder, "", date, raw)
                assert typ == "OK", data
        finally:
            client.logout()

    def settings(self, schemas: Path, user: str, **overrides: object) -> Path:
        """A schemas folder like the real one, its mailbox.yaml pointing at this server."""
        from aggregator.config import BUNDLED as source  # the shipped schemas (conftest)

        shutil.copytree(source, schemas, dirs_exist_ok=True)
        data = {
            "host": HOST,
            "port": self.tls_port,
            "security": "imaps",
            "user": user,
            "folder": "INBOX",
            "drafts_folder": "Drafts",
            "since": "2020-01-01",
            "ca_file": str(self.ca_file),
            "password_env": "DIENHINH_TEST_MAIL_PASSWORD",
            "keyring_service": "dienhinh-test",
            "max_message_bytes": 5_000_000,
            "timeout_seconds": 10,
            "deadline_seconds": 600,
        }
        data.update(overrides)
        (schemas / "mailbox.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        return schemas


def start() -> Dovecot:
    root = Path(tempfile.mkdtemp(prefix="dienhinh-dovecot-"))
    return Dovecot(root=root, tls_port=free_port(), plain_port=free_port()).start()
