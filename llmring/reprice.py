"""Pricing logged calls again: what ``llmring reprice`` computes before a store writes it.

A call logged unpriced (its model was not in the registry, or a token dimension had no rate)
keeps its token counts, so once the registry knows the prices it can be priced: with the entry
its name resolves to now (aliases included, retired models too) and the prices in force at its
own ``called_at`` (``llmring.cost``, the one place costs are computed). Only successful calls
that were not cache hits are candidates, as only they count as "unpriced" in the totals.

A row that already has a cost is left alone unless ``force``; a forced reprice that changes the
cost keeps what it replaced in ``repriced_from`` (the old cost, rate snapshot and entry). Each
change carries the deltas the daily rollups need, so a store applies rows and rollups in one
transaction and the rollup totals stay equal to the sum of the rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from llmring.cost import compute_cost
from llmring.registry import alias_index
from llmring.schemas import TOKEN_FIELDS, CallRecord, LLMModel

if TYPE_CHECKING:
    from datetime import datetime

# The call-row fields a reprice writes.
REPRICED_FIELDS: tuple[str, ...] = (
    "estimated_cost",
    "cost_breakdown",
    "rate_snapshot",
    "priced_as",
    "dollars_per_million_tokens_input_used",
    "dollars_per_million_tokens_output_used",
    "repriced_from",
)


@dataclass(frozen=True)
class Repricing:
    """One row priced again: the row as stored (``old``) and as it will be (``new``)."""

    old: CallRecord
    new: CallRecord

    @property
    def cost_delta(self) -> Decimal:
        """What the rollup's cost gains (negative when a forced reprice lowers it)."""
        return (self.new.estimated_cost or Decimal(0)) - (self.old.estimated_cost or Decimal(0))

    @property
    def unpriced_delta(self) -> int:
        """How many "unpriced" calls the rollup loses (a final row that had no cost)."""
        return int(self.old.final and self.old.estimated_cost is None and self.new.estimated_cost is not None)


def is_candidate(row: CallRecord, *, force: bool) -> bool:
    """Whether a reprice looks at ``row`` at all (see the module docstring)."""
    if row.status != "success" or row.cache_hit:
        return False
    return force or row.estimated_cost is None


def plan_repricing(
    rows: Iterable[CallRecord], models: Sequence[LLMModel], *, force: bool, now: datetime
) -> list[Repricing]:
    """The rows of ``rows`` that ``models`` can price (again), with their new values."""
    index = alias_index(models)
    changes = []
    for row in rows:
        if not is_candidate(row, force=force):
            continue
        model = index.get((row.provider, row.model_name))
        if model is None and row.provider == "ollama" and ":" in row.model_name:
            model = index.get((row.provider, row.model_name.partition(":")[0]))
        usage = {name: getattr(row, name, 0) or 0 for name in TOKEN_FIELDS}
        cost = compute_cost(model, usage, provider=row.provider, called_at=row.called_at)
        if cost.total is None:
            continue  # still unpriced: nothing to add
        if row.estimated_cost is not None and row.estimated_cost == cost.total:
            continue  # a forced reprice that changes nothing writes nothing
        replaced = None
        if row.estimated_cost is not None:
            replaced = {
                "estimated_cost": format(row.estimated_cost, "f"),
                "rate_snapshot": row.rate_snapshot,
                "priced_as": row.priced_as,
                "repriced_at": now.isoformat(),
            }
        new = row.model_copy(
            update={
                "estimated_cost": cost.total,
                "cost_breakdown": cost.breakdown or None,
                "rate_snapshot": cost.rate_snapshot or None,
                "priced_as": cost.priced_as,
                "dollars_per_million_tokens_input_used": cost.input_rate,
                "dollars_per_million_tokens_output_used": cost.output_rate,
                "repriced_from": replaced if replaced is not None else row.repriced_from,
            }
        )
        changes.append(Repricing(row, new))
    return changes
