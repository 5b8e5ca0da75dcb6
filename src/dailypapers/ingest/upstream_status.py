"""How the syncs of the upstreams this site follows went, for ``/healthz`` (which may read
ingest, not feed): one row each, never synced included."""

from __future__ import annotations

from typing import Any

from dailypapers.feed import selectors as feed

from . import upstreams


def statuses() -> list[dict[str, Any]]:
    """Each followed upstream (``DAILYPAPERS_UPSTREAMS``), in order: ``url``, ``name``,
    ``state`` (``ok``, ``partly failed``, ``failing``, ``never synced``), ``last_success_at``,
    ``last_error_at``, ``last_error`` (the sync's own words, as stored) and ``last_counts``."""
    return [
        {
            "url": s.url,
            "name": s.name,
            "state": s.state,
            "last_success_at": s.last_success_at,
            "last_error_at": s.last_error_at,
            "last_error": s.last_error,
            "last_counts": s.last_counts or {},
        }
        for s in feed.upstream_statuses(upstreams.followed())
    ]
