"""Vietnamese text as units type it, and the keys we match it on.

Text is stored and printed as the unit wrote it (NFC); it is compared on a *matching key*:
NFC, one tone placement for oa/oe/uy, ``Ð`` as ``Đ``, casefolded, spaces collapsed.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import lru_cache
from typing import Any

_TONES = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng (combining)
# Old style puts the tone on the second vowel of a syllable-final oa/oe/uy ("hoà", "uỷ", "khoẻ");
# we move it to the first ("hòa", "ủy", "khỏe"). "qu" + y keeps it on y ("quý").
_OLD_OA_OE = re.compile(rf"([oO])([aAeE])([{_TONES}])(?![^\W\d_])")
_OLD_UY = re.compile(rf"(?<![qQ])([uU])([yY])([{_TONES}])(?![^\W\d_])")
_OLD_ANY = re.compile(rf"[oOuU][aAeEyY][{_TONES}]")  # what either needs: rare, so looked for first
_SPACES = re.compile(r"\s+")
_PUNCT = re.compile(r"[^\w\s]|_")
# invisible direction controls (embeddings, overrides, isolates, marks): Vietnamese has no use
# for them, and one left open turns round what follows on the line ("Tên (mã)" shown "(ãm) nêT")
_DIRECTION = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def without_direction(text: str) -> str:
    """Text with no invisible direction control: it reads as it shows, whatever follows it."""
    return _DIRECTION.sub("", text)


def nfc(value: object) -> str:
    """Text of a cell as NFC, trimmed, with the look-alike Ð (U+00D0) read as Đ."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", str(value))
    text = text.replace("\u00d0", "\u0110").replace("\u00f0", "\u0111")
    return text.replace("\u00a0", " ").strip()


@lru_cache(maxsize=65536)
def match_key(value: str) -> str:
    """The key two spellings of the same words share (case, tone placement, spacing)."""
    text = unicodedata.normalize("NFD", nfc(value))
    if _OLD_ANY.search(text):
        text = _OLD_OA_OE.sub(r"\1\3\2", text)
        text = _OLD_UY.sub(r"\1\3\2", text)
    text = unicodedata.normalize("NFC", text).casefold()
    return " ".join(text.split())  # spaces collapsed (str.split's spaces are the regex's \s)


@lru_cache(maxsize=65536)
def loose_key(value: str) -> str:
    """The matching key with punctuation dropped: for headers and typed choices."""
    return _SPACES.sub(" ", _PUNCT.sub(" ", match_key(value))).strip()


@lru_cache(maxsize=65536)
def strip_marks(key: str) -> str:
    """A key without any diacritics: the last, flagged fallback of matching."""
    text = unicodedata.normalize("NFD", key.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def is_blank(value: object) -> bool:
    """A cell that holds nothing a person typed."""
    if value is None:
        return True
    if isinstance(value, float) and value != value:  # NaN
        return True
    return isinstance(value, str) and not value.strip()


def as_text(raw: Any) -> str:
    """A cell as the text a person would see (whole floats without ".0")."""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, dt.datetime):
        return raw.strftime("%d/%m/%Y")
    if isinstance(raw, dt.date):
        return raw.strftime("%d/%m/%Y")
    return nfc(raw)


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def safe_filename(text: str, limit: int = 60) -> str:
    """A file name made from untrusted text: letters, digits and dashes only."""
    key = strip_marks(match_key(text))
    slug = re.sub(r"[^a-z0-9]+", "-", key).strip("-")
    return slug[:limit].strip("-") or "khong-ten"


def _distance(a: str, b: str, cap: int) -> int:
    """Edit distance of two short keys, giving up (cap + 1) once it exceeds ``cap``."""
    if abs(len(a) - len(b)) > cap:
        return cap + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > cap:
            return cap + 1
        previous = current
    return previous[-1]


class Vocabulary:
    """The allowed spellings of a closed list (choices, fields, periods), looked up by key.

    ``lookup`` answers the code and how it matched: ``exact`` (same key), ``unmarked``
    (same letters once diacritics are dropped) or ``guessed`` (one or two letters off);
    the last two are accepted with a warning by the caller.
    """

    def __init__(self, entries: list[tuple[object, list[str]]]):
        self._loose: dict[str, object] = {}
        self._unmarked: dict[str, set[object]] = {}
        for code, spellings in entries:
            for spelling in spellings:
                key = loose_key(spelling)
                if key:
                    self._loose.setdefault(key, code)
                    self._unmarked.setdefault(strip_marks(key), set()).add(code)
        self._cache: dict[str, tuple[object, str] | None] = {}

    def lookup(self, raw: object) -> tuple[object, str] | None:
        text = nfc(raw)
        if text not in self._cache:
            self._cache[text] = self._find(loose_key(text))
        return self._cache[text]

    def _find(self, key: str) -> tuple[object, str] | None:
        if not key:
            return None
        if key in self._loose:
            return self._loose[key], "exact"
        codes = self._unmarked.get(strip_marks(key), set())
        if len(codes) == 1:
            return next(iter(codes)), "unmarked"
        return self._guess(key)

    def _guess(self, key: str) -> tuple[object, str] | None:
        cap = 1 if len(key) < 8 else 2
        if len(key) < 4:
            return None
        near = {code for known, code in self._loose.items() if _distance(key, known, cap) <= cap}
        return (next(iter(near)), "guessed") if len(near) == 1 else None
