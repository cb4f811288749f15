"""Load with faults, at scale: many calls through one ``LLMRingSQLite``, a share of them failing.

The harness of ``tests/faults/test_load.py`` (``tests/faults/faulty_fakes.py`` plans and serves
the faults, ``tests/faults/load_harness.py`` makes the calls and checks the log), run bigger and
printed: calls made, rows logged, attempts the fakes saw, faults injected per kind, outcomes per
exception type, wall time and calls/s, then every way the run lost or leaked something (none, if
all is well). The fakes run in a child process by default, so they do not share the client's GIL.

Run: ``.venv/bin/python bench/load.py [--calls 10000] [--concurrency 100] [--failure-rate 0.1]``.
``bench/load.py --kill9 [--kills 10]`` instead measures the call log's loss window under kill -9
for both durabilities, and their per-call cost (``bench/kill9.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.faults.faulty_fakes import FakesSaw, make_plan, serve_plan, start_fakes, stop_fakes, what_fakes_saw
from tests.faults.load_harness import ClientSide, LoadReport, check, logged_rows, run_load


def plan_args(args: argparse.Namespace) -> tuple[int, float, int, int]:
    return args.calls, args.failure_rate, args.seed, 2 * args.concurrency


def in_child_process(args: argparse.Namespace, db_path: Path) -> tuple[ClientSide, FakesSaw]:
    # fork: the child starts with the fakes already imported (their SDK types take seconds).
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    ctx: Any = multiprocessing.get_context(method)
    ready, stop, results = ctx.Queue(), ctx.Event(), ctx.Queue()
    server = ctx.Process(target=serve_plan, args=(plan_args(args), ready, stop, results), daemon=True)
    server.start()
    try:
        urls = ready.get(timeout=120)
        plan = make_plan(*plan_args(args))
        client = asyncio.run(run_load(db_path, urls, plan, args.concurrency))
        stop.set()
        saw = results.get(timeout=300)
    finally:
        stop.set()
        server.join(timeout=30)
        if server.is_alive():
            server.kill()
    return client, saw


def in_threads(args: argparse.Namespace, db_path: Path) -> tuple[ClientSide, FakesSaw]:
    fakes = start_fakes()
    try:
        plan = make_plan(*plan_args(args))
        for fake in fakes.values():
            fake.install(plan)
        client = asyncio.run(run_load(db_path, {n: f.base_url for n, f in fakes.items()}, plan, args.concurrency))
        return client, what_fakes_saw(fakes)
    finally:
        stop_fakes(fakes)


def main() -> int:
    if "--kill9" in sys.argv:
        from bench import kill9

        sys.argv.remove("--kill9")
        return kill9.main()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=100, help="tasks making calls at once")
    parser.add_argument("--failure-rate", type=float, default=0.1, help="share of calls that meet faults")
    parser.add_argument("--seed", type=int, default=8, help="seed of the fault plan")
    parser.add_argument("--fakes", choices=("process", "threads"), default="process", help="where the fakes run")
    args = parser.parse_args()
    print(
        f"{args.calls:,} calls, {args.concurrency} at a time, {args.failure_rate:.0%} meeting faults "
        f"(seed {args.seed}), fakes in a {'child process' if args.fakes == 'process' else 'threads of this process'}"
    )
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "load.db"
        run = in_child_process if args.fakes == "process" else in_threads
        client, saw = run(args, db_path)
        report = LoadReport(make_plan(*plan_args(args)), client, logged_rows(db_path), saw)
        for line in report.figures():
            print(f"  {line}")
        problems = check(report)
    print(f"  (whole run, with start-up and checks: {time.perf_counter() - started:.1f} s)")
    if problems:
        print(f"NOT met: nothing lost, nothing leaked ({len(problems)} problems)")
        for line in problems[:30]:
            print(f"  {line}")
        return 1
    print("met: every call ended with a response or a typed error; rows == attempts; costs add up exactly")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
