"""Reading, step 2: text typed with legacy Vietnamese fonts turned into Unicode.

The fonts are TCVN3 (``.VnTime``) and VNI (``VNI-Times``).

Such text is stored as Latin-1/cp1252 characters that only look Vietnamese through the font:
"Ng­êi tèt" is TCVN3 for "Người tốt", "Tænh uûy" is VNI for "Tỉnh ủy". We decode a cell when
its font says so, or when its content carries marker characters and no Unicode Vietnamese
letter, keeping the decoding that yields real Vietnamese syllables. Text that is already
Unicode is never touched.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from pathlib import Path

from aggregator import problems
from aggregator.model import CandidateKind, Sheet
from aggregator.problems import Problem, ProblemCode
from aggregator.reading.legacy_tables import (
    BREVE,
    BREVE_BASES,
    CIRC,
    CIRC_BASES,
    CP1252,
    TCVN3_LETTERS,
    TONE_BASES,
    VNI_LETTERS,
    VNI_MARKS,
)

TCVN3 = "tcvn3"
TCVN3_CAPS = "tcvn3_caps"  # .VnTimeH and friends: capitals-only fonts
VNI = "vni"

_VIET_LATIN1 = set("àáâãèéêìíòóôõùúýÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝ")
# Characters a Unicode Vietnamese text does not use but legacy text is full of.
MARKERS = (set(TCVN3_LETTERS) | set(VNI_MARKS) | set(VNI_LETTERS)) - _VIET_LATIN1
_MARKER = re.compile("[" + re.escape("".join(sorted(MARKERS))) + "]")
_INITIALS = "ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|b|c|d|đ|g|h|k|l|m|n|p|r|s|t|v|x"
# Vowel clusters: "open" ones may take a final consonant; "closed" ones end in a glide, take
# no final and never carry the tone on that glide ("tàu", never "taù").
_OPEN = "a ă â e ê i o ô ơ u ư y iê yê uô ươ oa oă oe uâ uê uy uyê uơ".split()  # noqa: SIM905
_CLOSED = (  # noqa: SIM905
    "ai ao au ay âu ây eo êu iu oi ôi ơi ui ưi ưu ia ưa ua iêu oai oay oeo uây uôi ươi ươu uyu yêu uya"
).split()
_NUCLEI = sorted(_OPEN + _CLOSED, key=len, reverse=True)
_SYLLABLE = re.compile(rf"^(?:{_INITIALS})?(?P<n>{'|'.join(_NUCLEI)})(?P<f>ch|nh|ng|c|m|n|p|t)?$")
_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
_WORD = re.compile(r"[^\W\d_]+")


# A character beyond what a legacy font can store (past Latin-1, not a cp1252 look-alike).
_BEYOND_LEGACY = re.compile("[^\x00-\xff" + re.escape("".join(CP1252)) + "]")


def is_unicode_vietnamese(text: str) -> bool:
    """Any character beyond what a legacy font can store means the text is Unicode already."""
    return _BEYOND_LEGACY.search(text) is not None


def decode_tcvn3(text: str, capitals: bool = False) -> str:
    decoded = "".join(TCVN3_LETTERS.get(ch, ch) for ch in text)
    return decoded.upper() if capitals else decoded


def decode_vni(text: str) -> str:
    out: list[str] = []
    for ch in text:
        if ch in VNI_MARKS and out and _takes(out[-1], VNI_MARKS[ch]):
            out[-1] = unicodedata.normalize("NFC", out[-1] + VNI_MARKS[ch])
        else:
            out.append(VNI_LETTERS.get(ch, ch))
    return "".join(out)


def _takes(base: str, marks: str) -> bool:
    """Whether a VNI mark byte can sit on the letter before it."""
    letter = unicodedata.normalize("NFD", base)[0]
    existing = unicodedata.normalize("NFD", base)[1:]
    if any(m in _TONES for m in existing):
        return False
    if BREVE in marks:
        return letter in BREVE_BASES and not existing
    if CIRC in marks:
        return letter in CIRC_BASES and not existing
    return letter in TONE_BASES or unicodedata.normalize("NFC", base) in "ơƠưƯ"


def syllable_share(text: str) -> float:
    """The share of words with non-ASCII letters that are well-formed Vietnamese syllables."""
    words = [w for w in _WORD.findall(text.lower()) if not w.isascii()]
    if not words:
        return 0.0
    return sum(_is_syllable(w) for w in words) / len(words)


def _is_syllable(word: str) -> bool:
    bare, tone_at = "", None
    for ch in word:
        parts = unicodedata.normalize("NFD", ch)
        tones = [p for p in parts if p in _TONES]
        if tones:
            if tone_at is not None or len(tones) > 1:
                return False
            tone_at = len(bare)
        bare += unicodedata.normalize("NFC", "".join(p for p in parts if p not in _TONES))
    match = _SYLLABLE.match(bare)
    if not match:
        return False
    if match.group("n") in _CLOSED:
        return not match.group("f") and tone_at != match.end("n") - 1
    return True


def decode(text: str, hint: str | None = None) -> tuple[str, str | None]:
    """The Unicode text and the encoding it was read as (None: left as it was)."""
    if not text or is_unicode_vietnamese(text) or text.isascii():
        return text, None
    if hint in (TCVN3, TCVN3_CAPS):
        return decode_tcvn3(text, hint == TCVN3_CAPS), hint
    if hint == VNI:
        return decode_vni(text), VNI
    # Marker characters are never part of Unicode Vietnamese; otherwise the text must fail
    # to read as Vietnamese as it stands ("phaùt") before a decoding is considered.
    before = 0.0 if any(ch in MARKERS for ch in text) else syllable_share(text)
    if before == 1.0:
        return text, None
    return _best(text, before)


def _best(text: str, before: float, threshold: float = 0.75) -> tuple[str, str | None]:
    options = [
        (syllable_share(d), d, enc) for d, enc in ((decode_tcvn3(text), TCVN3), (decode_vni(text), VNI))
    ]
    # On a tie the shorter reading wins: VNI folds mark bytes into letters, TCVN3 cannot.
    share, decoded, encoding = max(
        options, key=lambda o: (o[0], -sum(ch in MARKERS for ch in o[1]), -len(o[1]))
    )
    if share >= threshold and share > before and decoded != text:
        return decoded, encoding
    return text, None


def font_encoding(font_name: str | None) -> str | None:
    """TCVN3 fonts are named ".VnTime", ".VnArial" (capitals: ".VnTimeH"); VNI: "VNI-Times"."""
    if not font_name:
        return None
    name = font_name.strip()
    if name.upper().startswith("VNI"):
        return VNI
    if name.startswith(".Vn"):
        return TCVN3_CAPS if name.endswith("H") else TCVN3
    return None


def file_encoding(found: Counter[str], unicode_cells: int) -> str | None:
    """A whole file typed in one legacy encoding: at least two sure cells, no Unicode ones."""
    if unicode_cells or not found:
        return None
    encoding, count = found.most_common(1)[0]
    return encoding if count >= 2 else None


def repair(sheets: list, fonts: dict[tuple[str, int, int], str]) -> Counter[str]:
    """Decode every legacy-typed string cell of the sheets in place; count cells per encoding.

    ``fonts`` maps (sheet, row, column) to the cell's font name where the format has fonts.
    """
    found: Counter[str] = Counter()
    unicode_cells = 0
    undecided: list[tuple[list, int, str]] = []
    for sheet in sheets:
        for r, row in enumerate(sheet.rows):
            for c, value in enumerate(row):
                if not isinstance(value, str) or value.isascii():
                    continue
                if is_unicode_vietnamese(value):
                    unicode_cells += 1
                    continue
                decoded, encoding = decode(value, font_encoding(fonts.get((sheet.name, r, c))))
                if encoding:
                    row[c] = decoded
                    found[encoding] += 1
                else:
                    undecided.append((row, c, value))
    whole = file_encoding(found, unicode_cells)
    if whole is None:
        return found
    for row, c, value in undecided:
        decoded, _ = decode(value, whole)
        if syllable_share(decoded) >= syllable_share(value) and decoded != value:
            row[c] = decoded
            found[whole] += 1
    return found


def needs_repair(sheets: list) -> bool:
    """Whether any cell carries legacy marker characters and no Unicode Vietnamese."""
    for sheet in sheets:
        texts = [v for row in sheet.rows for v in row if isinstance(v, str)]
        if _MARKER.search("".join(texts)) is None:  # no marker in the sheet: no such cell in it
            continue
        if any(not v.isascii() and not is_unicode_vietnamese(v) and _MARKER.search(v) for v in texts):
            return True
    return False


def repair_sheets(
    sheets: list[Sheet], path: Path, kind: CandidateKind | None, relative: str
) -> list[Problem]:
    """TCVN3/VNI-typed cells turned into Unicode, by font where the format keeps fonts."""
    if not needs_repair(sheets):
        return []
    fonts = _fonts(path, sheets) if kind == CandidateKind.XLSX else {}
    found = repair(sheets, fonts)
    if not found:
        return []
    names = {TCVN3: "TCVN3 (.VnTime)", TCVN3_CAPS: "TCVN3 (.VnTimeH)", VNI: "VNI"}
    return [
        problems.make(
            ProblemCode.LEGACY_FONT,
            file=relative,
            count=sum(found.values()),
            fonts=", ".join(names[e] for e in sorted(found)),
        )
    ]


def _fonts(path: Path, sheets: list[Sheet]) -> dict[tuple[str, int, int], str]:
    """Font names of the text cells of an OOXML workbook (openpyxl, read-only)."""
    import openpyxl  # here: only a workbook with legacy text needs it

    fonts: dict[tuple[str, int, int], str] = {}
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:  # fonts are a hint only: content detection still applies
        return fonts
    try:
        for sheet in book.worksheets:
            read = next((s for s in sheets if s.name == sheet.title), None)
            if read is None or not read.rows:
                continue
            width = max(len(row) for row in read.rows)
            for r, row in enumerate(sheet.iter_rows(max_row=len(read.rows), max_col=width)):
                for cell in row:
                    if (
                        isinstance(getattr(cell, "value", None), str)
                        and cell.font is not None
                        and cell.column
                    ):
                        fonts[(sheet.title, r, cell.column - 1)] = cell.font.name
    finally:
        book.close()
    return fonts
