"""Intake's words for what it found: names fit to show and write anywhere, file times, sizes.

A leaf: imports nothing of the package but the Board's clock. Every output shows an inbox
name as ``shown`` made it, once, here.
"""

from __future__ import annotations

import datetime as dt
import re

from aggregator.clock import zone

# What a name may not carry raw into any output: bytes that are not UTF-8 (surrogates here),
# control characters, bidirectional and invisible format marks (a right-to-left override makes
# "xslx.exe" read as "exe.xlsx"), and "›", which separates a container from what it holds.
_MARKS = "\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb\ud800-\udfff"
# in a name, as the file system or a sender gave it: a backslash too (a Windows separator, and
# the escapes' own mark: "\\x41" typed in a name stays itself)
_UNSAFE = re.compile(f"[{_MARKS}\u203a\\\\]")
_UNSAFE_COMPOSED = re.compile(f"[{_MARKS}]")  # in a path we made of names already shown


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # a byte that is not UTF-8, as the file system gave it
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x80 else f"\\u{code:04x}"


def shown(relative: str, composed: bool = False) -> str:
    """A name fit to show and to write anywhere (JSON, workbooks, reports, emails): bytes that
    are not UTF-8 as \\xNN, control characters, invisible or bidirectional marks and "›" as
    \\xNN or \\uNNNN, never raw (a backslash as \\x5c). Reversible: ``verify`` finds the file
    again by its bytes.

    ``composed``: a path made of names already shown ("thu.eml › a.xlsx"), its "›" ours."""
    return (_UNSAFE_COMPOSED if composed else _UNSAFE).sub(_escape, relative)


def file_time(timestamp: float, board: dt.tzinfo | None = None) -> dt.datetime:
    """A file's time on the Board's clock (the configured time zone), never the machine's."""
    return dt.datetime.fromtimestamp(timestamp, board or zone()).replace(tzinfo=None, microsecond=0)


def megabytes(size: int) -> str:
    """A size as staff read it: "1,5 MB"."""
    return f"{size / 1_048_576:.1f} MB".replace(".", ",")
