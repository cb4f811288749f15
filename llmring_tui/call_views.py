"""View models of the calls mode: the table's rows, a page of them, and one call's details.

Built from ``CallRecord`` rows by pure functions (``data.py`` fetches, the screens draw). User and
provider text (origins, model names, error messages, metadata) stays plain text throughout.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import TYPE_CHECKING

from llmring import formatting as fmt
from llmring.cost import billed_tokens

if TYPE_CHECKING:
    from llmring.schemas import CallRecord


@dataclass(frozen=True)
class CallsQuery:
    """The filters of the calls screen (None: no filter)."""

    status: str | None = None
    model: str | None = None
    origin: str | None = None
    id_at_origin: str | None = None
    search: str | None = None

    @property
    def filtered(self) -> bool:
        return any(v is not None for v in (self.status, self.model, self.origin, self.id_at_origin, self.search))


Cursor = tuple[datetime, str]


@dataclass(frozen=True)
class CallRow:
    """One call log row as the calls table shows it."""

    id: str
    cursor: Cursor
    time: str
    who: str
    model: str
    status: str
    attempt: int
    tokens: int
    cost: str
    latency: str
    cache_hit: bool


def cost_label(record: CallRecord) -> str:
    """The cost cell (``formatting.cost_cell``): dollars, ``cached``, ``unpriced`` or ``—``."""
    return fmt.cost_cell(record)


def call_row(record: CallRecord, tz: tzinfo | None) -> CallRow:
    """A ``CallRow`` for ``record`` with its time shown in ``tz``."""
    return CallRow(
        id=record.id,
        cursor=(record.called_at, record.id),
        time=fmt.timestamp(record.called_at, tz)[5:],  # MM-DD HH:MM:SS: the year is noise here
        who=f"{record.origin}/{record.id_at_origin}",
        model=f"{record.provider}:{record.model_name}",
        status=record.status,
        attempt=record.attempt,
        tokens=record.total_tokens,
        cost=cost_label(record),
        latency=fmt.latency(record.response_time_ms),
        cache_hit=record.cache_hit,
    )


@dataclass(frozen=True)
class CallsPage:
    """One page of the call log, newest first, and how to get the next one."""

    rows: tuple[CallRow, ...]
    query: CallsQuery
    page: int
    before: Cursor | None
    has_more: bool
    total_rows: int

    @property
    def next_cursor(self) -> Cursor | None:
        return self.rows[-1].cursor if self.rows and self.has_more else None


@dataclass(frozen=True)
class CostLine:
    """One billed component of a call: tokens, the rate used and what it came to."""

    component: str
    tokens: int
    rate: str
    amount: str


@dataclass(frozen=True)
class CallDetails:
    """Everything logged about one call, grouped for the details modal."""

    title: str
    request: tuple[tuple[str, str], ...]
    tokens: tuple[tuple[str, str], ...]
    cost: tuple[tuple[str, str], ...]
    cost_lines: tuple[CostLine, ...]
    rates: tuple[tuple[str, str], ...]
    error: tuple[tuple[str, str], ...]
    metadata: str | None


# Names of cost components and rate-snapshot keys (cost.py's vocabulary) as people read them.
RATE_LABELS = {
    "tier": "Tier",
    "input": "Input",
    "output": "Output",
    "cached_input": "Cached input",
    "cache_write_5m": "Cache write 5m",
    "cache_write_1h": "Cache write 1h",
    "reasoning": "Reasoning",
    "long_context_threshold_tokens": "Long ctx above",
}


def _component_tokens(record: CallRecord) -> dict[str, int]:
    # A reasoning amount in the bill means the model had a reasoning rate when it was priced.
    return dict(billed_tokens(record, has_reasoning_rate="reasoning" in (record.cost_breakdown or {})))


def call_details(record: CallRecord, tz: tzinfo | None) -> CallDetails:
    """A ``CallDetails`` for ``record``: request metadata, tokens, cost with its rates, error."""
    request = (
        ("Id", record.id),
        ("Call id", record.call_id or fmt.NONE),
        ("Attempt", f"{record.attempt}" + (" (final)" if record.final else " (retried)")),
        ("Time", fmt.timestamp(record.called_at, tz)),
        ("Origin / user", f"{record.origin} / {record.id_at_origin}"),
        ("Model", f"{record.provider}:{record.model_name}"),
        ("Status", record.status),
        ("Finish reason", record.finish_reason or fmt.NONE),
        ("Latency", fmt.latency(record.response_time_ms)),
        ("First token", fmt.latency(record.time_to_first_token_ms)),
        ("Stream", fmt.yes_no(record.stream)),
        ("Temperature", fmt.NONE if record.temperature is None else f"{record.temperature:g}"),
        ("Max tokens", fmt.count(record.max_tokens)),
        ("JSON mode", fmt.yes_no(record.json_mode)),
        ("Tools", ", ".join(record.tools_used) if record.tools_used else fmt.NONE),
        ("Cache hit", fmt.yes_no(record.cache_hit)),
        ("Request id", record.request_id or fmt.NONE),
    )
    tokens = (
        ("Prompt", fmt.count(record.prompt_tokens)),
        ("  cached read", fmt.count(record.cached_tokens)),
        ("  cache write 5m", fmt.count(record.cache_write_5m_tokens)),
        ("  cache write 1h", fmt.count(record.cache_write_1h_tokens)),
        ("Completion", fmt.count(record.completion_tokens)),
        ("  reasoning", fmt.count(record.reasoning_tokens)),
        ("Total", fmt.count(record.total_tokens)),
    )
    cost = (
        ("Estimated cost", cost_label(record)),
        ("Saved by cache", fmt.money(record.cache_savings)),
        ("Input rate", _per_million(record.dollars_per_million_tokens_input_used)),
        ("Output rate", _per_million(record.dollars_per_million_tokens_output_used)),
    )
    snapshot = record.rate_snapshot or {}
    component_tokens = _component_tokens(record)
    cost_lines = tuple(
        CostLine(
            component=RATE_LABELS.get(name, name),
            tokens=component_tokens.get(name, 0),
            rate=_rate_text(snapshot.get(name)),
            amount=fmt.money(Decimal(amount)),
        )
        for name, amount in (record.cost_breakdown or {}).items()
    )
    rates = tuple(
        (RATE_LABELS.get(name, name), str(value) if name == "tier" else _rate_text(value))
        for name, value in snapshot.items()
    )
    error: tuple[tuple[str, str], ...] = ()
    if record.error_type or record.error_message:
        error = (("Type", record.error_type or fmt.NONE), ("Message", record.error_message or fmt.NONE))
    metadata = json.dumps(record.request_metadata, indent=2, sort_keys=True) if record.request_metadata else None
    return CallDetails(
        title=f"Call {record.id}",
        request=request,
        tokens=tokens,
        cost=cost,
        cost_lines=cost_lines,
        rates=rates,
        error=error,
        metadata=metadata,
    )


def _per_million(rate: Decimal | None) -> str:
    return fmt.NONE if rate is None else f"{fmt.price(rate)} per million"


def _rate_text(value: str | int | None) -> str:
    if value is None:
        return fmt.NONE
    if isinstance(value, int):
        return fmt.count(value)
    return fmt.price(Decimal(value))
