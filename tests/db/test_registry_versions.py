"""Issue 12: each provider's registry version on both backends, and a store brought up to the
installed package's registry when it opens (bundled models only; others kept, nothing retired)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from llmring.registry import RegistryVersion, bundled_versions, load_registry
from llmring.schemas import LLMModel
from llmring.store import Store
from tests.db.conftest import StoreFactory


def bundled(provider: str) -> list[LLMModel]:
    return load_registry(providers=[provider], include_retired=True, price_history=True)[provider]


def version(provider: str, number: int, source: str = "bundled") -> RegistryVersion:
    return RegistryVersion(provider=provider, version=number, updated="2026-01-02", source=source)


async def test_a_sync_records_versions_in_its_transaction(store: Store) -> None:
    assert await store.registry_versions() == {}
    model = LLMModel(provider="openai", model_name="gpt-x", source="s", as_of="2026-01-01")
    await store.sync_models([model], ["openai"], dry_run=True, versions=[version("openai", 7)])
    assert await store.registry_versions() == {}  # a dry run writes nothing
    await store.sync_models([model], ["openai"], versions=[version("openai", 7, "https://example.test/r/")])
    [row] = (await store.registry_versions()).values()
    assert (row.provider, row.version, row.updated, row.source) == (
        "openai",
        7,
        "2026-01-02",
        "https://example.test/r/",
    )
    assert row.applied_at is not None
    await store.sync_models([model], ["openai"], versions=[version("openai", 8)])
    assert (await store.registry_versions())["openai"].version == 8  # one row per provider, replaced


async def test_opening_brings_bundled_models_up_and_keeps_the_rest(store: Store, store_factory: StoreFactory) -> None:
    shipped = bundled_versions()["openai"]
    older = [
        m.model_copy(update={"dollars_per_million_tokens_input": Decimal(99)}) if m.model_name == "gpt-4o" else m
        for m in bundled("openai")
    ]
    custom = LLMModel(provider="openai", model_name="gpt-added-by-update", source="s", as_of="2026-01-01")
    await store.sync_models([*older, custom], ["openai"], versions=[version("openai", shipped.version - 1)])
    # A provider synced without a version (files of the user's own) is never touched on open.
    mine = LLMModel(provider="anthropic", model_name="claude-mine", source="s", as_of="2026-01-01")
    await store.sync_models([mine], ["anthropic"])
    reopened = store_factory()
    await reopened.initialize()
    try:
        gpt_4o = await reopened.get_model("openai", "gpt-4o")
        assert gpt_4o is not None and gpt_4o.dollars_per_million_tokens_input == Decimal("2.5")
        kept = await reopened.get_model("openai", "gpt-added-by-update")
        assert kept is not None and kept.is_active  # not retired: the upgrade only upserts
        versions = await reopened.registry_versions()
        assert (versions["openai"].version, versions["openai"].source) == (shipped.version, "bundled")
        assert "anthropic" not in versions
        assert [m.key for m in await reopened.list_models("anthropic", active_only=False)] == ["anthropic:claude-mine"]
    finally:
        await reopened.close()


async def test_an_up_to_date_store_is_left_alone(store: Store, store_factory: StoreFactory) -> None:
    shipped = bundled_versions()["openai"]
    changed = [m.model_copy(update={"display_name": "Mine"}) for m in bundled("openai")[:1]]
    await store.sync_models(changed, [], versions=[shipped])
    reopened = store_factory()
    await reopened.initialize()
    try:
        again = await reopened.get_model("openai", changed[0].model_name)
        assert again is not None and again.display_name == "Mine"
    finally:
        await reopened.close()


async def test_a_database_from_before_the_versions_is_brought_up_on_open(tmp_path: Path) -> None:
    """A file initialised by an older llmring (schema 001, models of an older bundled registry,
    no recorded versions) gets the package's models when a newer llmring opens it."""
    import sqlite3

    from llmring._sqlite.migrations import CREATE_MIGRATIONS_TABLE, load_migrations, split_statements
    from llmring.db_sqlite import SQLiteDatabase

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.execute(CREATE_MIGRATIONS_TABLE)
    for statement in split_statements(load_migrations()[0].sql):
        conn.execute(statement)
    conn.execute("INSERT INTO schema_migrations VALUES ('001_initial', '2026-01-01T00:00:00.000000Z')")
    conn.execute(
        "INSERT INTO llm_models (provider, model_name, display_name, dollars_per_million_tokens_input,"
        " dollars_per_million_tokens_output, source, as_of, created_at, updated_at)"
        " VALUES ('openai', 'gpt-4o', 'GPT-4o', '5', '15', 's', '2025-01-01', '2026-01-01T00:00:00.000000Z',"
        " '2026-01-01T00:00:00.000000Z')"
    )
    conn.commit()
    conn.close()
    async with SQLiteDatabase(path) as db:
        assert "002_pricing" in db.applied_migrations
        gpt_4o = await db.get_model("openai", "gpt-4o")
        assert gpt_4o is not None and gpt_4o.dollars_per_million_tokens_input == Decimal("2.5")
        assert await db.get_model("openai", "gpt-5.6-sol") is not None  # the newer package's models
        assert (await db.registry_versions())["openai"] == bundled_versions()["openai"].model_copy(
            update={"applied_at": (await db.registry_versions())["openai"].applied_at}
        )
        assert await db.list_models("anthropic", active_only=False) == []  # it had no Anthropic models


async def test_files_from_elsewhere_are_replaced_only_by_a_package_newer_by_version_and_date(
    store: Store, store_factory: StoreFactory
) -> None:
    shipped = bundled_versions()["openai"]
    assert shipped.updated is not None
    mine = LLMModel(provider="openai", model_name="gpt-4o", display_name="Mine", source="s", as_of="2026-01-01")
    for updated, upgraded in ((None, False), ("2099-01-01", False), ("2020-01-01", True)):
        row = RegistryVersion(provider="openai", version=0, updated=updated, source="https://example.test/r/")
        await store.sync_models([mine], [], versions=[row])
        reopened = store_factory()
        await reopened.initialize()
        try:
            found = await reopened.get_model("openai", "gpt-4o")
            assert found is not None and (found.display_name != "Mine") is upgraded, updated
        finally:
            await reopened.close()
