"""SQL of the SQLite store's registry sync and call-log listing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from llmring._sqlite import codec
from llmring._store.content import fts_phrase
from llmring._store.filters import order_clause, where_clauses
from llmring._store.values import MODEL_DATA_FIELDS

if TYPE_CHECKING:
    from llmring.store import CallFilters

_COLS = MODEL_DATA_FIELDS
INSERT_MODEL = (
    f"INSERT INTO llm_models (provider, model_name, {', '.join(_COLS)}, created_at, updated_at)"
    f" VALUES ({', '.join('?' * (len(_COLS) + 4))})"
)
UPDATE_MODEL = f"UPDATE llm_models SET {', '.join(f'{c} = ?' for c in _COLS)}, updated_at = ? WHERE id = ?"
RETIRE_MODEL = "UPDATE llm_models SET inactive_from = ?, updated_at = ? WHERE id = ?"
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


# Rows whose captured prompt or answer holds the search words (in order), through the FTS5 index.
MATCH_CONTENT = (
    "id IN (SELECT l.record_id FROM llm_call_content AS l WHERE l.content_id IN"
    " (SELECT rowid FROM llm_content_fts WHERE llm_content_fts MATCH {query}))"
)


def content_query(count: int) -> str:
    """The captured pieces of ``count`` rows (``?`` each), in order: record id, kind, text, extra."""
    return (
        "SELECT l.record_id, c.kind, c.text, c.extra FROM llm_call_content AS l"
        f" JOIN llm_content AS c ON c.id = l.content_id WHERE l.record_id IN ({', '.join('?' * count)})"
        " ORDER BY l.record_id, l.position"
    )


def calls_query(filters: CallFilters, limit: int, offset: int) -> tuple[str, list[Any]]:
    """SQL and parameters for ``list_calls`` (newest first unless ``filters.order_by`` says otherwise)."""
    params: list[Any] = []

    def param(value: Any) -> str:
        params.append(value)
        return "?"

    # SQLite's LIKE ignores ASCII case already.
    clauses = where_clauses(
        filters,
        param,
        codec.ts,
        contains="{column} LIKE {pattern} ESCAPE '\\'",
        content_match=(MATCH_CONTENT, fts_phrase),
    )
    sql = (
        f"SELECT * FROM llm_api_calls WHERE {' AND '.join(clauses) or '1'}"
        f" {order_clause(filters, 'estimated_cost_pico')} LIMIT ? OFFSET ?"
    )
    return sql, [*params, limit, offset]
