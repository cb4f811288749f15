"""The request side: ``Message`` and ``LLMRequest``, which refuse bad input with one clear line
(``InvalidRequestError``) instead of pydantic's ``ValidationError``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from llmring.errors import InvalidRequestError

Role = Literal["system", "user", "assistant", "tool"]
ReasoningLevel = Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"]

PROVIDERS: tuple[str, ...] = ("openai", "anthropic", "google", "ollama")


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
