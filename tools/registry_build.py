"""The rebuild's decisions: join LiteLLM and genai-prices, decide where they disagree, apply the
curation and produce each provider's registry entries (``build``). ``registry_sync.py`` runs it.

How a model gets into ``registry_json/<provider>.json`` (OpenAI, Anthropic, Google):

1. A LiteLLM chat key that genai-prices also prices (its match clause accepts the name or one of
   the aliases), unless the curation excludes it. Keys genai-prices files under one model that
   LiteLLM prices, sizes and retires alike become one entry with aliases (``registry_join``).
2. Every entry already in the registry stays, with its audited figures, even when the maps have
   dropped it; the curation gives retired ones their dates and successors.

Field by field: a price both maps state must agree on the checked-on day, or the curation must
say which to take and why (the reason goes into the entry's ``note``); a price one map states is
taken and listed; genai-prices' dated prices become ``price_periods``; context windows follow
``_decide_context``; capabilities and retirement dates come from LiteLLM, then the curation's
``[[rules]]`` and ``[models."provider:name"]``. Ollama entries are the curation's ``[[ollama]]``
list (neither map tracks Ollama's library).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from registry_join import Unit, first_match, globbed, join, natural_key

from llmring.price_maps import MapModel, is_chat_model, prices_at
from llmring.price_maps.common import PERIOD_FIELDS, Conversion, decimal_price
from llmring.price_maps.merge import entry_json, updated_entry

PROVIDERS = ("openai", "anthropic", "google", "ollama")
SOURCES = {
    "openai": "https://developers.openai.com/api/docs/pricing",
    "anthropic": "https://platform.claude.com/docs/en/about-claude/pricing",
    "google": "https://ai.google.dev/gemini-api/docs/pricing",
}
# Cache rates are multiples of the input rate: carried through genai-prices' periods by ratio.
_INPUT_MULTIPLES = (
    "dollars_per_million_tokens_cached_input",
    "dollars_per_million_tokens_cache_write",
    "dollars_per_million_tokens_cache_write_5m",
    "dollars_per_million_tokens_cache_write_1h",
    "dollars_per_million_tokens_cache_write_12h",
)


@dataclass
class Finding:
    """One line of the report."""

    provider: str
    model: str
    text: str

    def __str__(self) -> str:
        return f"{self.provider} {self.model}: {self.text}"


@dataclass
class Build:
    """What ``build`` produced: entries per provider and everything the report must show."""

    entries: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    disagreements: list[Finding] = field(default_factory=list)
    undecided: list[Finding] = field(default_factory=list)
    one_sided: list[Finding] = field(default_factory=list)
    one_map_only: list[Finding] = field(default_factory=list)
    notes: list[Finding] = field(default_factory=list)


def _fmt(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    return "-" if value is None else str(value)


def _short(field_name: str) -> str:
    return field_name.removeprefix("dollars_per_million_tokens_")


class Builder:
    """Builds one registry from two converted maps, the curation and the current entries."""

    def __init__(
        self,
        litellm: Conversion,
        genai: Conversion,
        curation: dict[str, Any],
        current: dict[str, list[dict[str, Any]]],
        day: str,
    ) -> None:
        self.litellm, self.genai, self.curation, self.current, self.day = litellm, genai, curation, current, day
        self.out = Build()

    # -- curation ---------------------------------------------------------------------------------
    def excluded(self, provider: str, name: str) -> str | None:
        """The curation's reason for keeping ``name`` out of the registry, or None."""
        for rule in self.curation.get("exclude", []):
            if rule.get("provider") == provider and globbed(rule["match"], name):
                return str(rule["reason"])
        return None

    def cfg(self, provider: str, name: str) -> dict[str, Any]:
        """The curation's ``[models."provider:name"]`` table."""
        return dict(self.curation.get("models", {}).get(f"{provider}:{name}", {}))

    def decision(self, provider: str, name: str, field_name: str) -> dict[str, Any] | None:
        """The curation's decision for a disagreement on ``field_name`` ("prices" covers every price)."""
        decide = self.cfg(provider, name).get("decide", {})
        return decide.get(field_name) or (decide.get("prices") if field_name in PERIOD_FIELDS else None)

    # -- the build --------------------------------------------------------------------------------
    def run(self) -> Build:
        """Every provider's entries, sorted by name."""
        for provider in PROVIDERS:
            entries = self._ollama() if provider == "ollama" else self._provider(provider)
            self.out.entries[provider] = sorted(entries, key=lambda e: natural_key(e["model_name"]))
        return self.out

    def _provider(self, provider: str) -> list[dict[str, Any]]:
        genai = [m for m in self.genai.for_provider(provider) if not self.excluded(provider, m.model_name)]
        existing = {e["model_name"]: e for e in self.current.get(provider, [])}
        folded = {alias: name for name in existing for alias in self.cfg(provider, name).get("add_aliases", [])}
        units, only_litellm = join(
            self.litellm.for_provider(provider), genai, existing, folded, lambda n: self.excluded(provider, n)
        )
        self.out.one_map_only += [Finding(provider, n, "only litellm prices it; left out") for n in only_litellm]
        joined = {id(u.genai) for u in units}
        for model in genai:
            if id(model) not in joined and not model.deprecated and is_chat_model(model.model_name):
                text = "only genai-prices prices it; left out"
                self.out.one_map_only.append(Finding(provider, model.model_name, text))
        entries = [self._entry(provider, unit, existing) for unit in units]
        self._unique_aliases(provider, entries)
        self._resolve_successors(provider, entries)
        return entries

    def _entry(self, provider: str, unit: Unit, existing: dict[str, dict[str, Any]]) -> dict[str, Any]:
        name = unit.name or ""
        cfg = self.cfg(provider, name)
        base = dict(existing.get(name, {}))
        reasons: list[str] = []
        if unit.litellm:
            decided = self._decide(provider, name, unit, reasons)
            entry = updated_entry(base or None, decided, as_of=self.day, source=SOURCES[provider])
        else:
            self._check_kept(provider, name, base, unit.genai, cfg.get("set", {}))
            entry = entry_json({**base, "as_of": self.day})
        for rule in self.curation.get("rules", []):
            if rule.get("provider") == provider and globbed(rule["match"], name):
                entry.update(rule.get("set", {}))
        entry.update(cfg.get("set", {}))
        for cleared in cfg.get("unset", []):
            entry.pop(cleared, None)
        entry.update({k: cfg[k] for k in ("display_name", "description") if k in cfg})
        aliases = {*entry.get("aliases", []), *cfg.get("add_aliases", [])} - set(cfg.get("drop_aliases", []))
        entry["aliases"] = sorted(aliases - {name}, key=natural_key)
        if cfg.get("set") and cfg.get("reason"):
            reasons.append(str(cfg["reason"]))
        entry["note"] = " ".join(filter(None, [cfg.get("note"), *reasons])) or None
        return entry_json(entry)

    # -- deciding between the maps ----------------------------------------------------------------
    def _decide(self, provider: str, name: str, unit: Unit, reasons: list[str]) -> MapModel:
        """One ``MapModel`` holding what was decided for a unit (its LiteLLM facts, genai-prices'
        history and texts, and the curation's decisions)."""
        ll, gp = unit.litellm[0], unit.genai
        fields: dict[str, Any] = {k: v for k, v in ll.fields.items() if k not in PERIOD_FIELDS}
        aliases = unit.names() - {name}
        gp_now = prices_at(gp.fields, self.day) if gp else {}
        chosen: dict[str, Any] = {}
        decided: dict[str, list[tuple[str, Any, Any, Any]]] = {}
        for field_name in PERIOD_FIELDS:
            ll_value, gp_value = ll.fields.get(field_name), gp_now.get(field_name)
            if ll_value is None or gp_value is None or ll_value == gp_value:
                value = gp_value if ll_value is None else ll_value
                if value is not None:
                    chosen[field_name] = value
                if ll_value != gp_value:
                    who = "litellm" if gp_value is None else "genai-prices"
                    text = f"{_short(field_name)} {_fmt(value)}: {who} only"
                    self.out.one_sided.append(Finding(provider, name, text))
                continue
            rule = self.decision(provider, name, field_name)
            text = f"{_short(field_name)}: litellm {_fmt(ll_value)}, genai-prices {_fmt(gp_value)}"
            if rule is None:
                self.out.undecided.append(Finding(provider, name, f"{text}; add a decision to the curation"))
                chosen[field_name] = ll_value
                continue
            value = {"litellm": ll_value, "genai-prices": gp_value}.get(rule["take"], rule["take"])
            value = decimal_price(value) if field_name.startswith("dollars_") else value
            self.out.disagreements.append(Finding(provider, name, f"{text} -> {_fmt(value)} ({rule['reason']})"))
            decided.setdefault(str(rule["reason"]), []).append((_short(field_name), ll_value, gp_value, value))
            chosen[field_name] = value
        reasons.extend(_decided_note(fields_and_values) for fields_and_values in decided.items())
        fields.update(chosen)
        if gp is not None:
            self._periods(provider, name, gp, chosen, fields)
            dated = re.compile(rf"^{re.escape(name)}-(\d{{4}}-\d{{2}}-\d{{2}}|\d{{8}}|preview-\d{{2}}-\d{{4}}|latest)$")
            aliases.update(alias for alias in gp.aliases if dated.match(alias))
            self._decide_context(provider, name, ll, gp, fields, reasons)
            if gp.model_name in (name, *aliases):  # genai-prices' texts describe its own model only
                fields.update({k: gp.fields[k] for k in ("display_name", "description") if k in gp.fields})
            if gp.deprecated and not ll.fields.get("inactive_from") and not self.cfg(provider, name).get("set"):
                text = "inactive_from: genai-prices marks it shut down, litellm gives no date; set one"
                self.out.undecided.append(Finding(provider, name, text))
        return MapModel(provider, name, ll.source_key, "decided", fields, sorted(aliases, key=natural_key))

    def _periods(self, provider: str, name: str, gp: MapModel, chosen: dict[str, Any], fields: dict[str, Any]) -> None:
        """genai-prices' dated prices, with today's decided prices fitted in."""
        periods = [dict(p) for p in gp.fields.get("price_periods", [])]
        if not periods:
            return
        base = {k: gp.fields[k] for k in PERIOD_FIELDS if k in gp.fields}
        history = [base, *periods]
        gp_now = prices_at(gp.fields, self.day)
        for field_name, value in chosen.items():
            stated = any(field_name in step for step in history)
            if stated and gp_now.get(field_name) == value:
                continue  # genai-prices' history already leads to today's figure
            if not stated and field_name in _INPUT_MULTIPLES and _by_ratio(history, field_name, value, chosen):
                continue
            if any(field_name in p for p in periods):
                text = f"{_short(field_name)} today differs from genai-prices' dated prices; curate price_periods"
                self.out.undecided.append(Finding(provider, name, text))
            base[field_name] = value
        for field_name in PERIOD_FIELDS:  # the top level holds the prices before the first period
            fields.pop(field_name, None)
        fields.update(base)
        fields["price_periods"] = periods

    def _decide_context(
        self, provider: str, name: str, ll: MapModel, gp: MapModel, fields: dict[str, Any], reasons: list[str]
    ) -> None:
        """LiteLLM's max_input_tokens against genai-prices' context_window."""
        ll_in, ll_out = ll.fields.get("max_context"), ll.fields.get("max_output_tokens")
        gp_ctx = gp.fields.get("max_context")
        if ll_in is None or gp_ctx is None or ll_in == gp_ctx:
            fields["max_context"] = gp_ctx if ll_in is None else ll_in
            return
        text = f"max_context: litellm {ll_in} input tokens, genai-prices {gp_ctx}"
        rule = self.decision(provider, name, "max_context")
        if rule is not None:
            value = {"litellm": ll_in, "genai-prices": gp_ctx}.get(rule["take"], rule["take"])
            why = str(rule["reason"])
        elif ll_out is not None and ll_in + ll_out == gp_ctx:
            value, why = gp_ctx, "the window counts the output tokens, litellm gives the input share"
        elif gp_ctx % 1_000_000 == 0 and abs(ll_in - gp_ctx) <= gp_ctx // 10:
            value, why = ll_in, "genai-prices rounds to a million; litellm has the documented figure"
        else:
            self.out.undecided.append(Finding(provider, name, f"{text}; add a decision"))
            fields["max_context"] = ll_in
            return
        self.out.disagreements.append(Finding(provider, name, f"{text} -> {value} ({why})"))
        reasons.append(f"max_context: litellm {ll_in}, genai-prices {gp_ctx}; took {value}: {why}.")
        fields["max_context"] = value

    def _check_kept(
        self, provider: str, name: str, entry: dict[str, Any], gp: MapModel | None, curated: dict[str, Any]
    ) -> None:
        """An entry LiteLLM no longer lists: compare it with genai-prices and keep it."""
        if gp is None:
            self.out.notes.append(Finding(provider, name, "in neither map: kept as curated"))
            return
        text = f"not in litellm: kept; checked against genai-prices {gp.model_name}"
        self.out.notes.append(Finding(provider, name, text))
        gp_now = {**gp.fields, **prices_at(gp.fields, self.day)}
        for field_name in (*PERIOD_FIELDS, "max_context"):
            mine, theirs = entry.get(field_name), gp_now.get(field_name)
            if theirs is None or mine is None or decimal_price(mine) == decimal_price(theirs):
                continue
            text = f"{_short(field_name)}: registry {_fmt(mine)}, genai-prices {_fmt(theirs)} -> "
            if field_name in curated:
                text += f"{curated[field_name]} (curated: see the entry's note)"
            else:
                text += "kept the registry's (checked by the 2026-12-04 audit)"
            self.out.disagreements.append(Finding(provider, name, text))

    # -- across entries ---------------------------------------------------------------------------
    def _unique_aliases(self, provider: str, entries: list[dict[str, Any]]) -> None:
        """An entry's name beats another entry's alias; an alias two entries claim needs curation."""
        names = {e["model_name"] for e in entries}
        claimed: dict[str, str] = {}
        for entry in entries:
            kept = []
            for alias in entry.get("aliases", []):
                if alias in names:
                    self.out.notes.append(Finding(provider, entry["model_name"], f"alias {alias} dropped: an entry"))
                elif alias in claimed:
                    text = f"alias {alias} also belongs to {claimed[alias]}; drop it from one"
                    self.out.undecided.append(Finding(provider, entry["model_name"], text))
                else:
                    claimed[alias] = entry["model_name"]
                    kept.append(alias)
            entry["aliases"] = kept
            if not kept:
                del entry["aliases"]

    def _resolve_successors(self, provider: str, entries: list[dict[str, Any]]) -> None:
        """Successors by their entry's name; a retired entry must have one that exists."""
        owner = {n: e["model_name"] for e in entries for n in (e["model_name"], *e.get("aliases", []))}
        for entry in entries:
            successor = entry.get("successor")
            if successor in owner:
                entry["successor"] = owner[successor]
            elif successor is not None:
                text = f"successor {successor!r} is not in the registry; set one"
                self.out.undecided.append(Finding(provider, entry["model_name"], text))
            elif entry.get("inactive_from", "9999") <= self.day:
                self.out.undecided.append(Finding(provider, entry["model_name"], "retired without a successor"))

    # -- Ollama -----------------------------------------------------------------------------------
    def _ollama(self) -> list[dict[str, Any]]:
        listed = {m.model_name: m for m in self.litellm.for_provider("ollama")}
        entries = []
        for item in self.curation.get("ollama", []):
            name = item["model_name"]
            cloud = name.endswith("-cloud")
            entry = {"source": f"https://ollama.com/library/{name.split(':')[0]}", **item, "as_of": self.day}
            entry.setdefault("dollars_per_million_tokens_input", None if cloud else 0)
            entry.setdefault("dollars_per_million_tokens_output", None if cloud else 0)
            theirs = listed.get(name)
            if cloud and theirs and theirs.fields.get("dollars_per_million_tokens_input") == 0:
                text = f"litellm prices it at 0; left unpriced ({item.get('note', '')})"
                self.out.disagreements.append(Finding("ollama", name, text))
            entries.append(entry_json(entry))
        named = {e["model_name"] for e in entries}
        for entry in self.current.get("ollama", []):
            if entry["model_name"] not in named:
                self.out.notes.append(Finding("ollama", entry["model_name"], "not in the curation's Ollama list: kept"))
                entries.append(entry_json({**entry, "as_of": self.day}))
        return entries


def _decided_note(item: tuple[str, list[tuple[str, Any, Any, Any]]]) -> str:
    """One sentence for the fields decided for one reason: what each map said and what was taken."""
    why, rows = item
    names = ", ".join(short for short, *_ in rows)
    litellm = "/".join(_fmt(ll) for _, ll, _, _ in rows)
    genai = "/".join(_fmt(gp) for _, _, gp, _ in rows)
    taken = "/".join(_fmt(value) for *_, value in rows)
    return f"{names}: litellm {litellm}, genai-prices {genai}; took {taken}: {why}."


def _by_ratio(history: list[dict[str, Any]], field_name: str, value: Any, chosen: dict[str, Any]) -> bool:
    """Carry an input-multiple rate through every dated price at its ratio to today's input rate."""
    today_input = chosen.get("dollars_per_million_tokens_input")
    if not today_input:
        return False
    ratio = value / today_input
    for step in history:
        step_input = step.get("dollars_per_million_tokens_input")
        if step_input is not None:
            step[field_name] = (step_input * ratio).normalize()
    return field_name in history[0]


def build(
    litellm: Conversion,
    genai: Conversion,
    curation: dict[str, Any],
    current: dict[str, list[dict[str, Any]]],
    day: str,
) -> Build:
    """Rebuild every provider's entries (see the module docstring)."""
    return Builder(litellm, genai, curation, current, day).run()


__all__ = ["PROVIDERS", "Build", "Builder", "Finding", "build", "first_match"]
