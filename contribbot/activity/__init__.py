"""What counts as a contribution: the rules (`rules`), shared by `activity` and the report."""

from __future__ import annotations

from contribbot.activity.rules import (
    KINDS,
    TOTAL_KEYS,
    TOTAL_OF_KIND,
    Contribution,
    account_ids,
    contributions,
    counts_by_period,
)

__all__ = [
    "KINDS",
    "TOTAL_KEYS",
    "TOTAL_OF_KIND",
    "Contribution",
    "account_ids",
    "contributions",
    "counts_by_period",
]
