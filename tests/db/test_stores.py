"""``open_store`` picks the backend a ``DatabaseTarget`` names, and opens nothing yet."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from llmring.db import LLMDatabase
from llmring.db_sqlite import SQLiteDatabase
from llmring.settings import DatabaseTarget, resolve_database
from llmring.store import open_store


def test_sqlite_target_opens_sqlite(tmp_path: Path) -> None:
    store = open_store(resolve_database(tmp_path / "x.db"))
    assert isinstance(store, SQLiteDatabase)
    assert store.db_path == str(tmp_path / "x.db")
    assert not (tmp_path / "x.db").exists()  # opening is lazy: initialize() creates the file


def test_postgres_target_opens_postgres_without_connecting() -> None:
    # Port 1 answers nothing: building the store must not try it.
    store = open_store(DatabaseTarget(database_url="postgresql://u:pw@127.0.0.1:1/db"))
    assert isinstance(store, LLMDatabase)
    assert "pw" not in repr(store)


def test_a_broken_postgres_backend_is_not_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "llmring.db")
    monkeypatch.setitem(sys.modules, "asyncpg", None)  # "import asyncpg" now fails
    monkeypatch.setitem(sys.modules, "pgdbm", None)
    with pytest.raises(ImportError, match=r"pgdbm|asyncpg"):
        open_store(DatabaseTarget(database_url="postgresql://u@localhost/db"))
