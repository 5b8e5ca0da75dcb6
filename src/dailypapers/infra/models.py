from django.db import models


class ScheduledRun(models.Model):
    """A scheduled job enqueued for one slot: the unique pair makes sure that each slot runs
    once, however many schedulers are running."""

    job = models.CharField(max_length=100)
    slot = models.DateTimeField()
    enqueued_at = models.DateTimeField(auto_now_add=True)
    task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "slot"], name="one_run_per_slot")]
        ordering = ["-slot"]

    def __str__(self) -> str:
        return f"{self.job} at {self.slot:%Y-%m-%d %H:%M %Z}"


class RateCounter(models.Model):
    """A rate-limit counter (``counters.CounterCache``): one row per key and window, counted
    up in the database in one statement, so that parallel requests lose no count."""

    name = models.CharField(max_length=250, primary_key=True)
    value = models.BigIntegerField()
    expires = models.BigIntegerField(db_index=True, help_text="Unix time.")

    def __str__(self) -> str:
        return f"{self.name} = {self.value}"


class WorkerHeartbeat(models.Model):
    """A worker's "still alive", rewritten every few seconds (``processes.beat``): a worker on
    another machine whose heartbeat stopped is gone, and its running tasks go back to the
    queue."""

    holder = models.CharField(max_length=100, primary_key=True, help_text="host:pid:nonce")
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.holder} at {self.seen_at:%Y-%m-%d %H:%M:%S}"


class ContentStamp(models.Model):
    """One row: a random number that database triggers replace whenever something the cached
    pages show changes (``pagecache``); pages are cached under it."""

    value = models.BigIntegerField()

    def __str__(self) -> str:
        return str(self.value)
