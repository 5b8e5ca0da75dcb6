"""Collections out and back in: JSON (everything, re-importable without loss) and BibTeX (for
reference managers)."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from dailypapers.papers import arxiv_id
from dailypapers.papers import selectors as papers
from dailypapers.papers.models import Paper

from . import selectors, services
from .models import Collection

FORMAT = "dailypapers-library"


def to_json(collections: list[Collection]) -> str:
    """The collections with every paper (visible or not: nothing is lost on the way back)."""
    out = []
    for c in collections:
        entries = c.entries.select_related("paper").order_by("added_at", "pk")
        out.append(
            {
                "name": c.name,
                "description": c.description,
                "public": c.public,
                "saved": c.is_saved,
                "papers": [
                    {
                        "id": e.paper.arxiv_id,
                        "title": e.paper.title,
                        "added_at": e.added_at.isoformat(),
                    }
                    for e in entries
                ],
            }
        )
    return json.dumps({"format": FORMAT, "version": 1, "collections": out}, indent=2)


@dataclass
class ImportReport:
    collections: int = 0
    added: int = 0
    not_found: list[str] = field(default_factory=list)


class BadExport(ValueError):
    """The file is not a library export; the message says why."""


def from_json(user: User, text: str) -> ImportReport:
    """Import an export of :func:`to_json`: collections are matched by name ("Saved" to the
    member's own), papers by arXiv id; papers the corpus lacks are listed, not invented."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise BadExport(f"This is not JSON: {exc}.") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BadExport(f'This is not a dailypapers library export ("format": "{FORMAT}").')
    report = ImportReport()
    with transaction.atomic():
        for item in _list(data.get("collections")):
            collection = _target(user, item)
            report.collections += 1
            for entry in _list(item.get("papers")):
                ident = str(entry.get("id", "")) if isinstance(entry, dict) else ""
                paper = _paper(ident)
                if paper is None:
                    report.not_found.append(ident or "(no id)")
                    continue
                added_before = collection.entries.filter(paper=paper).exists()
                services.add(collection, paper)
                report.added += not added_before
    return report


def _list(value: Any) -> list:
    if not isinstance(value, list):
        raise BadExport("Expected a list of collections, each with a list of papers.")
    return value


def _target(user: User, item: Any) -> Collection:
    if not isinstance(item, dict):
        raise BadExport("Each collection is an object with a name and papers.")
    if item.get("saved"):
        return services.saved(user)
    name = " ".join(str(item.get("name", "")).split())
    existing = selectors.of(user).filter(name=name, is_saved=False).first()
    if existing is not None:
        return existing
    return services.create(
        user, name, str(item.get("description", "")), public=bool(item.get("public"))
    )


def _paper(ident: str) -> Paper | None:
    try:
        return papers.paper_by_id(arxiv_id.parse(ident).id)
    except arxiv_id.InvalidArxivId:
        return None


# --- BibTeX -------------------------------------------------------------------------------

_SPECIAL = re.compile(r"(?<!\\)([&%#])")


def to_bibtex(rows: list[Paper]) -> str:
    """One ``@misc`` entry per paper, as arXiv's own export writes them (eprint,
    archivePrefix, primaryClass), with keys unique within the file."""
    keys: set[str] = set()
    entries = []
    for p in rows:
        key = _key(p, keys)
        fields = {
            "title": p.title,
            "author": " and ".join(p.authors),
            "year": str(p.arxiv_date.year) if p.arxiv_date else "",
            "eprint": p.arxiv_id,
            "archivePrefix": "arXiv",
            "primaryClass": p.main_category,
            "doi": p.doi,
            "url": p.abs_url,
        }
        body = ",\n".join(
            f"  {name} = {{{_escape(value)}}}" for name, value in fields.items() if value
        )
        entries.append(f"@misc{{{key},\n{body}\n}}\n")
    return "\n".join(entries)


def _escape(value: str) -> str:
    """BibTeX's special characters, where the text has them bare (TeX is kept)."""
    return _SPECIAL.sub(r"\\\1", value)


def _key(p: Paper, taken: set[str]) -> str:
    surname = p.authors[0].split()[-1] if p.authors and p.authors[0].split() else "anon"
    first_word = next((w for w in re.findall(r"[A-Za-z]+", p.title) if len(w) > 3), "paper")
    year = p.arxiv_date.year if p.arxiv_date else ""
    base = _ascii(f"{surname}{year}{first_word}").lower() or "paper"
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}{chr(ord('a') + n - 2)}" if n <= 27 else f"{base}{n}"
    taken.add(key)
    return key


def _ascii(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", unicodedata.normalize("NFKD", text))
