"""Two public price maps, read into llmring's registry terms.

* LiteLLM's ``model_prices_and_context_window`` JSON (a dict of model key -> spec, prices per
  token): ``convert_litellm``.
* pydantic's genai-prices data (``prices/new_data/v2/data.json``: a list of providers, each with
  models that carry a match clause and prices per million tokens, possibly dated):
  ``convert_genai_prices``.

Both take parsed JSON and return a ``Conversion``: one ``MapModel`` per model with the registry
fields that map states (prices as ``Decimal``), and one line per value it had to skip. They never
raise on a strange entry and never touch the network; ``read_litellm`` / ``read_genai_prices``
load a map from a file (JSON, or the wheel that ships it). ``tools/registry_sync.py`` joins the
two maps with the curation file to rebuild ``registry_json/``; ``llmring registry update`` reuses
the same converters.
"""

from __future__ import annotations

from llmring.price_maps.common import Conversion, MapModel, is_chat_model, json_number, prices_at
from llmring.price_maps.files import read_genai_prices, read_litellm
from llmring.price_maps.genai_prices import convert_genai_prices, matches
from llmring.price_maps.litellm import convert_litellm

__all__ = [
    "Conversion",
    "MapModel",
    "convert_genai_prices",
    "convert_litellm",
    "is_chat_model",
    "json_number",
    "matches",
    "prices_at",
    "read_genai_prices",
    "read_litellm",
]
