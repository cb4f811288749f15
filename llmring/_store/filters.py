"""``CallFilters`` as SQL ``WHERE`` and ``ORDER BY`` clauses, for both stores.

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

_SEARCHED = ("(provider || ':' || model_name)", "origin", "id_at_origin")


def like_pattern(text: str) -> str:
    """``text`` as a LIKE pattern matching it anywhere (backslash escapes ``%``, ``_`` and itself)."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def where_clauses(
    filters: CallFilters,
    param: Callable[[Any], str],
    stored_time: Callable[[datetime], Any],
    contains: str,
    has_tag: Callable[[str, str], str],
    content_match: tuple[str, Callable[[str], Any]] | None = None,
) -> list[str]:
    """The clauses to AND together (empty: no filter).

    ``param(value)`` records a value and returns its placeholder; ``stored_time`` turns a datetime
    into what the ``called_at`` column holds; ``contains`` is a case-insensitive LIKE with
    ``{column}`` and ``{pattern}`` slots, backslash escaping ``%``, ``_`` and itself;
    ``has_tag(key, value)`` is the store's indexed test that a row carries that tag (issue 16).
    ``content_match`` (issue 17) is the store's full-text test of captured prompts and answers:
    a clause with a ``{query}`` slot and how the search text becomes its value.
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
    clauses += [has_tag(key, value) for key, value in filters.tags]
    if filters.conversation_id is not None:
        clauses.append(f"conversation_id = {param(filters.conversation_id)}")
    if filters.call_id is not None:
        clauses.append(f"call_id = {param(filters.call_id)}")
    if filters.since is not None:
        clauses.append(f"called_at >= {param(stored_time(filters.since))}")
    if filters.search:
        like = like_pattern(filters.search)
        matches = [contains.format(column=column, pattern=param(like)) for column in _SEARCHED]
        # Error messages are looked at on failed rows only, so a store can find them by status.
        error = contains.format(column="error_message", pattern=param(like))
        matches.append(f"(status <> 'success' AND {error})")
        if content_match is not None:
            clause, value = content_match
            matches.append(clause.format(query=param(value(filters.search))))
        clauses.append(f"({' OR '.join(matches)})")
    if filters.before is not None:
        moment, call_id = filters.before
        clauses.append(f"(called_at, id) < ({param(stored_time(moment))}, {param(call_id)})")
    return clauses


# order_by -> the columns it sorts on (``{cost}`` is each store's cost column), and whether they
# can be NULL (NULLs go last in both directions: ``(x IS NULL)`` sorts false first everywhere).
# Text columns sort by byte (``{text}`` is a collation clause, so PostgreSQL sorts as SQLite does).
_ORDER_COLUMNS: dict[str, tuple[tuple[str, ...], bool]] = {
    "time": (("called_at",), False),
    "cost": (("{cost}",), True),
    "tokens": (("(prompt_tokens + completion_tokens)",), False),
    "latency": (("response_time_ms",), True),
    "model": (("provider{text}", "model_name{text}"), False),
    "status": (("status{text}",), False),
    "origin": (("origin{text}", "id_at_origin{text}"), False),
}


def order_clause(filters: CallFilters, cost_column: str, text_collation: str = "") -> str:
    """``ORDER BY ...`` for ``filters.order_by``: a total order (ties newest first, then by id).

    ``cost_column`` is the store's cost column; ``text_collation`` (``' COLLATE "C"'`` on
    PostgreSQL) makes text sort by byte as SQLite's does.
    """
    columns, nullable = _ORDER_COLUMNS[filters.order_by]
    columns = tuple(c.format(cost=cost_column, text=text_collation) for c in columns)
    direction = "ASC" if filters.ascending else "DESC"
    parts = [f"({columns[0]} IS NULL)"] if nullable else []
    parts += [f"{column} {direction}" for column in columns]
    if filters.order_by != "time":
        parts.append("called_at DESC")
    parts.append(f"id {direction if filters.order_by == 'time' else 'DESC'}")
    return "ORDER BY " + ", ".join(parts)
