from django.conf import settings
from django.db import models

from dailypapers.papers.models import Paper


class Featured(models.Model):
    """A paper featured on a day: by a member, an importer (Hugging Face) or an operator rule.

    The featured day is independent of the paper's arXiv dates. Counts that came with an
    import (e.g. Hugging Face upvotes) are kept here, apart from our own members' votes.
    """

    class Source(models.TextChoices):
        MEMBER = "member", "submitted by a member"
        HUGGINGFACE = "hf", "imported from Hugging Face"
        RULE = "rule", "operator rule"

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="featured")
    day = models.DateField(db_index=True)
    source = models.CharField(max_length=16, choices=Source.choices)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    featured_at = models.DateTimeField(help_text="When it was featured (for trending decay).")
    imported_upvotes = models.PositiveIntegerField(default=0)
    imported_comments = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["paper", "day"], name="featured_once_per_day")
        ]
        indexes = [models.Index(fields=["day", "-imported_upvotes"])]
        verbose_name_plural = "featured"

    def __str__(self) -> str:
        return f"{self.paper.arxiv_id} on {self.day}"


class FeatureRule(models.Model):
    """Operator rule: feature every paper newly announced in one of ``categories`` on its
    announcement day."""

    name = models.CharField(max_length=100)
    categories = models.JSONField(default=list, help_text='e.g. ["cs.CL", "cs.LG"]')
    include_cross_lists = models.BooleanField(
        default=True, help_text="Also papers cross-listed into these categories."
    )
    enabled = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.name} ({', '.join(self.categories)})"

    def matches(self, categories: list[str], announce_type: str) -> bool:
        wanted = {"new", "cross"} if self.include_cross_lists else {"new"}
        return (
            self.enabled
            and announce_type in wanted
            and bool(set(categories) & set(self.categories))
        )


class VoteTally(models.Model):
    """How many members upvote a paper, kept by the community app (which owns the votes) so
    that listings rank and page in SQL without reading another app's table."""

    paper = models.OneToOneField(
        Paper, on_delete=models.CASCADE, primary_key=True, related_name="vote_tally"
    )
    members = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.paper_id}: {self.members}"
