"""Issue 12 through the service: the row keeps the name sent, says which entry priced it, and
carries the new cost dimensions and the price period in force when the call was made."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from llmring.service_sqlite import LLMRingSQLite
from tests.fakes.openai_fake import OpenAIFake
from tests.fakes.server import Reply
from tests.service.conftest import request, rows


def completion(model: str, usage: dict[str, Any]) -> dict[str, Any]:
    """A Chat Completions body from ``model`` with ``usage`` as given."""
    return {
        "id": "chatcmpl-pricing",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "ok", "refusal": None, "annotations": []},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": usage,
        "service_tier": "default",
        "system_fingerprint": "fp_fake0001",
    }


async def test_a_dated_snapshot_is_logged_as_sent_and_priced_as_its_entry(
    ring: LLMRingSQLite, openai_fake: OpenAIFake, db_path: Path
) -> None:
    usage = {"prompt_tokens": 1_000, "completion_tokens": 100, "total_tokens": 1_100}
    openai_fake.enqueue(Reply(200, completion("gpt-4o-2024-08-06", usage)))
    response = await ring.chat(request(model="gpt-4o-2024-08-06"))
    await ring.flush()
    [row] = rows(db_path)
    assert openai_fake.requests[-1].json["model"] == "gpt-4o-2024-08-06"  # sent as the caller wrote it
    assert (row["model_name"], row["priced_as"]) == ("gpt-4o-2024-08-06", "openai:gpt-4o")
    # gpt-4o: $2.50 in, $10 out: 0.0025 + 0.001
    assert response.usage["cost"] == Decimal("0.0035")
    assert openai_fake.contract_problems() == []


async def test_gpt_5_6_sol_cache_writes_are_logged_and_billed(
    ring: LLMRingSQLite, openai_fake: OpenAIFake, db_path: Path
) -> None:
    usage = {
        "prompt_tokens": 10_000,
        "completion_tokens": 500,
        "total_tokens": 10_500,
        "prompt_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 8_000},
    }
    openai_fake.enqueue(Reply(200, completion("gpt-5.6-sol", usage)))
    response = await ring.chat(request(model="gpt-5.6-sol"))
    await ring.flush()
    [row] = rows(db_path)
    assert response.usage["cost"] == Decimal("0.058")  # 0.008 + 0.04 + 0.01 (see test_cost_dimensions)
    assert row["cache_write_tokens"] == 8_000 and row["priced_as"] == "openai:gpt-5.6-sol"
    snapshot = json.loads(row["rate_snapshot"])
    assert (snapshot["cache_write"], snapshot["period"]) == ("5", "2026-08-21")
