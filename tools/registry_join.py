"""Which map keys make one registry entry: joining LiteLLM's keys, genai-prices' models and the
current entries into ``Unit``s (used by ``registry_build``)."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import Any

from llmring.price_maps import MapModel

# What makes two keys the same billable model (besides every price): limits, endpoint, lifecycle.
_IDENTITY = ("max_context", "max_output_tokens", "responses_only", "inactive_from", "successor")


def natural_key(name: str) -> tuple[Any, ...]:
    """Sort key that puts gpt-4.1 before gpt-4.10 and claude-opus-4-5 before claude-opus-4-10."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name))


def globbed(patterns: str | list[str], name: str) -> bool:
    """Whether ``name`` matches a glob or one of a list of globs."""
    items = [patterns] if isinstance(patterns, str) else patterns
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in items)


def identity(model: MapModel) -> dict[str, Any]:
    """The facts two keys must share to be one entry: every price, the limits and the lifecycle."""
    return {k: v for k, v in model.fields.items() if k.startswith("dollars_") or k in _IDENTITY}


def first_match(models: list[MapModel], names: list[str]) -> MapModel | None:
    """genai-prices' model for the first of ``names`` it prices; within a name, genai-prices' own
    order decides, as it does in genai-prices."""
    for name in names:
        for model in models:
            if model.matcher is not None and model.matcher(name.lower()):
                return model
    return None


@dataclass
class Unit:
    """One future registry entry: its current name (if any), its LiteLLM keys (the first is the
    one whose facts are used) and its genai-prices model."""

    name: str | None
    litellm: list[MapModel]
    genai: MapModel | None

    def joins(self, model: MapModel, genai: MapModel | None, named: str | None) -> bool:
        """Whether ``model`` is the same billable model as this unit, so it becomes an alias.

        Keys that name the same current entry always join; otherwise two keys join when
        genai-prices files them under one model and LiteLLM prices, sizes and retires them alike.
        """
        if named is not None and named == self.name:
            return True
        if genai is None or genai is not self.genai or (named is not None and self.name is not None):
            return False
        return identity(self.litellm[0]) == identity(model)

    def choose_name(self) -> None:
        """A new entry takes genai-prices' id when LiteLLM has that key, else the shortest key."""
        if self.name is None:
            names = [m.model_name for m in self.litellm]
            genai_id = self.genai.model_name if self.genai else None
            self.name = genai_id if genai_id in names else min(names, key=lambda n: (len(n), n))
        first = next((m for m in self.litellm if m.model_name == self.name), None)
        if first is not None:
            self.litellm.remove(first)
            self.litellm.insert(0, first)

    def names(self) -> set[str]:
        """Every LiteLLM name and alias in the unit."""
        return {n for m in self.litellm for n in m.names()}


def join(
    litellm: list[MapModel],
    genai: list[MapModel],
    existing: dict[str, dict[str, Any]],
    folded: dict[str, str],
    excluded: Any,
) -> tuple[list[Unit], list[str]]:
    """The units of one provider, and the LiteLLM keys only LiteLLM prices (left out).

    ``existing`` maps current entry names to entries, ``folded`` maps names the curation turns
    into aliases to their entry, and ``excluded(name)`` gives the curation's reason to leave a
    name out (or None).
    """
    owner = {a: e["model_name"] for e in existing.values() for a in (e["model_name"], *e.get("aliases", []))}
    owner.update(folded)
    units: list[Unit] = []
    only_litellm: list[str] = []
    for model in litellm:
        named = next((owner[n] for n in model.names() if n in owner), None)
        match = first_match(genai, model.names())
        if named is None and (excluded(model.model_name) is not None or match is None):
            if match is None and excluded(model.model_name) is None:
                only_litellm.append(model.model_name)
            continue
        twin = next((u for u in units if u.joins(model, match, named)), None)
        if twin is None:
            units.append(Unit(named, [model], match))
        else:
            twin.litellm.append(model)
            twin.name = twin.name or named
    claimed = {u.name for u in units}
    for name, entry in existing.items():
        if name not in claimed and name not in folded:
            units.append(Unit(name, [], first_match(genai, [name, *entry.get("aliases", [])])))
    for unit in units:
        unit.choose_name()
    return units, only_litellm
