"""Fixtures every test gets: no real home directory, no real API keys, no real network config.

The session is also watched for leaked secrets (``tests/secret_watch.py``): a root-logger handler
and an ``LLMRingError`` hook are installed at start, and tests marked ``secrets_scan`` are moved
to the very end, where they check what the watch saw and every file the session wrote.
"""

from __future__ import annotations

import pytest

from tests.secret_watch import SECRET_WATCH, SecretWatch, fake_secrets

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
    "LLMRING_CONFIG",
    "LLMRING_MODEL",
    "LLMRING_TIMEOUT",
    "LLMRING_RETRIES",
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


def pytest_configure(config: pytest.Config) -> None:
    watch = SecretWatch(fake_secrets())
    watch.install()
    config.stash[SECRET_WATCH] = watch


def pytest_unconfigure(config: pytest.Config) -> None:
    watch = config.stash.get(SECRET_WATCH, None)
    if watch is not None:
        watch.uninstall()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run ``secrets_scan`` tests after every other test (they check what the others left behind)."""
    last = [item for item in items if item.get_closest_marker("secrets_scan")]
    if last:
        items[:] = [item for item in items if not item.get_closest_marker("secrets_scan")] + last


# The PostgreSQL server for tests that ask for ``pg_dsn`` (started lazily, once per session).
from tests.pg_server import pg_dsn  # noqa: E402, F401
