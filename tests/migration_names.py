"""The bundled migrations' names, for tests that check what a fresh store applied.

Several issues add a numbered migration each (COMMON rules: 002 pricing, 003 aliases, 004
request controls, ...), so tests read the list from the package instead of spelling it out.
"""

from __future__ import annotations

from importlib import resources


def migration_names(backend: str = "sqlite") -> list[str]:
    """The ``NNN_name`` of every bundled migration of ``backend``, in the order they apply."""
    folder = resources.files("llmring").joinpath("migrations", backend)
    return sorted(entry.name.removesuffix(".sql") for entry in folder.iterdir() if entry.name.endswith(".sql"))


def applied_line(backend: str = "sqlite") -> str:
    """What ``init-db`` prints for a fresh store of ``backend``."""
    names = migration_names(backend)
    return f"Schema: applied {len(names)} migrations, {names[0]} to {names[-1]}"
