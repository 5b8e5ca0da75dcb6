"""Nearest papers on PostgreSQL: pgvector's HNSW index on ``search_embedding.vector``, read by
every web process alike. A filtered query (``among``) scans the index iteratively until
enough rows pass, or reads a small set exactly."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from django.db import connection, transaction

from ..models import DIM, Embedding, to_db
from .interfaces import VectorEngine

TABLE = Embedding._meta.db_table
# Up to this many ``among`` ids are read by primary key and scored exactly (5 ms at 5,000): a
# filtered HNSW scan for so few walks much of the graph (500 of 50k papers: 55 ms, recall@10
# 0.98).
EXACT_AMONG = 5_000
_BATCH = 10_000  # rows fetched at a time


class PgVector(VectorEngine):
    """The vector engine on PostgreSQL: the table is the index."""

    def nearest(
        self, vector: np.ndarray, limit: int, among: Collection[int] | None
    ) -> list[tuple[int, float]]:
        q = to_db(vector)
        with transaction.atomic(), connection.cursor() as cursor:
            if among is None:
                # HNSW returns at most ef_search rows (default 40): widen it to what we ask for.
                cursor.execute(f"SET LOCAL hnsw.ef_search = {max(40, min(int(limit), 1000))}")
                cursor.execute(
                    f"SELECT paper_id, 1 - (vector <=> %s::vector) AS similarity FROM {TABLE} "
                    "ORDER BY vector <=> %s::vector LIMIT %s",
                    [q, q, limit],
                )
                return _pairs(cursor.fetchall())
            ids = [int(pk) for pk in among]
            if len(ids) > EXACT_AMONG:
                # May use the HNSW index: its iterative scan keeps walking the graph until LIMIT
                # rows pass the filter (or hnsw.max_scan_tuples); relaxed order is faster, so
                # re-sort after. The planner may also read the rows by primary key and sort them
                # (at 50k papers it does up to half of them, where that is as fast).
                ef_search = max(100, min(2 * int(limit), 1000))
                cursor.execute(f"SET LOCAL hnsw.ef_search = {ef_search}")
                cursor.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
                cursor.execute(
                    "WITH hits AS MATERIALIZED (SELECT paper_id, vector <=> %s::vector AS "
                    f"distance FROM {TABLE} WHERE paper_id = ANY(%s) ORDER BY distance "
                    "LIMIT %s) SELECT paper_id, 1 - distance FROM hits ORDER BY distance",
                    [q, ids, limit],
                )
                found = _pairs(cursor.fetchall())
                if len(found) == limit:
                    return found
                # The scan gave up (max_scan_tuples) or fewer have vectors: count them exactly.
            # Ordered by similarity, which the HNSW index cannot serve: the planner looks these
            # rows up by primary key and sorts them, an exact answer.
            cursor.execute(
                f"SELECT paper_id, 1 - (vector <=> %s::vector) AS similarity FROM {TABLE} "
                "WHERE paper_id = ANY(%s) ORDER BY similarity DESC LIMIT %s",
                [q, ids, limit],
            )
            return _pairs(cursor.fetchall())

    def vectors_of(self, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ids: list[int] = []
        rows: list[bytes] = []
        with connection.cursor() as cursor:
            for i in range(0, len(wanted), _BATCH):
                # pgvector's binary form (vector_send: dimensions, unused, big-endian
                # float32s), read in a fifth of the time of its text form (7,000 rows: 50-70
                # against 310 ms).
                cursor.execute(
                    f"SELECT paper_id, vector_send(vector) FROM {TABLE} "
                    "WHERE paper_id = ANY(%s) ORDER BY paper_id",
                    [wanted[i : i + _BATCH].tolist()],
                )
                for pk, raw in cursor.fetchall():
                    ids.append(pk)
                    rows.append(bytes(raw)[4:])
        matrix = np.frombuffer(b"".join(rows), dtype=">f4").reshape(-1, DIM).astype(np.float32)
        return np.array(ids, dtype=np.int64), matrix

    def count(self) -> int:
        return Embedding.objects.count()

    def is_empty(self) -> bool:
        return not Embedding.objects.exists()

    def publish(self, model: str) -> int:
        return Embedding.objects.filter(model=model).count()  # the rows are searched as written

    @contextmanager
    def held(self) -> Iterator[Path | None]:
        yield None  # nothing outside the database

    def restore(self, copy: Path | None) -> str | None:
        return None  # the vectors came back with the database


def _pairs(rows: list[tuple[int, float]]) -> list[tuple[int, float]]:
    return [(pk, float(similarity)) for pk, similarity in rows]
