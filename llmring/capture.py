"""What was asked and what came back: the content a call captures when ``log_content`` is on.

A call's content is a list of ``ContentPart``s: one per request message (kind = its role), the
tool definitions (kind ``tools``) and the answer (kind ``response``, with its tool calls and
parsed structured output in ``extra``). Each part is identified by the SHA-256 of what it holds,
so the stores keep it once however many calls use it (a system prompt sent 10,000 times is one
row) and link calls to parts by position.

Before anything is hashed, every string is scrubbed: API keys in use, key-looking text
(``llmring.errors.redact``) and the configured patterns become ``***``; NUL characters and
lone surrogates, which PostgreSQL text cannot hold, become U+FFFD. Attachments are kept as type,
size and SHA-256 of their bytes, not the bytes, unless ``log_attachments``.

Nothing here touches a database or a provider: the recorder builds parts on the call's side and
the stores write and read them (``CallContent`` rows in, ``CapturedCall`` out).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from llmring.errors import ConfigurationError, redact, registered_secrets

if TYPE_CHECKING:
    from llmring.schemas import LLMRequest, Message

MESSAGE_KINDS = ("system", "user", "assistant", "tool")
TOOLS = "tools"
RESPONSE = "response"
_NO_LIMIT = 1 << 62
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
_JSON = json.JSONEncoder(separators=(",", ":"), sort_keys=True, ensure_ascii=False, default=str)
# Plain-text messages seen lately, by (role, text): a system prompt or an earlier turn of a
# conversation is scrubbed and hashed once, not on every call that resends it.
_CACHE_SIZE = 512


class ContentPart(NamedTuple):
    """One stored piece of content: ``kind``, its text, the rest as JSON (``extra``) and its hash."""

    kind: str
    text: str
    extra: str | None
    hash: str


@dataclass(slots=True)
class CallContent:
    """The parts of one call, in order: messages, then tools, then the response."""

    parts: list[ContentPart] = field(default_factory=list)


@dataclass
class CapturedCall:
    """A call's captured content as read back from a store.

    ``messages`` are dicts with ``role`` and ``content`` (text) and, when the message had them,
    ``attachments``, ``tool_calls``, ``tool_call_id`` and ``name``. ``response`` is None for a
    call that failed before any answer.
    """

    messages: list[dict[str, Any]] = field(default_factory=list)
    tools: list[Any] | None = None
    response: str | None = None
    tool_calls: list[dict[str, Any]] | None = None
    parsed: Any = None

    @property
    def prompt(self) -> str:
        """The last user message's text (what a one-line preview shows)."""
        for message in reversed(self.messages):
            if message.get("role") == "user":
                return str(message.get("content") or "")
        return ""

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (``calls show --json``)."""
        return {
            "messages": self.messages,
            "tools": self.tools,
            "response": self.response,
            "tool_calls": self.tool_calls,
            "parsed": self.parsed,
        }


def _storable(text: str) -> str:
    return _UNSTORABLE.sub("\ufffd", text) if _UNSTORABLE.search(text) else text


def make_part(kind: str, text: str, extra: dict[str, Any] | None) -> ContentPart:
    """A part with its hash (over kind, text and the canonical JSON of ``extra``)."""
    extra_json = _JSON.encode(extra) if extra else None
    identity = f"{kind}\0{text}" if extra_json is None else f"{kind}\0{text}\0{extra_json}"
    return ContentPart(kind, text, extra_json, hashlib.sha256(identity.encode()).hexdigest())


class Capture:
    """Turns requests and responses into scrubbed ``ContentPart``s (one per ``LLMRing``)."""

    def __init__(self, *, log_attachments: bool = False, redact_patterns: Iterable[str | re.Pattern[str]] = ()):
        self.log_attachments = log_attachments
        patterns: list[re.Pattern[str]] = []
        for pattern in redact_patterns:
            try:
                patterns.append(re.compile(pattern) if isinstance(pattern, str) else pattern)
            except re.error as exc:
                problem = f"redact pattern {pattern!r} is not a valid regular expression ({exc})"
                raise ConfigurationError(f"{problem}: fix redact_patterns") from None
        self.patterns = tuple(patterns)
        self._recent: dict[tuple[str, str], ContentPart] = {}
        self._secrets_known = registered_secrets()

    # -- scrubbing ----------------------------------------------------------------------------
    def scrub(self, text: str) -> str:
        """``text`` with secrets and configured patterns replaced by ``***``, storable anywhere."""
        text = redact(text, limit=_NO_LIMIT) or ""
        for pattern in self.patterns:
            text = pattern.sub("***", text)
        return _storable(text)

    def scrub_value(self, value: Any) -> Any:
        """``scrub`` applied to every string inside ``value`` (dicts, lists; keys too)."""
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, dict):
            return {self.scrub(str(k)): self.scrub_value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.scrub_value(v) for v in value]
        return value

    # -- building parts ------------------------------------------------------------------------
    def request_parts(self, request: LLMRequest) -> list[ContentPart]:
        """The request's messages, then its tool definitions (if any), as parts."""
        parts = [self.message_part(message) for message in request.messages]
        if request.tools:
            parts.append(make_part(TOOLS, _JSON.encode(self.scrub_value(request.tools)), None))
        return parts

    def message_part(self, message: Message) -> ContentPart:
        """One message: its text, and attachments and tool fields in ``extra``."""
        content = message.content
        if isinstance(content, str) and not (message.tool_calls or message.tool_call_id or message.name):
            return self._plain_part(message.role, content)
        extra: dict[str, Any] = {}
        if isinstance(content, str) or content is None:
            text = content or ""
        else:
            texts: list[str] = []
            attachments: list[dict[str, Any]] = []
            for item in content:
                if isinstance(item, dict) and item.get("type") == "text":
                    texts.append(str(item.get("text") or ""))
                else:
                    attachments.append(self.attachment(item))
            text = "\n\n".join(texts)
            if attachments:
                extra["attachments"] = attachments
        if message.tool_calls:
            extra["tool_calls"] = self.scrub_value(message.tool_calls)
        if message.tool_call_id:
            extra["tool_call_id"] = self.scrub(message.tool_call_id)
        if message.name:
            extra["name"] = self.scrub(message.name)
        return make_part(message.role, self.scrub(text), extra or None)

    def _plain_part(self, role: str, text: str) -> ContentPart:
        if registered_secrets() != self._secrets_known:  # a new key: scrub everything again
            self._recent.clear()
            self._secrets_known = registered_secrets()
        key = (role, text)
        part = self._recent.get(key)
        if part is None:
            part = make_part(role, self.scrub(text), None)
            if len(self._recent) >= _CACHE_SIZE:
                del self._recent[next(iter(self._recent))]  # the oldest entry
            self._recent[key] = part
        return part

    def attachment(self, item: Any) -> dict[str, Any]:
        """An attachment as type, media type, size and SHA-256 of its bytes (plus the data
        itself with ``log_attachments``); a URL that is not inline data is kept, scrubbed."""
        if not isinstance(item, dict):
            return {"type": type(item).__name__}
        kind = str(item.get("type") or "unknown")
        media_type: str | None = None
        data: str | None = None
        url: str | None = None
        if kind == "image_url":
            kind = "image"
            image = item.get("image_url")
            raw = image.get("url") if isinstance(image, dict) else image
            if isinstance(raw, str) and raw.startswith("data:") and ";base64," in raw:
                header, data = raw[5:].split(";base64,", 1)
                media_type = header or None
            elif isinstance(raw, str):
                url = raw
        else:
            source = item.get("source")
            if isinstance(source, dict) and source.get("type") == "base64":
                media_type, data = source.get("media_type"), source.get("data")
        described: dict[str, Any] = {"type": kind}
        if media_type:
            described["media_type"] = self.scrub(str(media_type))
        if item.get("filename"):
            described["filename"] = self.scrub(str(item["filename"]))
        if url is not None:
            described["url"] = self.scrub(url)
        if isinstance(data, str):
            try:
                raw_bytes = base64.b64decode(data, validate=True)
            except (binascii.Error, ValueError):
                raw_bytes = data.encode()
            described["size"] = len(raw_bytes)
            described["sha256"] = hashlib.sha256(raw_bytes).hexdigest()
            if self.log_attachments:
                described["data"] = data
        return described

    def response_part(self, text: str | None, tool_calls: Sequence[dict[str, Any]] | None, parsed: Any) -> ContentPart:
        """The answer: its text, and its tool calls and parsed structured output in ``extra``."""
        extra: dict[str, Any] = {}
        if tool_calls:
            extra["tool_calls"] = self.scrub_value(list(tool_calls))
        if parsed is not None:
            extra["parsed"] = self.scrub_value(parsed)
        return make_part(RESPONSE, self.scrub(text or ""), extra or None)


def parsed_json(text: str | None) -> Any:
    """The structured output of a JSON-mode answer, or None when it is not JSON."""
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def captured_call(parts: Iterable[tuple[str, str, str | dict[str, Any] | None]]) -> CapturedCall:
    """A ``CapturedCall`` from a store's (kind, text, extra) rows in position order."""
    call = CapturedCall()
    for kind, text, raw_extra in parts:
        extra: dict[str, Any] = (json.loads(raw_extra) if isinstance(raw_extra, str) else raw_extra) or {}
        if kind == TOOLS:
            try:
                call.tools = json.loads(text)
            except ValueError:
                call.tools = [text]
        elif kind == RESPONSE:
            call.response = text
            call.tool_calls = extra.get("tool_calls")
            call.parsed = extra.get("parsed")
        else:
            call.messages.append({"role": kind, "content": text, **extra})
    return call
