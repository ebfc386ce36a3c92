"""Instantiation configs as calls: a Hydra/OmegaConf mapping with `_target_: a.b.C` is what
`hydra.utils.instantiate` turns into the call `a.b.C(key=value, ...)`. Read that way, a
config-driven project (callbacks, loggers, models, optimisers, samplers chosen in YAML) shows
its calls to the same rules as Python code does.

    callbacks:
      model_checkpoint:
        _target_: lightning.pytorch.callbacks.ModelCheckpoint
        monitor: val/acc
        save_last: true

is the use `lightning.pytorch.callbacks.ModelCheckpoint(monitor="val/acc", save_last=True)` at
the `_target_` line. `_args_` are its positional arguments; Hydra's own keys (`_partial_`,
`_recursive_`, `_convert_`) are not arguments. Nothing is instantiated or imported: the YAML is
read with the bounded loader of yamlio.py.
"""

from __future__ import annotations

import re
from typing import Any

from ..yamlio import LineDict, YamlError, load_yaml_documents
from .python import Interest, value_kind

TARGET_KEY = "_target_"
HYDRA_KEYS = frozenset({"_target_", "_args_", "_partial_", "_recursive_", "_convert_"})
_DOTTED = re.compile(r"[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)+")
_FLOAT = re.compile(r"[-+]?(\d+\.\d*|\.\d+)([eE][-+]?\d+)?|[-+]?\d+[eE][-+]?\d+")  # YAML 1.1 leaves 1e-3 a string
MAX_USES = 5000  # a generated config with more targets than this is not read further


def _kind(value: Any) -> tuple[str, Any]:
    """(kind, value) of a config value, the kinds Python literals get (engine/python.py); YAML
    leaves floats and interpolations as text."""
    if isinstance(value, str):
        if value.startswith("${"):
            return "expr", None  # an interpolation: its value is elsewhere
        if _FLOAT.fullmatch(value):
            return "float", None
    return value_kind(value)


def _mappings(node: Any, out: list[LineDict]) -> None:
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, LineDict):
            out.append(n)
            stack.extend(reversed(list(n.values())))
        elif isinstance(n, list):
            stack.extend(reversed(n))


def config_uses(text: str, interest: Interest) -> tuple[list[dict[str, Any]], str | None]:
    """The uses (engine/python.py's shape) that the `_target_` mappings of a YAML file stand
    for, and a warning when the file has targets but is not valid YAML."""
    try:
        docs = load_yaml_documents(text)
    except YamlError as exc:
        return [], f"instantiation config not read: {exc}"
    mappings: list[LineDict] = []
    for doc in docs:
        _mappings(doc, mappings)
    uses = []
    for m in mappings:
        target = m.get(TARGET_KEY)
        if not isinstance(target, str) or not _DOTTED.fullmatch(target.strip()):
            continue
        name = target.strip()
        kws = {k: _kind(v) for k, v in m.items() if isinstance(k, str) and k not in HYDRA_KEYS and k.isidentifier()}
        if not interest.wants(name, list(kws)):
            continue
        raw_args = m.get("_args_")
        args, argv = [], []
        for a in raw_args if isinstance(raw_args, list) else []:
            kind, value = _kind(a)
            args.append(kind)
            argv.append(value)
        uses.append({
            "name": name,
            "how": "call",
            "args": args,
            "argv": argv,
            "kws": {k: v[0] for k, v in kws.items()},
            "kwv": {k: v[1] for k, v in kws.items() if v[1] is not None},
            "asserted": False,
            "line": m.line_of(TARGET_KEY),
            "kwl": {k: m.line_of(k) for k in kws if k in interest.keywords},
        })
        if len(uses) >= MAX_USES:
            break
    return uses, None


def config_facts(text: str, interest: Interest) -> tuple[dict[str, Any] | None, str | None]:
    """Python-shaped facts (only `uses`) for a YAML file with instantiation targets, or None."""
    if TARGET_KEY not in text:
        return None, None
    uses, warning = config_uses(text, interest)
    if not uses:
        return None, warning
    return {"imports": [], "uses": uses, "tests": 0, "meaningful_tests": 0, "test_functions": [], "gates": [],
            "defines": [], "config": 1}, warning
