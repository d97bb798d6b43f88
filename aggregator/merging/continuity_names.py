"""Close spellings of model names: two names at most two letters apart, found through an index
of their pieces so that a file's cost is bounded (continuity's close-name and mistyped-code checks).
"""

from __future__ import annotations

from typing import Any

from aggregator.model import Entry

# Close spellings are looked for among names of 7 to CLOSE_MAX letters (a model's name is a few
# words; a longer text is not a name to propose), each through an index, and a file's rows make
# at most COMPARISONS_PER_FILE comparisons of two texts: the cost of a file is bounded.
CLOSE_MIN, CLOSE_MAX = 7, 160
COMPARISONS_PER_FILE = 5000


def _thirds(length: int) -> list[tuple[int, int]]:
    """A text of ``length`` letters cut in three pieces: (start, end) of each."""
    a, b = length // 3, 2 * length // 3
    return [(0, a), (a, b), (b, length)]


class Names:
    """One unit's earlier names by pieces. A name at most two letters off another keeps one of
    the other's three pieces whole, at most two places from where it was: a name is compared
    only with the earlier names one of whose pieces it holds there (of its field, and of a
    length within two of its own)."""

    def __init__(self, entries: list[Entry]):
        self.order = {e.code: i for i, e in enumerate(entries)}
        self.pieces: dict[tuple[int, int, int, str], list[Entry]] = {}
        for entry in entries:
            key = entry.name_key
            if CLOSE_MIN - 2 <= len(key) <= CLOSE_MAX + 2:
                for t, (a, b) in enumerate(_thirds(len(key))):
                    self.pieces.setdefault((entry.field, len(key), t, key[a:b]), []).append(entry)

    def candidates(self, field: Any, key: str) -> list[Entry]:
        """The earlier names ``key`` may be one or two letters off, in the order given."""
        n = len(key)
        if not CLOSE_MIN <= n <= CLOSE_MAX:
            return []
        found: dict[str, Entry] = {}
        for length in range(max(n - 2, CLOSE_MIN - 2), n + 3):
            for t, (a, b) in enumerate(_thirds(length)):
                for start in range(max(a - 2, 0), min(a + 2, n - (b - a)) + 1):
                    for entry in self.pieces.get((field, length, t, key[start : start + b - a]), ()):
                        found.setdefault(entry.code, entry)
        return sorted(found.values(), key=lambda e: self.order[e.code])


def _common(a: str, b: str) -> int:
    """How many letters ``a`` and ``b`` begin with in common (compared by halves)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def near(a: str, b: str, most: int = 2) -> bool:
    """Whether two keys are at most ``most`` letters apart (and not the same)."""
    return a != b and abs(len(a) - len(b)) <= most and _within(a, b, most)


def _within(a: str, b: str, most: int) -> bool:
    """At most ``most`` edits apart: what both begin and end with set aside (compared by
    halves, never letter by letter), then each way of editing the first letter that differs.
    At most 3 ** ``most`` tries, whatever the length."""
    start = _common(a, b)
    a, b = a[start:], b[start:]
    end = _common(a[::-1], b[::-1])
    a, b = a[: len(a) - end], b[: len(b) - end]
    if not a or not b:
        return max(len(a), len(b)) <= most
    if most == 0:
        return False
    return _within(a[1:], b[1:], most - 1) or _within(a[1:], b, most - 1) or _within(a, b[1:], most - 1)
