"""The Board's clock: file and email times are read in its time zone, never the machine's.

It imports nothing of the package, so the settings, the intake and the email drafts all use it.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "Asia/Ho_Chi_Minh"
VIETNAM = dt.timezone(dt.timedelta(hours=7))


def zone(name: str = DEFAULT_ZONE) -> dt.tzinfo:
    """The Board's time zone by its name; Vietnam's fixed offset where the system has no
    time zone database (Windows without tzdata)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return VIETNAM if name == DEFAULT_ZONE else dt.UTC
