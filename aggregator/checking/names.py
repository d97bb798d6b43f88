"""Unit names understood by their structure: an organisation word, a level and a place.

"Đảng ủy phường Bắc Nha Trang", "ĐU P. Bắc Nha Trang" and "Bắc Nha Trang" name one unit; "Nha
Trang" names another. The words that name organisations and levels are data
(``matching`` in ``schemas/units.yaml``). The registry is indexed once, so a name is found by a
few dictionary look-ups, never by comparing it with every unit: exact key, then the place
(with its level when one is written), then without diacritics (flagged), then one or two
letters off through a deletion index (flagged, and only when one unit is that close).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from aggregator.config import Config
from aggregator.text import _distance, loose_key, nfc, strip_marks

_MAX_PLACE_TOKENS = 8  # longest place, in words, looked for inside a file name
_MAX_COMMAS = 3  # parts of a name cut at commas ("xã ..., huyện ..., tỉnh ...") looked at
_MEMO_LIMIT = 50_000  # texts remembered (a run sees a few per file)


@dataclass(frozen=True)
class Parsed:
    """A name cut into its parts, each a matching key ('' when not written)."""

    org: str
    level: str
    place: str


@dataclass
class Match:
    """The units a text names, how it named them, and which others came close."""

    units: tuple[str, ...] = ()
    how: str = ""  # name | alias | place | unmarked | close
    near: tuple[str, ...] = ()


@dataclass
class _Entry:
    code: str
    level: str
    org: str


def _deletes(key: str, depth: int) -> set[str]:
    """Every string made by deleting up to ``depth`` characters of ``key``."""
    found, edge = {key}, {key}
    for _ in range(depth):
        edge = {word[:i] + word[i + 1 :] for word in edge for i in range(len(word))}
        found |= edge
    return found


def _words(phrases: dict[str, str]) -> re.Pattern[str]:
    """A pattern finding any of these phrases as whole words, the longest first."""
    if not phrases:
        return re.compile(r"(?!)")
    alternatives = "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))
    return re.compile(rf"(?<= )({alternatives})(?= )")


def _reach(key: str) -> int:
    """How many letters off a place may be typed and still be recognised."""
    return 0 if len(key) < 6 else 1 if len(key) < 14 else 2


class UnitMatcher:
    """Finds units by code, name, alias or place, however people abbreviate or accent them."""

    def __init__(self, config: Config):
        self.config = config
        self._memo: dict[str, str] = {}
        self._matched: dict[tuple[str, bool], Match] = {}
        self.exact: dict[str, set[str]] = {}
        self.unmarked: dict[str, set[str]] = {}
        self._abbreviations = sorted(
            ((loose_key(k), loose_key(v)) for k, v in config.abbreviations.items()),
            key=lambda kv: -len(kv[0]),
        )
        self._ignore = sorted((loose_key(t) for t in config.ignore), key=len, reverse=True)
        self._short: dict[str, str] = {}
        for full, short in self._abbreviations:  # one pass of one pattern, longest first
            self._short.setdefault(full, short)
            self._short.setdefault(strip_marks(full), short)
        self._shorten = _words(self._short)
        self._drop = _words({t: "" for t in self._ignore})
        self._ignore_tail = sorted(
            {tuple(strip_marks(t).split()) for t in self._ignore}, key=len, reverse=True
        )
        self._orgs: dict[tuple[str, ...], str] = {}
        for phrase in config.organisations:
            key = self.canonical(phrase)
            for form in (key, strip_marks(key)):
                if form:
                    self._orgs.setdefault(tuple(form.split()), key)
        self._levels: dict[tuple[str, ...], str] = {}
        for level, shorts in config.levels.items():
            key = self.canonical(level)
            for written in (level, *shorts):
                form = loose_key(written)
                for variant in (form, strip_marks(form)):
                    if variant:
                        self._levels.setdefault(tuple(variant.split()), key)
        self.codes = {u.code for u in config.units}
        self._names: set[str] = set()
        self._places: dict[str, list[_Entry]] = {}
        self._unmarked_places: dict[str, list[_Entry]] = {}
        self._inside: dict[str, set[str]] = {}  # a run of words -> units whose place holds it
        self._close: dict[str, set[str]] | None = None  # built when first needed
        self._longest = 0  # the longest place known, in characters
        self._parsed: dict[str, list[Parsed]] = {}
        self._senders: dict[str, set[str]] = {}
        self._in_names: dict[str, set[str]] = {}  # unmarked keys spelled out in file names
        for unit in config.units:
            self._index(unit.code, unit.name, unit.aliases)
            for email in unit.emails:
                self._senders.setdefault(email.lower(), set()).add(unit.code)
            self._in_names.setdefault(unit.code.replace("-", " "), set()).add(unit.code)

    def _index(self, code: str, name: str, aliases: tuple[str, ...]) -> None:
        for text in (name, *aliases):
            key = self.canonical(text)
            if not key:
                continue
            if text == name:
                self._names.add(key)
            self.exact.setdefault(key, set()).add(code)
            self.unmarked.setdefault(strip_marks(key), set()).add(code)
            self._in_names.setdefault(strip_marks(key), set()).add(code)
            parsed = self.parse(key)[0]
            entry = _Entry(code, parsed.level, parsed.org)
            bare = strip_marks(parsed.place)
            self._places.setdefault(parsed.place, []).append(entry)
            self._longest = max(self._longest, len(parsed.place))
            self._unmarked_places.setdefault(bare, []).append(entry)
            self._in_names.setdefault(bare, set()).add(code)
            words = parsed.place.split()
            for i in range(len(words)):
                for j in range(i + 1, len(words) + 1):
                    self._inside.setdefault(" ".join(words[i:j]), set()).add(code)

    def canonical(self, text: str) -> str:
        """The matching key with abbreviations shortened alike and ignored words dropped."""
        if text not in self._memo:
            if len(self._memo) > _MEMO_LIMIT:
                self._memo.clear()
            self._memo[text] = self._canonical(text)
        return self._memo[text]

    def _canonical(self, text: str) -> str:
        key = f" {loose_key(text)} "
        key = self._shorten.sub(lambda m: self._short[m.group(1)], key)
        key = self._drop.sub(" ", key)
        words = key.split()
        trimmed = True
        while trimmed and words:  # "... tinh Khanh Hoa" typed without marks, at the end
            trimmed = False
            for tail in self._ignore_tail:
                if len(words) > len(tail) and tuple(words[-len(tail) :]) == tail:
                    words, trimmed = words[: -len(tail)], True
                    break
        return " ".join(words)

    def parse(self, key: str) -> list[Parsed]:
        """The ways to read a key as organisation, level and place, most words understood first."""
        if key not in self._parsed:
            if len(self._parsed) > _MEMO_LIMIT:
                self._parsed.clear()
            self._parsed[key] = self._parse(key)
        return self._parsed[key]

    def _parse(self, key: str) -> list[Parsed]:
        words = key.split()
        cuts, orgs = [(0, "")], []
        while found := self._prefix(words, cuts[-1][0], self._orgs):
            orgs.append(found[1])
            cuts.append((found[0], " ".join(orgs)))
        readings: list[Parsed] = []
        for start, org in reversed(cuts):  # most words understood first ("ĐU Tu Bông" last)
            level, rest = "", words[start:]
            found = self._prefix(words, start, self._levels)
            if found and found[0] < len(words):
                level, rest = found[1], words[found[0] :]
            elif len(rest) > 1:
                for n in range(min(3, len(rest) - 1), 0, -1):  # "Đảng ủy Công an tỉnh"
                    if tuple(rest[-n:]) in self._levels:
                        level, rest = self._levels[tuple(rest[-n:])], rest[:-n]
                        break
            if rest:
                readings.append(Parsed(org, level, " ".join(rest)))
            if level and words[start:] != rest:  # a place that starts like a level word
                readings.append(Parsed(org, "", " ".join(words[start:])))
        return readings or [Parsed("", "", key)]

    @staticmethod
    def _prefix(words: list[str], start: int, table: dict[tuple[str, ...], str]) -> tuple[int, str] | None:
        for n in range(min(4, len(words) - start), 0, -1):
            found = table.get(tuple(words[start : start + n]))
            if found is not None:
                return start + n, found
        return None

    def by_code(self, raw: object) -> str | None:
        code = nfc(raw).lower().replace(" ", "")
        return code if code in self.codes else None

    def by_sender(self, sender: str | None) -> set[str]:
        """Units that registered this email address."""
        return set(self._senders.get((sender or "").strip().lower(), set()))

    def match(self, text: str, close: bool = True) -> Match:
        """The units a written name fits: exact, place, unmarked, then close spelling."""
        if (text, close) not in self._matched:  # title rows repeat from file to file
            if len(self._matched) > _MEMO_LIMIT:
                self._matched.clear()
            self._matched[text, close] = self._match(text, close)
        return self._matched[text, close]

    def _match(self, text: str, close: bool, depth: int = 0) -> Match:
        key = self.canonical(text)
        if not key:
            return Match()
        if key in self.exact:
            units = self.exact[key]
            return self._found(units, "name" if key in self._names else "alias", key)
        readings = self.parse(key)
        near: set[str] = set()
        for marked in (True, False):
            table = self._places if marked else self._unmarked_places
            if not marked:
                bare = strip_marks(key)
                if bare in self.unmarked:
                    return self._found(self.unmarked[bare], "unmarked", key)
            for reading in readings:
                place = reading.place if marked else strip_marks(reading.place)
                hits = self._fitting(table.get(place, []), reading, near)
                if hits:
                    return self._found(hits, "place" if marked else "unmarked", reading.place)
        if close:
            found = self._close_spelling(readings[0], near)
            if found.units:
                return found
        near |= self._containing(readings[0].place)
        if "," in text and depth < _MAX_COMMAS:  # "Đảng ủy xã Phước Hậu, huyện Ninh Phước":
            head, tail = text.split(",", 1)  # the unit, then where it is
            found, other = self._match(head, close, depth + 1), self._match(tail, False, depth + 1)
            if found.units and not other.units:
                return found
            near |= set(found.units) | set(other.units)  # two units named: neither is a guess
        return Match(near=tuple(sorted(near)))

    def _fitting(self, entries: list[_Entry], reading: Parsed, near: set[str]) -> set[str]:
        """The entries whose level agrees with the written one; the others only came close."""
        fits = [e for e in entries if not reading.level or not e.level or e.level == reading.level]
        near.update(e.code for e in entries if e not in fits)
        if len({e.code for e in fits}) > 1 and reading.org:
            same_org = [e for e in fits if e.org == reading.org]
            fits = same_org or fits
        return {e.code for e in fits}

    def _found(self, units: set[str], how: str, place: str) -> Match:
        near = self._containing(self.parse(place)[0].place if how in ("name", "alias") else place)
        return Match(tuple(sorted(units)), how, tuple(sorted(near - units)))

    def _containing(self, place: str) -> set[str]:
        """Units whose place holds this one ("Bắc Nha Trang" holds "Nha Trang")."""
        return set(self._inside.get(place, set()))

    def _close_spelling(self, reading: Parsed, near: set[str]) -> Match:
        """A place one or two letters off, accepted only when a single unit is that close."""
        place = reading.place
        reach = _reach(place)
        if not reach or len(place) > self._longest + reach:  # no place is within reach:
            return Match()  # (its deletions would cost the square of its length to list)
        if self._close is None:  # a place with letters deleted -> the places it comes from
            self._close = {}
            for known_place in self._places:
                for variant in _deletes(known_place, _reach(known_place)):
                    self._close.setdefault(variant, set()).add(known_place)
        known: set[str] = set()
        for variant in _deletes(place, reach):
            known |= self._close.get(variant, set())
        by_distance: dict[int, set[str]] = {}
        for candidate in known:
            cap = min(reach, _reach(candidate))
            distance = _distance(place, candidate, cap)
            if distance <= cap:
                codes = self._fitting(self._places[candidate], reading, near)
                by_distance.setdefault(distance, set()).update(codes)
        if not by_distance:
            return Match()
        best = min(by_distance)
        others = set().union(*by_distance.values()) - by_distance[best]
        return Match(tuple(sorted(by_distance[best])), "close", tuple(sorted(others | near)))

    def in_filename(self, stem: str) -> set[str]:
        """Units named in a file name: the longest names found, none inside another.

        One word alone ("UBND", "Đoàn") is too common in file names to name a unit, unless it
        is a unit's code ("mttq").
        """
        text = strip_marks(self.canonical(re.sub(r"[_.\-]+", " ", stem)))
        words = text.split()
        spans: list[tuple[int, int, set[str]]] = []
        for i in range(len(words)):
            for j in range(i + 1, min(len(words), i + _MAX_PLACE_TOKENS) + 1):
                if j == i + 1 and words[i] not in self.codes:
                    continue
                codes = self._in_names.get(" ".join(words[i:j]))
                if codes:
                    spans.append((i, j, codes))
        kept = [s for s in spans if not any(o[0] <= s[0] and s[1] <= o[1] and o[:2] != s[:2] for o in spans)]
        return set().union(*(codes for _, _, codes in kept)) if kept else set()
