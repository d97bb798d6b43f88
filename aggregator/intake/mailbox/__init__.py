"""The Board's mailbox over IMAP: units' emails fetched into the inbox, drafts put into Drafts.

This package's API, for the command line: ``connection`` (settings, password, one checked
connection), ``fetch`` (read-only: EXAMINE and ``BODY.PEEK[]``, nothing deleted, moved or
marked read), ``drafts`` (the only write: APPEND of our own drafts, each once), with
``listing`` (messages known by their headers) and ``saved`` (what the inbox already holds)
between them. Nothing here sends mail.
"""

from aggregator.intake.mailbox.connection import (
    SETTINGS_FILE,
    MailboxError,
    Settings,
    close,
    connect,
    decode_folder,
    encode_folder,
    load_settings,
    password,
    session,
    sessions,
)
from aggregator.intake.mailbox.drafts import AppendResult, append_drafts, drafts_in
from aggregator.intake.mailbox.fetch import FetchResult, fetch, incomplete
from aggregator.intake.mailbox.listing import Listed
from aggregator.intake.mailbox.saved import PARTIAL_PREFIX
from aggregator.intake.shown import megabytes

__all__ = [
    "PARTIAL_PREFIX",
    "SETTINGS_FILE",
    "AppendResult",
    "FetchResult",
    "Listed",
    "MailboxError",
    "Settings",
    "append_drafts",
    "close",
    "connect",
    "decode_folder",
    "drafts_in",
    "encode_folder",
    "fetch",
    "incomplete",
    "load_settings",
    "megabytes",
    "password",
    "session",
    "sessions",
]
