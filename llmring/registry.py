"""The curated model registry: ``registry_json/<provider>.json``, shipped inside the wheel.

The file format (every entry field, prices, price periods, reasoning controls) and its strict
validation are in ``llmring.registry_file``; this module reads files into ``LLMModel``s.

Reading it
    ``load_registry()`` / ``load_file()`` / ``bundled_models()`` return ``LLMModel``s of the models
    active now, priced as of now (the period in force copied into the price fields), which is what
    the stores and ``llmring.cost`` read today. ``include_retired=True`` adds retired models;
    ``price_history=True`` keeps the base prices and ``price_periods`` so that a caller can price
    each call at its own time with ``LLMModel.priced_at(called_at)`` (which also labels the period
    in ``price_period``). ``read_file()`` returns the validated file (``version``, ``updated``,
    entries). ``alias_index()`` / ``bundled_index()`` map ``(provider, name or alias)`` to a model.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel

from llmring import schemas
from llmring.errors import RegistryError
from llmring.registry_file import (
    PRICE_FIELDS,
    REASONING_LEVELS,
    PricePeriod,
    RegistryEntry,
    RegistryFile,
    read_file,
    validate_file,
)
from llmring.schemas import PROVIDERS, LLMModel

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

__all__ = [
    "PRICE_FIELDS",
    "REASONING_LEVELS",
    "PricePeriod",
    "RegistryEntry",
    "RegistryFile",
    "RegistryVersion",
    "alias_index",
    "bundled_dir",
    "bundled_index",
    "bundled_models",
    "bundled_root",
    "bundled_versions",
    "find_bundled",
    "load_file",
    "load_registry",
    "read_file",
    "validate_file",
]

_PRICE_FIELDS = PRICE_FIELDS  # the name the tests and older code use


class RegistryVersion(BaseModel):
    """The registry version a provider's stored models were last brought to (issue 12).

    ``version`` and ``updated`` are the registry file's; ``source`` says where they came from:
    ``"bundled"`` (the installed package: brought up to a newer package on open), a path or URL
    (``llmring registry update --from``), or ``"litellm"`` / ``"genai-prices"`` (a price map
    import keeps the version it was laid over). ``applied_at`` is when it was written.
    """

    provider: str
    version: int
    updated: str | None = None
    source: str
    applied_at: datetime | None = None


def bundled_dir() -> Path:
    """The directory of the registry files that ship with llmring (for display; may not exist if zipped)."""
    return Path(str(resources.files("registry_json")))


def bundled_root() -> Traversable:
    """The bundled registry as a resource tree: works from an unpacked install and from a zipped wheel."""
    return resources.files("registry_json")


def load_file(
    path: Path | Traversable, *, include_retired: bool = False, price_history: bool = False
) -> list[LLMModel]:
    """Load and validate one registry file; raises ``RegistryError`` naming file, model and field.

    By default: the models active now, priced as of now (see the module docstring).
    """
    parsed = read_file(path)
    now = schemas.utc_now()  # looked up per call, so a test's frozen clock applies
    models = []
    for entry in parsed.models:
        retired_at = entry.retired_at()
        if include_retired or retired_at is None or retired_at > now:
            model = entry.to_model(parsed.provider)
            models.append(model if price_history else model.priced_at(now))
    return models


def load_registry(
    directory: Path | Traversable | None = None,
    providers: Iterable[str] | None = None,
    *,
    include_retired: bool = False,
    price_history: bool = False,
) -> dict[str, list[LLMModel]]:
    """Load ``<provider>.json`` for each provider present in ``directory`` (default: bundled).

    Every file is validated before anything is returned, so a caller can apply all or nothing.
    ``include_retired`` and ``price_history`` are as in ``load_file``.
    """
    directory = directory if directory is not None else bundled_root()
    if not directory.is_dir():
        raise RegistryError(f"{directory}: not a directory of registry files", file=str(directory))
    wanted = list(providers) if providers is not None else list(PROVIDERS)
    unknown = [p for p in wanted if p not in PROVIDERS]
    if unknown:
        raise RegistryError(f"unknown provider {unknown[0]!r}: expected one of {', '.join(PROVIDERS)}")
    result: dict[str, list[LLMModel]] = {}
    for provider in wanted:
        path = directory / f"{provider}.json"
        if path.is_file():
            result[provider] = load_file(path, include_retired=include_retired, price_history=price_history)
    if not result:
        raise RegistryError(f"{directory}: no <provider>.json files found", file=str(directory))
    return result


@lru_cache(maxsize=4)
def bundled_models(include_retired: bool = False, price_history: bool = False) -> tuple[LLMModel, ...]:
    """Every bundled model (cached: the files never change at run time); defaults as ``load_file``."""
    registry = load_registry(include_retired=include_retired, price_history=price_history)
    return tuple(m for models in registry.values() for m in models)


def find_bundled(provider: str, model_name: str) -> LLMModel | None:
    """An active bundled model by provider and exact name, or None."""
    for model in bundled_models():
        if model.provider == provider and model.model_name == model_name:
            return model
    return None


def alias_index(models: Iterable[LLMModel]) -> dict[tuple[str, str], LLMModel]:
    """``(provider, name or alias) -> model`` for every model's name and aliases.

    Where two models claim one name (a store can hold a retired copy beside an active one, or a
    custom entry whose name is a bundled alias), an entry's own name beats an alias and an active
    model beats a retired one.
    """
    index: dict[tuple[str, str], LLMModel] = {}
    rank: dict[tuple[str, str], tuple[bool, bool]] = {}
    for model in models:
        active = model.is_active
        for name in (model.model_name, *model.aliases):
            key = (model.provider, name)
            strength = (name == model.model_name, active)
            if key not in rank or strength > rank[key]:
                index[key] = model
                rank[key] = strength
    return index


_HEAD = re.compile(r'^\{\s*"provider":\s*"[a-z]+",\s*"version":\s*(\d+),\s*"updated":\s*(null|"[0-9-]{10}")')


@lru_cache(maxsize=1)
def bundled_versions() -> dict[str, RegistryVersion]:
    """``provider -> RegistryVersion`` (source ``"bundled"``) of each file the package ships.

    Read from the head of each file (``tools/registry_sync.py`` writes provider, version and
    updated first), so a store can check on every open for a few microseconds; a file written
    otherwise is parsed whole.
    """
    root = bundled_root()
    found = {}
    for provider in PROVIDERS:
        path = root / f"{provider}.json"
        if not path.is_file():
            continue
        with path.open("r", encoding="utf-8") as handle:
            head = _HEAD.match(handle.read(256))
        if head is not None:
            version, updated = int(head[1]), json.loads(head[2])
        else:
            parsed = read_file(path)
            version, updated = parsed.version, parsed.updated
        found[provider] = RegistryVersion(provider=provider, version=version, updated=updated, source="bundled")
    return found


@lru_cache(maxsize=2)
def bundled_index(include_retired: bool = True) -> dict[tuple[str, str], LLMModel]:
    """``alias_index`` of the bundled registry (retired models included by default, so old names
    still resolve for pricing)."""
    return alias_index(bundled_models(include_retired=include_retired))
