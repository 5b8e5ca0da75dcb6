"""How papers are ranked: the one place the formulas live (the /about/ranking page shows them).

Votes are the member's upvotes here plus the upvotes imported from Hugging Face (shown apart
on the page, counted together for ranking).
"""

from __future__ import annotations

import datetime as dt

GRAVITY = 1.5
TRENDING_FORMULA = "score = (votes + 1) / (hours since featured + 2) ^ 1.5"


def trending_score(votes: int, featured_at: dt.datetime, now: dt.datetime) -> float:
    """Time-decayed votes: a new paper with a few votes outranks an old one with many."""
    hours = max(0.0, (now - featured_at).total_seconds() / 3600)
    return (votes + 1) / (hours + 2) ** GRAVITY
