#!/usr/bin/env python3
"""Tổng hợp báo cáo mô hình, điển hình: `python aggregate.py` (xem `--help`)."""

import sys

from aggregator.cli import main

if __name__ == "__main__":
    sys.exit(main())
