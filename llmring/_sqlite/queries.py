"""SQL of the SQLite store's registry sync and call-log listing."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from llmring._sqlite import codec, search
from llmring._store.content import fts_phrase
from llmring._store.filters import order_clause, where_clauses
from llmring._store.values import MODEL_DATA_FIELDS
from llmring.reprice import REPRICED_FIELDS
from llmring.schemas import CallRecord

if TYPE_CHECKING:
    from llmring.store import CallFilters

_COLS = MODEL_DATA_FIELDS
INSERT_MODEL = (
    f"INSERT INTO llm_models (provider, model_name, {', '.join(_COLS)}, created_at, updated_at)"
    f" VALUES ({', '.join('?' * (len(_COLS) + 4))})"
)
UPDATE_MODEL = f"UPDATE llm_models SET {', '.join(f'{c} = ?' for c in _COLS)}, updated_at = ? WHERE id = ?"
RETIRE_MODEL = "UPDATE llm_models SET inactive_from = ?, updated_at = ? WHERE id = ?"
UPSERT_REGISTRY_VERSION = (
    "INSERT INTO llm_registry_versions (provider, version, updated, source, applied_at) VALUES (?, ?, ?, ?, ?)"
    " ON CONFLICT (provider) DO UPDATE SET version = excluded.version, updated = excluded.updated,"
    " source = excluded.source, applied_at = excluded.applied_at"
)
INSERT_CALL = (
    f"INSERT INTO llm_api_calls ({', '.join(codec.CALL_COLUMNS)}) VALUES ({', '.join('?' * len(codec.CALL_COLUMNS))})"
)
# Captured content (issue 17): pieces once by hash, then each row's links to them in order.
INSERT_CONTENT = "INSERT INTO llm_content (hash, kind, text, extra) VALUES (?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING"
LAST_CONTENT_ID = "SELECT COALESCE(MAX(id), 0) FROM llm_content"
INDEX_CONTENT = (
    "INSERT INTO llm_content_fts (rowid, text) SELECT id, text FROM llm_content WHERE id > ? AND kind != 'tools'"
)
LINK_CONTENT = (
    "INSERT INTO llm_call_content (record_id, position, content_id) SELECT ?, ?, id FROM llm_content WHERE hash = ?"
)


def content_query(count: int) -> str:
    """The captured pieces of ``count`` rows (``?`` each), in order: record id, kind, text, extra."""
    return (
        "SELECT l.record_id, c.kind, c.text, c.extra FROM llm_call_content AS l"
        f" JOIN llm_content AS c ON c.id = l.content_id WHERE l.record_id IN ({', '.join('?' * count)})"
        " ORDER BY l.record_id, l.position"
    )


def calls_query(filters: CallFilters, limit: int, offset: int, *, driven: bool = False) -> tuple[str, list[Any]]:
    """SQL and parameters for ``list_calls`` (newest first unless ``filters.order_by`` says otherwise).

    With a search, ``driven`` finds the matching rows through indexes first (few matches; see
    ``llmring._sqlite.search``), else each row is tested as the log is read in order.
    """
    params: list[Any] = []

    def param(value: Any) -> str:
        params.append(value)
        return "?"

    source = "SELECT * FROM llm_api_calls"
    if filters.search and driven:
        source, params = search.driven_prefix(filters.search)
        filters = replace(filters, search=None)

    # SQLite's LIKE ignores ASCII case already.
    def has_tag(key: str, value: str) -> str:
        return f"id IN (SELECT row_id FROM llm_call_tags WHERE key = {param(key)} AND value = {param(value)})"

    clauses = where_clauses(
        filters,
        param,
        codec.ts,
        contains="{column} LIKE {pattern} ESCAPE '\\'",
        has_tag=has_tag,
        content_match=(search.SCAN_CONTENT, fts_phrase),
    )
    sql = (
        f"{source} WHERE {' AND '.join(clauses) or '1'} {order_clause(filters, 'estimated_cost_pico')} LIMIT ? OFFSET ?"
    )
    return sql, [*params, limit, offset]


# -- reprice (issue 12): a row's cost fields, guarded by the cost it had when it was read --------
_FIELDS = tuple(CallRecord.model_fields)
REPRICE_POSITIONS: tuple[int, ...] = tuple(_FIELDS.index(name) for name in REPRICED_FIELDS)
COST_POSITION = _FIELDS.index("estimated_cost")
REPRICE_CALL = (
    f"UPDATE llm_api_calls SET {', '.join(f'{codec.CALL_COLUMNS[i]} = ?' for i in REPRICE_POSITIONS)}"
    " WHERE id = ? AND estimated_cost_pico IS ?"
)
REPRICE_ROLLUP = (
    "UPDATE llm_usage_daily SET cost_pico = cost_pico + ?, unpriced = unpriced - ?"
    " WHERE origin = ? AND id_at_origin = ? AND day = ? AND provider = ? AND model_name = ?"
)
CALLS_TO_REPRICE = (
    "SELECT * FROM llm_api_calls WHERE status = 'success' AND NOT cache_hit AND called_at >= ?"
    " AND (? OR estimated_cost_pico IS NULL) ORDER BY called_at, id"
)
