"""The response cache in the SQLite store: ``llm_response_cache``, expiring at ``schemas.utc_now()``."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from llmring import schemas
from llmring._sqlite import codec
from llmring._sqlite.errors import translate_errors
from llmring._store.checks import check_ttl

T = TypeVar("T")


class SQLiteCache:
    """The response-cache methods of ``SQLiteDatabase`` (see ``llmring.store.Store``)."""

    if TYPE_CHECKING:

        async def _fetchall(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]: ...

        async def _write(self, work: Callable[[sqlite3.Connection], T]) -> T: ...

    @translate_errors
    async def cache_get(self, key: str) -> dict[str, Any] | None:
        """The value cached under ``key``, or None if absent or expired (at ``schemas.utc_now()``)."""
        rows = await self._fetchall(
            "SELECT value FROM llm_response_cache WHERE key = ? AND expires_at > ?",
            (key, codec.ts(schemas.utc_now())),
        )
        return codec.load_json(rows[0][0]) if rows else None

    @translate_errors
    async def cache_set(self, key: str, value: dict[str, Any], ttl_seconds: int) -> None:
        """Store ``value`` (JSON; Decimals become strings) under ``key`` for ``ttl_seconds``."""
        check_ttl(ttl_seconds)
        now = schemas.utc_now()
        values = (key, codec.dump_json(value), codec.ts(now), codec.ts(now + timedelta(seconds=ttl_seconds)))
        await self._write(
            lambda conn: conn.execute(
                "INSERT INTO llm_response_cache (key, value, created_at, expires_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
                " created_at = excluded.created_at, expires_at = excluded.expires_at",
                values,
            )
        )

    @translate_errors
    async def cache_purge_expired(self) -> int:
        """Delete expired entries; returns how many went."""
        now = codec.ts(schemas.utc_now())
        return await self._write(
            lambda conn: conn.execute("DELETE FROM llm_response_cache WHERE expires_at <= ?", (now,)).rowcount
        )
