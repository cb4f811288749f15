"""The answer side: token counts (``Usage``, ``TOKEN_FIELDS``, ``usage_dict``), ``LLMResponse``
and the ``StreamChunk``s of a streamed answer."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "error", "other"]


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
