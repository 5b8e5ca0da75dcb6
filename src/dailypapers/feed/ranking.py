"""How papers are ranked: the one place the formulas live (the /about/ranking page shows them).

Votes are the members' upvotes here plus the upvotes imported from Hugging Face (shown apart
on the page, counted together for ranking). The formulas are SQL expressions, so that a
listing is ranked, counted and paged by the database.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import FloatField, Func, Value
from django.db.models.expressions import Combinable
from django.db.models.functions import Greatest, Power

GRAVITY = 1.5
TRENDING_FORMULA = "score = (votes + 1) / (hours since featured + 2) ^ 1.5"


def votes(member_votes: Combinable, imported_votes: Combinable) -> Combinable:
    """The count every ranking uses: members' upvotes plus imported ones."""
    return member_votes + imported_votes


def trending(votes: Combinable, featured_at: Combinable, now: dt.datetime) -> Combinable:
    """Time-decayed votes: a new paper with a few votes outranks an old one with many."""
    seconds = Value(now.timestamp(), output_field=FloatField()) - _Epoch(featured_at)
    hours = Greatest(seconds / Value(3600.0), Value(0.0))
    return (votes + Value(1.0)) / Power(hours + Value(2.0), Value(GRAVITY))


class _Epoch(Func):
    """Seconds since 1970 of a datetime (SQLite stores them as UTC text)."""

    output_field = FloatField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "((julianday(%(expressions)s) - 2440587.5) * 86400.0)"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "EXTRACT(EPOCH FROM %(expressions)s)::double precision"
        return self.as_sql(compiler, connection, template=template, **extra)
