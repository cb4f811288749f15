"""``llmring ask``: one question to a model from the shell.

::

    llmring ask -m gpt-4o-mini "Name three rivers"
    git diff | llmring ask -m claude-sonnet-4-5-20250929 -s "Review this diff" -u
    llmring ask -m gpt-4o-mini --tag feature=summarise --tag env=dev "Summarise: ..."
    llmring ask -c "and then?" -u                  # go on with the last conversation

Text piped on stdin is appended to the prompt. Output, logging and the shared options are
``llmring.cli.prompt``'s; a missing API key is one line naming the variable to set (exit 2).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from llmring.cli.context import settings
from llmring.cli.conversation import CidOpt, ContinueOpt, continued, new_conversation
from llmring.cli.prompt import (
    AskOptions,
    CacheOpt,
    JsonOpt,
    MaxTokensOpt,
    ModelOpt,
    NoLogContentOpt,
    NoLogOpt,
    NoStreamOpt,
    PromptCacheOpt,
    ReasoningOpt,
    RetriesOpt,
    SchemaOpt,
    SystemOpt,
    TagOpt,
    TempOpt,
    TimeoutOpt,
    TtlOpt,
    UsageOpt,
    model_or_default,
    run_prompt,
)


def _stdin_text() -> str:
    stream = sys.stdin
    if stream is None or stream.isatty():
        return ""
    try:
        return stream.read()
    except (OSError, ValueError):
        return ""


def ask(
    ctx: typer.Context,
    prompt: Annotated[
        str | None, typer.Argument(metavar="PROMPT", help="The prompt (stdin, when piped, is appended).")
    ] = None,
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
    timeout: TimeoutOpt = None,
    reasoning: ReasoningOpt = None,
    no_log_content: NoLogContentOpt = False,
    prompt_cache: PromptCacheOpt = None,
    schema: SchemaOpt = None,
    tag: TagOpt = None,
    retries: RetriesOpt = None,
    go_on: ContinueOpt = False,
    cid: CidOpt = None,
) -> None:
    """Ask a model one question and print its answer.

    The answer is streamed when stdout is a terminal; the call is logged with its tokens and cost.
    Each ask starts a conversation; -c goes on with the latest (its model unless -m), --cid with one.
    """
    from llmring.errors import ConfigurationError
    from llmring.tags import parse_tags

    if go_on or cid is not None:
        conversation = continued(ctx, cid, no_log_content=no_log_content)
        model = model or conversation.model or ""
    else:
        conversation = new_conversation()
    model = model_or_default(ctx, model)
    tags = parse_tags(tag)
    settings(ctx).config().override("retries", retries, "--retries")
    piped = _stdin_text()
    text = "\n\n".join(part for part in ((prompt or "").strip(), piped.strip()) if part)
    if not text:
        raise ConfigurationError('empty prompt: pass it as an argument (llmring ask -m MODEL "...") or on stdin')
    options = AskOptions(
        model,
        system,
        temperature,
        max_tokens,
        as_json,
        no_stream,
        usage,
        no_log,
        cache,
        ttl,
        timeout=timeout,
        reasoning=reasoning,
        no_log_content=no_log_content,
        prompt_cache=prompt_cache,
        schema=schema,
        tags=tags,
        conversation=conversation,
    )
    run_prompt(ctx, options, text)


def register(app: typer.Typer) -> None:
    """Add ``ask`` to the root app."""
    from llmring.cli.context import LLMRingCommand

    app.command("ask", cls=LLMRingCommand, short_help="Ask a model one question and print its answer.")(ask)
