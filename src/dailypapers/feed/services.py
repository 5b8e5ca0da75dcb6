"""Writes for the daily feed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from dailypapers.papers.models import Paper

from .models import Featured, VoteTally


def feature(
    paper: Paper,
    day: dt.date,
    source: str,
    submitted_by: User | None = None,
) -> Featured:
    """Feature ``paper`` on ``day``; IntegrityError if it already is featured that day."""
    return Featured.objects.create(
        paper=paper,
        day=day,
        source=source,
        submitted_by=submitted_by,
        featured_at=timezone.now(),
    )


@dataclass(slots=True)
class ImportedFeature:
    """A paper featured on a day by an importer or a rule, with the counts that came with it."""

    paper_id: int
    day: dt.date
    featured_at: dt.datetime
    source: str
    upvotes: int = 0
    comments: int = 0


def import_features(features: Iterable[ImportedFeature]) -> int:
    """Feature papers on their days; returns how many rows were new or changed.

    Imported counts only ever grow: an older capture of the same day never lowers them.
    """
    wanted: dict[tuple[int, dt.date], ImportedFeature] = {}
    for f in features:  # captures of one day in one batch too: the highest counts
        seen = wanted.get((f.paper_id, f.day))
        if seen is not None:
            upvotes, comments = max(seen.upvotes, f.upvotes), max(seen.comments, f.comments)
            f = replace(seen, upvotes=upvotes, comments=comments)
        wanted[f.paper_id, f.day] = f
    if not wanted:
        return 0
    existing = {
        (row.paper_id, row.day): row
        for row in Featured.objects.filter(
            paper_id__in={p for p, _ in wanted}, day__in={d for _, d in wanted}
        )
    }
    to_create, to_update = [], []
    for key, f in wanted.items():
        row = existing.get(key)
        if row is None:
            to_create.append(
                Featured(
                    paper_id=f.paper_id,
                    day=f.day,
                    source=f.source,
                    featured_at=f.featured_at,
                    imported_upvotes=f.upvotes,
                    imported_comments=f.comments,
                )
            )
        elif f.upvotes > row.imported_upvotes or f.comments > row.imported_comments:
            row.imported_upvotes = max(row.imported_upvotes, f.upvotes)
            row.imported_comments = max(row.imported_comments, f.comments)
            to_update.append(row)
    with transaction.atomic():
        Featured.objects.bulk_create(to_create, batch_size=500)
        Featured.objects.bulk_update(to_update, ["imported_upvotes", "imported_comments"])
    return len(to_create) + len(to_update)


def recount_member_votes(
    paper_ids: Iterable[int], count: Callable[[list[int]], dict[int, int]]
) -> None:
    """Store members' upvotes per paper, as ``count(ids)`` (the community's rule) gives them.

    The tally rows are locked before ``count`` runs, so two votes on one paper cast at once
    are counted one after the other and neither is lost.
    """
    ids = sorted(set(paper_ids))  # one lock order everywhere: no deadlocks
    if not ids:
        return
    with transaction.atomic():
        VoteTally.objects.bulk_create([VoteTally(paper_id=pk) for pk in ids], ignore_conflicts=True)
        tallies = list(VoteTally.objects.select_for_update().filter(paper_id__in=ids))
        counts = count(ids)
        for tally in tallies:
            tally.members = counts.get(tally.paper_id, 0)
        VoteTally.objects.bulk_update(tallies, ["members"])
