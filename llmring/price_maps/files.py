"""Reading the two price maps from disk: their JSON files, or the wheels that ship them.

LiteLLM's wheel carries the map as ``litellm/model_prices_and_context_window_backup.json``.
genai-prices' wheel carries its data as Python (``genai_prices/data.py``, a literal tree of
``Provider(...)``, ``ModelInfo(...)``, ``Decimal('...')`` calls); it is read with ``ast`` into the
shape of its public ``data.json`` without importing or running it. A file that cannot be read
raises ``RegistryError`` with one line that names it.
"""

from __future__ import annotations

import ast
import json
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from llmring.errors import RegistryError

_LITELLM_MEMBERS = ("model_prices_and_context_window_backup.json", "model_prices_and_context_window.json")
_GENAI_MEMBER = "genai_prices/data.py"


def read_litellm(path: Path) -> Any:
    """LiteLLM's map from its JSON file or from a ``litellm`` wheel (parsed, not yet checked)."""
    if path.suffix == ".whl":
        text = _wheel_member(path, lambda name: name.endswith(_LITELLM_MEMBERS) and name.count("/") == 1)
    else:
        text = _read(path)
    return _json(path, text)


def read_genai_prices(path: Path) -> Any:
    """genai-prices' data in its ``data.json`` shape, from that JSON, a ``data.py`` or the wheel."""
    if path.suffix == ".whl":
        return data_module_to_json(_wheel_member(path, lambda name: name == _GENAI_MEMBER), str(path))
    text = _read(path)
    return data_module_to_json(text, str(path)) if path.suffix == ".py" else _json(path, text)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RegistryError(f"{path}: cannot read the price map ({exc})", file=str(path)) from exc


def _json(path: Path, text: str) -> Any:
    try:
        return json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise RegistryError(f"{path}: the price map is not valid JSON ({exc})", file=str(path)) from exc


def _wheel_member(path: Path, wanted: Any) -> str:
    try:
        with zipfile.ZipFile(path) as wheel:
            names = [name for name in wheel.namelist() if wanted(name)]
            if not names:
                raise RegistryError(f"{path}: no price map inside this wheel", file=str(path))
            return wheel.read(names[0]).decode("utf-8")
    except (OSError, zipfile.BadZipFile, UnicodeDecodeError) as exc:
        raise RegistryError(f"{path}: cannot read the wheel ({exc})", file=str(path)) from exc


def data_module_to_json(source: str, where: str = "data.py") -> Any:
    """genai-prices' ``data.py`` source as its JSON data (``providers = [...]``), without running it."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise RegistryError(f"{where}: not Python ({exc.msg}, line {exc.lineno})", file=where) from exc
    for node in tree.body:
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and node.target.id == "providers"
            and node.value is not None
        ):
            try:
                return _literal(node.value)
            except ValueError as exc:
                raise RegistryError(f"{where}: {exc}", file=where) from exc
    raise RegistryError(f"{where}: no 'providers = [...]' list found", file=where)


def _literal(node: ast.expr) -> Any:
    """A constructor call becomes a dict of its keyword arguments (``or_=`` -> ``"or"``)."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.List | ast.Tuple):
        return [_literal(item) for item in node.elts]
    if isinstance(node, ast.Dict):
        return {_literal(k): _literal(v) for k, v in zip(node.keys, node.values, strict=True) if k is not None}
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_literal(node.operand)
    if isinstance(node, ast.Call):
        name = ast.unparse(node.func)
        args = [_literal(arg) for arg in node.args]
        if name == "Decimal" and len(args) == 1:
            return Decimal(str(args[0]))
        if name in ("datetime.date", "date") and len(args) == 3:
            year, month, day = args
            return f"{year:04d}-{month:02d}-{day:02d}"
        if name in ("datetime.time", "time") and 1 <= len(args) <= 3:
            return ":".join(f"{part:02d}" for part in (*args, 0, 0)[:3])
        if args:
            raise ValueError(f"line {node.lineno}: unexpected positional arguments to {name}()")
        return {(kw.arg or "").removesuffix("_"): _literal(kw.value) for kw in node.keywords}
    raise ValueError(f"line {getattr(node, 'lineno', '?')}: cannot read {type(node).__name__}")
