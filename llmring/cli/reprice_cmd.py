"""``llmring reprice``: price logged calls that were logged unpriced, now that the registry knows.

::

    llmring registry update            # learn the prices
    llmring reprice --since 30d --dry-run
    llmring reprice

Each call is priced from its stored token counts at the prices in force at its ``called_at``
(``llmring.reprice``); rows and daily rollups change in one transaction. Rows that already have a
cost are left alone unless ``--force``, which keeps the old cost and rate snapshot beside the new.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from llmring.cli.context import run_with_store

if TYPE_CHECKING:
    from decimal import Decimal

    from llmring.reprice import Repricing
    from llmring.store import Store


def reprice(
    ctx: typer.Context,
    since: Annotated[
        str | None,
        typer.Option("--since", metavar="WHEN", help="Only calls from then on: 2026-11-01, or an age: 12h, 7d, 2w."),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would change; change nothing.")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Price again calls that have a cost too (the old one is kept beside).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Price calls that were logged unpriced, with the prices in force when each was made.

    Uses the database's registry (`llmring registry update` brings it up to date). Prints how
    many calls were priced and the cost that added to the totals.
    """
    from llmring.cli.calls import parse_since

    start = parse_since(since) if since else None

    async def action(store: Store) -> tuple[int, int, list[Repricing]]:
        from llmring.registry import bundled_models
        from llmring.reprice import plan_repricing
        from llmring.schemas import utc_now

        rows = await store.calls_to_reprice(start, force=force)
        models = await store.list_models(active_only=False) or list(
            bundled_models(include_retired=True, price_history=True)
        )
        changes = plan_repricing(rows, models, force=force, now=utc_now())
        written = len(changes) if dry_run else await store.reprice_calls(changes)
        return len(rows), written, changes

    looked, written, changes = run_with_store(ctx, action)
    added = sum((c.cost_delta for c in changes), start=_zero())
    still = looked - len(changes)  # without --force every row looked at had no cost
    if as_json:
        from llmring.cli.output import print_json

        print_json(
            {
                "dry_run": dry_run,
                "force": force,
                "since": start,
                "looked_at": looked,
                "priced": written,
                "cost_added": added,
                "left_unpriced": still if not force else None,
                "calls": [
                    {"id": c.old.id, "model": f"{c.old.provider}:{c.old.model_name}", "old_cost": c.old.estimated_cost,
                     "new_cost": c.new.estimated_cost, "priced_as": c.new.priced_as}
                    for c in changes
                ],
            }
        )  # fmt: skip
        return
    from llmring.formatting import money

    what = "would price" if dry_run else "priced"
    tail = " (dry run: nothing was changed)" if dry_run else ""
    typer.echo(f"Repriced: {what} {written:,} of {looked:,} call(s), adding {money(added)}{tail}")
    if not force and still:
        typer.echo(f"Still unpriced: {still:,} call(s) whose model or a token dimension has no price")


def _zero() -> Decimal:
    from decimal import Decimal

    return Decimal(0)


def register(app: typer.Typer) -> None:
    """Add ``reprice`` to the root app."""
    from llmring.cli.context import LLMRingCommand

    app.command("reprice", cls=LLMRingCommand, short_help="Price calls that were logged unpriced.")(reprice)
