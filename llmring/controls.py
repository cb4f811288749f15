"""How one request's controls reach its model, decided from the registry before anything is sent.

Issue 14. ``plan(request, provider, model)`` reads the model's registry entry (``llmring.registry_file``
documents the fields) and returns a ``Plan`` that the provider turns into wire fields:

* **Reasoning.** ``request.reasoning`` is a level (``none``, ``minimal``, ``low``, ``medium``,
  ``high``, ``xhigh``, ``max``) or an integer token budget. A level the model does not list in
  ``reasoning_levels``, or a budget outside ``reasoning_budget_min``..``max``, is refused here in
  one line naming what the model accepts. ``Plan.effort`` is the level name to send
  (``reasoning_control`` "effort", "adaptive", "level", "think" with named levels) and
  ``Plan.budget`` the token budget ("budget" models, and integer settings on "adaptive" ones);
  ``Plan.thinking_off`` is level ``none`` where reasoning can be turned off. A named level on a
  "budget" model becomes the budget in ``LEVEL_BUDGETS``, kept within the model's bounds.
* **Parameters the model refuses.** ``supports_temperature: false`` drops ``temperature`` and
  ``top_p`` with a one-line warning (they would be a 400), and so does thinking on a Claude model
  (it takes neither while thinking). ``attach`` removes them from the request the provider is
  sent, so the call row shows what was sent. A model the registry does not know keeps every
  parameter: nothing is known to be refused.

Providers read the plan with ``plan_for``: the one the service attached (from its registry, the
store's or the bundled one), else one made from the bundled registry, so a provider used on its
own maps the same way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from llmring.errors import UnsupportedFeatureError

if TYPE_CHECKING:
    from llmring.schemas import LLMModel, LLMRequest

logger = logging.getLogger("llmring")

REASONING_LEVELS: tuple[str, ...] = ("none", "minimal", "low", "medium", "high", "xhigh", "max")
# A named level on a model that takes only a token budget (Anthropic before adaptive thinking,
# Gemini 2.5): these budgets, clamped to the model's bounds. Anthropic's minimum is 1024 and its
# guide starts "low" there; Gemini 2.5's default dynamic budget tops out near 8k for medium prompts.
LEVEL_BUDGETS: dict[str, int] = {"minimal": 512, "low": 1024, "medium": 8192, "high": 24576, "xhigh": 32768}


@dataclass(frozen=True, slots=True)
class Plan:
    """What to send for one request to one model (see the module docstring)."""

    provider: str
    model: str
    known: bool = False
    control: str | None = None
    effort: str | None = None
    budget: int | None = None
    thinking_off: bool = False
    drop_sampling: bool = False
    drop_top_p: bool = False
    responses_only: bool = False
    max_output_tokens: int | None = None
    levels: tuple[str, ...] = ()
    structured_output: bool = False
    prompt_cache_min_tokens: int | None = None
    # OpenAI models that bill cache writes (gpt-5.6, gpt-6) take prompt_cache_options.
    cache_write_billed: bool = False

    @property
    def thinking_on(self) -> bool:
        """True when the request turns thinking on (an effort other than none, or a budget)."""
        return not self.thinking_off and (self.effort is not None or self.budget is not None)

    def ollama_think(self) -> bool | str | None:
        """Ollama's ``think``: false for none, the level's name on models with named levels, else
        true (their one "on" level); None when the request sets no reasoning."""
        if self.thinking_off:
            return False
        if self.effort is None:
            return None
        return self.effort if set(self.levels) - {"none", "high"} else True


def reasoning_accepted(model: LLMModel) -> str:
    """The reasoning settings ``model`` takes, as text ("low, high, or a token budget 1024-32000");
    empty when it takes none. Errors, ``models info`` and the dashboard say it the same way."""
    accepted = ", ".join(model.reasoning_levels)
    if model.reasoning_budget_min is not None:
        accepted += (
            f"{', or ' if accepted else ''}a token budget {model.reasoning_budget_min}-{model.reasoning_budget_max}"
        )
    return accepted


def structured_output(model: LLMModel) -> str:
    """How ``model`` answers a JSON schema: "native", "through a tool" (Claude without native
    JSON output answers a forced tool) or "no" (a schema is refused before anything is sent)."""
    if model.supports_structured_output:
        return "native"
    return "through a tool" if model.provider == "anthropic" else "no"


def _refuse(model: LLMModel, what: str) -> UnsupportedFeatureError:
    accepted = reasoning_accepted(model)
    if not accepted:
        return UnsupportedFeatureError(
            f"{model.key} takes no reasoning setting (asked for {what}): leave reasoning unset",
            provider=model.provider,
        )
    return UnsupportedFeatureError(
        f"{model.key} does not accept reasoning {what}: it accepts {accepted}", provider=model.provider
    )


def _reasoning(model: LLMModel, setting: str | int) -> dict[str, object]:
    """The plan's reasoning fields for ``setting`` on ``model`` (raises if the model refuses it)."""
    control = model.reasoning_control
    if isinstance(setting, int):
        low, high = model.reasoning_budget_min, model.reasoning_budget_max
        if setting == 0 and "none" in model.reasoning_levels:
            return _reasoning(model, "none")
        if low is None or high is None or not low <= setting <= high:
            raise _refuse(model, f"budget {setting}")
        return {"budget": setting}
    if setting not in model.reasoning_levels or control is None:
        raise _refuse(model, repr(setting))
    if setting == "none":
        # OpenAI takes "none" as an effort; the others turn thinking off (Gemini 2.5: budget 0).
        off: dict[str, object] = {"thinking_off": True}
        if control == "effort":
            off["effort"] = "none"
        elif control == "budget":
            off["budget"] = 0
        return off
    if control == "budget":
        low, high = model.reasoning_budget_min or 1, model.reasoning_budget_max or 1
        wanted = high if setting == "max" else LEVEL_BUDGETS.get(setting, high)
        return {"budget": min(max(wanted, low), high)}
    return {"effort": setting}


def plan(request: LLMRequest, provider: str, model_name: str, model: LLMModel | None, *, warn: bool = True) -> Plan:
    """The ``Plan`` for ``request`` to the provider's ``model_name`` (registry entry ``model``, None
    when unknown).

    Raises ``UnsupportedFeatureError`` for a reasoning setting the model does not take; with
    ``warn``, logs one line when sampling parameters will be dropped.
    """
    setting = request.reasoning
    both = provider == "anthropic" and request.temperature is not None and request.top_p is not None
    if model is None:
        if setting is not None:
            raise UnsupportedFeatureError(
                f"{provider}:{model_name} is not in the model registry, so llmring does not know how it takes"
                " reasoning: leave reasoning unset",
                provider=provider,
            )
        if both and warn:
            _warn_top_p(f"{provider}:{model_name}")
        return Plan(provider, model_name, drop_top_p=both)
    fields = _reasoning(model, setting) if setting is not None else {}
    sampling = request.temperature is not None or request.top_p is not None
    # Claude with thinking on rejects any temperature but 1 and a top_p below 0.95.
    thinking = provider == "anthropic" and (fields.get("effort") is not None or bool(fields.get("budget")))
    drop = sampling and (not model.supports_temperature or thinking)
    if drop and warn:
        why = " while thinking" if model.supports_temperature else ""
        logger.warning("llmring: %s takes no temperature or top_p%s: not sent", model.key, why)
    elif both and warn:
        _warn_top_p(model.key)
    return Plan(
        provider,
        model_name,
        known=True,
        control=model.reasoning_control,
        drop_sampling=drop,
        drop_top_p=both and not drop,
        responses_only=model.responses_only,
        max_output_tokens=model.max_output_tokens,
        levels=tuple(model.reasoning_levels),
        structured_output=model.supports_structured_output,
        prompt_cache_min_tokens=model.prompt_cache_min_tokens,
        cache_write_billed=model.dollars_per_million_tokens_cache_write is not None,
        **fields,  # type: ignore[arg-type]
    )


def _warn_top_p(key: str) -> None:
    logger.warning("llmring: %s takes temperature or top_p, not both: top_p not sent", key)


def bundled_entry(provider: str, model_name: str) -> LLMModel | None:
    """The bundled registry's entry for a name or alias, retired models included: a retired model
    may still be served, and what it takes does not change when it retires (an Ollama tag falls
    back to its base name)."""
    from llmring.registry import bundled_index

    model = bundled_index().get((provider, model_name))
    if model is None and provider == "ollama" and ":" in model_name:
        model = bundled_index().get((provider, model_name.partition(":")[0]))
    return model


def plan_for(request: LLMRequest, provider: str) -> Plan:
    """The plan the service attached to ``request``, else one from the bundled registry."""
    # Read the private attribute from pydantic's dict: ``request._plan`` costs about 6 us a read, and
    # a provider asks for the plan several times per call.
    private = request.__pydantic_private__
    attached: Plan | None = private.get("_plan") if private else None
    if attached is not None and attached.provider == provider and attached.model == request.model:
        return attached
    model = bundled_entry(provider, request.model)
    # Only the service removes dropped parameters (``attach``): a provider used on its own sends
    # what it is given, so it does not warn about dropping them.
    return plan(request, provider, request.model, model, warn=False)


def attach(request: LLMRequest, planned: Plan) -> LLMRequest:
    """A copy of ``request`` carrying ``planned`` (the caller's request is left as it was)."""
    update: dict[str, Any] = {}
    if planned.model != request.model:
        update["model"] = planned.model
    if planned.drop_sampling:
        update["temperature"] = update["top_p"] = None
    elif planned.drop_top_p:
        update["top_p"] = None
    copy = request.model_copy(update=update)
    private = copy.__pydantic_private__
    if private is None:  # pragma: no cover - LLMRequest always has a private dict
        copy._plan = planned
    else:
        private["_plan"] = planned  # as in plan_for: the attribute path costs about 6 us
    return copy
