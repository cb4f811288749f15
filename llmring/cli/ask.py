"""``llmring ask``, ``llmring analyze-image`` and ``llmring analyze-file``: one call from the shell.

::

    llmring ask -m gpt-4o-mini "Name three rivers"
    git diff | llmring ask -m claude-sonnet-4-5-20250929 -s "Review this diff" -u
    llmring analyze-image chart.png "What does this show?" -m gpt-4o

The answer goes to stdout (streamed when stdout is a terminal), usage and cost with ``-u`` go to
stderr, and the call is logged to the configured database unless ``--no-log``. Text piped on
stdin is appended to the prompt. A missing API key is one line naming the variable to set (exit 2).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import typer

from llmring.cli.context import settings

if TYPE_CHECKING:
    from llmring.schemas import LLMRequest, LLMResponse


@dataclass
class AskOptions:
    """The output and request options every prompt command shares."""

    model: str
    system: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    as_json: bool = False
    no_stream: bool = False
    usage: bool = False
    no_log: bool = False
    cache: bool = False
    ttl: int | None = None


ModelOpt = Annotated[
    str, typer.Option("--model", "-m", envvar="LLMRING_MODEL", metavar="MODEL", help="provider:model or a model name.")
]
SystemOpt = Annotated[str | None, typer.Option("--system", "-s", help="A system prompt.")]
TempOpt = Annotated[float | None, typer.Option("--temperature", "-t", min=0, max=2, help="Sampling temperature.")]
MaxTokensOpt = Annotated[int | None, typer.Option("--max-tokens", min=1, help="Cap on output tokens.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the whole response as JSON.")]
NoStreamOpt = Annotated[bool, typer.Option("--no-stream", help="Wait for the whole answer (no streaming).")]
UsageOpt = Annotated[bool, typer.Option("--usage", "-u", help="Print tokens and cost to stderr.")]
NoLogOpt = Annotated[bool, typer.Option("--no-log", help="Do not log this call to the database.")]
CacheOpt = Annotated[
    bool, typer.Option("--cache", help="Answer from / store in the response cache (temperature 0 unless -t).")
]
TtlOpt = Annotated[int | None, typer.Option("--ttl", min=1, metavar="SECONDS", help="Cache lifetime (default 3600).")]


def _stdin_text() -> str:
    stream = sys.stdin
    if stream is None or stream.isatty():
        return ""
    try:
        return stream.read()
    except (OSError, ValueError):
        return ""


def stdout_is_terminal() -> bool:
    """Whether answers are streamed: only to a terminal (piped output gets the whole answer)."""
    return sys.stdout.isatty()


def build_request(options: AskOptions, content: str | list[dict[str, Any]]) -> LLMRequest:
    """The request for ``content`` with the command's options (``--cache`` implies temperature 0)."""
    from llmring.errors import ConfigurationError
    from llmring.schemas import LLMRequest, Message

    temperature = options.temperature
    cache = None
    if options.cache or options.ttl is not None:
        if temperature is None:
            temperature = 0.0
        elif temperature > 0.1:
            raise ConfigurationError("--cache needs a deterministic request: use -t 0 (at most 0.1)")
        cache = {"enabled": True, **({"ttl_seconds": options.ttl} if options.ttl else {})}
    messages = [Message(role="system", content=options.system)] if options.system else []
    messages.append(Message(role="user", content=content))
    return LLMRequest(
        model=options.model, messages=messages, temperature=temperature, max_tokens=options.max_tokens, cache=cache
    )


def _print_usage(response_usage: dict[str, Any], cached: bool) -> None:
    from llmring.cli.output import money, note

    cost = response_usage.get("cost")
    spent = "unpriced" if cost is None else money(cost, free="$0")
    extra = " (from cache)" if cached else ""
    note(
        f"Tokens: {response_usage.get('prompt_tokens', 0)} input "
        f"({response_usage.get('cached_tokens', 0)} cached), {response_usage.get('completion_tokens', 0)} output"
        f" | Cost: {spent}{extra}"
    )


def run_prompt(ctx: typer.Context, options: AskOptions, content: str | list[dict[str, Any]]) -> None:
    """Send one prompt with ``options`` and print the answer (the body of every prompt command)."""
    import asyncio

    request = build_request(options, content)
    stream = not (options.as_json or options.no_stream) and stdout_is_terminal()

    async def main() -> LLMResponse | None:
        from llmring.service import LLMRing

        if options.no_log:
            ring = LLMRing(enable_db_logging=False)
        else:
            target = settings(ctx).target()
            url = target.database_url or f"sqlite:///{target.sqlite_path}"
            ring = LLMRing(db_connection_string=url, origin="llmring-cli")
        try:
            if not stream:
                return await ring.chat(request)
            usage: dict[str, Any] = {}
            async for chunk in ring.chat_stream(request):
                if chunk.delta:
                    typer.echo(chunk.delta, nl=False)
                    sys.stdout.flush()
                if chunk.usage is not None:
                    usage = chunk.usage
            typer.echo("")
            if options.usage:
                _print_usage(usage, cached=False)
            return None
        finally:
            await ring.close()

    response = asyncio.run(main())
    if response is None:
        return
    if options.as_json:
        from llmring.cli.output import print_json

        print_json(response.model_dump())
    else:
        typer.echo(response.content)
    if options.usage:
        _print_usage(response.usage, cached=response.cached)


def ask(
    ctx: typer.Context,
    prompt: Annotated[str | None, typer.Argument(help="The prompt (stdin, when piped, is appended).")] = None,
    model: ModelOpt = "",
    system: SystemOpt = None,
    temperature: TempOpt = None,
    max_tokens: MaxTokensOpt = None,
    as_json: JsonOpt = False,
    no_stream: NoStreamOpt = False,
    usage: UsageOpt = False,
    no_log: NoLogOpt = False,
    cache: CacheOpt = False,
    ttl: TtlOpt = None,
) -> None:
    """Ask a model one question and print its answer."""
    from llmring.errors import ConfigurationError

    if not model:
        raise ConfigurationError("no model: pass -m MODEL (e.g. -m gpt-4o-mini) or set LLMRING_MODEL")
    piped = _stdin_text()
    text = "\n\n".join(part for part in ((prompt or "").strip(), piped.strip()) if part)
    if not text:
        raise ConfigurationError('empty prompt: pass it as an argument (llmring ask -m MODEL "...") or on stdin')
    options = AskOptions(model, system, temperature, max_tokens, as_json, no_stream, usage, no_log, cache, ttl)
    run_prompt(ctx, options, text)


def register(app: typer.Typer) -> None:
    """Add ``ask``, ``analyze-image`` and ``analyze-file`` to the root app."""
    from llmring.cli.analyze import analyze_file_command, analyze_image_command

    app.command("ask")(ask)
    app.command("analyze-image")(analyze_image_command)
    app.command("analyze-file")(analyze_file_command)
