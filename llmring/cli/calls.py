"""``llmring calls``: the most recent logged calls, newest first, as a table, plain text, TSV or JSON.

::

    llmring calls -n 20 --status error --since 7d
    llmring calls --model openai:gpt-4o-mini --user alice --json
    llmring calls --search "x-api-key"           # model, origin, user, error, prompt or answer
    llmring calls --tag feature=summarise --tag env=prod
    llmring calls --format tsv | cut -f1,5       # time and cost, for a spreadsheet
    llmring calls --conversation ID --content    # the turns of one conversation (ask -c)
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Annotated, Any

import typer

from llmring.cli.ages import parse_since
from llmring.cli.context import run_with_store
from llmring.cli.output import Column, FormatOpt, JsonOpt, LocalOpt

if TYPE_CHECKING:
    from llmring.capture import CapturedCall
    from llmring.schemas import CallRecord
    from llmring.store import Store

# Kept in step with schemas.CallStatus by tests/cli/test_help.py (the help must not import pydantic).
STATUS_HELP = "success, error, timeout or rate_limited."
NO_CALLS = 'No calls logged yet: run `llmring ask -m MODEL "..."` or use LLMRing in your code.'


def calls(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, metavar="N", help="How many calls.")] = 20,
    model: Annotated[
        str | None, typer.Option("--model", "-m", metavar="MODEL", help="provider:model or a model name.")
    ] = None,
    status: Annotated[str | None, typer.Option("--status", metavar="STATUS", help=STATUS_HELP)] = None,
    origin: Annotated[
        str | None, typer.Option("--origin", metavar="NAME", help="Only calls from this application.")
    ] = None,
    user: Annotated[str | None, typer.Option("--user", metavar="ID", help="Only calls for this id_at_origin.")] = None,
    since: Annotated[
        str | None, typer.Option("--since", metavar="WHEN", help="2026-11-01, or an age: 30m, 12h, 7d, 2w.")
    ] = None,
    search: Annotated[
        str | None,
        typer.Option(
            "--search",
            "-s",
            metavar="TEXT",
            help="Only calls whose model, origin, user or error contains TEXT, or whose prompt or answer has it.",
        ),
    ] = None,
    tag: Annotated[
        list[str] | None,
        typer.Option("--tag", metavar="KEY=VALUE", help="Only calls with this tag (repeatable: all must match)."),
    ] = None,
    conversation: Annotated[
        str | None,
        typer.Option("--conversation", metavar="ID", help="Only the calls of this conversation (ask -c, --cid)."),
    ] = None,
    call_id: Annotated[
        str | None,
        typer.Option("--call-id", metavar="ID", help="Only the rows of this call: its retries and fallback hops."),
    ] = None,
    content: Annotated[
        bool, typer.Option("--content", help="Add each call's ID and a prompt -> answer preview (when captured).")
    ] = False,
    local: LocalOpt = False,
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show recent calls: time, model, status, tokens, cost, latency, origin/user.

    Times are UTC unless --local. A cache hit costs nothing and shows as "cached"; a success
    whose model has no price shows as "unpriced". `llmring calls show ID` shows one call whole.
    """
    if ctx.invoked_subcommand is not None:
        return
    from llmring.cli import calls_show
    from llmring.cli.output import OutputFormat, choose_format, note, nothing_matched, print_json
    from llmring.store import CallFilters
    from llmring.tags import parse_tags

    # Built (and so checked) before any database is opened.
    tags = parse_tags(tag) or {}
    query = CallFilters(
        tags=tuple(tags.items()),
        origin=origin,
        id_at_origin=user,
        model=model,
        status=status,
        since=parse_since(since) if since else None,
        search=search,
        conversation_id=conversation.strip() if conversation is not None else None,
        call_id=call_id.strip().lower() if call_id is not None else None,
    )
    chosen = choose_format(fmt, as_json)
    filters = {
        "--model": model,
        "--status": status,
        "--origin": origin,
        "--user": user,
        "--since": since,
        "--search": search,
        "--tag": " ".join(f"{k}={v}" for k, v in tags.items()) or None,
        "--conversation": conversation,
        "--call-id": call_id,
    }

    async def action(store: Store) -> tuple[list[CallRecord], int, dict[str, CapturedCall]]:
        found = await store.list_calls(query, limit=limit)
        total = await store.count_calls() if not found else len(found)
        captured = await store.get_call_contents([c.id for c in found]) if content and found else {}
        return found, total, captured

    found, total, contents = run_with_store(ctx, action)
    if chosen is OutputFormat.json:
        if content:
            print_json([{**calls_show.row_json(c), "content": _content_json(contents.get(c.id))} for c in found])
        else:
            print_json([calls_show.row_json(c) for c in found])
        return
    if not found:
        filtered = any(value is not None for value in filters.values())
        note(nothing_matched("calls", filters, total) if filtered and total else NO_CALLS)
        return
    if content:
        _print_previews(found, contents, chosen, _zone(local))
        return
    _print_calls(found, chosen, _zone(local))


def _content_json(content: CapturedCall | None) -> dict[str, Any] | None:
    return None if content is None else content.as_dict()


def _print_previews(found: list[CallRecord], contents: dict[str, CapturedCall], chosen: Any, tz: tzinfo) -> None:
    """The calls with their ID and a one-line prompt -> answer preview (``--content``)."""
    from llmring import formatting as fmt
    from llmring.cli.output import OutputFormat, print_rows, terminal_width, time_header
    from llmring.transcript import preview

    # On a terminal the preview takes one line of what the other columns leave (about 56).
    width = max(20, terminal_width() - 56) if chosen is OutputFormat.table else 200
    columns = [
        Column(time_header(tz), number=True),
        Column("ID", min_width=8),
        Column("Model", drop=1, min_width=10),
        Column("Cost", number=True),
        Column("Prompt -> answer", min_width=20),
    ]
    rows = [
        [
            fmt.call_time(c, tz)[5:16] if chosen is OutputFormat.table else fmt.call_time(c, tz),
            c.id[:8] if chosen is OutputFormat.table else c.id,
            f"{c.provider}:{c.model_name}",
            fmt.cost_cell(c),
            preview(contents.get(c.id), width) if c.id in contents else "(not captured)",
        ]
        for c in found
    ]
    print_rows(columns, rows, chosen, caption=f"{len(found)} call(s), newest first; `llmring calls show ID` for one")


def _zone(local: bool) -> tzinfo:
    from llmring.cli.output import time_zone

    return time_zone(local)


def call_cells(call: CallRecord, tz: tzinfo, *, short_time: bool = False) -> list[str]:
    """One call as table cells, in ``call_columns`` order (``short_time``: no year)."""
    from llmring import formatting as fmt

    status = call.status.replace("_", " ")
    if not call.final:
        status = f"{status} (try {call.attempt})"
    if call.unreadable:
        status = f"{status} ({fmt.damage(call)})"
    when = fmt.call_time(call, tz)
    return [
        when[5:] if short_time and when != fmt.NONE else when,
        f"{call.provider}:{call.model_name}{fmt.via_alias(call)}",
        status,
        f"{call.prompt_tokens:,} / {call.completion_tokens:,}",
        fmt.cost_cell(call),
        fmt.latency(call.response_time_ms),
        call.error_type or "",
        f"{call.origin}/{call.id_at_origin}",
    ]


def call_columns(tz: tzinfo) -> list[Column]:
    """The calls table: numbers are never cut; origin/user, then the error type, go when space is short."""
    from llmring.cli.output import time_header

    return [
        Column(time_header(tz), number=True),
        Column("Model", min_width=10),
        Column("Status", min_width=7),
        Column("Tokens", number=True),
        Column("Cost", number=True),
        Column("Latency", number=True),
        Column("Error", drop=1, min_width=12),
        Column("Origin/User", drop=2, min_width=12),
    ]


def _print_calls(found: list[CallRecord], chosen: Any, tz: tzinfo) -> None:
    from llmring.cli.output import OutputFormat, print_rows

    # On screen the year is noise when every call is from this year; files and pipes keep it.
    year = datetime.now(tz).year
    short = chosen is OutputFormat.table and all(c.called_at.astimezone(tz).year == year for c in found)
    print_rows(
        call_columns(tz),
        (call_cells(c, tz, short_time=short) for c in found),
        chosen,
        caption=f"{len(found)} call(s), newest first" + (f"; times in {year}" if short else ""),
    )


def register(app: typer.Typer) -> None:
    """Add ``calls`` (the listing, ``calls show ID``, ``rm`` and ``prune-content``) to the root app."""
    from llmring.cli import calls_forget, calls_show

    calls_app = typer.Typer(invoke_without_command=True, no_args_is_help=False)
    calls_app.callback(invoke_without_command=True)(calls)
    calls_show.register(calls_app)
    calls_forget.register(calls_app)
    app.add_typer(calls_app, name="calls", short_help="Recent calls with their tokens, cost and latency.")
