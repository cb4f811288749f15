"""Issue 14: every reasoning setting on every model family in the bundled registry.

A family is the models of one provider that take reasoning the same way (registry fields
``reasoning_control``, ``reasoning_levels``, the budget bounds and ``responses_only``); one model
stands for each. Every level, a token budget inside the bounds, one outside them, and 0 is sent to
that provider's fake, and the body must carry exactly the wire fields written out below (the
provider's documented mapping, not llmring's code), or, for a setting the model does not accept,
nothing is sent at all. The fake's teardown check validates each body against the provider's
contract (OpenAPI spec or official SDK types).
"""

from __future__ import annotations

from typing import Any

import pytest

from llmring.errors import UnsupportedFeatureError
from llmring.registry import bundled_index
from llmring.schemas import LLMModel, LLMRequest, Message
from tests.fakes import anthropic_fake, google_fake, ollama_fake, openai_fake

LEVELS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")
# What a named level becomes on a model that takes only a token budget (Claude before adaptive
# thinking, Gemini 2.5), before it is kept within the model's bounds.
NAMED_BUDGETS = {"minimal": 512, "low": 1024, "medium": 8192, "high": 24576, "xhigh": 32768}
# Every field a reasoning setting may touch, per provider: any not expected must be absent.
REASONING_FIELDS = {
    "openai": ("reasoning_effort", "reasoning"),
    "anthropic": ("thinking", "output_config"),
    "google": ("thinkingConfig",),
    "ollama": ("think",),
}


def families() -> list[LLMModel]:
    """One active model per way of taking reasoning (the first by name)."""
    chosen: dict[tuple[Any, ...], LLMModel] = {}
    for model in sorted(bundled_index().values(), key=lambda m: m.key):
        if not model.is_active or model.reasoning_control is None:
            continue
        family = (
            model.provider,
            model.reasoning_control,
            tuple(model.reasoning_levels),
            model.reasoning_budget_min,
            model.reasoning_budget_max,
            model.responses_only,
        )
        chosen.setdefault(family, model)
    return list(chosen.values())


def budget_fields(model: LLMModel, budget: int) -> dict[str, Any]:
    if model.provider == "anthropic":
        return {"thinking": {"type": "enabled", "budget_tokens": budget}}
    return {"thinkingConfig": {"thinkingBudget": budget}}


def expected(model: LLMModel, setting: str | int) -> dict[str, Any] | None:
    """The reasoning wire fields ``setting`` must produce on ``model``; None when it is refused."""
    levels, control = model.reasoning_levels, model.reasoning_control
    low, high = model.reasoning_budget_min, model.reasoning_budget_max
    if isinstance(setting, int):
        if setting == 0 and "none" in levels:
            setting = "none"
        elif low is not None and high is not None and low <= setting <= high:
            return budget_fields(model, setting)
        else:
            return None
    if setting not in levels:
        return None
    if control == "effort":  # OpenAI
        return {"reasoning": {"effort": setting}} if model.responses_only else {"reasoning_effort": setting}
    if control == "adaptive":  # Claude 4.6 and later
        if setting == "none":
            return {"thinking": {"type": "disabled"}}
        return {"thinking": {"type": "adaptive"}, "output_config": {"effort": setting}}
    if control == "budget":  # Claude before 4.6 (none: no thinking field), Gemini 2.5 (none: budget 0)
        if setting == "none":
            return {} if model.provider == "anthropic" else budget_fields(model, 0)
        assert low is not None and high is not None
        wanted = high if setting == "max" else NAMED_BUDGETS[setting]
        return budget_fields(model, min(max(wanted, low), high))
    if control == "level":  # Gemini 3
        return {"thinkingConfig": {"thinkingLevel": setting}}
    assert control == "think"  # Ollama: false for none, named levels by name, else true
    if setting == "none":
        return {"think": False}
    return {"think": setting if set(levels) - {"none", "high"} else True}


def reasoning_part(provider: str, body: dict[str, Any]) -> dict[str, Any]:
    where = body.get("generationConfig", {}) if provider == "google" else body
    return {k: where[k] for k in REASONING_FIELDS[provider] if k in where}


@pytest.fixture
def fakes(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> dict[str, tuple[Any, Any]]:
    """The provider of the test's model (talking to its fake) and the fake, which serves the model
    for this test (the fakes know a few models; the catalogue has more)."""
    model: LLMModel = request.node.callspec.params["model"]
    name = model.model_name
    if model.provider == "openai":
        monkeypatch.setitem(openai_fake.MODELS, name, openai_fake.MODELS.get(name, name))
        # The fake refuses reasoning_effort from models outside its reasoning prefixes.
        monkeypatch.setattr(openai_fake, "REASONING_PREFIXES", (*openai_fake.REASONING_PREFIXES, name))
    elif model.provider == "anthropic":
        monkeypatch.setitem(anthropic_fake.MODELS, name, anthropic_fake.MODELS.get(name, name))
    elif model.provider == "google":
        monkeypatch.setattr(google_fake, "MODELS", google_fake.MODELS | {name})
    else:
        monkeypatch.setattr(ollama_fake, "MODELS", (*ollama_fake.MODELS, name))
    provider, fake = {
        "openai": ("openai_provider", "openai_fake"),
        "anthropic": ("anthropic_provider", "anthropic_fake_server"),
        "google": ("google_provider", "google_fake_server"),
        "ollama": ("ollama_provider", "ollama_fake"),
    }[model.provider]
    return {model.provider: (request.getfixturevalue(provider), request.getfixturevalue(fake))}


def test_every_control_and_provider_has_a_family() -> None:
    kinds = {(m.provider, m.reasoning_control, m.responses_only) for m in families()}
    assert {
        ("openai", "effort", False),
        ("openai", "effort", True),
        ("anthropic", "adaptive", False),
        ("anthropic", "budget", False),
        ("google", "level", False),
        ("google", "budget", False),
        ("ollama", "think", False),
    } <= kinds


@pytest.mark.parametrize("model", families(), ids=lambda m: m.key)
async def test_each_setting_sends_exactly_its_fields_or_nothing(
    model: LLMModel, fakes: dict[str, tuple[Any, Any]]
) -> None:
    provider, fake = fakes[model.provider]
    bounds = (model.reasoning_budget_min, model.reasoning_budget_max)
    budgets = [0, 2048, (bounds[1] or 0) + 1]
    for setting in (*LEVELS, *budgets):
        want = expected(model, setting)
        request = LLMRequest(
            model=model.model_name,
            messages=[Message(role="user", content="Hello there")],
            reasoning=setting,
            max_tokens=256,
        )
        sent_before = len(fake.requests)
        if want is None:
            with pytest.raises(UnsupportedFeatureError) as caught:
                await provider.chat(request)
            message = str(caught.value)
            assert "\n" not in message and model.model_name in message
            for level in model.reasoning_levels:  # it names what the model accepts
                assert level in message
            assert len(fake.requests) == sent_before, f"{setting!r} was sent to {model.key}"
            continue
        response = await provider.chat(request)
        assert len(fake.requests) == sent_before + 1
        body = fake.requests[-1].json
        assert reasoning_part(model.provider, body) == want, (model.key, setting)
        if "budget_tokens" in str(want):  # Claude's budget must stay below max_tokens
            assert body["max_tokens"] > want["thinking"]["budget_tokens"]
        assert response.content is not None
