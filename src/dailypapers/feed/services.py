"""Writes for the daily feed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Min, Sum
from django.utils import timezone

from dailypapers.papers.models import Paper

from .models import Featured, Upstream, UpstreamFeature, VoteTally
from .selectors import upstream_name


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
class UpstreamCount:
    """An upstream featured a paper on a day, with its counts (see ``UpstreamFeature``);
    ``counted_*`` default to the whole counts."""

    paper_id: int
    day: dt.date
    featured_at: dt.datetime
    upvotes: int = 0
    comments: int = 0
    counted_upvotes: int | None = None
    counted_comments: int | None = None
    submitted_by: str = ""
    submitted_by_fullname: str = ""

    def __post_init__(self) -> None:
        if self.counted_upvotes is None:
            self.counted_upvotes = self.upvotes
        if self.counted_comments is None:
            self.counted_comments = self.comments


def feature_by_rule(pairs: Iterable[tuple[int, dt.date]]) -> int:
    """Feature papers on their announcement days by an operator's rule, each at the start of
    its day; one already featured that day stays as it is. Returns how many are new."""
    wanted = set(pairs)
    existing = set(
        Featured.objects.filter(
            paper_id__in={p for p, _ in wanted}, day__in={d for _, d in wanted}
        ).values_list("paper_id", "day")
    )
    rows = [
        Featured(
            paper_id=paper,
            day=day,
            source=Featured.Source.RULE,
            featured_at=dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC),
        )
        for paper, day in wanted - existing
    ]
    Featured.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
    return len(rows)


_COUNTS = ["upvotes", "comments", "counted_upvotes", "counted_comments"]


def upstream(url: str) -> Upstream:
    """The upstream at this base address, recorded the first time it is met."""
    url = url.rstrip("/")
    return Upstream.objects.get_or_create(url=url, defaults={"name": upstream_name(url)})[0]


def record_upstream(upstream: Upstream, seen: Iterable[UpstreamCount], keep_higher: bool) -> int:
    """Feature papers on their days as ``upstream`` did, with its counts; returns how many of
    its featurings were new or changed (0 when nothing was written).

    A live sync mirrors the upstream's counts (a vote withdrawn there is withdrawn here); an
    archive (``keep_higher``) only ever raises them, so an older capture lowers nothing.
    """
    wanted: dict[tuple[int, dt.date], UpstreamCount] = {}
    for c in seen:
        before = wanted.get((c.paper_id, c.day))
        if before is not None and keep_higher:
            c = _higher(before, c)
        wanted[c.paper_id, c.day] = c
    for attempt in (1, 2):
        try:
            return _record_counts(upstream, wanted, keep_higher)
        except IntegrityError:  # a sync of the same upstream at once created some first
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _record_counts(
    upstream: Upstream, wanted: dict[tuple[int, dt.date], UpstreamCount], keep_higher: bool
) -> int:
    if not wanted:
        return 0
    existing = {
        (row.paper_id, row.day): row
        for row in UpstreamFeature.objects.filter(
            upstream=upstream,
            paper_id__in={p for p, _ in wanted},
            day__in={d for _, d in wanted},
        )
    }
    to_create, to_update = [], []
    for key, c in wanted.items():
        row = existing.get(key)
        if row is None:
            to_create.append(
                UpstreamFeature(
                    upstream=upstream,
                    paper_id=c.paper_id,
                    day=c.day,
                    featured_at=c.featured_at,
                    submitted_by=c.submitted_by,
                    submitted_by_fullname=c.submitted_by_fullname,
                    **{f: getattr(c, f) for f in _COUNTS},
                )
            )
            continue
        if keep_higher:
            c = _higher(row, c)
        changed = [f for f in _COUNTS if getattr(row, f) != getattr(c, f)]
        who = (c.submitted_by, c.submitted_by_fullname)
        if c.submitted_by and who != (row.submitted_by, row.submitted_by_fullname):
            changed += ["submitted_by", "submitted_by_fullname"]
        if changed:
            for f in changed:
                setattr(row, f, getattr(c, f))
            to_update.append(row)
    with transaction.atomic():
        UpstreamFeature.objects.bulk_create(to_create, batch_size=500)
        UpstreamFeature.objects.bulk_update(
            to_update, [*_COUNTS, "submitted_by", "submitted_by_fullname"], batch_size=500
        )
        refresh_featurings([(r.paper_id, r.day) for r in [*to_create, *to_update]])
    return len(to_create) + len(to_update)


def _higher(a: UpstreamCount | UpstreamFeature, b: UpstreamCount) -> UpstreamCount:
    def most(f: str) -> int:
        return max(getattr(a, f) or 0, getattr(b, f) or 0)

    return replace(
        b,
        upvotes=most("upvotes"),
        comments=most("comments"),
        counted_upvotes=most("counted_upvotes"),
        counted_comments=most("counted_comments"),
        submitted_by=b.submitted_by or a.submitted_by,
        submitted_by_fullname=b.submitted_by_fullname or a.submitted_by_fullname,
    )


def refresh_featurings(keys: Iterable[tuple[int, dt.date]]) -> None:
    """Bring the featurings of these ``(paper, day)`` pairs in line with their upstreams'
    visible featurings: created where one is new, counts summed, and removed where the only
    upstreams that featured it are hidden (a member's or a rule's featuring stays)."""
    keys = set(keys)
    if not keys:
        return
    papers, days = {p for p, _ in keys}, {d for _, d in keys}
    sums = {
        (row["paper_id"], row["day"]): row
        for row in UpstreamFeature.objects.filter(paper_id__in=papers, day__in=days, hidden=False)
        .values("paper_id", "day")
        .annotate(
            upvotes=Sum("counted_upvotes"),
            comments=Sum("counted_comments"),
            first=Min("featured_at"),
        )
        .order_by()
    }
    rows = {
        (f.paper_id, f.day): f for f in Featured.objects.filter(paper_id__in=papers, day__in=days)
    }
    to_create, to_update, to_delete = [], [], []
    for key in keys:
        total, row = sums.get(key), rows.get(key)
        if row is None and total is not None:
            to_create.append(
                Featured(
                    paper_id=key[0],
                    day=key[1],
                    source=Featured.Source.UPSTREAM,
                    featured_at=total["first"],
                    imported_upvotes=total["upvotes"],
                    imported_comments=total["comments"],
                )
            )
        elif row is not None and total is None and row.source == Featured.Source.UPSTREAM:
            to_delete.append(row.pk)
        elif row is not None:
            counts = (total["upvotes"], total["comments"]) if total else (0, 0)
            if counts != (row.imported_upvotes, row.imported_comments):
                row.imported_upvotes, row.imported_comments = counts
                to_update.append(row)
    with transaction.atomic():
        Featured.objects.bulk_create(to_create, batch_size=500)
        Featured.objects.bulk_update(to_update, ["imported_upvotes", "imported_comments"])
        Featured.objects.filter(pk__in=to_delete).delete()


def hide_upstream_features(rows: Iterable[UpstreamFeature], hidden: bool = True) -> int:
    """A moderator hides (or shows again) upstreams' featurings; returns how many changed."""
    changed = [r for r in rows if r.hidden != hidden]
    for r in changed:
        r.hidden = hidden
    with transaction.atomic():
        UpstreamFeature.objects.bulk_update(changed, ["hidden"])
        refresh_featurings((r.paper_id, r.day) for r in changed)
    return len(changed)


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
