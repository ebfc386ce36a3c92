"""What kind of project this is, from its structure, and the rubric items that kind of project
usually has no use for — proposed as questions with a default, never applied silently.

Kinds: a template; an application or service that trains and serves; a pipeline project; a model
library or framework; a research codebase. The proposals (`proposed_not_applicable`) go into
the report beside the strict score, with the score they would give if a person accepted them,
and `mlscorecard confirm` asks about them first, offering "not applicable" as the answer.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from .scope import scope_of

KINDS = {
    "template": "a project template",
    "service": "an application or service with training and serving",
    "pipeline": "a pipeline project",
    "library": "a model library or framework",
    "research": "a research codebase",
}
_SERVING_ITEMS = ("infra-6", "infra-7", "monitor-2", "monitor-3", "monitor-4", "monitor-5", "monitor-6", "monitor-7",
                  "deployment.experimentation", "deployment.monitoring", "deployment.updates", "operations.roi")
_DATA_ITEMS = ("data-1", "data-2", "data-3", "data-4", "data-5", "data-6", "data-7")
_TEMPLATE_FILES = ("cookiecutter.json", "copier.yml", "copier.yaml")
_TEMPLATE_WORDS = re.compile(r"\b(template|boilerplate|starter|skeleton|cookiecutter)\b", re.I)


def _title(text: str) -> str:
    """The README's first heading outside code fences (`# Title` or a setext/RST underline title)."""
    fenced = False
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            continue
        if fenced or not line.strip():
            continue
        if line.startswith("# "):
            return line[2:]
        if i + 1 < len(lines) and re.fullmatch(r"(=+|-+|\*+)", lines[i + 1].strip() or "x"):
            return line
    return ""


def _own(path: str) -> bool:
    from .engine.python import is_test_path

    return scope_of(path) is None and not is_test_path(path)


def declared(view) -> dict[str, Any]:
    """What the README and the packaging files say (read through memo.py's recording view, so a
    warm audit reads no blob for it): whether the README's title calls the project a template,
    and whether it is a packaged distribution."""
    readme = next((p for p in ("README.md", "README.rst", "README") if view.exists(p)), None)
    pyproject = view.read_text("pyproject.toml") if view.exists("pyproject.toml") else None
    return {
        "template_readme": readme if readme and _TEMPLATE_WORDS.search(_title((view.read_text(readme) or "")[:3000]))
        else None,
        "packaged": bool(view.exists("setup.py") or view.exists("setup.cfg")
                         or (pyproject and ("[project]" in pyproject or "[tool.poetry]" in pyproject))),
    }


def classify(snap, facts, said: dict[str, Any]) -> tuple[str, list[str]]:
    """(kind, reasons) from the files and contexts the audit already has, and `declared`."""
    paths = snap.paths()
    if any(p in _TEMPLATE_FILES for p in paths) or any("{{" in p and "cookiecutter" in p for p in paths):
        return "template", ["a cookiecutter/copier template"]
    if said["template_readme"]:
        return "template", [f"{said['template_readme']} calls it a template"]
    count: dict[str, int] = {}
    for path, ctx in facts.contexts.items():
        if _own(path):
            for c in ctx:
                count[c] = count.get(c, 0) + 1
    serving, training, pipeline = count.get("serving", 0), count.get("training", 0), count.get("pipeline", 0)
    packaged = said["packaged"]
    share, package = _package_share(snap, facts)
    if packaged and share >= 0.6:
        return "library", [f"a packaged distribution whose package {package}/ holds {share:.0%} of its Python"]
    if serving and training:
        return "service", [f"{serving} serving file(s) and {training} training file(s)"]
    if pipeline >= 2:
        return "pipeline", [f"{pipeline} pipeline step or DAG file(s)"]
    if packaged:
        return "library", ["a packaged distribution (pyproject/setup.py)"]
    return "research", [f"{training} training file(s), no package, no serving code"
                        if training else "no package, no serving code, no pipeline"]


def _package_share(snap, facts) -> tuple[float, str]:
    """The share of the project's own Python files inside its largest importable package (a
    top-level or src/ folder with __init__.py), and that package."""
    own = [p for p in facts.python_paths if _own(p)]
    if not own:
        return 0.0, ""
    roots: dict[str, int] = {}
    for p in own:
        parts = p.split("/")
        top = "/".join(parts[:2]) if parts[0] == "src" and len(parts) > 2 else parts[0]
        if len(parts) > 1 and snap.exists(f"{top}/__init__.py"):
            roots[top] = roots.get(top, 0) + 1
    if not roots:
        return 0.0, ""
    package, n = max(roots.items(), key=lambda kv: kv[1])
    return n / len(own), package


def proposals(kind: str, result, facts) -> list[dict[str, str]]:
    """Items this kind of project usually has no use for, among those with no evidence and no
    human answer yet."""
    wanted: dict[str, str] = {}
    if kind in ("library", "research"):
        reason = ("a library serves no model of its own" if kind == "library"
                  else "a research codebase serves no model")
        wanted.update({i: reason for i in _SERVING_ITEMS})
    if kind == "library" and not any(_own(p) and ({"pipeline", "features"} & ctx) for p, ctx in facts.contexts.items()):
        wanted.update({i: "a library without data pipelines has no features or data of its own" for i in _DATA_ITEMS})
    out = []
    for rubric in result.rubrics.values():
        for item in rubric.items.values():
            if item.id in wanted and not item.evidence and not item.confirmed:
                out.append({"item": item.id, "reason": wanted[item.id]})
    return out


def profile_facts(snap, facts, result, heur, cache=None) -> dict[str, Any]:
    from .memo import memoized

    kind, reasons = classify(snap, facts, memoized(cache, snap, "profile-declared", declared))
    proposed = proposals(kind, result, facts)
    accepted = _scores_if_accepted(result, heur, proposed) if proposed else None
    return {"kind": kind, "description": KINDS[kind], "reasons": reasons, "proposed_not_applicable": proposed,
            "if_accepted": accepted}


def _scores_if_accepted(result, heur, proposed: list[dict[str, str]]) -> dict[str, int]:
    """The scores a person would get by answering "not applicable" to every proposal."""
    from .confirmations import rescore

    reasons = {p["item"]: p["reason"] for p in proposed}
    trial = copy.copy(result)  # shallow copies: rescore writes scores and reads items, nothing deeper
    trial.rubrics = {}
    for rid, rubric in result.rubrics.items():
        twin = copy.copy(rubric)
        twin.items = {iid: copy.copy(item) for iid, item in rubric.items.items()}
        for item in twin.items.values():
            if item.id in reasons:
                item.confirmed = {"not_applicable": True, "reason": reasons[item.id]}
        trial.rubrics[rid] = twin
    rescore(trial, heur)
    return {"ml-test-score": trial.rubrics["ml-test-score"].score, "robustness": trial.rubrics["robustness"].score}
