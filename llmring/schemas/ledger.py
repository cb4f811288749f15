"""The ledger's types: ``CallRecord`` (one logged row) and ``UsageStats`` (totals over rows)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, get_args

from pydantic import BaseModel, Field, PrivateAttr, model_validator

from llmring.schemas.stamps import new_id, utc_now

CallStatus = Literal["success", "error", "timeout", "rate_limited"]
CALL_STATUSES: tuple[str, ...] = get_args(CallStatus)


class CallRecord(BaseModel):
    """One logged row: a call attempt, its outcome, tokens, cost and request metadata.

    Retries of one logical call share ``call_id``; ``attempt`` counts from 1 (again at each
    ``hop`` of an alias, so it is that model's try) and the row that carries the call's outcome
    has ``final=True``. Money is Decimal and never float; an unknown price gives
    ``estimated_cost=None`` (never 0).
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
