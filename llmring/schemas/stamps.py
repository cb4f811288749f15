"""What every record is stamped with: the time (``utc_now``) and a fresh id (``new_id``).

Call the clock as ``llmring.schemas.utc_now()``, looked up at call time: tests (and callers)
freeze time by patching that one name.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime


def utc_now() -> datetime:
    """The current time as an aware UTC datetime (one place, so tests can patch it)."""
    return datetime.now(UTC)


def new_id() -> str:
    """A random (version 4) UUID as text: ``str(uuid.uuid4())`` at about half the cost.

    Every logged call takes two (the call's and its row's), on the path whose overhead
    bench/service.py measures; ``uuid.UUID`` validates and converts in Python each time.
    """
    n = int.from_bytes(os.urandom(16), "big") & _UUID_KEEP | _UUID_V4
    h = f"{n:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


# Version 4 in bits 76-79 and the RFC 4122 variant in bits 62-63, as uuid.UUID(version=4) sets them.
_UUID_KEEP = ~((0xF000 << 64) | (0xC000 << 48)) & ((1 << 128) - 1)
_UUID_V4 = (0x4000 << 64) | (0x8000 << 48)
