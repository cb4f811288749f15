"""Captured content in both stores (issue 17): written with its rows in one transaction,
each distinct piece stored once, read back in order."""

from __future__ import annotations

import pytest

from llmring.capture import CallContent, Capture, make_part
from llmring.errors import DatabaseError
from llmring.schemas import CallRecord, LLMRequest, Message
from llmring.store import Store
from tests.db.test_store_contract import call

SYSTEM = "You are a careful assistant who answers in one sentence."
CAPTURE = Capture()
SYSTEM_PART = make_part("system", SYSTEM, None)


def captured_call(question: str, answer: str | None = None, **fields: object) -> CallRecord:
    """A call row carrying the content the recorder would attach."""
    request = LLMRequest(
        model="gpt-4o",
        messages=[Message(role="system", content=SYSTEM), Message(role="user", content=question)],
    )
    record = call(**fields)
    parts = CAPTURE.request_parts(request)
    if answer is not None:
        parts.append(CAPTURE.response_part(answer, None, None))
    record._content = CallContent(parts)
    return record


async def content_rows(store: Store) -> tuple[int, int]:
    """(pieces, links) in the store's content tables."""
    if store.backend == "sqlite":
        rows = await store._fetchall(  # type: ignore[attr-defined]
            "SELECT (SELECT COUNT(*) FROM llm_content), (SELECT COUNT(*) FROM llm_call_content)"
        )
        return int(rows[0][0]), int(rows[0][1])
    db = await store._manager_ready()  # type: ignore[attr-defined]
    row = await db.fetch_one(
        "SELECT (SELECT COUNT(*) FROM {{tables.llm_content}}) AS p,"
        " (SELECT COUNT(*) FROM {{tables.llm_call_content}}) AS l"
    )
    return int(row["p"]), int(row["l"])


async def test_content_round_trips_in_order(store: Store) -> None:
    record = captured_call("Which river is longest?", "The Nile, by most measures.")
    plain = call()
    await store.record_api_calls([record, plain])
    content = await store.get_call_content(record.id)
    assert content is not None
    assert content.messages == [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": "Which river is longest?"},
    ]
    assert content.response == "The Nile, by most measures."
    assert await store.get_call_content(plain.id) is None
    assert await store.get_call_content("no-such-id") is None
    assert set(await store.get_call_contents([record.id, plain.id, record.id])) == {record.id}


def quick_call(question: str, answer: str) -> CallRecord:
    """``captured_call`` without building a request: the same parts, made directly (fast)."""
    record = call()
    record._content = CallContent([SYSTEM_PART, make_part("user", question, None), make_part("response", answer, None)])
    return record


async def test_a_system_prompt_used_10000_times_is_stored_once(store: Store) -> None:
    assert quick_call("q", "a")._content == captured_call("q", "a")._content
    records = [quick_call(f"question {i}", f"answer {i}") for i in range(10_000)]
    for start in range(0, len(records), 500):  # the background writer's batch size
        await store.record_api_calls(records[start : start + 500])
    # one system prompt, 10,000 questions and 10,000 answers; three links per call
    assert await content_rows(store) == (1 + 10_000 + 10_000, 30_000)
    again = captured_call("question 7", "answer 7")
    await store.record_api_calls([again])
    assert await content_rows(store) == (20_001, 30_003)
    assert (await store.get_call_content(again.id)) == (await store.get_call_content(records[7].id))


async def test_a_failed_batch_leaves_no_content(store: Store) -> None:
    first = captured_call("kept", "yes")
    await store.record_api_calls([first])
    duplicate = captured_call("never stored", "no", id=first.id)
    with pytest.raises(DatabaseError):
        await store.record_api_calls([captured_call("also never stored", "no"), duplicate])
    assert await content_rows(store) == (3, 3)
    assert await store.count_calls() == 1


async def test_search_finds_words_of_the_prompt_and_the_answer(store: Store) -> None:
    from llmring.store import CallFilters

    asked = captured_call("Which river flows through Timbuktu?", "The Niger, mostly.")
    other = captured_call("Which mountain is highest?", "Everest.")
    plain = call(error_message="the Niger delta timed out", status="error")
    await store.record_api_calls([asked, other, plain])

    async def found(text: str) -> set[str]:
        return {c.id for c in await store.list_calls(CallFilters(search=text))}

    assert await found("timbuktu") == {asked.id}  # a prompt word, any case
    assert await found("Niger, mostly") == {asked.id}  # an answer's words in order (punctuation aside)
    assert await found("niger") == {asked.id, plain.id}  # content, or the error message as before
    assert await found("careful assistant") == {asked.id, other.id}  # the shared system prompt
    assert await found("mostly niger") == set()  # a phrase, not a bag of words
    assert await found('" OR * NEAR(') == set()  # query syntax is just text
    assert await found("%") == set()
