"""A fresh clone has no ``../shared/specs``: the tests that need a spec skip and say how to provide
it; under ``CI=1`` (which guarantees the specs) the same absence fails the run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.contracts.spec_files import REPO_ROOT

SPEC_TESTS = "tests/contracts/test_openai_ollama_contracts.py"


def run_without_specs(tmp_path: Path, *, ci: bool) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PYTEST_ADDOPTS")}
    env["LLMRING_SPECS_DIR"] = str(tmp_path / "no-specs-here")
    if ci:
        env["CI"] = "1"
    command = [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", SPEC_TESTS]
    return subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_missing_specs_skip_with_a_reason_that_says_how_to_provide_them(tmp_path: Path) -> None:
    r = run_without_specs(tmp_path, ci=False)
    assert r.returncode == 0, r.stdout[-3000:]
    assert "skipped" in r.stdout and "failed" not in r.stdout
    assert "put the OpenAPI specs (openai-openapi.json, ollama-openapi.yaml) in ../shared/specs" in r.stdout
    assert "LLMRING_SPECS_DIR" in r.stdout


def test_missing_specs_fail_under_ci(tmp_path: Path) -> None:
    r = run_without_specs(tmp_path, ci=True)
    assert r.returncode != 0
    assert "CI=1 but needs the provider spec" in r.stdout + r.stderr
