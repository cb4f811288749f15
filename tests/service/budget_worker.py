"""One of two OS processes spending against one budget (see ``test_budget_processes.py``).

``python -m tests.service.budget_worker TARGET ORIGIN CALLS CONCURRENCY``: TARGET is
``sqlite:///path`` or a ``postgresql://`` URL. Makes CALLS calls to ``gpt-4o-mini`` (at most
CONCURRENCY at a time, ``max_tokens=10``) through an ``LLMRing`` with a $1.00 daily budget over
all calls. Prints ``ready``, waits for a line on stdin so both processes start together, then
prints a JSON summary: calls that went through, calls refused, and any other error.
"""

from __future__ import annotations

import asyncio
import json
import sys
from decimal import Decimal

from llmring.budgets import Budget
from llmring.errors import BudgetExceededError
from llmring.schemas import LLMRequest, Message
from llmring.service import LLMRing

LIMIT = Decimal("1.00")


async def main(target: str, origin: str, calls: int, concurrency: int) -> dict[str, object]:
    ring = LLMRing(target, origin=origin, budgets=[Budget("daily", LIMIT)])
    print("ready", flush=True)
    sys.stdin.readline()
    slots = asyncio.Semaphore(concurrency)
    outcome: dict[str, list[str]] = {"ok": [], "refused": [], "other": []}

    async def one(index: int) -> None:
        text = f"Say [call {index:03d}]"
        request = LLMRequest(model="gpt-4o-mini", max_tokens=10, messages=[Message(role="user", content=text)])
        async with slots:
            try:
                await ring.chat(request)
            except BudgetExceededError as exc:
                outcome["refused"].append(str(exc))
            except Exception as exc:
                outcome["other"].append(f"{type(exc).__name__}: {exc}")
            else:
                outcome["ok"].append(text)

    await asyncio.gather(*(one(i) for i in range(calls)))
    await ring.close(timeout=30)
    return {
        "ok": len(outcome["ok"]),
        "refused": len(outcome["refused"]),
        "other": outcome["other"][:5],
        "sample_refusal": outcome["refused"][:1],
    }


if __name__ == "__main__":
    target, origin, calls, concurrency = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    print(json.dumps(asyncio.run(main(target, origin, calls, concurrency))), flush=True)
