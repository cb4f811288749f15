"""``calls --search`` on PostgreSQL without reading every row (issue 17), as on SQLite
(``llmring._sqlite.search`` says why): few matches are found through indexes (the GIN index for
captured content; distinct models, origins and users by a skip scan of the indexes that lead with
them; error messages of failed rows by status) and then sorted; a common text (more than
``DRIVEN_LIMIT`` rows) is tested row by row, newest first.
"""

from __future__ import annotations

from typing import Any

from llmring.schemas import CALL_STATUSES

DRIVEN_LIMIT = 5_000  # lower than SQLite's: counting a phrase rechecks each candidate piece
_CALLS = "{{tables.llm_api_calls}}"
_FAILED = "(" + ", ".join(f"'{s}'" for s in CALL_STATUSES if s != "success") + ")"
# The GIN index's own expression and kind test, so the planner can use it. (Its estimate of the
# matches is a guess, so the links of the matching pieces are looked up behind an OFFSET 0
# fence: else it may hash-join the whole links table for one piece.)
_MATCHES = (
    "c.kind <> 'tools' AND to_tsvector('simple'::regconfig, left(c.text, 100000)) @@ phraseto_tsquery('simple', {q})"
)


def _skip_scan(name: str, first: str, second: str) -> str:
    """A recursive CTE ``name(a, b)`` of the distinct (``first``, ``second``) pairs, one index seek
    each (the next ``second`` under the same ``first``, else the first of the next ``first``)."""
    same = f"(SELECT MIN({second}) FROM {_CALLS} WHERE {first} = {name}.a AND {second} > {name}.b)"
    following = f"(SELECT MIN({first}) FROM {_CALLS} WHERE {first} > {name}.a)"
    return f"""
    {name}(a, b) AS (
        (SELECT {first}, {second} FROM {_CALLS} ORDER BY {first}, {second} LIMIT 1)
        UNION ALL
        SELECT CASE WHEN {same} IS NOT NULL THEN {name}.a ELSE {following} END,
               COALESCE({same}, (SELECT MIN({second}) FROM {_CALLS} WHERE {first} = {following}))
        FROM {name} WHERE {name}.a IS NOT NULL
    )"""


_DISTINCT = _skip_scan("models", "provider", "model_name") + "," + _skip_scan("users", "origin", "id_at_origin")


def _branches(union: str, text: str, like: str) -> str:
    """The ids of matching rows (``hit``), each branch from an index (``text``, ``like``: placeholders)."""
    return f"""
        SELECT l.record_id AS hit FROM {{{{tables.llm_content}}}} AS c CROSS JOIN LATERAL
            (SELECT record_id FROM {{{{tables.llm_call_content}}}} WHERE content_id = c.id OFFSET 0) AS l
            WHERE {_MATCHES.format(q=text)}
        {union} SELECT id FROM {_CALLS} WHERE (provider, model_name) IN
            (SELECT a, b FROM models WHERE a IS NOT NULL AND (a || ':' || b) ILIKE {like})
        {union} SELECT id FROM {_CALLS} WHERE (origin, id_at_origin) IN
            (SELECT a, b FROM users WHERE a IS NOT NULL AND (a ILIKE {like} OR b ILIKE {like}))
        {union} SELECT id FROM {_CALLS} WHERE status IN {_FAILED} AND error_message ILIKE {like}"""


def count_query(text: str, like: str) -> tuple[str, list[Any]]:
    """How many rows match (counted up to ``DRIVEN_LIMIT + 1``, with repeats)."""
    sql = (
        f"WITH RECURSIVE {_DISTINCT} SELECT COUNT(*) FROM"
        f" ({_branches('UNION ALL', '$1', '$2')} LIMIT {DRIVEN_LIMIT + 1}) AS found"
    )
    return sql, [text, like]


def driven_prefix(text: str, like: str) -> tuple[str, list[Any]]:
    """``WITH ... SELECT * FROM`` the log, whose rows ``DRIVEN_MATCH`` picks by primary key
    (``$1``, ``$2``: the search text and its pattern)."""
    sql = f"WITH RECURSIVE {_DISTINCT}, hits(hit) AS ({_branches('UNION ALL', '$1', '$2')}) SELECT * FROM {_CALLS}"
    return sql, [text, like]


DRIVEN_MATCH = "id = ANY(ARRAY(SELECT hit FROM hits))"

# The row-by-row test (a common text): each row's own pieces are matched. A scalar subquery, so it
# stays per row: an EXISTS may be planned as a list of every matching piece's rows, read first.
SCAN_CONTENT = (
    "(SELECT 1 FROM {{{{tables.llm_call_content}}}} AS l JOIN {{{{tables.llm_content}}}} AS c"
    " ON c.id = l.content_id WHERE l.record_id = {{{{tables.llm_api_calls}}}}.id AND "
    + _MATCHES.replace("{q}", "{query}")
    + " LIMIT 1) IS NOT NULL"
)
