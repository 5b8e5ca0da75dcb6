from django.conf import settings
from django.db import models

from dailypapers.papers.models import Paper


class SubscriberQuerySet(models.QuerySet):
    def active(self) -> "SubscriberQuerySet":
        """Subscribers who get digests: see ``Subscriber.active``."""
        return self.filter(
            confirmed_at__isnull=False, unsubscribed_at__isnull=True, disabled_reason=""
        )


class Subscriber(models.Model):
    """Someone who gets digests: an address (double opt-in), or a member's own address."""

    class Frequency(models.TextChoices):
        DAILY = "daily"
        WEEKLY = "weekly"

    email = models.EmailField(unique=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE
    )
    frequency = models.CharField(max_length=8, choices=Frequency.choices, default="daily")
    wants_trending = models.BooleanField(default=True)
    categories = models.JSONField(
        default=list, blank=True, help_text="New papers of these categories, e.g. cs.CL"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveIntegerField(default=0, help_text="Permanent delivery failures.")
    disabled_reason = models.CharField(max_length=200, blank=True)

    objects = SubscriberQuerySet.as_manager()

    def __str__(self) -> str:
        return self.email

    @property
    def active(self) -> bool:
        """Confirmed, not unsubscribed, and not disabled by bounces (the same rule as
        ``Subscriber.objects.active()``)."""
        return bool(self.confirmed_at and not self.unsubscribed_at and not self.disabled_reason)


class Delivery(models.Model):
    """The send ledger: one row per subscriber and period, claimed before the mail goes out.

    The unique pair is what keeps a rerun, or a second run in parallel, from sending a period's
    digest twice; a row left "sending" by a crashed run is retried with the same Message-ID.
    """

    class Status(models.TextChoices):
        SENDING = "sending"
        SENT = "sent"
        EMPTY = "empty"  # nothing to send this period
        FAILED = "failed"

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="deliveries")
    period = models.CharField(max_length=20, help_text="daily:YYYY-MM-DD or weekly:YYYY-Www")
    status = models.CharField(max_length=8, choices=Status.choices)
    message_id = models.CharField(max_length=200)
    attempts = models.PositiveIntegerField(default=0)
    claimed_at = models.DateTimeField()
    claimed_by = models.CharField(max_length=100, blank=True, help_text="host:pid of the run")
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscriber", "period"], name="one_digest_per_period")
        ]
        indexes = [models.Index(fields=["period", "status"])]
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"{self.period} to {self.subscriber} ({self.status})"


class SentPaper(models.Model):
    """A paper that went to a subscriber: no paper is sent to the same person twice."""

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE)
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscriber", "paper"], name="paper_once_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.paper.arxiv_id} to {self.subscriber}"
