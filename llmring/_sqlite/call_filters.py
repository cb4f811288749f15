"""The filters of ``list_recent_calls``, turned into ``WHERE`` clauses for both stores.

What each filter means (a ``provider:model`` prefix only when it names a provider, since Ollama
names have colons too; ``search`` as a literal substring) lives here once. The stores differ only
in how a value becomes a placeholder, how a datetime is stored, and which case-insensitive LIKE
they have, so those are passed in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from llmring.schemas import PROVIDERS

_SEARCHED = ("(provider || ':' || model_name)", "origin", "id_at_origin", "error_message")


@dataclass(frozen=True)
class CallFilters:
    """``list_recent_calls``'s filters, in the order of its signature (None: not filtered)."""

    origin: str | None
    id_at_origin: str | None
    model: str | None
    provider: str | None
    status: str | None
    since: datetime | None
    search: str | None
    before: tuple[datetime, str] | None

    def clauses(self, param: Callable[[Any], str], stored_time: Callable[[datetime], Any], contains: str) -> list[str]:
        """The clauses to AND together (empty: no filter).

        ``param(value)`` records a value and returns its placeholder; ``stored_time`` turns a
        datetime into what the ``called_at`` column holds; ``contains`` is a case-insensitive LIKE
        with ``{column}`` and ``{pattern}`` slots, backslash escaping ``%``, ``_`` and itself.
        """
        clauses: list[str] = []
        if self.origin is not None:
            clauses.append(f"origin = {param(self.origin)}")
        if self.id_at_origin is not None:
            clauses.append(f"id_at_origin = {param(self.id_at_origin)}")
        if self.model is not None:
            prefix, sep, rest = self.model.partition(":")
            if sep and prefix in PROVIDERS:
                clauses.append(f"provider = {param(prefix)} AND model_name = {param(rest)}")
            else:
                clauses.append(f"model_name = {param(self.model)}")
        if self.provider is not None:
            clauses.append(f"provider = {param(self.provider)}")
        if self.status is not None:
            clauses.append(f"status = {param(self.status)}")
        if self.since is not None:
            clauses.append(f"called_at >= {param(stored_time(self.since))}")
        if self.search:
            escaped = self.search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            matches = (contains.format(column=column, pattern=param(f"%{escaped}%")) for column in _SEARCHED)
            clauses.append(f"({' OR '.join(matches)})")
        if self.before is not None:
            moment, call_id = self.before
            clauses.append(f"(called_at, id) < ({param(stored_time(moment))}, {param(call_id)})")
        return clauses
