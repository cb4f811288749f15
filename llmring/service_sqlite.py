"""``LLMRingSQLite``: the ``LLMRing`` service logging to one SQLite file (the seed's local class).

It is a thin front: the same class, the same code path, with the store fixed to ``db_path``.

::

    from llmring.service_sqlite import LLMRingSQLite

    service = LLMRingSQLite(db_path="llmring.db", origin="my-app")
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from llmring.service import LLMRing


class LLMRingSQLite(LLMRing):
    """``LLMRing`` with its call log, cache and registry in the SQLite file ``db_path``."""

    def __init__(
        self,
        db_path: str | os.PathLike[str] = "llmring.db",
        origin: str = "llmring",
        enable_db_logging: bool = True,
        **kwargs: Any,
    ) -> None:
        from llmring.settings import DatabaseTarget

        path = os.fspath(db_path)
        if path != ":memory:":
            path = str(Path(path).expanduser())
        super().__init__(
            database=DatabaseTarget(sqlite_path=Path(path)),
            origin=origin,
            enable_db_logging=enable_db_logging,
            **kwargs,
        )
        self.db_path = path
