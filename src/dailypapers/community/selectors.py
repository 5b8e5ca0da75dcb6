"""Reads of votes, comments and members, for pages and other apps."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count

from dailypapers.feed.models import Featured
from dailypapers.papers.models import Paper

from .models import Comment, Member, Vote


def vote_counts(paper_ids: Iterable[int]) -> dict[int, int]:
    """Members' upvotes per paper; banned members' votes do not count."""
    rows = (
        Vote.objects.filter(paper_id__in=list(paper_ids))
        .exclude(user__member__banned=True)
        .values("paper_id")
        .annotate(n=Count("id"))
    )
    return {row["paper_id"]: row["n"] for row in rows}


def voted_by(user: AbstractBaseUser | AnonymousUser, paper_ids: Iterable[int]) -> set[int]:
    """Which of the papers ``user`` has upvoted."""
    if not user.is_authenticated:
        return set()
    return set(
        Vote.objects.filter(user=user, paper_id__in=list(paper_ids)).values_list(
            "paper_id", flat=True
        )
    )


def can_participate(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Signed in, with a verified address, and not banned."""
    if not user.is_authenticated:
        return False
    member = member_of(user)
    # Operators' accounts come from `createsuperuser`, which sends no verification mail.
    return (member.email_verified or user.is_staff) and not member.banned


def member_of(user: AbstractBaseUser) -> Member:
    member, _ = Member.objects.get_or_create(user=user)
    return member


def comments_for(paper: Paper) -> list[Comment]:
    """Visible top-level comments, oldest first, each with ``visible_replies``."""
    visible = (
        Comment.objects.filter(paper=paper, hidden=False)
        .exclude(user__member__banned=True)
        .select_related("user")
        .order_by("created_at")
    )
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


def profile(username: str):
    """A member's public page data, or None: the user, submissions and upvoted papers."""
    user = get_user_model().objects.filter(username=username).exclude(member__banned=True).first()
    if user is None:
        return None
    submissions = (
        Featured.objects.filter(submitted_by=user, paper__hidden=False)
        .select_related("paper")
        .order_by("-day")[:100]
    )
    upvoted = Paper.objects.filter(member_upvotes__user=user, hidden=False).order_by(
        "-member_upvotes__created_at"
    )[:100]
    return {"member": user, "submissions": submissions, "upvoted": upvoted}
