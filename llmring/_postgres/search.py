"""``calls --search`` on PostgreSQL without reading every row (issue 17), as on SQLite
(``llmring._sqlite.search`` says why): few matches are found through indexes (the GIN index for
captured content; distinct models, origins and users by a skip scan of the indexes that lead with
them; error messages of failed rows by status) and then sorted; a common text (more than
``DRIVEN_LIMIT`` rows) is tested row by row, newest first.

Unlike FTS5's, a GIN scan cannot stop early: it builds the bitmap of every piece holding all the
words before the first row comes out (about 300 ms for words every one of 1,000,000 questions
has, ``where is my order``), so even counting to ``DRIVEN_LIMIT`` costs that much. So when every
word of the text is common (``COMMON_WORDS``: the planner's statistics of the GIN index, which
``ANALYZE`` and autovacuum keep), a listing in time order first tests only the newest ``WINDOW``
rows one by one (the index on time stops there): a common text fills its page among them at once.
Only when it does not (few matches, or a page too deep) is the count made and one of the two plans
above chosen. A text with a rare word skips the window: its GIN scan is short.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from llmring.schemas import CALL_STATUSES

if TYPE_CHECKING:
    from llmring.store import CallFilters

DRIVEN_LIMIT = 5_000  # lower than SQLite's: counting a phrase rechecks each candidate piece
# Rows tested one by one before the count: about 60 us each when nothing matches (every piece of
# the row parsed again), so at most ~20 ms on a search with few matches; a page of 20 fills from it
# when one row in 15 matches.
WINDOW = 300
_CONTENT = "{{tables.llm_content}}"
# Pieces holding the text's rarest word, estimated, from which a GIN scan is worth avoiding (it
# lists every one of them, about 0.3 us each per word).
COMMON_PIECES = 50_000
COMMON_WORDS = f"""
    SELECT MIN(COALESCE(s.freq, 0)) * (SELECT reltuples FROM pg_class WHERE oid = to_regclass('{_CONTENT}'))
    FROM unnest(tsvector_to_array(to_tsvector('simple'::regconfig, $1))) AS w(lexeme) LEFT JOIN (
        SELECT unnest(most_common_elems::text::text[]) AS lexeme, unnest(most_common_elem_freqs::text::real[]) AS freq
        FROM pg_stats WHERE tablename = 'idx_llm_content_search' AND schemaname =
            (SELECT n.nspname FROM pg_class AS t JOIN pg_namespace AS n ON n.oid = t.relnamespace
             WHERE t.oid = to_regclass('{_CONTENT}'))
    ) AS s USING (lexeme)"""
"""The estimated number of pieces holding every word of ``$1`` (its rarest word's share of the
pieces; 0 when a word is not among the index's most common ones, NULL when the text has none)."""
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


def windowed(filters: CallFilters, limit: int, offset: int) -> bool:
    """Whether a listing can be served from the newest (or oldest) ``WINDOW`` rows first: a
    search in time order whose page lies inside the window."""
    return bool(filters.search) and filters.order_by == "time" and limit > 0 and limit + offset <= WINDOW


def window_bound(where: str, order: str, ascending: bool) -> str:
    """A clause keeping the rows up to the ``WINDOW``-th in the listing's time order (``where``:
    the listing's other filters): served by the index on ``(called_at, id)``, which the scan then
    stops at. NULL (no row) when fewer rows match ``where``: the caller then lists the usual way."""
    bound = f"SELECT called_at, id FROM {_CALLS} WHERE {where} {order} OFFSET {WINDOW - 1} LIMIT 1"
    return f"(called_at, id) {'<=' if ascending else '>='} ({bound})"
