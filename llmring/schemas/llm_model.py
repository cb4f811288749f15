"""``LLMModel``: one model of the registry as the service, the stores and the dashboard see it."""

from __future__ import annotations

from bisect import bisect_right
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field, field_validator

# The package, for its clock: ``schemas.utc_now`` is looked up per use, so a patched clock applies.
from llmring import schemas


class LLMModel(BaseModel):
    """A model in the registry: capabilities and prices (per million tokens, in dollars).

    A price of 0 means free (Ollama); ``None`` means unknown, and calls to it are "unpriced".
    Every field is documented in ``llmring.registry_file`` (the registry file format); the fields
    added with format v2 default to "unknown / not supported", so a store row without them still loads.

    ``price_periods`` holds dated price changes exactly as the registry file does: the top-level
    price fields are the prices before the first period, and each period replaces the prices it
    lists from its ``from`` date (00:00 UTC) on. ``priced_at(when)`` resolves them.
    """

    id: int | None = None
    provider: str
    model_name: str
    display_name: str | None = None
    description: str | None = None
    aliases: list[str] = Field(default_factory=list)
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
    reasoning_levels: list[Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"]] = Field(
        default_factory=list
    )
    reasoning_budget_min: int | None = None
    reasoning_budget_max: int | None = None
    prompt_cache_min_tokens: int | None = None
    responses_only: bool = False
    dollars_per_million_tokens_input: Decimal | None = None
    dollars_per_million_tokens_output: Decimal | None = None
    dollars_per_million_tokens_cached_input: Decimal | None = None
    dollars_per_million_tokens_cache_write_5m: Decimal | None = None
    dollars_per_million_tokens_cache_write_1h: Decimal | None = None
    dollars_per_million_tokens_cache_write: Decimal | None = None
    dollars_per_million_tokens_cache_write_12h: Decimal | None = None
    dollars_per_million_tokens_reasoning: Decimal | None = None
    dollars_per_million_tokens_input_audio: Decimal | None = None
    dollars_per_million_tokens_cached_input_audio: Decimal | None = None
    long_context_threshold_tokens: int | None = None
    dollars_per_million_tokens_input_long_context: Decimal | None = None
    dollars_per_million_tokens_output_long_context: Decimal | None = None
    price_periods: list[dict[str, Any]] = Field(default_factory=list)
    price_period: str | None = None
    successor: str | None = None
    note: str | None = None
    source: str | None = None
    as_of: str | None = None
    inactive_from: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    # priced_at's work, done once per model: its period start instants and the model built for each
    # period, keyed by id(model) (the entry holds the model, so the id is not reused). Pydantic's
    # private attributes cost about 5 us per read, so this is a plain class-level dict.
    _price_schedules: ClassVar[dict[int, tuple[LLMModel, list[datetime], dict[int, LLMModel]]]] = {}

    @field_validator("price_periods")
    @classmethod
    def _check_periods(cls, periods: list[dict[str, Any]]) -> list[dict[str, Any]]:
        checked: list[dict[str, Any]] = []
        previous = ""
        for period in periods:
            start = period.get("from")
            start = start.isoformat() if isinstance(start, date) else start
            try:
                if not isinstance(start, str) or len(start) != 10 or start <= previous:
                    raise ValueError(start)
                date.fromisoformat(start)
            except ValueError:
                raise ValueError("each price period needs a 'from' date (YYYY-MM-DD), in ascending order") from None
            entry: dict[str, Any] = {"from": start}
            for name, value in period.items():
                if name == "from":
                    continue
                if name == "note" or name == "long_context_threshold_tokens":
                    entry[name] = value
                elif name.startswith("dollars_per_million_tokens_") and name in cls.model_fields:
                    entry[name] = None if value is None else Decimal(str(value))
                else:
                    raise ValueError(f"price period field {name!r} is not a price field")
            checked.append(entry)
            previous = start
        return checked

    @property
    def is_active(self) -> bool:
        """True unless ``inactive_from`` (the provider's retirement instant) has passed."""
        if self.inactive_from is None:
            return True
        retired = self.inactive_from
        if retired.tzinfo is None:
            retired = retired.replace(tzinfo=UTC)
        return retired > schemas.utc_now()

    @property
    def key(self) -> str:
        """``provider:model_name``, the unambiguous way to name this model."""
        return f"{self.provider}:{self.model_name}"

    def priced_at(self, when: datetime) -> LLMModel:
        """This model with the prices in force at ``when`` (naive means UTC) in its price fields.

        The result has no ``price_periods`` and says in ``price_period`` which prices it carries:
        ``"base"`` (before the first period) or the ``from`` date of the period in force. A model
        without periods is returned as it is. Each period's model is built once, so a call costs
        a bisect and a dict lookup (about 1 microsecond).
        """
        if not self.price_periods:
            return self
        schedule = self._price_schedules.get(id(self))
        if schedule is None or schedule[0] is not self:
            if len(self._price_schedules) >= 4096:
                self._price_schedules.clear()
            starts = [datetime.fromisoformat(p["from"]).replace(tzinfo=UTC) for p in self.price_periods]
            schedule = self._price_schedules[id(self)] = (self, starts, {})
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        index = bisect_right(schedule[1], when)
        priced = schedule[2].get(index)
        if priced is None:
            update: dict[str, Any] = {"price_periods": [], "price_period": "base"}
            for period in self.price_periods[:index]:
                update.update((k, v) for k, v in period.items() if k not in ("from", "note"))
                update["price_period"] = period["from"]
            priced = schedule[2][index] = self.model_copy(update=update)
        return priced
