from __future__ import annotations

from typing import Any

import numpy as np
from django.db import connection, models

from dailypapers.papers.models import Paper

from .engines import postgres

DIM = 384  # all-MiniLM-L6-v2


class VectorField(models.Field):
    """A float32 vector: pgvector's ``vector(n)`` on PostgreSQL (so HNSW can index it), the
    raw bytes in a BLOB elsewhere. Python side: a NumPy array."""

    def __init__(self, *args: Any, dimensions: int = DIM, **kwargs: Any) -> None:
        self.dimensions = dimensions
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[Any, ...]:
        name, path, args, kwargs = super().deconstruct()
        kwargs["dimensions"] = self.dimensions
        return name, path, args, kwargs

    def db_type(self, connection: Any) -> str:
        return f"vector({self.dimensions})" if postgres(connection) else "blob"

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if value is None:
            return None
        return to_db(np.asarray(value, dtype=np.float32), connection)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> np.ndarray | None:
        if value is None:
            return None
        if isinstance(value, str):  # pgvector's text form: "[0.1,0.2,...]"
            return np.array(value.strip("[]").split(","), dtype=np.float32)
        return np.frombuffer(value, dtype=np.float32)


def to_db(vector: np.ndarray, conn: Any = connection) -> str | bytes:
    """A vector as the database (``conn``, by default the site's) takes it."""
    if postgres(conn):
        return "[" + ",".join(f"{x:.7g}" for x in vector.tolist()) + "]"
    return vector.astype(np.float32).tobytes()


class Embedding(models.Model):
    """A paper's title + abstract embedding; ``model`` names what made it, so that a new
    model re-embeds everything instead of mixing incomparable vectors. A paper changed after
    ``embedded_at`` is embedded again."""

    paper = models.OneToOneField(Paper, on_delete=models.CASCADE, primary_key=True)
    model = models.CharField(max_length=100)
    vector = VectorField()
    embedded_at = models.DateTimeField(help_text="When the vector was computed.")

    def __str__(self) -> str:
        return f"{self.model} embedding of paper {self.paper_id}"


class IndexChange(models.Model):
    """A paper inserted, changed or deleted since the keyword index last caught up: written by
    triggers on the paper table (migrations ``search.0003`` and ``0004``), read and deleted by
    ``keyword_index.sync``. Not a foreign key: a deleted paper's row must stay, so that the
    index drops it too."""

    paper_id = models.BigIntegerField()

    def __str__(self) -> str:
        return f"paper {self.paper_id} changed"
