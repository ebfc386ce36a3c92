"""The repository files that pipeline steps run (from engine/step_refs.py's records).

A script that a pipeline step runs, a module such a script imports, and a module that a flow or
DAG file of an in-process orchestrator imports (its tasks call it) are on the pipeline path: a
check in them runs without a person each time the pipeline runs, as a check in a file with the
`pipeline` context does (rules_engine.automation_of, `ci-or-runtime`). Commands are followed by
the CI reader (`python x.py`, `python -m pkg.mod`, shell scripts), so a step runs what a CI line
with the same command would run.

What the steps run is read from files (scripts, Makefiles, specs), so it is remembered with
every answer it was given (memo.py), as CI is: a warm audit reads no blob. What the scripts and
flows import comes from per-file facts, and is worked out on every audit.
"""

from __future__ import annotations

import hashlib
import json
import posixpath

from ..engine.python import is_test_path
from ..engine.step_refs import COMMAND_KEYS, IN_PROCESS_ORCHESTRATORS, SCRIPT_KEYS, in_packages
from ..memo import memoized
from ..model import PIPELINE_STEP as STEP
from ..snapshot import Snapshot
from .ci import _CommandReader, _join

IMPORTED = " (imported)"
_REMOTE = ("s3:", "gs:", "wasbs:", "abfss:", "azureml:", "$", "{")


def _cwds(path: str, base: str) -> list[str]:
    """Folders a step's script or command may be relative to. YAML: its `code:` folder, from the
    spec's own folder. Python: the call's source directory from the repository root or from the
    file's folder, else the file's folder and the root."""
    here = posixpath.dirname(path)
    if path.endswith((".yml", ".yaml")):
        return [_join(here, base)] if base else [here]
    if base and not base.startswith(_REMOTE):
        return list(dict.fromkeys([_join("", base), _join(here, base)]))
    return list(dict.fromkeys([here, ""]))


def step_runs(snap: Snapshot, step_refs: dict[str, list[list]]) -> dict[str, str]:
    """path -> "pipeline step: <definition>:<line>" for every file a step runs (definitions in
    test files define nothing that runs)."""
    reader = _CommandReader(snap)
    runs: dict[str, str] = {}
    for path in sorted(step_refs):
        if is_test_path(path):
            continue
        for line, key, value, base in step_refs[path]:
            where = f"{STEP}{path}:{line}"
            found: list[str] = []
            for cwd in _cwds(path, base):
                if key in SCRIPT_KEYS:
                    target = _join(cwd, value)
                    if target and snap.exists(target):
                        found = [target]
                        if target.endswith(".sh"):  # a shell script: what it runs runs too
                            found += [p for p, _ in reader.executions(f"bash {target}", cwd)]
                elif key in COMMAND_KEYS:
                    found = [p for p, _ in reader.executions(value, cwd)]
                found = [p for p in found if p.endswith((".py", ".sh", ".ipynb"))]
                if found:
                    break
            for target in found:
                if target != path and not is_test_path(target):
                    runs.setdefault(target, where)
    return runs


def pipeline_steps(snap: Snapshot, step_refs: dict[str, list[list]], text_imports: dict[str, list[str]],
                   local_modules, cache=None) -> dict[str, str]:
    """step_runs (remembered while what it read is unchanged), and the repository modules the
    files it names import (one level, unambiguous names only)."""
    digest = hashlib.sha1(json.dumps(step_refs, sort_keys=True).encode("utf-8", "surrogateescape")).hexdigest()
    runs = dict(memoized(cache, snap, f"pipeline-steps-{digest}", lambda view: step_runs(view, step_refs)))
    for target, where in sorted(runs.items()):
        if not target.endswith(".py"):
            continue
        for module in text_imports.get(target, ()):
            hit = _sole_local_module(module, local_modules)
            if hit is not None and hit not in runs:
                runs[hit] = where + IMPORTED
    return runs


def _sole_local_module(module: str, local_modules) -> str | None:
    """The one non-test repository file an imported name resolves to, or None (`import utils`
    that several files answer is none of them)."""
    hits = [p for p in local_modules(module) if not is_test_path(p)]
    return hits[0] if len(hits) == 1 else None


def _is_orchestrator_itself(name: str, exists) -> bool:
    """Whether the repository is the orchestrator's own source (a top-level package or module
    of that name, at the root or under src/)."""
    return any(exists(f"{root}{name}/__init__.py") or exists(f"{root}{name}.py") for root in ("", "src/"))


def imported_by_flows(flows: dict[str, int], text_imports: dict[str, list[str]], local_modules,
                      known: dict[str, str], exists) -> dict[str, str]:
    """path -> "pipeline step: <flow file>:<line> (imports it)" for the repository modules that a
    flow or DAG file (engine/step_refs.defines_flow; line: where it defines one) imports: one
    level, unambiguous names only, never a test and never the orchestrator's own modules, beside
    `known`. A repository that is the orchestrator itself has no flows of its own here."""
    out: dict[str, str] = {}
    own = {o for o in IN_PROCESS_ORCHESTRATORS if _is_orchestrator_itself(o, exists)}
    for path in sorted(flows):
        imports = text_imports.get(path, [])
        if is_test_path(path) or not any(in_packages(i, set(IN_PROCESS_ORCHESTRATORS) - own) for i in imports):
            continue
        for module in imports:
            if in_packages(module, IN_PROCESS_ORCHESTRATORS):
                continue  # `from airflow.models import Variable` is the orchestrator's, whatever is local
            hit = _sole_local_module(module, local_modules)
            if hit is not None and hit != path and hit not in known and hit not in out:
                out[hit] = f"{STEP}{path}:{flows[path]} (imports it)"
    return out
