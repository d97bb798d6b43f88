"""Aggregate the units' workbooks of models and exemplars into the Board's report (Plan 235-KH/TU).

The stage packages, in the order data flows (each imports only those before it):
``intake`` (files, saved emails, zips, the mailbox) → ``reading`` (load, legacy text, locate)
→ ``checking`` (values, validate, identify) → ``merging`` (merge, register, continuity,
summarise) → ``rendering`` (report, charts, workbooks, feedback, drafts, standard workbook)
→ ``outbox`` (write, swap, verify). ``pipeline`` calls them in order (``pipeline.run`` is the
whole job); ``commands`` and ``cli`` are the command line. Beneath them all: ``model`` (the data
passed between stages), ``problems`` (the problem record and its one catalogue), ``config``
(the schema files), ``labels``, ``text``, ``hashing``, ``clock``, ``background``.
"""

__version__ = "0.1.0"
