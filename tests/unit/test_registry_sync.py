"""tools/registry_sync.py: joining the two maps, deciding where they differ, the report, the files.

Run on small maps in the real shapes (the real wheels are not needed); the tool itself does not
ship in the wheel.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from llmring.price_maps import convert_genai_prices, convert_litellm
from llmring.registry import load_registry, read_file

TOOLS = Path(__file__).resolve().parents[2] / "tools"
if not (TOOLS / "registry_sync.py").is_file():  # an sdist ships the tests but not the tools
    pytest.skip("tools/registry_sync.py is not in this tree", allow_module_level=True)
sys.path.insert(0, str(TOOLS))

import registry_build  # noqa: E402
import registry_sync  # noqa: E402

LITELLM: dict[str, Any] = {
    "gpt-new": {
        "litellm_provider": "openai", "mode": "chat",
        "input_cost_per_token": 4e-06, "output_cost_per_token": 2e-05, "cache_read_input_token_cost": 4e-07,
        "cache_creation_input_token_cost": 5e-06, "cache_creation_input_token_cost_above_12hr": 1e-05,
        "max_input_tokens": 922000, "max_output_tokens": 128000, "supports_reasoning": True,
    },
    "gpt-new-alias": {
        "litellm_provider": "openai", "mode": "chat",
        "input_cost_per_token": 4e-06, "output_cost_per_token": 2e-05, "cache_read_input_token_cost": 4e-07,
        "cache_creation_input_token_cost": 5e-06, "cache_creation_input_token_cost_above_12hr": 1e-05,
        "max_input_tokens": 922000, "max_output_tokens": 128000, "supports_reasoning": True,
    },
    "gpt-new-2026-05-01": {
        "litellm_provider": "openai", "mode": "chat",
        "input_cost_per_token": 4e-06, "output_cost_per_token": 2e-05, "cache_read_input_token_cost": 4e-07,
        "cache_creation_input_token_cost": 5e-06, "cache_creation_input_token_cost_above_12hr": 1e-05,
        "max_input_tokens": 922000, "max_output_tokens": 128000, "supports_reasoning": True,
    },
    "gpt-old": {
        "litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05,
        "max_input_tokens": 128000, "max_output_tokens": 16384,
        "deprecation_date": "2026-10-23", "successor_model": "gpt-new-alias",
    },
    "gpt-stale": {
        "litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 2e-06, "output_cost_per_token": 1e-05,
        "max_input_tokens": 1048576,
    },
    "gpt-only-here": {"litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 1e-06},
    "gpt-excluded": {"litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 1e-06},
    "ollama/gpt-oss:20b-cloud": {
        "litellm_provider": "ollama", "mode": "chat", "input_cost_per_token": 0.0, "output_cost_per_token": 0.0,
    },
}  # fmt: skip

GENAI: list[Any] = [
    {
        "id": "openai",
        "models": [
            {
                "id": "gpt-new",
                "name": "GPT New",
                "description": "The new one.",
                "match": {"or": [{"equals": "gpt-new"}, {"equals": "gpt-new-alias"}, {"regex": "^gpt-new-\\d{4}"}]},
                "context_window": 1050000,
                "prices": [
                    {"prices": {"input_mtok": 5, "cache_read_mtok": 0.5, "cache_write_mtok": 6.25, "output_mtok": 30}},
                    {"constraint": {"start_date": "2026-08-21"},
                     "prices": {"input_mtok": 4, "cache_read_mtok": 0.4, "cache_write_mtok": 5, "output_mtok": 20}},
                ],
            },
            {"id": "gpt-old", "match": {"equals": "gpt-old"}, "context_window": 128000,
             "prices": {"input_mtok": 2.5, "output_mtok": 10}},
            {"id": "gpt-stale", "match": {"equals": "gpt-stale"}, "context_window": 1000000,
             "prices": [{"prices": {"input_mtok": 2, "output_mtok": 10}},
                        {"constraint": {"start_date": "2026-12-01"}, "prices": {"input_mtok": 4, "output_mtok": 20}}]},
            {"id": "gpt-kept", "match": {"starts_with": "gpt-kept"}, "context_window": 8000,
             "prices": {"input_mtok": 30, "output_mtok": 60}},
            {"id": "gpt-genai-only", "match": {"equals": "gpt-genai-only"}, "prices": {"input_mtok": 1}},
            {"id": "gpt-excluded", "match": {"equals": "gpt-excluded"}, "prices": {"input_mtok": 1}},
        ],
    }
]  # fmt: skip

CURATION = """
[[exclude]]
provider = "openai"
match = "gpt-excluded"
reason = "not a chat model"

[[rules]]
provider = "openai"
match = "*"
set = { supports_json_mode = true }
reason = "all of them"

[models."openai:gpt-kept"]
set = { inactive_from = "2025-01-01", successor = "gpt-new" }
reason = "LiteLLM dropped it; retired on 2025-01-01."

[models."openai:gpt-new"]
description = "Curated words."

[models."openai:gpt-stale".decide]
prices = { take = "genai-prices", reason = "the introductory price ended on 2026-11-30" }

[[ollama]]
model_name = "llama9"
display_name = "Llama 9"
description = "Runs locally: free."
max_context = 131072

[[ollama]]
model_name = "gpt-oss:20b-cloud"
display_name = "gpt-oss (Ollama Cloud)"
description = "Hosted."
note = "billed by subscription"
"""

KEPT = {
    "model_name": "gpt-kept",
    "display_name": "GPT Kept",
    "description": "An old model.",
    "max_context": 8192,
    "dollars_per_million_tokens_input": 30,
    "dollars_per_million_tokens_output": 60,
    "source": "https://example.com/pricing",
    "as_of": "2026-11-25",
    "active": True,
}


@pytest.fixture
def workspace(tmp_path: Path) -> dict[str, Path]:
    """Both maps, the curation and a registry directory holding one v1 file."""
    paths = {
        "litellm": tmp_path / "prices.json",
        "genai": tmp_path / "data.json",
        "curation": tmp_path / "curation.toml",
        "registry": tmp_path / "registry_json",
    }
    paths["litellm"].write_text(json.dumps(LITELLM))
    paths["genai"].write_text(json.dumps(GENAI))
    paths["curation"].write_text(CURATION)
    paths["registry"].mkdir()
    (paths["registry"] / "openai.json").write_text(json.dumps({"provider": "openai", "models": [KEPT]}))
    return paths


def run(paths: dict[str, Path], *extra: str) -> int:
    args = ["--litellm", str(paths["litellm"]), "--genai-prices", str(paths["genai"])]
    args += ["--curation", str(paths["curation"]), "--registry", str(paths["registry"]), "--checked-on", "2026-12-04"]
    return registry_sync.main([*args, *extra])


def texts(directory: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(directory.glob("*.json"))}


def test_the_rebuild_writes_a_valid_registry_and_says_what_changed(
    workspace: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(workspace) == 0
    out = capsys.readouterr().out
    openai = {
        m.model_name: m
        for m in load_registry(workspace["registry"], include_retired=True, price_history=True)["openai"]
    }
    assert sorted(openai) == ["gpt-kept", "gpt-new", "gpt-old", "gpt-stale"]
    new = openai["gpt-new"]
    assert new.aliases == ["gpt-new-2026-05-01", "gpt-new-alias"]
    assert (new.display_name, new.description, new.supports_json_mode) == ("GPT New", "Curated words.", True)
    assert new.max_context == 1_050_000  # 922k input + 128k output
    assert new.price_periods and new.price_periods[0]["from"] == "2026-08-21"
    # LiteLLM's 12-hour write rate (2.5x input) carried back through genai-prices' earlier price.
    assert str(new.dollars_per_million_tokens_cache_write_12h) == "12.5"
    assert str(new.price_periods[0]["dollars_per_million_tokens_cache_write_12h"]) == "10"
    assert openai["gpt-old"].successor == "gpt-new"  # named by its alias in LiteLLM
    stale = openai["gpt-stale"]
    assert stale.note and "the introductory price ended on 2026-11-30" in stale.note
    assert str(stale.priced_at(__import__("datetime").datetime(2026, 12, 4)).dollars_per_million_tokens_input) == "4"
    kept = openai["gpt-kept"]
    assert (kept.max_context, kept.successor, kept.note) == (
        8192,
        "gpt-new",
        "LiteLLM dropped it; retired on 2025-01-01.",
    )
    ollama = {m.model_name: m for m in load_registry(workspace["registry"])["ollama"]}
    assert ollama["gpt-oss:20b-cloud"].dollars_per_million_tokens_input is None
    assert str(ollama["llama9"].dollars_per_million_tokens_input) == "0"
    for line in (
        "openai gpt-stale: input: litellm 2, genai-prices 4 -> 4 (the introductory price ended on 2026-11-30)",
        "openai gpt-new: max_context: litellm 922000 input tokens, genai-prices 1050000 -> 1050000",
        "openai gpt-kept: max_context: registry 8192, genai-prices 8000 -> kept the registry's",
        "openai gpt-new: cache_write_12h 10: litellm only",
        "openai gpt-only-here: only litellm prices it; left out",
        "openai gpt-genai-only: only genai-prices prices it; left out",
        "ollama gpt-oss:20b-cloud: litellm prices it at 0; left unpriced (billed by subscription)",
        "openai: +3 ~0 -1 (4 entries)",
        "  + gpt-new",
        '  - gpt-kept (retired): supports_json_mode false -> true; inactive_from - -> "2025-01-01"; successor - -> ',
    ):
        assert line in out, line
    assert "gpt-excluded" not in out.split("== Changes")[1]
    assert read_file(workspace["registry"] / "openai.json").version == 1


def test_the_rebuild_is_deterministic_and_bumps_versions_only_on_change(
    workspace: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(workspace) == 0
    first = texts(workspace["registry"])
    assert run(workspace) == 0
    assert texts(workspace["registry"]) == first  # byte for byte
    assert "openai: +0 ~0 -0" in capsys.readouterr().out
    workspace["curation"].write_text(CURATION.replace('"Curated words."', '"Better words."'))
    assert run(workspace, "--checked-on", "2026-12-09") == 0
    after = texts(workspace["registry"])
    assert after["ollama.json"] != first["ollama.json"]  # as_of moved with the checked-on day
    openai = read_file(workspace["registry"] / "openai.json")
    assert (openai.version, openai.updated) == (2, "2026-12-09")
    assert '~ gpt-new: description "Curated words." -> "Better words."' in capsys.readouterr().out


def test_an_undecided_disagreement_writes_nothing(
    workspace: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    workspace["curation"].write_text(CURATION.replace('[models."openai:gpt-stale".decide]', "[unused]"))
    before = texts(workspace["registry"])
    assert run(workspace) == 1
    captured = capsys.readouterr()
    assert "openai gpt-stale: input: litellm 2, genai-prices 4; add a decision to the curation" in captured.out
    assert "undecided; nothing written" in captured.err
    assert texts(workspace["registry"]) == before


def test_a_dry_run_reports_and_writes_nothing(workspace: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    before = texts(workspace["registry"])
    assert run(workspace, "--dry-run") == 0
    assert "dry run; nothing written" in capsys.readouterr().out
    assert texts(workspace["registry"]) == before


def test_a_missing_successor_or_a_clashing_alias_is_undecided() -> None:
    litellm = convert_litellm(
        {
            "gpt-a": {
                "litellm_provider": "openai",
                "mode": "chat",
                "input_cost_per_token": 1e-06,
                "deprecation_date": "2026-01-01",
                "successor_model": "gpt-nowhere",
            },
            "gpt-b": {
                "litellm_provider": "openai",
                "mode": "chat",
                "input_cost_per_token": 1e-06,
                "deprecation_date": "2026-01-01",
            },
        }
    )
    genai = convert_genai_prices(
        [
            {
                "id": "openai",
                "models": [
                    {"id": "gpt-a", "match": {"equals": "gpt-a"}, "prices": {"input_mtok": 1}},
                    {"id": "gpt-b", "match": {"equals": "gpt-b"}, "prices": {"input_mtok": 1}},
                ],
            }
        ]
    )
    curation = {"models": {"openai:gpt-a": {"add_aliases": ["shared"]}, "openai:gpt-b": {"add_aliases": ["shared"]}}}
    result = registry_build.build(litellm, genai, curation, {}, "2026-12-04")
    undecided = [str(f) for f in result.undecided]
    assert "openai gpt-a: successor 'gpt-nowhere' is not in the registry; set one" in undecided
    assert "openai gpt-b: retired without a successor" in undecided
    assert "openai gpt-b: alias shared also belongs to gpt-a; drop it from one" in undecided


def test_an_unreadable_map_stops_the_run_with_one_line(
    workspace: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    workspace["litellm"].write_text("{broken")
    assert run(workspace) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("registry_sync: ") and "not valid JSON" in line
