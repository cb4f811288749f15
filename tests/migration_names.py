"""The bundled migrations' names, for tests that check what a fresh store applies (several
issues add migrations; a test should not need editing for each)."""

from __future__ import annotations

from llmring._sqlite.migrations import load_migrations

MIGRATIONS: list[str] = [m.name for m in load_migrations()]
APPLIED_LINE = f"Schema: applied {len(MIGRATIONS)} migration(s): {', '.join(MIGRATIONS)}"
