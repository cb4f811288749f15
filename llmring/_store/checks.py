"""Store input that is not SQL: the arguments both stores refuse, and seed-style row keywords.

Each check raises a one-line ``ConfigurationError`` before anything is queried or written, so
both backends accept and reject exactly the same input.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from llmring import schemas
from llmring.errors import ConfigurationError
from llmring.schemas import CallRecord
from llmring.store import BREAKDOWN_KEYS
from llmring.tags import tag_breakdown_key

# Keyword arguments the seed's record_api_call took that CallRecord has no field for: kept in
# request_metadata rather than dropped (the system prompt only as a hash).
SEED_EXTRAS = frozenset({"top_p", "stop_sequences", "seed", "tool_choice", "parallel_tool_calls"})


def check_listing(limit: int, offset: int) -> None:
    """The paging arguments of a call listing that both stores refuse before querying (the
    filters check themselves: ``CallFilters``)."""
    if limit < 0 or offset < 0:
        raise ConfigurationError("limit and offset must be >= 0")


def check_breakdown(by: str) -> None:
    """A ``ConfigurationError`` for a ``usage_breakdown`` key neither store can group by
    (``tag:KEY`` is one when KEY is a valid tag key)."""
    if isinstance(by, str) and tag_breakdown_key(by) is not None:
        return
    if by not in BREAKDOWN_KEYS:
        *rest, last = BREAKDOWN_KEYS
        raise ConfigurationError(f"cannot break usage down by {by!r}: use {', '.join(rest)}, {last} or tag:KEY")


def window_start(days: int | None, since: datetime | None = None) -> datetime | None:
    """The start of a rolling window of ``days`` days ending now (None: all time), checked; an
    explicit ``since`` (an aware datetime, e.g. a UTC midnight) replaces ``days``."""
    if since is not None:
        if since.tzinfo is None:
            raise ConfigurationError("since must be an aware datetime (e.g. datetime(..., tzinfo=UTC))")
        return since.astimezone(UTC)
    if days is not None and (isinstance(days, bool) or not isinstance(days, int) or days < 0):
        raise ConfigurationError(f"days must be a whole number >= 0 (or None for all time), not {days!r}")
    # Through the module, so a test's patched clock is seen.
    return None if days is None else schemas.utc_now().astimezone(UTC) - timedelta(days=days)


def check_ttl(ttl_seconds: Any) -> None:
    """A ``ConfigurationError`` for a cache lifetime that is not a positive whole number."""
    if isinstance(ttl_seconds, bool) or not isinstance(ttl_seconds, int) or ttl_seconds <= 0:
        raise ConfigurationError(f"ttl_seconds must be a positive integer, not {ttl_seconds!r}")


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
