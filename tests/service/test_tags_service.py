"""``chat``/``chat_stream`` tags (issue 16): the argument, ``metadata["tags"]``, and bad tags."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llmring.errors import ConfigurationError
from llmring.service_sqlite import LLMRingSQLite
from tests.fakes.openai_fake import OpenAIFake
from tests.service.conftest import request, rows


async def test_chat_and_stream_store_tags_argument_over_metadata(ring: LLMRingSQLite, db_path: Path) -> None:
    await ring.chat(request("a"), tags={"feature": "summarise"})
    await ring.chat(request("b", metadata={"tags": {"feature": "chat", "env": "dev"}}), tags={"feature": "x"})
    async for _ in ring.chat_stream(request("c"), tags={"env": "prod"}):
        pass
    await ring.chat(request("d"))
    await ring.flush()
    stored = [(json.loads(r["tags"]) if r["tags"] else None) or {} for r in rows(db_path)]
    assert {"feature": "summarise"} in stored
    assert {"feature": "x", "env": "dev"} in stored
    assert {"env": "prod"} in stored
    assert {} in stored


async def test_bad_tags_fail_before_anything_is_sent(
    ring: LLMRingSQLite, openai_fake: OpenAIFake, db_path: Path
) -> None:
    sent = len(openai_fake.requests)
    with pytest.raises(ConfigurationError, match="invalid tag key"):
        await ring.chat(request("a"), tags={"bad key": "x"})
    with pytest.raises(ConfigurationError, match="metadata\\['tags'\\]"):
        await ring.chat(request("a", metadata={"tags": "feature=x"}))
    assert len(openai_fake.requests) == sent
    await ring.flush()
    assert not db_path.exists() or rows(db_path) == []
