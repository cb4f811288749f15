"""How ``CallRecord`` and ``LLMModel`` map to PostgreSQL rows, and the batch insert statement.

* Money is NUMERIC. A call's cost and cache savings are written rounded to the picodollar with
  the SQLite store's own conversion (``llmring._sqlite.codec``), so both backends store, sum and
  return exactly the same Decimals. Registry prices are stored as given.
* Timestamps are TIMESTAMPTZ; a naive datetime is taken to be UTC (as in the SQLite store).
* JSON fields travel as text and are cast to JSONB in SQL (asyncpg hands JSONB back as text),
  which works on any pool, shared or not, without per-connection codecs.
"""

from __future__ import annotations

import functools
import json
import operator
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from llmring._sqlite.codec import MODEL_DATA_FIELDS, from_pico, to_pico
from llmring.schemas import CallRecord, LLMModel

CALL_FIELDS: tuple[str, ...] = tuple(CallRecord.model_fields)

# PostgreSQL array element type of each call field in the batch insert (text unless listed).
_CALL_TYPES: dict[str, str] = {
    "attempt": "int4",
    "final": "bool",
    "prompt_tokens": "int4",
    "completion_tokens": "int4",
    "cached_tokens": "int4",
    "cache_write_5m_tokens": "int4",
    "cache_write_1h_tokens": "int4",
    "reasoning_tokens": "int4",
    "estimated_cost": "numeric",
    "dollars_per_million_tokens_input_used": "numeric",
    "dollars_per_million_tokens_output_used": "numeric",
    "response_time_ms": "int4",
    "time_to_first_token_ms": "int4",
    "stream": "bool",
    "temperature": "float8",
    "max_tokens": "int4",
    "json_mode": "bool",
    "cache_hit": "bool",
    "cache_savings": "numeric",
    "called_at": "timestamptz",
}
JSON_FIELDS = frozenset({"cost_breakdown", "rate_snapshot", "tools_used", "response_format", "request_metadata"})
_PICO_FIELDS = frozenset({"estimated_cost", "cache_savings"})

# Rollup column -> aggregate over inserted/scanned llm_api_calls rows. The same meaning as
# llmring._sqlite.usage.AGGREGATES: outcomes count final rows, spending sums every row.
AGGREGATES: dict[str, str] = {
    "rows": "COUNT(*)",
    "calls": "COUNT(*) FILTER (WHERE final)",
    "successes": "COUNT(*) FILTER (WHERE final AND status = 'success')",
    "errors": "COUNT(*) FILTER (WHERE final AND status = 'error')",
    "timeouts": "COUNT(*) FILTER (WHERE final AND status = 'timeout')",
    "rate_limited": "COUNT(*) FILTER (WHERE final AND status = 'rate_limited')",
    "cache_hits": "COUNT(*) FILTER (WHERE final AND cache_hit)",
    "unpriced": "COUNT(*) FILTER (WHERE final AND status = 'success' AND NOT cache_hit AND estimated_cost IS NULL)",
    "prompt_tokens": "SUM(prompt_tokens)::bigint",
    "completion_tokens": "SUM(completion_tokens)::bigint",
    "cached_tokens": "SUM(cached_tokens)::bigint",
    "reasoning_tokens": "SUM(reasoning_tokens)::bigint",
    "cache_write_tokens": "SUM(cache_write_5m_tokens + cache_write_1h_tokens)::bigint",
    "cost": "SUM(COALESCE(estimated_cost, 0))",
    "cache_savings": "SUM(COALESCE(cache_savings, 0))",
    "latency_ms_sum": "COALESCE(SUM(response_time_ms) FILTER (WHERE final), 0)::bigint",
    "latency_count": "COUNT(response_time_ms) FILTER (WHERE final)",
}
# The two rollups and their keys: per user (filters on id_at_origin) and per origin (everything
# else: a few rows per day, however many users there are).
ROLLUPS: dict[str, tuple[str, ...]] = {
    "llm_usage_daily": ("origin", "id_at_origin", "day", "provider", "model_name"),
    "llm_usage_daily_origin": ("origin", "day", "provider", "model_name"),
}
# The llm_api_calls columns the aggregates read.
_ROLLUP_INPUTS = (
    "origin", "id_at_origin", "called_at", "provider", "model_name", "final", "status", "cache_hit",
    "estimated_cost", "cache_savings", "response_time_ms", "prompt_tokens", "completion_tokens",
    "cached_tokens", "reasoning_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens",
)  # fmt: skip
UTC_DAY = "(called_at AT TIME ZONE 'UTC')::date"


def utc(moment: datetime) -> datetime:
    """``moment`` as an aware UTC datetime (naive means UTC)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _pico_round(amount: Decimal) -> Decimal | None:
    return from_pico(to_pico(amount))


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal | datetime):
        return str(value)  # as the SQLite store writes them
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


# One encoder, built once: json.dumps with options builds a new one on every call.
_encode_json = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=_json_default).encode


def _json_text(value: Any) -> str:
    return _encode_json(value)


def _encoder(name: str) -> Callable[[Any], Any] | None:
    """How a call field is converted on the way in (None: stored as it is)."""
    if name in _PICO_FIELDS:
        return _pico_round
    if name in JSON_FIELDS:
        return _json_text
    if name == "called_at":
        return utc
    return None


# (position, converter) for the fields that need converting.
_ENCODERS = tuple((i, encode) for i, name in enumerate(CALL_FIELDS) if (encode := _encoder(name)) is not None)
_values = operator.itemgetter(*CALL_FIELDS)


def call_rows(records: Sequence[CallRecord]) -> list[tuple[Any, ...]]:
    """``records`` as row tuples in ``CALL_FIELDS`` order, ready for COPY.

    This is the background writer's hot path: the values come out of each record in one C call
    and only the few fields that need converting are touched.
    """
    rows = []
    for record in records:
        row = list(_values(record.__dict__))
        for i, encode in _ENCODERS:
            if row[i] is not None:
                row[i] = encode(row[i])
        rows.append(tuple(row))
    return rows


def call_columns(records: Sequence[CallRecord]) -> list[list[Any]]:
    """``records`` as one list per ``CALL_FIELDS`` column (the arrays the small-batch insert unnests)."""
    return [list(column) for column in zip(*call_rows(records), strict=True)]


def _rollup_cte(table: str, key: tuple[str, ...]) -> str:
    """Fold the rows of ``ins`` into ``table`` (an upsert per key, in sorted key order)."""
    selected = ", ".join(UTC_DAY if column == "day" else column for column in key)
    positions = ", ".join(str(i) for i in range(1, len(key) + 1))
    updates = ", ".join(f"{c} = d.{c} + EXCLUDED.{c}" for c in AGGREGATES)
    return f"""
            INSERT INTO {{{{tables.{table}}}}} AS d ({", ".join(key)}, {", ".join(AGGREGATES)})
            SELECT {selected}, {", ".join(AGGREGATES.values())}
            FROM ins GROUP BY {positions} ORDER BY {positions}
            ON CONFLICT ({", ".join(key)}) DO UPDATE SET {updates}"""


@functools.cache
def insert_calls_sql(staging: str | None = None) -> str:
    """One statement: insert call rows into llm_api_calls and fold them into both rollups.

    The rows come from the column arrays (``$1..$n``, one per ``CALL_FIELDS`` entry, unnested)
    or, when ``staging`` names a table, from that table (filled by COPY: faster for big
    batches). The rollup upserts read the rows the insert returned (data-modifying CTEs), so
    the log and the rollups can never disagree; keys are upserted in sorted order so concurrent
    writers cannot deadlock. The statement returns the number of rows inserted.
    """
    names = ", ".join(CALL_FIELDS)
    if staging is None:
        params = ", ".join(f"${i}::{_CALL_TYPES.get(name, 'text')}[]" for i, name in enumerate(CALL_FIELDS, 1))
        selected = ", ".join(f"u.{name}::jsonb" if name in JSON_FIELDS else f"u.{name}" for name in CALL_FIELDS)
        source = f"SELECT {selected} FROM unnest({params}) AS u({names})"
    else:
        source = f"SELECT {names} FROM {staging}"
    rollups = ", ".join(f"{table} AS ({_rollup_cte(table, key)}\n        )" for table, key in ROLLUPS.items())
    return f"""
        WITH ins AS (
            INSERT INTO {{{{tables.llm_api_calls}}}} ({names}) {source}
            RETURNING {", ".join(_ROLLUP_INPUTS)}
        ), {rollups}
        SELECT COUNT(*) FROM ins
    """


def call_from_row(row: Mapping[str, Any]) -> CallRecord:
    """A ``CallRecord`` from an llm_api_calls row."""
    data = {name: row[name] for name in CALL_FIELDS}
    for name in JSON_FIELDS:
        if data[name] is not None:
            data[name] = json.loads(data[name])
    return CallRecord.model_validate(data)


def model_from_row(row: Mapping[str, Any]) -> LLMModel:
    """An ``LLMModel`` from an llm_models row."""
    return LLMModel.model_validate(dict(row))


def model_data(model: LLMModel) -> tuple[Any, ...]:
    """The ``MODEL_DATA_FIELDS`` of ``model`` as column values (Decimals and bools as they are)."""
    return tuple(getattr(model, name) for name in MODEL_DATA_FIELDS)


def model_changed(row: Mapping[str, Any], data: tuple[Any, ...]) -> bool:
    """Whether a sync would change the stored row (prices compare as numbers: 0.15 == 0.150)."""
    return any(row[name] != new for name, new in zip(MODEL_DATA_FIELDS, data, strict=True))
