"""``llmring calls prune``: delete old call rows, keep the daily totals (issue 16).

::

    llmring calls prune --older-than 90d --dry-run     # how many rows would go
    llmring calls prune --older-than 12w
    llmring calls prune                                 # the `retention` config key's age

Rows before the start of the UTC day AGE ago are deleted, with the captured prompts and answers
only they used; ``stats`` over whole days and all time stays the same (``llmring.retention``).
SQLite gives the space back (VACUUM); PostgreSQL leaves it to autovacuum.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from llmring.cli.context import run_with_store, settings

if TYPE_CHECKING:
    from llmring.retention import PruneReport
    from llmring.store import Store


def prune(
    ctx: typer.Context,
    older_than: Annotated[
        str | None,
        typer.Option("--older-than", metavar="AGE", help="90d or 12w (default: the `retention` config key)."),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count what would go; delete nothing.")] = False,
) -> None:
    """Delete calls older than AGE; the daily totals (stats) are kept."""
    from llmring.errors import ConfigurationError

    age_text = older_than or settings(ctx).config().get("retention")
    if not age_text:
        raise ConfigurationError('no age: pass --older-than AGE (e.g. 90d) or set retention = "90d" in llmring.toml')
    report = run_with_store(ctx, lambda store: prune_store(store, age_text, dry_run=dry_run))
    typer.echo(describe(report))


async def prune_store(store: Store, age_text: str, *, dry_run: bool = False) -> PruneReport:
    """Prune ``store`` of rows older than ``age_text`` (``90d``), whole UTC days only."""
    from llmring import schemas
    from llmring.retention import parse_age, prune_cutoff

    cutoff = prune_cutoff(parse_age(age_text), schemas.utc_now())
    return await store.prune_calls(cutoff, dry_run=dry_run)


def describe(report: PruneReport) -> str:
    """One line saying what went (or would go)."""
    day = report.cutoff.date().isoformat()
    captured = f" ({report.captured:,} with captured content)" if report.captured else ""
    if report.dry_run:
        return f"Would prune {report.rows:,} calls logged before {day} (UTC){captured}; nothing was deleted."
    if not report.rows:
        return f"No calls logged before {day} (UTC): nothing to prune."
    line = f"Pruned {report.rows:,} calls logged before {day} (UTC){captured}; daily totals kept."
    if report.reclaimed is not None:
        line += f" File {report.bytes_before / 2**20:,.1f} -> {report.bytes_after / 2**20:,.1f} MiB."  # type: ignore[operator]
    return line


def register(app: typer.Typer) -> None:
    """Add ``prune`` to the ``llmring calls`` group (registered before this module, see ``main``)."""
    from llmring.cli.context import LLMRingCommand

    calls_app = next(group.typer_instance for group in app.registered_groups if group.name == "calls")
    assert calls_app is not None
    calls_app.command("prune", cls=LLMRingCommand, short_help="Delete old calls; keep the daily totals.")(prune)
