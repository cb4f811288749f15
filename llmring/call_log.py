"""The rows of one call: ``CallRecorder`` turns a logical call into call-log rows.

One row per failed attempt that was retried (``final=False``, from the provider's ``on_retry``
hook) and one outcome row (``final=True``: success, failure or cache hit), all sharing a
``call_id``, with the call's timing (latency, time to first token). Rows go to a sink (the ring's
``LazyStore``, whose ``BackgroundWriter`` writes them in batches); with logging off there is no
sink and no row is even built. No API key or header value is ever put in a row: metadata keys
that look secret are dropped and every message is redacted. With a ``capture``
(``LLMRing(log_content=True)``, issue 17) the outcome row also carries what was asked and
answered (``llmring.capture``), written in the same transaction as the row; attempt rows do not.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from llmring.errors import redact
from llmring.providers.common import tool_names, wants_json
from llmring.schemas import TOKEN_FIELDS, CallRecord, CallStatus, new_id

if TYPE_CHECKING:
    from llmring.capture import Capture
    from llmring.cost import CostResult
    from llmring.progress import ProgressHook
    from llmring.providers.base import RetryInfo
    from llmring.schemas import LLMRequest

logger = logging.getLogger("llmring.calls")

_SECRET_KEY = re.compile(
    r"(?i)(api[_-]?key|^key$|_key$|secret|token|passw|authori[sz]ation|^auth($|[_-])|cookie|credential|signature)"
)


def clean_metadata(metadata: dict[str, Any] | None) -> dict[str, Any] | None:
    """The request's metadata minus secret-looking keys, with secret-looking values redacted."""
    if not metadata:
        return None
    cleaned: dict[str, Any] = {}
    for name, value in metadata.items():
        if _SECRET_KEY.search(str(name)):
            continue
        if isinstance(value, str):
            value = redact(value, limit=500)
        elif isinstance(value, dict):
            value = clean_metadata(value)
        cleaned[str(name)] = value
    return cleaned


def status_of(error: BaseException) -> CallStatus:
    """The log status for an exception: ``error``, ``timeout`` or ``rate_limited``."""
    status = getattr(error, "status_for_log", "error")
    if status == "timeout":
        return "timeout"
    if status == "rate_limited":
        return "rate_limited"
    return "error"


@dataclass
class CallRecorder:
    """The rows of one logical call (every attempt) and the timing they need."""

    origin: str
    id_at_origin: str
    provider: str
    model_name: str
    request: LLMRequest
    sink: Callable[[CallRecord], None] | None
    stream: bool = False
    call_id: str = field(default_factory=new_id)
    started: float = field(default_factory=time.perf_counter)
    attempts: int = 0
    first_token_at: float | None = None
    tags: dict[str, str] | None = None
    alias: str | None = None  # set, with ``hop``, for a call through an alias (one recorder per call)
    hop: int | None = None
    # Issue 17: what the final row captures (None: content is not logged) and its conversation.
    capture: Capture | None = None
    conversation_id: str | None = None
    # Issue 15: who is told of each retry (``LLMRing(progress=...)``) and the most retries there are.
    progress: ProgressHook | None = None
    retries: int = 0

    def _record(self, **fields: Any) -> CallRecord:
        request = self.request
        json_mode, _ = wants_json(request.response_format, request.json_response)
        self.attempts += 1
        return CallRecord(
            call_id=self.call_id,
            attempt=self.attempts,
            origin=self.origin,
            id_at_origin=self.id_at_origin,
            provider=self.provider,
            model_name=self.model_name,
            stream=self.stream,
            temperature=request.temperature,
            max_tokens=request.max_tokens,
            tools_used=tool_names(request.tools) or None,
            json_mode=json_mode,
            response_format=request.response_format,
            request_metadata=clean_metadata(request.metadata),
            alias=self.alias,
            hop=self.hop,
            reasoning=None if request.reasoning is None else str(request.reasoning),
            tags=self.tags,
            conversation_id=self.conversation_id,
            **fields,
        )

    def _with_content(
        self, record: CallRecord, text: str | None = None, tool_calls: list[dict[str, Any]] | None = None
    ) -> CallRecord:
        """Attach the request (and the answer, when there is one) to the outcome row."""
        if self.capture is None:
            return record
        from llmring.capture import CallContent, parsed_json

        parts = self.capture.request_parts(self.request)
        if text is not None or tool_calls:
            parsed = parsed_json(text) if record.json_mode else None
            parts.append(self.capture.response_part(text, tool_calls, parsed))
        record._content = CallContent(parts)
        return record

    def elapsed_ms(self) -> int:
        return int((time.perf_counter() - self.started) * 1000)

    def mark_first_token(self) -> None:
        if self.first_token_at is None:
            self.first_token_at = time.perf_counter()

    def _ttft_ms(self) -> int | None:
        return None if self.first_token_at is None else int((self.first_token_at - self.started) * 1000)

    def on_retry(self, info: RetryInfo) -> None:
        """The provider's retry hook: one ``final=False`` row per failed attempt (and the
        progress hook told what is retried, why and when)."""
        error = info.error
        if self.progress is not None:
            from llmring.fallback import hop_reason
            from llmring.progress import Progress

            model = f"{self.provider}:{self.model_name}"
            reason = hop_reason(error, with_wait=False)
            self.progress(Progress("retrying", model, reason, info.attempt, self.retries, info.delay))
        if self.sink is None:
            return
        self.sink(
            self._record(
                final=False,
                status=status_of(error),
                error_type=type(error).__name__,
                error_message=redact(str(error)),
                response_time_ms=info.elapsed_ms,
                request_id=getattr(error, "request_id", None),
            )
        )

    def success(
        self,
        usage: dict[str, Any] | None,
        cost: CostResult,
        *,
        finish_reason: str | None = None,
        request_id: str | None = None,
        text: str | None = None,
        tool_calls: list[dict[str, Any]] | None = None,
    ) -> None:
        """Log the outcome of a call that worked (``usage`` None: the provider reported none);
        ``text`` and ``tool_calls`` are the answer, captured when content is logged."""
        if self.sink is None:
            return
        tokens = {name: int(usage.get(name) or 0) for name in TOKEN_FIELDS} if usage else {}
        record = self._record(
            status="success",
            finish_reason=finish_reason,
            estimated_cost=cost.total if usage is not None else None,
            cost_breakdown=cost.breakdown or None,
            rate_snapshot=cost.rate_snapshot or None,
            dollars_per_million_tokens_input_used=cost.input_rate,
            dollars_per_million_tokens_output_used=cost.output_rate,
            priced_as=cost.priced_as,
            response_time_ms=self.elapsed_ms(),
            time_to_first_token_ms=self._ttft_ms(),
            request_id=request_id,
            **tokens,
        )
        self.sink(self._with_content(record, text, tool_calls))

    def cache_hit(
        self, savings: Decimal | None, text: str | None = None, tool_calls: list[dict[str, Any]] | None = None
    ) -> None:
        """Log a call answered from the cache: no tokens billed, cost 0, savings recorded."""
        if self.sink is None:
            return
        record = self._record(
            status="success",
            cache_hit=True,
            estimated_cost=Decimal(0),
            cache_savings=savings,
            response_time_ms=self.elapsed_ms(),
            time_to_first_token_ms=self._ttft_ms(),
        )
        self.sink(self._with_content(record, text, tool_calls))

    def next_hop(self, provider: str, model_name: str) -> None:
        """The alias's next model: the rows that follow are that hop's, their attempts counted
        from 1 again (a row's ``attempt`` is its model's try, as ``calls`` shows it)."""
        self.provider, self.model_name = provider, model_name
        self.hop = (self.hop or 0) + 1
        self.attempts = 0

    def failure(self, error: BaseException, *, final: bool = True) -> None:
        """Log a failed call (``final=False``: a failed hop the call moved on from), with its
        redacted message."""
        if self.sink is None:
            return
        message = str(error) or type(error).__name__
        record = self._record(
            final=final,
            status=status_of(error),
            error_type=type(error).__name__,
            error_message=redact(message),
            response_time_ms=self.elapsed_ms(),
            time_to_first_token_ms=self._ttft_ms(),
            request_id=getattr(error, "request_id", None),
        )
        self.sink(self._with_content(record))
