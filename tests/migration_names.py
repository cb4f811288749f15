"""The bundled migrations' names, for tests that check what a fresh database applied (several
issues add migrations; a test that spelled out "001_initial" alone broke with each of them)."""

from __future__ import annotations

from importlib import resources


def migration_names(backend: str = "sqlite") -> list[str]:
    """The names (without ``.sql``) of ``backend``'s bundled migrations, in the order applied."""
    folder = resources.files("llmring").joinpath("migrations", backend)
    return sorted(entry.name.removesuffix(".sql") for entry in folder.iterdir() if entry.name.endswith(".sql"))


def applied_line(backend: str = "sqlite") -> str:
    """What ``llmring init-db`` prints after migrating a fresh database."""
    names = migration_names(backend)
    return f"Schema: applied {len(names)} migration(s): {', '.join(names)}"
