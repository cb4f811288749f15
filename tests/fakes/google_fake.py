"""A local Gemini Developer API: ``/v1beta/models/{model}:generateContent`` and ``:streamGenerateContent``.

Shapes follow wire_formats.md section 3. The answer is decided from the request: no key gets the
403 for unregistered callers, a wrong key the 400 ``API_KEY_INVALID`` envelope, an unknown model
the exact ``NOT_FOUND`` 404. Function declarations get ``functionCall`` parts (one per function
named in the last user text, else one per function; ``toolConfig`` ``ANY`` + allowed names forces
those); gemini-3 models give calls an ``id`` and a ``thoughtSignature`` and insist that model turns
echo the signature back, gemini-2.5 models sign but give no id. A ``functionResponse`` gets an
answer quoting it; ``responseMimeType: application/json`` gets JSON matching ``responseJsonSchema``;
otherwise the last user text is echoed with a count of the inline images and documents.
``maxOutputTokens`` cuts the answer (``MAX_TOKENS``). Implicit caching is simulated: a request whose
earlier turns were seen before reports them as ``cachedContentTokenCount``. 2.5 and 3 models think.

Streams (``alt=sse``) are ``data:`` lines with CRLF endings and no terminator; bodies are UTF-8
with non-ASCII (including U+2028) unescaped, as Google sends them. ``stream_error_after`` ends the
next stream with the raw multi-line JSON error Gemini writes mid-stream; ``drop_stream_after`` cuts
it. ``:countTokens`` answers ``{"totalTokens": N}`` for ``contents`` or a whole ``generateContentRequest``,
N being the ``promptTokenCount`` the same request gets from ``generateContent`` (before implicit
caching). Every request and every reply is checked against the google-genai contract in ``inspect``.
"""

from __future__ import annotations

import base64
import itertools
import json
from typing import Any
from urllib.parse import unquote

from tests.contracts import google_contract as contract
from tests.fakes.samples import rough_tokens, sample_for_schema, words
from tests.fakes.server import FakeProvider, RecordedRequest, Reply

API_KEY = "AIzaSyFake0123456789abcdefghijklmnopqr"
MODELS = frozenset(
    {"gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.5-flash-lite", "gemini-2.0-flash", "gemini-3-pro-preview"}
)
THOUGHTS = 32
NOT_FOUND = (
    "models/{model} is not found for API version v1beta, or is not supported for {method}. "
    "Call ListModels to see the list of available models and their supported methods."
)
UNREGISTERED = (
    "Method doesn't allow unregistered callers (callers without established identity). "
    "Please use API Key or other form of API consumer identity to call this API."
)


def dumps(value: Any) -> str:
    """JSON as Google writes it: non-ASCII characters unescaped."""
    return json.dumps(value, ensure_ascii=False)


def error_body(code: int, status: str, message: str, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A ``google.rpc.Status`` error body."""
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details:
        error["details"] = details
    return {"error": error}


def error_reply(code: int, status: str, message: str, details: list[dict[str, Any]] | None = None) -> Reply:
    return Reply(code, dumps(error_body(code, status, message, details)).encode())


def retry_info(delay: str) -> dict[str, Any]:
    return {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay}


def rate_limit_reply(retry_delay: str = "46s") -> Reply:
    """429 ``RESOURCE_EXHAUSTED`` with QuotaFailure, Help and ``RetryInfo.retryDelay``."""
    message = (
        "You exceeded your current quota, please check your plan and billing details. For more information on "
        "this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits."
    )
    violation = {
        "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
        "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
        "quotaDimensions": {"location": "global", "model": "gemini-2.5-pro"},
        "quotaValue": "2",
    }
    details = [
        {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [violation]},
        {
            "@type": "type.googleapis.com/google.rpc.Help",
            "links": [
                {
                    "description": "Learn more about Gemini API quotas",
                    "url": "https://ai.google.dev/gemini-api/docs/rate-limits",
                }
            ],
        },
        retry_info(retry_delay),
    ]
    return error_reply(429, "RESOURCE_EXHAUSTED", message, details)


def unavailable_reply(retry_delay: str | None = None) -> Reply:
    """503 ``UNAVAILABLE`` (model overloaded), optionally with ``RetryInfo``."""
    details = [retry_info(retry_delay)] if retry_delay else None
    return error_reply(503, "UNAVAILABLE", "The model is overloaded. Please try again later.", details)


def internal_reply() -> Reply:
    return error_reply(
        500,
        "INTERNAL",
        "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
    )


def deadline_reply() -> Reply:
    return error_reply(504, "DEADLINE_EXCEEDED", "Deadline expired before operation could complete.")


def permission_reply() -> Reply:
    return error_reply(403, "PERMISSION_DENIED", "Your API key was reported as leaked. Please use another API key.")


def blocked_body() -> dict[str, Any]:
    """HTTP 200 for a blocked prompt: no candidates, only ``promptFeedback.blockReason``."""
    return {
        "promptFeedback": {
            "blockReason": "SAFETY",
            "safetyRatings": [{"category": "HARM_CATEGORY_HARASSMENT", "probability": "HIGH"}],
        },
        "usageMetadata": {"promptTokenCount": 8, "totalTokenCount": 8},
        "modelVersion": "gemini-2.5-flash",
        "responseId": "zz1",
    }


def _text(content: dict[str, Any]) -> str:
    return " ".join(p["text"] for p in content.get("parts") or [] if "text" in p)


class GoogleFake(FakeProvider):
    """Gemini's generateContent endpoints, deciding answers from requests and checking every exchange."""

    def __init__(self) -> None:
        super().__init__()
        self.api_key = API_KEY
        self.violations: list[str] = []
        self._ids = itertools.count(1)
        self._seen_prefixes: set[str] = set()
        self.drop_stream_after: int | None = None
        self.stream_error_after: int | None = None

    # -- test API -----------------------------------------------------------------------------
    def reset(self) -> None:
        super().reset()
        self.violations.clear()
        self._seen_prefixes.clear()
        self.drop_stream_after = self.stream_error_after = None

    @property
    def last_body(self) -> dict[str, Any]:
        return self.requests[-1].json

    def inspect(self, request: RecordedRequest, reply: Reply) -> None:
        """Check the request llmring sent and the reply about to go back (never raises)."""
        try:
            found = [] if request.headers.get("x-goog-api-key") else ["no x-goog-api-key header"]
            if "key" in request.query:
                found.append("API key sent in the query string")
            body = json.loads(request.raw_body) if request.raw_body else None
            model, _, method = unquote(request.path.removeprefix("/v1beta/models/")).partition(":")
            if method == "countTokens":
                found += contract.count_request_violations(body, model)
                if reply.status < 400:
                    found += [f"(reply) {p}" for p in contract.count_response_violations(reply.body)]
            else:
                found += contract.request_violations(body)
            self.violations += [f"request {request.path}: {p}" for p in found]
            if method != "countTokens" or reply.status >= 400:
                self.violations += [f"reply {reply.status}: {p}" for p in self.reply_violations(reply)]
        except Exception as exc:  # a broken check must fail the test, not hang the client
            self.violations.append(f"contract check crashed: {exc!r}")

    @staticmethod
    def reply_violations(reply: Reply) -> list[str]:
        if reply.chunks is not None:
            return contract.stream_violations(b"".join(reply.chunks))
        body = reply.body
        if isinstance(body, (bytes, str)):
            try:
                body = json.loads(body)
            except ValueError:
                return [] if reply.status >= 400 else ["success body is not JSON"]
        if reply.status >= 400:
            return contract.error_violations(body, reply.status)
        if isinstance(body, list):  # streamGenerateContent without alt=sse
            return [p for item in body for p in contract.response_violations(item)]
        return contract.response_violations(body)

    # -- answers ------------------------------------------------------------------------------
    def handle(self, request: RecordedRequest) -> Reply:
        prefix = "/v1beta/models/"
        model, _, method = unquote(request.path.removeprefix(prefix)).partition(":")
        if request.method != "POST" or not request.path.startswith(prefix):
            return error_reply(404, "NOT_FOUND", f"Method not found: {request.path}")
        if method not in ("generateContent", "streamGenerateContent", "countTokens"):
            return error_reply(404, "NOT_FOUND", f"Method not found: {method}")
        key = request.headers.get("x-goog-api-key") or (request.query.get("key") or [""])[0]
        if not key:
            return error_reply(403, "PERMISSION_DENIED", UNREGISTERED)
        if key != self.api_key:
            info = {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
                "metadata": {"service": "generativelanguage.googleapis.com"},
            }
            return error_reply(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", [info])
        try:
            body = json.loads(request.raw_body)
        except ValueError:
            return error_reply(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
        counting = method == "countTokens"
        problems = contract.count_request_violations(body, model) if counting else contract.request_violations(body)
        if problems:
            return error_reply(400, "INVALID_ARGUMENT", f"Invalid JSON payload received. {problems[0]}")
        if model not in MODELS:
            return error_reply(404, "NOT_FOUND", NOT_FOUND.format(model=model, method=method))
        if counting:
            counted = body.get("generateContentRequest") or body
            return Reply(200, dumps({"totalTokens": self.prompt_tokens(counted)}).encode())
        thinking = (body.get("generationConfig") or {}).get("thinkingConfig") or {}
        if "thinkingLevel" in thinking and not model.startswith("gemini-3"):
            return error_reply(400, "INVALID_ARGUMENT", "Thinking level is not supported for this model.")
        if thinking.get("thinkingBudget") == 0 and model == "gemini-2.5-pro":
            return error_reply(400, "INVALID_ARGUMENT", "Budget 0 is invalid. This model only works in thinking mode.")
        missing = self._missing_signature(model, body)
        if missing:
            return error_reply(400, "INVALID_ARGUMENT", missing)
        response = self._respond(model, body)
        if method == "generateContent":
            return Reply(200, dumps(response).encode())
        return self._stream(response, sse_framing=request.query.get("alt") == ["sse"])

    @staticmethod
    def _missing_signature(model: str, body: dict[str, Any]) -> str | None:
        if not model.startswith("gemini-3"):
            return None
        for position, content in enumerate(body["contents"]):
            calls = [p for p in content["parts"] if "functionCall" in p]
            if content["role"] == "model" and calls and "thoughtSignature" not in calls[0]:
                name = calls[0]["functionCall"]["name"]
                return (
                    "Function call is missing a thought_signature in functionCall parts. This is required for tools "
                    f"to work correctly. Additional data, function call `default_api:{name}` , position {position + 1}."
                )
        return None

    def _parts(self, model: str, body: dict[str, Any]) -> list[dict[str, Any]]:
        contents = body["contents"]
        last = contents[-1]
        responses = [p["functionResponse"] for p in last["parts"] if "functionResponse" in p]
        declarations = [d for t in body.get("tools") or [] for d in t.get("functionDeclarations") or []]
        calling = (body.get("toolConfig") or {}).get("functionCallingConfig") or {}
        mode = calling.get("mode", "AUTO")
        config = body.get("generationConfig") or {}
        chosen: list[dict[str, Any]] = []
        if declarations and not responses and mode != "NONE":
            allowed = calling.get("allowedFunctionNames")
            if allowed:
                chosen = [d for d in declarations if d["name"] in allowed]
            else:
                chosen = [d for d in declarations if d["name"] in _text(last)] or declarations
        if chosen:
            parts = []
            for index, decl in enumerate(chosen):
                call: dict[str, Any] = {
                    "name": decl["name"],
                    "args": sample_for_schema(decl.get("parametersJsonSchema")),
                }
                if model.startswith("gemini-3"):
                    call["id"] = f"fc-{next(self._ids):08d}"
                part: dict[str, Any] = {"functionCall": call}
                if index == 0 and model.startswith(("gemini-3", "gemini-2.5")):
                    part["thoughtSignature"] = base64.b64encode(f"sig-{decl['name']}".encode()).decode()
                parts.append(part)
            return parts
        if config.get("responseMimeType") == "application/json":
            schema = config.get("responseJsonSchema") or config.get("responseSchema")
            value = sample_for_schema(schema) if schema else {"answer": _text(last)}
            return [{"text": json.dumps(value)}]
        if responses:
            return [{"text": "Tool results: " + "; ".join(dumps(r["response"]) for r in responses)}]
        inline = [p["inlineData"]["mimeType"] for c in contents for p in c["parts"] if "inlineData" in p]
        images = sum(m.startswith("image/") for m in inline)
        text = f"Hello! You said: {_text(last)}"
        if inline:
            text += f" (with {images} image(s) and {len(inline) - images} document(s))"
        return [{"text": text}]

    @staticmethod
    def _head(body: dict[str, Any]) -> list[Any]:
        return [body.get("systemInstruction"), body.get("tools")]

    def prompt_tokens(self, body: dict[str, Any]) -> int:
        """The prompt tokens of a ``generateContent`` body: system instruction, tools and contents."""
        return rough_tokens(dumps([*self._head(body), body["contents"]]))

    def _respond(self, model: str, body: dict[str, Any]) -> dict[str, Any]:
        parts = self._parts(model, body)
        finish = "STOP"
        limit = (body.get("generationConfig") or {}).get("maxOutputTokens")
        if limit is not None and "text" in parts[0] and len(words(parts[0]["text"])) > limit:
            parts, finish = [{"text": "".join(words(parts[0]["text"])[:limit])}], "MAX_TOKENS"
        head = self._head(body)
        contents = body["contents"]
        cached = 0
        for k in range(len(contents) - 1, 0, -1):
            if dumps([*head, contents[:k]]) in self._seen_prefixes:
                cached = rough_tokens(dumps([*head, contents[:k]]))
                break
        for k in range(1, len(contents) + 1):
            self._seen_prefixes.add(dumps([*head, contents[:k]]))
        prompt = max(self.prompt_tokens(body), cached + 1)
        candidates = rough_tokens(dumps(parts))
        thinking = (body.get("generationConfig") or {}).get("thinkingConfig") or {}
        thoughts = THOUGHTS if model.startswith(("gemini-2.5", "gemini-3")) else 0
        if thinking.get("thinkingBudget") == 0:
            thoughts = 0
        usage: dict[str, Any] = {"promptTokenCount": prompt, "candidatesTokenCount": candidates}
        usage["totalTokenCount"] = prompt + candidates + thoughts
        if cached:
            usage["cachedContentTokenCount"] = cached
            usage["cacheTokensDetails"] = [{"modality": "TEXT", "tokenCount": cached}]
        if thoughts:
            usage["thoughtsTokenCount"] = thoughts
        usage["promptTokensDetails"] = [{"modality": "TEXT", "tokenCount": prompt}]
        return {
            "candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": finish, "index": 0}],
            "usageMetadata": usage,
            "modelVersion": model,
            "responseId": f"resp-fake-{next(self._ids):06d}",
        }

    def _stream(self, response: dict[str, Any], *, sse_framing: bool) -> Reply:
        candidate = response["candidates"][0]
        usage = response["usageMetadata"]
        head = {k: response[k] for k in ("modelVersion", "responseId")}
        early_usage = {k: usage[k] for k in ("promptTokenCount", "promptTokensDetails")}
        early_usage["totalTokenCount"] = usage["promptTokenCount"]
        parts = candidate["content"]["parts"]
        pieces: list[list[dict[str, Any]]] = []
        for part in parts:
            if "text" in part:
                text_words = words(part["text"])
                pieces += [[{"text": "".join(text_words[i : i + 3])}] for i in range(0, len(text_words), 3)]
            else:
                pieces.append([part])  # function calls arrive whole
        chunks: list[dict[str, Any]] = []
        for n, piece in enumerate(pieces or [[{"text": ""}]]):
            last = n == len(pieces) - 1
            cand: dict[str, Any] = {"content": {"parts": piece, "role": "model"}, "index": 0}
            if last:
                cand["finishReason"] = candidate["finishReason"]
            chunks.append({"candidates": [cand], "usageMetadata": usage if last else early_usage, **head})
        if not sse_framing:
            return Reply(200, dumps(chunks).encode())
        frames = [f"data: {dumps(chunk)}\r\n\r\n".encode() for chunk in chunks]
        drop, error_at = self.drop_stream_after, self.stream_error_after
        self.drop_stream_after = self.stream_error_after = None
        if error_at is not None:
            failure = error_body(503, "UNAVAILABLE", "The model is overloaded. Please try again later.")
            frames = [*frames[:error_at], (json.dumps(failure, indent=2) + "\n").encode()]
        return Reply(200, chunks=frames, drop_after=drop, content_type="text/event-stream")
