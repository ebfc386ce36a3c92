"""Stage 1: collectors read the snapshot and produce raw facts (no scoring here)."""

from __future__ import annotations

import os
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from .cache import BlobCache
from .detectors.ci import CIFacts, detect_ci
from .detectors.dependencies import declared_dependencies, pinning
from .detectors.history import codeowners_facts, review_facts
from .detectors.notebooks import NotebookError, NotebookSource, notebook_source
from .detectors.python_code import (
    analyse_python, is_test_context, is_test_path, make_interest, module_name, package_of, resolve_relative,
)
from .heuristics import Heuristics
from .snapshot import Snapshot

_WORD_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# Above this many files to parse, a process pool pays for itself (measured: 1.8x on 2 cores).
POOL_THRESHOLD = 30


_IMPORT_RE = re.compile(r"^[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import\b|import[ \t]+([\w., \t]+))", re.M)
_DEF_RE = re.compile(r"^(?:async[ \t]+)?def[ \t]+(\w+)", re.M)


@dataclass
class RepoFacts:
    snap: Snapshot
    python: dict[str, dict[str, Any]] = field(default_factory=dict)  # path -> facts (parsed files only)
    python_paths: list[str] = field(default_factory=list)  # every readable .py file
    notebooks: dict[str, NotebookSource] = field(default_factory=dict)
    contexts: dict[str, frozenset[str]] = field(default_factory=dict)  # every .py and .ipynb file
    text_imports: dict[str, list[str]] = field(default_factory=dict)  # modules each file imports (from its text)
    ci: CIFacts = field(default_factory=CIFacts)
    review: dict[str, Any] | None = None
    codeowners: dict[str, Any] | None = None  # who owns the model code (CODEOWNERS)
    dependencies: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    pinning: dict[str, tuple[int, int]] = field(default_factory=dict)  # manifest -> (requirements, pinned)
    stats: dict[str, Any] = field(default_factory=dict)

    _lowered: dict[str, str] = field(default_factory=dict)
    _module_index: dict[str, list[str]] | None = None

    def module_index(self) -> dict[str, list[str]]:
        """Dotted module names (every suffix: src.pkg.model, pkg.model, model) of the repository's
        non-test Python files -> their paths; built once per audit."""
        if self._module_index is None:
            index: dict[str, list[str]] = {}
            for p in self.python_paths:
                if is_test_path(p):
                    continue
                parts = module_name(p).split(".")
                for k in range(len(parts)):
                    index.setdefault(".".join(parts[k:]), []).append(p)
            self._module_index = index
        return self._module_index

    def lowered(self, path: str, text: str) -> str:
        """Lower-cased text of a file, computed once (for text rules' literal pre-checks)."""
        low = self._lowered.get(path)
        if low is None:
            low = self._lowered[path] = text.lower()
        return low

    def locate(self, path: str, line: int) -> tuple[int, int | None]:
        """(line, cell) of a finding: notebook lines are given within their cell."""
        nb = self.notebooks.get(path)
        if nb is None:
            return line, None
        cell, cell_line = nb.locate(line)
        return cell_line, cell


def text_imports(path: str, text: str) -> list[str]:
    """Modules a file imports, read from its text (cheap; relative imports resolved)."""
    package = package_of(path)
    out = []
    for m in _IMPORT_RE.finditer(text):
        if m.group(1) is not None:
            mod = m.group(1)
            dots = len(mod) - len(mod.lstrip("."))
            out.append(resolve_relative(package, dots, mod.lstrip(".")) if dots else mod)
        else:
            for part in m.group(2).split(","):
                name = part.strip().split()[0] if part.strip() else ""
                if name:
                    out.append(name)
    return out


def file_contexts(path: str, text: str, imports: list[str], heur: Heuristics) -> frozenset[str]:
    ctx = set()
    if is_test_context(path):
        ctx.add("test")
    if path.endswith(".ipynb"):
        ctx.add("notebook")
    defines = None
    for c in heur.contexts.values():
        if c.exclude_path_regex is not None and c.exclude_path_regex.search(path):
            continue
        if c.path_regex is not None and c.path_regex.search(path):
            ctx.add(c.name)
            continue
        if any(i == p or i.startswith(p + ".") for i in imports for p in c.imports_any):
            ctx.add(c.name)
            continue
        if c.defines_any:
            defines = defines if defines is not None else set(_DEF_RE.findall(text))
            if defines.intersection(c.defines_any):
                ctx.add(c.name)
    return frozenset(ctx)


def contexts_allow(match: dict[str, Any], ctx: frozenset[str]) -> bool:
    """A rule's `context` (any of) and `not_context` (none of) against a file's contexts."""
    want = match.get("context")
    want = [want] if isinstance(want, str) else (want or [])
    if want and not ctx.intersection(want):
        return False
    avoid = match.get("not_context")
    avoid = [avoid] if isinstance(avoid, str) else (avoid or [])
    return not ctx.intersection(avoid)


def _parse_job(args: tuple[str, str, bool, list[str], list[str]]) -> dict[str, Any]:
    path, source, full, patterns, keywords = args
    from .detectors.python_code import _Interest

    return analyse_python(path, source, _Interest(patterns, set(keywords)), full)


def collect(snap: Snapshot, heur: Heuristics, cache: BlobCache | None = None, jobs: int | None = None) -> RepoFacts:
    facts = RepoFacts(snap=snap)
    code_rules = [r for r in heur.rules if r.kind in ("python-call", "python-gate")]
    interest = make_interest(code_rules)
    # the pre-filter: (word groups, rule match) — a file is parsed in full when, for a rule whose
    # contexts allow the file, all words of one of its groups occur in the text
    prefilters = [(r.tokens, r.match) for r in code_rules if r.tokens]
    vocabulary = {w for groups, _ in prefilters for g in groups for w in g}

    to_parse: list[tuple[str, str, str | None, bool]] = []
    cached = 0
    for path in snap.paths():
        if not path.endswith((".py", ".ipynb")):
            continue
        text = snap.read_text(path)
        if text is None:
            continue
        if path.endswith(".ipynb"):
            try:
                nb = notebook_source(text)
            except NotebookError as exc:
                snap.warn(path, str(exc))
                continue
            facts.notebooks[path] = nb
            text = nb.source
        else:
            facts.python_paths.append(path)
        facts.text_imports[path] = text_imports(path, text)
        facts.contexts[path] = file_contexts(path, text, facts.text_imports[path], heur)
        present = vocabulary.intersection(_WORD_RE.findall(text))
        ctx = facts.contexts[path]
        full = any(present.issuperset(g) for groups, match in prefilters if contexts_allow(match, ctx) for g in groups)
        if not (full or is_test_path(path)):
            continue
        sha = snap.sha(path)
        hit = cache.get("python", sha) if cache else None
        if hit is not None:
            facts.python[path] = hit
            cached += 1
        else:
            to_parse.append((path, text, sha, full))

    patterns = sorted(interest.exact) + interest.globs
    keywords = sorted(interest.keywords)
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    if len(to_parse) > POOL_THRESHOLD and workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(_parse_job, [(p, t, f, patterns, keywords) for p, t, _, f in to_parse], chunksize=8))
    else:
        results = [analyse_python(p, t, interest, f) for p, t, _, f in to_parse]
    for (path, _text, sha, _full), result in zip(to_parse, results):
        facts.python[path] = result
        if cache:
            cache.put("python", sha, result)
    for path, result in facts.python.items():
        if "error" in result:
            snap.warn(path, result["error"])

    facts.ci = detect_ci(snap)
    facts.dependencies = declared_dependencies(snap)
    facts.pinning = pinning(snap)
    facts.review = review_facts(snap)
    facts.codeowners = codeowners_facts(snap)
    facts.stats = {
        "files": len(snap.files),
        "python_files": len(facts.python_paths),
        "notebooks": len(facts.notebooks),
        "parsed": len(to_parse),
        "parsed_from_cache": cached,
    }
    return facts
