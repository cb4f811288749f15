"""Opening a PostgreSQL store: connecting its own pool, then creating the schema and applying
the migrations in ``llmring/migrations/postgres`` through pgdbm, serialised across processes."""

from __future__ import annotations

import asyncio
from importlib import resources
from typing import TYPE_CHECKING

from llmring._postgres.errors import one_line, root_cause, url_problem
from llmring._store.schema_version import refuse_newer_schema
from llmring.errors import ConfigurationError, DatabaseError, redact

if TYPE_CHECKING:
    from pgdbm import AsyncDatabaseManager

# Serialises schema creation and migrations across processes (pgdbm's own migration lock is
# taken only after it has created its tracking table, which races on a fresh database).
_BOOTSTRAP_LOCK = "SELECT pg_advisory_lock(hashtext('llmring_bootstrap'))"
_BOOTSTRAP_UNLOCK = "SELECT pg_advisory_unlock(hashtext('llmring_bootstrap'))"


async def connect(manager: AsyncDatabaseManager, dsn: str, where: str, timeout: float) -> None:
    """Open ``manager``'s own pool; a wrong password or an unreachable host becomes one clear line."""
    problem = url_problem(dsn)
    if problem:
        raise DatabaseError(f"invalid PostgreSQL URL {redact(dsn)}: {problem} (check --database-url / DATABASE_URL)")
    for attempt in range(5):
        try:
            await asyncio.wait_for(manager.connect(), timeout)
            return
        except Exception as exc:
            cause = root_cause(exc)
            # Two processes creating the schema in the pool's connection init at once: the
            # loser sees a duplicate; the schema exists now, so simply connect again.
            if type(cause).__name__ in ("UniqueViolationError", "DuplicateSchemaError") and attempt < 4:
                await asyncio.sleep(0.05 * (attempt + 1))
                continue
            if isinstance(exc, TimeoutError) or isinstance(cause, TimeoutError):
                reason = f"no answer within {timeout:g} s"
            elif isinstance(cause, ValueError):
                reason = f"invalid URL ({one_line(cause)})"
            else:
                reason = one_line(cause)
            raise DatabaseError(
                f"cannot connect to PostgreSQL at {where}: {reason} (check --database-url / DATABASE_URL)"
            ) from None


async def bootstrap(manager: AsyncDatabaseManager, schema: str, where: str) -> tuple[AsyncDatabaseManager, list[str]]:
    """Create ``schema`` and apply pending migrations; returns the manager to query through
    (qualifying every name with ``schema``) and the names of the migrations applied."""
    from pgdbm import AsyncDatabaseManager, AsyncMigrationManager

    if manager.schema != schema:
        # A manager built from a config without a schema: reach its pool through a manager of
        # our own that qualifies every name with our schema.
        pool = getattr(manager, "_pool", None)
        if pool is None:
            raise DatabaseError(f"PostgreSQL {where}: connect the injected manager before initialize()")
        manager = AsyncDatabaseManager(pool=pool, schema=schema)
    pool_size = getattr(getattr(manager, "_pool", None), "get_max_size", lambda: 2)()
    if pool_size < 2:
        raise ConfigurationError(
            f"PostgreSQL {where}: the pool holds {pool_size} connection(s); llmring needs at least 2"
            " (one holds the migration lock while another migrates)"
        )
    migrations = resources.files("llmring").joinpath("migrations", "postgres")
    async with manager.acquire() as conn:
        await conn.execute("SET lock_timeout = 0")  # undone when the connection is released
        await conn.execute(_BOOTSTRAP_LOCK)
        try:
            await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            migrator = AsyncMigrationManager(manager, migrations_path=str(migrations), module_name="llmring")
            result = await migrator.apply_pending_migrations()
            bundled = (entry.name for entry in migrations.iterdir() if entry.name.endswith(".sql"))
            refuse_newer_schema(await migrator.get_applied_migrations(), bundled, f"PostgreSQL {where}")
        finally:
            await conn.execute(_BOOTSTRAP_UNLOCK)
    return manager, [item["filename"].removesuffix(".sql") for item in result.get("applied", [])]
