"""``CallFilters`` as SQL ``WHERE`` clauses, for both stores.

What each filter means (a ``provider:model`` prefix only when it names a provider, since Ollama
names have colons too; ``search`` as a literal, case-insensitive substring) lives here once. The
stores differ only in how a value becomes a placeholder, how a datetime is stored, and which
case-insensitive LIKE they have, so those are passed in.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from llmring.routing import split_model

if TYPE_CHECKING:
    from llmring.store import CallFilters

_SEARCHED = ("(provider || ':' || model_name)", "origin", "id_at_origin", "error_message")


def where_clauses(
    filters: CallFilters, param: Callable[[Any], str], stored_time: Callable[[datetime], Any], contains: str
) -> list[str]:
    """The clauses to AND together (empty: no filter).

    ``param(value)`` records a value and returns its placeholder; ``stored_time`` turns a datetime
    into what the ``called_at`` column holds; ``contains`` is a case-insensitive LIKE with
    ``{column}`` and ``{pattern}`` slots, backslash escaping ``%``, ``_`` and itself.
    """
    clauses: list[str] = []
    if filters.origin is not None:
        clauses.append(f"origin = {param(filters.origin)}")
    if filters.id_at_origin is not None:
        clauses.append(f"id_at_origin = {param(filters.id_at_origin)}")
    if filters.model is not None:
        provider, name = split_model(filters.model)
        if provider is not None:
            clauses.append(f"provider = {param(provider)} AND model_name = {param(name)}")
        else:
            clauses.append(f"model_name = {param(name)}")
    if filters.provider is not None:
        clauses.append(f"provider = {param(filters.provider)}")
    if filters.status is not None:
        clauses.append(f"status = {param(filters.status)}")
    if filters.since is not None:
        clauses.append(f"called_at >= {param(stored_time(filters.since))}")
    if filters.search:
        escaped = filters.search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        matches = (contains.format(column=column, pattern=param(f"%{escaped}%")) for column in _SEARCHED)
        clauses.append(f"({' OR '.join(matches)})")
    if filters.before is not None:
        moment, call_id = filters.before
        clauses.append(f"(called_at, id) < ({param(stored_time(moment))}, {param(call_id)})")
    return clauses
