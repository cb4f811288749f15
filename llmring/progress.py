"""What a call is doing while the caller waits, for a caller that shows it (the CLI's spinner).

``LLMRing(progress=hook)`` calls ``hook(Progress(...))`` when a call starts waiting on a model,
when a failed attempt will be retried after a delay, and when an alias's chain falls back to its
next model. The hook runs on the event loop, inline: it must return at once (the CLI's just
stores the event; its spinner thread draws it). Without a hook nothing is built.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

ProgressKind = Literal["waiting", "retrying", "falling_back"]


@dataclass(frozen=True, slots=True)
class Progress:
    """One step of a call.

    ``waiting``: a request went to ``model`` (``provider:model``) and the call waits for it.
    ``retrying``: an attempt at ``model`` failed (``reason``) and retry ``attempt`` of at most
    ``retries`` follows in ``delay`` seconds.
    ``falling_back``: the alias's earlier model failed or was passed over (``reason``) and the
    call now waits for ``model``.
    """

    kind: ProgressKind
    model: str
    reason: str = ""
    attempt: int = 0
    retries: int = 0
    delay: float = 0.0


ProgressHook = Callable[[Progress], None]
