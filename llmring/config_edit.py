"""Edits to an ``llmring.toml`` that keep the user's comments, order and layout (``tomlkit``).

Each edit reads the file (a missing file is an empty one), changes one key or alias, checks the
whole document against ``config.SCHEMA`` and only then replaces the file atomically: a failed
edit leaves the file as it was.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from llmring.config import ALIASES, SCHEMA, alias_models, check_document
from llmring.errors import ConfigurationError


def _edit(path: Path, change: Callable[[Any], Any]) -> Any:
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    try:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        document = tomlkit.parse(text)
    except (OSError, UnicodeDecodeError, TOMLKitError) as exc:
        raise ConfigurationError(f"{path}: cannot edit the config file: {exc}") from None
    result = change(document)
    check_document(document.unwrap(), path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".llmring-", suffix=".toml", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(tomlkit.dumps(document))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return result


def set_key(path: Path, key: str, value: Any) -> None:
    """Set top-level ``key`` (checked against the schema) in the file at ``path``."""
    try:
        checked = SCHEMA[key].check(value)
    except ValueError as exc:
        raise ConfigurationError(f"{key}: {exc}") from None
    if isinstance(checked, float) and checked.is_integer():
        checked = int(checked)  # "timeout = 45", as a person would write it

    def change(document: Any) -> None:
        if key in document:
            document[key] = checked
        else:
            # New top-level keys go before the first table, where TOML needs them.
            document.add(key, checked) if not _has_tables(document) else _insert_top(document, key, checked)

    _edit(path, change)


def _has_tables(document: Any) -> bool:
    import tomlkit.items

    return any(isinstance(v, tomlkit.items.Table | tomlkit.items.AoT) for v in document.values())


def _insert_top(document: Any, key: str, value: Any) -> None:
    """Insert ``key`` right after the last top-level value (before the first table)."""
    import tomlkit.items

    body = document.body
    first_table = next(
        i for i, (_, item) in enumerate(body) if isinstance(item, tomlkit.items.Table | tomlkit.items.AoT)
    )
    values = [i for i, (k, _) in enumerate(body[:first_table]) if k is not None]
    document._insert_at(values[-1] + 1 if values else first_table, key, value)


def set_alias(path: Path, name: str, models: Sequence[str]) -> tuple[str, ...]:
    """Set alias ``name`` to ``models`` in the file at ``path``; returns the chain as stored."""
    import tomlkit

    try:
        chain = alias_models(name, list(models))
    except ValueError as exc:
        raise ConfigurationError(f"aliases.{name}: {exc}") from None

    def change(document: Any) -> None:
        if ALIASES not in document:
            document.add(ALIASES, tomlkit.table())
        array = tomlkit.array()
        array.extend(chain)
        document[ALIASES][name] = array

    _edit(path, change)
    return chain


def remove_alias(path: Path, name: str) -> bool:
    """Remove alias ``name`` from the file at ``path``; False when the file does not have it."""
    if not path.exists():
        return False

    def change(document: Any) -> bool:
        table = document.get(ALIASES)
        if table is None or name not in table:
            return False
        del table[name]
        return True

    return bool(_edit(path, change))
