"""The bundled migrations' names, so schema tests check "every migration, once" without listing
them (each issue adds its own numbered file)."""

from __future__ import annotations

from importlib import resources


def _names(backend: str) -> list[str]:
    folder = resources.files("llmring").joinpath("migrations", backend)
    return sorted(entry.name.removesuffix(".sql") for entry in folder.iterdir() if entry.name.endswith(".sql"))


SQLITE_MIGRATIONS = _names("sqlite")
POSTGRES_MIGRATIONS = _names("postgres")


def applied_line(names: list[str]) -> str:
    """``init-db``'s line for a fresh database."""
    return f"Schema: applied {len(names)} migration(s): {', '.join(names)}"
