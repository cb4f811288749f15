"""Captured content in the PostgreSQL store (issue 17): writing it with the calls, reading it
back, and forgetting it (the forgetting statements are in ``llmring._postgres.forget``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from llmring._postgres import codec, forget, queries
from llmring._postgres.errors import translate_errors
from llmring.capture import captured_call

if TYPE_CHECKING:
    from datetime import datetime

    from pgdbm import AsyncDatabaseManager

    from llmring._store.content import ContentRows
    from llmring.capture import CapturedCall


class PostgresContent:
    """The captured-content methods of ``LLMDatabase`` (see ``llmring.store.Store``)."""

    if TYPE_CHECKING:

        async def _manager_ready(self) -> AsyncDatabaseManager: ...

    @staticmethod
    async def _write_content(tx: Any, content: ContentRows) -> None:
        """Write captured content in the calls' transaction: new pieces, then the links."""
        await tx.execute(queries.INSERT_CONTENT, *(list(column) for column in zip(*content.pieces, strict=True)))
        await tx.execute(queries.LINK_CONTENT, *(list(column) for column in zip(*content.links, strict=True)))

    @translate_errors
    async def get_call_contents(self, record_ids: Sequence[str]) -> dict[str, CapturedCall]:
        """The captured content of each of ``record_ids`` that has some, by id."""
        db = await self._manager_ready()
        found: dict[str, list[tuple[str, str, str | None]]] = {}
        for row in await db.fetch_all(queries.CONTENT_OF, list(dict.fromkeys(record_ids))):
            found.setdefault(row["record_id"], []).append((row["kind"], row["text"], row["extra"]))
        return {record_id: captured_call(parts) for record_id, parts in found.items()}

    @translate_errors
    async def latest_conversation(self, origin: str | None = None) -> str | None:
        """The conversation of the most recent call in one (from ``origin``, if given), or None."""
        db = await self._manager_ready()
        where = "conversation_id IS NOT NULL" + (" AND origin = $1" if origin is not None else "")
        sql = (
            f"SELECT conversation_id FROM {{{{tables.llm_api_calls}}}} WHERE {where}"
            " ORDER BY called_at DESC, id DESC LIMIT 1"
        )
        value = await db.fetch_value(sql, *(() if origin is None else (origin,)))
        return None if value is None else str(value)

    @translate_errors
    async def forget_content(self, record_ids: Sequence[str]) -> int:
        """Remove what these rows captured (the rows stay; pieces other calls share stay);
        returns how many had content."""
        db = await self._manager_ready()
        async with db.transaction() as tx:
            gone = await tx.fetch_one(forget.FORGET_ROWS, list(dict.fromkeys(record_ids)))
            if gone is None or not gone["forgotten"]:
                return 0
            await tx.execute(forget.DELETE_UNUSED_OF, list(gone["pieces"]))
            return int(gone["forgotten"])

    @translate_errors
    async def prune_content(self, before: datetime) -> int:
        """``forget_content`` for every row called before ``before``; returns how many had content."""
        db = await self._manager_ready()
        async with db.transaction() as tx:
            forgotten = int(await tx.fetch_value(forget.FORGET_OLDER, codec.utc(before)))
            await tx.execute(forget.DELETE_UNUSED)
            return forgotten
