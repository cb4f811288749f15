"""The service end to end: routing to the right provider, registry queries, store selection."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from llmring.errors import ConfigurationError, ModelNotFoundError
from llmring.schemas import LLMModel
from llmring.service import LLMRing
from llmring.service_sqlite import LLMRingSQLite
from tests.fakes.ollama_fake import OllamaFake
from tests.fakes.openai_fake import OpenAIFake
from tests.service.conftest import request, rows


@pytest.fixture
def ollama_fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[OllamaFake]:
    fake = OllamaFake().start()
    monkeypatch.setenv("OLLAMA_HOST", fake.base_url)
    yield fake
    fake.stop()


async def test_provider_prefix_is_stripped_before_sending(ring: LLMRingSQLite, openai_fake: OpenAIFake) -> None:
    response = await ring.chat(request(model="openai:gpt-4o-mini"))
    assert openai_fake.requests[-1].json["model"] == "gpt-4o-mini"
    assert response.provider == "openai" and response.model == "gpt-4o-mini"


async def test_bare_ollama_name_goes_to_ollama_and_is_free(ollama_fake: OllamaFake, db_path: Path) -> None:
    async with LLMRingSQLite(db_path) as ring:
        response = await ring.chat(request(model="llama3.2"))
        tagged = await ring.chat(request(model="ollama:llama3.2:latest"))
        await ring.flush()
    assert response.usage["cost"] == Decimal(0) and tagged.usage["cost"] == Decimal(0)
    assert [r.json["model"] for r in ollama_fake.requests] == ["llama3.2", "llama3.2:latest"]
    assert [(r["provider"], r["estimated_cost_pico"]) for r in rows(db_path)] == [("ollama", 0), ("ollama", 0)]


async def test_injected_provider_is_used(openai_fake: OpenAIFake) -> None:
    from llmring.providers import create_provider

    provider = create_provider("openai", api_key="sk-test-fake-0123456789abcdef")
    async with LLMRing(enable_db_logging=False, providers={"openai": provider}) as ring:
        assert ring.get_provider("openai") is provider
        assert (await ring.chat(request())).content == "Echo: Hello"


async def test_registry_queries(ring: LLMRingSQLite) -> None:
    available = await ring.get_available_models()
    assert "gpt-4o-mini" in available["openai"] and "llama3.2" in available["ollama"]
    info = await ring.get_model_info("gpt-4o-mini")
    assert isinstance(info, LLMModel) and info.dollars_per_million_tokens_input == Decimal("0.15")
    assert (await ring.get_model_info("openai:gpt-4o-mini")) == info
    with pytest.raises(ModelNotFoundError):
        await ring.get_model_info("gpt-99-unknown")
    assert await ring.get_models_from_db() == []  # nothing seeded into this fresh store
    assert await ring.get_model_from_db("openai", "gpt-4o-mini") is None


async def test_store_registry_wins_over_bundled(openai_fake: OpenAIFake, db_path: Path) -> None:
    from llmring.db_sqlite import SQLiteDatabase

    custom = LLMModel(
        provider="openai",
        model_name="gpt-4o-mini",
        dollars_per_million_tokens_input=Decimal("1"),
        dollars_per_million_tokens_output=Decimal("1"),
    )
    async with SQLiteDatabase(db_path) as db:
        await db.sync_models([custom], ["openai"])
    async with LLMRingSQLite(db_path) as ring:
        response = await ring.chat(request())
        assert response.metadata["cost_breakdown"]["input"] == str(
            Decimal(response.usage["prompt_tokens"]) / Decimal(1_000_000)
        )
        assert [m.model_name for m in await ring.get_models_from_db("openai")] == ["gpt-4o-mini"]
        assert (await ring.get_model_from_db("openai", "gpt-4o-mini")) is not None


async def test_no_logging_answers_registry_from_bundle() -> None:
    async with LLMRing(enable_db_logging=False) as ring:
        assert any(m.model_name == "gpt-4o" for m in await ring.get_models_from_db("openai"))
        assert (await ring.get_model_from_db("openai", "gpt-4o")) is not None
        with pytest.raises(ConfigurationError, match="logging is off"):
            await ring.get_usage_stats()


async def test_database_url_sqlite_env(
    openai_fake: OpenAIFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "from-env.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{target}")
    async with LLMRing() as ring:
        await ring.chat(request())
    assert len(rows(target)) == 1


async def test_connection_string_sqlite(openai_fake: OpenAIFake, tmp_path: Path) -> None:
    target = tmp_path / "given.db"
    async with LLMRing(db_connection_string=f"sqlite:///{target}") as ring:
        await ring.chat(request())
        assert (await ring.get_usage_stats()).total_calls == 1
        assert len(await ring.list_recent_calls()) == 1


def test_bad_database_url_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="postgresql:// or sqlite:///"):
        LLMRing(db_connection_string="mysql://nope")


async def test_db_manager_without_postgres_backend(openai_fake: OpenAIFake, monkeypatch: pytest.MonkeyPatch) -> None:
    # A broken PostgreSQL backend (asyncpg/pgdbm not importable) never fails a call; a query,
    # which needs the store, fails loudly with the import error rather than hiding it.
    monkeypatch.setitem(sys.modules, "llmring.db", None)
    ring = LLMRing(db_manager=object())
    assert (await ring.chat(request())).content == "Echo: Hello"  # the call still works
    with pytest.raises(ImportError, match=r"llmring\.db"):
        await ring.get_usage_stats()
    await ring.close(timeout=0.1)


async def test_register_provider_unknown_name() -> None:
    ring = LLMRing(enable_db_logging=False)
    with pytest.raises(ConfigurationError, match="unknown provider 'azure'"):
        ring.register_provider("azure")
    await ring.close()
