"""Reads of votes, comments and members, for pages and other apps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from dailypapers.feed import paging
from dailypapers.feed import selectors as feed
from dailypapers.papers import selectors as papers
from dailypapers.papers.models import Paper

from .models import Comment, Member, Submission, Vote

Viewer = User | AnonymousUser


def vote_counts(paper_ids: Iterable[int]) -> dict[int, int]:
    """Members' upvotes per paper; banned members' votes do not count."""
    rows = (
        Vote.objects.filter(paper_id__in=list(paper_ids))
        .filter(active_through("user"))
        .values("paper_id")
        .annotate(n=Count("id"))
    )
    return {row["paper_id"]: row["n"] for row in rows}


def comment_counts(paper_ids: Iterable[int]) -> dict[int, int]:
    """Comments per paper, replies included, that are not hidden and not by a banned member."""
    rows = (
        _visible_comments()
        .filter(paper_id__in=list(paper_ids))
        .values("paper_id")
        .annotate(n=Count("id"))
    )
    return {row["paper_id"]: row["n"] for row in rows}


def votes_of(user: User) -> list[dict[str, Any]]:
    """The member's upvotes, newest first, for their data export."""
    rows = Vote.objects.filter(user=user).select_related("paper").order_by("-created_at")
    return [{"paper": v.paper.arxiv_id, "at": v.created_at.isoformat()} for v in rows]


def comments_by(user: User) -> list[dict[str, Any]]:
    """The member's comments, oldest first, hidden ones included, for their data export."""
    rows = Comment.objects.filter(user=user).select_related("paper").order_by("created_at")
    return [
        {
            "id": c.pk,
            "paper": c.paper.arxiv_id,
            "body": c.body,
            "parent": c.parent_id,
            "created_at": c.created_at.isoformat(),
            "edited_at": c.edited_at.isoformat() if c.edited_at else None,
            "hidden_by_moderator": c.hidden,
        }
        for c in rows
    ]


def upvoted(user: User) -> set[int]:
    """The ids of the papers the member upvoted (positives for their recommendations)."""
    return set(Vote.objects.filter(user=user).values_list("paper_id", flat=True))


def votes_stamp(user: User) -> tuple[int, int | None]:
    """``(how many, newest id)`` of the member's votes: changes with every vote and unvote,
    so that what is computed from them can be cached until then."""
    row = Vote.objects.filter(user=user).aggregate(n=Count("id"), last=Max("id"))
    return row["n"], row["last"]


def voted_by(user: Viewer, paper_ids: Iterable[int]) -> set[int]:
    """Which of the papers ``user`` has upvoted."""
    if not user.is_authenticated:
        return set()
    return set(
        Vote.objects.filter(user=user, paper_id__in=list(paper_ids)).values_list(
            "paper_id", flat=True
        )
    )


def recent_enough(paper: Paper, today: dt.date | None = None) -> bool:
    """Whether the paper may still be submitted: its arXiv date (if known) is at most
    ``DAILYPAPERS_SUBMIT_MAX_AGE_DAYS`` days before ``today``."""
    today = today or timezone.localdate()
    max_age = dt.timedelta(days=settings.DAILYPAPERS_SUBMIT_MAX_AGE_DAYS)
    return not paper.arxiv_date or paper.arxiv_date >= today - max_age


def submissions_used(user: User, day: dt.date) -> int:
    """How many of the daily quota ``user`` used on ``day``: papers featured, plus fetches
    from arXiv that are under way or failed, so that made-up ids cost as much as real ones."""
    fetched = Submission.objects.filter(user=user, day=day).exclude(
        status=Submission.Status.FEATURED  # those are among the featured already
    )
    return feed.submissions(user, day).count() + fetched.count()


def submission_of(user: User, pk: int) -> Submission | None:
    """One of ``user``'s submissions; None for anyone else's."""
    return Submission.objects.filter(user=user, pk=pk).first()


def active_members() -> QuerySet[User]:
    """Accounts that count: their votes, comments, profile and public collections. Not those a
    moderator banned."""
    return get_user_model().objects.filter(active_through())


def active_through(relation: str = "") -> Q:
    """The condition of :func:`active_members` on the account that rows reach through
    ``relation`` (``"user"``, ``"owner"``): to filter or count them in the same query."""
    return ~Q(**{f"{relation}__member__banned" if relation else "member__banned": True})


def find_member(user: User) -> Member | None:
    """The community's record of an account; None for accounts made outside sign-up."""
    return Member.objects.filter(user=user).first()


def can_participate(user: Viewer) -> bool:
    """Signed in, with a verified address, and not banned."""
    if not user.is_authenticated:
        return False
    member = find_member(user)
    if member is not None and member.banned:
        return False
    # Operators' accounts come from `createsuperuser`, which sends no verification mail.
    return user.is_staff or (member is not None and member.email_verified)


def comments_for(paper: Paper) -> list[Comment]:
    """Visible top-level comments, oldest first, each with ``visible_replies``."""
    visible = _visible_comments().filter(paper=paper).select_related("user").order_by("created_at")
    top: list[Comment] = []
    replies: dict[int, list[Comment]] = {}
    for c in visible:
        if c.parent_id is None:
            top.append(c)
        else:
            replies.setdefault(c.parent_id, []).append(c)
    for c in top:
        c.visible_replies = replies.get(c.pk, [])
    return top


def visible_comment(pk: int) -> Comment | None:
    """The comment with this id, if it is shown."""
    return _visible_comments().filter(pk=pk).first()


def _visible_comments():
    """Comments shown: not hidden by a moderator, not by a banned member."""
    return Comment.objects.filter(hidden=False).filter(active_through("user"))


def profile(username: str) -> dict[str, Any] | None:
    """A member's public page data, or None: the user, submissions and upvoted papers."""
    user = active_members().filter(username=username).first()
    if user is None:
        return None
    submissions = feed.submissions(user).filter(papers.visible_through("paper"))
    upvoted = papers.visible().filter(member_upvotes__user=user)
    return {
        "member": user,
        "submissions": submissions.select_related("paper")[: paging.PROFILE_ITEMS],
        "upvoted": upvoted.order_by("-member_upvotes__created_at")[: paging.PROFILE_ITEMS],
    }
