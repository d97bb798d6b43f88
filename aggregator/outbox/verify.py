"""Check, for an auditor, that a run's inputs and outputs are still what the run saw and wrote."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from aggregator.hashing import sha256
from aggregator.outbox.swap import CHECKSUMS, MANIFEST

LATER = ("nhac-nho/",)  # written into a run's folder afterwards, by `remind`


class NotARun(Exception):
    """The folder holds no manifest of a run (or one that cannot be read); says why."""

    def __init__(self, folder: Path, why: str = ""):
        super().__init__(f"{folder}: {why}" if why else str(folder))
        self.why = why


@dataclass
class Verdict:
    """Files that match, changed or are missing, for the inputs and the outputs of one run;
    and what the run did not write or name, or names outside its folders."""

    matched: dict[str, list[str]] = field(default_factory=lambda: {"inputs": [], "outputs": []})
    changed: dict[str, list[str]] = field(default_factory=lambda: {"inputs": [], "outputs": []})
    missing: dict[str, list[str]] = field(default_factory=lambda: {"inputs": [], "outputs": []})
    unlisted: list[str] = field(default_factory=list)  # in the folder, named nowhere
    unsummed: list[str] = field(default_factory=list)  # in the manifest, not in SHA256SUMS
    outside: list[str] = field(default_factory=list)  # names that lead out of their folder

    @property
    def intact(self) -> bool:
        return (
            not any(self.changed.values())
            and not any(self.missing.values())
            and not (self.unlisted or self.unsummed or self.outside)
        )


def verify(folder: Path, inbox: Path | None = None) -> Verdict:
    """Re-hash the inputs named in the manifest and the outputs named in SHA256SUMS, and
    check both ways: every file of the folder is named, every output named is summed."""
    try:
        record = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        sums = (folder / CHECKSUMS).read_text(encoding="utf-8").splitlines()
    except (OSError, ValueError) as exc:
        raise NotARun(folder) from exc
    try:
        return _verdict(folder, inbox, record, sums)
    except (KeyError, TypeError, AttributeError) as exc:
        raise NotARun(folder, f"manifest.json thiếu mục hoặc sai dạng ({exc})") from exc


def _verdict(folder: Path, inbox: Path | None, record: dict[str, Any], sums: list[str]) -> Verdict:
    verdict = Verdict()
    inbox = inbox or Path(record["run"]["inbox"])
    for entry in record.get("emails", []):
        if entry["sha256"]:  # "": refused before it was read (too big, vanished)
            _judge(verdict, "inputs", entry["path"], inbox, entry["sha256"])
    for entry in record["files"]:
        if entry.get("email") or " › " in entry["path"] or not entry["sha256"]:
            continue  # inside an email or a zip: checked through its hash; or never read
        _judge(verdict, "inputs", entry["path"], inbox, entry["sha256"])
    summed = set()
    for line in sums:
        expected, _, name = line.partition("  ")
        summed.add(name)
        _judge(verdict, "outputs", name, folder, expected)
    named = {o["path"] for o in record.get("outputs", [])}
    verdict.unsummed = sorted(named - summed - {MANIFEST})
    known = summed | named | {CHECKSUMS}
    verdict.unlisted = sorted(
        name
        for name in (
            p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() or p.is_symlink()
        )
        if name not in known and not name.startswith(LATER)
    )
    return verdict


_ESCAPE = re.compile(r"\\(?:x([0-9a-f]{2})|u([0-9a-f]{4}))")  # how discover.shown escapes a name


def _byte(match: re.Match[str]) -> str:
    """One escape undone: \\xNN a byte (as the file system decodes it), \\uNNNN a character."""
    if match.group(1):
        return os.fsdecode(bytes([int(match.group(1), 16)]))
    return chr(int(match.group(2), 16))


def _judge(verdict: Verdict, kind: str, name: str, base: Path, expected: str) -> None:
    path = base / name
    if _ESCAPE.search(name) and not path.exists():  # a name listed escaped (discover.shown)
        path = base / _ESCAPE.sub(_byte, name)
    if PurePath(name).is_absolute() or ".." in PurePath(name).parts or "\\" in _ESCAPE.sub("", name):
        verdict.outside.append(name)
    elif not path.is_file() or path.is_symlink():
        verdict.missing[kind].append(name)
    elif sha256(path) != expected:
        verdict.changed[kind].append(name)
    else:
        verdict.matched[kind].append(name)
