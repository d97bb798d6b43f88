"""Memory the run has freed given back to the system, where the C library can (``release``).

Python returns a large block it frees to the C library, which keeps it for later use: after a
stage that made and let go of a lot (merging the records builds them column by column), the
run would hold those pages, and so would the process forked beside it to write, until each
reused them. glibc gives free pages back on request (``malloc_trim``); elsewhere (Windows,
macOS, other C libraries) there is no such call and ``release`` does nothing.
"""

from __future__ import annotations

import ctypes
import functools
import sys
from collections.abc import Callable


def release() -> bool:
    """The C library's free pages given back to the system; whether it could be asked."""
    trim = _trim()
    if trim is None:
        return False
    trim(0)  # (0: keep no free space at the heap's top beyond what it must)
    return True


@functools.cache
def _trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the process's C library has none."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        trim = ctypes.CDLL(None).malloc_trim  # the process's own C library (musl has none)
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim
