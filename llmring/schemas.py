"""Pydantic types shared by every part of llmring.

The names and the seed fields come from the seed API reference (``Message``, ``LLMRequest``,
``LLMResponse``, ``LLMModel``, ``UsageStats``); the rest (``StreamChunk``, ``CallRecord``,
``Usage``) are what the service, the stores and the dashboard exchange.
"""

from __future__ import annotations

import os
from bisect import bisect_right
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from llmring.errors import InvalidRequestError

Role = Literal["system", "user", "assistant", "tool"]
CallStatus = Literal["success", "error", "timeout", "rate_limited"]
CALL_STATUSES: tuple[str, ...] = get_args(CallStatus)
FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "error", "other"]
ReasoningLevel = Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"]

PROVIDERS: tuple[str, ...] = ("openai", "anthropic", "google", "ollama")


def utc_now() -> datetime:
    """The current time as an aware UTC datetime (one place, so tests can patch it)."""
    return datetime.now(UTC)


def new_id() -> str:
    """A random (version 4) UUID as text: ``str(uuid.uuid4())`` at about half the cost.

    Every logged call takes two (the call's and its row's), on the path whose overhead
    bench/service.py measures; ``uuid.UUID`` validates and converts in Python each time.
    """
    n = int.from_bytes(os.urandom(16), "big") & _UUID_KEEP | _UUID_V4
    h = f"{n:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


# Version 4 in bits 76-79 and the RFC 4122 variant in bits 62-63, as uuid.UUID(version=4) sets them.
_UUID_KEEP = ~((0xF000 << 64) | (0xC000 << 48)) & ((1 << 128) - 1)
_UUID_V4 = (0x4000 << 64) | (0x8000 << 48)


def _describe(model: str, error: ValidationError) -> str:
    """Pydantic's first problem as one line: ``invalid LLMRequest: temperature must be ... (got 5)``."""
    problems = error.errors()
    first = problems[0]
    where = ".".join(str(p) for p in first["loc"])
    text = first["msg"].removeprefix("Value error, ")
    if where and not text.startswith(where.rpartition(".")[2]):
        text = f"{where}: {text}"
    if first["loc"] and first["type"] != "missing" and not isinstance(first.get("input"), list):
        shown = repr(first.get("input"))
        text += f" (got {shown if len(shown) <= 60 else shown[:57] + '...'})"
    more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
    return f"invalid {model}: {text}{more}"


class _RequestModel(BaseModel):
    """Building one of these directly raises ``InvalidRequestError`` (an llmring ``ConfigurationError``
    and a ``ValueError``) instead of pydantic's ``ValidationError``.

    ``model_validate`` and validation as a field of another pydantic model keep pydantic's
    ``ValidationError``, so frameworks (FastAPI request bodies) see the error type they expect: the
    ``__pydantic_base_init__`` marker (pydantic's own, used by ``RootModel``) tells pydantic that this
    ``__init__`` need not run during validation.
    """

    if not TYPE_CHECKING:  # keep the field-typed constructor signature for type checkers

        def __init__(self, **data: Any) -> None:
            try:
                super().__init__(**data)
            except ValidationError as exc:
                raise InvalidRequestError(_describe(type(self).__name__, exc), exc.errors()) from exc

        __init__.__pydantic_base_init__ = True


class Message(_RequestModel):
    """One turn of a conversation.

    ``content`` is plain text or a list of content parts in the canonical shapes that
    ``file_utils`` builds: ``{"type": "text", "text": ...}``, ``{"type": "image_url",
    "image_url": {"url": "data:..."}}`` and ``{"type": "document", "source": {"type": "base64",
    "media_type": ..., "data": ...}}``. Every provider converts these to its own wire shape.
    """

    model_config = ConfigDict(extra="forbid")

    role: Role
    content: str | list[dict[str, Any]] | None = ""
    tool_calls: list[dict[str, Any]] | None = None
    tool_call_id: str | None = None
    name: str | None = None
    metadata: dict[str, Any] | None = None


def _has_content(message: Message) -> bool:
    content = message.content
    if isinstance(content, str):
        return bool(content.strip())
    return bool(content) or bool(message.tool_calls)


class LLMRequest(_RequestModel):
    """A provider-neutral chat request (all seed fields, plus tool_choice and sampling extras).

    Invalid fields (temperature outside 0-2, a malformed ``cache`` dict, no messages, only empty
    messages) raise ``llmring.errors.InvalidRequestError`` when built directly.
    """

    model_config = ConfigDict(extra="forbid")

    messages: list[Message]
    model: str
    temperature: float | None = None
    max_tokens: int | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None
    response_format: dict[str, Any] | None = None
    cache: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    json_response: bool | None = None
    top_p: float | None = None
    stop: list[str] | None = None
    seed: int | None = None
    timeout: float | None = Field(default=None, description="Per-request timeout in seconds.")
    # Issue 14: request controls.
    reasoning: ReasoningLevel | int | None = Field(
        default=None, description="A reasoning level (none ... max) or a thinking token budget (an integer >= 0)."
    )
    prompt_cache: Literal["5m", "1h"] | None = Field(
        default=None,
        description=(
            "Prompt caching: '5m' or '1h' (Anthropic breakpoints; OpenAI prompt_cache_key; Gemini and Ollama"
            " cache implicitly). None: off."
        ),
    )
    provider_options: dict[str, dict[str, Any]] | None = Field(
        default=None,
        description=(
            "Extra wire fields per provider ({'anthropic': {'top_k': 40}}), merged last into that provider's"
            " request body only; a field llmring sets itself cannot be overridden (UnsupportedFeatureError)."
        ),
    )

    # The service's ``llmring.controls.Plan`` for this request (set on the copy it sends).
    _plan: Any = PrivateAttr(default=None)

    @field_validator("reasoning", mode="before")
    @classmethod
    def _reasoning_shape(cls, value: Any) -> Any:
        if isinstance(value, bool) or (isinstance(value, int) and value < 0):
            raise ValueError(
                "reasoning must be a level (none, minimal, low, medium, high, xhigh, max) or a budget >= 0"
            )
        return value

    @field_validator("provider_options")
    @classmethod
    def _known_providers(cls, value: dict[str, dict[str, Any]] | None) -> dict[str, dict[str, Any]] | None:
        unknown = sorted(set(value or ()) - set(PROVIDERS))
        if unknown:
            raise ValueError(
                f"provider_options names unknown provider(s) {', '.join(unknown)}: use {', '.join(PROVIDERS)}"
            )
        return value

    @field_validator("temperature")
    @classmethod
    def _temperature_in_range(cls, value: float | None) -> float | None:
        if value is not None and not 0 <= value <= 2:
            raise ValueError("temperature must be between 0 and 2")
        return value

    @field_validator("max_tokens")
    @classmethod
    def _max_tokens_positive(cls, value: int | None) -> int | None:
        if value is not None and value <= 0:
            raise ValueError("max_tokens must be a positive integer")
        return value

    @field_validator("top_p")
    @classmethod
    def _top_p_in_range(cls, value: float | None) -> float | None:
        if value is not None and not 0 <= value <= 1:
            raise ValueError("top_p must be between 0 and 1")
        return value

    @field_validator("messages")
    @classmethod
    def _messages_not_empty(cls, value: list[Message]) -> list[Message]:
        if not value:
            raise ValueError("messages must contain at least one message")
        if not any(_has_content(m) for m in value):
            raise ValueError("messages are all empty: give the prompt text")
        return value

    @field_validator("cache")
    @classmethod
    def _cache_shape(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is None:
            return value
        unknown = set(value) - {"enabled", "ttl_seconds", "shared"}
        if unknown:
            raise ValueError(
                f"cache has unknown option(s) {', '.join(sorted(unknown))}: use enabled, ttl_seconds, shared"
            )
        for flag in ("enabled", "shared"):
            if flag in value and not isinstance(value[flag], bool):
                raise ValueError(f"cache[{flag!r}] must be true or false")
        ttl = value.get("ttl_seconds")
        if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, int) or ttl <= 0):
            raise ValueError("cache['ttl_seconds'] must be a positive integer")
        return value


class Usage(BaseModel):
    """Token counts normalised across providers (see wire_formats.md section 6).

    ``prompt_tokens`` includes cached reads and cache writes; ``completion_tokens`` includes
    reasoning tokens. The detail fields break those totals down for costing.
    """

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    cache_write_5m_tokens: int = 0
    cache_write_1h_tokens: int = 0
    reasoning_tokens: int = 0
    # Issue 12: OpenAI cache writes (all TTLs; ``cache_write_12h_tokens`` is the 12-hour part of
    # them) and audio prompt tokens (``cached_audio_tokens`` is the cached part of them), all
    # inside ``prompt_tokens`` like the counts above.
    cache_write_tokens: int = 0
    cache_write_12h_tokens: int = 0
    audio_tokens: int = 0
    cached_audio_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def as_dict(self) -> dict[str, int]:
        """The seed's ``usage`` dict: every count plus ``total_tokens``."""
        return usage_dict(**self.model_dump())


# The token counts of a call, in one order: ``Usage``'s fields, the call row's token columns,
# what the cache keeps of a response. Every other list of them is built from this one.
TOKEN_FIELDS: tuple[str, ...] = tuple(Usage.model_fields)


def usage_dict(
    prompt_tokens: int = 0,
    completion_tokens: int = 0,
    cached_tokens: int = 0,
    cache_write_5m_tokens: int = 0,
    cache_write_1h_tokens: int = 0,
    reasoning_tokens: int = 0,
    cache_write_tokens: int = 0,
    cache_write_12h_tokens: int = 0,
    audio_tokens: int = 0,
    cached_audio_tokens: int = 0,
) -> dict[str, int]:
    """``Usage(...).as_dict()`` without building a model, for counts already made whole ints.

    Stream parsers call it between network reads, where building a pydantic model costs many
    times its in-loop price (bench/overhead.py).
    """
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "cached_tokens": cached_tokens,
        "cache_write_5m_tokens": cache_write_5m_tokens,
        "cache_write_1h_tokens": cache_write_1h_tokens,
        "reasoning_tokens": reasoning_tokens,
        "cache_write_tokens": cache_write_tokens,
        "cache_write_12h_tokens": cache_write_12h_tokens,
        "audio_tokens": audio_tokens,
        "cached_audio_tokens": cached_audio_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


class LLMResponse(BaseModel):
    """A provider-neutral chat response.

    ``usage`` holds the normalised token counts (``Usage.as_dict``); after the service has priced
    the call it also carries ``cost`` (a Decimal, or None when the model is unpriced) and, on a
    call that read or wrote the provider's prompt cache, ``prompt_cache_savings``: the uncached
    price of those tokens less what they cost (negative when a write cost more than it saved).
    ``tool_calls`` are always in the OpenAI shape
    ``{"id", "type": "function", "function": {"name", "arguments": <JSON string>}}``.
    """

    content: str
    model: str
    usage: dict[str, Any] = Field(default_factory=dict)
    finish_reason: str | None = None
    tool_calls: list[dict[str, Any]] | None = None
    provider: str | None = None
    request_id: str | None = None
    cached: bool = False
    metadata: dict[str, Any] = Field(default_factory=dict)
    # Issue 14: with ``ring.chat(request, response_model=...)``, the validated answer (an instance of
    # the pydantic model, or the decoded JSON for a JSON schema dict); None otherwise.
    parsed: Any = None

    @property
    def total_tokens(self) -> int:
        return int(self.usage.get("total_tokens", 0))

    @property
    def cost(self) -> Decimal | None:
        value = self.usage.get("cost")
        return None if value is None else Decimal(str(value))


@dataclass(slots=True, init=False)
class StreamChunk:
    """One piece of a streamed response.

    ``delta`` is new text; ``tool_calls`` carries tool-call deltas in the OpenAI stream shape
    (``{"index", "id"?, "function": {"name"?, "arguments": <fragment>}}``). The final chunk has
    ``finish_reason`` and ``usage`` set (and, from the service, the cost in ``usage["cost"]``).

    A slotted dataclass, not a pydantic model: chunks are made only by llmring's own parsers, one
    per streamed event, between two network reads, where building a pydantic model costs many
    times its in-loop price (bench/overhead.py). ``model_dump`` is kept for callers that
    serialise chunks as they would the other types.
    """

    delta: str
    model: str | None
    finish_reason: str | None
    usage: dict[str, Any] | None
    tool_calls: list[dict[str, Any]] | None
    request_id: str | None

    def __init__(
        self,
        delta: str = "",
        model: str | None = None,
        finish_reason: str | None = None,
        usage: dict[str, Any] | None = None,
        tool_calls: list[dict[str, Any]] | None = None,
        request_id: str | None = None,
    ) -> None:
        # The types a pydantic model would guarantee (parsers turn the TypeError into a
        # ResponseFormatError), checked on the arguments in one expression: this runs once per
        # streamed event.
        if not (
            isinstance(delta, str)
            and (model is None or isinstance(model, str))
            and (finish_reason is None or isinstance(finish_reason, str))
            and (request_id is None or isinstance(request_id, str))
        ):
            raise TypeError("stream chunk text fields must be strings")
        if usage is not None and not isinstance(usage, dict):
            raise TypeError("stream chunk usage must be an object")
        if tool_calls is not None and (
            not isinstance(tool_calls, list) or not all(isinstance(call, dict) for call in tool_calls)
        ):
            raise TypeError("stream chunk tool_calls must be a list of objects")
        self.delta = delta
        self.model = model
        self.finish_reason = finish_reason
        self.usage = usage
        self.tool_calls = tool_calls
        self.request_id = request_id

    @property
    def content(self) -> str:
        return self.delta

    def model_dump(self) -> dict[str, Any]:
        """The chunk as a plain dict (like the pydantic types' ``model_dump``)."""
        return asdict(self)


class LLMModel(BaseModel):
    """A model in the registry: capabilities and prices (per million tokens, in dollars).

    A price of 0 means free (Ollama); ``None`` means unknown, and calls to it are "unpriced".
    Every field is documented in ``llmring.registry`` (the registry file format); the fields added
    with format v2 default to "unknown / not supported", so a store row without them still loads.

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
        return retired > utc_now()

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


class CallRecord(BaseModel):
    """One logged row: a call attempt, its outcome, tokens, cost and request metadata.

    Retries of one logical call share ``call_id``; ``attempt`` counts from 1 and the row that
    carries the call's outcome has ``final=True``. Money is Decimal and never float; an unknown
    price gives ``estimated_cost=None`` (never 0).
    """

    id: str = Field(default_factory=new_id)
    call_id: str | None = None
    attempt: int = 1
    final: bool = True
    origin: str = "llmring"
    id_at_origin: str = "default"
    provider: str
    model_name: str
    status: CallStatus = "success"
    error_type: str | None = None
    error_message: str | None = None
    finish_reason: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    cache_write_5m_tokens: int = 0
    cache_write_1h_tokens: int = 0
    reasoning_tokens: int = 0
    estimated_cost: Decimal | None = None
    cost_breakdown: dict[str, str] | None = None
    rate_snapshot: dict[str, str | int | None] | None = None
    dollars_per_million_tokens_input_used: Decimal | None = None
    dollars_per_million_tokens_output_used: Decimal | None = None
    response_time_ms: int | None = None
    time_to_first_token_ms: int | None = None
    stream: bool = False
    temperature: float | None = None
    max_tokens: int | None = None
    tools_used: list[str] | None = None
    json_mode: bool = False
    response_format: dict[str, Any] | None = None
    cache_hit: bool = False
    cache_savings: Decimal | None = None
    request_id: str | None = None
    request_metadata: dict[str, Any] | None = None
    called_at: datetime = Field(default_factory=utc_now)
    # Issue 14 (request controls): the reasoning setting sent (a level's name or a budget's digits).
    reasoning: str | None = None
    # Issue 12 (pricing): the token counts added with Usage's issue-12 fields; ``priced_as``, the
    # registry entry that priced the call (``provider:model_name``, which differs from the row's
    # model when an alias was sent); ``repriced_from``, the cost and rate snapshot a forced
    # ``llmring reprice`` replaced.
    cache_write_tokens: int = 0
    cache_write_12h_tokens: int = 0
    audio_tokens: int = 0
    cached_audio_tokens: int = 0
    priced_as: str | None = None
    repriced_from: dict[str, Any] | None = None
    # -- issue 16 (ledger): the call's tags (``llmring.tags``), stored per row and in a rollup
    tags: dict[str, str] | None = None

    # -- issue 17 (capture): the conversation a call belongs to (None: not in one) ---------------
    conversation_id: str | None = None
    # Issue 15 (aliases and fallback): the alias the caller named and which model of its chain
    # this row is (1 = the first); both None for a call that named a model.
    alias: str | None = None
    hop: int | None = None

    @model_validator(mode="after")
    def _default_call_id(self) -> CallRecord:
        if self.call_id is None:
            self.call_id = self.id
        return self

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    # Fields a store could not read back (a damaged row); not a column, never written.
    _unreadable: tuple[str, ...] = PrivateAttr(default=())
    # The call's captured prompt and answer (issue 17), written with the row into the content
    # tables; set by the recorder only when ``log_content`` is on. Not a column.
    _content: Any = PrivateAttr(default=None)

    @property
    def unpriced(self) -> bool:
        return self.estimated_cost is None and self.status == "success" and not self.cache_hit

    @property
    def unreadable(self) -> tuple[str, ...]:
        """The fields of a damaged row that could not be read (shown empty); () for a sound row."""
        return self._unreadable


class UsageStats(BaseModel):
    """Totals over a window of logged calls (one row per logical call, retries folded in).

    ``success_rate`` and ``cache_hit_rate`` are fractions (0.95 means 95%).
    """

    total_calls: int = 0
    total_tokens: int = 0
    total_cost: Decimal = Decimal("0")
    avg_cost_per_call: Decimal = Decimal("0")
    success_rate: Decimal = Decimal("0")
    most_used_model: str | None = None
    avg_response_time_ms: float | None = None
    total_prompt_tokens: int = 0
    total_completion_tokens: int = 0
    error_count: int = 0
    timeout_count: int = 0
    rate_limited_count: int = 0
    unpriced_calls: int = 0
    cache_hits: int = 0
    cache_hit_rate: Decimal = Decimal("0")
    cache_savings: Decimal = Decimal("0")
