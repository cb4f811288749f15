"""Where llmring keeps its data and how it finds provider credentials.

Nothing here runs at import time: paths are resolved when asked for, so ``XDG_DATA_HOME`` and
friends set by a test or a shell are always honoured.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

APP_NAME = "llmring"
SQLITE_ENV = "LLMRING_SQLITE_DB"
STRICT_COST_ENV = "LLMRING_STRICT_COST"
DATABASE_URL_ENV = "DATABASE_URL"

# Provider -> the env vars that may hold its key, in order of preference.
API_KEY_ENV: dict[str, tuple[str, ...]] = {
    "openai": ("OPENAI_API_KEY",),
    "anthropic": ("ANTHROPIC_API_KEY",),
    "google": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
    "ollama": (),
}

# Provider -> env vars that override its base URL, in order of preference, and the default.
BASE_URL_ENV: dict[str, tuple[str, ...]] = {
    "openai": ("OPENAI_BASE_URL",),
    "anthropic": ("ANTHROPIC_BASE_URL",),
    "google": ("GOOGLE_GEMINI_BASE_URL",),
    "ollama": ("OLLAMA_HOST", "OLLAMA_BASE_URL"),
}
DEFAULT_BASE_URL: dict[str, str] = {
    "openai": "https://api.openai.com/v1",
    "anthropic": "https://api.anthropic.com",
    "google": "https://generativelanguage.googleapis.com/v1beta",
    "ollama": "http://localhost:11434",
}


def default_sqlite_path() -> Path:
    """The embedded SQLite file in the platformdirs user data dir (honours XDG_DATA_HOME)."""
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False) / "llmring.db"


def strict_cost_default() -> bool:
    """``LLMRING_STRICT_COST`` as a flag (``1``, ``true``, ``yes``, ``on``): the default of
    ``LLMRing(strict_cost=...)``."""
    return os.environ.get(STRICT_COST_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def api_key_for(provider: str) -> str | None:
    """The first non-empty key env var for ``provider``, or None."""
    for name in API_KEY_ENV.get(provider, ()):
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


def base_url_for(provider: str) -> str:
    """The provider's base URL from env, else its public default (no trailing slash)."""
    for name in BASE_URL_ENV.get(provider, ()):
        value = os.environ.get(name, "").strip()
        if value:
            if provider == "ollama" and "://" not in value:
                value = f"http://{value}"  # OLLAMA_HOST is often given as host:port
            return value.rstrip("/")
    return DEFAULT_BASE_URL[provider]


@dataclass(frozen=True)
class DatabaseTarget:
    """Which store to open: a SQLite file or a PostgreSQL URL (never both)."""

    sqlite_path: Path | None = None
    database_url: str | None = field(default=None, repr=False)

    @property
    def backend(self) -> str:
        return "postgres" if self.database_url else "sqlite"

    def describe(self) -> str:
        """A human description with the password masked."""
        if self.database_url:
            from llmring.errors import redact

            return redact(self.database_url) or ""
        return str(self.sqlite_path)

    def identity(self) -> str:
        """What names this database across processes (an absolute path; the masked URL)."""
        return str(self.sqlite_path.resolve()) if self.sqlite_path is not None else self.describe()

    def __repr__(self) -> str:
        return f"DatabaseTarget({self.describe()!r})"


def resolve_database(sqlite: str | os.PathLike[str] | None = None, database_url: str | None = None) -> DatabaseTarget:
    """Pick the store: explicit args first, then ``LLMRING_SQLITE_DB``/``DATABASE_URL``, then the default.

    A ``sqlite:///path`` URL is accepted wherever a database URL is.
    """
    from llmring.errors import ConfigurationError

    if sqlite is not None and database_url:
        raise ConfigurationError("give either --sqlite or --database-url, not both")
    if sqlite is not None:
        return DatabaseTarget(sqlite_path=Path(sqlite).expanduser())
    url = database_url or None
    if url is None and os.environ.get(SQLITE_ENV):
        return DatabaseTarget(sqlite_path=Path(os.environ[SQLITE_ENV]).expanduser())
    if url is None:
        url = os.environ.get(DATABASE_URL_ENV) or None
    if url is None:
        return DatabaseTarget(sqlite_path=default_sqlite_path())
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        if not path.strip():
            raise ConfigurationError("sqlite:/// URL has no file path: use sqlite:///path/to/llmring.db")
        return DatabaseTarget(sqlite_path=Path(path).expanduser())
    if url.startswith(("postgresql://", "postgres://")):
        return DatabaseTarget(database_url=url)
    raise ConfigurationError(
        "database URL must start with postgresql:// or sqlite:///: check --database-url / DATABASE_URL"
    )
