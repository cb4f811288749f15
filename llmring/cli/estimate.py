"""``llmring estimate``: what a prompt may cost, before it is sent (issue 16).

::

    llmring estimate -m claude-sonnet-4-5 "Summarise the attached report"
    llmring estimate -m gpt-4o --file report.pdf --max-tokens 800 "Summarise this"
    git diff | llmring estimate -m gemini-2.5-flash -s "Review this diff" --json

Input tokens are counted by the provider's free counting endpoint where it has one (Anthropic,
OpenAI, Gemini), else by llmring's stated heuristic (``llmring.estimate``); the output is priced at
its ceiling (``--max-tokens``, else the model's maximum output). Nothing is logged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from llmring.cli.prompt import AskOptions, MaxTokensOpt, ModelOpt, SystemOpt, build_request, model_or_default

if TYPE_CHECKING:
    from llmring.estimate import Estimate


def estimate(
    ctx: typer.Context,
    prompt: Annotated[
        str | None, typer.Argument(metavar="PROMPT", help="The prompt (stdin, when piped, is appended).")
    ] = None,
    model: ModelOpt = "",
    system: SystemOpt = None,
    file: Annotated[
        str | None, typer.Option("--file", "-f", metavar="PATH", help="Send this file with the prompt.")
    ] = None,
    max_tokens: MaxTokensOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the estimate as JSON.")] = False,
) -> None:
    """Estimate a prompt's tokens and cost without sending it (nothing is logged)."""
    import asyncio

    from llmring.cli import output
    from llmring.cli.ask import _stdin_text
    from llmring.cli.prompt import _open_ring
    from llmring.errors import ConfigurationError

    model = model_or_default(ctx, model)
    text = "\n\n".join(part for part in ((prompt or "").strip(), _stdin_text().strip()) if part)
    if not text and file is None:
        raise ConfigurationError('empty prompt: pass it as an argument (llmring estimate -m MODEL "...") or on stdin')
    content: str | list[dict[str, object]] = text
    if file is not None:
        from llmring.file_utils import analyze_file

        content = analyze_file(file, text or "Analyze this file")
    request = build_request(AskOptions(model, system, max_tokens=max_tokens), content)

    async def main() -> Estimate:
        ring = _open_ring(ctx, AskOptions(model, no_log_content=True))
        try:
            return await ring.estimate(request)
        finally:
            await ring.close()

    found = asyncio.run(main())
    if as_json:
        output.print_json(found.as_dict())
        return
    fmt = output.choose_format(None)
    output.print_pairs(estimate_pairs(found), fmt, title=found.model)


def estimate_pairs(found: Estimate) -> list[tuple[str, str]]:
    """The estimate as label/value lines."""
    from llmring import formatting as fmt

    how = "counted by the provider" if found.counted_by == "provider" else "heuristic estimate"
    input_cost = fmt.money(found.input_cost) if found.input_cost is not None else "unpriced"
    pairs = [("Input", f"{found.input_tokens:,} tokens ({how}), {input_cost}")]
    if found.output_tokens is None:
        pairs.append(("Output", "no ceiling known: pass --max-tokens"))
    else:
        pairs.append(("Output", f"up to {found.output_tokens:,} tokens, {fmt.money(found.output_cost)}"))
    total = fmt.money(found.total_cost) if found.total_cost is not None else "unknown (unpriced or unbounded)"
    pairs.append(("Total", f"up to {total}" if found.total_cost is not None else total))
    if found.context_window:
        share = fmt.percent(found.context_used)
        pairs.append(("Context", f"{found.input_tokens:,} of {found.context_window:,} tokens ({share})"))
    if found.count_error:
        pairs.append(("Count", f"provider count failed: {found.count_error}"))
    return pairs


def register(app: typer.Typer) -> None:
    """Add ``estimate`` to the root app."""
    from llmring.cli.context import LLMRingCommand

    app.command("estimate", cls=LLMRingCommand, short_help="Estimate a prompt's tokens and cost without sending it.")(
        estimate
    )
