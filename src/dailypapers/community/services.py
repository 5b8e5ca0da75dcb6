"""Writes of the community: accounts, submissions, votes, comments, moderation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.crypto import salted_hmac

from dailypapers.feed import selectors as feed
from dailypapers.feed import services as feed_services
from dailypapers.feed.models import Featured
from dailypapers.infra.audit import audit
from dailypapers.infra.mail import send_templated
from dailypapers.ingest import arxiv
from dailypapers.ingest.arxiv_client import ArxivError
from dailypapers.papers import arxiv_id
from dailypapers.papers import selectors as papers
from dailypapers.papers.models import Paper

from . import selectors, signals, tasks
from .models import Comment, Member, Submission, Vote

VERIFY_SALT = "dailypapers.verify-email"
VERIFY_MAX_AGE = 3 * 24 * 3600


class CommunityError(Exception):
    """A request the rules refuse; ``message`` is for the member, ``link`` may point onwards."""

    def __init__(self, message: str, link: str = "") -> None:
        super().__init__(message)
        self.message, self.link = message, link


# --- accounts ---------------------------------------------------------------------------------


def sign_up(email: str, username: str, password: str) -> None:
    """Create an unverified account and mail a verification link.

    If the address already has an account, its owner gets a note instead: the form answers the
    same either way, so nobody learns which addresses have accounts.
    """
    User = get_user_model()
    email = User.objects.normalize_email(email).strip()
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        make_password(password)  # as long as creating the account takes: the time tells nothing
        send_templated(existing.email, "community/mail/account_exists", {"user": existing})
        return
    with transaction.atomic():
        user = User.objects.create_user(username=username, email=email, password=password)
        Member.objects.create(user=user)
    send_verification(user)


def send_verification(user: User, new_email: str | None = None) -> None:
    """Mail a signed link that verifies ``user``'s address (or ``new_email``, to change to)."""
    address = new_email or user.email
    token = signing.dumps(
        {"user": user.pk, "email": address, "state": _account_state(user)}, salt=VERIFY_SALT
    )
    link = f"{settings.DAILYPAPERS_SITE_URL}/accounts/verify/{token}"
    send_templated(
        address,
        "community/mail/verify_email",
        {"user": user, "link": link, "changing": bool(new_email)},
    )


def verify_email(token: str) -> User:
    """Mark the address in the token verified (switching the account to it for an email
    change); CommunityError for a bad, used or expired link or an address taken meanwhile."""
    try:
        data = signing.loads(token, salt=VERIFY_SALT, max_age=VERIFY_MAX_AGE)
    except signing.SignatureExpired:
        raise CommunityError("This link has expired. Log in to get a new one.") from None
    except signing.BadSignature:
        raise CommunityError("This verification link is not valid.") from None
    User = get_user_model()
    user = User.objects.filter(pk=data["user"]).first()
    if user is None:
        raise CommunityError("This verification link is not valid.")
    if data.get("state") != _account_state(user):
        raise CommunityError(
            "This link was already used, or the account changed since it was sent "
            "(its address, password or verification). Log in to get a new one."
        )
    member = ensure_member(user)
    if user.email.lower() != data["email"].lower():
        if User.objects.filter(email__iexact=data["email"]).exclude(pk=user.pk).exists():
            raise CommunityError("That address now belongs to another account.")
        old, user.email = user.email, data["email"]
        user.save(update_fields=["email"])
        signals.email_changed.send(sender=User, user=user, old=old, new=user.email)
        changed = f"Your account's address changed to {user.email}."
    else:
        # Whatever was made before, the address unproven, may be the work of whoever signed
        # up with it.
        changed = "" if member.email_verified else "Your address was verified."
    member.email_verified = True
    member.save(update_fields=["email_verified"])
    if changed:
        signals.credentials_changed.send(sender=User, user=user, reason=changed)
    return user


def _account_state(user: User) -> str:
    """What a verification link is bound to: the address, the password and whether the
    address is verified. Using the link changes one of them, so that it works once, and an
    older link (to switch back to an earlier address, say) no longer works."""
    verified = Member.objects.filter(user=user, email_verified=True).exists()
    value = f"{user.email}|{user.password}|{verified}"
    return salted_hmac(VERIFY_SALT, value, algorithm="sha256").hexdigest()[:32]


def ensure_member(user: User) -> Member:
    """The community's record of an account, created for accounts made outside sign-up."""
    member, _ = Member.objects.get_or_create(user=user)
    return member


def request_email_change(user: User, new_email: str) -> None:
    """Send a verification link to the new address; the account switches when it is opened.
    An address that has an account gets a note instead (the page answers the same)."""
    User = get_user_model()
    new_email = User.objects.normalize_email(new_email).strip()
    owner = User.objects.filter(email__iexact=new_email).first()
    if owner is not None:
        if owner.pk != user.pk:
            send_templated(owner.email, "community/mail/account_exists", {"user": owner})
        return
    send_verification(user, new_email)
    # The old address hears of it: if someone else asked, its owner can still act.
    send_templated(
        user.email, "community/mail/email_change_notice", {"user": user, "new_email": new_email}
    )


# --- submissions ------------------------------------------------------------------------------


def submit_paper(user: User, text: str, today: dt.date | None = None) -> Featured | Submission:
    """Feature the paper named by ``text`` (an arXiv id or URL) today, submitted by ``user``.

    A paper the corpus lacks is queued for the worker to fetch from arXiv (a Submission, which
    :func:`fetch_submission` completes). CommunityError says why a submission is refused:
    malformed id, unknown paper, already featured, too old, daily quota reached.
    """
    today = today or timezone.localdate()
    try:
        ident = arxiv_id.parse(text)
    except arxiv_id.InvalidArxivId as exc:
        raise CommunityError(f"That is not an arXiv id or link: {exc}") from None
    paper = papers.paper_by_id(ident.id)
    if paper is None:
        waiting = Submission.objects.filter(
            user=user, arxiv_id=ident.id, day=today, status=Submission.Status.FETCHING
        ).first()
        if waiting is not None:  # asked twice while it is being fetched
            return waiting
    quota = settings.DAILYPAPERS_SUBMIT_DAILY_QUOTA
    if selectors.submissions_used(user, today) >= quota:
        raise CommunityError(f"You have submitted {quota} papers today, the daily limit.")
    if paper is None:
        with transaction.atomic():
            submission = Submission.objects.create(user=user, arxiv_id=ident.id, day=today)
            transaction.on_commit(lambda: tasks.fetch_submission.enqueue(submission.pk))
        return submission
    return _feature(user, paper, today)


def fetch_submission(pk: int) -> str:
    """Fetch a queued submission's paper from arXiv and feature it, or record why not. Run
    again (a retried task), it changes nothing."""
    submission = (
        Submission.objects.filter(pk=pk, status=Submission.Status.FETCHING)
        .select_related("user")
        .first()
    )
    if submission is None:
        return f"submission {pk}: nothing to do"
    try:
        paper = papers.paper_by_id(submission.arxiv_id) or _fetch(submission.arxiv_id)
        mine = feed.submissions(submission.user, submission.day).filter(paper=paper)
        if not mine.exists():  # else an earlier run featured it, killed before it could say so
            _feature(submission.user, paper, submission.day)
    except CommunityError as exc:
        submission.status, submission.message = Submission.Status.FAILED, exc.message
    else:
        submission.status = Submission.Status.FEATURED
    submission.finished_at = timezone.now()
    submission.save(update_fields=["status", "message", "finished_at"])
    return f"submission {pk} of arXiv:{submission.arxiv_id}: {submission.status}"


def _feature(user: User, paper: Paper, today: dt.date) -> Featured:
    if paper.hidden:
        raise CommunityError(f"arXiv:{paper.arxiv_id} is not available here.")
    earlier = feed.first_featured(paper)
    if earlier is not None:
        raise CommunityError(
            f"arXiv:{paper.arxiv_id} was already featured on {earlier:%-d %B %Y}.",
            link=paper.get_absolute_url(),
        )
    if not selectors.recent_enough(paper, today):
        raise CommunityError(
            f"arXiv:{paper.arxiv_id} appeared on {paper.arxiv_date:%-d %B %Y}: only papers "
            f"from the last {settings.DAILYPAPERS_SUBMIT_MAX_AGE_DAYS} days can be submitted.",
            link=paper.get_absolute_url(),
        )
    try:
        with transaction.atomic():
            return feed_services.feature(paper, today, Featured.Source.MEMBER, submitted_by=user)
    except IntegrityError:
        raise CommunityError(
            f"arXiv:{paper.arxiv_id} was just featured by someone else.",
            link=paper.get_absolute_url(),
        ) from None


def _fetch(ident: str) -> Paper:
    try:
        report = arxiv.fetch_ids([ident])
    except ArxivError:
        raise CommunityError("arXiv could not be reached; please try again later.") from None
    paper = papers.paper_by_id(ident)
    if paper is None:
        reason = report.errors[0][1] if report.errors else "not found"
        raise CommunityError(f"arXiv:{ident}: {reason}.")
    return paper


# --- votes ------------------------------------------------------------------------------------


def set_vote(user: User, paper: Paper, up: bool) -> None:
    """Upvote or withdraw the upvote; safe under concurrent clicks (the database keeps one).
    The paper's tally follows through the signals in ``apps``."""
    if not up:
        Vote.objects.filter(user=user, paper=paper).delete()
        return
    try:
        with transaction.atomic():
            Vote.objects.create(user=user, paper=paper)
    except IntegrityError:
        pass  # voted already (a double click)


def recount_votes(paper_ids: Iterable[int]) -> None:
    """Bring the feed's tallies of these papers in line with their votes."""
    ids = list(paper_ids)
    for start in range(0, len(ids), 500):  # IN lists stay far below SQLite's 32,766 variables
        feed_services.recount_member_votes(ids[start : start + 500], selectors.vote_counts)


# --- comments ---------------------------------------------------------------------------------


def add_comment(user: User, paper: Paper, body: str, parent: Comment | None = None) -> Comment:
    body = body.strip()
    if not body:
        raise CommunityError("A comment cannot be empty.")
    if parent is not None:
        if parent.paper_id != paper.pk:
            raise CommunityError("That comment belongs to another paper.")
        parent = parent.parent or parent  # replies are one level deep
    return Comment.objects.create(user=user, paper=paper, body=body, parent=parent)


def edit_comment(user: User, comment: Comment, body: str) -> Comment:
    if comment.user_id != user.pk:
        raise PermissionDenied("You can only edit your own comments.")
    if not body.strip():
        raise CommunityError("A comment cannot be empty.")
    comment.body, comment.edited_at = body.strip(), timezone.now()
    comment.save(update_fields=["body", "edited_at"])
    return comment


REMOVED_BODY = "(removed by its author)"


def delete_comment(user: User, comment: Comment) -> None:
    """Delete the author's own comment; one that others replied to stays, emptied, so that
    the replies keep their place. A hidden one stays as it is: it is a moderator's evidence."""
    if comment.user_id != user.pk:
        raise PermissionDenied("You can only delete your own comments.")
    if comment.hidden:
        raise PermissionDenied("A moderator hid this comment: it stays as it was.")
    _remove_comments(Comment.objects.filter(pk=comment.pk), user)


def _remove_comments(comments: QuerySet[Comment], author: User, **emptied: Any) -> None:
    """Delete ``author``'s ``comments``, except those others replied to: they stay, emptied
    (and set to ``emptied``), so that the replies keep their place."""
    others = Comment.objects.filter(parent__in=comments).exclude(user=author)
    answered = comments.filter(pk__in=others.values("parent_id"))
    answered.update(body=REMOVED_BODY, edited_at=timezone.now(), **emptied)
    comments.exclude(pk__in=answered.values("pk")).delete()


# --- leaving -----------------------------------------------------------------------------------


def delete_account(user: User, keep_comments: bool) -> None:
    """Delete the account and what hangs on it (votes, which stop counting; collections,
    tokens, digest subscription). Comments stay under "deleted member" when ``keep_comments``;
    otherwise they go, except that one with others' replies keeps its place, emptied."""
    with transaction.atomic():
        voted = list(Vote.objects.filter(user=user).values_list("paper_id", flat=True))
        Vote.objects.filter(user=user).delete()
        recount_votes(voted)
        mine = Comment.objects.filter(user=user)
        if keep_comments:
            mine.update(user=None)
        else:
            _remove_comments(mine, user, user=None)
        user.delete()


# --- moderation -------------------------------------------------------------------------------


def ban(member: Member, moderator: User) -> None:
    """Ban a member: their votes and comments stop counting and showing, and they cannot log in."""
    _set_banned(member, True)
    audit(moderator, member, "banned member")


def unban(member: Member, moderator: User) -> None:
    """Lift a ban: the member can log in again and their votes and comments count again."""
    _set_banned(member, False)
    audit(moderator, member, "unbanned member")


def _set_banned(member: Member, banned: bool) -> None:
    with transaction.atomic():
        member.banned, member.banned_at = banned, timezone.now() if banned else None
        member.save(update_fields=["banned", "banned_at"])
        member.user.is_active = not banned
        member.user.save(update_fields=["is_active"])
        recount_votes(Vote.objects.filter(user=member.user).values_list("paper_id", flat=True))


def set_hidden(comment: Comment, hidden: bool, moderator: User) -> None:
    """Hide (or show again) a comment from its page."""
    comment.hidden = hidden
    comment.save(update_fields=["hidden"])
    audit(moderator, comment, "hid" if hidden else "unhid")
