"""``llmring ask -c`` / ``--cid ID``: go on with a logged conversation (issue 17).

::

    llmring ask -m gpt-4o-mini "Name a river in Africa"
    llmring ask -c "How long is it?"           # the most recent conversation, its model too
    llmring ask --cid 3f2a9c1e... "And its source?" -u
    llmring calls --conversation 3f2a9c1e...   # its calls

Every ``ask`` starts a conversation (its id is in ``calls show`` and ``calls --json``). Going on
with one sends its earlier turns, rebuilt from the newest answered call's logged prompt and
answer (``llmring.conversation.prior_turns``), so content logging must be on; ``-u`` adds the
conversation's calls and accumulated cost.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from llmring.cli.context import run_with_store, settings

if TYPE_CHECKING:
    from llmring.conversation import PriorTurns
    from llmring.store import Store

ContinueOpt = Annotated[
    bool, typer.Option("--continue", "-c", help="Go on with the most recent conversation (sends its earlier turns).")
]
CidOpt = Annotated[
    str | None, typer.Option("--cid", metavar="ID", help="Go on with conversation ID (sends its earlier turns).")
]


def new_conversation() -> PriorTurns:
    """A conversation with no turns yet (what a plain ``ask`` starts)."""
    from llmring.conversation import PriorTurns
    from llmring.schemas import new_id

    return PriorTurns(new_id())


def continued(ctx: typer.Context, cid: str | None, *, no_log_content: bool) -> PriorTurns:
    """The conversation ``cid`` (None: the most recent one of the CLI's origin) with its turns, or
    a one-line ``ConfigurationError`` saying why it cannot go on."""
    from llmring.conversation import prior_turns
    from llmring.errors import ConfigurationError

    cli = settings(ctx)
    if no_log_content or not cli.config().get("log_content"):
        raise ConfigurationError(
            "-c/--cid go on from the logged prompts and answers: turn content logging on"
            " (drop --no-log-content; log_content = true in llmring.toml)"
        )
    wanted = cid.strip() if cid is not None else None
    if wanted == "":
        raise ConfigurationError("--cid needs a conversation id: see `llmring calls show ID`")

    async def action(store: Store) -> PriorTurns | None:
        conversation_id = wanted or await store.latest_conversation(origin=cli.origin())
        if conversation_id is None:
            return None
        return await prior_turns(store, conversation_id)

    found = run_with_store(ctx, action)
    if found is None:
        if wanted is None:
            raise ConfigurationError('no conversation to go on with yet: start one with llmring ask "..."')
        raise ConfigurationError(f"no conversation {wanted!r}: its id is in `llmring calls show ID`")
    if not found.messages:
        raise ConfigurationError(
            f"conversation {found.conversation_id} has no logged answer to go on from"
            " (its calls failed or were logged without content)"
        )
    return found


def print_conversation_usage(conversation: PriorTurns, usage: dict[str, Any]) -> None:
    """``-u`` on a continued conversation: its calls so far and their accumulated cost (stderr)."""
    from llmring import formatting as fmt
    from llmring.cli import output

    cost = usage.get("cost")
    total = None if conversation.cost is None or cost is None else conversation.cost + cost
    calls = conversation.calls + 1
    spent = fmt.UNPRICED if total is None else fmt.money(total)
    # Kept under 80 columns with a whole id (the one --cid takes).
    output.note(f"Conversation {conversation.conversation_id}: {calls} calls, {spent} so far")
