"""Reads of digest subscriptions, for other apps' pages."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User

from .models import Subscriber


def subscription_of(user: User) -> dict[str, Any] | None:
    """The member's digest subscription as data (for their data export), or None."""
    sub = Subscriber.objects.filter(user=user).first()
    if sub is None:
        return None
    return {
        "email": sub.email,
        "frequency": sub.frequency,
        "trending": sub.wants_trending,
        "categories": sub.categories,
        "active": sub.active,
        "created_at": sub.created_at.isoformat(),
    }
