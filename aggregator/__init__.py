"""Aggregate the units' workbooks of models and exemplars into the Board's annual report.

The pipeline, in the order data flows (one module per stage):
discover → read → text (normalise) → validate → identify → merge → summarise → render/write.
"""

__version__ = "0.1.0"
