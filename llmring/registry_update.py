"""What ``llmring registry update`` loads: llmring's own registry files from a directory, a file
or a URL, or one of the two public price maps laid over the models a database already has.

Everything is read and validated before a store is touched; the result is a list of models (with
their dated prices and retired entries) that ``Store.sync_models`` applies in one transaction.
Nothing here runs at import time or on ``--help``; a download happens only when asked for, over
HTTP(S), and a failed or malformed download raises ``RegistryError`` with one line.

* llmring's format: a directory of ``<provider>.json`` files, one such file, or a URL of one (a
  URL ending in ``/`` is a directory: each provider's file is fetched, a 404 skips it). Models a
  provider's file no longer lists are retired, as ``json-refresh`` does; each provider records
  the file's ``version`` and ``updated``.
* ``litellm`` / ``genai-prices`` (``litellm=PATH|URL`` to read another copy): the map's prices,
  dated prices, token limits and retirement dates are laid over the database's OpenAI, Anthropic
  and Google entries with ``price_maps.merge.updated_entry`` (curated names, notes and capability
  flags stay), and chat models the map prices that the database lacks are added whole (unless
  the map says they are shut down). Nothing is retired, and each provider keeps its version.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmring.errors import RegistryError
from llmring.registry import (
    PRICE_FIELDS,
    RegistryEntry,
    RegistryVersion,
    alias_index,
    load_registry,
    read_file,
    validate_file,
)
from llmring.schemas import PROVIDERS, LLMModel

if TYPE_CHECKING:
    from llmring.price_maps import Conversion, MapModel
MAPS = ("litellm", "genai-prices")
# The maps' public raw files; an environment variable (for mirrors and tests) or litellm=LOCATION wins.
MAP_URLS = {
    "litellm": "https://raw.githubusercontent.com/BerriAI/litellm/main/model_prices_and_context_window.json",
    "genai-prices": "https://raw.githubusercontent.com/pydantic/genai-prices/main/prices/data.json",
}
MAP_URL_ENV = {"litellm": "LLMRING_LITELLM_URL", "genai-prices": "LLMRING_GENAI_PRICES_URL"}
# A map updates what it is the source for on entries the database has: prices (dated ones too)
# and retirement. Names, aliases, token limits (genai-prices rounds them) and capability flags
# stay as curated; a dated period the map lists keeps the curated prices it does not state
# (neither map has OpenAI's 12-hour cache writes). Ollama is never taken
# from a map (local models are free, and its -cloud tags are priced by curation, not assumed free).
MAP_PROVIDERS = ("openai", "anthropic", "google")
MAP_FIELDS = frozenset({*PRICE_FIELDS, "long_context_threshold_tokens", "price_periods", "inactive_from", "successor"})
MAX_DOWNLOAD = 64 * 1024 * 1024
TIMEOUT_SECONDS = 60.0


@dataclass
class Update:
    """A validated update: the models to sync, the providers whose unlisted models retire, and
    the versions to record. ``label`` names the source in messages and in the version rows;
    ``skipped`` holds one line per map entry that could not become a valid registry entry."""

    label: str
    models: list[LLMModel]
    retire_in: list[str]
    versions: list[RegistryVersion]
    skipped: list[str] = field(default_factory=list)


def is_url(text: str) -> bool:
    """Whether ``text`` is an http(s) URL (anything else is a path)."""
    return text.startswith(("http://", "https://"))


def load_update(given: str, current: Sequence[LLMModel], *, today: str | None = None) -> Update:
    """Read and validate ``given`` (a path, URL, ``litellm``, ``genai-prices`` or ``MAP=LOCATION``);
    ``current`` is what the database holds (the maps are laid over it)."""
    name, _, location = given.partition("=")
    if name in MAPS:
        where = location or os.environ.get(MAP_URL_ENV[name], "").strip() or MAP_URLS[name]
        return _from_map(name, where, current, today or date.today().isoformat())
    if is_url(given):
        return _from_url(given)
    return _from_path(Path(given).expanduser())


# -- llmring's own format ------------------------------------------------------------------------
def _from_path(path: Path) -> Update:
    if path.is_dir():
        registry = load_registry(path, include_retired=True, price_history=True)
        parsed = {p: read_file(path / f"{p}.json") for p in registry}
    elif path.is_file():
        one = read_file(path)
        parsed = {one.provider: one}
    else:
        raise RegistryError(f"{path}: no such file or directory", file=str(path))
    label = str(path)
    models = [entry.to_model(p) for p, file in parsed.items() for entry in file.models]
    versions = [
        RegistryVersion(provider=p, version=f.version, updated=f.updated, source=label) for p, f in parsed.items()
    ]
    return Update(label, models, list(parsed), versions)


def _from_url(url: str) -> Update:
    files = []
    if url.endswith("/"):
        for provider in PROVIDERS:
            text = download(url + f"{provider}.json", missing_ok=True)
            if text is not None:
                files.append(validate_file(_json(text, url + f"{provider}.json"), url + f"{provider}.json"))
        if not files:
            raise RegistryError(f"{url}: no <provider>.json files found there", file=url)
    else:
        stem = url.rsplit("/", 1)[-1].split("?", 1)[0].removesuffix(".json")
        files.append(validate_file(_json(download(url) or "", url), url, expected=stem if stem in PROVIDERS else None))
    models = [entry.to_model(f.provider) for f in files for entry in f.models]
    versions = [RegistryVersion(provider=f.provider, version=f.version, updated=f.updated, source=url) for f in files]
    return Update(url, models, [f.provider for f in files], versions)


def _json(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise RegistryError(f"{where}: not valid JSON ({exc}); nothing was changed", file=where) from exc


def download(url: str, *, missing_ok: bool = False) -> str | None:
    """The text at ``url`` (None for a 404 when ``missing_ok``); raises ``RegistryError`` with one
    line for any failure: connection, status, a body cut short or over ``MAX_DOWNLOAD``."""
    import httpx

    try:
        with (
            httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=True) as client,
            client.stream("GET", url, headers={"Accept": "application/json"}) as response,
        ):
            if response.status_code == 404 and missing_ok:
                return None
            if response.status_code != 200:
                raise RegistryError(f"{url}: download failed: HTTP {response.status_code}", file=url)
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_DOWNLOAD:
                    raise RegistryError(f"{url}: download failed: larger than {MAX_DOWNLOAD:,} bytes", file=url)
    except httpx.HTTPError as exc:
        raise RegistryError(f"{url}: download failed: {type(exc).__name__}: {exc}", file=url) from exc
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RegistryError(f"{url}: download failed: not UTF-8 text", file=url) from exc


# -- the public price maps -----------------------------------------------------------------------
def _read_map(name: str, where: str) -> Conversion:
    from decimal import Decimal

    from llmring.price_maps import convert_genai_prices, convert_litellm, read_genai_prices, read_litellm

    if is_url(where):
        try:
            data = json.loads(download(where) or "", parse_float=Decimal)
        except json.JSONDecodeError as exc:
            raise RegistryError(f"{where}: the {name} map is not valid JSON ({exc}); nothing was changed") from exc
    else:
        data = (read_litellm if name == "litellm" else read_genai_prices)(Path(where).expanduser())
    try:
        return convert_litellm(data) if name == "litellm" else convert_genai_prices(data)
    except Exception as exc:  # the converters skip odd entries; a wholly wrong shape lands here
        raise RegistryError(f"{where}: not the {name} map ({type(exc).__name__}: {exc}); nothing was changed") from exc


def _from_map(name: str, where: str, current: Sequence[LLMModel], today: str) -> Update:
    from llmring.price_maps.merge import updated_entry

    conversion = _read_map(name, where)
    if not conversion.models:
        raise RegistryError(f"{where}: the {name} map lists no OpenAI, Anthropic or Google chat model")
    index = alias_index(current)
    entries: dict[tuple[str, str], dict[str, Any]] = {}  # (provider, entry name) -> merged entry
    for found in conversion.models:
        if found.provider not in MAP_PROVIDERS:
            continue
        existing = _existing(index, found)
        if existing is None and found.deprecated:
            continue  # a model the map says is shut down is not worth adding now
        if existing is not None:
            found = replace(found, fields={k: v for k, v in found.fields.items() if k in MAP_FIELDS})
        key = (found.provider, existing.model_name if existing is not None else found.model_name)
        base = entries.get(key) or (entry_of(existing) if existing is not None else None)
        merged = updated_entry(base, found, as_of=today, source=where)
        if base is not None:
            merged["aliases"] = base.get("aliases", [])
            merged["price_periods"] = _periods(base.get("price_periods", []), merged.get("price_periods", []))
        entries[key] = merged
    claimed = {(m.provider, n) for m in current for n in (m.model_name, *m.aliases)}
    by_key = {m.key: m for m in current}
    models: list[LLMModel] = []
    skipped: list[str] = []
    for (provider, entry_name), entry in sorted(entries.items()):
        # An alias the map gives that already names another entry stays with that entry.
        entry["aliases"] = [
            a
            for a in entry.get("aliases", [])
            if (provider, a) not in claimed or index[(provider, a)].model_name == entry_name
        ]
        try:
            model = RegistryEntry.model_validate(entry).to_model(provider)
        except ValueError as exc:
            skipped.append(f"{provider}:{entry_name}: {str(exc).splitlines()[0]}")
            continue
        before = by_key.get(model.key)
        if before is not None and set(field_changes(before, model)) <= {"as_of"}:
            model = model.model_copy(update={"as_of": before.as_of})  # the map only confirmed it
        models.append(model)
    return Update(name, models, [], [], skipped)


def _periods(curated: list[dict[str, Any]], mapped: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The map's dated periods laid over the curated ones of the same start (a curated price the
    map does not state stays), with curated periods the map does not list kept."""
    by_start = {p["from"]: dict(p) for p in curated}
    for period in mapped:
        by_start[period["from"]] = {**by_start.get(period["from"], {}), **period}
    return [by_start[start] for start in sorted(by_start)]


def _existing(index: dict[tuple[str, str], LLMModel], found: MapModel) -> LLMModel | None:
    for name in found.names():
        model = index.get((found.provider, name))
        if model is not None:
            return model
    return None


def entry_of(model: LLMModel) -> dict[str, Any]:
    """A stored model as a registry entry (the fields a map overlay starts from)."""
    from llmring.price_maps.merge import entry_json

    fields = {
        name: getattr(model, name)
        for name in RegistryEntry.model_fields
        if name not in ("inactive_from", "price_periods") and hasattr(model, name)
    }
    if model.inactive_from is not None:
        fields["inactive_from"] = model.inactive_from.date().isoformat()
    fields["price_periods"] = [dict(p) for p in model.price_periods]
    return entry_json({k: v for k, v in fields.items() if v is not None or k.startswith("dollars_per_million")})


def field_changes(old: LLMModel | None, new: LLMModel | None) -> dict[str, list[Any]]:
    """``field -> [old, new]`` for each field a sync writes that differs (prices as numbers)."""
    from llmring._store.values import MODEL_DATA_FIELDS

    if old is None or new is None:
        return {}
    return {
        name: [_shown(getattr(old, name)), _shown(getattr(new, name))]
        for name in MODEL_DATA_FIELDS
        if getattr(old, name) != getattr(new, name)
    }


def _shown(value: Any) -> Any:
    """A field value as JSON shows it: Decimals as plain numbers, instants as days."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    if isinstance(value, list):
        return [_shown(v) for v in value]
    if isinstance(value, dict):
        return {k: _shown(v) for k, v in value.items()}
    return value
