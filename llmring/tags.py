"""Call tags: ``{"feature": "summarise", "env": "prod"}`` attached to a call and stored per row.

A tag key is 1-64 characters of letters, digits, ``_``, ``-`` and ``.`` (so it is safe inside a
JSON path and a CLI ``KEY=VALUE``); a value is 1-200 printable characters. A call carries at
most 20 tags. Tags come from ``chat(..., tags=)`` and ``LLMRequest.metadata["tags"]`` (the
argument wins per key); both stores keep them in a form that groups and filters fast
(``llmring stats --by tag:KEY``, ``llmring calls --tag KEY=VALUE``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from llmring.errors import ConfigurationError

_KEY = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
MAX_TAGS = 20
MAX_VALUE = 200
UNTAGGED = "(untagged)"
TAG_PREFIX = "tag:"


def check_key(key: Any) -> str:
    """``key`` if it is a valid tag key, else a one-line ``ConfigurationError``."""
    if not isinstance(key, str) or not _KEY.match(key):
        raise ConfigurationError(f"invalid tag key {key!r}: use 1-64 letters, digits, '_', '-' or '.'")
    return key


def check_tags(tags: Mapping[str, Any] | None) -> dict[str, str] | None:
    """``tags`` checked and as a plain ``dict[str, str]`` (None or empty: None)."""
    if not tags:
        return None
    if not isinstance(tags, Mapping):
        raise ConfigurationError(f"tags must be a mapping of KEY to VALUE, not {type(tags).__name__}")
    if len(tags) > MAX_TAGS:
        raise ConfigurationError(f"a call takes at most {MAX_TAGS} tags, not {len(tags)}")
    checked: dict[str, str] = {}
    for key, value in tags.items():
        check_key(key)
        if not isinstance(value, str) or not value or len(value) > MAX_VALUE or not value.isprintable():
            raise ConfigurationError(
                f"invalid value for tag {key!r}: use 1-{MAX_VALUE} printable characters (got {value!r:.60})"
            )
        checked[key] = value
    return checked


def parse_tag(text: str) -> tuple[str, str]:
    """``KEY=VALUE`` (a CLI ``--tag``) as a checked pair."""
    key, sep, value = text.partition("=")
    if not sep:
        raise ConfigurationError(f"--tag {text!r} has no value: write it as --tag feature=summarise")
    checked = check_tags({key.strip(): value.strip()})
    assert checked is not None
    return next(iter(checked.items()))


def parse_tags(texts: list[str] | None) -> dict[str, str] | None:
    """Repeated ``--tag KEY=VALUE`` options as one checked mapping (a repeated key: the last wins)."""
    if not texts:
        return None
    return check_tags(dict(parse_tag(text) for text in texts))


def call_tags(explicit: Mapping[str, Any] | None, metadata: Mapping[str, Any] | None) -> dict[str, str] | None:
    """The tags of one call: ``metadata["tags"]`` overlaid with the ``tags=`` argument, checked."""
    from_metadata = (metadata or {}).get("tags")
    if from_metadata is not None and not isinstance(from_metadata, Mapping):
        raise ConfigurationError("metadata['tags'] must be a mapping of KEY to VALUE")
    if not from_metadata:
        return check_tags(explicit)
    if not explicit:
        return check_tags(from_metadata)
    return check_tags({**from_metadata, **explicit})


def tag_breakdown_key(by: str) -> str | None:
    """The tag key of a ``tag:KEY`` breakdown (checked), or None for another breakdown."""
    if not by.startswith(TAG_PREFIX):
        return None
    return check_key(by[len(TAG_PREFIX) :])
