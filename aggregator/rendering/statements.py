"""Rendering: the units' own answers said once each, with the units that made them.

A unit's answer (its results, difficulties and proposals) is split into statements; the same
statement, or one spelled a letter or two apart, is said once with every unit that made it,
found through an index of its pairs of words rather than a scan of every statement so far.
"""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from aggregator.model import RunResult, UnitStatus
from aggregator.text import match_key


def voices(result: RunResult) -> dict[str, list[dict[str, Any]]]:
    """The units' own answers (results in II.6, difficulties in III, proposals in IV) as staff
    write them: each statement once, the units that made it after.

    Statements that are the same, or nearly (matching key, close spelling), are merged; those
    several units made come first, then the rest by unit group (the unit after its statement,
    unless the group heading already names it). Lines: ``{"heading": bool, "text": str, "units":
    [names]}``, said by the templates (a heading as it is, a statement with its units after).
    """
    found: dict[str, list[dict[str, Any]]] = {key: [] for key in ("highlights", *CLOSE_MERGED)}
    groups = result.config.groups
    for label in result.config.assessment:
        said = Said(close=label.key in CLOSE_MERGED)
        for status in result.statuses:
            text = status.used.assessment.get(label.key) if status.used else None
            for statement in split(text or ""):
                said.add(statement, status)
        lines = [
            {"heading": False, "text": s.text, "units": [u.name for u in s.units]}
            for s in sorted((s for s in said.made if len(s.units) > 1), key=lambda s: -len(s.units))
        ]
        alone: dict[str, list[Statement]] = {}  # by unit group, in the order made
        for s in said.made:
            if len(s.units) == 1:
                alone.setdefault(s.units[0].group, []).append(s)
        for group, name in groups.items():
            if own := alone.get(group):
                lines.append({"heading": True, "text": name, "units": []})
                lines += [
                    {
                        "heading": False,
                        "text": s.text,
                        "units": [] if s.units[0].name == name else [s.units[0].name],
                    }
                    for s in own
                ]
        found[label.key] = lines
    return found


# answers whose statements spelled a letter or two apart are merged too; the others (the
# results, long and many) only when the same words
CLOSE_MERGED = ("difficulties", "proposals")


def split(text: str) -> list[str]:
    """A unit's answer as separate statements: one a line, bullets dropped."""
    found = []
    for line in text.splitlines():
        line = line.strip().lstrip("-–•+*").strip()
        if line:
            line = line[0].upper() + line[1:]  # a statement opens a sentence in the report
            found.append(line if line.endswith((".", "!", "?", ";", ":")) else line + ".")
    return found


def key_of(text: str) -> str:
    return match_key(text).rstrip(" .;:!?")


@dataclass(slots=True)
class Statement:
    """One statement as first made, its matching key, and the units that made it, in order."""

    text: str
    key: str
    units: list[UnitStatus]
    codes: set[str]


class Said:
    """The statements made so far under one heading, found again in time that does not grow
    with how much was said: the same words through a dict of matching keys; a spelling a
    letter or two apart (``close``) through an index of the keys' pairs of words, from
    which at most ``CANDIDATES`` statements, those sharing the most of its rarest pairs, are
    compared by the ratio of ``SequenceMatcher``: never every statement made so far."""

    # the postings read for one statement: its rarest pairs of words first, as many as fit
    BUDGET = 256
    CANDIDATES = 8
    # the pairs read that a spelling a letter or two apart may lack: two a letter changed,
    # dropped or added (three if it joins or splits words), for up to three letters
    LOST = 8

    def __init__(self, close: bool) -> None:
        self.close = close
        self.made: list[Statement] = []
        self.by_key: dict[str, Statement] = {}
        self.postings: dict[str, list[int]] = {}  # a pair of words → the statements having it
        self.letters: list[Counter[str] | None] = []  # each key's letters, counted when first needed

    def add(self, text: str, status: UnitStatus) -> None:
        """``status`` made ``text``: a new statement, or one more unit for the same."""
        key = key_of(text)
        same = self.by_key.get(key)
        if same is None and self.close:
            grams = _grams(key)
            same = self._spelled_close(key, grams)
        if same is None:
            self.by_key[key] = made = Statement(text, key, [status], {status.code})
            if self.close:
                for gram in grams:
                    self.postings.setdefault(gram, []).append(len(self.made))
                self.letters.append(None)
            self.made.append(made)
        elif status.code not in same.codes:
            same.units.append(status)
            same.codes.add(status.code)

    def _spelled_close(self, key: str, grams: set[str]) -> Statement | None:
        """The first statement made spelled a letter or two apart, looked for only among those
        sharing enough of ``key``'s rarer pairs of words (a statement all of whose pairs are
        common to hundreds of others finds none: the bound that keeps it linear)."""
        postings = self.postings
        having = [(len(p), g, p) for g in grams if (p := postings.get(g))]
        having.sort()  # rarest first (each pair once: never two alike)
        shared: Counter[int] = Counter()
        read = pairs = 0
        for size, _, posting in having:
            read += size
            if read > self.BUDGET:
                break
            pairs += 1
            shared.update(posting)
        needed = max(pairs - self.LOST, (pairs + 1) // 2)
        slack, length, made = max(2, len(key) // 10), len(key), self.made
        near = [
            n for n, count in shared.items() if count >= needed and abs(len(made[n].key) - length) <= slack
        ]
        if not near:
            return None
        # those sharing the most, compared in the order made: the first close one is the answer
        best = sorted(heapq.nsmallest(self.CANDIDATES, near, key=lambda n: (-shared[n], n)))
        letters: Counter[str] | None = None
        similar = None
        for n in best:
            other = made[n].key
            # SequenceMatcher's real_quick_ratio and quick_ratio, from the lengths and the letters
            # counted once: the matcher is made, and learns the key, only for what passes them
            if _ratio(min(len(other), length), len(other) + length) < 0.93:
                continue
            theirs = self.letters[n]
            if theirs is None:
                theirs = self.letters[n] = Counter(other)
            if letters is None:
                letters = Counter(key)
            if _ratio((theirs & letters).total(), len(other) + length) < 0.93:
                continue
            if similar is None:
                similar = SequenceMatcher(None, "", key)
            similar.set_seq1(other)
            if similar.ratio() >= 0.93:
                return made[n]
        return None


def _ratio(matches: int, length: int) -> float:
    """difflib's ratio of ``matches`` in sequences ``length`` long together."""
    return 2.0 * matches / length if length else 1.0


def _grams(key: str) -> set[str]:
    """The pairs of words next to each other in a key, its first and last word marked."""
    words = ["", *key.split(" "), ""]
    return {f"{a} {b}" for a, b in zip(words, words[1:], strict=False)}
