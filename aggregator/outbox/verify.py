"""Check, for an auditor, that a run's inputs and outputs are still what the run saw and wrote.

Every file of a run's folder is named in ``SHA256SUMS`` (the reminders ``remind`` adds later
too: it rewrites SHA256SUMS and logs its new hash); the inputs are named in ``manifest.json``,
each by its exact name; the manifest's and SHA256SUMS's hashes are held to the run log
(``outbox/run-log.jsonl``), so the two rewritten together are seen; and the inbox is listed
again, so a report added since the run (one a re-run would read) is seen.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from aggregator.hashing import sha256
from aggregator.intake import discover
from aggregator.merging import register
from aggregator.model import Candidate
from aggregator.outbox.swap import CHECKSUMS, MANIFEST, REVIEW, RUN_LOG, own_outputs


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
    unsummed: list[str] = field(default_factory=list)  # in the manifest, not (so) in SHA256SUMS
    outside: list[str] = field(default_factory=list)  # names that lead out of their folder
    added: list[str] = field(default_factory=list)  # in the inbox now, not seen by the run
    log: Path | None = None  # the run log the hashes were held to
    manifest_logged: str | None = None  # when the run that wrote this manifest started
    sums_logged: bool | None = None  # SHA256SUMS as a logged run or remind left it (None: not logged)
    manifest_sha256: str = ""

    @property
    def intact(self) -> bool:
        return (
            not any(self.changed.values())
            and not any(self.missing.values())
            and not (self.unlisted or self.unsummed or self.outside or self.added)
            and self.manifest_logged is not None
            and self.sums_logged is not False
        )


def verify(folder: Path, inbox: Path | None = None, run_log: Path | None = None) -> Verdict:
    """Re-hash the inputs named in the manifest and the outputs named in SHA256SUMS, and
    check both ways: every file of the folder is named, every output named is summed, every
    entry of the inbox was seen by the run; and both files' hashes against the run log."""
    try:
        record = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        sums = (folder / CHECKSUMS).read_text(encoding="utf-8").splitlines()
    except (OSError, ValueError) as exc:
        raise NotARun(folder) from exc
    try:
        verdict = _verdict(folder, inbox, record, sums)
        _held_to_log(verdict, folder, record, run_log)
        return verdict
    except (KeyError, TypeError, AttributeError) as exc:
        raise NotARun(folder, f"manifest.json thiếu mục hoặc sai dạng ({exc})") from exc


def _verdict(folder: Path, inbox: Path | None, record: dict[str, Any], sums: list[str]) -> Verdict:
    verdict = Verdict()
    if record["run"].get("kind") == REVIEW:
        _review_inputs(verdict, folder, record)
    else:
        _run_inputs(verdict, inbox or Path(record["run"]["inbox"]), record)
    summed: dict[str, str] = {}
    for line in sums:
        expected, _, name = line.partition("  ")
        summed[name] = expected
    named = {o["path"]: o["sha256"] for o in record.get("outputs", [])}
    for name, expected in named.items():  # the manifest (held to the run log) says
        _judge(verdict, "outputs", name, folder, expected)
    for name, expected in summed.items():  # the manifest itself, and files added later
        if name not in named:
            _judge(verdict, "outputs", name, folder, expected)
    verdict.unsummed = sorted(n for n, h in named.items() if summed.get(n) != h)
    known = set(summed) | set(named) | {CHECKSUMS}
    verdict.unlisted = sorted(
        name
        for name in (
            discover.shown(p.relative_to(folder).as_posix())
            for p in folder.rglob("*")
            if p.is_file() or p.is_symlink()
        )
        if name not in known
    )
    return verdict


def _review_inputs(verdict: Verdict, folder: Path, record: dict[str, Any]) -> None:
    """A review's inputs: the period files of the register it was made from, in the outbox
    (the folder's parent); and the period files of its span the outbox holds now that it did
    not read (a year run since: a re-run of the review would count it)."""
    outbox = folder.parent
    for entry in record["inputs"]:
        _judge(verdict, "inputs", entry["path"], outbox, entry["sha256"])
    read = {entry["path"] for entry in record["inputs"]}
    run = record["run"]
    verdict.added = sorted(
        f"{path.name}/{register.PERIOD_FILE}"
        for (year, period), path in register.period_folders(outbox).items()
        if period == run["period"]
        and run["year_from"] <= year <= run["year_to"]
        and f"{path.name}/{register.PERIOD_FILE}" not in read
    )


def _run_inputs(verdict: Verdict, inbox: Path, record: dict[str, Any]) -> None:
    """A run's inputs: every entry of the inbox its manifest names, and the entries added since."""
    seen = set()
    for entry in record.get("emails", []):
        seen.add(entry["path"])
        if entry["sha256"]:  # "": refused before it was read (too big, vanished)
            _judge(verdict, "inputs", entry["path"], inbox, entry["sha256"])
    for entry in record["files"]:
        if entry.get("email") or entry.get("attachment"):
            continue  # inside an email or a zip: checked through its container's hash
        seen.add(entry["path"])
        if entry["sha256"]:  # "": never read (refused on sight)
            _judge(verdict, "inputs", entry["path"], inbox, entry["sha256"])
    for entry in record.get("ignored", []):
        if entry.get("sha256"):  # left alone as an earlier period's input: known by its hash
            _judge(verdict, "inputs", entry["path"], inbox, entry["sha256"])
    seen.update(i["path"] for i in record.get("ignored", []))
    verdict.added = _added(inbox, record, seen)


def _added(inbox: Path, record: dict[str, Any], seen: set[str]) -> list[str]:
    """Entries of the inbox the run did not see (a re-run would read them): every entry it
    would take, by its exact name; those left alone by name are not reports."""
    if not inbox.is_dir():
        return []
    outbox = record["run"].get("outbox")
    try:
        walked = discover.walk(inbox, skip=own_outputs(inbox, Path(outbox) if outbox else None))
    except OSError as exc:  # an inbox that cannot be listed: nothing proves no report was added
        return [f"(không liệt kê được thư mục đầu vào: {type(exc).__name__})"]
    names = [
        e.relative if isinstance(e, Candidate) else discover.shown(e.relative_to(inbox).as_posix())
        for e in walked.entries
    ]
    return sorted(n for n in names if n not in seen)


def _held_to_log(verdict: Verdict, folder: Path, record: dict[str, Any], run_log: Path | None) -> None:
    """The manifest's and SHA256SUMS's hashes against the run log's lines for this period."""
    verdict.manifest_sha256 = sha256(folder / MANIFEST)
    places = [run_log] if run_log else [folder.parent / RUN_LOG, folder.parent.parent / RUN_LOG]
    if not run_log and record["run"].get("outbox"):
        places.append(Path(record["run"]["outbox"]) / RUN_LOG)
    found = next((p for p in places if p.is_file()), None)
    if found is None:
        return
    verdict.log = found
    entries = []
    for line in found.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and _of_run(entry) == _of_run(record["run"]):
            entries.append(entry)
    ours = [e for e in entries if e.get("manifest_sha256") == verdict.manifest_sha256]
    if not ours:
        return
    verdict.manifest_logged = str(
        next((e.get("started") for e in ours if "event" not in e), ours[0].get("started"))
    )
    logged_sums = {e["sums_sha256"] for e in ours if "sums_sha256" in e}
    if logged_sums:  # runs of earlier versions logged the manifest only
        verdict.sums_logged = sha256(folder / CHECKSUMS) in logged_sums


def _of_run(run: dict[str, Any]) -> tuple[Any, ...]:
    """Which run a manifest's ``run`` or a log line is of: a period (year, period), or a review
    (its span and period)."""
    if run.get("kind") == REVIEW:
        return (REVIEW, run.get("year_from"), run.get("year_to"), run.get("period"))
    return (run.get("year"), run.get("period"))


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
