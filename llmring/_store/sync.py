"""The registry sync plan: which stored models a sync inserts, updates, reactivates or retires.

Both stores read their ``llm_models`` rows as ``(row id, LLMModel)`` and compare in Python on
the model's values (so ``0.15`` and ``0.150`` are one price, whatever the column type), then
write the plan with their own SQL in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from llmring._store.values import MODEL_DATA_FIELDS
from llmring.errors import ConfigurationError
from llmring.schemas import LLMModel
from llmring.store import SyncReport


@dataclass
class SyncPlan:
    """What a registry sync will do: the report, and the models behind each statement."""

    report: SyncReport
    inserts: list[LLMModel] = field(default_factory=list)
    updates: list[tuple[Any, LLMModel]] = field(default_factory=list)  # (row id, new values)
    retires: list[Any] = field(default_factory=list)  # row ids


def plan_sync(
    existing: Sequence[tuple[Any, LLMModel]],
    models: Sequence[LLMModel],
    providers: Sequence[str],
    *,
    dry_run: bool,
) -> SyncPlan:
    """Compare ``models`` with the stored ones: insert new, update changed or retired ones, and
    retire the active models of ``providers`` that ``models`` no longer lists."""
    wanted: dict[tuple[str, str], LLMModel] = {}
    for model in models:
        key = (model.provider, model.model_name)
        if key in wanted:
            raise ConfigurationError(f"model {model.key} is listed twice")
        wanted[key] = model
    stored = {(model.provider, model.model_name): (row_id, model) for row_id, model in existing}
    plan = SyncPlan(SyncReport(dry_run=dry_run))
    for key, model in sorted(wanted.items()):
        found = stored.get(key)
        if found is None:
            plan.report.inserted.append(model.key)
            plan.inserts.append(model)
        elif changed(found[1], model):  # retirement dates included: a retired model can come back
            # A model the registry now dates as retired is reported as retired (and written with
            # that date); any other change, a comeback included, as updated.
            newly_retired = found[1].is_active and not model.is_active
            (plan.report.retired if newly_retired else plan.report.updated).append(model.key)
            plan.updates.append((found[0], model))
        else:
            plan.report.unchanged.append(model.key)
    for key, (row_id, model) in sorted(stored.items()):
        if key[0] in providers and key not in wanted and model.is_active:
            plan.report.retired.append(model.key)
            plan.retires.append(row_id)
    plan.report.retired.sort()
    return plan


def changed(old: LLMModel, new: LLMModel) -> bool:
    """Whether a sync would change any written field (prices compare as numbers)."""
    return any(getattr(old, name) != getattr(new, name) for name in MODEL_DATA_FIELDS)
