"""The curated model registry: ``registry_json/<provider>.json``, shipped inside the wheel.

File shape::

    {"provider": "openai", "models": [{"model_name": "gpt-4o", "display_name": "GPT-4o", ...}]}

Each entry is validated strictly (unknown fields are errors, prices must be numbers or null) and
errors name the file, the model and the field.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from llmring.errors import RegistryError
from llmring.schemas import PROVIDERS, LLMModel

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

_PRICE_FIELDS = (
    "dollars_per_million_tokens_input",
    "dollars_per_million_tokens_output",
    "dollars_per_million_tokens_cached_input",
    "dollars_per_million_tokens_cache_write_5m",
    "dollars_per_million_tokens_cache_write_1h",
    "dollars_per_million_tokens_reasoning",
    "dollars_per_million_tokens_input_long_context",
    "dollars_per_million_tokens_output_long_context",
)


class RegistryEntry(BaseModel):
    """One model as written in a registry file (strict: no unknown fields, no string prices)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    model_name: str
    display_name: str
    description: str | None = None
    max_context: int | None = None
    max_output_tokens: int | None = None
    supports_vision: bool = False
    supports_function_calling: bool = False
    supports_json_mode: bool = False
    supports_parallel_tool_calls: bool = False
    supports_pdf: bool = False
    supports_streaming: bool = True
    supports_temperature: bool = True
    is_reasoning: bool = False
    tool_call_format: str | None = None
    dollars_per_million_tokens_input: float | int | None
    dollars_per_million_tokens_output: float | int | None
    dollars_per_million_tokens_cached_input: float | int | None = None
    dollars_per_million_tokens_cache_write_5m: float | int | None = None
    dollars_per_million_tokens_cache_write_1h: float | int | None = None
    dollars_per_million_tokens_reasoning: float | int | None = None
    long_context_threshold_tokens: int | None = None
    dollars_per_million_tokens_input_long_context: float | int | None = None
    dollars_per_million_tokens_output_long_context: float | int | None = None
    source: str
    as_of: str
    active: bool = True

    @field_validator(*_PRICE_FIELDS)
    @classmethod
    def _non_negative(cls, value: float | int | None) -> float | int | None:
        if value is not None and value < 0:
            raise ValueError("price must not be negative")
        return value

    def to_model(self, provider: str) -> LLMModel:
        data = self.model_dump(exclude={"active"})
        for name in _PRICE_FIELDS:
            # Through str() so 0.15 stays exactly 0.15 and 0 stays 0 (never None).
            if data[name] is not None:
                data[name] = Decimal(str(data[name]))
        return LLMModel(provider=provider, **data)


class RegistryFile(BaseModel):
    """A whole ``<provider>.json`` file."""

    model_config = ConfigDict(extra="forbid", strict=True)

    provider: str
    models: list[RegistryEntry]


def bundled_dir() -> Path:
    """The directory of the registry files that ship with llmring (for display; may not exist if zipped)."""
    return Path(str(resources.files("registry_json")))


def bundled_root() -> Traversable:
    """The bundled registry as a resource tree: works from an unpacked install and from a zipped wheel."""
    return resources.files("registry_json")


def _describe(error: ValidationError, raw: Any) -> str:
    first = error.errors()[0]
    loc = list(first["loc"])
    if not loc:
        return 'not a registry file: expected {"provider": ..., "models": [...]}'
    where = ".".join(str(p) for p in loc)
    if len(loc) >= 2 and loc[0] == "models" and isinstance(loc[1], int):
        try:
            name = raw["models"][loc[1]].get("model_name", f"#{loc[1]}")
        except (KeyError, IndexError, TypeError, AttributeError):
            name = f"#{loc[1]}"
        # Entries are flat, so loc[2] is the field; anything after it is pydantic's union-member
        # tag (a bad price is reported at "dollars_per_million_tokens_input.float"), not a field.
        field = str(loc[2]) if len(loc) > 2 else "(entry)"
        where = f"model {name!s}, field {field}"
    return f"{where}: {first['msg'].removeprefix('Value error, ')}"


def load_file(path: Path | Traversable) -> list[LLMModel]:
    """Load and validate one registry file; raises ``RegistryError`` naming file, model and field."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RegistryError(f"{path}: file not found", file=str(path)) from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RegistryError(f"{path}: not valid JSON ({exc})", file=str(path)) from exc
    try:
        parsed = RegistryFile.model_validate(raw)
    except ValidationError as exc:
        raise RegistryError(f"{path}: {_describe(exc, raw)}", file=str(path)) from exc
    expected = Path(path.name).stem
    if parsed.provider != expected:
        raise RegistryError(
            f"{path}: field provider: says {parsed.provider!r} but the file is for {expected!r}",
            file=str(path),
        )
    if parsed.provider not in PROVIDERS:
        raise RegistryError(f"{path}: field provider: unknown provider {parsed.provider!r}", file=str(path))
    seen: set[str] = set()
    models = []
    for entry in parsed.models:
        if entry.model_name in seen:
            raise RegistryError(f"{path}: model {entry.model_name}: listed twice", file=str(path))
        seen.add(entry.model_name)
        if entry.active:
            models.append(entry.to_model(parsed.provider))
    return models


def load_registry(
    directory: Path | Traversable | None = None, providers: Iterable[str] | None = None
) -> dict[str, list[LLMModel]]:
    """Load ``<provider>.json`` for each provider present in ``directory`` (default: bundled).

    Every file is validated before anything is returned, so a caller can apply all or nothing.
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
            result[provider] = load_file(path)
    if not result:
        raise RegistryError(f"{directory}: no <provider>.json files found", file=str(directory))
    return result


@lru_cache(maxsize=1)
def bundled_models() -> tuple[LLMModel, ...]:
    """Every active model in the bundled registry (cached: the files never change at run time)."""
    return tuple(m for models in load_registry().values() for m in models)


def find_bundled(provider: str, model_name: str) -> LLMModel | None:
    """A bundled model by provider and name, or None."""
    for model in bundled_models():
        if model.provider == provider and model.model_name == model_name:
            return model
    return None
