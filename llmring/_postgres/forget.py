"""Forgetting captured content in the PostgreSQL store (issue 17): ``calls rm`` and
``calls prune-content``.

A call's links to its pieces go; a piece goes when no other call links to it (a shared system
prompt stays for the calls that still use it). The call rows, their tokens and cost stay. A
piece deleted here while another transaction links a new call to it cannot leave a dangling
link: the foreign key makes one of the two fail and roll back. Deleted tuples stay in the data
files until VACUUM (autovacuum) reclaims them.
"""

from __future__ import annotations

_ORPHAN = "NOT EXISTS (SELECT 1 FROM {{tables.llm_call_content}} AS l WHERE l.content_id = c.id)"

# Each returns (rows that had content, the pieces they used).
FORGET_ROWS = """
    WITH gone AS (
        DELETE FROM {{tables.llm_call_content}} WHERE record_id = ANY($1::text[]) RETURNING record_id, content_id
    )
    SELECT COUNT(DISTINCT record_id) AS forgotten, array_agg(DISTINCT content_id) AS pieces FROM gone
"""
FORGET_OLDER = """
    WITH gone AS (
        DELETE FROM {{tables.llm_call_content}} AS l USING {{tables.llm_api_calls}} AS a
        WHERE a.id = l.record_id AND a.called_at < $1 RETURNING l.record_id
    )
    SELECT COUNT(DISTINCT record_id) AS forgotten FROM gone
"""
# The pieces no call uses any more: among those given, or all of them (also the ones left by
# rows deleted whole).
DELETE_UNUSED_OF = f"DELETE FROM {{{{tables.llm_content}}}} AS c WHERE c.id = ANY($1::bigint[]) AND {_ORPHAN}"
DELETE_UNUSED = f"DELETE FROM {{{{tables.llm_content}}}} AS c WHERE {_ORPHAN}"
