"""Collections out and back in: JSON (everything, re-importable without loss) and BibTeX (for
reference managers); and references from elsewhere in: a BibTeX file or a Zotero CSL-JSON
export, whose papers with an arXiv id or a DOI the corpus has go to "Saved"."""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import bibtexparser
import orjson
from django.contrib.auth.models import User
from django.db import DatabaseError, transaction

from dailypapers.papers import arxiv_id
from dailypapers.papers import selectors as papers
from dailypapers.papers.models import Paper

from . import selectors, services
from .models import Collection

log = logging.getLogger(__name__)
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


MAX_ENTRIES = 5_000  # papers per import: a large personal library; a larger one comes in parts
CHUNK = 500  # entries looked up (one query by arXiv id, one by DOI) and stored per transaction
MAX_IDS = 5  # arXiv ids tried per reference: a real one names its paper once or twice


@dataclass
class ImportReport:
    collections: int = 0
    added: int = 0
    not_found: list[str] = field(default_factory=list)
    entries: int = 0  # in the file
    stored: int = 0  # of them, looked up and stored: all, unless a chunk failed


class BadExport(ValueError):
    """The file is not a library export; the message says why."""


def from_json(user: User, text: str) -> ImportReport:
    """Import an export of :func:`to_json`: collections are matched by name ("Saved" to the
    member's own), papers by arXiv id; papers the corpus lacks are listed, not invented."""
    data = _json(text)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BadExport(f'This is not a dailypapers library export ("format": "{FORMAT}").')
    items = _list(data.get("collections"))
    if len(items) > services.MAX_COLLECTIONS:
        raise BadExport(
            f"This file has {len(items):,} collections; a member has at most "
            f"{services.MAX_COLLECTIONS}."
        )
    wanted: list[tuple[dict, list[_Reference]]] = []
    for item in items:  # the whole file is read before anything is written
        if not isinstance(item, dict):
            raise BadExport("Each collection is an object with a name and papers.")
        wanted.append((item, [_exported(e) for e in _list(item.get("papers"))]))
    _check_size(sum(len(refs) for _, refs in wanted))
    with transaction.atomic():  # the collections: all of them, or none
        targets = [_target(user, item) for item, _ in wanted]
    entries = [(t, r) for t, (_, refs) in zip(targets, wanted, strict=True) for r in refs]
    return _store(entries, collections=len(targets))


def import_file(user: User, text: str) -> ImportReport:
    """Whatever the member uploaded: a library export (JSON), CSL-JSON (a list of items, as
    Zotero exports) or BibTeX."""
    stripped = text.lstrip()
    if stripped.startswith("{"):
        return from_json(user, text)
    if stripped.startswith("["):
        items = [i for i in _json(text) if isinstance(i, dict)]
        _check_size(len(items))
        return _save_references(user, [_csl_reference(i) for i in items])
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
    _check_size(len(library.entries))
    references = []
    for entry in library.entries:
        fields = {f.key.lower(): str(f.value) for f in entry.fields}
        texts = [fields.get("eprint", ""), fields.get("url", ""), fields.get("arxivid", "")]
        references.append(_reference(entry.key, texts, fields.get("doi", "")))
    report = _save_references(user, references)
    report.not_found += [
        f"unreadable entry at line {(b.start_line or 0) + 1}" for b in library.failed_blocks
    ]
    return report


def _check_size(entries: int) -> None:
    if entries > MAX_ENTRIES:
        raise BadExport(
            f"This file has {entries:,} entries; an import takes at most {MAX_ENTRIES:,}. "
            "Split it, or export and import one collection at a time."
        )


@dataclass
class _Reference:
    label: str  # for the not-found list
    ids: list[str]  # the versionless arXiv ids it names, the likeliest first
    doi: str = ""  # lower-cased


def _exported(entry: Any) -> _Reference:
    """A paper of a library export: ``{"id": <arXiv id>}``."""
    ident = str(entry.get("id", "")) if isinstance(entry, dict) else ""
    return _Reference(ident or "(no id)", _ids([ident]))


def _csl_reference(item: dict) -> _Reference:
    texts = [str(item.get(k, "")) for k in ("URL", "number", "arxiv", "note")]
    label = str(item.get("title") or item.get("id") or "untitled")
    return _reference(label, texts, str(item.get("DOI", "")))


# arXiv's own DOIs: 10.48550/arXiv.<id>
_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(.+)$", re.I)


def _reference(label: str, texts: list[str], doi: str) -> _Reference:
    """A reference by the arXiv ids in ``texts`` or in an arXiv DOI, else by its DOI."""
    doi = doi.strip()
    arxiv_doi = _ARXIV_DOI.match(doi)
    return _Reference(label, _ids([*texts, arxiv_doi[1] if arxiv_doi else ""]), doi.lower())


def _ids(texts: list[str]) -> list[str]:
    """The versionless arXiv ids among the words of ``texts`` (1706.03762, arXiv:1706.03762v2,
    an abs or PDF link), in order, at most MAX_IDS."""
    found: dict[str, None] = {}
    for text in texts:
        for word in text.replace(",", " ").split():
            try:
                found[arxiv_id.parse(word.removeprefix("arXiv:")).id] = None
            except arxiv_id.InvalidArxivId:
                continue
            if len(found) == MAX_IDS:
                return list(found)
    return list(found)


def _save_references(user: User, references: list[_Reference]) -> ImportReport:
    target = services.saved_collection(user)
    return _store([(target, r) for r in references], collections=1)


def _store(entries: list[tuple[Collection, _Reference]], collections: int) -> ImportReport:
    """Find the papers and put them in their collections, CHUNK entries at a time, each chunk
    its own short transaction: on SQLite, which has one writer at a time, a log-in or a vote
    meanwhile waits for one chunk at most, not for the whole import. A chunk that fails (the
    database busy past its timeout, say) ends the import: the chunks before it stay, and the
    report says how many entries were stored; importing the file again adds the rest."""
    report = ImportReport(collections=collections, entries=len(entries))
    for start in range(0, len(entries), CHUNK):
        chunk = entries[start : start + CHUNK]
        try:
            added, missing = _store_chunk(chunk)
        except DatabaseError:
            log.exception("library import stopped after %d of %d entries", start, len(entries))
            break
        report.added += added
        report.not_found += missing
        report.stored += len(chunk)
    return report


def _store_chunk(chunk: list[tuple[Collection, _Reference]]) -> tuple[int, list[str]]:
    """Store one chunk: how many papers were new, and the labels of those not found. The
    lookups (a query by arXiv id, and one by DOI for the rest) run outside the transaction."""
    refs = [ref for _, ref in chunk]
    by_id = papers.pks_by_arxiv_id(i for ref in refs for i in ref.ids)
    pks = [next((by_id[i] for i in ref.ids if i in by_id), None) for ref in refs]
    by_doi = papers.pks_by_doi(ref.doi for ref, pk in zip(refs, pks, strict=True) if pk is None)
    found, missing = [], []
    for (target, ref), pk in zip(chunk, pks, strict=True):
        pk = pk or by_doi.get(ref.doi)
        if pk is None:
            missing.append(ref.label)
        else:
            found.append((target.pk, pk))
    return services.add_many(found), missing


def _list(value: Any) -> list:
    if not isinstance(value, list):
        raise BadExport("Expected a list of collections, each with a list of papers.")
    return value


def _target(user: User, item: dict) -> Collection:
    if item.get("saved"):
        return services.saved_collection(user)
    name = " ".join(str(item.get("name", "")).split())
    existing = selectors.collections_of(user).filter(name=name, is_saved=False).first()
    if existing is not None:
        return existing
    return services.create(
        user, name, str(item.get("description", "")), public=bool(item.get("public"))
    )


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
