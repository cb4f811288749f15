"""Open the store a ``DatabaseTarget`` names (SQLite file or PostgreSQL URL)."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from llmring.errors import ConfigurationError

if TYPE_CHECKING:
    from llmring.settings import DatabaseTarget
    from llmring.store import Store


def open_store(target: DatabaseTarget) -> Store:
    """A new, not yet initialised store for ``target``; the caller initialises and closes it."""
    if target.backend == "sqlite":
        from llmring.db_sqlite import SQLiteDatabase

        assert target.sqlite_path is not None
        return SQLiteDatabase(target.sqlite_path)
    try:
        # Imported by name so this module does not depend on the PostgreSQL backend existing.
        db_module = import_module("llmring.db")
    except ModuleNotFoundError as exc:
        if exc.name != "llmring.db":
            raise
        raise ConfigurationError("PostgreSQL backend is not available yet: use --sqlite") from exc
    store: Store = db_module.LLMDatabase(connection_string=target.database_url)
    return store
