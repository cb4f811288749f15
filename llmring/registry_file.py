"""The registry file format: what ``registry_json/<provider>.json`` holds and how it is validated.

Format v2, one file per provider::

    {"provider": "openai", "version": 3, "updated": "2026-12-04", "models": [{...}, ...]}

``version`` is an integer that ``tools/registry_sync.py`` bumps whenever the file's content
changes, and ``updated`` (YYYY-MM-DD) is the day of that change; a file written before v2 has
neither and loads as version 0. Every entry is validated strictly: unknown fields are errors,
numbers must be numbers, dates must be YYYY-MM-DD, and an error is one line that names the file,
the model and the field (``.../openai.json: model gpt-x, field aliases: 'gpt-y' is already the
name of model gpt-y``).

Entry fields. ``model_name``, ``display_name``, both base price fields, ``source`` and ``as_of``
are required; everything else defaults to "unknown" / "not supported".

Identity
    ``model_name``: the provider's API name, unique in the provider's file. ``display_name``,
    ``description``: for people. ``aliases``: other API names of the same model, billed at the
    same prices: dated snapshots (``gpt-4o-2024-08-06``), ``-latest`` names, no-date aliases
    (``claude-haiku-4-5``). The provider is still sent the name the caller used; the alias only
    finds the entry that prices and describes it. An alias is unique across the provider's file:
    never the entry's own name, nor another entry's name or alias. ``note``: why a figure was
    chosen where the sources disagree, and anything else a maintainer must know about the entry.

Lifecycle
    ``inactive_from`` (YYYY-MM-DD): the provider's retirement date. The model is active before
    00:00 UTC of that day (the date may be in the future) and retired from then on. ``successor``:
    the model of the same file the provider recommends instead; it may be set before any
    retirement date is announced. Retired entries stay so that old calls can still be priced.

Limits and capabilities
    ``max_context``: the context window in tokens, counting the output where the provider does
    (400,000 for gpt-5, of which up to 128,000 output). ``max_output_tokens``. ``supports_vision``
    (image input), ``supports_pdf``, ``supports_function_calling``, ``supports_parallel_tool_calls``,
    ``supports_streaming``, ``supports_temperature`` (False: the provider rejects or ignores
    sampling parameters), ``supports_json_mode`` (llmring can return JSON: natively or, for every
    Claude model, through a forced tool), ``is_reasoning`` (the model thinks before answering and
    bills its reasoning tokens as output), ``tool_call_format``.

    ``supports_structured_output``: the provider itself constrains the reply to a JSON schema
    (OpenAI ``response_format: {"type": "json_schema", ... "strict": true}``; Anthropic native
    JSON output, ``output_config.format``; Gemini ``responseJsonSchema``; Ollama ``format``).
    False: a schema can only be emulated (Anthropic: a forced tool) or not at all.

    ``responses_only``: OpenAI only. The model must be called through ``/v1/responses``: it is not
    served on ``/v1/chat/completions`` (the ``-pro`` and ``-codex`` models), or it is an ``o1``
    model, which llmring has always sent there.

    ``prompt_cache_min_tokens``: the shortest prompt prefix the provider caches. For Anthropic it
    is the minimum cacheable length at a ``cache_control`` breakpoint (a shorter prefix is
    silently not cached, so a breakpoint below it is wasted); for OpenAI and Gemini it is where
    implicit caching starts, for information.

Reasoning controls (how a request's ``reasoning`` setting reaches the model; issue 14)
    ``reasoning_control``: null when the model takes no reasoning setting, else one of:

    * ``"effort"``: OpenAI ``reasoning_effort`` (Chat Completions) / ``reasoning.effort``
      (Responses), sent as the level's name.
    * ``"adaptive"``: Anthropic ``thinking: {"type": "adaptive"}`` with ``output_config.effort``
      set to the level's name; level ``none`` is ``thinking: {"type": "disabled"}``.
    * ``"budget"``: a thinking token budget N: Anthropic ``thinking: {"type": "enabled",
      "budget_tokens": N}`` with ``max_tokens`` raised above N; Gemini 2.5
      ``generationConfig.thinkingConfig.thinkingBudget: N``. Level ``none`` turns thinking off
      (Anthropic: no ``thinking``; Gemini: budget 0); the other listed levels are translated to
      budgets between the bounds below (the translation table belongs to the request mapping).
    * ``"level"``: Gemini 3.x ``generationConfig.thinkingConfig.thinkingLevel``, the level's name.
    * ``"think"``: Ollama's ``think``. Level ``none`` is ``false``. Models that take named levels
      (gpt-oss: low, medium, high) are sent the level's name; the others take only ``true``, which
      is their one "on" level, ``high``.

    ``reasoning_levels``: the levels the model accepts, a subset of none, minimal, low, medium,
    high, xhigh, max in that order. Any other level is refused before sending, naming these.
    ``none`` is listed only when reasoning can be turned off. Empty when the model takes no named
    level (then ``reasoning_control`` is null too).

    ``reasoning_budget_min`` / ``reasoning_budget_max``: set (both) exactly when the model accepts
    an integer token budget: the smallest positive budget and the largest it accepts; 0 is
    accepted exactly when ``none`` is listed. Required on ``"budget"`` models; on ``"adaptive"``
    models they mean the deprecated ``budget_tokens`` form still works. An Anthropic budget must
    also stay below the request's ``max_tokens``, hence its maximum of ``max_output_tokens - 1``.

Prices (dollars per million tokens: a number, 0 for free, or null for unknown)
    ``dollars_per_million_tokens_input`` and ``_output`` (both present, maybe null);
    ``_cached_input`` (cache reads); ``_cache_write_5m`` / ``_cache_write_1h`` (Anthropic writes
    by TTL); ``_cache_write`` (OpenAI writes at the default TTL, 1.25x input on the gpt-5.6 and
    gpt-6 families); ``_cache_write_12h`` (OpenAI 12-hour writes, 2.5x input); ``_reasoning``
    (only where reasoning tokens have a rate of their own); ``_input_audio`` /
    ``_cached_input_audio`` (audio prompt tokens, and cache reads of them, where the provider
    reports tokens per modality). Null means no known rate: a call with tokens in that dimension
    cannot be priced exactly (``llmring.cost`` says which fallbacks it allows).
    ``long_context_threshold_tokens`` with ``_input_long_context`` / ``_output_long_context``: a
    request whose prompt exceeds the threshold is billed whole at those rates, its cache and audio
    rates scaled by the same factor as input.

    ``price_periods``: dated price changes, in ascending order: ``[{"from": "2027-01-01",
    "dollars_per_million_tokens_input": 1.5, ...}]``. The top-level prices are the ones before the
    first period; from 00:00 UTC of its ``from`` date each period replaces the prices it lists
    (null makes a price unknown, e.g. a withdrawn long-context tier sets the threshold to null)
    and the others carry over. A period may carry a ``note``.

Provenance
    ``source``: the provider's pricing page. ``as_of``: the day the entry was checked against the
    sources (YYYY-MM-DD).

``read_file()`` / ``validate_file()`` return the validated file (``version``, ``updated``, entries);
``llmring.registry`` loads files into ``LLMModel``s.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from llmring.errors import RegistryError
from llmring.schemas import PROVIDERS, LLMModel

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

PRICE_FIELDS: tuple[str, ...] = (
    "dollars_per_million_tokens_input",
    "dollars_per_million_tokens_output",
    "dollars_per_million_tokens_cached_input",
    "dollars_per_million_tokens_cache_write_5m",
    "dollars_per_million_tokens_cache_write_1h",
    "dollars_per_million_tokens_cache_write",
    "dollars_per_million_tokens_cache_write_12h",
    "dollars_per_million_tokens_reasoning",
    "dollars_per_million_tokens_input_audio",
    "dollars_per_million_tokens_cached_input_audio",
    "dollars_per_million_tokens_input_long_context",
    "dollars_per_million_tokens_output_long_context",
)
REASONING_LEVELS: tuple[str, ...] = ("none", "minimal", "low", "medium", "high", "xhigh", "max")

Price = float | int | None
Level = Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"]


def _iso_day(value: str | None) -> str | None:
    if value is not None and (len(value) != 10 or not _parses(value)):
        raise ValueError(f"expected a date as YYYY-MM-DD, got {value!r}")
    return value


def _parses(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _non_negative(value: Price) -> Price:
    if value is not None and value < 0:
        raise ValueError("price must not be negative")
    return value


class PricePeriod(BaseModel):
    """One dated price change: the prices it lists apply from ``from`` (00:00 UTC) on."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)

    start: str = Field(alias="from")
    note: str | None = None
    dollars_per_million_tokens_input: Price = None
    dollars_per_million_tokens_output: Price = None
    dollars_per_million_tokens_cached_input: Price = None
    dollars_per_million_tokens_cache_write_5m: Price = None
    dollars_per_million_tokens_cache_write_1h: Price = None
    dollars_per_million_tokens_cache_write: Price = None
    dollars_per_million_tokens_cache_write_12h: Price = None
    dollars_per_million_tokens_reasoning: Price = None
    dollars_per_million_tokens_input_audio: Price = None
    dollars_per_million_tokens_cached_input_audio: Price = None
    long_context_threshold_tokens: int | None = None
    dollars_per_million_tokens_input_long_context: Price = None
    dollars_per_million_tokens_output_long_context: Price = None

    _day = field_validator("start")(_iso_day)
    _prices = field_validator(*PRICE_FIELDS)(_non_negative)

    def changes(self) -> dict[str, Any]:
        """The fields this period sets (a field written as null sets the price to unknown)."""
        return {k: v for k, v in self.model_dump(exclude={"start", "note"}).items() if k in self.model_fields_set}


class RegistryEntry(BaseModel):
    """One model as written in a registry file (strict: no unknown fields, no string prices)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    model_name: str
    display_name: str
    description: str | None = None
    aliases: list[str] = []
    max_context: int | None = None
    max_output_tokens: int | None = None
    supports_vision: bool = False
    supports_function_calling: bool = False
    supports_json_mode: bool = False
    supports_parallel_tool_calls: bool = False
    supports_pdf: bool = False
    supports_streaming: bool = True
    supports_temperature: bool = True
    supports_structured_output: bool = False
    is_reasoning: bool = False
    tool_call_format: str | None = None
    reasoning_control: Literal["effort", "adaptive", "budget", "level", "think"] | None = None
    reasoning_levels: list[Level] = []
    reasoning_budget_min: int | None = None
    reasoning_budget_max: int | None = None
    prompt_cache_min_tokens: int | None = None
    responses_only: bool = False
    dollars_per_million_tokens_input: Price
    dollars_per_million_tokens_output: Price
    dollars_per_million_tokens_cached_input: Price = None
    dollars_per_million_tokens_cache_write_5m: Price = None
    dollars_per_million_tokens_cache_write_1h: Price = None
    dollars_per_million_tokens_cache_write: Price = None
    dollars_per_million_tokens_cache_write_12h: Price = None
    dollars_per_million_tokens_reasoning: Price = None
    dollars_per_million_tokens_input_audio: Price = None
    dollars_per_million_tokens_cached_input_audio: Price = None
    long_context_threshold_tokens: int | None = None
    dollars_per_million_tokens_input_long_context: Price = None
    dollars_per_million_tokens_output_long_context: Price = None
    price_periods: list[PricePeriod] = []
    inactive_from: str | None = None
    successor: str | None = None
    note: str | None = None
    source: str
    as_of: str

    _days = field_validator("inactive_from", "as_of")(_iso_day)
    _prices = field_validator(*PRICE_FIELDS)(_non_negative)

    def problem(self) -> tuple[str, str] | None:
        """The first rule this entry breaks on its own, as ``(field, message)``, or None."""
        if self.model_name in self.aliases:
            return "aliases", f"{self.model_name!r} is the model's own name"
        if len(set(self.aliases)) != len(self.aliases):
            return "aliases", "an alias is listed twice"
        if self.successor == self.model_name:
            return "successor", "a model cannot succeed itself"
        levels = self.reasoning_levels
        if levels != sorted(set(levels), key=REASONING_LEVELS.index):
            return "reasoning_levels", f"list each level once, in the order {', '.join(REASONING_LEVELS)}"
        if levels and self.reasoning_control is None:
            return "reasoning_levels", "levels need a reasoning_control"
        has_budget = (self.reasoning_budget_min, self.reasoning_budget_max) != (None, None)
        if has_budget and None in (self.reasoning_budget_min, self.reasoning_budget_max):
            return "reasoning_budget_max", "set reasoning_budget_min and reasoning_budget_max together"
        if has_budget and self.reasoning_control not in ("budget", "adaptive"):
            return "reasoning_budget_min", "token budgets need reasoning_control 'budget' or 'adaptive'"
        if self.reasoning_control == "budget" and not has_budget:
            return "reasoning_budget_min", "a 'budget' model needs reasoning_budget_min and reasoning_budget_max"
        if has_budget and not 0 < self.reasoning_budget_min <= self.reasoning_budget_max:  # type: ignore[operator]
            return "reasoning_budget_min", "expected 0 < reasoning_budget_min <= reasoning_budget_max"
        starts = [p.start for p in self.price_periods]
        if starts != sorted(set(starts)):
            return "price_periods", "periods must have distinct 'from' dates in ascending order"
        if any(not p.changes() for p in self.price_periods):
            return "price_periods", "a period must set at least one price"
        return None

    def to_model(self, provider: str) -> LLMModel:
        """The ``LLMModel`` of this entry: base prices as Decimals, with its ``price_periods``."""
        data = self.model_dump(exclude={"price_periods", "inactive_from"})
        for name in PRICE_FIELDS:
            data[name] = _decimal(data[name])
        periods = []
        for period in self.price_periods:
            changes = {k: _decimal(v) if k in PRICE_FIELDS else v for k, v in period.changes().items()}
            periods.append({"from": period.start, **changes, **({"note": period.note} if period.note else {})})
        return LLMModel(provider=provider, price_periods=periods, inactive_from=self.retired_at(), **data)

    def retired_at(self) -> datetime | None:
        """``inactive_from`` as the instant the model retires (00:00 UTC that day), or None."""
        if self.inactive_from is None:
            return None
        return datetime.combine(date.fromisoformat(self.inactive_from), datetime.min.time(), UTC)


def _decimal(value: Price) -> Decimal | None:
    # Through str() so 0.15 stays exactly 0.15 and 0 stays 0 (never None).
    return None if value is None else Decimal(str(value))


class RegistryFile(BaseModel):
    """A whole ``<provider>.json`` file (``version`` 0 and no ``updated``: a file older than v2)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    provider: str
    version: int = 0
    updated: str | None = None
    models: list[RegistryEntry]

    _updated = field_validator("updated")(_iso_day)

    @field_validator("version")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value < 1:
            raise ValueError("version must be 1 or more")
        return value


def _describe(error: ValidationError, raw: Any) -> str:
    first = error.errors()[0]
    loc = list(first["loc"])
    if not loc:
        return 'not a registry file: expected {"provider": ..., "version": ..., "updated": ..., "models": [...]}'
    where = ".".join(str(p) for p in loc)
    if len(loc) >= 2 and loc[0] == "models" and isinstance(loc[1], int):
        try:
            name = raw["models"][loc[1]].get("model_name", f"#{loc[1]}")
        except (KeyError, IndexError, TypeError, AttributeError):
            name = f"#{loc[1]}"
        # Entries are flat, so loc[2] is the field; anything after it is pydantic's union-member
        # tag (a bad price is reported at "dollars_per_million_tokens_input.float"), not a field.
        # A price period is one level deeper: price_periods[1].from.
        field = str(loc[2]) if len(loc) > 2 else "(entry)"
        if field == "price_periods" and len(loc) > 4 and isinstance(loc[3], int):
            field = f"price_periods[{loc[3]}].{loc[4]}"
        where = f"model {name!s}, field {field}"
    return f"{where}: {first['msg'].removeprefix('Value error, ')}"


def _cross_check(parsed: RegistryFile) -> str | None:
    """The first rule broken between entries (names, aliases, successors), or None."""
    names = [entry.model_name for entry in parsed.models]
    owner: dict[str, str] = {}  # every name and alias -> the entry that holds it
    for name in names:
        if name in owner:
            return f"model {name}: listed twice"
        owner[name] = name
    for entry in parsed.models:
        broken = entry.problem()
        if broken is not None:
            return f"model {entry.model_name}, field {broken[0]}: {broken[1]}"
        for alias in entry.aliases:
            other = owner.setdefault(alias, entry.model_name)
            if other != entry.model_name:
                what = "the name" if other == alias else "an alias"
                return f"model {entry.model_name}, field aliases: {alias!r} is already {what} of model {other}"
    for entry in parsed.models:
        if entry.successor is not None and entry.successor not in names:
            return f"model {entry.model_name}, field successor: no model {entry.successor!r} in this file"
    return None


def read_file(path: Path | Traversable) -> RegistryFile:
    """Read and validate one registry file (every entry, retired ones too).

    Raises ``RegistryError`` with one line naming the file, the model and the field.
    """
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RegistryError(f"{path}: file not found", file=str(path)) from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RegistryError(f"{path}: not valid JSON ({exc})", file=str(path)) from exc
    return validate_file(raw, str(path), expected=Path(path.name).stem)


def validate_file(raw: Any, where: str, *, expected: str | None = None) -> RegistryFile:
    """Validate a parsed registry file (``expected``: the provider its name says); raises
    ``RegistryError`` with one line that starts with ``where`` and names the model and field."""
    try:
        parsed = RegistryFile.model_validate(raw)
    except ValidationError as exc:
        raise RegistryError(f"{where}: {_describe(exc, raw)}", file=where) from exc
    if expected is not None and parsed.provider != expected:
        raise RegistryError(
            f"{where}: field provider: says {parsed.provider!r} but the file is for {expected!r}", file=where
        )
    if parsed.provider not in PROVIDERS:
        raise RegistryError(f"{where}: field provider: unknown provider {parsed.provider!r}", file=where)
    problem = _cross_check(parsed)
    if problem is not None:
        raise RegistryError(f"{where}: {problem}", file=where)
    return parsed
