"""Conversations: calls that share a ``conversation_id``, each sending the turns before it (issue 17).

::

    async with LLMRing(log_content=True) as ring:
        chat = ring.conversation(model="gpt-4o-mini", system="Be brief")
        await chat.send("Name a river in Africa")
        answer = await chat.send("How long is it?")   # sent with the first question and answer
        print(answer.content, chat.cost)

A ``Conversation`` keeps its turns in memory; every call it makes is logged under its ``id``, so
``llmring calls --conversation ID`` lists them. ``prior_turns`` rebuilds a logged conversation
from the store (its newest answered call holds every earlier turn, when content was captured):
that is how ``llmring ask -c`` and ``--cid`` continue one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from llmring.schemas import LLMRequest, Message, new_id

if TYPE_CHECKING:
    from llmring.schemas import LLMResponse
    from llmring.service import LLMRing
    from llmring.store import Store

# A conversation read back from the store has at most this many calls (its cost sums them).
_MAX_CALLS = 10_000


class Conversation:
    """Turns with one model: ``send(text)`` asks with every earlier turn and keeps the answer.

    ``messages`` seeds the history (e.g. ``prior_turns(...).messages``); ``options`` are
    ``LLMRequest`` fields sent with every turn (``temperature``, ``max_tokens``, ...). ``cost`` is
    the sum of the turns' costs in this object (None once a turn could not be priced), plus
    ``prior_cost``.
    """

    def __init__(
        self,
        ring: LLMRing,
        model: str,
        *,
        system: str | None = None,
        conversation_id: str | None = None,
        messages: list[Message] | None = None,
        prior_cost: Decimal | None = Decimal(0),
        **options: Any,
    ) -> None:
        self.ring = ring
        self.model = model
        self.id = conversation_id or new_id()
        self.messages: list[Message] = list(messages or [])
        if system is not None:
            self.messages = [m for m in self.messages if m.role != "system"]
            self.messages.insert(0, Message(role="system", content=system))
        self.options = options
        self.cost: Decimal | None = prior_cost
        self.calls = 0

    def __repr__(self) -> str:
        return f"Conversation(id={self.id!r}, model={self.model!r}, turns={len(self.messages)})"

    def request(self, content: str | list[dict[str, Any]], **options: Any) -> LLMRequest:
        """The request the next turn sends: every earlier turn, then ``content`` as the user's."""
        messages = [*self.messages, Message(role="user", content=content)]
        return LLMRequest(model=self.model, messages=messages, **{**self.options, **options})

    async def send(self, content: str | list[dict[str, Any]], **options: Any) -> LLMResponse:
        """Ask ``content`` after the earlier turns; the question and answer become turns.

        A call that fails raises and leaves the turns as they were.
        """
        request = self.request(content, **options)
        response = await self.ring.chat(request, conversation_id=self.id)
        self.add_turn(request.messages[-1], response)
        return response

    def add_turn(self, question: Message, response: LLMResponse) -> None:
        """Keep ``question`` and its answer as turns and add the answer's cost."""
        answer = Message(role="assistant", content=response.content, tool_calls=response.tool_calls or None)
        self.messages += [question, answer]
        self.calls += 1
        cost = response.usage.get("cost")
        self.cost = None if self.cost is None or cost is None else self.cost + Decimal(cost)


@dataclass
class PriorTurns:
    """A logged conversation: its turns (newest answered call's messages and answer), the model
    that call used (``provider:model``), and its calls' count and summed cost (None: some unpriced)."""

    conversation_id: str
    messages: list[Message] = field(default_factory=list)
    model: str | None = None
    calls: int = 0
    cost: Decimal | None = Decimal(0)


async def prior_turns(store: Store, conversation_id: str) -> PriorTurns | None:
    """The conversation ``conversation_id`` as logged, or None when it has no calls.

    ``messages`` is empty when none of its calls captured content (``log_content`` was off).
    """
    from llmring.store import CallFilters

    rows = await store.list_calls(CallFilters(conversation_id=conversation_id), limit=_MAX_CALLS)
    if not rows:
        return None
    found = PriorTurns(conversation_id)
    for row in rows:
        if row.final:
            found.calls += 1
        if row.unpriced:
            found.cost = None
        elif found.cost is not None and row.estimated_cost is not None:
            found.cost += row.estimated_cost
    answered = [row for row in rows if row.final and row.status == "success"]  # newest first
    for start in range(0, len(answered), 20):
        chunk = answered[start : start + 20]
        contents = await store.get_call_contents([row.id for row in chunk])
        for row in chunk:
            captured = contents.get(row.id)
            if captured is None or (captured.response is None and not captured.tool_calls):
                continue
            found.model = f"{row.provider}:{row.model_name}"
            found.messages = [_message(m) for m in captured.messages]
            found.messages.append(
                Message(role="assistant", content=captured.response or "", tool_calls=captured.tool_calls or None)
            )
            return found
    return found


def _message(captured: dict[str, Any]) -> Message:
    """A captured message as a ``Message`` again (attachments were kept as descriptions only, so
    they are not sent again)."""
    return Message(
        role=captured["role"],
        content=captured.get("content") or "",
        tool_calls=captured.get("tool_calls"),
        tool_call_id=captured.get("tool_call_id"),
        name=captured.get("name"),
    )
