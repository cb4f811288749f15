"""What every prompt command shares (``ask``, ``analyze-image``, ``analyze-file``): the options,
the request they build, and ``run_prompt``, which sends it and prints the answer.

The prompt and the answer are logged too (``--no-log-content``: tokens and cost only).
The answer goes to stdout: streamed when stdout is a terminal, with its control characters made
visible (newlines and tabs kept), so a reply cannot retitle the window or write the clipboard;
whole and byte for byte when piped. Usage with ``-u`` goes to stderr. The call is logged unless
``--no-log``; a row that could not be written is one line on stderr and exit status 1 (the answer
is still printed), instead of the service's retry warnings. While it waits, a spinner on a
terminal's stderr says for what (``llmring.cli.waits``); a call that fails says how long it waited.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import typer

from llmring.cli import output
from llmring.cli.context import settings

if TYPE_CHECKING:
    from llmring.cli.waits import CallWaits
    from llmring.conversation import PriorTurns
    from llmring.schemas import LLMRequest, LLMResponse
    from llmring.service import LLMRing


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
    timeout: float | None = None  # seconds for the whole call, retries and a stream's body included
    reasoning: str | None = None
    no_log_content: bool = False
    prompt_cache: str | None = None
    schema: str | None = None
    tags: dict[str, str] | None = None
    # Issue 17: the conversation this prompt is a turn of (its earlier turns are sent); None: none.
    conversation: PriorTurns | None = None


ModelOpt = Annotated[
    str, typer.Option("--model", "-m", envvar="LLMRING_MODEL", metavar="MODEL", help="provider:model or a model name.")
]
SystemOpt = Annotated[str | None, typer.Option("--system", "-s", metavar="TEXT", help="A system prompt.")]
TempOpt = Annotated[
    float | None, typer.Option("--temperature", "-t", min=0, max=2, metavar="T", help="Sampling temperature, 0 to 2.")
]
MaxTokensOpt = Annotated[int | None, typer.Option("--max-tokens", min=1, metavar="N", help="Cap on output tokens.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the whole response as JSON.")]
NoStreamOpt = Annotated[bool, typer.Option("--no-stream", help="Wait for the whole answer (no streaming).")]
UsageOpt = Annotated[bool, typer.Option("--usage", "-u", help="Print tokens and cost to stderr.")]
NoLogOpt = Annotated[bool, typer.Option("--no-log", help="Do not log this call to the database.")]
NoLogContentOpt = Annotated[
    bool, typer.Option("--no-log-content", help="Log tokens and cost only, not the prompt and answer.")
]
CacheOpt = Annotated[
    bool, typer.Option("--cache", help="Answer from / store in the response cache (temperature 0 unless -t).")
]
TimeoutOpt = Annotated[
    float | None,
    typer.Option(
        "--timeout", min=0.001, metavar="SECONDS", help="Give up after this long (the whole call, retries included)."
    ),
]
RetriesOpt = Annotated[
    int | None,
    typer.Option("--retries", min=0, max=20, metavar="N", help="Retries after a retryable failure (default 2)."),
]
TtlOpt = Annotated[int | None, typer.Option("--ttl", min=1, metavar="SECONDS", help="Cache lifetime (default 3600).")]
ReasoningOpt = Annotated[
    str | None,
    typer.Option(
        "--reasoning",
        "-r",
        metavar="LEVEL|N",
        help="Reasoning: none, minimal, low, medium, high, xhigh, max, or a token budget (what the model accepts).",
    ),
]
TagOpt = Annotated[
    list[str] | None,
    typer.Option("--tag", metavar="KEY=VALUE", help="Tag the call (repeatable): stats --by tag:KEY, calls --tag."),
]


PromptCacheOpt = Annotated[
    str | None,
    typer.Option(
        "--prompt-cache",
        metavar="5m|1h",
        help="Provider prompt caching (Anthropic breakpoints, OpenAI cache key); -u shows what it saved.",
    ),
]
SchemaOpt = Annotated[
    str | None,
    typer.Option(
        "--schema",
        metavar="FILE|JSON",
        help="A JSON schema (a file or inline '{...}') the answer must match; prints the validated JSON.",
    ),
]


def require_model(model: str, example: str = "gpt-4o-mini") -> None:
    """A ``ConfigurationError`` when no model was given (by ``-m``, ``LLMRING_MODEL`` or the config)."""
    if not model:
        from llmring.errors import ConfigurationError

        raise ConfigurationError(
            f"no model: pass -m MODEL (e.g. -m {example}), set LLMRING_MODEL or default_model in llmring.toml"
        )


def model_or_default(ctx: typer.Context, model: str, example: str = "gpt-4o-mini") -> str:
    """``-m`` (or ``LLMRING_MODEL``), else the config's ``default_model``; an error when neither is set."""
    if not model:
        model = settings(ctx).config().default_model or ""
    require_model(model, example)
    return model


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
    earlier = options.conversation.messages if options.conversation is not None else []
    if options.system:  # -s on a continued conversation replaces its system prompt
        earlier = [Message(role="system", content=options.system)] + [m for m in earlier if m.role != "system"]
    messages = [*earlier, Message(role="user", content=content)]
    reasoning: Any = options.reasoning  # a level's name or a budget's digits; LLMRequest checks it
    if isinstance(reasoning, str) and reasoning.strip().isdigit():
        reasoning = int(reasoning)
    return LLMRequest(
        model=options.model,
        messages=messages,
        temperature=temperature,
        max_tokens=options.max_tokens,
        cache=cache,
        reasoning=reasoning,
        prompt_cache=options.prompt_cache,  # type: ignore[arg-type]  # LLMRequest checks it
        metadata={"tags": options.tags} if options.tags else None,
    )


def load_schema(given: str) -> dict[str, Any]:
    """``--schema``: inline JSON (starting with ``{``) or a file holding it."""
    import json
    from pathlib import Path

    from llmring.errors import ConfigurationError

    text = given
    if not given.lstrip().startswith("{"):
        try:
            text = Path(given).expanduser().read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigurationError(f"--schema: cannot read {given} ({exc.strerror or exc})") from None
    try:
        schema = json.loads(text)
    except ValueError as exc:
        raise ConfigurationError(f"--schema: not valid JSON ({exc})") from None
    if not isinstance(schema, dict):
        raise ConfigurationError("--schema: a JSON schema is an object ({...})")
    return schema


def _print_usage(usage: dict[str, Any], cached: bool) -> None:
    from llmring import formatting as fmt

    cost = usage.get("cost")
    spent = fmt.CACHED if cached else (fmt.UNPRICED if cost is None else fmt.money(cost))
    extra = " (from cache)" if cached else ""
    # The provider's prompt cache: tokens read from it and written to it (by lifetime).
    prompt_cache = [f"{usage.get('cached_tokens', 0):,} cached"]
    for key, ttl in (("cache_write_5m_tokens", "5m"), ("cache_write_1h_tokens", "1h")):
        if usage.get(key):
            prompt_cache.append(f"{usage[key]:,} written to cache, {ttl}")
    saved = usage.get("prompt_cache_savings")
    if saved is not None and not cached:
        extra += f" ({'saved' if saved >= 0 else 'cache writes cost'} {fmt.money(abs(saved))} vs uncached)"
    output.note(
        f"Tokens: {usage.get('prompt_tokens', 0):,} input ({'; '.join(prompt_cache)}), "
        f"{usage.get('completion_tokens', 0):,} output | Cost: {spent}{extra}"
    )


def _print_conversation(options: AskOptions, usage: dict[str, Any]) -> None:
    if options.conversation is not None and options.conversation.calls:
        from llmring.cli.conversation import print_conversation_usage

        print_conversation_usage(options.conversation, usage)


@contextmanager
def _held_warnings() -> Iterator[list[str]]:
    """Keep the service's warnings instead of printing them (the command says it in one line)."""
    import logging  # here, not at the top: ``llmring --help`` imports this module

    held: list[str] = []

    class Held(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            held.append(record.getMessage())

    logger = logging.getLogger("llmring")
    handler = Held(logging.WARNING)
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield held
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def _open_ring(ctx: typer.Context, options: AskOptions, waits: CallWaits | None = None) -> LLMRing:
    from llmring.service import LLMRing

    cli = settings(ctx)
    config = cli.config()
    limits: dict[str, Any] = {"timeout": config.get("timeout"), "max_retries": config.get("retries"), "progress": waits}
    if options.timeout is not None:  # --timeout bounds the whole call, retries included
        limits.update(timeout=options.timeout, deadline=options.timeout)
    if options.no_log:
        return LLMRing(enable_db_logging=False, config=config, **limits)
    target = cli.target()
    url = target.database_url or f"sqlite:///{target.sqlite_path}"
    # The CLI is the user's own terminal: it logs what was asked and answered unless told not to.
    log_content = not options.no_log_content and bool(config.get("log_content"))
    return LLMRing(db_connection_string=url, origin=cli.origin(), log_content=log_content, config=config, **limits)


def _unwritten(ring: LLMRing) -> tuple[int, str | None, bool]:
    """How many of this command's log rows are not in the database after ``close``, why, and
    whether they were kept in the spill file (``llmring.spill``)."""
    writer = getattr(ring, "writer", None)
    if writer is None:
        return 0, None, False
    error = getattr(writer, "last_error", None)
    spilled = bool(getattr(writer, "spilled", 0))
    return int(getattr(writer, "unwritten", 0)), None if error is None else str(error), spilled


def _cancel_on_sigterm() -> None:
    """Make SIGTERM cancel this command's task, as Ctrl-C does, instead of killing the process:
    the call ends as "cancelled" and ``close()`` still writes its row before the exit."""
    import asyncio
    import signal

    task = asyncio.current_task()
    if task is not None:
        with suppress(NotImplementedError, RuntimeError, ValueError):  # Windows; not the main thread
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)


def run_prompt(ctx: typer.Context, options: AskOptions, content: str | list[dict[str, Any]]) -> None:
    """Send one prompt with ``options`` and print the answer (the body of every prompt command)."""
    import asyncio

    from llmring.cli.waits import WAIT_ERRORS, CallWaits, spinner_wanted
    from llmring.formatting import inert

    request = build_request(options, content)
    schema = load_schema(options.schema) if options.schema is not None else None
    terminal = output.stdout_is_terminal()
    conversation_id = options.conversation.conversation_id if options.conversation is not None else None
    stream = not (options.as_json or options.no_stream or schema is not None) and terminal
    waits = CallWaits(show=spinner_wanted(options.as_json, bool(settings(ctx).config().get("spinner"))))

    unpriced: list[str] = []

    async def main() -> tuple[LLMResponse | None, int, str | None, bool]:
        ring = _open_ring(ctx, options, waits)
        response = None
        _cancel_on_sigterm()
        try:
            # Streaming is this command's choice, not the user's: a model that cannot stream waits.
            if not stream or not await ring.can_stream(request.model):
                response = await ring.chat(request, response_model=schema, conversation_id=conversation_id)
                waits.stop()
                if response.usage.get("cost") is None and not response.cached:
                    unpriced.append(await ring.unpriced_reason(request.model) or "")
            else:
                usage: dict[str, Any] = {}
                async for chunk in ring.chat_stream(request, conversation_id=conversation_id):
                    waits.stop()
                    if chunk.delta:
                        typer.echo(inert(chunk.delta, multiline=True), nl=False)
                        sys.stdout.flush()
                    if chunk.usage is not None:
                        usage = chunk.usage
                typer.echo("")
                if options.usage:
                    _print_usage(usage, cached=False)
                    _print_conversation(options, usage)
                if usage.get("cost") is None:
                    unpriced.append(await ring.unpriced_reason(request.model) or "")
        finally:
            waits.stop()
            await ring.close()
        return (response, *_unwritten(ring))

    with _held_warnings() as held:
        try:
            response, unwritten, cause, spilled = asyncio.run(main())
        except WAIT_ERRORS as exc:
            # The provider's message names one attempt's limit; say what the whole call waited.
            output.error(waits.gave_up(exc))
            raise typer.Exit(1) from None
        except asyncio.CancelledError:
            # SIGTERM: the call was cancelled, and its row (status "cancelled") written by close().
            output.error("terminated (SIGTERM); the call was logged as cancelled")
            raise typer.Exit(143) from None
    if response is not None:
        if options.as_json:
            output.print_json(response.model_dump())
        elif schema is not None:
            output.print_json(response.parsed)
        else:
            typer.echo(inert(response.content, multiline=True) if terminal else response.content)
        if options.usage:
            _print_usage(response.usage, cached=response.cached)
            _print_conversation(options, response.usage)
    if unpriced and unpriced[0]:
        # Only a model the registry cannot price (an unpriced audio dimension shows in -u and the log).
        output.note(f"{unpriced[0]}: cost not counted; `llmring registry update` may know it")
    if unwritten:
        why = cause or (held[-1] if held else "the database could not be written")
        kept = "; its row is kept in a local file until the database can be written" if spilled else ""
        output.error(f"this call was not logged: {why.removeprefix('llmring: ')}{kept}")
        raise typer.Exit(1)
