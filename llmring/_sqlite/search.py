"""``calls --search`` on SQLite without reading every row (issue 17: fast on 1,000,000 calls).

A search matches a row whose ``provider:model``, origin, user or error message contains the text,
or whose captured prompt or answer has its words (FTS5). Testing that row by row reads the whole
log when few rows match (a word of one answer: seconds on a million rows), so the matching rows are
found from indexes instead, and only then sorted:

- captured content: the full-text index gives the pieces, ``llm_call_content`` their rows;
- model, origin and user: their distinct values are few, so they are listed by skipping through
  the indexes that lead with them (one probe per distinct value), tested, and their rows looked up;
- error message: only failed rows have one, found through the status index.

When the text is common (more than ``DRIVEN_LIMIT`` rows match), reading newest rows first and
testing each finds the page at once, so that plan is used instead (``count_query`` decides).
"""

from __future__ import annotations

from typing import Any

from llmring._store.content import fts_phrase
from llmring._store.filters import like_pattern
from llmring.schemas import CALL_STATUSES

DRIVEN_LIMIT = 20_000
# The statuses whose rows' error messages a search reads (every one but success).
_FAILED = "(" + ", ".join(f"'{s}'" for s in CALL_STATUSES if s != "success") + ")"


def _skip_scan(name: str, first: str, second: str) -> str:
    """A recursive CTE ``name(a, b)`` of the distinct (``first``, ``second``) pairs in the log, in
    order, one index seek each (the index leads with the pair): the next ``second`` under the same
    ``first``, else the smallest ``second`` of the next ``first``. It ends with a NULL row."""
    t = "llm_api_calls"
    same = f"(SELECT MIN({second}) FROM {t} WHERE {first} = {name}.a AND {second} > {name}.b)"
    following = f"(SELECT MIN({first}) FROM {t} WHERE {first} > {name}.a)"
    return f"""
    {name}(a, b) AS (
        SELECT {first}, {second} FROM (SELECT {first}, {second} FROM {t} ORDER BY {first}, {second} LIMIT 1)
        UNION ALL
        SELECT CASE WHEN {same} IS NOT NULL THEN {name}.a ELSE {following} END,
               COALESCE({same}, (SELECT MIN({second}) FROM {t} WHERE {first} = {following}))
        FROM {name} WHERE {name}.a IS NOT NULL
    )"""


# Distinct (provider, model) and (origin, user) pairs: a few, however many rows (a skip scan).
_DISTINCT = _skip_scan("models", "provider", "model_name") + "," + _skip_scan("users", "origin", "id_at_origin")


def _branches(text: str, union: str) -> tuple[str, list[Any]]:
    """The ids of matching rows (``hit``), each branch from an index; duplicates unless UNION."""
    like = like_pattern(text)
    sql = f"""
        SELECT l.record_id AS hit FROM llm_content_fts AS f CROSS JOIN llm_call_content AS l
            ON l.content_id = f.rowid WHERE f.llm_content_fts MATCH ?
        {union} SELECT id FROM llm_api_calls WHERE (provider, model_name) IN
            (SELECT a, b FROM models WHERE a IS NOT NULL AND (a || ':' || b) LIKE ? ESCAPE '\\')
        {union} SELECT id FROM llm_api_calls WHERE (origin, id_at_origin) IN
            (SELECT a, b FROM users WHERE a IS NOT NULL AND (a LIKE ? ESCAPE '\\' OR b LIKE ? ESCAPE '\\'))
        {union} SELECT id FROM llm_api_calls WHERE status IN {_FAILED} AND error_message LIKE ? ESCAPE '\\'"""
    return sql, [fts_phrase(text), like, like, like, like]


def count_query(text: str) -> tuple[str, list[Any]]:
    """How many rows match ``text`` (counted up to ``DRIVEN_LIMIT + 1``, with repeats)."""
    branches, params = _branches(text, "UNION ALL")
    sql = f"WITH RECURSIVE {_DISTINCT} SELECT COUNT(*) FROM ({branches} LIMIT {DRIVEN_LIMIT + 1})"
    return sql, params


def driven_prefix(text: str) -> tuple[str, list[Any]]:
    """``WITH ... SELECT c.* FROM hits CROSS JOIN llm_api_calls`` (CROSS JOIN: the hits drive the
    lookup, so the planner cannot choose to scan the log in time order instead)."""
    branches, params = _branches(text, "UNION")
    sql = (
        f"WITH RECURSIVE {_DISTINCT}, hits(hit) AS ({branches})"
        " SELECT llm_api_calls.* FROM hits CROSS JOIN llm_api_calls ON llm_api_calls.id = hits.hit"
    )
    return sql, params


# The row-by-row test (a common text): each row's pieces are looked up in the full-text index by
# rowid (listing every matching piece first would read the whole index for a common word).
SCAN_CONTENT = (
    "EXISTS (SELECT 1 FROM llm_call_content AS l CROSS JOIN llm_content_fts AS f ON f.rowid = l.content_id"
    " WHERE l.record_id = llm_api_calls.id AND f.llm_content_fts MATCH {query})"
)
