"""``open_store`` picks the backend a ``DatabaseTarget`` names."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmring import stores
from llmring.db_sqlite import SQLiteDatabase
from llmring.errors import ConfigurationError
from llmring.settings import DatabaseTarget, resolve_database


def test_sqlite_target_opens_sqlite(tmp_path: Path) -> None:
    store = stores.open_store(resolve_database(tmp_path / "x.db"))
    assert isinstance(store, SQLiteDatabase)
    assert store.db_path == str(tmp_path / "x.db")
    assert not (tmp_path / "x.db").exists()  # opening is lazy: initialize() creates the file


def test_postgres_target_without_the_backend_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)

    monkeypatch.setattr(stores, "import_module", missing)
    with pytest.raises(ConfigurationError, match="use --sqlite"):
        stores.open_store(DatabaseTarget(database_url="postgresql://u@localhost/db"))


def test_a_broken_postgres_backend_is_not_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(name: str) -> None:
        raise ModuleNotFoundError("No module named 'asyncpg'", name="asyncpg")

    monkeypatch.setattr(stores, "import_module", broken)
    with pytest.raises(ModuleNotFoundError, match="asyncpg"):
        stores.open_store(DatabaseTarget(database_url="postgresql://u@localhost/db"))
