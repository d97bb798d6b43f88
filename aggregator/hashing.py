"""The SHA-256 of a file: how inputs, outputs, schema files and period files are fingerprinted.

Its own module so that configuration, the register and ``verify`` need nothing of intake.
"""

from __future__ import annotations

import hashlib
from pathlib import Path


def sha256(path: Path) -> str:
    """The SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
