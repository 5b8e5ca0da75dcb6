"""Small builders for rows the tests need."""

import datetime as dt

from dailypapers.feed.models import Featured
from dailypapers.papers.models import Paper

_counter = iter(range(1, 10**6))


def paper(arxiv_id: str | None = None, **fields) -> Paper:
    n = next(_counter)
    defaults = {
        "title": f"Paper number {n}",
        "abstract": f"Abstract of paper {n}.",
        "authors": ["Ada Lovelace", "Alan Turing"],
        "categories": ["cs.CL", "cs.LG"],
        "primary_category": "cs.CL",
        "published": dt.datetime(2025, 9, 1, tzinfo=dt.UTC),
    }
    return Paper.objects.create(arxiv_id=arxiv_id or f"2509.{n:05d}", **{**defaults, **fields})


def feature(p: Paper, day: dt.date, upvotes: int = 0, comments: int = 0, hour: int = 8):
    return Featured.objects.create(
        paper=p,
        day=day,
        source=Featured.Source.UPSTREAM,
        featured_at=dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC),
        imported_upvotes=upvotes,
        imported_comments=comments,
    )


PASSWORD = "a-long-enough passphrase 42"


def member(username: str = "ada", verified: bool = True, **fields):
    """A member account (verified unless told otherwise)."""
    from django.contrib.auth import get_user_model

    from dailypapers.community.models import Member

    user = get_user_model().objects.create_user(
        username=username, email=fields.pop("email", f"{username}@example.org"), password=PASSWORD
    )
    Member.objects.create(user=user, email_verified=verified, **fields)
    return user


def upstream_feature(
    p: Paper,
    day: dt.date,
    upvotes: int = 0,
    comments: int = 0,
    url: str = "https://huggingface.co",
    submitted_by: str = "",
    counted_upvotes: int | None = None,
    hour: int = 8,
):
    """An upstream (Hugging Face by default) features ``p`` on ``day`` with its counts, as a
    sync records it (the day's featuring is created or recounted)."""
    from dailypapers.feed import services
    from dailypapers.feed.models import UpstreamFeature

    upstream = services.upstream(url)
    seen = services.UpstreamCount(
        paper_id=p.pk,
        day=day,
        featured_at=dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC),
        upvotes=upvotes,
        comments=comments,
        counted_upvotes=counted_upvotes,
        submitted_by=submitted_by,
    )
    services.record_upstream(upstream, [seen], keep_higher=False)
    return UpstreamFeature.objects.get(upstream=upstream, paper=p, day=day)
