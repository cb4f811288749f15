"""Named, ordered SQLite migrations: ``llmring/migrations/sqlite/NNN_name.sql`` (package data).

Each file runs in its own ``BEGIN IMMEDIATE`` transaction together with the row that records it
in ``schema_migrations``. The check for "already applied" happens inside that transaction, so
several processes initialising one file at the same time apply each migration exactly once.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

from llmring._sqlite.codec import ts
from llmring.schemas import utc_now

if TYPE_CHECKING:
    import aiosqlite

_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")

CREATE_MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    name TEXT PRIMARY KEY,
    applied_at TEXT NOT NULL
)
"""


@dataclass(frozen=True)
class Migration:
    """One migration file: its name (without ``.sql``) and its SQL text."""

    name: str
    sql: str


def load_migrations() -> list[Migration]:
    """The bundled migrations in order; a misnamed or duplicate-numbered file is a packaging bug."""
    folder = resources.files("llmring").joinpath("migrations", "sqlite")
    found: dict[str, Migration] = {}
    for entry in folder.iterdir():
        if not entry.name.endswith(".sql"):
            continue
        match = _NAME.match(entry.name)
        if match is None:
            raise RuntimeError(f"bad migration file name {entry.name!r}: expected NNN_name.sql")
        number = match.group(1)
        if number in found:
            raise RuntimeError(f"two SQLite migrations numbered {number}")
        found[number] = Migration(entry.name.removesuffix(".sql"), entry.read_text(encoding="utf-8"))
    return [found[number] for number in sorted(found)]


def split_statements(sql: str) -> list[str]:
    """Split a script into statements (``;`` inside strings or triggers does not end one)."""
    statements: list[str] = []
    buffer = ""
    for piece in sql.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            statement = _strip_comments(buffer).strip()
            if statement.rstrip(";").strip():
                statements.append(statement)
            buffer = ""
    if _strip_comments(buffer).strip(" \n\t;"):
        raise RuntimeError(f"incomplete SQL statement at the end of a migration: {buffer.strip()[:60]!r}")
    return statements


def _strip_comments(sql: str) -> str:
    return "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))


async def apply_migrations(conn: aiosqlite.Connection) -> list[str]:
    """Apply every pending migration; returns the names applied now (empty when up to date)."""
    await conn.execute(CREATE_MIGRATIONS_TABLE)
    applied_now: list[str] = []
    for migration in load_migrations():
        async with conn.execute("SELECT 1 FROM schema_migrations WHERE name = ?", (migration.name,)) as cur:
            if await cur.fetchone() is not None:
                continue
        await conn.execute("BEGIN IMMEDIATE")
        try:
            async with conn.execute("SELECT 1 FROM schema_migrations WHERE name = ?", (migration.name,)) as cur:
                already = await cur.fetchone() is not None
            if not already:
                for statement in split_statements(migration.sql):
                    await conn.execute(statement)
                await conn.execute(
                    "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                    (migration.name, ts(utc_now())),
                )
                applied_now.append(migration.name)
            await conn.execute("COMMIT")
        except BaseException:
            await conn.execute("ROLLBACK")
            raise
    return applied_now


async def recorded_migrations(conn: aiosqlite.Connection) -> list[str]:
    """The names of the migrations the file says were applied (by any llmring version)."""
    async with conn.execute("SELECT name FROM schema_migrations") as cur:
        return [row[0] for row in await cur.fetchall()]
