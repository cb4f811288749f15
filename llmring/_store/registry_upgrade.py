"""Bringing a store's models up to the installed package's registry when it opens (issue 12).

Each provider's stored models remember the registry version they were last brought to
(``llm_registry_versions``). When the installed package ships a newer version of a provider's
file, opening the store upserts that file's models: upgrading llmring is enough to price calls
with its registry. Only bundled models are written and nothing is retired, so models that
``llmring registry update`` added stay. A provider last updated from other files (``registry
update --from`` a path or URL) is brought up only by a package file newer by version and by date.
A provider with no recorded version is left alone (its models came from files of the user's own,
or straight from ``sync_models``), except right after migration 002: models that existed before
it came from an older bundled registry, version 0.

Right after migration 007 (issue 14), stored models have no controls (``MODEL_CONTROL_FIELDS``:
structured output, reasoning, prompt-cache minimum, Responses-only) nor notes, because no store
kept them before: each stored model the bundled registry knows gets them from its bundled entry,
whichever source its prices came from, and nothing else of it changes.

The check costs one small SELECT per open; the bundled files are read only when an upgrade is due.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from llmring.registry import RegistryVersion

if TYPE_CHECKING:
    from llmring.store import Store, SyncReport

logger = logging.getLogger("llmring")

BUNDLED = "bundled"
_VERSIONS_MIGRATION = "002_pricing"
_CONTROLS_MIGRATION = "007_model_controls"


async def bring_up_bundled(store: Store, applied_now: Sequence[str]) -> SyncReport | None:
    """Upsert the bundled models of every provider whose recorded version is older than the
    package's; returns what changed, or None when nothing was due. Never raises: a store that
    cannot be written (read-only file) still opens, and the upgrade is tried on the next open."""
    try:
        if _CONTROLS_MIGRATION in applied_now:
            await _fill_controls(store)
        return await _bring_up(store, applied_now)
    except Exception as exc:  # an upgrade must never stop a store from opening
        logger.warning(
            "llmring: could not bring the database's models up to the installed registry"
            " (`llmring json-refresh` does it): %s",
            exc,
        )
        return None


async def _fill_controls(store: Store) -> None:
    """Give every stored model its bundled entry's controls and note (the columns migration 007
    added are empty); models the bundled registry does not know keep theirs."""
    stored = await store.list_models(active_only=False)
    if not stored:
        return
    from llmring._store.values import MODEL_CONTROL_FIELDS
    from llmring.registry import bundled_models

    bundled = {(m.provider, m.model_name): m for m in bundled_models(include_retired=True, price_history=True)}
    filled = []
    for model in stored:
        entry = bundled.get((model.provider, model.model_name))
        if entry is not None:
            fields = {name: getattr(entry, name) for name in (*MODEL_CONTROL_FIELDS, "note")}
            filled.append(model.model_copy(update=fields))
    report = await store.sync_models(filled, [])  # no providers: nothing is retired, no version recorded
    if report.updated:
        logger.info("llmring: gave %d stored models their controls from the installed registry", len(report.updated))


def _newer(shipped: RegistryVersion, row: RegistryVersion) -> bool:
    """Whether the package's file is newer than what the database was brought to. Versions count
    within one lineage (the package's own); files from elsewhere must also be dated earlier."""
    if shipped.version <= row.version:
        return False
    if row.source == BUNDLED:
        return True
    return row.updated is not None and shipped.updated is not None and shipped.updated > row.updated


async def _bring_up(store: Store, applied_now: Sequence[str]) -> SyncReport | None:
    recorded = await store.registry_versions()
    if not recorded and _VERSIONS_MIGRATION in applied_now:
        providers = {model.provider for model in await store.list_models(active_only=False)}
        recorded = {p: RegistryVersion(provider=p, version=0, source=BUNDLED) for p in providers}
    if not recorded:
        return None
    from llmring.registry import bundled_versions

    shipped = bundled_versions()
    due = sorted(p for p, row in recorded.items() if p in shipped and _newer(shipped[p], row))
    if not due:
        return None
    from llmring.registry import load_registry

    registry = load_registry(providers=due, include_retired=True, price_history=True)
    models = [model for provider in due for model in registry.get(provider, [])]
    report = await store.sync_models(models, [], versions=[shipped[p] for p in due])
    logger.info(
        "llmring: brought %s up to the installed registry (+%d ~%d)",
        ", ".join(due),
        len(report.inserted),
        len(report.updated) + len(report.retired),
    )
    return report
