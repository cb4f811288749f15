"""Captured content in the SQLite store (issue 17): writing it with the calls, reading it back,
and forgetting it (the forgetting steps are in ``llmring._sqlite.forget``)."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from llmring._sqlite import codec, forget, queries
from llmring._sqlite.errors import translate_errors
from llmring.capture import captured_call

if TYPE_CHECKING:
    import asyncio
    from contextlib import AbstractAsyncContextManager
    from datetime import datetime

    import aiosqlite

    from llmring._store.content import ContentRows
    from llmring.capture import CapturedCall


class SQLiteContent:
    """The captured-content methods of ``SQLiteDatabase`` (see ``llmring.store.Store``)."""

    if TYPE_CHECKING:

        async def _fetchall(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]: ...

        _write_lock: asyncio.Lock

        async def _db(self) -> aiosqlite.Connection: ...

        def _transaction(self) -> AbstractAsyncContextManager[aiosqlite.Connection]: ...

    @staticmethod
    def _write_content(conn: sqlite3.Connection, content: ContentRows) -> None:
        """New pieces (indexed for search in one statement), then each row's links to them."""
        row = conn.execute(queries.LAST_CONTENT_ID).fetchone()
        last_id = row[0] if row else 0
        conn.executemany(queries.INSERT_CONTENT, content.pieces)
        conn.execute(queries.INDEX_CONTENT, (last_id,))
        conn.executemany(queries.LINK_CONTENT, content.links)

    @translate_errors
    async def get_call_contents(self, record_ids: Sequence[str]) -> dict[str, CapturedCall]:
        """The captured content of each of ``record_ids`` that has some, by id."""
        found: dict[str, list[tuple[str, str, str | None]]] = {}
        ids = list(dict.fromkeys(record_ids))
        for start in range(0, len(ids), 500):  # SQLite caps the number of parameters
            chunk = ids[start : start + 500]
            for row in await self._fetchall(queries.content_query(len(chunk)), chunk):
                found.setdefault(row[0], []).append((row[1], row[2], row[3]))
        return {record_id: captured_call(parts) for record_id, parts in found.items()}

    @translate_errors
    async def latest_conversation(self, origin: str | None = None) -> str | None:
        """The conversation of the most recent call in one (from ``origin``, if given), or None."""
        where = "conversation_id IS NOT NULL" + (" AND origin = ?" if origin is not None else "")
        rows = await self._fetchall(
            f"SELECT conversation_id FROM llm_api_calls WHERE {where} ORDER BY called_at DESC, id DESC LIMIT 1",
            () if origin is None else (origin,),
        )
        return str(rows[0][0]) if rows else None

    @translate_errors
    async def forget_content(self, record_ids: Sequence[str]) -> int:
        """Remove what these rows captured (the rows stay; pieces other calls share stay); returns
        how many had content. The text is overwritten in the file, not just unlinked."""
        return await self._forgetting(lambda conn: forget.forget_rows(conn, record_ids))

    @translate_errors
    async def prune_content(self, before: datetime) -> int:
        """``forget_content`` for every row called before ``before``; returns how many had content."""
        return await self._forgetting(lambda conn: forget.forget_older(conn, codec.ts(before)))

    async def _forgetting(self, step: Callable[[aiosqlite.Connection], Awaitable[int]]) -> int:
        conn = await self._db()
        await conn.execute("PRAGMA secure_delete = ON")  # zero what is deleted, not just free it
        try:
            async with self._transaction() as tx:
                forgotten = await step(tx)
                if forgotten:
                    await forget.rewrite_index(tx)
            if forgotten:
                async with self._write_lock:
                    await forget.checkpoint(conn)
        finally:
            await conn.execute("PRAGMA secure_delete = OFF")
        return forgotten
