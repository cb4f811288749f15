"""OpenAI error replies as the API sends them (wire_formats.md 1.6), for fakes and tests to script.

Bodies are the ``{"error": {"message", "type", "param", "code"}}`` envelope with the API's own
wording; a 429 carries ``retry-after`` and the ``x-ratelimit-*`` headers, a quota 429 does not.
"""

from __future__ import annotations

from typing import Any

from tests.fakes.server import Reply


def error_body(message: str, etype: str, code: str | None = None, param: str | None = None) -> dict[str, Any]:
    """OpenAI's error envelope."""
    return {"error": {"message": message, "type": etype, "param": param, "code": code}}


def rate_limit_reply(retry_after: str = "2", **extra_headers: str) -> Reply:
    """429 ``rate_limit_exceeded`` with ``retry-after`` and the ``x-ratelimit-*`` headers."""
    headers = {
        "retry-after": retry_after,
        "x-ratelimit-limit-tokens": "30000",
        "x-ratelimit-remaining-tokens": "0",
        "x-ratelimit-reset-tokens": "1.5s",
        "x-request-id": "req_ratelimited",
        **extra_headers,
    }
    message = (
        "Rate limit reached for gpt-4o in organization org-abc on tokens per min (TPM): Limit 30000, Used 29000, "
        "Requested 2000. Please try again in 2s. Visit https://platform.openai.com/account/rate-limits to learn more."
    )
    return Reply(429, error_body(message, "tokens", "rate_limit_exceeded"), headers=headers)


def quota_reply() -> Reply:
    """429 ``insufficient_quota``: no retry-after, because waiting does not help."""
    message = (
        "You exceeded your current quota, please check your plan and billing details. For more information on "
        "this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors."
    )
    return Reply(
        429, error_body(message, "insufficient_quota", "insufficient_quota"), headers={"x-request-id": "req_q"}
    )


def server_error_reply(status: int = 500, **headers: str) -> Reply:
    """500 ``server_error`` or 503 ``server_is_overloaded``."""
    if status == 503:
        body = error_body(
            "Our servers are currently overloaded. Please try again later.",
            "service_unavailable_error",
            "server_is_overloaded",
        )
    else:
        body = error_body("The server had an error while processing your request. Sorry about that!", "server_error")
    return Reply(status, body, headers={"x-request-id": f"req_{status}", **headers})


def bad_request_reply(code: str | None, message: str, param: str | None = None, status: int = 400) -> Reply:
    """A 400 ``invalid_request_error`` with the given ``code`` (e.g. ``context_length_exceeded``)."""
    return Reply(status, error_body(message, "invalid_request_error", code, param), headers={"x-request-id": "req_400"})


def context_length_reply() -> Reply:
    """400 ``context_length_exceeded``, as the API words it."""
    return bad_request_reply(
        "context_length_exceeded",
        "This model's maximum context length is 128000 tokens. However, your messages resulted in 130532 tokens. "
        "Please reduce the length of the messages.",
        param="messages",
    )


def content_policy_reply() -> Reply:
    """400 ``content_policy_violation``."""
    return bad_request_reply(
        "content_policy_violation",
        "Your request was rejected as a result of our safety system.",
    )


def forbidden_reply() -> Reply:
    """403 for a region the API does not serve."""
    return Reply(
        403,
        error_body(
            "Country, region, or territory not supported",
            "invalid_request_error",
            "unsupported_country_region_territory",
        ),
        headers={"x-request-id": "req_403"},
    )
