from django.conf import settings
from django.db import models

from dailypapers.papers.models import Paper


class Featured(models.Model):
    """A paper featured on a day: by a member, an upstream (Hugging Face, another dailypapers
    site) or an operator rule.

    The featured day is independent of the paper's arXiv dates. ``imported_upvotes`` and
    ``imported_comments`` are the upstreams' counts for this featuring, summed over the
    upstreams that featured it (:class:`UpstreamFeature`, which holds each one's), apart from
    our own members' votes.
    """

    class Source(models.TextChoices):
        MEMBER = "member", "submitted by a member"
        UPSTREAM = "upstream", "featured upstream"
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


class Upstream(models.Model):
    """A site whose daily list this one follows (``DAILYPAPERS_UPSTREAMS``): huggingface.co or
    another dailypapers site, both serving Hugging Face's ``/api/daily_papers``. The row stays
    when the operator stops following it, and so does what it brought."""

    url = models.CharField(max_length=300, unique=True, help_text="Base address, no final /")
    name = models.CharField(max_length=100, help_text="As cards say it: on Hugging Face")
    backfilled_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_counts = models.JSONField(default=dict, blank=True, help_text="Of the last sync.")
    etags = models.JSONField(default=dict, blank=True, help_text="ETag of each page read.")

    def __str__(self) -> str:
        return self.name


class UpstreamFeature(models.Model):
    """An upstream featured a paper on a day, with its counts as last read.

    ``upvotes`` and ``comments`` are what the upstream shows; ``counted_upvotes`` and
    ``counted_comments`` are the part this site counts (all of it for Hugging Face, the
    upstream's own members' part for a dailypapers site). A moderator hides one upstream's
    featuring here; a later sync keeps it hidden.
    """

    upstream = models.ForeignKey(Upstream, on_delete=models.CASCADE, related_name="features")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="upstream_features")
    day = models.DateField()
    featured_at = models.DateTimeField()
    upvotes = models.PositiveIntegerField(default=0)
    comments = models.PositiveIntegerField(default=0)
    counted_upvotes = models.PositiveIntegerField(default=0)
    counted_comments = models.PositiveIntegerField(default=0)
    submitted_by = models.CharField(max_length=150, blank=True, help_text="The upstream's member")
    submitted_by_fullname = models.CharField(max_length=255, blank=True)
    hidden = models.BooleanField(default=False, help_text="Hidden by a moderator")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["upstream", "paper", "day"], name="upstream_features_once_per_day"
            )
        ]
        indexes = [models.Index(fields=["paper", "day"]), models.Index(fields=["upstream", "day"])]

    def __str__(self) -> str:
        return f"{self.paper_id} on {self.day} by {self.upstream_id}"
