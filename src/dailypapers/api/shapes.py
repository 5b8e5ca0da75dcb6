"""Papers as the API writes them: Hugging Face's shape (camelCase, their field names) for the
drop-in endpoints, and dailypapers' own for ``/api/v1``. Counts are ours: upvotes are members'
plus imported ones (``feed.ranking``), comments are members' plus imported ones. What we
cannot know (Hugging Face discussion ids, thumbnails) is left out, never made up; what Hugging
Face said of a paper (AI summary and keywords, code, stars, organisation) is passed on as kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import Http404

from dailypapers.community import selectors as community
from dailypapers.feed import selectors as feed
from dailypapers.feed.models import Featured, UpstreamFeature
from dailypapers.papers import arxiv_id
from dailypapers.papers import selectors as papers
from dailypapers.papers.models import Paper


@dataclass(frozen=True)
class Item:
    """A paper with what the shapes need from other apps: its featurings, newest first (those
    of the period asked about, when there is one), and its comment count."""

    paper: Paper
    featurings: list[Featured]
    num_comments: int
    member_comments: int
    upstreams: dict[dt.date, list[UpstreamFeature]]  # by day, of the featurings shown

    @property
    def featured(self) -> Featured | None:
        return self.featurings[0] if self.featurings else None


def items(
    rows: Sequence[Paper], start: dt.date | None = None, end: dt.date | None = None
) -> list[Item]:
    """``rows`` (annotated by ``feed.with_votes``) with featurings, the upstreams behind them
    and comment counts, in three queries for the lot; featurings limited to ``[start, end]``
    when given."""
    pks = [p.pk for p in rows]
    featured = feed.featurings(pks)
    upstreams = feed.upstream_featurings(pks)
    members = community.comment_counts(pks)
    found = []
    for p in rows:
        every = featured.get(p.pk, [])
        imported = max((f.imported_comments for f in every), default=0)
        shown = [f for f in every if start is None or end is None or start <= f.day <= end]
        by_day = {f.day: upstreams.get((p.pk, f.day), []) for f in shown}
        mine = members.get(p.pk, 0)
        found.append(Item(p, shown, mine + imported, mine, by_day))
    return found


def hf_time(when: dt.datetime | dt.date | None) -> str | None:
    """The one time format Hugging Face writes and ``huggingface_hub`` parses:
    ``2025-09-08T00:00:00.000Z``."""
    if when is None:
        return None
    if not isinstance(when, dt.datetime):
        when = dt.datetime.combine(when, dt.time(), tzinfo=dt.UTC)
    return (
        when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
    )


def _hf_user(item: Item) -> dict[str, str] | None:
    """Who featured the paper: the member here, else the first upstream's member, if known."""
    f = item.featured
    if f is None:
        return None
    if f.submitted_by is not None:
        name, fullname = f.submitted_by.username, f.submitted_by.get_full_name()
    else:
        upstream = next((u for u in item.upstreams.get(f.day, []) if u.submitted_by), None)
        name = upstream.submitted_by if upstream else ""
        fullname = upstream.submitted_by_fullname if upstream else ""
    if not name:
        return None
    # Hugging Face writes the user name under both keys; huggingface_hub reads "user".
    return {"name": name, "user": name, "fullname": fullname or name, "type": "user"}


def hf_paper(item: Item) -> dict[str, Any]:
    """The ``paper`` object of a Hugging Face daily-papers item, also ``/api/papers/{id}``."""
    p, f = item.paper, item.featured
    return {
        "id": p.arxiv_id,
        "authors": [{"name": name} for name in p.authors],
        "publishedAt": hf_time(p.published or p.announced),
        "submittedOnDailyAt": hf_time(f.featured_at) if f else None,
        "submittedOnDailyBy": _hf_user(item),
        "title": p.title,
        "summary": p.abstract,
        "upvotes": p.votes,  # type: ignore[attr-defined]  # feed.with_votes
        "numComments": item.num_comments,
        "memberUpvotes": p.member_votes,  # type: ignore[attr-defined]
        "memberComments": item.member_comments,
        "githubRepo": p.code_url or None,
        "githubStars": p.github_stars,
        "projectPage": p.project_url or None,
        "ai_summary": p.ai_summary or None,
        "ai_keywords": p.ai_keywords or None,
        "organization": _hf_organization(p),
    }


def _hf_organization(p: Paper) -> dict[str, str] | None:
    if not p.organization:
        return None
    return {"name": p.organization, "fullname": p.organization_fullname or p.organization}


_HF_EXTRAS = ("ai_summary", "ai_keywords", "githubRepo", "githubStars", "projectPage")


def hf_daily(item: Item) -> dict[str, Any]:
    """One item of ``/api/daily_papers`` and ``/api/papers/search``: the paper, and at the top
    level the counts and who featured it. As on Hugging Face, ``publishedAt`` is the arXiv date
    (huggingface_hub reads it as ``submitted_at``); when it was featured is in the paper's
    ``submittedOnDailyAt``."""
    p = item.paper
    paper = hf_paper(item)
    return {
        "paper": paper,
        "publishedAt": hf_time(p.published or p.announced),  # Hugging Face's: arXiv's date
        "title": p.title,
        "summary": p.abstract,
        "numComments": item.num_comments,
        "submittedBy": _hf_user(item),
        "organization": _hf_organization(p),  # Hugging Face writes it here too
        # Hugging Face writes these in "paper" only, where huggingface_hub's list_daily_papers
        # does not read them: here they reach its PaperInfo as well.
        **{k: paper[k] for k in _HF_EXTRAS},
        "isAuthorParticipating": None,  # arXiv does not say whether an author takes part here
    }


def paper(item: Item) -> dict[str, Any]:
    """A paper as ``/api/v1`` writes it."""
    p = item.paper
    site = settings.DAILYPAPERS_SITE_URL
    return {
        "id": p.arxiv_id,
        "version": p.version,
        "title": p.title,
        "abstract": p.abstract,
        "authors": p.authors,
        "categories": p.categories,
        "primary_category": p.main_category,
        "published": p.published,
        "updated": p.updated,
        "announced": p.announced,
        "comments": p.comments,
        "journal_ref": p.journal_ref,
        "doi": p.doi,
        "license": p.license,
        "links": {
            "page": site + p.get_absolute_url(),
            "abs": p.abs_url,
            "pdf": p.pdf_url,
            "code": p.code_url or None,
            "project": p.project_url or None,
        },
        "hugging_face": {
            "ai_summary": p.ai_summary,
            "ai_keywords": p.ai_keywords,
            "github_stars": p.github_stars,
            "organization": _hf_organization(p),
        },
        "votes": {
            "total": p.votes,  # type: ignore[attr-defined]  # feed.with_votes
            "members": p.member_votes,  # type: ignore[attr-defined]
            "imported": p.imported_votes,  # type: ignore[attr-defined]
        },
        "num_comments": item.num_comments,
        "featured": [
            {
                "day": x.day,
                "featured_at": x.featured_at,
                "source": x.source,
                "submitted_by": x.submitted_by.username if x.submitted_by else None,
                "upstreams": [
                    {
                        "name": u.upstream.name,
                        "url": u.upstream.url,
                        "upvotes": u.upvotes,
                        "counted_upvotes": u.counted_upvotes,
                        "comments": u.comments,
                        "submitted_by": u.submitted_by or None,
                    }
                    for u in item.upstreams.get(x.day, [])
                ],
            }
            for x in item.featurings
        ],
    }


def item_for(text: str) -> Item:
    """The visible paper named by an arXiv id or link, with its votes; 404 otherwise."""
    try:
        ident = arxiv_id.parse(text)
    except arxiv_id.InvalidArxivId as exc:
        raise Http404(f"Not an arXiv id: {exc}") from None
    row = feed.with_votes(papers.visible().filter(arxiv_id=ident.id)).first()
    if row is None:
        raise Http404(f"arXiv:{ident.id} is not in this corpus.")
    return items([row])[0]
