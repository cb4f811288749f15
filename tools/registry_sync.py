#!/usr/bin/env python3
"""Rebuild ``registry_json/`` from LiteLLM's and genai-prices' price maps plus the curation file.

Run on demand, never in CI::

    .venv/bin/python tools/registry_sync.py --litellm PATH --genai-prices PATH [--dry-run]

Each map is read from PATH (a wheel, LiteLLM's JSON, genai-prices' ``data.json`` or ``data.py``),
else from the package installed in this interpreter, else from the newest wheel in ``--wheels``
(``--download`` fetches both wheels there with pip first). The curation
(``tools/registry_curation.toml``) says what the maps cannot: exclusions, decisions where the maps
disagree (each with a reason), capabilities from the providers' documentation, retirement dates
of models the maps dropped, names and descriptions, and the Ollama list.

The report lists every disagreement between the maps and how it was decided, models only one map
prices, and every change against the current files (+new ~changed -retired, with each changed
field old -> new). A disagreement the curation does not decide stops the run before anything is
written (exit 1). Output is deterministic: the same inputs give byte-identical files. A file whose
content changes gets ``version`` + 1 and ``updated`` = the checked-on day.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import subprocess
import sys
import tempfile
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import platformdirs

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from registry_build import PROVIDERS, Build, build  # noqa: E402

from llmring.errors import RegistryError  # noqa: E402
from llmring.price_maps import convert_genai_prices, convert_litellm, read_genai_prices, read_litellm  # noqa: E402
from llmring.price_maps.merge import entry_json  # noqa: E402
from llmring.registry import RegistryFile, load_registry  # noqa: E402

CURATION = Path(__file__).resolve().parent / "registry_curation.toml"
WHEELS = Path(platformdirs.user_cache_dir("llmring")) / "price-maps"
_WHEEL = {"litellm": "litellm-*.whl", "genai-prices": "genai_prices-*.whl"}
_INSTALLED = {
    "litellm": ("litellm", "model_prices_and_context_window_backup.json"),
    "genai-prices": ("genai_prices", "data.py"),
}


def locate(which: str, given: Path | None, wheels: Path) -> tuple[Path, str]:
    """The file to read for map ``which`` and a label naming its version."""
    if given is not None:
        return given, _version_label(which, given)
    module, member = _INSTALLED[which]
    spec = importlib.util.find_spec(module)
    if spec is not None and spec.origin is not None:
        from importlib.metadata import version

        return Path(spec.origin).parent / member, f"{which} {version(module.replace('_', '-'))} (installed)"
    found = sorted(wheels.glob(_WHEEL[which]), key=lambda p: _numeric_version(p.name))
    if not found:
        raise SystemExit(f"registry_sync: no {which} map: pass --{which} PATH, install it, or use --download")
    return found[-1], _version_label(which, found[-1])


def _numeric_version(name: str) -> tuple[int, ...]:
    match = re.search(r"-(\d+(?:\.\d+)*)-", name)
    return tuple(int(x) for x in match[1].split(".")) if match else ()


def _version_label(which: str, path: Path) -> str:
    match = re.search(r"-(\d+(?:\.\d+)+)-", path.name)
    return f"{which} {match[1]} ({path})" if match else f"{which} ({path})"


def download(wheels: Path) -> None:
    """Fetch the newest wheels of both maps into ``wheels`` with pip (PyPI or its mirror)."""
    wheels.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:", "-d", str(wheels)]
    subprocess.run([*command, "litellm", "genai-prices"], check=True)


def read_current(registry: Path) -> dict[str, dict[str, Any]]:
    """The current files as raw JSON (format v1 files too: no version, an ``active`` flag)."""
    current: dict[str, dict[str, Any]] = {}
    for provider in PROVIDERS:
        path = registry / f"{provider}.json"
        if path.is_file():
            raw = json.loads(path.read_text(encoding="utf-8"))
            for entry in raw.get("models", []):
                entry.pop("active", None)
            current[provider] = raw
    return current


def render(provider: str, models: list[dict[str, Any]], old: dict[str, Any] | None, day: str) -> str:
    """The file text: version bumped and ``updated`` set only when the models changed."""
    version, updated = (old or {}).get("version", 0), (old or {}).get("updated", day)
    if old is None or old.get("models") != models:
        version, updated = version + 1, day
    body = {"provider": provider, "version": version, "updated": updated, "models": models}
    RegistryFile.model_validate(body)  # the schema; registry.read_file re-checks names after writing
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"


def _changes(old: list[dict[str, Any]], new: list[dict[str, Any]], day: str) -> list[str]:
    """``+name``, ``~name: field old -> new; ...`` and ``-name`` lines, ``as_of`` aside."""
    before = {e["model_name"]: entry_json(e) for e in old}  # defaults written out: only real changes show
    after = {e["model_name"]: e for e in new}
    lines = []
    for name, entry in after.items():
        prior = before.get(name)
        if prior is None:
            lines.append(f"  + {name}")
            continue
        diffs = [
            f"{key} {_short(prior.get(key))} -> {_short(entry.get(key))}"
            for key in dict.fromkeys([*prior, *entry])
            if key != "as_of" and prior.get(key) != entry.get(key)
        ]
        retired = entry.get("inactive_from") and entry["inactive_from"] <= day and not prior.get("inactive_from")
        if diffs:
            lines.append(f"  {'-' if retired else '~'} {name}{' (retired)' if retired else ''}: {'; '.join(diffs)}")
    for name in before.keys() - after.keys():
        alias_of = next((e["model_name"] for e in new if name in e.get("aliases", [])), None)
        lines.append(f"  - {name}: " + (f"now an alias of {alias_of}" if alias_of else "removed"))
    return lines


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if value is not None else "-"
    return text if len(text) <= 90 else text[:87] + "..."


def report(result: Build, labels: list[str], current: dict[str, dict[str, Any]], day: str, problems: list[str]) -> None:
    """Print the report (see the module docstring) to stdout."""
    print(f"registry_sync: {'; '.join(labels)}; checked on {day}")
    for title, findings in (
        ("Disagreements between the sources, and how each was decided", result.disagreements),
        ("Prices only one map states (taken)", result.one_sided),
        ("Models only one map prices (left out)", result.one_map_only),
        ("Entries kept from the current registry", result.notes),
        ("UNDECIDED: add a decision to the curation file", result.undecided),
    ):
        print(f"\n== {title} ({len(findings)})")
        for finding in findings:
            print(f"  {finding}")
    print(f"\n== Values the maps' converters skipped ({len(problems)})")
    for line in problems:
        print(f"  {line}")
    print("\n== Changes against the current files")
    for provider in PROVIDERS:
        old = current.get(provider, {}).get("models", [])
        new = result.entries[provider]
        lines = _changes(old, new, day)
        plus = sum(line.startswith("  +") for line in lines)
        minus = sum(line.startswith("  -") for line in lines)
        print(f"{provider}: +{plus} ~{len(lines) - plus - minus} -{minus} ({len(new)} entries)")
        for line in lines:
            print(line)


def main(argv: list[str] | None = None) -> int:
    """Run the rebuild; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--litellm", type=Path, help="litellm wheel or model_prices JSON")
    parser.add_argument("--genai-prices", type=Path, help="genai-prices wheel, data.json or data.py")
    parser.add_argument("--wheels", type=Path, default=WHEELS, help=f"where to look for wheels (default {WHEELS})")
    parser.add_argument("--download", action="store_true", help="pip-download the newest wheels into --wheels")
    parser.add_argument("--curation", type=Path, default=CURATION)
    parser.add_argument("--registry", type=Path, default=ROOT / "registry_json")
    parser.add_argument("--checked-on", default=date.today().isoformat(), help="the as_of day (YYYY-MM-DD)")
    parser.add_argument("--dry-run", action="store_true", help="report only; write nothing")
    args = parser.parse_args(argv)
    if args.download:
        download(args.wheels)
    try:
        (ll_path, ll_label), (gp_path, gp_label) = (
            locate("litellm", args.litellm, args.wheels),
            locate("genai-prices", args.genai_prices, args.wheels),
        )
        litellm, genai = convert_litellm(read_litellm(ll_path)), convert_genai_prices(read_genai_prices(gp_path))
    except RegistryError as exc:
        print(f"registry_sync: {exc}", file=sys.stderr)
        return 2
    curation = tomllib.loads(args.curation.read_text(encoding="utf-8"))
    current = read_current(args.registry)
    entries = {p: raw.get("models", []) for p, raw in current.items()}
    result = build(litellm, genai, curation, entries, args.checked_on)
    report(result, [ll_label, gp_label], current, args.checked_on, [*litellm.problems, *genai.problems])
    if result.undecided:
        print(f"\nregistry_sync: {len(result.undecided)} undecided; nothing written", file=sys.stderr)
        return 1
    texts = {p: render(p, result.entries[p], current.get(p), args.checked_on) for p in PROVIDERS}
    if args.dry_run:
        print("\nregistry_sync: dry run; nothing written")
        return 0
    with tempfile.TemporaryDirectory() as staging:
        for provider, text in texts.items():
            (Path(staging) / f"{provider}.json").write_text(text, encoding="utf-8")
        try:  # every rule between entries (names, aliases, successors) before a file is replaced
            load_registry(Path(staging), include_retired=True)
        except RegistryError as exc:
            print(f"registry_sync: the rebuilt registry is not valid, nothing written: {exc}", file=sys.stderr)
            return 1
    for provider, text in texts.items():
        path = args.registry / f"{provider}.json"
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    print(f"\nregistry_sync: wrote {args.registry}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
