"""The book of models: chosen from a register of real runs, read back by real clients.

Three periods run in turn into one outbox (2024, 2025 annual; 2026 half-year), the register's
rows given to ``book.write``; then Chromium runs the catalogue's script, LibreOffice opens the
booklet, ``csv`` and ``jsonschema`` read the open data. A phone, an email, a preparer's name and
a note are planted in the units' workbooks: none of them may reach any output.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import datetime as dt
import fcntl
import html.parser
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import openpyxl
import pytest
from builders import HEADERS, SOFFICE, convert, model, saved_on_date, workbook

from aggregator import config as config_module
from aggregator.cli import main
from aggregator.config.book import Book
from aggregator.merging import register
from aggregator.rendering import book

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
PHONE, EMAIL, PREPARER = "0905 123 456", "lan.tran@example.vn", "Trần Thị Lan"
NOTE = f"Liên hệ chị Lan {PHONE}, {EMAIL}"
FORMULA = '=HYPERLINK("http://x","bấm")'
IMG = "<img src=x onerror=\"document.title='pwned'\">"
SCRIPT = "</script><script>document.title='pwned'</script>"
DECISION = "Quyết định số 45/QĐ-LĐLĐ ngày 10/10/2024"


def _contacts(path: Path) -> None:
    """The workbook's Thông tin sheet with who made it, a phone and an email, as units fill it."""
    book_ = openpyxl.load_workbook(path)
    info = book_["Thông tin"]
    for label, value in (("Người lập biểu", PREPARER), ("Điện thoại", PHONE), ("Email", EMAIL)):
        info.append([label, value])
    book_.save(path)
    saved_on_date(path, info["B5"].value)


def _run(inbox: Path, outbox: Path, year: int, date: str, *extra: str) -> None:
    args = ["--inbox", str(inbox), "--outbox", str(outbox), "--year", str(year), "--report-date", date]
    assert main([*args, "--jobs", "1", *extra]) == 0


@pytest.fixture(scope="module")
def span(tmp_path_factory):
    """The register of 2024, 2025 and the 2026 half-year: (outbox, rows of the models table)."""
    root = tmp_path_factory.mktemp("book")
    outbox = root / "outbox"
    box = root / "inbox-2024"
    workbook(
        box / "cam-lam.xlsx",
        [
            model("Dân vận khéo ở thôn", 1, year=2023, stage="Phát hiện, bồi dưỡng", places=1),
            model("Khuyến học", 5, year=2022, places=2),
            model(
                "Đường hoa nông thôn mới",
                9,
                year=2024,
                status="Đăng ký mới",
                stage="Phát hiện, bồi dưỡng",
                places=0,
            ),
        ],
        year=2024,
        report_date="01/12/2024",
    )
    workbook(
        box / "ldld.xlsx",
        [
            model(
                "Sáng kiến công nhân",
                2,
                "Cá nhân",
                year=2020,
                places=3,
                **{
                    "Hình thức khen thưởng": "Bằng khen của Liên đoàn Lao động tỉnh",
                    "Số, ngày quyết định khen thưởng": DECISION,
                },
            ),
            model("Tổ công đoàn mẫu", 2, year=2021, stage="Phát hiện, bồi dưỡng", places=0),
        ],
        code="ldld",
        name=None,
        year=2024,
        report_date="01/12/2024",
    )
    _run(box, outbox, 2024, "15/12/2024")
    box = root / "inbox-2025"
    workbook(
        box / "cam-lam.xlsx",
        [
            model("Dân vận khéo ở thôn", 1, year=2023, places=2),
            model(
                "Khuyến học, khuyến tài",
                5,
                year=2022,
                stage="Biểu dương, tôn vinh",
                places=2,
                **{
                    "Mã mô hình": _code(outbox, "Khuyến học"),
                    "Tập thể, cá nhân thực hiện": SCRIPT,
                    "Nội dung, cách làm": IMG,
                    "Hiệu quả đạt được": FORMULA,
                    "Ghi chú": NOTE,
                },
            ),
            model(
                "Bếp ăn tình thương",
                10,
                year=2025,
                status="Đăng ký mới",
                stage="Phát hiện, bồi dưỡng",
                places=0,
            ),
        ],
        year=2025,
        report_date="01/12/2025",
        headers=[*HEADERS, "Mã mô hình"],
    )
    _contacts(box / "cam-lam.xlsx")
    workbook(
        box / "nha-trang.xlsx",
        [
            model("Camera an ninh tổ dân phố", 4, year=2025, status="Đăng ký mới", places=5),
            model(
                "Gương người tốt",
                11,
                "Cá nhân",
                year=2025,
                status="Đăng ký mới",
                stage="Phát hiện, bồi dưỡng",
                places=0,
                **{"Hình thức khen thưởng": "Giấy khen"},
            ),
        ],
        code="nha-trang",
        name="Thành ủy Nha Trang",
        year=2025,
        report_date="01/12/2025",
    )
    _run(box, outbox, 2025, "15/12/2025")
    box = root / "inbox-2026-6-thang"
    workbook(
        box / "cam-lam.xlsx",
        [model("Đường hoa nông thôn mới", 9, year=2024, places=3)],
        year=2026,
        period="6 tháng",
        report_date="01/06/2026",
    )
    _run(box, outbox, 2026, "15/06/2026", "--period", "half_year")
    with sqlite3.connect(outbox / register.DB_NAME) as db:
        db.row_factory = sqlite3.Row
        rows = db.execute(
            "SELECT * FROM models WHERE year BETWEEN 2024 AND 2026 ORDER BY year, period, code"
        ).fetchall()
    return outbox, rows


def _code(outbox: Path, name: str) -> str:
    with sqlite3.connect(outbox / register.DB_NAME) as db:
        return db.execute("SELECT code FROM models WHERE name = ?", (name,)).fetchone()[0]


@pytest.fixture(scope="module")
def written(span, tmp_path_factory, cfg):
    """The book of 2024-2026 written from the register's rows: (folder, files, JSON document)."""
    folder = tmp_path_factory.mktemp("tong-ket")
    files = book.write(span[1], [2024, 2025, 2026], cfg, folder, date=dt.date(2026, 12, 15))
    document = json.loads((folder / "du-lieu-mo/so-tay-mo-hinh.json").read_text(encoding="utf-8"))
    return folder, files, document


# --- which models, counted by hand --------------------------------------------------------


def test_the_register_holds_every_period_of_the_span(span):
    periods = sorted({(r["year"], r["period"]) for r in span[1]})
    assert periods == [(2024, "annual"), (2025, "annual"), (2026, "half_year")]
    assert len(span[1]) == 5 + 5 + 1


def test_models_chosen_by_the_criteria_counted_by_hand(written):
    # Dân vận: 2024 and 2025 (two years); Sáng kiến: decision, 3 places; Camera: 5 places;
    # Khuyến học: honoured in 2025, two years; Đường hoa: 2024 and 2026, 3 places in 2026.
    # Out: Tổ công đoàn mẫu, Bếp ăn tình thương (one year, no place), Gương người tốt (a
    # reward without its decision).
    entries = written[2]["entries"]
    assert [(e["name"], e["unit"], e["field"], e["chosen_by"]) for e in entries] == [
        ("Dân vận khéo ở thôn", "cam-lam", 1, ["years"]),
        ("Sáng kiến công nhân", "ldld", 2, ["reward_decision", "replications"]),
        ("Camera an ninh tổ dân phố", "nha-trang", 4, ["replications"]),
        ("Khuyến học, khuyến tài", "cam-lam", 5, ["honoured", "years"]),
        ("Đường hoa nông thôn mới", "cam-lam", 9, ["replications", "years"]),
    ]
    khuyen_hoc = entries[3]
    assert khuyen_hoc["stage"] == "Biểu dương, tôn vinh" and khuyen_hoc["years"] == [2024, 2025]
    assert [(h["year"], h["stage"], h["replications"]) for h in khuyen_hoc["history"]] == [
        (2024, "Giới thiệu, nhân rộng", 2),
        (2025, "Biểu dương, tôn vinh", 2),
    ]
    duong_hoa = entries[4]
    assert [(h["year"], h["period"], h["replications"]) for h in duong_hoa["history"]] == [
        (2024, "annual", 0),
        (2026, "half_year", 3),
    ]
    assert duong_hoa["stage"] == "Giới thiệu, nhân rộng" and duong_hoa["replications"] == 3
    sang_kien = entries[1]
    assert sang_kien["honours"] == [
        {"year": 2024, "form": "Bằng khen của Liên đoàn Lao động tỉnh", "decision": DECISION}
    ]
    assert sang_kien["unit_name"] == "Liên đoàn Lao động tỉnh" and sang_kien["subject"] == "Cá nhân"


@pytest.mark.parametrize(
    ("settings", "names"),
    [
        (
            Book(honoured=True, reward_decision=False, replications=None, years=None),
            ["Khuyến học, khuyến tài"],
        ),
        (Book(honoured=False, reward_decision=True, replications=None, years=None), ["Sáng kiến công nhân"]),
        (
            Book(honoured=False, reward_decision=False, replications=5, years=None),
            ["Camera an ninh tổ dân phố"],
        ),
        (
            Book(honoured=False, reward_decision=False, replications=None, years=2),
            ["Dân vận khéo ở thôn", "Khuyến học, khuyến tài", "Đường hoa nông thôn mới"],
        ),
        (Book(honoured=False, reward_decision=False, replications=None, years=3), []),
    ],
)
def test_each_criterion_alone(span, cfg, tmp_path, settings, names):
    chosen = dataclasses.replace(cfg, report=dataclasses.replace(cfg.report, book=settings))
    assert [e["name"] for e in book.contents(span[1], [2024, 2025, 2026], chosen)["entries"]] == names


def test_the_criteria_are_read_from_report_yaml_and_checked(tmp_path, capsys):
    import yaml

    folder = tmp_path / "schemas"
    shutil.copytree(config_module.BUNDLED, folder)
    path = folder / "report.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert config_module.load(folder).report.book == Book()  # the shipped criteria are the defaults
    raw["book"] = {"criteria": {"honoured": True, "years": 3}}
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    assert config_module.load(folder).report.book == Book(
        honoured=True, reward_decision=False, replications=None, years=3
    )
    for bad in ({"honoured": False}, {"replications": 0}, {"nhan_rong": 3}, {}):
        raw["book"] = {"criteria": bad}
        path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
        with pytest.raises(config_module.ConfigError, match=r"report\.yaml, mục book\.criteria"):
            config_module.load(folder)


# --- nothing but what the unit wrote about its model --------------------------------------


def _everything(folder: Path, files: list[Path]) -> str:
    """Every output's text: the files as text, the booklet's XML parts unzipped."""
    texts = []
    for name in files:
        path = folder / name
        if path.suffix == ".docx":
            with zipfile.ZipFile(path) as docx:
                texts += [
                    docx.read(n).decode("utf-8") for n in docx.namelist() if n.endswith((".xml", ".rels"))
                ]
        else:
            texts.append(path.read_text(encoding="utf-8-sig"))
    return "\n".join(texts)


def test_contacts_notes_and_provenance_are_never_published(written, span):
    folder, files, _ = written
    assert sorted(p.as_posix() for p in files) == [
        "du-lieu-mo/so-tay-mo-hinh.csv",
        "du-lieu-mo/so-tay-mo-hinh.json",
        "du-lieu-mo/so-tay-mo-hinh.schema.json",
        "so-tay-mo-hinh.docx",
        "so-tay/index.html",
        "so-tay/so-tay.css",
        "so-tay/so-tay.js",
    ]
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == sorted(
        p.as_posix() for p in files
    )
    # planted where they were: the note in the register, the contacts in the workbook only
    assert any(r["note"] == NOTE and r["file"] == "cam-lam.xlsx" for r in span[1])
    text = _everything(folder, files)
    for secret in (PHONE, "0905", EMAIL, "example.vn", PREPARER, "Liên hệ", "cam-lam.xlsx", ".xlsx"):
        assert secret not in text, secret
    assert set(book.PUBLISHED) <= {"year", "period", *register.COLUMNS}
    assert not {"note", "file", "sheet", "row", "rating", "seq"} & set(book.PUBLISHED)


def test_the_same_rows_give_the_same_bytes(written, span, cfg, tmp_path):
    folder, files, _ = written
    again = book.write(list(reversed(span[1])), [2024, 2025, 2026], cfg, tmp_path, date=dt.date(2026, 12, 15))
    assert again == files
    for name in files:
        assert (tmp_path / name).read_bytes() == (folder / name).read_bytes(), name


# --- open data --------------------------------------------------------------------------------


def _cell(key: str, value) -> str:
    """What the schema's description says a CSV cell holds for a JSON value."""
    if value is None:
        return ""
    if key == "honours":
        return "; ".join(
            ", ".join(p for p in (h["form"], h["decision"]) if p) + f" ({h['year']})" for h in value
        )
    if key == "history":
        return "; ".join(
            f"{h['year']}{' (6 tháng)' if h['period'] == 'half_year' else ''}: {h['stage']}"
            + (f" ({h['replications']} nơi nhân rộng)" if h["replications"] else "")
            for h in value
        )
    if key == "years":
        return ", ".join(str(v) for v in value)
    if key == "chosen_by":
        names = {
            "honoured": "Biểu dương, tôn vinh",
            "reward_decision": "Khen thưởng có quyết định",
            "replications": "Nhân rộng nhiều nơi",
            "years": "Duy trì nhiều năm",
        }
        return "; ".join(names[v] for v in value)
    return str(value)


def test_csv_read_back_equals_the_json_and_the_json_meets_its_schema(written):
    folder, _, document = written
    schema = json.loads((folder / "du-lieu-mo/so-tay-mo-hinh.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(document, schema, format_checker=jsonschema.FormatChecker())
    raw = (folder / "du-lieu-mo/so-tay-mo-hinh.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and raw.endswith(b"\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")  # no text here has a line of its own
    columns = schema["$defs"]["entry"]["properties"]
    titles = {spec["title"]: key for key, spec in columns.items()}
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert list(rows[0]) == [spec["title"] for spec in columns.values()]
    assert rows[0]["Tên mô hình, điển hình"] == "Dân vận khéo ở thôn"
    # Excel's reader sees the criteria in Vietnamese, never the JSON's keys
    assert rows[1]["Tiêu chí được chọn"] == "Khen thưởng có quyết định; Nhân rộng nhiều nơi"
    assert (
        rows[4]["Quá trình"]
        == "2024: Phát hiện, bồi dưỡng; 2026 (6 tháng): Giới thiệu, nhân rộng (3 nơi nhân rộng)"
    )
    assert len(rows) == len(document["entries"]) == 5
    for row, entry in zip(rows, document["entries"], strict=True):
        back = {titles[t]: (v[1:] if v.startswith("'") else v) for t, v in row.items()}
        assert back == {k: _cell(k, v) for k, v in entry.items()}
    khuyen_hoc = rows[3]
    assert khuyen_hoc["Hiệu quả đạt được"] == "'" + FORMULA  # Excel shows it, never runs it
    assert khuyen_hoc["Tập thể, cá nhân thực hiện"] == SCRIPT and khuyen_hoc["Nội dung, cách làm"] == IMG
    assert document["entries"][3]["results"] == FORMULA  # the JSON holds what the unit wrote


def test_csv_cells_that_excel_would_run_are_inert():
    for text in ("=1+1", "+1", "-2+3", "@SUM(A1)", "\t=1", "'=1"):
        assert book.inert(text) == "'" + text
    assert book.inert("Cách làm hay") == "Cách làm hay" and book.inert(-1) == -1


# --- the catalogue, read by a browser ---------------------------------------------------------


class _Outline(html.parser.HTMLParser):
    """What the page is without its script: tags, attributes and text."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def test_without_a_script_every_entry_is_listed_and_nothing_comes_from_elsewhere(written):
    folder, _, document = written
    page = (folder / "so-tay/index.html").read_text(encoding="utf-8")
    outline = _Outline()
    outline.feed(page)
    tags = outline.tags
    assert ("html", {"lang": "vi"}) in tags
    assert {"header", "nav", "main", "footer"} <= {t for t, _ in tags}
    articles = [a["id"] for t, a in tags if t == "article"]
    assert articles == [f"mh-{e['code']}" for e in document["entries"]]
    form = next(a for t, a in tags if t == "form")
    assert "hidden" in form  # shown by the script only: without it there is nothing to search with
    for tag, attrs in tags:
        for name in ("src", "href"):
            value = attrs.get(name) or ""
            assert "//" not in value and not value.startswith("data:"), (tag, value)
    assert [a.get("src") for t, a in tags if t == "script"] == [None, "so-tay.js"]
    assert [a["href"] for t, a in tags if t == "link"] == ["so-tay.css"]
    # a unit's text is text: no tag of its own, and the data block cannot be closed early
    assert "img" not in {t for t, _ in tags} and page.count("</script>") == 2
    assert IMG in "".join(outline.text) and SCRIPT in "".join(outline.text)
    assert "\\u003c/script\\u003e" in page


def _above_nine(fd: int) -> int:
    high = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return high


class _Browser:
    """Chromium headless driven over --remote-debugging-pipe (CDP): JSON messages ending in NUL."""

    def __init__(self, profile: Path):
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()
        # the child's ends above 9, so that making them fds 3 and 4 cannot overwrite one another
        to_chrome_r, from_chrome_w = (_above_nine(fd) for fd in (to_chrome_r, from_chrome_w))
        # a trampoline makes them fds 3 and 4, where --remote-debugging-pipe expects them
        trampoline = (
            "import os, sys; os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4); "
            "os.execv(sys.argv[3], sys.argv[3:])"
        )
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                trampoline,
                str(to_chrome_r),
                str(from_chrome_w),
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-extensions",
                "--remote-debugging-pipe",
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            pass_fds=(to_chrome_r, from_chrome_w),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._id = 0
        self.events: list[dict] = []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.call("Runtime.enable", session=True)
        self.call("Page.enable", session=True)

    def call(self, method: str, session: bool = False, **params):
        self._id += 1
        message = {"id": self._id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        while True:
            while b"\0" not in self._buffer:
                chunk = os.read(self._from_chrome, 1 << 16)
                assert chunk, "Chromium closed its pipe"
                self._buffer += chunk
            line, self._buffer = self._buffer.split(b"\0", 1)
            reply = json.loads(line)
            if reply.get("id") == self._id:
                assert "error" not in reply, reply
                return reply["result"]
            self.events.append(reply)

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", session=True, expression=expression, returnByValue=True)
        assert "exceptionDetails" not in result, result
        return result["result"].get("value")

    def open(self, url: str) -> None:
        self.call("Page.navigate", session=True, url=url)
        for _ in range(200):
            if self.evaluate("document.readyState") == "complete":
                return
            subprocess.run(["sleep", "0.05"], check=True)
        raise AssertionError("the page never finished loading")

    def close(self) -> None:
        with contextlib.suppress(AssertionError):  # it may close its pipe before it answers
            self.call("Browser.close")
        self.process.wait(timeout=30)
        os.close(self._to_chrome)
        os.close(self._from_chrome)


VISIBLE = """Array.from(document.querySelectorAll('article.mo-hinh'))
  .filter(a => !a.hidden && getComputedStyle(a).display !== 'none' && a.offsetParent !== null)
  .map(a => a.querySelector('h3').textContent)"""


def _set(control: str, value: str) -> str:
    """JS that gives a search box or a filter a value as a person would, and says what is visible."""
    kind = "input" if control == "tu-khoa" else "change"
    return (
        f"(() => {{ const c = document.getElementById({json.dumps(control)}); c.value = {json.dumps(value)};"
        f" c.dispatchEvent(new Event({json.dumps(kind)}, {{bubbles: true}})); return {VISIBLE}; }})()"
    )


# each pair of foreground and background a reader sees, with its contrast ratio (WCAG 2)
CONTRAST = """(() => {
  const rgb = s => s.match(/[\\d.]+/g).map(Number);
  const lum = c => { const [r, g, b] = c.slice(0, 3).map(v => { v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const back = e => { for (; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length < 4 || c[3] > 0) return c; } return [255, 255, 255]; };
  const seen = ['h1', 'header p', 'nav a', 'label', 'p', 'dt', 'dd', 'h2', 'h3', 'button', 'select',
    'input', 'footer p'];
  return seen.flatMap(s => Array.from(document.querySelectorAll(s)).slice(0, 3).map(e => {
    const a = lum(rgb(getComputedStyle(e).color)), b = lum(back(e));
    return [s, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)]; }));
})()"""


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")
def test_chromium_searches_with_and_without_diacritics_and_filters(written, tmp_path):
    folder, _, document = written
    names = [e["name"] for e in document["entries"]]
    browser = _Browser(tmp_path / "profile")
    try:
        browser.open((folder / "so-tay/index.html").as_uri())
        assert browser.evaluate("document.getElementById('tim-kiem').hidden") is False
        assert browser.evaluate(VISIBLE) == names
        assert browser.evaluate(_set("tu-khoa", "khuyen hoc")) == ["Khuyến học, khuyến tài"]
        assert browser.evaluate(_set("tu-khoa", "Khuyến  HỌC")) == ["Khuyến học, khuyến tài"]
        assert browser.evaluate(_set("tu-khoa", "duong hoa")) == ["Đường hoa nông thôn mới"]
        assert browser.evaluate(_set("tu-khoa", "ĐƯỜNG")) == ["Đường hoa nông thôn mới"]
        # NFD typed in (a Mac keyboard): the same words
        assert browser.evaluate(_set("tu-khoa", "Khuye\u0302\u0301n")) == ["Khuyến học, khuyến tài"]
        assert browser.evaluate("document.getElementById('ket-qua').textContent") == (
            "Có 1 trên 5 mô hình, điển hình khớp điều kiện tìm, lọc."
        )
        # "Chi bộ thôn 1" performs all but Khuyến học (whose performer is the hostile text)
        assert browser.evaluate(_set("tu-khoa", "thon")) == [names[0], names[1], names[2], names[4]]
        assert browser.evaluate(_set("tu-khoa", "")) == names
        assert browser.evaluate(_set("loc-don-vi", "cam-lam")) == [names[0], names[3], names[4]]
        assert browser.evaluate(_set("loc-nam", "2026")) == ["Đường hoa nông thôn mới"]
        assert browser.evaluate(_set("loc-nam", "2024")) == [names[0], names[3], names[4]]
        assert browser.evaluate(_set("loc-giai-doan", "Biểu dương, tôn vinh")) == ["Khuyến học, khuyến tài"]
        assert browser.evaluate(_set("loc-don-vi", "")) == ["Khuyến học, khuyến tài"]
        assert browser.evaluate(_set("loc-giai-doan", "")) == [names[0], names[1], names[3], names[4]]
        assert browser.evaluate(_set("loc-linh-vuc", "2")) == ["Sáng kiến công nhân"]
        # fields with nothing to show are hidden with their heading
        assert browser.evaluate(
            "Array.from(document.querySelectorAll('section.linh-vuc')).filter(s => !s.hidden).map(s => s.id)"
        ) == ["linh-vuc-2"]
        assert browser.evaluate(_set("tu-khoa", "không có mô hình này")) == []
        assert browser.evaluate("document.getElementById('khong-co').hidden") is False
        browser.evaluate("document.getElementById('tim-kiem').reset()")
        subprocess.run(["sleep", "0.2"], check=True)
        assert browser.evaluate(VISIBLE) == names
        # a unit's hostile text stayed text: no element of its making, nothing ran
        assert browser.evaluate("document.querySelectorAll('img, main script').length") == 0
        assert browser.evaluate("document.title") == "Sổ tay mô hình, điển hình 2024 – 2026"
        # labelled controls, reachable by the keyboard; contrast of at least 4.5:1
        assert browser.evaluate(
            "Array.from(document.querySelectorAll('input, select, button'))"
            ".every(c => (c.labels.length > 0 || c.textContent.trim()) && c.tabIndex >= 0)"
        )
        ratios = browser.evaluate(CONTRAST)
        assert ratios and all(ratio >= 4.5 for _, ratio in ratios), ratios
        # typed for real, key by key through the browser's input: the same search
        browser.evaluate("document.getElementById('tim-kiem').reset()")
        browser.evaluate("document.getElementById('tu-khoa').focus()")
        browser.call("Input.insertText", session=True, text="sang kien")
        assert browser.evaluate(VISIBLE) == ["Sáng kiến công nhân"]
        errors = [
            e for e in browser.events if e.get("method") in ("Runtime.exceptionThrown", "Log.entryAdded")
        ]
        assert errors == []
        # without its script the page lists every entry and offers no search that could not work
        browser.call("Emulation.setScriptExecutionDisabled", session=True, value=True)
        browser.open((folder / "so-tay/index.html").as_uri())
        assert browser.evaluate("document.getElementById('tim-kiem').hidden") is True
        assert browser.evaluate(VISIBLE) == names
    finally:
        browser.close()


# --- the booklet, opened by LibreOffice -------------------------------------------------------


@pytest.mark.skipif(
    CHROMIUM is None or shutil.which("pdftotext") is None, reason="Chromium or pdftotext is not installed"
)
def test_the_catalogue_printed_as_staff_print_it_carries_no_browser_header_or_path(written, tmp_path):
    folder = written[0]
    pdf = tmp_path / "so-tay.pdf"
    subprocess.run(  # Chromium's own header and footer left on, as a user's Ctrl+P has them
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
        + [f"--user-data-dir={tmp_path / 'profile'}", f"--print-to-pdf={pdf}"]
        + [(folder / "so-tay/index.html").as_uri()],
        check=True,
        capture_output=True,
        timeout=240,
    )
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Khuyến học, khuyến tài" in text and "Đường hoa nông thôn mới" in text
    assert "file:" not in text and "index.html" not in text and str(tmp_path) not in text
    pages = [p.split() for p in text.split("\f") if p.strip()]
    assert [p[-1] for p in pages] == [str(n) for n in range(1, len(pages) + 1)]  # the page number only


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed")
def test_libreoffice_opens_the_booklet_with_the_models_and_their_figures(written, tmp_path):
    folder, _, document = written
    pdf = convert(folder / "so-tay-mo-hinh.docx", "pdf", tmp_path, tmp_path / "profile")
    raw = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True).stdout.decode()
    text = " ".join(raw.split())
    # the contents give each entry's page: the page LibreOffice laid its title on
    pages = [" ".join(page.split()) for page in raw.split("\f")]
    contents = next(n for n, page in enumerate(pages) if "MỤC LỤC" in page)
    for number, entry in enumerate(document["entries"], start=1):
        title = f"{number}. {entry['name']}"
        page = next(n + 1 for n, words in enumerate(pages) if n > contents and title in words)
        line = re.escape(f"{title} ({entry['unit_name']})") + r" ?\.{3,} ?" + str(page) + " "
        assert re.search(line, pages[contents]), (title, page)
    for part in (
        "TỈNH ỦY KHÁNH HÒA",
        "BAN TUYÊN GIÁO VÀ DÂN VẬN",
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        "SỔ TAY MÔ HÌNH, ĐIỂN HÌNH",
        "GIAI ĐOẠN 2024 – 2026",
        "Khánh Hòa, ngày 15 tháng 12 năm 2026",
        "Sổ tay giới thiệu 5 mô hình, điển hình",
        "MỤC LỤC",
        "Lĩnh vực 9. Xây dựng nông thôn mới",
        "4. Khuyến học, khuyến tài (Huyện ủy Cam Lâm)",
        "LĨNH VỰC 4. QUỐC PHÒNG - AN NINH",
        "3. Camera an ninh tổ dân phố",
        "Đơn vị báo cáo: Thành ủy Nha Trang",
        "Giai đoạn: Giới thiệu, nhân rộng (5 nơi nhân rộng)",
        f"Khen thưởng: Bằng khen của Liên đoàn Lao động tỉnh, {DECISION} (2024)",
        "Quá trình: 2024: Phát hiện, bồi dưỡng; 2026 (6 tháng): Giới thiệu, nhân rộng (3 nơi nhân rộng)",
        "Quá trình: 2024: Giới thiệu, nhân rộng (2 nơi nhân rộng); "
        "2025: Biểu dương, tôn vinh (2 nơi nhân rộng)",
        f"Hiệu quả đạt được: {FORMULA}",
        f"Nội dung, cách làm: {IMG}",
    ):
        assert part in text, part
    for name in ("Tổ công đoàn mẫu", "Bếp ăn tình thương", "Gương người tốt", PHONE, EMAIL):
        assert name not in text
    with zipfile.ZipFile(folder / "so-tay-mo-hinh.docx") as docx:
        body = docx.read("word/document.xml").decode("utf-8")
        settings_xml = docx.read("word/settings.xml").decode("utf-8")
    # Word fills the page numbers as it opens the booklet; the element where CT_Settings has it
    assert re.search(r'<w:updateFields w:val="true"/>\s*<w:compat>', settings_xml)
    # the only fields are the contents' page numbers, each of an entry's bookmark: a unit's
    # =HYPERLINK stays a text
    fields = re.findall(r"<w:instrText[^>]*>([^<]*)</w:instrText>", body)
    assert fields == [f" PAGEREF mh{n} \\h " for n in range(1, 6)] and "HYPERLINK" in body
    assert re.findall(r'<w:bookmarkStart w:id="\d+" w:name="([^"]+)"/>', body) == [
        f"mh{n}" for n in range(1, 6)
    ]
    with zipfile.ZipFile(folder / "so-tay-mo-hinh.docx") as docx:
        footers = [docx.read(n).decode() for n in docx.namelist() if n.startswith("word/footer")]
        assert any(">PAGE<" in f for f in footers)
        styles = docx.read("word/styles.xml").decode("utf-8")
    # Times New Roman everywhere: the defaults, the Normal style, and no run in another font
    defaults = re.search(r"<w:docDefaults>.*?</w:docDefaults>", styles, re.S).group()
    normal = re.search(r'<w:style [^>]*w:styleId="Normal".*?</w:style>', styles, re.S).group()
    for part in (defaults, normal):
        assert re.findall(r'w:ascii="([^"]+)"', part) == ["Times New Roman"] and "Theme" not in part
    assert 'w:val="vi-VN"' in defaults
    assert set(re.findall(r'w:ascii="([^"]+)"', body)) <= {"Times New Roman"}


# --- any text a unit may write ----------------------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_ODD = st.text(
    st.one_of(
        st.characters(),
        st.sampled_from(["<", ">", "&", '"', "'", "=", "+", "-", "@", "\t", "\n", "\r", "đ", "Đ", "\u0301"]),
    ),
    max_size=30,
)


def _row(code: str, year: int, **text: str) -> dict:
    row = {c: None for c in register.COLUMNS} | {"year": year, "period": "annual", "code": code}
    row |= {"unit": "cam-lam", "field": 5, "subject": "collective", "stage": "honoured", "replications": 1}
    return row | text


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=_ODD, content=_ODD, results=_ODD, performer=_ODD, decision=_ODD)
def test_any_text_comes_out_the_same_in_every_format_and_stays_text(
    cfg, tmp_path_factory, name, content, results, performer, decision
):
    folder = tmp_path_factory.mktemp("odd")
    text = {"name": name or "x", "content": content, "results": results, "performer": performer}
    rows = [_row("cam-lam-aaaaaa", 2025, reward_form="Bằng khen", reward_decision=decision, **text)]
    book.write(rows, [2025], cfg, folder)
    document = json.loads((folder / "du-lieu-mo/so-tay-mo-hinh.json").read_text(encoding="utf-8"))
    (entry,) = document["entries"]
    for key, value in text.items():
        assert entry[key] == book._text(value)  # NFC, lines as \n, no character XML refuses
    schema = json.loads((folder / "du-lieu-mo/so-tay-mo-hinh.schema.json").read_text(encoding="utf-8"))
    titles = {spec["title"]: key for key, spec in schema["$defs"]["entry"]["properties"].items()}
    raw = (folder / "du-lieu-mo/so-tay-mo-hinh.csv").read_text(encoding="utf-8-sig")
    (row,) = csv.DictReader(io.StringIO(raw, newline=""))
    assert {titles[t]: (v[1:] if v.startswith("'") else v) for t, v in row.items()} == {
        k: _cell(k, v) for k, v in entry.items()
    }
    assert not any(v.startswith(("=", "+", "-", "@", "\t", "\r")) for v in row.values())
    page = (folder / "so-tay/index.html").read_text(encoding="utf-8")
    block = page.split('<script type="application/json" id="du-lieu-so-tay">', 1)[1].split("</script>", 1)[0]
    assert not {"<", ">", "&"} & set(block) and json.loads(block)["entries"][0]["content"] == entry["content"]
    outline = _Outline()
    outline.feed(page)
    assert "img" not in {t for t, _ in outline.tags} and [
        a.get("src") for t, a in outline.tags if t == "script"
    ] == [
        None,
        "so-tay.js",
    ]
    with zipfile.ZipFile(folder / "so-tay-mo-hinh.docx") as docx:
        body = docx.read("word/document.xml").decode("utf-8")
    assert re.findall(r"<w:instrText[^>]*>([^<]*)</w:instrText>", body) == [" PAGEREF mh1 \\h "]


def test_a_span_with_no_model_chosen_still_makes_a_book(cfg, tmp_path):
    rows = [_row("cam-lam-aaaaaa", 2025, name="Một năm", stage="discovered", replications=0)]
    assert len(book.write(rows, [2024, 2025], cfg, tmp_path)) == 7
    assert (
        json.loads((tmp_path / "du-lieu-mo/so-tay-mo-hinh.json").read_text(encoding="utf-8"))["entries"] == []
    )
    assert (tmp_path / "du-lieu-mo/so-tay-mo-hinh.csv").read_bytes().count(b"\r\n") == 1  # the header
    with zipfile.ZipFile(tmp_path / "so-tay-mo-hinh.docx") as docx:
        assert "Không có mô hình nào đạt tiêu chí chọn" in docx.read("word/document.xml").decode("utf-8")
    page = (tmp_path / "so-tay/index.html").read_text(encoding="utf-8")
    assert "Có 0 mô hình, điển hình." in page and "<article" not in page


def test_a_reward_said_again_is_one_reward_and_a_decision_filled_in_later_is_its_own(cfg):
    rows = [
        _row("cam-lam-aaaaaa", 2024, name="Khuyến học", reward_form="Bằng khen của UBND tỉnh"),
        _row(
            "cam-lam-aaaaaa",
            2025,
            name="Khuyến học",
            reward_form="Bằng khen của UBND tỉnh.",
            reward_decision="QĐ 5",
        ),
        _row(
            "cam-lam-aaaaaa",
            2026,
            name="Khuyến học",
            reward_form="Bằng khen của UBND tỉnh",
            reward_decision="QĐ 5",
        ),
        _row("cam-lam-aaaaaa", 2026, name="Khuyến học", reward_form="Giấy khen", period="half_year"),
    ]
    (entry,) = book.contents(rows, [2024, 2025, 2026], cfg)["entries"]
    assert entry["honours"] == [
        {"year": 2024, "form": "Bằng khen của UBND tỉnh", "decision": "QĐ 5"},
        {"year": 2026, "form": "Giấy khen", "decision": ""},
    ]
    assert entry["honours_line"] == "Bằng khen của UBND tỉnh, QĐ 5 (2024); Giấy khen (2026)"
    assert [(h["year"], h["period"]) for h in entry["history"]] == [
        (2024, "annual"),
        (2025, "annual"),
        (2026, "half_year"),
        (2026, "annual"),
    ]


def test_a_direction_control_cannot_turn_round_what_follows_a_units_text(cfg, tmp_path):
    """An open right-to-left override (U+202E) at the end of a name would show "(Huyện ủy Cam
    Lâm)" after it backwards in the contents: the book publishes the name without it."""
    name = "Khuyến học\u202e"
    book.write(
        [_row("cam-lam-aaaaaa", 2025, name=name, content="Cách\u2067 làm\u200f")], [2025], cfg, tmp_path
    )
    document = json.loads((tmp_path / "du-lieu-mo/so-tay-mo-hinh.json").read_text(encoding="utf-8"))
    assert [(e["name"], e["content"]) for e in document["entries"]] == [("Khuyến học", "Cách làm")]
    page = (tmp_path / "so-tay/index.html").read_text(encoding="utf-8")
    csv_text = (tmp_path / "du-lieu-mo/so-tay-mo-hinh.csv").read_text(encoding="utf-8-sig")
    with zipfile.ZipFile(tmp_path / "so-tay-mo-hinh.docx") as docx:
        body = docx.read("word/document.xml").decode("utf-8")
    for text in (page, csv_text, body):
        assert not any(
            c in text for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"
        )
    assert "Khuyến học (Huyện ủy Cam Lâm)" in re.sub(r"<[^>]+>", "", body)


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")
def test_chromium_finds_words_a_zero_width_character_splits(cfg, tmp_path):
    """Text pasted from the web or Word carries invisible characters (zero-width space, joiner,
    soft hyphen, BOM): the search reads past them, in the entry and in what is typed."""
    rows = [
        _row("cam-lam-aaaaaa", 2025, name="Câu lạc bộ\u200b dưỡng\u200dsinh", content="Tập luyện."),
        _row("cam-lam-bbbbbb", 2025, name="Nhà văn hoá thôn", content="Sinh hoạt\u00ad cộng đồng\ufeff."),
    ]
    book.write(rows, [2025], cfg, tmp_path / "sach")
    browser = _Browser(tmp_path / "profile")
    try:
        browser.open((tmp_path / "sach/so-tay/index.html").as_uri())
        club, house = "Câu lạc bộ\u200b dưỡng\u200dsinh", "Nhà văn hoá thôn"
        assert browser.evaluate(_set("tu-khoa", "cau lac bo duong sinh")) == [club]
        assert browser.evaluate(_set("tu-khoa", "Câu lạc bộ dưỡng sinh")) == [club]
        assert browser.evaluate(_set("tu-khoa", "dưỡng\u200b sinh")) == [club]  # typed with one too
        assert browser.evaluate(_set("tu-khoa", "sinh hoat cong dong")) == [house]
        assert browser.evaluate(_set("tu-khoa", "văn hòa")) == [house]  # new tone placement, old text
    finally:
        browser.close()


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")
def test_a_long_unbroken_word_does_not_widen_the_catalogue_past_the_screen(cfg, tmp_path):
    """A link pasted into a name or a text (no space to break at) made the page scroll sideways."""
    link = "https://khanhhoa.gov.vn/tintuc/" + "danvankheothonhonroxacamhaitay" * 5
    rows = [_row("cam-lam-aaaaaa", 2025, name=f"Dân vận khéo {link}", content=f"Xem {link}.")]
    book.write(rows, [2025], cfg, tmp_path / "sach")
    browser = _Browser(tmp_path / "profile")
    try:
        browser.open((tmp_path / "sach/so-tay/index.html").as_uri())
        width = browser.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert width[0] <= width[1], width
    finally:
        browser.close()
