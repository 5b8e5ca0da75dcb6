"""Keep the feed's vote tallies in step with the votes, however a vote comes or goes: a
click, a moderator, an account's deletion."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from dailypapers.papers.models import Paper

from . import services
from .models import Vote


@receiver(post_save, sender=Vote)
def _vote_saved(sender: type[Vote], instance: Vote, created: bool, **kwargs: Any) -> None:
    if created:
        services.recount_votes([instance.paper_id])


@receiver(post_delete, sender=Vote)
def _vote_deleted(sender: type[Vote], instance: Vote, origin: Any = None, **kwargs: Any) -> None:
    deleting_paper = isinstance(origin, Paper) or (
        isinstance(origin, QuerySet) and origin.model is Paper
    )
    if not deleting_paper:  # a deleted paper's tally goes with it
        services.recount_votes([instance.paper_id])
