"""Stage 1: collectors read the snapshot and produce raw facts (no scoring here)."""

from __future__ import annotations

import os
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from .cache import BlobCache
from .detectors.ci import CIFacts, detect_ci
from .detectors.history import review_facts
from .detectors.python_code import analyse_python, is_test_path, make_interest
from .heuristics import Heuristics
from .snapshot import Snapshot

_WORD_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# Above this many files to parse, a process pool pays for itself (measured: 1.8x on 2 cores).
POOL_THRESHOLD = 30


@dataclass
class RepoFacts:
    snap: Snapshot
    python: dict[str, dict[str, Any]] = field(default_factory=dict)  # path -> facts (parsed files only)
    python_paths: list[str] = field(default_factory=list)  # every readable .py file
    ci: CIFacts = field(default_factory=CIFacts)
    review: dict[str, Any] | None = None
    stats: dict[str, Any] = field(default_factory=dict)


def _parse_job(args: tuple[str, str, bool, list[str], list[str]]) -> dict[str, Any]:
    path, source, full, patterns, keywords = args
    from .detectors.python_code import _Interest

    return analyse_python(path, source, _Interest(patterns, set(keywords)), full)


def collect(snap: Snapshot, heur: Heuristics, cache: BlobCache | None = None, jobs: int | None = None) -> RepoFacts:
    facts = RepoFacts(snap=snap)
    code_rules = heur.rules_of("python-call")
    interest = make_interest(code_rules)
    groups = sorted({g for r in code_rules for g in r.tokens})
    vocabulary = {w for g in groups for w in g}

    to_parse: list[tuple[str, str, str | None, bool]] = []
    cached = 0
    for path in snap.paths():
        if not path.endswith(".py"):
            continue
        text = snap.read_text(path)
        if text is None:
            continue
        facts.python_paths.append(path)
        present = vocabulary.intersection(_WORD_RE.findall(text))
        full = any(present.issuperset(g) for g in groups)
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
    facts.review = review_facts(snap)
    facts.stats = {
        "files": len(snap.files),
        "python_files": len(facts.python_paths),
        "parsed": len(to_parse),
        "parsed_from_cache": cached,
    }
    return facts
