"""Captured content as rows, for both stores (issue 17).

A batch of call records becomes the distinct pieces it holds (``llm_content``: written once,
whatever their number of uses) and the links from each row to its pieces in order
(``llm_call_content``). Pieces are sorted by hash so concurrent PostgreSQL writers take their
locks in one order and cannot deadlock.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from llmring.capture import ContentPart
    from llmring.schemas import CallRecord


class ContentRows(NamedTuple):
    """``pieces``: (hash, kind, text, extra) once each; ``links``: (record_id, position, hash)."""

    pieces: list[tuple[str, str, str, str | None]]
    links: list[tuple[str, int, str]]


def content_rows(records: Sequence[CallRecord]) -> ContentRows | None:
    """The content rows of ``records`` (None when none of them captured anything)."""
    pieces: dict[str, ContentPart] = {}
    links: list[tuple[str, int, str]] = []
    for record in records:
        content = record._content
        if content is None:
            continue
        for position, part in enumerate(content.parts):
            pieces[part.hash] = part
            links.append((record.id, position, part.hash))
    if not links:
        return None
    ordered = [(p.hash, p.kind, p.text, p.extra) for _, p in sorted(pieces.items())]
    return ContentRows(ordered, links)


def fts_phrase(text: str) -> str:
    """``text`` as one SQLite FTS5 phrase (its words in order; quotes doubled, so it cannot
    be read as query syntax)."""
    return '"' + text.replace('"', '""') + '"'
