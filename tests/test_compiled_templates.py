"""Compiled templates kept between runs (rendering/compiled.py): never stale, never in the way."""

import json
import re
import shutil
from pathlib import Path

import docx
import pytest

from aggregator.cli import main
from aggregator.rendering import compiled, report

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "inbox"
SENTENCE = "Các đơn vị đã xây dựng và nhân rộng"


def _run(outbox: Path, templates: Path) -> Path:
    args = ["--inbox", str(SAMPLE), "--outbox", str(outbox), "--year", "2026", "--report-date", "15/12/2026"]
    assert main([*args, "--templates", str(templates)]) == 0
    return outbox / "2026"


def _said(folder: Path) -> tuple[str, str]:
    html = re.sub(r"<[^>]+>", " ", (folder / "bao-cao-tong-hop.html").read_text(encoding="utf-8"))
    word = "\n".join(p.text for p in docx.Document(str(folder / "bao-cao-tong-hop.docx")).paragraphs)
    return re.sub(r"\s+", " ", html), word


def _fresh_process(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """As a new run would start: this process's compiled code forgotten, the cache in ``folder``."""
    monkeypatch.setenv(compiled.CACHE_VARIABLE, str(folder))
    monkeypatch.setattr(compiled, "_CACHE", {})


def test_a_template_edited_in_place_is_used_at_once(tmp_path, monkeypatch):
    _fresh_process(monkeypatch, tmp_path / "cache")
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    first = _run(tmp_path / "first", templates)
    assert all(SENTENCE in said for said in _said(first))
    assert list((tmp_path / "cache" / "jinja").iterdir())  # the compiled code kept for next time

    sentences = templates / "report-sentences.j2"  # the same file, the same name, a new text
    sentences.write_text(sentences.read_text(encoding="utf-8").replace(SENTENCE, "Toàn tỉnh có"), "utf-8")
    document = docx.Document(str(templates / "report.docx"))
    for paragraph in document.paragraphs:
        for piece in paragraph.runs:
            piece.text = piece.text.replace("tổng hợp kết quả", "xin báo cáo kết quả")
    document.save(str(templates / "report.docx"))
    for again in ("same-process", "next-process"):
        if again == "next-process":
            _fresh_process(monkeypatch, tmp_path / "cache")
        html, word = _said(_run(tmp_path / again, templates))
        assert "Toàn tỉnh có" in html and "Toàn tỉnh có" in word
        assert SENTENCE not in html and SENTENCE not in word
        assert "xin báo cáo kết quả năm 2026" in word


def test_a_second_run_compiles_nothing_and_writes_the_same_report(tmp_path, monkeypatch):
    _fresh_process(monkeypatch, tmp_path / "cache")
    first = _run(tmp_path / "first", ROOT / "templates")
    assert compiled.cache().compiled > 0
    _fresh_process(monkeypatch, tmp_path / "cache")  # a new process: only the folder remembers
    second = _run(tmp_path / "second", ROOT / "templates")
    assert compiled.cache().compiled == 0
    for name in ("bao-cao-tong-hop.html", "bao-cao-tong-hop.docx", "summary.json"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_an_unwritable_cache_folder_does_not_fail_the_run(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    _fresh_process(monkeypatch, blocker / "cache")  # cannot be made, even by root
    unwritable = _run(tmp_path / "unwritable", ROOT / "templates")
    monkeypatch.setenv(compiled.CACHE_VARIABLE, "off")
    none = _run(tmp_path / "none", ROOT / "templates")
    for name in ("bao-cao-tong-hop.html", "bao-cao-tong-hop.docx"):
        assert (unwritable / name).read_bytes() == (none / name).read_bytes(), name
    assert blocker.read_text(encoding="utf-8") == "not a folder"


def test_a_damaged_cache_file_is_compiled_again(tmp_path, monkeypatch):
    _fresh_process(monkeypatch, tmp_path / "cache")
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "page.j2").write_text("{{ 1234567 | number }} {{ name }}", encoding="utf-8")
    assert report.environment(tmp_path / "t").get_template("page.j2").render(name="a") == "1.234.567 a"
    for kept in (tmp_path / "cache" / "jinja").iterdir():
        kept.write_bytes(kept.read_bytes()[:20])  # cut short
    _fresh_process(monkeypatch, tmp_path / "cache")
    assert report.environment(tmp_path / "t").get_template("page.j2").render(name="b") == "1.234.567 b"
    assert compiled.cache().compiled == 1


def test_the_same_source_compiled_with_other_settings_is_another_entry(tmp_path, monkeypatch):
    # autoescaping changes the compiled code: an escaping template must never be served to a
    # plain-text one (emails) or the other way round
    _fresh_process(monkeypatch, tmp_path / "cache")
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "page.j2").write_text("{{ name }}", encoding="utf-8")
    escaping = report.environment(tmp_path / "t")
    plain = report.environment(tmp_path / "t")
    plain.autoescape = False
    assert escaping.get_template("page.j2").render(name="<b>&") == "&lt;b&gt;&amp;"
    assert plain.get_template("page.j2").render(name="<b>&") == "<b>&"
    assert escaping.from_string("{{ name }}").render(name="<i>") == "&lt;i&gt;"
    plain_strings = report.environment(tmp_path / "t")
    plain_strings.autoescape = False
    assert plain_strings.from_string("{{ name }}").render(name="<i>") == "<i>"
    assert compiled.cache().compiled == 4


def test_a_changed_filter_is_another_entry(tmp_path, monkeypatch):
    # Jinja folds a filter over constants when it compiles: the filter's own source is in the key
    _fresh_process(monkeypatch, tmp_path / "cache")
    env = report.environment(tmp_path)
    before = compiled._settings(env)
    module = tmp_path / "filters_v.py"
    module.write_text("def shout(text):\n    return text.upper()\n", encoding="utf-8")
    namespace: dict = {}
    exec(compile(module.read_text(encoding="utf-8"), str(module), "exec"), namespace)
    env.filters["shout"] = namespace["shout"]
    with_filter = compiled._settings(env)
    assert with_filter != before
    compiled._DIGESTS.clear()
    module.write_text("def shout(text):\n    return text.upper() + '!'\n", encoding="utf-8")
    assert compiled._settings(env) != with_filter


def test_the_cache_is_the_users_never_the_outbox(tmp_path, monkeypatch):
    monkeypatch.delenv(compiled.CACHE_VARIABLE, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(compiled.sys, "platform", "linux")
    assert compiled.cache_folder() == tmp_path / "xdg" / compiled.APP / "jinja"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    assert compiled.cache_folder() == tmp_path / "home" / ".cache" / compiled.APP / "jinja"
    monkeypatch.setattr(compiled.sys, "platform", "win32")
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "local"))
    assert compiled.cache_folder() == tmp_path / "local" / compiled.APP / "Cache" / "jinja"
    for off in ("off", "0", ""):
        monkeypatch.setenv(compiled.CACHE_VARIABLE, off)
        assert compiled.cache_folder() is None


def test_a_run_puts_nothing_of_the_cache_in_the_outbox(tmp_path, monkeypatch):
    _fresh_process(monkeypatch, tmp_path / "cache")
    _run(tmp_path / "out", ROOT / "templates")
    kept = {p.name for p in (tmp_path / "cache" / "jinja").iterdir()}
    written = {p.name for p in (tmp_path / "out").rglob("*")}
    assert kept and not kept & written
    assert not any(re.fullmatch(r"[0-9a-f]{64}(\..*)?", name) for name in written)
    assert json.loads((tmp_path / "out" / "2026" / "summary.json").read_text(encoding="utf-8"))


def test_the_cache_keeps_the_entries_used_last_and_never_grows_past_its_bound(tmp_path, monkeypatch):
    """Past ``KEEP`` entries, the least recently used go; one read back counts as used."""
    import os

    _fresh_process(monkeypatch, tmp_path / "cache")
    monkeypatch.setattr(compiled, "KEEP", 3)
    (tmp_path / "t").mkdir()
    env = report.environment(tmp_path / "t")
    folder = tmp_path / "cache" / "jinja"
    for n in range(3):
        env.from_string(f"mẫu {n} {{{{ name }}}}")
    entries = sorted(folder.iterdir(), key=lambda p: p.stat().st_mtime)
    assert len(entries) == 3
    for age, entry in enumerate(entries):  # made long ago, the first made the oldest
        os.utime(entry, (1_000_000 + age, 1_000_000 + age))
    _fresh_process(monkeypatch, tmp_path / "cache")
    report.environment(tmp_path / "t").from_string("mẫu 0 {{ name }}")  # read back: used now
    assert compiled.cache().compiled == 0
    report.environment(tmp_path / "t").from_string("mẫu mới {{ name }}")  # a fourth: one must go
    left = set(folder.iterdir())
    assert len(left) == 3 and entries[1] not in left  # (the least recently used)
    assert entries[0] in left and entries[2] in left
