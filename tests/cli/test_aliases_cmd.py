"""``llmring aliases list/set/rm``, ``models default`` and ``ask -m ALIAS`` / ``--retries``."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from llmring.config import load_config, user_config_file
from tests.cli.conftest import Invoke
from tests.fakes.openai_fake import OpenAIFake, rate_limit_reply, server_error_reply
from tests.service.conftest import rows


def test_set_list_and_remove_an_alias_in_the_user_file(invoke: Invoke) -> None:
    r = invoke("aliases", "set", "fast", "gpt-4o-mini", "anthropic:claude-haiku-4-5-20251001")
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines() == [
        "fast = openai:gpt-4o-mini, anthropic:claude-haiku-4-5-20251001",
        f"Saved in {user_config_file()}",
    ]
    assert load_config(environ={}).aliases == {"fast": ("openai:gpt-4o-mini", "anthropic:claude-haiku-4-5-20251001")}
    r = invoke("aliases", "list", "--json")
    assert r.exit_code == 0, r.output
    listed = json.loads(r.stdout)
    assert [(row["hop"], row["model"], row["context"]) for row in listed] == [
        (1, "openai:gpt-4o-mini", 128_000),
        (2, "anthropic:claude-haiku-4-5-20251001", 200_000),
    ]
    assert listed[0]["input_per_million"] == "0.15" and listed[0]["source"] == str(user_config_file())
    plain = invoke("aliases", "list").stdout.splitlines()
    assert plain[0].split() == ["Alias", "Hop", "Model", "Context", "Input", "$/M", "Output", "$/M", "From"]
    assert plain[1].split()[:6] == ["fast", "1", "openai:gpt-4o-mini", "128,000", "$0.15", "$0.60"]
    r = invoke("aliases", "rm", "fast")
    assert r.exit_code == 0 and r.stdout == f"Removed fast from {user_config_file()}\n"
    r = invoke("aliases", "rm", "fast")
    assert r.exit_code == 2 and r.stderr.startswith("Error: no alias 'fast' in ")
    assert invoke("aliases", "list").stderr.startswith("No aliases: add one with `llmring aliases set")


def test_set_refuses_unknown_models_and_bad_names_and_writes_nothing(invoke: Invoke, tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    r = invoke("--config", str(config), "aliases", "set", "fast", "gpt-4o-mini", "no-such-model-xyz")
    assert r.exit_code == 2 and r.stderr.startswith("Error: unknown model 'no-such-model-xyz'")
    r = invoke("--config", str(config), "aliases", "set", "openai", "gpt-4o-mini")
    assert r.exit_code == 2 and "aliases.openai: expected an alias name" in r.stderr
    assert not config.exists()


def test_models_default_shows_and_sets(invoke: Invoke, tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('# mine\n[aliases]\nfast = ["openai:gpt-4o-mini"]\n')
    r = invoke("--config", str(config), "models", "default")
    assert r.exit_code == 0 and "No default model" in r.stderr
    r = invoke("--config", str(config), "models", "default", "fast")
    assert r.exit_code == 0, r.output
    assert config.read_text().startswith('# mine\ndefault_model = "fast"\n')
    r = invoke("--config", str(config), "models", "default")
    assert r.stdout == f"fast  ({config} (--config))\n"
    r = invoke("--config", str(config), "models", "default", "nonsense-model")
    assert r.exit_code == 2 and "unknown model 'nonsense-model'" in r.stderr


def test_ask_through_an_alias_falls_over_and_logs_each_hop(
    invoke: Invoke, tmp_path: Path, openai_fake: OpenAIFake
) -> None:
    config = tmp_path / "c.toml"
    config.write_text(f'database = "{tmp_path / "x.db"}"\n[aliases]\nfast = ["gpt-4o-mini", "gpt-4o"]\n')
    openai_fake.enqueue(rate_limit_reply(retry_after="120"))
    r = invoke("--config", str(config), "ask", "-m", "fast", "hi")
    assert r.exit_code == 0, r.output
    assert r.stdout == "Echo: hi\n"
    logged = [(row["alias"], row["hop"], row["model_name"], row["status"]) for row in rows(tmp_path / "x.db")]
    assert logged == [("fast", 1, "gpt-4o-mini", "rate_limited"), ("fast", 2, "gpt-4o", "success")]
    listing = invoke("--config", str(config), "calls").stdout.splitlines()
    assert "openai:gpt-4o (fast #2)" in listing[1] and "success" in listing[1]
    assert "openai:gpt-4o-mini (fast #1)" in listing[2]


def test_ask_retries_flag_beats_the_config(invoke: Invoke, tmp_path: Path, openai_fake: OpenAIFake) -> None:
    config = tmp_path / "c.toml"
    config.write_text("retries = 0\n")
    openai_fake.enqueue(server_error_reply(), server_error_reply())
    r = invoke("--config", str(config), "ask", "--no-log", "--retries", "1", "-m", "gpt-4o-mini", "hi")
    assert len(openai_fake.requests) == 2  # one retry, then the second 500
    assert r.exit_code == 1


def test_stats_by_alias_counts_each_call_once_and_every_hop_it_paid_for(
    invoke: Invoke, tmp_path: Path, openai_fake: OpenAIFake
) -> None:
    config = tmp_path / "c.toml"
    config.write_text(f'database = "{tmp_path / "x.db"}"\n[aliases]\nfast = ["gpt-4o-mini", "gpt-4o"]\n')
    openai_fake.enqueue(rate_limit_reply(retry_after="120"))
    assert invoke("--config", str(config), "ask", "-m", "fast", "hi").exit_code == 0
    assert invoke("--config", str(config), "ask", "-m", "fast", "again").exit_code == 0
    assert invoke("--config", str(config), "ask", "-m", "gpt-4o-mini", "plain").exit_code == 0
    logged = rows(tmp_path / "x.db")
    r = invoke("--config", str(config), "stats", "--by", "alias", "--json")
    assert r.exit_code == 0, r.output
    breakdown = {row["key"]: row for row in json.loads(r.stdout)["breakdown"]}
    assert set(breakdown) == {"fast", "(no alias)"}
    assert breakdown["fast"]["calls"] == 2 and breakdown["(no alias)"]["calls"] == 1
    assert breakdown["fast"]["errors"] == 0  # the rate-limited hop was not the call's outcome
    pico = sum(row["estimated_cost_pico"] or 0 for row in logged if row["alias"] == "fast")
    fast_cost = Decimal(pico) / Decimal(10**12)
    assert Decimal(breakdown["fast"]["cost"]) == fast_cost > 0
    table = invoke("--config", str(config), "stats", "--by", "alias", "--format", "plain").stdout
    assert "By alias" in table and "(no alias)" in table
    assert [line.split()[:2] for line in table.splitlines() if line.startswith("fast ")] == [["fast", "2"]]
