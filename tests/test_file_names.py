"""Any byte string as a file name reaches every output escaped, never raw, and never stops the run.

Names that are not UTF-8, control characters, right-to-left and invisible marks, the " › " that
separates a container from what it holds: each is written as \\xNN or \\uNNNN wherever a name
is written (manifest.json, the identification evidence, summary.json, tong-hop.xlsx, the
reports, the feedback drafts and workbooks, check --json), and verify still finds the file.
"""

import io
import json
import os
import re
import sys
import zipfile
from email import message_from_bytes, policy

import pytest
from builders import model, workbook
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_email import message, save

from aggregator.cli import main
from aggregator.intake.discover import shown

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="file names are any bytes on Linux only")

# raw in an output, these would be a name written unescaped (\t \n \r are the outputs' own)
RAW = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ud800-\udfff]"
)

HOSTILE = [
    b"b\xe1o c\xe1o",  # Latin-1, not UTF-8
    "bi\u202eslx.exe".encode(),  # a right-to-left override
    b"\x1b[31mdo\x07",  # a terminal escape and a bell
    "thu.eml › mttq".encode(),  # the container separator, and a unit's code
    "\u200bcam-lam\u2066".encode(),  # invisible marks around a unit's code
    b"line\nbreak\r",
    b"a\\x41 \\",  # backslashes, one as if an escape
    b"bao cao cam-lam \xe1",  # names a unit: the evidence carries the name
    b"\xff\xfe\x00".replace(b"\x00", b"") + "\u0085".encode(),
]

stems = st.one_of(
    st.sampled_from(HOSTILE),
    st.binary(min_size=1, max_size=40).filter(lambda b: b"/" not in b and b"\0" not in b),
)


def texts_of(path):
    """Every text a reader of this output sees: the file itself, or the parts of a zip or an email."""
    data = path.read_bytes()
    if path.suffix in (".xlsx", ".docx"):
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            return [book.read(n).decode("utf-8") for n in book.namelist() if n.endswith((".xml", ".rels"))]
    if path.suffix == ".eml":
        mail = message_from_bytes(data, policy=policy.default)
        found = [str(v) for v in mail.values()]
        for part in mail.walk():
            if part.get_content_maintype() == "text":
                found.append(part.get_content())
            elif part.get_filename():
                found.append(part.get_filename())
        return found
    if path.suffix in (".png", ".pdf", ".sqlite", ".db"):
        return []
    return [data.decode("utf-8")]


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(names=HOSTILE)
@given(names=st.lists(stems, min_size=1, max_size=3, unique=True))
def test_any_name_reaches_every_output_escaped(tmp_path_factory, names, capsys):
    tmp_path = tmp_path_factory.mktemp("names")
    inbox = tmp_path / "inbox"
    workbook(inbox / "cam-lam.xlsx", [model("A"), model("B", 5)])
    source = workbook(tmp_path / "src.xlsx", [model("Không rõ", field=99)], code=None, name=None)
    wanted = []
    for n, stem in enumerate(names):
        raw = stem[:200].strip(b".") or b"x"
        for name in (raw + b".xlsx", b"%d-" % n + raw):  # a workbook by its name, and a name alone
            with open(os.fsencode(inbox) + b"/" + name, "wb") as handle:
                handle.write(source.read_bytes())
            wanted.append(shown(os.fsdecode(name)))
        # (a header cannot carry line breaks of any kind: what a sender's client would send)
        readable = os.fsdecode(raw).encode("utf-8", "replace").decode()
        attached = re.sub("[\x00-\x1f\x7f-\x9f\u2028\u2029]", "", readable) + ".xlsx"
        save(inbox / f"thu-{n}.eml", message([(attached, source.read_bytes())]))
    out = tmp_path / "outbox"
    args = ["--inbox", str(inbox), "--outbox", str(out), "--year", "2026", "--report-date", "15/12/2026"]
    assert main(args) == 0
    folder = out / "2026"
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    paths = [f["path"] for f in manifest["files"]]
    for name in wanted:  # each name as shown, found again by its bytes
        assert name in paths and "›" not in name
    assert main(["verify", str(folder)]) == 0
    capsys.readouterr()
    assert main(["check", str(inbox), "--json"]) in (0, 1)
    outputs = {"check --json": [capsys.readouterr().out]}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        outputs[path.relative_to(folder).as_posix()] = texts_of(path)
    assert any(k.startswith("phan-hoi/") and k.endswith(".eml") for k in outputs)
    for where, texts in outputs.items():
        for text in texts:
            raw = RAW.search(text)
            assert raw is None, (
                f"{where}: {raw.group()!r} raw in {text[max(0, raw.start() - 60) : raw.end() + 60]!r}"
            )


def test_a_senders_address_and_subject_are_shown_escaped_too(tmp_path):
    inbox = tmp_path / "inbox"
    source = workbook(tmp_path / "src.xlsx", [model("A")], code="ldld", name=None)
    mail = message([("LĐLĐ.xlsx", source.read_bytes())], sender="ldld\u202e@khanhhoa.gov.vn")
    mail.replace_header("Subject", "Báo cáo \u202efdp.exe")
    save(inbox / "thu.eml", mail)
    out = tmp_path / "outbox"
    assert main(["--inbox", str(inbox), "--outbox", str(out), "--year", "2026"]) == 0
    text = (out / "2026" / "manifest.json").read_text(encoding="utf-8")
    assert "\u202e" not in text and "\\\\u202efdp.exe" in text
