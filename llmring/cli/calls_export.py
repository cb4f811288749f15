"""``llmring calls export``: every logged row (one per attempt) as CSV or JSON lines, for finance.

::

    llmring calls export --since 2026-11-01 --until 2026-12-01 > november.csv
    llmring calls export --days 30 --origin my-app --format jsonl | gzip > app.jsonl.gz
    llmring calls export --tag feature=summarise --model gpt-4o-mini -o summarise.csv

Rows stream newest first, a page at a time (memory stays flat however many there are). ``cost``
is the exact decimal the ledger holds (no rounding), empty when the model had no price; the
``cost`` column of an export sums exactly to ``llmring stats --json``'s ``total_cost`` for the
same window, origin and user, since both count every row, retried attempts included.
``tags`` and ``rate_snapshot`` are JSON objects. ``--until`` is exclusive.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import IO, TYPE_CHECKING, Annotated, Any

import typer

from llmring.cli.calls import STATUS_HELP, parse_since
from llmring.cli.context import run_with_store

if TYPE_CHECKING:
    from llmring.schemas import CallRecord
    from llmring.store import CallFilters, Store

PAGE = 2000
TOKEN_COLUMNS = (
    "prompt_tokens",
    "completion_tokens",
    "cached_tokens",
    "cache_write_5m_tokens",
    "cache_write_1h_tokens",
    "reasoning_tokens",
)
COLUMNS = (
    "time",
    "call_id",
    "row_id",
    "attempt",
    "final",
    "provider",
    "model",
    "alias",
    "hop",
    "origin",
    "user",
    "tags",
    "status",
    "error_type",
    *TOKEN_COLUMNS,
    "cost",
    "cache_hit",
    "response_time_ms",
    "rate_snapshot",
)


class ExportFormat(StrEnum):
    """How the rows are written."""

    csv = "csv"
    jsonl = "jsonl"


def export_row(call: CallRecord) -> dict[str, Any]:
    """One row as export values: plain text, integers, booleans, or None (an empty CSV cell)."""
    cost = call.estimated_cost
    return {
        "time": None if "called_at" in call.unreadable else call.called_at.isoformat(),
        "call_id": call.call_id or call.id,
        "row_id": call.id,
        "attempt": call.attempt,
        "final": call.final,
        "provider": call.provider,
        "model": call.model_name,
        "alias": call.alias,  # the alias the caller named, and which model of its chain (1-based)
        "hop": call.hop,
        "origin": call.origin,
        "user": call.id_at_origin,
        "tags": call.tags,
        "status": call.status,
        "error_type": call.error_type,
        **{name: getattr(call, name) for name in TOKEN_COLUMNS},
        "cost": None if cost is None else format(cost, "f"),
        "cache_hit": call.cache_hit,
        "response_time_ms": call.response_time_ms,
        "rate_snapshot": call.rate_snapshot,
    }


# Cells written as they are (most of them; bool is not int here): checked inline, a call per
# cell was a good part of the export's time.
_PLAIN = frozenset({str, int})


def _cell(value: Any) -> Any:
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value


class RowWriter:
    """Writes export rows to ``out`` one at a time (CSV: the header first); ``clean`` makes text
    cells inert, for a terminal. Nothing is held between rows, so memory stays flat."""

    def __init__(self, out: IO[str], fmt: ExportFormat, *, clean: bool = False) -> None:
        self.out = out
        self.clean = clean
        self.written = 0
        self._csv = csv.writer(out, lineterminator="\n") if fmt is ExportFormat.csv else None
        if self._csv is not None:
            self._csv.writerow(COLUMNS)

    def write(self, call: CallRecord) -> None:
        row = export_row(call)
        if self.clean:
            from llmring.formatting import inert

            row = {k: inert(v) if isinstance(v, str) else v for k, v in row.items()}
        if self._csv is not None:
            self._csv.writerow([value if type(value) in _PLAIN else _cell(value) for value in row.values()])
        else:
            self.out.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
        self.written += 1


async def stream_calls(store: Store, filters: CallFilters, page: int | None = None) -> AsyncIterator[CallRecord]:
    """Every row matching ``filters``, newest first, fetched ``page`` (``PAGE``) rows at a time by keyset."""
    from dataclasses import replace

    page = page or PAGE
    while True:
        found = await store.list_calls(filters, limit=page)
        for call in found:
            yield call
        if len(found) < page:
            return
        last = found[-1]
        filters = replace(filters, before=(last.called_at, last.id))


def export(
    ctx: typer.Context,
    since: Annotated[
        str | None, typer.Option("--since", metavar="WHEN", help="From this date or age on: 2026-11-01, 7d.")
    ] = None,
    until: Annotated[str | None, typer.Option("--until", metavar="WHEN", help="Before this date or age.")] = None,
    days: Annotated[
        int | None, typer.Option("--days", "-d", min=1, metavar="N", help="The last N days (as stats --days).")
    ] = None,
    fmt: Annotated[
        ExportFormat, typer.Option("--format", metavar="csv|jsonl", help="csv (a header row first) or jsonl.")
    ] = (ExportFormat.csv),
    origin: Annotated[
        str | None, typer.Option("--origin", metavar="NAME", help="Only calls from this application.")
    ] = None,
    user: Annotated[str | None, typer.Option("--user", metavar="ID", help="Only calls for this id_at_origin.")] = None,
    model: Annotated[
        str | None, typer.Option("--model", "-m", metavar="MODEL", help="provider:model or a model name.")
    ] = None,
    status: Annotated[str | None, typer.Option("--status", metavar="STATUS", help=STATUS_HELP)] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", metavar="KEY=VALUE", help="Only calls with this tag (repeatable).")
    ] = None,
    output_path: Annotated[
        str | None, typer.Option("--output", "-o", metavar="FILE", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """Export logged calls, one row per attempt, as CSV or JSON lines (costs exact)."""
    from llmring.errors import ConfigurationError
    from llmring.store import CallFilters
    from llmring.tags import parse_tags

    if days is not None and since is not None:
        raise ConfigurationError("give --days or --since, not both")
    start = datetime.now(UTC) - timedelta(days=days) if days is not None else None
    if since is not None:
        start = parse_since(since)
    end = parse_since(until) if until is not None else None
    tags = parse_tags(tag) or {}
    query = CallFilters(
        origin=origin,
        id_at_origin=user,
        model=model,
        status=status,
        since=start,
        tags=tuple(tags.items()),
        before=(end, "") if end is not None else None,  # "" sorts first: rows at `end` are excluded
    )

    async def action(store: Store) -> int:
        out: IO[str] = sys.stdout
        if output_path is not None:
            out = open(output_path, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed below
        try:
            writer = RowWriter(out, fmt, clean=output_path is None and sys.stdout.isatty())
            async for call in stream_calls(store, query):
                writer.write(call)
            out.flush()
            return writer.written
        finally:
            if output_path is not None:
                out.close()

    written = run_with_store(ctx, action)
    if output_path is not None:
        from llmring.cli.output import note

        note(f"{written:,} rows written to {output_path}")


def register(app: typer.Typer) -> None:
    """Add ``export`` to the ``llmring calls`` group (registered before this module, see ``main``)."""
    from llmring.cli.context import LLMRingCommand

    calls_app = next(group.typer_instance for group in app.registered_groups if group.name == "calls")
    assert calls_app is not None
    calls_app.command("export", cls=LLMRingCommand, short_help="Export calls as CSV or JSON lines (exact costs).")(
        export
    )
