"""What search asks of its engines, whichever database it runs on (``engines.keyword()`` and
``engines.vectors()`` choose them). Only visible papers are ever found."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

import numpy as np

from ..query import Query


class KeywordEngine(Protocol):
    """Keyword search over the papers' title, abstract and authors, and the upkeep of the index
    it reads, which is derived from the paper table (``keyword_index`` tells it what changed).

    ``words`` are the query's words that must match, as ``lexical`` chose them (stop words
    apart); everything else (phrases, exclusions, authors, categories, dates) comes from
    the parsed ``Query``."""

    def ranked(
        self, q: Query, words: list[str], limit: int, also: Sequence[str] = ()
    ) -> list[tuple[int, float]]:
        """``(paper id, BM25)`` of the ``limit`` best papers with any of ``words`` or q's
        phrases, under q's filters. The words in ``also`` add to a match's score without making
        a paper match; when ``words`` has none, they are the query."""
        ...

    def newest(self, q: Query, words: list[str], limit: int) -> list[int]:
        """Papers with every one of ``words`` and q's phrases, under q's filters, newest first."""
        ...

    def filtered(self, q: Query, limit: int, ordered: bool = True) -> list[int]:
        """Up to ``limit`` papers passing q's filters: newest first, or in whatever order is
        cheapest when not ``ordered``."""
        ...

    def matching(self, q: Query, ids: Sequence[int]) -> set[int]:
        """Which of ``ids`` (at least one) pass q's filters; the text itself need not match."""
        ...

    def title_candidates(self, words: list[str]) -> list[int]:
        """Papers whose title, or its name before the colon, may be exactly ``words`` (at least
        one): a superset that the caller compares with the titles."""
        ...

    def newest_of_any(
        self, authors: list[list[str]], categories: list[str], limit: int
    ) -> list[int]:
        """Papers with any of ``authors`` (a name's words in a row in the author list) or in
        any of ``categories`` (at least one of either), newest first."""
        ...

    def open(self) -> None:
        """Make sure the index exists; a new one queues every paper for the next update."""
        ...

    def update(self, ids: list[int], then: Callable[[], object]) -> bool:
        """Write these papers as the table has them now (the visible ones in, the others out),
        then call ``then`` (which forgets the changes handled), in the same transaction where
        the index lives in the database. False, without waiting or calling ``then``, when
        another process is writing the index."""
        ...

    def rebuild(self) -> int:
        """Index every visible paper from scratch; how many."""
        ...


class VectorEngine(Protocol):
    """Nearest papers by cosine similarity over the stored embeddings (``search_embedding``;
    every vector L2-normalised), and the publishing of what it searches."""

    def nearest(
        self, vector: np.ndarray, limit: int, among: Collection[int] | None
    ) -> list[tuple[int, float]]:
        """``(paper id, cosine similarity)`` of the ``limit`` (> 0) papers closest to
        ``vector``, closest first; only papers in ``among`` (not empty) when it is given."""
        ...

    def vectors_of(self, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(ids, rows)``: the vectors (float32, one row each) of those of the sorted,
        distinct ``wanted`` ids that have one, ids ascending."""
        ...

    def count(self) -> int:
        """How many papers can be found."""
        ...

    def is_empty(self) -> bool:
        """Whether no paper can be found yet (cheaper than ``count``)."""
        ...

    def publish(self, model: str) -> int:
        """Make the ``model`` embeddings in the table searchable; how many there are."""
        ...

    def held(self) -> AbstractContextManager[Path | None]:
        """The folder of files that a backup must copy, unchanged until the block ends; None
        when the vectors live in the database alone."""
        ...

    def restore(self, copy: Path | None) -> str | None:
        """Put a backup's ``copy`` of that folder (None: it had none) in place of this site's;
        the model its vectors are from, when it says."""
        ...
