"""The response cache in the PostgreSQL store: ``llm_response_cache``, expiring at ``schemas.utc_now()``."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from llmring import schemas
from llmring._postgres import codec
from llmring._postgres.errors import translate_errors
from llmring._store.checks import check_ttl
from llmring._store.values import dump_json

if TYPE_CHECKING:
    from pgdbm import AsyncDatabaseManager


class PostgresCache:
    """The response-cache methods of ``LLMDatabase`` (see ``llmring.store.Store``)."""

    if TYPE_CHECKING:

        async def _manager_ready(self) -> AsyncDatabaseManager: ...

    @translate_errors
    async def cache_get(self, key: str) -> dict[str, Any] | None:
        """The value cached under ``key``, or None if absent or expired (at ``schemas.utc_now()``)."""
        db = await self._manager_ready()
        value = await db.fetch_value(
            "SELECT value FROM {{tables.llm_response_cache}} WHERE key = $1 AND expires_at > $2",
            key,
            codec.utc(schemas.utc_now()),
        )
        return None if value is None else json.loads(value)

    @translate_errors
    async def cache_set(self, key: str, value: dict[str, Any], ttl_seconds: int) -> None:
        """Store ``value`` (JSON; Decimals become strings) under ``key`` for ``ttl_seconds``."""
        check_ttl(ttl_seconds)
        db = await self._manager_ready()
        now = codec.utc(schemas.utc_now())
        await db.execute(
            "INSERT INTO {{tables.llm_response_cache}} (key, value, created_at, expires_at)"
            " VALUES ($1, $2::jsonb, $3, $4) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value,"
            " created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at",
            key,
            dump_json(value),
            now,
            now + timedelta(seconds=ttl_seconds),
        )

    @translate_errors
    async def cache_purge_expired(self) -> int:
        """Delete expired entries; returns how many went."""
        db = await self._manager_ready()
        status = await db.execute(
            "DELETE FROM {{tables.llm_response_cache}} WHERE expires_at <= $1", codec.utc(schemas.utc_now())
        )
        return int(status.split()[-1])
