"""Turns raw dump lines into records, chunk by chunk. Free of Django so that worker processes
can run it without setting Django up."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from . import arxiv_jsonl, hf_daily
from .records import FeatureRecord, PaperRecord, RecordError

Item = tuple[PaperRecord, FeatureRecord | None]
Error = tuple[str, str]  # (location, reason)


class Parsed:
    """What a chunk of input gave: records to write, errors, and how many records were read."""

    __slots__ = ("errors", "items", "read")

    def __init__(self) -> None:
        self.items: list[Item] = []
        self.errors: list[Error] = []
        self.read = 0


def _arxiv(location: str, obj: Any, out: Parsed) -> None:
    out.read += 1
    try:
        out.items.append((arxiv_jsonl.parse_record(obj), None))
    except RecordError as exc:
        out.errors.append((location, str(exc)))


def _hf_daily(location: str, obj: Any, out: Parsed) -> None:
    """An archive line (one day, many items) or one bare API item."""
    if isinstance(obj, dict) and "papers" in obj:
        try:
            day, items = hf_daily.archive_day(obj)
        except RecordError as exc:
            out.read += 1
            out.errors.append((location, str(exc)))
            return
        located = [(f"{location} item {i}", item) for i, item in enumerate(items)]
    else:
        day, located = None, [(location, obj)]
    for item_location, item in located:
        out.read += 1
        try:
            out.items.append(hf_daily.parse_item(item, day))
        except RecordError as exc:
            out.errors.append((item_location, str(exc)))


FORMATS: dict[str, Callable[[str, Any, Parsed], None]] = {"arxiv": _arxiv, "hf-daily": _hf_daily}


def parse_chunk(fmt: str, chunk: list[tuple[str, Any]]) -> Parsed:
    """Parse ``(location, raw JSON line or decoded value)`` pairs with the format ``fmt``."""
    handle = FORMATS[fmt]
    out = Parsed()
    for location, raw in chunk:
        if isinstance(raw, RecordError):  # the reader could not decode this input
            out.read += 1
            out.errors.append((location, str(raw)))
            continue
        if isinstance(raw, bytes):
            try:
                raw = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                out.read += 1
                out.errors.append((location, f"invalid JSON: {exc}"))
                continue
        handle(location, raw, out)
    return out
