"""Pruning old call rows on SQLite (issue 16; see ``llmring.retention``).

Each batch is one short ``BEGIN IMMEDIATE`` transaction (oldest rows first, through the
``called_at`` index): the batch's tag index rows, then its call rows, whose captured-content
links go with them (``ON DELETE CASCADE``). Content no remaining row links to is deleted at the
end (its full-text entries with it, by the capture trigger, and the index is then rewritten so
old segments keep no pruned words). The daily rollups are not touched.
Then ``VACUUM`` returns the freed pages to the file system; if another process holds the
database it is skipped (the pages are reused by new rows) and the report says nothing was measured.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import TYPE_CHECKING

from llmring._sqlite import forget
from llmring._sqlite.codec import ts
from llmring._sqlite.errors import is_busy, translate_errors
from llmring.retention import PRUNE_BATCH, PruneReport

if TYPE_CHECKING:
    import asyncio
    from contextlib import AbstractAsyncContextManager
    from datetime import datetime

    import aiosqlite

logger = logging.getLogger("llmring")

_BATCH = "SELECT id FROM llm_api_calls WHERE called_at < ? ORDER BY called_at LIMIT ?"
_COUNT = """
SELECT COUNT(*), COUNT(DISTINCT cc.record_id)
FROM llm_api_calls AS c LEFT JOIN llm_call_content AS cc ON cc.record_id = c.id AND cc.position = 0
WHERE c.called_at < ?
"""


class SQLitePrune:
    """``prune_calls`` of ``SQLiteDatabase`` (see ``llmring.store.Store``)."""

    if TYPE_CHECKING:
        _write_lock: asyncio.Lock

        async def _db(self) -> aiosqlite.Connection: ...

        def _transaction(self) -> AbstractAsyncContextManager[aiosqlite.Connection]: ...

    async def _size(self) -> int:
        conn = await self._db()
        async with conn.execute("PRAGMA page_count") as cur:
            pages = (await cur.fetchone())[0]  # type: ignore[index]
        async with conn.execute("PRAGMA page_size") as cur:
            size = (await cur.fetchone())[0]  # type: ignore[index]
        return int(pages) * int(size)

    @translate_errors
    async def prune_calls(self, before: datetime, *, dry_run: bool = False, batch: int = PRUNE_BATCH) -> PruneReport:
        """Delete the rows logged before ``before`` and content only they used; keep the rollups."""
        cutoff = ts(before)
        conn = await self._db()
        async with conn.execute(_COUNT, (cutoff,)) as cur:
            rows, captured = await cur.fetchone()  # type: ignore[misc]
        if dry_run or not rows:
            return PruneReport(before, int(rows), int(captured), dry_run)
        size_before = await self._size()
        while True:
            async with self._transaction() as tx:
                async with tx.execute(_BATCH, (cutoff, batch)) as cur:
                    ids = [row[0] for row in await cur.fetchall()]
                if not ids:
                    break
                marks = ", ".join("?" * len(ids))
                await tx.execute(
                    f"DELETE FROM llm_call_tags WHERE called_at < ? AND row_id IN ({marks})", [cutoff, *ids]
                )
                await tx.execute(f"DELETE FROM llm_api_calls WHERE id IN ({marks})", ids)
        async with self._transaction() as tx:
            await forget.delete_unused_content(tx)
            # The full-text index keeps deleted words in old segments until it is rewritten.
            await forget.rewrite_index(tx)
        size_after: int | None = None
        try:
            async with self._write_lock:
                await conn.execute("VACUUM")
                await conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the WAL held old page images
            size_after = await self._size()
        except sqlite3.OperationalError as exc:
            if not is_busy(exc):
                raise
            logger.warning("llmring: pruned, but another process holds the database: not vacuumed (%s)", exc)
        return PruneReport(before, int(rows), int(captured), False, size_before, size_after)
