"""A captured call as text for people: the sections ``llmring calls show`` prints and the
dashboard's call details show (one shape for both), and the one-line preview of ``calls --content``.

Sections are (heading, body) pairs of plain text: the tools offered, each message (attachments
as type, size and hash; an assistant's tool calls as ``name(arguments)``), then the answer, its
tool calls and its structured output. Nothing here is made inert or escaped: each front does
that for its medium (``formatting.inert`` for a terminal, markup escaping for the dashboard).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llmring.capture import CapturedCall

Section = tuple[str, str]


def _size(n: Any) -> str:
    if not isinstance(n, int):
        return "? bytes"
    if n < 1024:
        return f"{n} bytes"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / 1024 / 1024:.1f} MB"


def attachment_line(item: dict[str, Any]) -> str:
    """``[image image/png, 72 bytes, sha256 3fa2b1c0d4e5]``."""
    bits = [str(item.get("type") or "attachment")]
    if item.get("media_type"):
        bits[0] += f" {item['media_type']}"
    if item.get("filename"):
        bits.append(str(item["filename"]))
    if "size" in item:
        bits.append(_size(item.get("size")))
    if item.get("sha256"):
        bits.append(f"sha256 {str(item['sha256'])[:12]}")
    if item.get("url"):
        bits.append(str(item["url"]))
    return "[" + ", ".join(bits) + "]"


def tool_call_line(call: Any) -> str:
    """``get_weather({"city": "Paris"})`` for one tool call in the OpenAI shape."""
    if not isinstance(call, dict):
        return str(call)
    inner = call.get("function")
    fn: dict[str, Any] = inner if isinstance(inner, dict) else call
    name = fn.get("name") or "?"
    arguments = fn.get("arguments")
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments if arguments is not None else {}, ensure_ascii=False)
    return f"{name}({arguments})"


def _tool_names(tools: list[Any]) -> str:
    names = []
    for tool in tools:
        fn = tool.get("function") if isinstance(tool, dict) and isinstance(tool.get("function"), dict) else tool
        names.append(str(fn.get("name") or "?") if isinstance(fn, dict) else str(fn))
    return ", ".join(names)


def sections(content: CapturedCall) -> list[Section]:
    """The call as (heading, body) sections, in the order it happened."""
    out: list[Section] = []
    if content.tools:
        out.append(("tools offered", _tool_names(content.tools)))
    for message in content.messages:
        role = str(message.get("role") or "?")
        heading = role
        if message.get("tool_call_id"):
            heading = f"{role} ({message['tool_call_id']})"
        lines = [str(message.get("content") or "")] if message.get("content") else []
        lines += [attachment_line(a) for a in message.get("attachments") or [] if isinstance(a, dict)]
        lines += [f"-> {tool_call_line(c)}" for c in message.get("tool_calls") or []]
        out.append((heading, "\n".join(lines)))
    if content.response is not None or content.tool_calls:
        out.append(("answer", content.response or ""))
    if content.tool_calls:
        out.append(("tool calls", "\n".join(tool_call_line(c) for c in content.tool_calls)))
    if content.parsed is not None:
        out.append(("structured output", json.dumps(content.parsed, indent=2, ensure_ascii=False)))
    return out


def one_line(text: str) -> str:
    """``text`` with every run of whitespace (newlines too) as one space."""
    return " ".join(text.split())


def preview(content: CapturedCall | None, width: int = 60) -> str:
    """``prompt → answer`` on one line, cut to ``width`` characters (empty: nothing captured)."""
    if content is None:
        return ""
    prompt = one_line(content.prompt)
    answer = one_line(content.response or "")
    if not answer and content.tool_calls:
        answer = one_line(", ".join(tool_call_line(c) for c in content.tool_calls))
    text = f"{prompt} → {answer}" if content.response is not None or content.tool_calls else prompt
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"
