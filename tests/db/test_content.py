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


async def test_conversations_are_listed_and_rebuilt_from_their_newest_answer(store: Store) -> None:
    from datetime import timedelta

    from llmring.conversation import prior_turns
    from llmring.schemas import utc_now
    from llmring.store import CallFilters

    now = utc_now()
    first = captured_call("Name a river", "The Nile.", conversation_id="conv-a", called_at=now - timedelta(minutes=3))
    second = captured_call("How long?", "6,650 km.", conversation_id="conv-a", called_at=now - timedelta(minutes=2))
    ago = now - timedelta(minutes=1)
    failed = captured_call("And then?", None, conversation_id="conv-a", status="error", called_at=ago)
    other = captured_call("Elsewhere", "Yes.", conversation_id="conv-b", origin="other-app", called_at=now)
    plain = call(called_at=now + timedelta(seconds=1))
    await store.record_api_calls([first, second, failed, other, plain])

    assert await store.latest_conversation() == "conv-b"
    assert await store.latest_conversation(origin="app") == "conv-a"
    assert await store.latest_conversation(origin="nobody") is None
    listed = await store.list_calls(CallFilters(conversation_id="conv-a"))
    assert [c.id for c in listed] == [failed.id, second.id, first.id]

    turns = await prior_turns(store, "conv-a")
    assert turns is not None
    assert [(m.role, m.content) for m in turns.messages] == [
        ("system", SYSTEM),
        ("user", "How long?"),
        ("assistant", "6,650 km."),
    ]
    assert (turns.calls, turns.model) == (3, "openai:gpt-4o")
    assert turns.cost == 3 * first.estimated_cost  # type: ignore[operator]
    assert await prior_turns(store, "conv-missing") is None


async def test_forgetting_a_call_keeps_its_row_and_what_others_share(store: Store) -> None:
    from llmring.store import CallFilters

    kept = captured_call("Which river is longest?", "The Nile.")
    forgotten = captured_call("Which zebra is fastest?", "Grevy's zebra.")
    await store.record_api_calls([kept, forgotten])
    assert await content_rows(store) == (5, 6)  # one shared system prompt, two questions, two answers

    assert await store.forget_content([forgotten.id, forgotten.id, "no-such-id"]) == 1
    assert await store.get_call_content(forgotten.id) is None
    assert await store.get_call_content(kept.id) == captured_call_content(kept)  # the system prompt survives
    assert await content_rows(store) == (3, 3)
    row = await store.get_call(forgotten.id)
    assert row is not None and row.estimated_cost == forgotten.estimated_cost  # the cost row stays
    assert await store.count_calls() == 2
    assert [c.id for c in await store.list_calls(CallFilters(search="zebra"))] == []  # unindexed too
    assert [c.id for c in await store.list_calls(CallFilters(search="careful assistant"))] == [kept.id]
    assert await store.forget_content([forgotten.id]) == 0
    assert await store.forget_content([]) == 0


def captured_call_content(record: CallRecord) -> object:
    from llmring.capture import captured_call as from_parts

    parts = record._content.parts
    return from_parts((p.kind, p.text, p.extra) for p in parts)


async def test_pruning_content_by_age_keeps_newer_calls_and_every_row(store: Store) -> None:
    from datetime import timedelta

    from llmring.schemas import utc_now

    now = utc_now()
    old = [captured_call(f"old question {i}", f"old answer {i}", called_at=now - timedelta(days=40)) for i in range(3)]
    new = captured_call("new question", "new answer", called_at=now - timedelta(days=1))
    await store.record_api_calls([*old, new])
    assert await store.prune_content(now - timedelta(days=30)) == 3
    assert await store.get_call_contents([c.id for c in [*old, new]]) == {new.id: captured_call_content(new)}
    assert await content_rows(store) == (3, 3)
    assert await store.count_calls() == 4
    assert await store.prune_content(now - timedelta(days=30)) == 0
    assert await store.prune_content(now) == 1
    assert await content_rows(store) == (0, 0)


@pytest.mark.parametrize("driven_limit", [-1, 20_000], ids=["row-by-row", "index-driven"])
async def test_search_plans_agree(store: Store, monkeypatch: pytest.MonkeyPatch, driven_limit: int) -> None:
    """Both search plans of each store (few matches: through the indexes; many: row by row) give
    the same rows, in order, with the other filters and paging."""
    from datetime import timedelta

    from llmring._postgres import search as postgres_search
    from llmring._sqlite import search as sqlite_search
    from llmring.schemas import utc_now
    from llmring.store import CallFilters

    monkeypatch.setattr(sqlite_search, "DRIVEN_LIMIT", driven_limit)
    monkeypatch.setattr(postgres_search, "DRIVEN_LIMIT", driven_limit)
    now = utc_now()
    rows = [
        captured_call("Where is Timbuktu?", "In Mali.", id="a", called_at=now - timedelta(minutes=6)),
        captured_call(
            "q", "a", id="b", provider="ollama", model_name="llama3:8b", called_at=now - timedelta(minutes=5)
        ),
        call(id="c", status="error", error_message="Boom 50%_off timbuktu", called_at=now - timedelta(minutes=4)),
        call(id="d", origin="other", id_at_origin="zed", called_at=now - timedelta(minutes=3)),
        captured_call("Mali again", None, id="e", status="timeout", called_at=now - timedelta(minutes=2)),
        call(id="f", origin="mali-app", called_at=now - timedelta(minutes=1)),
        call(id="g", status="success", error_message="mali in a success row is not an error", called_at=now),
    ]
    await store.record_api_calls(rows)

    async def ids(**kw: object) -> list[str]:
        return [r.id for r in await store.list_calls(CallFilters(**kw), limit=10)]  # type: ignore[arg-type]

    assert await ids(search="mali") == ["f", "e", "a"]
    assert await ids(search="timbuktu") == ["c", "a"]
    assert await ids(search="LLAMA3:") == ["b"]
    assert await ids(search="zed") == ["d"]
    assert await ids(search="50%_") == ["c"]
    assert await ids(search="careful assistant") == ["e", "b", "a"]
    assert await ids(search="careful assistant", status="success") == ["b", "a"]
    assert await ids(search="mali", origin="app") == ["e", "a"]
    assert await ids(search="mali", before=(rows[4].called_at, "e")) == ["a"]
    assert await ids(search="mali", order_by="time", ascending=True) == ["a", "e", "f"]
    assert await ids(search="nothing like it") == []
    page = await store.list_calls(CallFilters(search="careful assistant"), limit=1, offset=1)
    assert [r.id for r in page] == ["b"]


async def test_a_common_phrase_stops_at_its_page(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """A phrase most rows have, listed newest first with a limit: PostgreSQL finds its page among
    the newest rows without counting every match first (a GIN scan cannot stop early: 307 ms on
    1,000,000 calls); pages deeper than that window, and other filters, give the same rows as
    SQLite's plans."""
    from datetime import timedelta

    from llmring._postgres import search as postgres_search
    from llmring.schemas import utc_now
    from llmring.store import CallFilters

    monkeypatch.setattr(postgres_search, "WINDOW", 8)
    monkeypatch.setattr(postgres_search, "COMMON_PIECES", 5)  # (of the 26 pieces below)
    counted: list[str] = []
    count_query = postgres_search.count_query
    monkeypatch.setattr(
        postgres_search, "count_query", lambda text, like: counted.append(text) or count_query(text, like)
    )
    now = utc_now()
    rows = [
        captured_call(
            f"Where is my order #{i}?" if i % 2 == 0 else "Is my order late?",
            "It was eaten by a wombat." if i == 0 else "Your parcel left the depot today.",
            id=f"r{i:02d}",
            status="error" if i % 3 == 0 else "success",
            called_at=now - timedelta(minutes=30 - i),
        )
        for i in range(24)
    ]
    await store.record_api_calls(rows)
    if store.backend == "postgres":  # what autovacuum does: the statistics that say a word is common
        await (await store._manager_ready()).execute("ANALYZE {{tables.llm_content}}")  # type: ignore[attr-defined]
    phrase = [r for r in reversed(rows) if int(r.id[1:]) % 2 == 0]

    async def ids(limit: int, offset: int = 0, **kw: object) -> list[str]:
        found = await store.list_calls(CallFilters(**kw), limit=limit, offset=offset)  # type: ignore[arg-type]
        return [r.id for r in found]

    assert await ids(3, search="where is my order") == [r.id for r in phrase[:3]]
    assert counted == []  # the page came from the newest rows: no count of every match
    assert await ids(3, 2, search="where is my order") == [r.id for r in phrase[2:5]]  # deeper than the window
    assert await ids(20, search="where is my order") == [r.id for r in phrase]
    assert await ids(2, search="where is my order", status="error") == ["r18", "r12"]
    assert await ids(2, search="where is my order", before=(rows[20].called_at, "r20")) == ["r18", "r16"]
    assert await ids(3, search="where is my order", ascending=True) == ["r00", "r02", "r04"]
    assert await ids(5, search="my order") == ["r23", "r22", "r21", "r20", "r19"]
    assert await ids(5, search="wombat") == ["r00"]
    assert counted[-1:] == (["wombat"] if store.backend == "postgres" else [])  # a rare word: counted
    assert await ids(5, search="order is my") == []
    assert await ids(0, search="where is my order") == []
