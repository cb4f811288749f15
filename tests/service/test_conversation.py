"""``ring.conversation(model=...)`` (issue 17): ``send`` sends the earlier turns (as the OpenAI fake
records them), keeps the new ones, sums the cost and logs every turn under one conversation."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmring.errors import ProviderError
from llmring.service_sqlite import LLMRingSQLite
from tests.fakes.openai_fake import OpenAIFake
from tests.fakes.openai_replies import rate_limit_reply
from tests.service.conftest import rows


async def test_send_keeps_the_turns_and_logs_them_as_one_conversation(openai_fake: OpenAIFake, db_path: Path) -> None:
    async with LLMRingSQLite(db_path, log_content=True) as ring:
        chat = ring.conversation(model="gpt-4o-mini", system="Be brief", temperature=0.2)
        first = await chat.send("Name a river")
        second = await chat.send("How long is it?")
        sent = openai_fake.requests[-1].json
        assert sent["temperature"] == 0.2
        assert sent["messages"] == [
            {"role": "system", "content": "Be brief"},
            {"role": "user", "content": "Name a river"},
            {"role": "assistant", "content": "Echo: Name a river"},
            {"role": "user", "content": "How long is it?"},
        ]
        assert chat.calls == 2 and len(chat.messages) == 5
        assert chat.cost == first.usage["cost"] + second.usage["cost"] and chat.cost > 0
        other = ring.conversation(model="gpt-4o-mini")
        await other.send("Unrelated")
    logged = rows(db_path)
    assert [row["conversation_id"] for row in logged] == [chat.id, chat.id, other.id]
    assert chat.id != other.id


async def test_a_failed_turn_leaves_the_turns_as_they_were(openai_fake: OpenAIFake, db_path: Path) -> None:
    async with LLMRingSQLite(db_path, max_retries=0) as ring:
        chat = ring.conversation(model="gpt-4o-mini")
        await chat.send("one")
        openai_fake.enqueue(rate_limit_reply(retry_after="0"))
        with pytest.raises(ProviderError):
            await chat.send("two")
        assert [m.content for m in chat.messages] == ["one", "Echo: one"]
        await chat.send("three")
        assert [m["content"] for m in openai_fake.requests[-1].json["messages"]] == ["one", "Echo: one", "three"]
    assert [row["status"] for row in rows(db_path)] == ["success", "rate_limited", "success"]
    assert {row["conversation_id"] for row in rows(db_path)} == {chat.id}


async def test_going_on_with_a_logged_conversation(openai_fake: OpenAIFake, db_path: Path) -> None:
    from llmring.conversation import prior_turns

    async with LLMRingSQLite(db_path, log_content=True) as ring:
        chat = ring.conversation(model="gpt-4o-mini")
        await chat.send("one")
        await ring.flush()
        turns = await prior_turns(await ring._query_store(), chat.id)
        assert turns is not None
        again = ring.conversation(
            model=turns.model or "", conversation_id=turns.conversation_id, messages=turns.messages
        )
        await again.send("two")
    assert [m["content"] for m in openai_fake.requests[-1].json["messages"]] == ["one", "Echo: one", "two"]
    assert {row["conversation_id"] for row in rows(db_path)} == {chat.id}
