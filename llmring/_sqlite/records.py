"""Store input that is not SQL: seed-style ``record_api_call`` keywords, and the allowed values.

Backend-neutral: the PostgreSQL store uses these too, so both accept and reject the same input.
"""

from __future__ import annotations

import hashlib
from typing import Any, get_args

from pydantic import ValidationError

from llmring.errors import ConfigurationError
from llmring.schemas import CallRecord, CallStatus

STATUSES = frozenset(get_args(CallStatus))
BREAKDOWNS = frozenset({"model", "provider", "origin", "day"})

# Keyword arguments the seed's record_api_call took that CallRecord has no field for: kept in
# request_metadata rather than dropped (the system prompt only as a hash).
SEED_EXTRAS = frozenset({"top_p", "stop_sequences", "seed", "tool_choice", "parallel_tool_calls"})


def check_status(status: str | None) -> None:
    """A ``ConfigurationError`` for a call status filter that no row can have."""
    if status is not None and status not in STATUSES:
        raise ConfigurationError(f"unknown status {status!r}: use one of {', '.join(get_args(CallStatus))}")


def check_listing(limit: int, offset: int, status: str | None) -> None:
    """The arguments of ``list_recent_calls`` that both stores refuse before querying."""
    if limit < 0 or offset < 0:
        raise ConfigurationError("limit and offset must be >= 0")
    check_status(status)


def check_breakdown(by: str) -> None:
    """A ``ConfigurationError`` for a ``usage_breakdown`` key neither store can group by."""
    if by not in BREAKDOWNS:
        raise ConfigurationError(f"cannot break usage down by {by!r}: use model, provider, origin or day")


def record_from_fields(fields: dict[str, Any]) -> CallRecord:
    """A ``CallRecord`` from ``record_api_call`` keywords; unknown or invalid ones are errors."""
    fields = dict(fields)
    fields.pop("total_tokens", None)  # derived: prompt + completion
    extras = {name: fields.pop(name) for name in list(fields) if name in SEED_EXTRAS}
    system_prompt = fields.pop("system_prompt", None)
    if system_prompt is not None:
        extras["system_prompt_sha256"] = hashlib.sha256(str(system_prompt).encode()).hexdigest()
    unknown = sorted(set(fields) - set(CallRecord.model_fields))
    if unknown:
        raise ConfigurationError(f"record_api_call: unknown field(s) {', '.join(unknown)}")
    extras = {k: v for k, v in extras.items() if v is not None}
    if extras:
        fields["request_metadata"] = {**(fields.get("request_metadata") or {}), **extras}
    try:
        return CallRecord(**fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "record"
        raise ConfigurationError(f"record_api_call: {where}: {first['msg']}") from exc
