"""``llmring calls``: the most recent logged calls, newest first, as a table or JSON.

::

    llmring calls -n 20 --status error --since 7d
    llmring calls --model openai:gpt-4o-mini --user alice --json
    llmring calls --search "x-api-key"           # model, origin, user or error message
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

import typer

from llmring.cli.context import run_with_store

if TYPE_CHECKING:
    from llmring.schemas import CallRecord
    from llmring.store import Store

_RELATIVE = re.compile(r"^(\d+)\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """``2026-11-01`` / ``2026-11-01T12:00`` (UTC unless an offset is given) or ``30m``/``12h``/``7d``/``2w`` ago."""
    from llmring.errors import ConfigurationError

    value = text.strip().lower()
    match = _RELATIVE.match(value)
    if match:
        amount, unit = int(match.group(1)), _UNITS[match.group(2)]
        return (now or datetime.now(UTC)) - timedelta(**{unit: amount})
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ConfigurationError(
            f"--since {text!r}: use a date (2026-11-01), a time (2026-11-01T12:00) or an age (30m, 12h, 7d, 2w)"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _row_json(call: CallRecord) -> dict[str, Any]:
    data = call.model_dump()
    data["total_tokens"] = call.total_tokens
    data["unpriced"] = call.unpriced
    return data


def calls(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, metavar="N", help="How many calls.")] = 20,
    model: Annotated[str | None, typer.Option("--model", "-m", help="provider:model or a model name.")] = None,
    status: Annotated[str | None, typer.Option("--status", help="success, error, timeout or rate_limited.")] = None,
    origin: Annotated[str | None, typer.Option("--origin", help="Only calls from this application.")] = None,
    user: Annotated[str | None, typer.Option("--user", help="Only calls for this id_at_origin.")] = None,
    since: Annotated[
        str | None, typer.Option("--since", metavar="WHEN", help="2026-11-01, or an age: 30m, 12h, 7d, 2w.")
    ] = None,
    search: Annotated[
        str | None,
        typer.Option(
            "--search", "-s", metavar="TEXT", help="Only calls whose model, origin, user or error contains TEXT."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Show recent calls: time, origin/user, model, status, tokens, cost, latency, cache."""
    from llmring.store import CallFilters

    # Built (and so checked) before any database is opened.
    filters = CallFilters(
        origin=origin,
        id_at_origin=user,
        model=model,
        status=status,
        since=parse_since(since) if since else None,
        search=search,
    )

    async def action(store: Store) -> list[CallRecord]:
        return await store.list_calls(filters, limit=limit)

    found = run_with_store(ctx, action)
    if as_json:
        from llmring.cli.output import print_json

        print_json([_row_json(c) for c in found])
        return
    _print_table(found)


def _print_table(found: list[CallRecord]) -> None:
    from rich.table import Table
    from rich.text import Text

    from llmring.cli.output import console, money, note

    if not found:
        note('No calls logged yet: run `llmring ask -m MODEL "..."` or use LLMRing in your code.')
        return
    table = Table(caption=f"{len(found)} call(s), newest first")
    for name in ("Time (UTC)", "Origin/User", "Model", "Status", "Tokens", "Cost", "Latency", "Cache"):
        right = name in ("Tokens", "Cost", "Latency")
        table.add_column(name, justify="right" if right else "left", no_wrap=name != "Origin/User")
    for c in found:
        if c.cache_hit:
            cost = "cached"
        elif c.estimated_cost is None:
            cost = "unpriced" if c.status == "success" else "-"
        else:
            cost = money(c.estimated_cost, free="$0")
        status = c.status if c.final else f"{c.status} (try {c.attempt})"
        if c.error_type:
            status = f"{status}: {c.error_type}"
        table.add_row(
            c.called_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            Text(f"{c.origin}/{c.id_at_origin}"),
            Text(f"{c.provider}:{c.model_name}"),
            Text(status, style="red" if c.status != "success" else ""),
            f"{c.prompt_tokens:,} / {c.completion_tokens:,}",
            cost,
            "-" if c.response_time_ms is None else f"{c.response_time_ms:,} ms",
            "hit" if c.cache_hit else "",
        )
    console().print(table)


def register(app: typer.Typer) -> None:
    """Add ``calls`` to the root app."""
    app.command("calls")(calls)
