"""The engines search runs on, chosen once per process from the site's database:

* SQLite, the embedded default: files beside the database, derived from it: a tantivy index
  for keywords (``tantivy_search``, over ``tantivy_index``) and memory-mapped vector files
  (``vector_files``);
* PostgreSQL: everything inside the database, so that every web process sees one index: BM25
  tables for keywords (``postgres_text``) and pgvector's HNSW index (``pgvector``).

This is the one place in search that asks which database it runs on (migrations aside). An
engine is imported only where it is chosen: a PostgreSQL site never loads tantivy or usearch.
"""

from __future__ import annotations

import functools
from typing import Any

from django.db import connection

from .interfaces import KeywordEngine, VectorEngine


def postgres(conn: Any = connection) -> bool:
    """Whether ``conn`` (by default the site's database) is PostgreSQL. Besides the choice
    below, only the vector column asks, for the connection Django hands it."""
    return conn.vendor == "postgresql"


@functools.cache
def keyword() -> KeywordEngine:
    """The keyword engine of the site's database."""
    if postgres():
        from .postgres_text import PostgresText

        return PostgresText()
    from .tantivy_search import TantivySearch

    return TantivySearch()


@functools.cache
def vectors() -> VectorEngine:
    """The vector engine of the site's database."""
    if postgres():
        from .pgvector import PgVector

        return PgVector()
    from .vector_files import VectorFiles

    return VectorFiles()
