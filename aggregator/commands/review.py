"""The review command: the report of several years and the book of models, from the register."""

from __future__ import annotations

import datetime as dt

from aggregator import config as config_module
from aggregator.commands.common import busy
from aggregator.commands.run import signed_by
from aggregator.commands.typed import ReviewOptions
from aggregator.outbox import swap as outbox
from aggregator.pipeline import review as reviewing


def review(given: ReviewOptions) -> int:
    """The review of ``--from`` to ``--to`` (``pipeline.review.command``)."""
    config = signed_by(config_module.load(given.schemas), given.document_number, given.signer)
    options = reviewing.Options(
        given.outbox,
        given.year_from,
        given.year_to,
        given.period,
        given.templates,
        given.report_date or dt.date.today(),
    )
    try:
        return reviewing.command(config, options)
    except outbox.OutboxBusy:
        return busy(given.outbox)
