"""Collections out and back in: JSON (everything, re-importable without loss) and BibTeX (for
reference managers); and references from elsewhere in: a BibTeX file or a Zotero CSL-JSON
export, whose papers with an arXiv id or a DOI the corpus has go to "Saved"."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import bibtexparser
import orjson
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
    return json.dumps(export(collections), indent=2)


def export(collections: list[Collection]) -> dict[str, Any]:
    """:func:`to_json`'s document, as data."""
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
    return {"format": FORMAT, "version": 1, "collections": out}


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
    data = _json(text)
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


def import_file(user: User, text: str) -> ImportReport:
    """Whatever the member uploaded: a library export (JSON), CSL-JSON (a list of items, as
    Zotero exports) or BibTeX."""
    stripped = text.lstrip()
    if stripped.startswith("{"):
        return from_json(user, text)
    if stripped.startswith("["):
        items = _json(text)
        return _save_references(user, [_csl_reference(i) for i in items if isinstance(i, dict)])
    return from_bibtex(user, text)


def _json(text: str) -> Any:
    """The JSON document ``text``; BadExport for anything else. orjson, unlike the standard
    library, refuses lone surrogates (no database or page can hold them) and bounds nesting
    (``json`` raises RecursionError on 100,000 brackets)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise BadExport(f"This is not JSON: {exc}.") from None


def from_bibtex(user: User, text: str) -> ImportReport:
    library = bibtexparser.parse_string(text)
    if not library.entries:
        raise BadExport("No BibTeX entry found in this file.")
    references = []
    for entry in library.entries:
        fields = {f.key.lower(): str(f.value) for f in entry.fields}
        texts = [fields.get("eprint", ""), fields.get("url", ""), fields.get("arxivid", "")]
        references.append(_Reference(entry.key, texts, fields.get("doi", "")))
    report = _save_references(user, references)
    report.not_found += [
        f"unreadable entry at line {(b.start_line or 0) + 1}" for b in library.failed_blocks
    ]
    return report


@dataclass
class _Reference:
    label: str  # for the not-found list
    texts: list[str]  # where an arXiv id may be
    doi: str


def _csl_reference(item: dict) -> _Reference:
    texts = [str(item.get(k, "")) for k in ("URL", "number", "arxiv", "note")]
    return _Reference(
        str(item.get("title") or item.get("id") or "untitled"), texts, str(item.get("DOI", ""))
    )


# arXiv's own DOIs: 10.48550/arXiv.<id>
_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(.+)$", re.I)


def _find(ref: _Reference) -> Paper | None:
    arxiv_doi = _ARXIV_DOI.match(ref.doi.strip())
    for text in [*ref.texts, arxiv_doi[1] if arxiv_doi else ""]:
        for word in text.replace(",", " ").split():
            try:
                found = papers.paper_by_id(arxiv_id.parse(word.removeprefix("arXiv:")).id)
            except arxiv_id.InvalidArxivId:
                continue
            if found is not None:
                return found
    return papers.paper_by_doi(ref.doi)


def _save_references(user: User, references: list[_Reference]) -> ImportReport:
    report = ImportReport(collections=1)
    target = services.saved(user)
    for ref in references:
        paper = _find(ref)
        if paper is None:
            report.not_found.append(ref.label)
        elif not target.entries.filter(paper=paper).exists():
            services.add(target, paper)
            report.added += 1
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
    """BibTeX's special characters, where the text has them bare (TeX is kept), and braces
    that do not pair up: one of those would end the entry early, or never."""
    value = _SPECIAL.sub(r"\\\1", value)
    unpaired: set[int] = set()
    opened: list[int] = []
    i = 0
    while i < len(value):
        if value[i] == "\\":
            i += 1  # an escaped character, brace or not: \{ is a brace of the text
        elif value[i] == "{":
            opened.append(i)
        elif value[i] == "}" and opened:
            opened.pop()
        elif value[i] == "}":
            unpaired.add(i)
        i += 1
    unpaired.update(opened)
    out = "".join("\\" + c if n in unpaired else c for n, c in enumerate(value))
    return out + " " if out.endswith("\\") else out  # or it would escape the closing brace


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
