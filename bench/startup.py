"""Start-up cost: how long ``import llmring``, ``llmring --help`` and ``llmring models list`` take.

Each command runs in a fresh subprocess; the commands alternate round by round (their order
rotates), so drift on a busy machine hits all of them alike, and the median of each is reported
with its ratio to ``python -c "import httpx"`` (a well-known, import-light library as yardstick).
``models list`` runs against a temp SQLite file initialised beforehand.

Run: ``.venv/bin/python bench/startup.py [--runs 15]``.
Targets: ``import llmring`` <= 1.6x and ``llmring --help`` <= 2.4x ``import httpx``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PYTHON = sys.executable
LLMRING = str(Path(PYTHON).with_name("llmring"))
TARGETS = {"import llmring": 1.6, "llmring --help": 2.4}


def commands() -> dict[str, list[str]]:
    return {
        "python -c pass": [PYTHON, "-c", "pass"],
        "import httpx": [PYTHON, "-c", "import httpx"],
        "import llmring": [PYTHON, "-c", "import llmring"],
        "llmring --help": [LLMRING, "--help"],
        "llmring models list": [LLMRING, "models", "list"],
    }


def time_once(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="rounds of every command (default 15)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "XDG_DATA_HOME": tmp, "LLMRING_SQLITE_DB": str(Path(tmp) / "bench.db")}
        env.pop("DATABASE_URL", None)
        subprocess.run([LLMRING, "init-db"], env=env, check=True, stdout=subprocess.DEVNULL)
        cmds = commands()
        names = list(cmds)
        for name in names:  # warm the OS file cache and the .pyc files
            time_once(cmds[name], env)
        samples: dict[str, list[float]] = {name: [] for name in names}
        for round_no in range(args.runs):
            shift = round_no % len(names)
            for name in names[shift:] + names[:shift]:
                samples[name].append(time_once(cmds[name], env))

    base = statistics.median(samples["import httpx"])
    print(f"{'command':<22} {'median':>9} {'min':>9} {'x httpx':>8}  target")
    for name in names:
        median = statistics.median(samples[name])
        ratio = median / base
        target = TARGETS.get(name)
        verdict = "" if target is None else f"<= {target}x  {'ok' if ratio <= target else 'OVER'}"
        print(f"{name:<22} {median * 1000:>7.1f}ms {min(samples[name]) * 1000:>7.1f}ms {ratio:>7.2f}x  {verdict}")
    print(f"({args.runs} alternating runs each, Python {sys.version.split()[0]})")


if __name__ == "__main__":
    main()
