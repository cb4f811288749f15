"""Fixtures every test gets: no real home directory, no real API keys, no real network config."""

from __future__ import annotations

import pytest

_ENV_TO_CLEAR = (
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "OPENAI_BASE_URL",
    "ANTHROPIC_BASE_URL",
    "GOOGLE_GEMINI_BASE_URL",
    "OLLAMA_HOST",
    "OLLAMA_BASE_URL",
    "DATABASE_URL",
    "LLMRING_SQLITE_DB",
)


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point HOME and the XDG dirs at a temp dir and drop provider/database settings."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    for name in _ENV_TO_CLEAR:
        monkeypatch.delenv(name, raising=False)


# The PostgreSQL server for tests that ask for ``pg_dsn`` (started lazily, once per session).
from tests.pg_server import pg_dsn  # noqa: E402, F401
