"""Forgetting captured content in the SQLite store (issue 17): ``calls rm`` and ``calls prune-content``.

A call's links to its pieces go; a piece goes when no other call links to it (a shared system
prompt stays for the calls that still use it). The call rows, their tokens and cost stay. The
text must leave the file too, not just the tables: deleted cells are zeroed (``secure_delete``),
the full-text index is rewritten without the forgotten words (FTS5 ``optimize``: until then its
old segments keep them), and the WAL, which holds earlier page images, is checkpointed away.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import aiosqlite

_CHUNK = 500  # SQLite caps the number of parameters per statement
_ORPHANS = "NOT EXISTS (SELECT 1 FROM llm_call_content AS l WHERE l.content_id = llm_content.id)"
_OLDER = "SELECT id FROM llm_api_calls WHERE called_at < ?"


async def _scalar(conn: aiosqlite.Connection, sql: str, params: Sequence[object]) -> int:
    async with conn.execute(sql, params) as cur:
        row = await cur.fetchone()
    return int(row[0]) if row and row[0] is not None else 0


async def forget_rows(conn: aiosqlite.Connection, record_ids: Sequence[str]) -> int:
    """Unlink the content of ``record_ids`` and delete the pieces no call uses any more (in the
    caller's transaction); returns how many of the rows had content."""
    forgotten = 0
    pieces: set[int] = set()
    ids = list(dict.fromkeys(record_ids))
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        marks = ", ".join("?" * len(chunk))
        async with conn.execute(
            f"SELECT record_id, content_id FROM llm_call_content WHERE record_id IN ({marks})", chunk
        ) as cur:
            links = list(await cur.fetchall())
        forgotten += len({link[0] for link in links})
        pieces.update(int(link[1]) for link in links)
        await conn.execute(f"DELETE FROM llm_call_content WHERE record_id IN ({marks})", chunk)
    candidates = sorted(pieces)
    for start in range(0, len(candidates), _CHUNK):
        chunk_ids = candidates[start : start + _CHUNK]
        marks = ", ".join("?" * len(chunk_ids))
        await conn.execute(f"DELETE FROM llm_content WHERE id IN ({marks}) AND {_ORPHANS}", chunk_ids)
    return forgotten


async def forget_older(conn: aiosqlite.Connection, before: str) -> int:
    """``forget_rows`` for every row called before ``before`` (stored-time text), and every piece
    no call uses (also those left by rows deleted whole); returns how many rows had content."""
    forgotten = await _scalar(
        conn, f"SELECT COUNT(DISTINCT record_id) FROM llm_call_content WHERE record_id IN ({_OLDER})", (before,)
    )
    await conn.execute(f"DELETE FROM llm_call_content WHERE record_id IN ({_OLDER})", (before,))
    await delete_unused_content(conn)
    return forgotten


async def delete_unused_content(conn: aiosqlite.Connection) -> None:
    """Delete every piece no call links to any more (in the caller's transaction): those whose
    links were forgotten and those left by rows deleted whole (``calls prune``)."""
    await conn.execute(f"DELETE FROM llm_content WHERE {_ORPHANS}")


async def rewrite_index(conn: aiosqlite.Connection) -> None:
    """Rebuild the full-text index's segments without the deleted words (in the transaction)."""
    await conn.execute("INSERT INTO llm_content_fts (llm_content_fts) VALUES ('optimize')")


async def checkpoint(conn: aiosqlite.Connection) -> None:
    """Move the WAL into the file and empty it, outside any transaction (best effort: a reader
    in another connection may still need it)."""
    with contextlib.suppress(sqlite3.OperationalError):
        await conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
