from django.conf import settings
from django.db import models

from dailypapers.papers.models import Paper


class Member(models.Model):
    """What the community knows about an account beyond Django's user: a verified address and
    whether a moderator banned it (a banned member's votes and comments stop counting)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="member"
    )
    email_verified = models.BooleanField(default=False)
    banned = models.BooleanField(default=False)
    banned_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.user.username


class Vote(models.Model):
    """One member's upvote of a paper; the database allows one per member and paper."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="member_upvotes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "paper"], name="one_vote_per_member")
        ]

    def __str__(self) -> str:
        return f"{self.user} ▲ {self.paper.arxiv_id}"


DELETED_MEMBER = "deleted member"


class Comment(models.Model):
    """A comment on a paper, plain text or Markdown (rendered safely); replies go one deep."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="member_comments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        help_text="None once its author deleted their account and kept their comments.",
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    body = models.TextField(max_length=10_000)
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    hidden = models.BooleanField(default=False, help_text="Hidden by a moderator.")

    visible_replies: list["Comment"]  # set by selectors.comments_for

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["paper", "created_at"])]

    def __str__(self) -> str:
        return f"{self.author} on {self.paper.arxiv_id}: {self.body[:60]}"

    @property
    def author(self) -> str:
        return self.user.username if self.user else DELETED_MEMBER


class Submission(models.Model):
    """A member's submission of a paper the corpus lacked, fetched from arXiv by the worker so
    that no web request waits on arXiv. It counts towards the daily quota however it ends."""

    class Status(models.TextChoices):
        FETCHING = "fetching"
        FEATURED = "featured"
        FAILED = "failed"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="submissions"
    )
    arxiv_id = models.CharField(max_length=32)
    day = models.DateField(help_text="The day it is featured on, once fetched.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.FETCHING)
    message = models.TextField(blank=True, help_text="Why it failed.")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "day"])]

    def __str__(self) -> str:
        return f"{self.user} → {self.arxiv_id} ({self.status})"
