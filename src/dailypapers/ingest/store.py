"""Writes normalised records to the database, in batches, idempotently.

Rules: one row per versionless id; a record that is *newer* than the row
(higher version, else later ``updated``) overwrites the fields it has; any other record only
fills fields the row lacks; ``announced`` keeps the earliest date. Hugging Face's fields
(``UPSTREAM_FIELDS``) are not versioned with the paper: a record that carries one replaces it
whatever its version, and one that lacks it (arXiv's) leaves it. Re-importing the same
data therefore changes nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import orjson
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from dailypapers.feed import services as feed
from dailypapers.feed.models import Upstream
from dailypapers.papers.models import Paper

from .records import FeatureRecord, PaperRecord

FIELDS = [f.name for f in dataclasses.fields(PaperRecord) if f.name != "arxiv_id"]
# What Hugging Face says of a paper today (stars grow, summaries are rewritten), not of a version.
UPSTREAM_FIELDS = {
    "code_url",
    "project_url",
    "ai_summary",
    "ai_keywords",
    "github_stars",
    "organization",
    "organization_fullname",
}
Row = dict[str, Any]  # a paper's FIELDS values, as read from the table or from a record
# Rows per INSERT statement, within SQLite's limit of 32,766 parameters per statement.
ROWS_PER_INSERT = 30_000 // (len(FIELDS) + 4)


@dataclass
class WriteCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def upsert_papers(
    records: Iterable[PaperRecord], want_ids: bool = True
) -> tuple[WriteCounts, dict[str, int]]:
    """Create or merge a batch of records; returns counts and ``{arxiv_id: paper pk}``
    (only for papers that existed before unless ``want_ids``).

    Runs in one transaction; if a concurrent writer created some of the same ids first,
    the batch is retried once, merging into their rows.
    """
    batch = _dedupe(records)
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                return _write(batch, want_ids)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _dedupe(records: Iterable[PaperRecord]) -> dict[str, PaperRecord]:
    """One record per id: later records in the batch merge into earlier ones."""
    batch: dict[str, PaperRecord] = {}
    for rec in records:
        first = batch.get(rec.arxiv_id)
        if first is None:
            batch[rec.arxiv_id] = rec
        else:
            merged = merge(_values(first), rec)
            batch[rec.arxiv_id] = PaperRecord(arxiv_id=rec.arxiv_id, **merged)
    return batch


def _write(batch: dict[str, PaperRecord], want_ids: bool) -> tuple[WriteCounts, dict[str, int]]:
    counts = WriteCounts()
    known = _known_ids(list(batch))
    existing = {
        row.pop("arxiv_id"): row
        for row in Paper.objects.filter(arxiv_id__in=known).values("pk", "arxiv_id", *FIELDS)
    }
    to_create: list[tuple[str, Row]] = []
    to_update: list[tuple[int, Row]] = []
    for ident, rec in batch.items():
        row = existing.get(ident)
        if row is None:
            to_create.append((ident, _values(rec)))
            continue
        merged = merge(row, rec)
        if merged != row:
            to_update.append((row["pk"], merged))
        else:
            counts.unchanged += 1
    table = connection.ops.quote_name(Paper._meta.db_table)
    column_of = {f.name: f.column for f in Paper._meta.concrete_fields if f.column}
    columns = [connection.ops.quote_name(column_of[f]) for f in FIELDS]
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    adapt = _adapter()
    # Plain executemany: the ORM's bulk_create/bulk_update spend most of an import preparing
    # values field by field (bulk_update even builds a CASE per field and row).
    with connection.cursor() as cursor:
        # Many rows per INSERT: one statement to prepare and send per chunk, not per row.
        row = f"({', '.join(['%s'] * (len(columns) + 4))})"
        for start in range(0, len(to_create), ROWS_PER_INSERT):
            chunk = to_create[start : start + ROWS_PER_INSERT]
            cursor.execute(
                f"INSERT INTO {table} (arxiv_id, {', '.join(columns)}, hidden, created_at, "
                f"modified_at) VALUES {', '.join([row] * len(chunk))}",
                [p for ident, values in chunk for p in (ident, *adapt(values), False, now, now)],
            )
        if to_update:
            cursor.executemany(
                f"UPDATE {table} SET {', '.join(f'{c} = %s' for c in columns)}, "
                "modified_at = %s WHERE id = %s",
                [[*adapt(values), now, pk] for pk, values in to_update],
            )
    counts.created, counts.updated = len(to_create), len(to_update)
    ids = {ident: row["pk"] for ident, row in existing.items()}
    if to_create and want_ids:
        ids.update(paper_ids(i for i, _ in to_create))
    return counts, ids


def _known_ids(ids: list[str]) -> list[str]:
    """Which of ``ids`` are in the table: one plain query, since on a fresh import most are not
    and the ORM's per-value preparation of a 2000-id IN list costs more than the insert."""
    if not ids:
        return []  # "IN ()" is an error on PostgreSQL
    table = connection.ops.quote_name(Paper._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT arxiv_id FROM {table} WHERE arxiv_id IN ({', '.join(['%s'] * len(ids))})", ids
        )
        return [row[0] for row in cursor.fetchall()]


def _adapter() -> Callable[[Row], list[Any]]:
    """A function from field values to database parameters in FIELDS order, with each
    column's conversion looked up once instead of per value."""
    ops = connection.ops
    converters: list[Callable[[Any], Any] | None] = []
    for name in FIELDS:
        kind = Paper._meta.get_field(name).get_internal_type()
        if kind == "JSONField" and connection.vendor == "sqlite":
            converters.append(_json_text)  # SQLite stores JSON as text; orjson is ~10x faster
        elif kind == "JSONField":
            converters.append(lambda v: ops.adapt_json_value(v, None))
        elif kind == "DateTimeField":
            converters.append(ops.adapt_datetimefield_value)
        elif kind == "DateField":
            converters.append(ops.adapt_datefield_value)
        else:
            converters.append(None)
    pairs = list(zip(FIELDS, converters, strict=True))

    def adapt(values: Row) -> list[Any]:
        return [
            conv(values[name]) if conv is not None and values[name] is not None else values[name]
            for name, conv in pairs
        ]

    return adapt


def _values(rec: PaperRecord) -> Row:
    return {f: getattr(rec, f) for f in FIELDS}


def is_newer(rec: PaperRecord, row: Row) -> bool:
    """Whether ``rec`` describes a later state of the paper than ``row`` does."""
    if rec.version is not None and row["version"] is not None and rec.version != row["version"]:
        return rec.version > row["version"]
    if rec.updated and row["updated"] and rec.updated != row["updated"]:
        return rec.updated > row["updated"]
    return rec.version is not None and row["version"] is None


def merge(row: Row, rec: PaperRecord) -> Row:
    """The row's field values after taking in ``rec`` (see the module docstring)."""
    newer = is_newer(rec, row)
    out = dict(row)
    for f in FIELDS:
        value = getattr(rec, f)
        if value in (None, "", []):
            continue
        if newer or f in UPSTREAM_FIELDS or out[f] in (None, "", []):
            out[f] = value
    if rec.announced and row["announced"]:
        out["announced"] = min(rec.announced, row["announced"])
    return out


def paper_ids(ids: Iterable[str]) -> dict[str, int]:
    """``{arxiv_id: primary key}`` for the given ids that are in the corpus."""
    return dict(Paper.objects.filter(arxiv_id__in=list(ids)).values_list("arxiv_id", "pk"))


def feature_papers(
    features: Iterable[FeatureRecord],
    paper_ids: dict[str, int],
    upstream: Upstream,
    keep_higher: bool = False,
) -> int:
    """Feature the papers among ``paper_ids`` on their days as ``upstream`` did (see
    ``feed.services.record_upstream``); returns how many featurings were new or changed."""
    return feed.record_upstream(
        upstream,
        (
            feed.UpstreamCount(
                paper_id=paper_ids[f.arxiv_id],
                day=f.day,
                featured_at=f.featured_at,
                upvotes=f.upvotes,
                comments=f.comments,
                counted_upvotes=f.member_upvotes,
                counted_comments=f.member_comments,
                submitted_by=f.submitted_by,
                submitted_by_fullname=f.submitted_by_fullname,
            )
            for f in features
            if f.arxiv_id in paper_ids
        ),
        keep_higher,
    )


def _json_text(value: object) -> str:
    return orjson.dumps(value).decode()
