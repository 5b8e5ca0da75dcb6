"""Reads of papers for pages and other apps."""

from __future__ import annotations

from .models import Paper


def paper_by_id(ident: str) -> Paper | None:
    """The paper with this versionless id, or None."""
    return Paper.objects.filter(arxiv_id=ident).first()
