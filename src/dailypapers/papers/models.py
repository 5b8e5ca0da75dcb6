from django.db import models
from django.db.models.functions import Lower

from .arxiv_id import ArxivId


class Paper(models.Model):
    """One arXiv paper, keyed by its versionless id; the row holds its latest known version.

    Authors and categories are ordered lists: arXiv has no author identity to normalise on,
    and the order (first author, primary category) is what readers care about.
    """

    arxiv_id = models.CharField(max_length=40, unique=True)
    version = models.PositiveIntegerField(null=True, blank=True, help_text="Latest known version.")
    title = models.TextField()
    abstract = models.TextField(blank=True)
    authors = models.JSONField(default=list, blank=True)
    categories = models.JSONField(default=list, blank=True)
    primary_category = models.CharField(max_length=32, blank=True, db_index=True)
    comments = models.TextField(blank=True)
    journal_ref = models.TextField(blank=True)
    doi = models.CharField(max_length=255, blank=True)
    report_no = models.CharField(max_length=255, blank=True)
    license = models.CharField(max_length=255, blank=True)
    published = models.DateTimeField(null=True, blank=True, help_text="Submission of v1.")
    updated = models.DateTimeField(null=True, blank=True, help_text="Latest version.")
    announced = models.DateField(
        null=True, blank=True, help_text="First seen in an arXiv announcement."
    )
    code_url = models.URLField(max_length=500, blank=True)
    project_url = models.URLField(max_length=500, blank=True)
    # What Hugging Face's daily papers say of the paper (its AI text is theirs, not CC0).
    ai_summary = models.TextField(blank=True, help_text="Hugging Face's one-sentence AI summary.")
    ai_keywords = models.JSONField(
        default=list, blank=True, help_text="Hugging Face's AI keywords."
    )
    github_stars = models.PositiveIntegerField(null=True, blank=True)
    organization = models.CharField(
        max_length=100, blank=True, help_text="Its organisation's Hugging Face name."
    )
    organization_fullname = models.CharField(max_length=255, blank=True)
    hidden = models.BooleanField(
        default=False,
        help_text="Hidden from feeds and search, by a moderator or because arXiv deleted it.",
    )
    deleted_at = models.DateTimeField(
        null=True, blank=True, help_text="When an OAI-PMH harvest reported it deleted on arXiv."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["published"]),
            models.Index(fields=["announced"]),
            # The newest day of papers without a submission date (newest_day) in one lookup:
            # on the date indexes alone it read every such paper (60 ms at 75k, per request).
            models.Index(fields=["published", "announced"], name="paper_undated_newest"),
            # DOIs are case-insensitive: library imports look them up lower-cased, in bulk.
            models.Index(Lower("doi"), name="paper_doi_lower"),
        ]

    def __str__(self) -> str:
        return f"{self.arxiv_id}: {self.title[:80]}"

    def get_absolute_url(self) -> str:
        return f"/papers/{self.arxiv_id}"

    @property
    def ident(self) -> ArxivId:
        return ArxivId(self.arxiv_id, self.version)

    @property
    def abs_url(self) -> str:
        return self.ident.abs_url

    @property
    def pdf_url(self) -> str:
        return self.ident.pdf_url

    @property
    def main_category(self) -> str:
        """The primary category, else the first listed (some sources do not say which)."""
        return self.primary_category or (self.categories[0] if self.categories else "")

    @property
    def arxiv_date(self):
        """The paper's own date: submission of v1, else its first announcement."""
        return self.published.date() if self.published else self.announced
