"""``llmring calls show ID``: one call whole: when, which model, what it cost and how long it
took, then (when its content was captured) the conversation and the answer.

::

    llmring calls --content -n 5          # find it: the ID column
    llmring calls show 3f2a9c1e           # a unique start of the id is enough
    llmring calls show 3f2a9c1e --json    # the row and its content, for jq
    llmring calls show CALL_ID            # a whole call_id: the final row of its hops

Every logged and captured text is made inert before it reaches the terminal (a reply cannot
retitle the window or clear the screen); newlines are kept.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import TYPE_CHECKING, Annotated, Any

import typer

from llmring.cli.context import run_with_store
from llmring.cli.output import JsonOpt, LocalOpt

if TYPE_CHECKING:
    from llmring.capture import CapturedCall
    from llmring.schemas import CallRecord
    from llmring.store import Store

MIN_PREFIX = 4
CALL_ROWS_MAX = 100  # a call's rows: retries x fallback hops, far below this
NOT_CAPTURED = (
    "The prompt and answer of this call were not captured (LLMRing(log_content=False), "
    "or llmring ask --no-log-content), or were removed (llmring calls rm, prune-content)."
)


async def find_call(store: Store, id_or_prefix: str) -> CallRecord:
    """The row whose id is ``id_or_prefix`` or uniquely starts with it; else a one-line error.

    A whole ``call_id`` (what ``--json``, exports and errors show) works too: a call's retries and
    fallback hops share it, so it names the final row, the one that answered or gave up.
    """
    from llmring.errors import ConfigurationError
    from llmring.store import CallFilters

    wanted = id_or_prefix.strip().lower()
    if len(wanted) < MIN_PREFIX:
        raise ConfigurationError(f"call id {id_or_prefix!r} is too short: give at least {MIN_PREFIX} characters")
    found = await store.find_calls(wanted, limit=2)
    if not found:
        hops = await store.list_calls(CallFilters(call_id=wanted), limit=CALL_ROWS_MAX)
        if hops:
            return final_row(hops)
        raise ConfigurationError(
            f"no call with an id starting {wanted!r}: see the ID column of `llmring calls --content`"
        )
    if len(found) > 1 and found[0].id != wanted:
        raise ConfigurationError(f"call id {wanted!r} is ambiguous: give more of it ({found[0].id}, {found[1].id})")
    return found[0]


def final_row(rows: list[CallRecord]) -> CallRecord:
    """Of one call's rows (newest first), the one marked final, else the newest."""
    return next((row for row in rows if row.final), rows[0])


def show(
    ctx: typer.Context,
    call_id: Annotated[str, typer.Argument(metavar="ID", help="A call's id, or a unique start of it.")],
    local: LocalOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Show one call: its cost, tokens and timing, and the captured conversation and answer."""
    from llmring.cli.output import print_json, time_zone

    async def action(store: Store) -> tuple[CallRecord, CapturedCall | None]:
        record = await find_call(store, call_id)
        return record, await store.get_call_content(record.id)

    record, content = run_with_store(ctx, action)
    if as_json:
        print_json({"call": row_json(record), "content": None if content is None else content.as_dict()})
        return
    _print_call(record, content, time_zone(local))


def row_json(call: CallRecord) -> dict[str, Any]:
    """A call row as JSON-ready data (``calls --json``, ``calls show --json``)."""
    data = call.model_dump()
    data["total_tokens"] = call.total_tokens
    data["unpriced"] = call.unpriced
    data["unreadable"] = list(call.unreadable)
    if "called_at" in call.unreadable:
        data["called_at"] = None
    return data


def summary_pairs(record: CallRecord, tz: tzinfo) -> list[tuple[str, str]]:
    """The call's row as label/value pairs (what ``calls show`` prints above the conversation)."""
    from llmring import formatting as fmt

    status = record.status.replace("_", " ")
    if record.error_type:
        status += f": {record.error_type}"
    if not record.final:
        status += f" (attempt {record.attempt}, {fmt.attempt_outcome(record)})"
    latency = fmt.latency(record.response_time_ms)
    if record.time_to_first_token_ms is not None:
        latency += f" (first token {fmt.latency(record.time_to_first_token_ms)})"
    pairs = [
        ("Call", record.id),
        ("Time", f"{fmt.call_time(record, tz)} {fmt.zone_name(tz, record.called_at)}"),
        ("Model", f"{record.provider}:{record.model_name}{fmt.via_alias(record)}"),
        ("Status", status),
        ("Tokens", f"{record.prompt_tokens:,} input, {record.completion_tokens:,} output"),
        ("Cost", fmt.cost_cell(record)),
        ("Latency", latency),
        ("Origin/User", f"{record.origin}/{record.id_at_origin}"),
    ]
    if record.tags:
        pairs.append(("Tags", " ".join(f"{k}={v}" for k, v in sorted(record.tags.items()))))
    if record.conversation_id:
        pairs.append(("Conversation", record.conversation_id))
    if record.attempt > 1 or not record.final or (record.hop or 1) > 1:
        # One of several rows of a call (a retry or a fallback hop): name the call so the rest
        # can be listed with `llmring calls --call-id`.
        pairs.append(("Call ID", str(record.call_id)))
    if record.error_message:
        pairs.append(("Error", record.error_message))
    return pairs


def _print_call(record: CallRecord, content: CapturedCall | None, tz: tzinfo) -> None:
    from llmring.cli.output import OutputFormat, inert, print_pairs
    from llmring.transcript import sections

    print_pairs(summary_pairs(record, tz), OutputFormat.plain)
    if content is None:
        typer.echo("")
        typer.echo(NOT_CAPTURED)
        return
    for heading, body in sections(content):
        typer.echo("")
        typer.echo(f"--- {inert(heading)} ---")
        if body:
            typer.echo(inert(body, multiline=True))


def register(app: Any) -> None:
    """Add ``show`` to the ``calls`` group."""
    from llmring.cli.context import LLMRingCommand

    app.command("show", cls=LLMRingCommand, short_help="One call: cost, timing and the captured conversation.")(show)
