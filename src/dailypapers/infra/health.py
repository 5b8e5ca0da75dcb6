"""``/healthz``, for a load balancer and for monitoring.

200 while this web process reaches its database, else 503: a load balancer takes the process
out. The body also says how fresh the rest of the site is (the newest worker heartbeat, the
last successful ingest, search's backlog), each part "ok" or "stale" with its age in seconds;
any stale part makes the status "degraded". A web process serves pages with the worker down,
so that stays a 200, unless ``?strict=1`` (for monitoring) asks for a 503 then too.

Each followed upstream is listed with how its syncs went (``upstreams``). One that fails is a
``warnings`` entry, never a degraded status: the site serves what it has and the next hourly
sync tries again. An upstream's error is its sync's own words, addresses stripped of any
``user:password@``; the database's error is never shown.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from dailypapers.infra import processes
from dailypapers.ingest import selectors as ingest
from dailypapers.ingest import upstream_status
from dailypapers.search import selectors as search

# How old each part may be before it counts as stale, in seconds (a worker's heartbeat: as
# long as DAILYPAPERS_WORKER_TIMEOUT, after which its tasks are run again elsewhere).
INGEST_STALE = 4 * 24 * 3600  # arXiv announces five days a week, holidays aside
SEARCH_STALE = 30 * 60  # the worker indexes and embeds new papers within minutes
LAG_EVERY = 15  # seconds a process reuses what it read of them
_read: tuple[dt.datetime, dict[str, dict[str, Any]]] | None = None
log = logging.getLogger("dailypapers.health")  # named as before infra/, for log filters


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        # Its text names hosts, ports and users: the log gets it, anonymous callers do not.
        log.error("/healthz: the database is unavailable: %s", exc)
        down = {"status": "down", "database": {"ok": False, "error": "unavailable"}}
        return JsonResponse(down, status=503)
    parts = _freshness()
    degraded = any(part["state"] != "ok" for part in parts.values())
    upstreams, warnings = _upstreams()
    body = {
        "status": "degraded" if degraded else "ok",
        "database": {"ok": True},
        **parts,
        "upstreams": upstreams,
        "warnings": warnings,
    }
    strict = request.GET.get("strict") in {"1", "true"}
    return JsonResponse(body, status=503 if degraded and strict else 200)


def _freshness() -> dict[str, dict[str, Any]]:
    """The worker's, the ingest's and search's state, read at most every LAG_EVERY seconds in
    a process: search's backlog takes an anti-join over the papers (~0.2 s at 240,000),
    too much for a probe every few seconds."""
    global _read
    now = timezone.now()
    if _read is not None and (now - _read[0]).total_seconds() < LAG_EVERY:
        return _read[1]
    lag = search.index_backlog()
    oldest = min((t for t in (lag.keyword_since, lag.semantic_since) if t), default=None)
    parts = {
        "worker": _part(processes.newest_heartbeat(), settings.DAILYPAPERS_WORKER_TIMEOUT, now),
        "ingest": _part(ingest.last_success_at(), INGEST_STALE, now),
        "search": {
            **_part(oldest or now, SEARCH_STALE, now),
            "keyword_backlog": lag.keyword,
            "semantic_backlog": lag.semantic,
        },
    }
    _read = (now, parts)
    return parts


def _part(when: dt.datetime | None, stale_after: int, now: dt.datetime) -> dict[str, Any]:
    """A part's state from when it last showed life: ok, stale, or missing (no record)."""
    if when is None:
        return {"state": "missing", "age_s": None}
    age = max(0.0, (now - when).total_seconds())
    return {"state": "ok" if age <= stale_after else "stale", "age_s": round(age)}


# user:password@ in an address, with its scheme or without (a host as a service name).
_USERINFO = re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://)?[^\s/@:()'\"]+:[^\s/@()'\"]*@")
ERROR_CHARS = 300  # of an upstream's last error


def _public(text: str, url: str) -> str:
    """A text fit for anyone who probes: no ``user:password@`` left in it, nor the user part
    or password of the upstream's address ``url``."""
    text = _USERINFO.sub(lambda m: m.group(1) or "", text)
    parts = urlsplit(url)
    if "@" in parts.netloc:
        text = text.replace(parts.netloc.rpartition("@")[0] + "@", "")
    if parts.password:
        text = text.replace(parts.password, "…")
    return text


def _upstreams() -> tuple[list[dict[str, Any]], list[str]]:
    """Each followed upstream's last sync, and a warning for each failing or never synced."""
    now = timezone.now()
    shown, warnings = [], []
    for s in upstream_status.statuses():
        success, error = s["last_success_at"], s["last_error_at"]
        url = _public(s["url"], s["url"])
        shown.append(
            {
                "url": url,
                "name": s["name"],
                "state": s["state"],
                "last_success_at": success.isoformat() if success else None,
                "age_s": round(max(0.0, (now - success).total_seconds())) if success else None,
                "last_error_at": error.isoformat() if error else None,
                "last_error": _public(s["last_error"], s["url"])[:ERROR_CHARS] if error else None,
                "last_counts": s["last_counts"],
            }
        )
        if s["state"] == "failing":
            warnings.append(f"upstream {url}: its last sync failed; it is tried again hourly")
        elif s["state"] == "partly failed":
            warnings.append(f"upstream {url}: its last sync could not read some days")
        elif s["state"] == "never synced":
            warnings.append(f"upstream {url}: not synced yet")
    return shown, warnings
