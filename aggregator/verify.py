"""Check, for an auditor, that a run's inputs and outputs are still what the run saw and wrote."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .discover import sha256
from .outputs import CHECKSUMS, MANIFEST


class NotARun(Exception):
    """The folder holds no manifest of a run."""


@dataclass
class Verdict:
    """Files that match, changed or are missing, for the inputs and the outputs of one run."""

    matched: dict[str, list[str]] = field(default_factory=lambda: {"inputs": [], "outputs": []})
    changed: dict[str, list[str]] = field(default_factory=lambda: {"inputs": [], "outputs": []})
    missing: dict[str, list[str]] = field(default_factory=lambda: {"inputs": [], "outputs": []})

    @property
    def intact(self) -> bool:
        return not any(self.changed.values()) and not any(self.missing.values())


def verify(folder: Path, inbox: Path | None = None) -> Verdict:
    """Re-hash the inputs named in the manifest and the outputs named in SHA256SUMS."""
    try:
        record = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        sums = (folder / CHECKSUMS).read_text(encoding="utf-8").splitlines()
    except (OSError, ValueError) as exc:
        raise NotARun(str(folder)) from exc
    verdict = Verdict()
    inbox = inbox or Path(record["run"]["inbox"])
    for entry in record.get("emails", []):
        _judge(verdict, "inputs", entry["path"], inbox / entry["path"], entry["sha256"])
    for entry in record["files"]:
        if entry.get("email"):
            continue  # an attachment: checked through its email's hash
        _judge(verdict, "inputs", entry["path"], inbox / entry["path"], entry["sha256"])
    for line in sums:
        expected, _, name = line.partition("  ")
        _judge(verdict, "outputs", name, folder / name, expected)
    return verdict


def _judge(verdict: Verdict, kind: str, name: str, path: Path, expected: str) -> None:
    if not path.is_file():
        verdict.missing[kind].append(name)
    elif sha256(path) != expected:
        verdict.changed[kind].append(name)
    else:
        verdict.matched[kind].append(name)
