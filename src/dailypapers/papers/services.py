"""Writes of papers that other apps ask for: moderation and arXiv's deletions."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from .models import Paper
from .signals import papers_changed


def set_hidden(paper: Paper, hidden: bool) -> None:
    """Hide a paper from feeds and search (or show it again). Saved through the ORM, so the
    apps that follow papers hear of it from post_save."""
    paper.hidden = hidden
    paper.save(update_fields=["hidden"])


def hide_deleted(arxiv_ids: Iterable[str]) -> int:
    """Hide the papers arXiv reports deleted (OAI-PMH), keeping their rows, votes and comments;
    returns how many were newly hidden."""
    ids = list(arxiv_ids)
    count = Paper.objects.filter(arxiv_id__in=ids, deleted_at__isnull=True).update(
        hidden=True, deleted_at=timezone.now()
    )
    if count:  # an update() sends no post_save
        transaction.on_commit(lambda: papers_changed.send(sender=Paper))
    return count
