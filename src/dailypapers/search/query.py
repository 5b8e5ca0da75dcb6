"""The search query language, parsed by us so that user input never reaches a search engine
as syntax (FTS5 raises on a stray ``-``, ``:`` or quote; tsquery is no kinder).

    graph neural networks             words: every one must match (else any, ranked)
    "attention is all you need"       a phrase
    -survey  -"large language"        exclude a word or a phrase
    author:hinton  author:"le cun"    an author (all the words, in the author list)
    cat:cs.CL  cat:cs                 a category, or every category of an archive
    after:2025-01-01  before:2025-06  published on or after / before a day (or a month's or
                                      year's first day)

Anything that does not parse as an operator is searched as plain text, so a query can never
fail: ``after:yesterday`` is the words "after" and "yesterday", with a warning.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

from django.core.exceptions import BadRequest

from dailypapers.papers import categories
from dailypapers.papers.arxiv_id import InvalidArxivId, parse

# The longest query searched, in characters. Far above what people type or paste (the longest
# SciFact claim has 249, the benchmarks' half-remembered descriptions 40 words), and a bound
# on the work one query costs: a 140 KB one took 26 s.
MAX_QUERY = 500


class QueryTooLong(BadRequest):
    """A query over ``MAX_QUERY`` characters. A ``BadRequest``: a page that searches answers
    it with a 400 that says so (``handler400``), and the API and MCP with their own errors."""

    def __init__(self, length: int) -> None:
        super().__init__(f"A search takes at most {MAX_QUERY} characters; this one has {length}.")


# A token: optional "-", optional "name:", then a "quoted phrase" (closing quote optional) or
# a run of non-space characters.
_TOKEN = re.compile(r'(-?)(?:([A-Za-z]+):)?(?:"([^"]*)"?|(\S+))')
_WORD = re.compile(r"\w+")
_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
OPERATORS = ("author", "cat", "after", "before")
# Snowball's English stop words (what PostgreSQL's 'english' configuration drops), left out
# of keyword matching and highlighting: "to" or "the" would match nearly every paper.
STOP_WORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can did do does doing don down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own s same she should so some such t than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with you your yours yourself yourselves""".split()
)


@dataclass
class Query:
    """A parsed query. ``words`` and ``phrases`` are lower-cased word lists."""

    text: str = ""
    words: list[str] = field(default_factory=list)
    phrases: list[list[str]] = field(default_factory=list)
    exclude: list[list[str]] = field(default_factory=list)
    authors: list[list[str]] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    after: dt.date | None = None
    before: dt.date | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def has_text(self) -> bool:
        """Whether there is something to rank by relevance (not only filters)."""
        return bool(self.words or self.phrases)

    @property
    def has_filters(self) -> bool:
        return bool(self.exclude or self.authors or self.categories or self.after or self.before)

    @property
    def semantic_text(self) -> str:
        """What to embed: the words and phrases, without the operators."""
        return " ".join([*self.words, *(" ".join(p) for p in self.phrases)])

    @property
    def arxiv_id(self) -> str | None:
        """The versionless id when the whole query is an arXiv id or link."""
        try:
            return parse(self.text.strip()).id
        except InvalidArxivId:
            return None

    def highlights(self) -> list[str]:
        """The words to mark in results: every positive word but stop words."""
        found = [*self.words, *(w for p in self.phrases for w in p)]
        return [w for w in found if w not in STOP_WORDS] or found


def words(text: str) -> list[str]:
    """The lower-cased, accent-folded words of ``text`` (what the indexes tokenise too)."""
    folded = unicodedata.normalize("NFKD", text.lower())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return _WORD.findall(folded.replace("_", " "))


def parse_query(text: str) -> Query:
    """Parse ``text``; never raises. Unusable operators become plain words plus a warning."""
    q = Query(text=text.replace("\x00", " ").strip())  # no text in the corpus has NUL
    if q.arxiv_id:
        return q
    for m in _TOKEN.finditer(q.text):
        minus, op, quoted, bare = m.groups()
        value = quoted if quoted is not None else bare
        op_name = op.lower() if op else None
        if op_name in OPERATORS and not minus and value:
            if _apply_operator(q, op_name, value):
                continue
            q.warnings.append(f"Searched {op}:{value} as words: {_HELP[op_name]}.")
        if op:
            value = f"{op}:{value}"  # "re:invent", or an operator that did not parse: text
        toks = words(value)
        if not toks:
            continue
        if minus and m.group(0) != "-":
            q.exclude.append(toks)
        elif quoted is not None and len(toks) > 1:
            q.phrases.append(toks)
        else:
            q.words.extend(toks)
    return q


_HELP = {
    "author": "give a name, e.g. author:hinton",
    "cat": "give an arXiv category, e.g. cat:cs.CL",
    "after": "give a date as YYYY, YYYY-MM or YYYY-MM-DD",
    "before": "give a date as YYYY, YYYY-MM or YYYY-MM-DD",
}


def _apply_operator(q: Query, op: str, value: str) -> bool:
    if op == "author":
        toks = words(value)
        if toks:
            q.authors.append(toks)
        return bool(toks)
    if op == "cat":
        if not categories.is_code(value):
            return False
        q.categories.append(categories.canonical(value))
        return True
    date = _parse_date(value)
    if date is None:
        return False
    if op == "after":
        q.after = date
    else:
        q.before = date
    return True


def _parse_date(value: str) -> dt.date | None:
    """``YYYY-MM-DD``, or the first day of ``YYYY-MM`` / ``YYYY``."""
    m = _DATE.match(value)
    if not m:
        return None
    try:
        return dt.date(int(m[1]), int(m[2] or 1), int(m[3] or 1))
    except ValueError:
        return None
