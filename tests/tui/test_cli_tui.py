"""``llmring tui``: builds the app over the store the global options name, then runs it."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from llmring.cli.main import app as cli
from llmring.db_sqlite import SQLiteDatabase
from llmring_tui.app import LLMRingApp


@pytest.fixture
def launched(monkeypatch: pytest.MonkeyPatch) -> list[LLMRingApp]:
    """Patch ``LLMRingApp.run`` to record the app instead of taking over the terminal."""
    apps: list[LLMRingApp] = []

    def fake_run(self: LLMRingApp, *args: Any, **kwargs: Any) -> None:
        apps.append(self)

    monkeypatch.setattr(LLMRingApp, "run", fake_run)
    return apps


def opened_path(app: LLMRingApp) -> str:
    store = app.data._factory()
    assert isinstance(store, SQLiteDatabase)
    return store.db_path


def create(path: Path) -> Path:
    """An empty, initialised database at ``path`` (the dashboard opens existing databases only)."""

    async def make() -> None:
        async with SQLiteDatabase(path):
            pass

    path.parent.mkdir(parents=True, exist_ok=True)
    asyncio.run(make())
    return path


def test_tui_uses_the_sqlite_option(tmp_path: Path, launched: list[LLMRingApp]) -> None:
    path = create(tmp_path / "given.db")
    r = CliRunner().invoke(cli, ["--sqlite", str(path), "tui", "--mode", "stats", "--refresh", "2"])
    assert r.exit_code == 0, r.output
    [app] = launched
    assert opened_path(app) == str(path)
    assert app.database_label == str(path)
    assert app.DEFAULT_MODE == "stats"
    assert app.refresh_interval == 2.0


def test_tui_uses_env_and_default_resolution(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, launched: list[LLMRingApp]
) -> None:
    monkeypatch.setenv("LLMRING_SQLITE_DB", str(create(tmp_path / "env.db")))
    create(tmp_path / "url.db")
    create(Path(os.environ["XDG_DATA_HOME"]) / "llmring" / "llmring.db")
    r = CliRunner().invoke(cli, ["tui"])
    assert r.exit_code == 0, r.output
    assert opened_path(launched[-1]) == str(tmp_path / "env.db")
    assert launched[-1].DEFAULT_MODE == "calls"

    monkeypatch.delenv("LLMRING_SQLITE_DB")
    r = CliRunner().invoke(cli, ["--database-url", f"sqlite:///{tmp_path}/url.db", "tui"])
    assert r.exit_code == 0, r.output
    assert opened_path(launched[-1]) == f"{tmp_path}/url.db"

    r = CliRunner().invoke(cli, ["tui"])  # nothing given: the platformdirs default (XDG_DATA_HOME here)
    assert r.exit_code == 0, r.output
    assert opened_path(launched[-1]) == str(Path(os.environ["XDG_DATA_HOME"]) / "llmring" / "llmring.db")


def test_tui_bad_database_url_exits_2_without_starting(launched: list[LLMRingApp]) -> None:
    r = CliRunner().invoke(cli, ["--database-url", "mysql://x/y", "tui"])
    assert r.exit_code == 2
    assert launched == []
    assert "postgresql://" in r.output


def test_llmring_import_does_not_pull_in_textual() -> None:
    import subprocess
    import sys

    code = "import sys, llmring, llmring.cli.main, llmring.cli.tui; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_tui_on_a_database_that_is_not_there_exits_1_without_creating_it(
    tmp_path: Path, launched: list[LLMRingApp]
) -> None:
    typo = tmp_path / "nonexistent" / "dir" / "x.db"
    r = CliRunner().invoke(cli, ["--sqlite", str(typo), "tui"])
    assert r.exit_code == 1
    assert r.stderr.splitlines() == [
        f"Error: no database at {typo}: check --sqlite / LLMRING_SQLITE_DB, or run `llmring init-db` to create it"
    ]
    assert launched == [] and not typo.parent.parent.exists()


def test_tui_times_are_utc_unless_local(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, launched: list[LLMRingApp]
) -> None:
    import time
    from datetime import UTC, datetime

    from llmring.formatting import zone_name

    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    try:
        path = create(tmp_path / "z.db")
        assert CliRunner().invoke(cli, ["--sqlite", str(path), "tui"]).exit_code == 0
        assert CliRunner().invoke(cli, ["--sqlite", str(path), "tui", "--local"]).exit_code == 0
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    utc_app, local_app = launched
    assert utc_app.zone is UTC
    moment = datetime(2026, 3, 14, tzinfo=UTC)
    assert local_app.zone.utcoffset(moment).total_seconds() == 5.5 * 3600  # type: ignore[union-attr]
    assert zone_name(local_app.zone, moment) == "IST"
