"""View models of the calls mode: the table's rows, a page of them, and one call's details.

Built from ``CallRecord`` rows by pure functions (``data.py`` fetches, the screens draw). User and
provider text (origins, model names, error messages, metadata) stays plain text throughout.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from llmring import formatting as fmt
from llmring.cost import billed_tokens
from llmring.schemas import TOKEN_FIELDS

if TYPE_CHECKING:
    from llmring.capture import CapturedCall
    from llmring.schemas import CallRecord


# The time filter: (key, label, how far back). None: any time.
TIME_RANGES: tuple[tuple[str, str, timedelta], ...] = (
    ("1h", "last hour", timedelta(hours=1)),
    ("24h", "last 24 hours", timedelta(hours=24)),
    ("7d", "last 7 days", timedelta(days=7)),
    ("30d", "last 30 days", timedelta(days=30)),
)
TIME_RANGE_BY_KEY = {key: (label, span) for key, label, span in TIME_RANGES}


@dataclass(frozen=True)
class CallsQuery:
    """The filters and order of the calls screen (None: no filter; newest first by default)."""

    status: str | None = None
    model: str | None = None
    origin: str | None = None
    id_at_origin: str | None = None
    search: str | None = None
    time_range: str | None = None  # a TIME_RANGES key
    order_by: str = "time"
    ascending: bool = False

    @property
    def filtered(self) -> bool:
        values = (self.status, self.model, self.origin, self.id_at_origin, self.search, self.time_range)
        return any(v is not None for v in values)

    @property
    def keyset(self) -> bool:
        """Whether pages follow by keyset (newest first) rather than by offset (any other order)."""
        return self.order_by == "time" and not self.ascending

    def since(self, now: datetime) -> datetime | None:
        """The time filter's lower bound, relative to ``now``."""
        return None if self.time_range is None else now - TIME_RANGE_BY_KEY[self.time_range][1]


Cursor = tuple[datetime, str]


@dataclass(frozen=True)
class CallRow:
    """One call log row as the calls table shows it (text made inert), with its raw row for export."""

    id: str
    cursor: Cursor
    time: str
    who: str
    model: str
    model_name: str
    status: str
    attempt: int
    tokens: int
    cost: str
    latency: str
    cache_hit: bool
    record: CallRecord = field(compare=False, repr=False)


CALL_CSV = (
    "id",
    "called_at_utc",
    "provider",
    "model",
    "status",
    "attempt",
    "prompt_tokens",
    "completion_tokens",
    "cost_usd",
    "cache_hit",
    "latency_ms",
    "origin",
    "id_at_origin",
    "error_type",
)


def csv_row(record: CallRecord) -> list[object]:
    """A call's raw values, in ``CALL_CSV`` order."""
    return [
        record.id,
        record.called_at.astimezone(UTC),
        record.provider,
        record.model_name,
        record.status,
        record.attempt,
        record.prompt_tokens,
        record.completion_tokens,
        record.estimated_cost,
        record.cache_hit,
        record.response_time_ms,
        record.origin,
        record.id_at_origin,
        record.error_type,
    ]


def cost_label(record: CallRecord) -> str:
    """The cost cell (``formatting.cost_cell``): dollars, ``cached``, ``unpriced`` or ``—``."""
    return fmt.cost_cell(record)


def call_row(record: CallRecord, tz: tzinfo | None) -> CallRow:
    """A ``CallRow`` for ``record`` with its time shown in ``tz``."""
    return CallRow(
        id=record.id,
        cursor=(record.called_at, record.id),
        time=fmt.call_time(record, tz)[5:] or fmt.NONE,  # MM-DD HH:MM:SS: the year is noise here
        who=fmt.inert(f"{record.origin}/{record.id_at_origin}"),
        model=fmt.inert(f"{record.provider}:{record.model_name}{fmt.via_alias(record)}"),
        model_name=fmt.inert(record.model_name + fmt.via_alias(record)),
        status="damaged" if record.unreadable else record.status,
        attempt=record.attempt,
        tokens=record.total_tokens,
        cost=cost_label(record),
        latency=fmt.latency(record.response_time_ms),
        cache_hit=record.cache_hit,
        record=record,
    )


@dataclass(frozen=True)
class CallsPage:
    """One page of the call log in the query's order, and how to get the next one."""

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
    summary: tuple[tuple[str, str], ...]
    request: tuple[tuple[str, str], ...]
    tokens: tuple[tuple[str, str], ...]
    cost: tuple[tuple[str, str], ...]
    cost_lines: tuple[CostLine, ...]
    rates: tuple[tuple[str, str], ...]
    error: tuple[tuple[str, str], ...]
    metadata: str | None
    # Issue 17: the captured conversation as (heading, text) sections, inert; () when not captured.
    conversation: tuple[tuple[str, str], ...] = ()


# Names of cost components and rate-snapshot keys (cost.py's vocabulary) as people read them.
RATE_LABELS = {
    "tier": "Tier",
    "input": "Input",
    "output": "Output",
    "cached_input": "Cached input",
    "cache_write_5m": "Cache write 5m",
    "cache_write_1h": "Cache write 1h",
    "cache_write": "Cache write",
    "cache_write_12h": "Cache write 12h",
    "input_audio": "Audio input",
    "cached_input_audio": "Cached audio",
    "period": "Price period",
    "reasoning": "Reasoning",
    "long_context_threshold_tokens": "Long ctx above",
}


def _component_tokens(record: CallRecord) -> dict[str, int]:
    # A reasoning amount in the bill means the model had a reasoning rate when it was priced.
    counts = {name: getattr(record, name) for name in TOKEN_FIELDS if hasattr(record, name)}
    return billed_tokens(counts, has_reasoning_rate="reasoning" in (record.cost_breakdown or {}))


def call_details(record: CallRecord, tz: tzinfo | None, content: CapturedCall | None = None) -> CallDetails:
    """A ``CallDetails`` for ``record``: what matters first (model, time, status, cost), then the
    request, tokens, cost with its rates, and the error. All logged text is made inert."""
    status = record.status.replace("_", " ") + (f": {record.error_type}" if record.error_type else "")
    # An alias or dated snapshot is priced as its registry entry: say which (issue 12).
    key = f"{record.provider}:{record.model_name}"
    priced_as = (("Priced as", record.priced_as),) if record.priced_as and record.priced_as != key else ()
    summary = (
        ("Model", f"{key}{fmt.via_alias(record)}"),
        *priced_as,
        ("Time", f"{fmt.call_time(record, tz)} {fmt.zone_name(tz, record.called_at)}"),
        ("Status", status),
        ("Cost", cost_label(record)),
        ("Tokens", f"{record.prompt_tokens:,} in / {record.completion_tokens:,} out"),
        ("Latency", fmt.latency(record.response_time_ms)),
        ("Origin / user", f"{record.origin} / {record.id_at_origin}"),
    )
    request = (
        ("Id", record.id),
        ("Call id", record.call_id or fmt.NONE),
        *_alias_pair(record),
        ("Attempt", f"{record.attempt} ({fmt.attempt_outcome(record)})"),
        ("Finish reason", record.finish_reason or fmt.NONE),
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
        *(
            (label, fmt.count(value))
            for label, value in (
                ("  cache write", record.cache_write_tokens),
                ("  cache write 12h", record.cache_write_12h_tokens),
                ("  audio", record.audio_tokens),
                ("  cached audio", record.cached_audio_tokens),
            )
            if value
        ),
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
            component=RATE_LABELS.get(name, fmt.inert(name)),
            tokens=component_tokens.get(name, 0),
            rate=_rate_text(snapshot.get(name)),
            amount=_money_text(amount),
        )
        for name, amount in (record.cost_breakdown or {}).items()
    )
    rates = tuple(
        (
            RATE_LABELS.get(name, fmt.inert(name)),
            fmt.inert(str(value)) if name in ("tier", "period") else _rate_text(value),
        )
        for name, value in snapshot.items()
    )
    error: tuple[tuple[str, str], ...] = ()
    if record.error_type or record.error_message:
        error = (("Type", record.error_type or fmt.NONE), ("Message", record.error_message or fmt.NONE))
    if record.unreadable:
        unread = ", ".join(record.unreadable)
        error += (("Damaged", f"{unread} could not be read from the database (shown empty)"),)
    metadata = json.dumps(record.request_metadata, indent=2, sort_keys=True) if record.request_metadata else None
    return CallDetails(
        title=fmt.inert(f"Call {record.id}"),
        summary=_inert_pairs(summary),
        request=_inert_pairs(request),
        tokens=tokens,
        cost=cost,
        cost_lines=cost_lines,
        rates=rates,
        error=tuple((label, fmt.inert(value, multiline=True)) for label, value in error),
        metadata=None if metadata is None else fmt.inert(metadata, multiline=True),
        conversation=_conversation(content),
    )


def _alias_pair(record: CallRecord) -> tuple[tuple[str, str], ...]:
    """The alias the call named and which model of its chain this row is (issue 15)."""
    if not record.alias:
        return ()
    hop = f", model {record.hop} of its chain" if record.hop else ""
    return (("Alias", f"{record.alias}{hop}"),)


def _conversation(content: CapturedCall | None) -> tuple[tuple[str, str], ...]:
    if content is None:
        return ()
    from llmring.transcript import sections

    return tuple((fmt.inert(heading), fmt.inert(body, multiline=True)) for heading, body in sections(content))


def _inert_pairs(pairs: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    return tuple((label, fmt.inert(value)) for label, value in pairs)


def _per_million(rate: Decimal | None) -> str:
    return fmt.NONE if rate is None else f"{fmt.price(rate)} per million"


def _rate_text(value: str | int | None) -> str:
    if value is None:
        return fmt.NONE
    if isinstance(value, int):
        return fmt.count(value)
    try:
        return fmt.price(Decimal(value))
    except (InvalidOperation, ValueError, TypeError):
        return f"unreadable ({fmt.inert(str(value))})"


def _money_text(amount: str) -> str:
    """A logged amount (decimal text) as money; a value that is not a number is shown as such."""
    try:
        return fmt.money(Decimal(amount))
    except (InvalidOperation, ValueError, TypeError):
        return f"unreadable ({fmt.inert(str(amount))})"
