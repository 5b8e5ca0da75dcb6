"""The moderation audit trail: every action in the admin's log (who, when, what)."""

from __future__ import annotations

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import User
from django.db.models import Model


def audit(moderator: User, obj: Model, action: str) -> None:
    """Record ``action`` (e.g. "hid") by ``moderator`` on ``obj`` in the admin's log."""
    LogEntry.objects.log_actions(
        user_id=moderator.pk,
        queryset=[obj],
        action_flag=CHANGE,
        change_message=action,
        single_object=True,
    )
