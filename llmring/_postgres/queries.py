"""SQL of the PostgreSQL store: the call-log batch insert with its rollups, the registry
statements and the call listing. Every table is named through pgdbm's ``{{tables.x}}`` templates,
so several schemas can share a database."""

from __future__ import annotations

import functools
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from llmring import schemas
from llmring._postgres import codec, search
from llmring._store.filters import like_pattern, order_clause, where_clauses
from llmring._store.values import MODEL_DATA_FIELDS, dump_json
from llmring.reprice import REPRICED_FIELDS

if TYPE_CHECKING:
    from llmring.store import CallFilters

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
    "cache_write_tokens": "int4",
    "cache_write_12h_tokens": "int4",
    "audio_tokens": "int4",
    "cached_audio_tokens": "int4",
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
    "hop": "int4",
}

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
    "cache_write_tokens": "SUM(cache_write_5m_tokens + cache_write_1h_tokens + cache_write_tokens)::bigint",
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
    "cached_tokens", "reasoning_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens", "cache_write_tokens",
    "call_id", "tags",
)  # fmt: skip
UTC_DAY = "(called_at AT TIME ZONE 'UTC')::date"
_JSON_CAST = codec.CALL_JSON_FIELDS


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
    fields = codec.CALL_FIELDS
    names = ", ".join(fields)
    if staging is None:
        params = ", ".join(f"${i}::{_CALL_TYPES.get(name, 'text')}[]" for i, name in enumerate(fields, 1))
        selected = ", ".join(f"u.{name}::jsonb" if name in _JSON_CAST else f"u.{name}" for name in fields)
        source = f"SELECT {selected} FROM unnest({params}) AS u({names})"
    else:
        source = f"SELECT {names} FROM {staging}"
    rollups = ", ".join(f"{table} AS ({_rollup_cte(table, key)}\n        )" for table, key in ROLLUPS.items())
    return f"""
        WITH ins AS (
            INSERT INTO {{{{tables.llm_api_calls}}}} ({names}) {source}
            RETURNING {", ".join(_ROLLUP_INPUTS)}
        ), {rollups}, {_TAG_ROLLUP}, {_RELEASE_HOLDS}
        SELECT COUNT(*) FROM ins
    """


# Issue 16: the per-tag rollup, folded from the inserted rows' tags in the same statement.
_TAG_KEY = ("tag_key", "tag_value", *ROLLUPS["llm_usage_daily"])
_TAG_UPDATES = ", ".join(f"{c} = d.{c} + EXCLUDED.{c}" for c in AGGREGATES)
_TAG_ROLLUP = f"""tag_rollup AS (
            INSERT INTO {{{{tables.llm_usage_daily_tags}}}} AS d ({", ".join(_TAG_KEY)}, {", ".join(AGGREGATES)})
            SELECT t.tag_key, t.tag_value, origin, id_at_origin, {UTC_DAY}, provider, model_name,
                   {", ".join(AGGREGATES.values())}
            FROM ins, jsonb_each_text(ins.tags) AS t(tag_key, tag_value)
            WHERE ins.tags IS NOT NULL AND jsonb_typeof(ins.tags) = 'object'
            GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4, 5, 6, 7
            ON CONFLICT ({", ".join(_TAG_KEY)}) DO UPDATE SET {_TAG_UPDATES}
        )"""
# A logged final row ends its call's budget holds (in flight becomes spent, atomically).
_RELEASE_HOLDS = """released AS (
            DELETE FROM {{tables.llm_budget_holds}} WHERE call_id IN (SELECT call_id FROM ins WHERE final)
        )"""


# -- captured content (issue 17): pieces once by hash, then each row's links to them in order ----
INSERT_CONTENT = """
    INSERT INTO {{tables.llm_content}} (hash, kind, text, extra)
    SELECT u.hash, u.kind, u.text, u.extra::jsonb FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
        AS u(hash, kind, text, extra)
    ON CONFLICT (hash) DO NOTHING
"""
LINK_CONTENT = """
    INSERT INTO {{tables.llm_call_content}} (record_id, position, content_id)
    SELECT u.record_id, u.position, c.id FROM unnest($1::text[], $2::int4[], $3::text[]) AS u(record_id, position, hash)
    JOIN {{tables.llm_content}} AS c ON c.hash = u.hash
"""
CONTENT_OF = """
    SELECT l.record_id, c.kind, c.text, c.extra::text AS extra
    FROM {{tables.llm_call_content}} AS l JOIN {{tables.llm_content}} AS c ON c.id = l.content_id
    WHERE l.record_id = ANY($1::text[]) ORDER BY l.record_id, l.position
"""

# -- registry ------------------------------------------------------------------------------------
_MODEL_COLS = MODEL_DATA_FIELDS
INSERT_MODEL = (
    f"INSERT INTO {{{{tables.llm_models}}}} (provider, model_name, {', '.join(_MODEL_COLS)}, created_at, updated_at)"
    f" VALUES ({', '.join(f'${i}' for i in range(1, len(_MODEL_COLS) + 5))})"
)
UPDATE_MODEL = (
    f"UPDATE {{{{tables.llm_models}}}} SET {', '.join(f'{c} = ${i}' for i, c in enumerate(_MODEL_COLS, 1))},"
    f" updated_at = ${len(_MODEL_COLS) + 1} WHERE id = ${len(_MODEL_COLS) + 2}"
)
RETIRE_MODEL = "UPDATE {{tables.llm_models}} SET inactive_from = $1, updated_at = $1 WHERE id = $2"
UPSERT_REGISTRY_VERSION = (
    "INSERT INTO {{tables.llm_registry_versions}} (provider, version, updated, source, applied_at)"
    " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (provider) DO UPDATE SET version = excluded.version,"
    " updated = excluded.updated, source = excluded.source, applied_at = excluded.applied_at"
)


def models_query(provider: str | None, active_only: bool) -> tuple[str, list[Any]]:
    """SQL and parameters for ``list_models``, in byte order as SQLite sorts (the database's
    collation might not be "C")."""
    clauses: list[str] = []
    params: list[Any] = []
    if provider is not None:
        params.append(provider)
        clauses.append("provider = $1")
    if active_only:  # a retirement date may be announced ahead: active until then
        params.append(schemas.utc_now())  # looked up per call: a test clock applies
        clauses.append(f"(inactive_from IS NULL OR inactive_from > ${len(params)})")
    where = " AND ".join(clauses) or "TRUE"
    sql = f'SELECT * FROM {{{{tables.llm_models}}}} WHERE {where} ORDER BY provider COLLATE "C", model_name COLLATE "C"'
    return sql, params


# -- call log ------------------------------------------------------------------------------------


def calls_query(
    filters: CallFilters, limit: int, offset: int, *, driven: bool = False, window: bool = False
) -> tuple[str, list[Any]]:
    """SQL and parameters for ``list_calls`` (newest first unless ``filters.order_by`` says otherwise);
    with a search, ``driven`` finds the matching rows through indexes first, ``window`` tests only
    the newest ``search.WINDOW`` rows (``llmring._postgres.search``; a search in time order)."""
    params: list[Any] = []

    def arg(value: Any) -> str:
        params.append(value)
        return f"${len(params)}"

    source = plain = "SELECT * FROM {{tables.llm_api_calls}}"
    if filters.search and driven:
        source, params = search.driven_prefix(filters.search, like_pattern(filters.search))
        filters = replace(filters, search=None)

    # Backslash is PostgreSQL's default LIKE escape.
    def has_tag(key: str, value: str) -> str:
        return f"tags @> {arg(dump_json({key: value}))}::jsonb"  # served by the GIN index

    clauses = where_clauses(
        filters,
        arg,
        codec.utc,
        contains="{column} ILIKE {pattern}",
        has_tag=has_tag,
        content_match=(search.SCAN_CONTENT, str),
    )
    if source != plain:
        clauses.insert(0, search.DRIVEN_MATCH)
    order = order_clause(filters, "estimated_cost", text_collation=' COLLATE "C"')
    if window:
        others = where_clauses(
            replace(filters, search=None), arg, codec.utc, contains="{column} ILIKE {pattern}", has_tag=has_tag
        )
        clauses.append(search.window_bound(" AND ".join(others) or "TRUE", order, filters.ascending))
    where = " AND ".join(clauses) or "TRUE"
    return f"{source} WHERE {where} {order} LIMIT {arg(limit)} OFFSET {arg(offset)}", params


# -- reprice (issue 12): a row's cost fields, guarded by the cost it had when it was read --------
REPRICE_POSITIONS: tuple[int, ...] = tuple(codec.CALL_FIELDS.index(name) for name in REPRICED_FIELDS)
COST_POSITION = codec.CALL_FIELDS.index("estimated_cost")
_SET = ", ".join(
    f"{name} = ${i}::{'jsonb' if name in _JSON_CAST else _CALL_TYPES.get(name, 'text')}"
    for i, name in enumerate(REPRICED_FIELDS, 1)
)
_N = len(REPRICED_FIELDS)
REPRICE_CALL = (
    f"UPDATE {{{{tables.llm_api_calls}}}} SET {_SET}"
    f" WHERE id = ${_N + 1} AND estimated_cost IS NOT DISTINCT FROM ${_N + 2}::numeric"
)
REPRICE_ROLLUPS = tuple(
    f"UPDATE {{{{tables.{table}}}}} SET cost = cost + $1::numeric, unpriced = unpriced - $2"
    f" WHERE {' AND '.join(f'{column} = ${i}' for i, column in enumerate(key, 3))}"
    for table, key in ROLLUPS.items()
)
CALLS_TO_REPRICE = (
    "SELECT * FROM {{tables.llm_api_calls}} WHERE status = 'success' AND NOT cache_hit"
    " AND ($1::timestamptz IS NULL OR called_at >= $1) AND ($2 OR estimated_cost IS NULL) ORDER BY called_at, id"
)
