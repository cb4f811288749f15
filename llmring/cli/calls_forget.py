"""``llmring calls rm ID`` and ``llmring calls prune-content --older-than AGE``: forget what calls
asked and answered, keep what they cost (issue 17).

::

    llmring calls rm 3f2a9c1e                   # one call's prompt and answer (a unique id start)
    llmring calls prune-content --older-than 30d

The rows stay, with their tokens, cost and timing, so ``stats`` and budgets do not change; a
piece of content that other calls share (a system prompt) stays for them. On SQLite the text is
overwritten in the file, not just unlinked. (``calls prune``, of the ledger, removes rows whole.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from llmring.cli.context import run_with_store

if TYPE_CHECKING:
    from llmring.store import Store


def rm(
    ctx: typer.Context,
    call_ids: Annotated[list[str], typer.Argument(metavar="ID...", help="Call ids, or unique starts of them.")],
) -> None:
    """Remove the captured prompt and answer of calls (their cost rows stay)."""
    from llmring.cli.calls_show import find_call
    from llmring.cli.output import note

    async def action(store: Store) -> tuple[list[str], int]:
        ids = [(await find_call(store, given)).id for given in call_ids]  # all found before any change
        return ids, await store.forget_content(ids)

    ids, forgotten = run_with_store(ctx, action)
    unique = len(set(ids))
    if forgotten == 0:
        note(f"Nothing to remove: {_calls(unique)} had no captured content.")
    else:
        note(f"Removed the captured content of {_calls(forgotten)}; the cost rows stay.")


def prune_content(
    ctx: typer.Context,
    older_than: Annotated[
        str,
        typer.Option("--older-than", metavar="AGE", help="30m, 12h, 7d, 2w, or a date (2026-11-01): calls before it."),
    ],
) -> None:
    """Remove the captured prompts and answers of calls older than AGE (their cost rows stay)."""
    from llmring.cli.ages import parse_since
    from llmring.cli.output import note

    before = parse_since(older_than, option="--older-than")  # checked before any database is opened

    async def action(store: Store) -> int:
        return await store.prune_content(before)

    forgotten = run_with_store(ctx, action)
    from datetime import UTC

    when = before.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if forgotten == 0:
        note(f"No captured content older than {when}.")
    else:
        note(f"Removed the captured content of {_calls(forgotten)} older than {when}; the cost rows stay.")


def _calls(count: int) -> str:
    return f"{count:,} call" + ("" if count == 1 else "s")


def register(app: typer.Typer) -> None:
    """Add ``rm`` and ``prune-content`` to the ``calls`` group."""
    from llmring.cli.context import LLMRingCommand

    app.command("rm", cls=LLMRingCommand, short_help="Forget calls' prompts and answers (cost rows stay).")(rm)
    app.command("prune-content", cls=LLMRingCommand, short_help="Forget prompts and answers older than AGE.")(
        prune_content
    )
