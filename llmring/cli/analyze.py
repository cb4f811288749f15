"""``llmring analyze-image PATH PROMPT -m MODEL`` and ``llmring analyze-file PATH PROMPT -m MODEL``.

The file becomes content parts (``llmring.file_utils``) sent with the prompt; the options and
output are ``llmring.cli.prompt``'s, as for ``llmring ask``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from llmring.cli.prompt import (
    AskOptions,
    CacheOpt,
    JsonOpt,
    MaxTokensOpt,
    ModelOpt,
    NoLogContentOpt,
    NoLogOpt,
    NoStreamOpt,
    SystemOpt,
    TempOpt,
    TtlOpt,
    UsageOpt,
    model_or_default,
    run_prompt,
)

# A str, not a Path: Path("https://x/a.png") collapses the "//", and file_utils could no longer
# tell the user that URLs are not supported (it would say "file not found").
PathArg = Annotated[str, typer.Argument(metavar="PATH", help="A local file.")]
PromptArg = Annotated[str, typer.Argument(metavar="PROMPT", help="What to ask about the file.")]


def _options(ctx: typer.Context, model: str, *rest: object) -> AskOptions:
    return AskOptions(model_or_default(ctx, model, example="gpt-4o"), *rest)  # type: ignore[arg-type]


def analyze_image_command(
    ctx: typer.Context,
    path: PathArg,
    prompt: PromptArg = "Analyze this image",
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
    no_log_content: NoLogContentOpt = False,
) -> None:
    """Ask a vision model about an image (PNG, JPEG, GIF or WebP)."""
    from llmring.file_utils import analyze_image

    options = _options(ctx, model, system, temperature, max_tokens, as_json, no_stream, usage, no_log, cache, ttl)
    options.no_log_content = no_log_content
    run_prompt(ctx, options, analyze_image(path, prompt))


def analyze_file_command(
    ctx: typer.Context,
    path: PathArg,
    prompt: PromptArg = "Analyze this file",
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
    no_log_content: NoLogContentOpt = False,
) -> None:
    """Ask a model about a file: images, PDFs, or text files (inlined)."""
    from llmring.file_utils import analyze_file

    options = _options(ctx, model, system, temperature, max_tokens, as_json, no_stream, usage, no_log, cache, ttl)
    options.no_log_content = no_log_content
    run_prompt(ctx, options, analyze_file(path, prompt))


def register(app: typer.Typer) -> None:
    """Add ``analyze-image`` and ``analyze-file`` to the root app."""
    from llmring.cli.context import LLMRingCommand

    app.command("analyze-image", cls=LLMRingCommand, short_help="Ask a vision model about an image.")(
        analyze_image_command
    )
    app.command("analyze-file", cls=LLMRingCommand, short_help="Ask a model about a PDF, image or text file.")(
        analyze_file_command
    )
