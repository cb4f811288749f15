"""The schema version check both stores make on open: a database migrated by a newer llmring
(it records migrations this package does not ship) is refused with one line, never written."""

from __future__ import annotations

from collections.abc import Iterable

from llmring.errors import DatabaseError


def refuse_newer_schema(recorded: Iterable[str], bundled: Iterable[str], where: str) -> None:
    """Raise ``DatabaseError`` when ``where`` records migrations this package does not have: a
    newer llmring migrated it, and writing rows shaped for the old schema could corrupt it."""
    unknown = sorted(set(recorded) - set(bundled))
    if unknown:
        raise DatabaseError(
            f"{where}: its schema is newer than this llmring (unknown migration {', '.join(unknown)});"
            " upgrade llmring (pip install -U llmring) to use it"
        )
