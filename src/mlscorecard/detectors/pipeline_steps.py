"""The repository files that pipeline steps run (from engine/step_refs.py's records).

A script that a pipeline step runs, a module such a script imports, and a module that a flow or
DAG file of an in-process orchestrator imports (its tasks call it) are on the pipeline path: a check in them runs without a person each time the pipeline runs, as a check in a file
with the `pipeline` context does (rules_engine.automation_of, `ci-or-runtime`). Commands are
followed by the CI reader (`python x.py`, `python -m pkg.mod`, shell scripts), so a step runs
what a CI line with the same command would run.
"""

from __future__ import annotations

import posixpath

from ..engine.python import is_test_path
from ..engine.step_refs import BASE_KEYS, COMMAND_KEYS, IN_PROCESS_ORCHESTRATORS, SCRIPT_KEYS
from ..model import PIPELINE_STEP as STEP
from ..snapshot import Snapshot
from .ci import _CommandReader, _join

IMPORTED = " (imported)"


def _bases(path: str, refs: list[list]) -> list[str]:
    """Folders a Python definition's scripts may be relative to: its source directories (from
    the repository root, or from the file's folder), the file's folder, the root."""
    here = posixpath.dirname(path)
    out: list[str] = []
    for _, key, value, _ in refs:
        if key in BASE_KEYS and not value.startswith(("s3:", "gs:", "$", "{")):
            out += [_join("", value), _join(here, value)]
    return list(dict.fromkeys([*out, here, ""]))


def pipeline_steps(snap: Snapshot, step_refs: dict[str, list[list]],
                   text_imports: dict[str, list[str]], local_modules) -> dict[str, str]:
    """path -> "pipeline step: <definition>:<line>" for every file a step runs, and for the
    repository modules those files import (one level, unambiguous names only)."""
    reader = _CommandReader(snap)
    runs: dict[str, str] = {}
    for path in sorted(step_refs):
        refs = step_refs[path]
        bases = _bases(path, refs)
        for line, key, value, base in refs:
            where = f"{STEP}{path}:{line}"
            found: list[str] = []
            if key in SCRIPT_KEYS and value.endswith((".py", ".sh")):
                found = next(([c] for b in bases for c in [_join(b, value)] if c and snap.exists(c)), [])
            elif key in COMMAND_KEYS:
                cwds = [_join(posixpath.dirname(path), base)] if base else bases
                for cwd in cwds:
                    found = [p for p, _ in reader.executions(value, cwd) if p.endswith((".py", ".sh", ".ipynb"))]
                    if found:
                        break
            for target in found:
                if target != path and not is_test_path(target):
                    runs.setdefault(target, where)
    for target, where in sorted(runs.items()):
        if not target.endswith(".py"):
            continue
        for module in text_imports.get(target, ()):
            hits = [p for p in local_modules(module) if not is_test_path(p)]
            if len(hits) == 1 and hits[0] not in runs:  # `import utils` that several files answer: none
                runs[hits[0]] = where + IMPORTED
    return runs



def imported_by_flows(flows: list[str], text_imports: dict[str, list[str]], local_modules,
                      known: dict[str, str]) -> dict[str, str]:
    """path -> "pipeline step: <flow file> (imports it)" for the repository modules that a flow
    or DAG file (engine/step_refs.defines_flow) imports: one level, unambiguous names only, never
    a test, beside `known`. A repository that is the orchestrator itself (its flow files import
    its own package) has no flows of its own here."""
    out: dict[str, str] = {}
    for path in sorted(flows):
        imports = text_imports.get(path, [])
        if is_test_path(path) or not any((i == o or i.startswith(o + ".")) and not local_modules(o)
                                         for i in imports for o in IN_PROCESS_ORCHESTRATORS):
            continue
        for module in imports:
            hits = [p for p in local_modules(module) if not is_test_path(p)]
            if len(hits) == 1 and hits[0] != path and hits[0] not in known and hits[0] not in out:
                out[hits[0]] = f"{STEP}{path} (imports it)"
    return out
