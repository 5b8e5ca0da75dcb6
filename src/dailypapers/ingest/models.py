from django.db import models


class IngestRun(models.Model):
    """One run of an importer or harvester, with its counts: the ingest log in the admin."""

    class Status(models.TextChoices):
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    kind = models.CharField(max_length=32, help_text="e.g. oai, api, rss, import arxiv")
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    requests = models.PositiveIntegerField(default=0)
    read = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    featured = models.PositiveIntegerField(default=0)
    deleted = models.PositiveIntegerField(default=0, help_text="Hidden: arXiv deleted them.")
    message = models.TextField(blank=True)
    holder = models.CharField(
        max_length=100, blank=True, help_text="host:pid:nonce of the process running it"
    )

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.started_at:%Y-%m-%d %H:%M} ({self.status})"


class IngestError(models.Model):
    """A record a run rejected, with where it was and why."""

    run = models.ForeignKey(IngestRun, on_delete=models.CASCADE, related_name="errors")
    location = models.CharField(max_length=500)
    reason = models.TextField()

    def __str__(self) -> str:
        return f"{self.location}: {self.reason}"


class HarvestState(models.Model):
    """Checkpoint of an OAI-PMH harvest, saved in the same transaction as each page's papers,
    so that a crashed harvest resumes at the next page without gaps or duplicates."""

    key = models.CharField(max_length=100, unique=True, help_text="oai:<set>:<metadataPrefix>")
    resumption_token = models.CharField(max_length=500, blank=True)
    started_from = models.DateField(
        null=True, blank=True, help_text="The 'from' date of the harvest in progress."
    )
    last_datestamp = models.DateField(
        null=True, blank=True, help_text="Latest record datestamp seen in the harvest in progress."
    )
    harvested_until = models.DateField(
        null=True, blank=True, help_text="Last complete harvest reached this datestamp."
    )
    pages = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.key


class RateLock(models.Model):
    """arXiv's rate limit for the whole installation: one request at a time (``holder``) and
    the earliest time the next may start. A row lock, so every process obeys it."""

    name = models.CharField(max_length=50, unique=True)
    holder = models.CharField(max_length=100, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    next_allowed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name
