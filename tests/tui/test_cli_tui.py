"""``llmring tui``: builds the app over the store the global options name, then runs it."""

from __future__ import annotations

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


def test_tui_uses_the_sqlite_option(tmp_path: Path, launched: list[LLMRingApp]) -> None:
    path = tmp_path / "given.db"
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
    monkeypatch.setenv("LLMRING_SQLITE_DB", str(tmp_path / "env.db"))
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
