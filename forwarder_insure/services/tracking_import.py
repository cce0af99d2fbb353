"""Importing carrier events from CSV: streamed in batches, each its own transaction.

A million-row file is read a batch at a time (constant memory); each batch is committed on its
own, so an import stopped halfway can simply be run again: events already stored count as
duplicates. Rows are validated exactly as the API validates events, and a row ingestion refuses
(an event dated too far ahead) is reported like an invalid one: the good rows are still taken.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from typing import IO, Any

from forwarder_insure.db.session import Database
from forwarder_insure.domain.clock import Clock
from forwarder_insure.domain.tracking import DEFAULT_MAX_FUTURE
from forwarder_insure.services.tracking import MAX_BATCH, EventBatch, IngestSummary, ingest

#: Validates raw rows as the API validates events: valid events and errors, with their index.
EventReader = Callable[[list[Any]], EventBatch]

COLUMNS = (
    "event_id",
    "carrier",
    "tracking_number",
    "occurred_at",
    "code",
    "description",
    "location",
)
REQUIRED = COLUMNS[:5]


def import_csv(
    database: Database,
    handle: IO[str],
    clock: Clock,
    read_events: EventReader,
    *,
    on_progress: Callable[[int, dict[str, int]], None] = lambda lines, summary: None,
    on_error: Callable[[int, list[dict[str, str]]], None] = lambda line, errors: None,
    batch_size: int = MAX_BATCH,
    max_future: timedelta = DEFAULT_MAX_FUTURE,
) -> dict[str, int]:
    """Import every row; returns ``{"accepted", "duplicates", "unmatched", "rejected"}``."""
    reader = csv.DictReader(handle)
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise ValueError(f"the CSV header lacks column(s): {', '.join(missing)}")
    total = IngestSummary()
    rejected = 0
    lines = 1
    for batch in _batches(reader, batch_size):
        first_line = lines + 1
        lines += len(batch)
        read = read_events([_clean(row) for row in batch])
        for error in read.errors:
            on_error(first_line + error["index"], error["errors"])
        rejected += len(read.errors)
        with database.unit_of_work() as session:
            summary = ingest(session, read.events, clock.now(), max_future=max_future)
        for refused in summary.rejected:
            on_error(
                first_line + read.indices[refused.position],
                [{"pointer": f"#/{refused.field}", "detail": refused.reason}],
            )
        rejected += len(summary.rejected)
        # Counted, not kept: a large file's refused rows have been reported already.
        total.add(replace(summary, rejected=[]))
        on_progress(lines - 1, total.counts() | {"rejected": rejected})
    return total.counts() | {"rejected": rejected}


def _batches(reader: csv.DictReader, size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in reader:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    """Known columns only; empty optional cells are absent, not empty strings."""
    return {
        key: value
        for key, value in row.items()
        if key in REQUIRED or (key in COLUMNS and value not in (None, ""))
    }
