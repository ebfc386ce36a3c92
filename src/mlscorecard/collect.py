"""Stage 1: collectors read the snapshot and produce raw facts (no scoring here).

Per file: `engine/files.analyse_file` (cached by blob and path), on a process pool when there
is enough to parse to pay for one. Per repository: CI, dependencies and CODEOWNERS through
`memo.memoized` (reused while what they read is unchanged), the history per commit. The git
history is read by a background git process while the files are analysed.
"""

from __future__ import annotations

import gc
import os
from dataclasses import dataclass, field
from typing import Any

from .cache import BlobCache, file_key
from .detectors.ci import CIFacts, detect_ci
from .detectors.dependencies import declared_dependencies, pinning
from .detectors.history import codeowners_facts, review_facts
from .detectors.pipeline_steps import imported_by_flows, pipeline_steps
from .errors import DETECTOR_SECONDS, FILE_SECONDS, note_transient, reading, time_limit, transient_count
from .engine.files import analyse_file, default_contexts, scan_plan
from .engine.python import is_test_path, module_name
from .heuristics import Heuristics
from .matchers import Finding
from .memo import memoized
from .snapshot import Snapshot, size_limit

# Files to analyse go to worker processes when that pays: the estimate below says how long they
# would take in one process (measured on 2 cores: parsing runs at about 1.5 MB/s of Python,
# scanning at about 60 MB/s of other text; a forked worker starts in about 0.02 s). Above
# BACKGROUND_SECONDS workers analyse them while this process reads CI, dependencies and
# history; each POOL_SECONDS of work adds a worker, up to one per CPU. Below it (a warm cache,
# a few changed files) one process is faster: git and the CI reader already keep a second core
# busy, and a worker would compete with them.
POOL_THRESHOLD = 30  # with --jobs N: a pool of N for more files than this
BACKGROUND_SECONDS = 1.0
POOL_SECONDS = 0.5
_PARSE_RATE = 1.5e6
_SCAN_RATE = 60e6


# Top-level import names of widely used libraries. A local package nested under another one
# with such a name (a library's `backends/torch/`, `od/sklearn/`) is never what an absolute
# `import torch` or `from sklearn.datasets import load_iris` resolves to; at the repository root
# or under src/ it may be (a project that vendors or shadows the library), and stays found.
THIRD_PARTY_TOP_LEVEL = frozenset({
    "numpy", "pandas", "scipy", "sklearn", "torch", "torchvision", "torchaudio", "tensorflow", "keras", "jax",
    "flax", "xgboost", "lightgbm", "catboost", "transformers", "lightning", "pytorch_lightning", "mlflow",
    "sagemaker", "airflow", "prefect", "kfp", "ray", "optuna", "onnx", "onnxruntime", "matplotlib", "seaborn",
    "requests", "yaml", "pydantic", "fastapi", "flask", "boto3", "statsmodels", "spacy", "gensim", "keops",
    "pykeops", "tritonclient", "triton", "dask", "pyspark", "polars", "pyarrow", "wandb", "hydra", "omegaconf",
})


@dataclass
class RepoFacts:
    snap: Snapshot
    python: dict[str, dict[str, Any]] = field(default_factory=dict)  # path -> facts (parsed files only)
    python_paths: list[str] = field(default_factory=list)  # every readable .py file
    notebooks: list[str] = field(default_factory=list)  # every readable notebook
    contexts: dict[str, frozenset[str]] = field(default_factory=dict)  # every .py and .ipynb file
    text_imports: dict[str, list[str]] = field(default_factory=dict)  # modules each file imports (from its text)
    target_criteria: dict[str, dict[str, list[int]]] = field(default_factory=dict)  # path -> rule -> criteria met
    step_refs: dict[str, list[list]] = field(default_factory=dict)  # pipeline definitions: what their steps name
    pipeline_steps: dict[str, str] = field(default_factory=dict)  # file a pipeline step runs -> where
    flow_files: dict[str, int] = field(default_factory=dict)  # file defining an in-process flow or DAG -> line
    local_findings: dict[str, list[Finding]] = field(default_factory=dict)  # file-scope rule -> findings, by path
    ci: CIFacts = field(default_factory=CIFacts)
    review: dict[str, Any] | None = None
    codeowners: dict[str, Any] | None = None  # who owns the model code (CODEOWNERS)
    dependencies: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    pinning: dict[str, tuple[int, int]] = field(default_factory=dict)  # manifest -> (requirements, pinned)
    stats: dict[str, Any] = field(default_factory=dict)

    _module_index: dict[str, list[str]] | None = None
    _resolved: dict[str, list[str]] = field(default_factory=dict)
    _overrides: tuple = ()  # the project's per-folder contexts (ScanPlan.context_overrides)
    _reexports: dict[tuple[str, Any], list[str]] = field(default_factory=dict)  # matchers/python.py

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
                    # a nested backend package named for a library (alibi_detect/od/sklearn/) is
                    # not what `import sklearn` finds: only at the root or under src/
                    if k and parts[k] in THIRD_PARTY_TOP_LEVEL and parts[:k] != ["src"]:
                        continue
                    index.setdefault(".".join(parts[k:]), []).append(p)
            self._module_index = index
        return self._module_index

    def local_modules(self, name: str) -> list[str]:
        """The repository files an imported name resolves to: the longest prefix of the dotted
        name that names a local module (a.b.c.f -> a/b/c.py), or nothing. Cached per name."""
        hit = self._resolved.get(name)
        if hit is None:
            index = self.module_index()
            parts = name.split(".")
            hit = []
            for k in range(len(parts), 0, -1):
                cands = index.get(".".join(parts[:k]))
                if cands:
                    hit = cands
                    break
            self._resolved[name] = hit
        return hit

    def context_of(self, path: str) -> frozenset[str]:
        ctx = self.contexts.get(path)
        return ctx if ctx is not None else default_contexts(path, self._overrides)


# ------------------------------------------------------------------------- the process pool
_WORKER: dict[str, Any] = {}


def _init_worker(snap: Snapshot, heur: Heuristics, in_pool: bool = False) -> None:
    _WORKER["snap"], _WORKER["plan"] = snap, scan_plan(heur)
    # fault injection for the tests of pool recovery: a worker that analyses a path holding this
    # text dies as a native crash would (never in the main process)
    _WORKER["crash_on"] = os.environ.get("MLSCORECARD_TEST_CRASH_WORKER_ON") if in_pool else None


def _work(batch: list[tuple[str, bytes | None]]) -> list[tuple[str, dict[str, Any] | None, list[tuple[str, str]]]]:
    snap, plan = _WORKER["snap"], _WORKER["plan"]
    out = []
    # The cyclic garbage collector would scan every syntax tree node as it is made (about a third
    # of parsing time); trees and facts hold no reference cycles, so reference counting frees them.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for path, data in batch:
            warnings: list[tuple[str, str]] = []
            with snap.recording_warnings(warnings):
                if data is None:
                    data = snap.read_bytes(path)
                result = None
                if _WORKER.get("crash_on") and _WORKER["crash_on"] in path:
                    import faulthandler

                    faulthandler.disable()
                    os.abort()
                if data is not None:
                    with reading(snap, path), time_limit(FILE_SECONDS):
                        result = analyse_file(plan, path, data)
            out.append((path, result, warnings))
            tick = _WORKER.get("tick")
            if tick is not None:
                tick(len(out))
    finally:
        if collecting:
            gc.enable()
    return out


def _batches(items: list, n: int, weight=None) -> list[list]:
    """Four batches per worker, of about equal estimated work: the items dealt out heaviest first,
    back and forth (batch 1, 2, ..., k, k, ..., 2, 1, 1, 2, ...), so no batch gets all of a
    folder of large files (a listing's order puts a repository's pipelines side by side)."""
    count = max(1, min(len(items), n * 4))
    order = sorted(items, key=weight, reverse=True) if weight is not None else items
    batches: list[list] = [[] for _ in range(count)]
    for k, item in enumerate(order):
        lap, i = divmod(k, count)
        batches[i if lap % 2 == 0 else count - 1 - i].append(item)
    return batches


def _file_seconds(snap: Snapshot, path: str) -> float:
    size = snap.files[path].size
    return size / _PARSE_RATE if path.endswith((".py", ".ipynb")) else size / _SCAN_RATE


def _estimate_seconds(snap: Snapshot, paths: list[str]) -> float:
    return sum(_file_seconds(snap, p) for p in paths)


def workers_for(snap: Snapshot, todo: list[str], jobs: int | None) -> int:
    """How many worker processes to analyse these files with (0: in this process)."""
    cpus = jobs if jobs is not None else (os.cpu_count() or 1)
    if cpus <= 1 or not todo:
        return 0
    if jobs is not None:
        return jobs if len(todo) > POOL_THRESHOLD else 0
    seconds = _estimate_seconds(snap, todo)
    if seconds < BACKGROUND_SECONDS:
        return 0
    return max(1, min(cpus, int(seconds / POOL_SECONDS)))


def _submit(pool, batch):
    """pool.submit(_work, batch), or a future holding the error when the pool already broke."""
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool

    try:
        return pool.submit(_work, batch)
    except BrokenProcessPool as exc:
        failed: Future = Future()
        failed.set_exception(exc)
        return failed


class _Analysis:
    """The analysis of the files the cache does not have: started at once (in worker
    processes when that pays), collected with results()."""

    def __init__(self, snap: Snapshot, heur: Heuristics, todo: list[tuple[str, bytes | None]], jobs: int | None,
                 progress=None):
        self.snap, self.heur, self.todo, self.progress = snap, heur, todo, progress
        workers = workers_for(snap, [p for p, _ in todo], jobs)
        self.pool = None
        self.futures = []
        if workers:
            self.workers = workers
            self.batches = _batches(todo, workers, weight=lambda item: _file_seconds(snap, item[0]))
            self.pool = self._new_pool()
            self.futures = [_submit(self.pool, batch) for batch in self.batches]

    def _new_pool(self, workers: int | None = None):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
        return ProcessPoolExecutor(max_workers=workers or self.workers, mp_context=multiprocessing.get_context(method),
                                   initializer=_init_worker, initargs=(self.snap, self.heur, True))

    def _alone(self, batch: list[tuple[str, bytes | None]]) -> list:
        """One file in a pool of its own: its rows, or a warning when it kills that worker too."""
        from concurrent.futures.process import BrokenProcessPool

        pool = self._new_pool(1)
        try:
            return _submit(pool, batch).result()
        except BrokenProcessPool:
            path = batch[0][0]
            return [(path, None, [(path, "the process analysing this file died (a crash in native code?); "
                                         "not analysed")])]
        finally:
            pool.shutdown()

    def results(self) -> list[tuple[str, dict[str, Any] | None, list[tuple[str, str]]]]:
        """(path, analysis or None, warnings) per file, in the order given.

        A worker that dies (a native crash, the kernel's OOM killer) breaks the pool and every
        batch still in it: those batches go to a new pool, halved each time they fail again, until
        the one file that kills a worker is alone; it gets a warning, the rest are analysed."""
        total = len(self.todo)
        if self.pool is None:
            _init_worker(self.snap, self.heur)
            if self.progress is not None:
                _WORKER["tick"] = lambda done: self.progress.files(done, total)
            try:
                return _work(self.todo)
            finally:
                _WORKER.pop("tick", None)
        from concurrent.futures.process import BrokenProcessPool

        rows = []
        running = list(zip(self.batches, self.futures))
        pool = self.pool
        while running:
            failed = []
            try:
                for batch, future in running:
                    try:
                        rows.extend(future.result())
                    except BrokenProcessPool:
                        failed.append(batch)
                    if self.progress is not None:
                        self.progress.files(len(rows), total)
            finally:
                pool.shutdown(cancel_futures=True)
            for batch in failed:
                if len(batch) == 1:  # it may only have shared the pool with the cause: alone, once more
                    rows.extend(self._alone(batch))
            halves = [h for batch in failed if len(batch) > 1
                      for h in (batch[:len(batch) // 2], batch[len(batch) // 2:])]
            running = []
            if halves:
                pool = self._new_pool()
                running = [(h, _submit(pool, h)) for h in halves]
        order = {path: i for i, (path, _) in enumerate(self.todo)}
        return sorted(rows, key=lambda row: order[row[0]])


# ------------------------------------------------------------------------- collection
def _guarded(detector, empty, what: str):
    """A whole-repository detector whose unplanned failure is a warning and an empty result (the
    per-file readers inside it guard themselves; this is the last line)."""
    def run(view):
        with reading(view, ".", what), time_limit(DETECTOR_SECONDS):
            return detector(view)
        return empty()  # reached only when reading() turned a failure into a warning
    return run


def collect(snap: Snapshot, heur: Heuristics, cache: BlobCache | None = None, jobs: int | None = None,
            progress=None) -> RepoFacts:
    """Every fact the rules read. progress: a progress.Progress told the stage and files done."""
    facts = RepoFacts(snap=snap)
    plan = scan_plan(heur)
    facts._overrides = plan.context_overrides
    history = _History(snap, cache)  # git log runs in the background meanwhile

    wanted = []
    for path in snap.paths():
        if not plan.wants(path):
            continue
        info = snap.files[path]
        limit = size_limit(path, snap.max_file_size)
        if info.size > limit:
            snap.warn(path, f"larger than {limit} bytes ({info.size}); skipped")
            continue
        wanted.append(path)

    todo: list[tuple[str, bytes | None]] = []
    keys: dict[str, str] = {}
    for path in wanted:
        sha = snap.files[path].sha
        data = None
        if sha is None or snap.git is None:  # a plain directory or memory: read now (for the sha)
            data = snap.read_bytes(path)
            if data is None:
                continue
            sha = snap.sha(path)
        keys[path] = file_key(path, sha)
        todo.append((path, data))
    analyses = cache.get_files(keys) if cache is not None else {}
    misses = [(p, d) for p, d in todo if p not in analyses]
    if progress is not None:
        progress.stage("analysing")
    analysis = _Analysis(snap, heur, misses, jobs, progress)
    # meanwhile (while workers analyse, when there are any): what CI, dependencies and CODEOWNERS say
    facts.ci = memoized(cache, snap, "ci", _guarded(detect_ci, CIFacts, "CI configuration"),
                        CIFacts.encode, CIFacts.decode)
    facts.dependencies = memoized(cache, snap, "dependencies", _guarded(declared_dependencies, dict, "dependencies"),
                                  decode=_declared)
    facts.pinning = memoized(cache, snap, "pinning", _guarded(pinning, dict, "requirements pinning"),
                             decode=lambda v: {k: tuple(x) for k, x in v.items()})
    facts.codeowners = memoized(cache, snap, "codeowners", _guarded(codeowners_facts, lambda: None, "CODEOWNERS"))
    for path, result, warnings in analysis.results():
        for wpath, message in warnings:
            snap.warn(wpath, message)
        if result is None:  # a clock ran out, a worker died, a read failed: it may not happen again
            note_transient()
            continue
        if result.pop("transient", None):  # the libcst child crashed or ran out of time or memory
            note_transient()
            analyses[path] = result
            continue
        analyses[path] = result
        if cache is not None:
            cache.put_file(keys[path], result)

    for path in sorted(analyses):
        a = analyses[path]
        for message in a.get("warn", ()):
            snap.warn(path, message)
        if "py" in a:
            facts.python_paths.append(path)
        if "nb" in a:
            facts.notebooks.append(path)
        if "ctx" in a:
            facts.contexts[path] = frozenset(a["ctx"])
            facts.text_imports[path] = a["imp"]
        if "pf" in a:
            facts.python[path] = a["pf"]
        if "tgt" in a:
            facts.target_criteria[path] = a["tgt"]
        if "steps" in a:
            facts.step_refs[path] = a["steps"]
        if "flow" in a:
            facts.flow_files[path] = a["flow"]
        for row in a.get("f", ()):
            finding = Finding.from_row(path, row)
            facts.local_findings.setdefault(finding.rule, []).append(finding)

    if facts.step_refs:  # the files pipeline steps run (their checks run with the pipeline)
        facts.pipeline_steps = _guarded(lambda view: pipeline_steps(view, facts.step_refs, facts.text_imports,
                                                                     facts.local_modules, cache),
                                        dict, "pipeline steps")(snap)
    # and the modules a flow or DAG file imports: they run in its tasks
    if facts.flow_files:
        facts.pipeline_steps.update(imported_by_flows(facts.flow_files, facts.text_imports, facts.local_modules,
                                                      facts.pipeline_steps, snap.exists))
    if progress is not None:
        progress.stage("reading the history")
    facts.review = history.result()
    parsed = sum(1 for p, _ in misses if "pf" in analyses.get(p, {}))
    facts.stats = {
        "files": len(snap.files),
        "python_files": len(facts.python_paths),
        "notebooks": len(facts.notebooks),
        "parsed": parsed,
        "parsed_from_cache": len(facts.python) - parsed,
    }
    return facts


def _declared(value: dict[str, list[list[Any]]]) -> dict[str, list[tuple[str, int]]]:
    return {name: [tuple(x) for x in places] for name, places in value.items()}


class _History:
    """The review facts of a commit: from the cache, or from git (started at once, collected
    at the end, so git walks the history while the files are analysed)."""

    COUNTS_KEPT = 8

    def __init__(self, snap: Snapshot, cache: BlobCache | None) -> None:
        self.snap, self.cache = snap, cache
        self.key = f"{snap.commit}:{snap.shallow_mark}" if snap.commit else None
        self.cached = cache.get("history", self.key) if cache is not None and self.key else None
        self.pending = None
        self.counts: list[list[Any]] = []
        if self.cached is None and snap.git is not None and snap.commit is not None:
            from .detectors.history import start_review

            if cache is not None:
                self.counts = cache.get_memo(self._counts_key()) or []
            self.pending = start_review(snap, known_counts=[tuple(c) for c in self.counts])

    def _counts_key(self) -> str:
        return f"commit-counts:{self.snap.root}:{self.snap.shallow_mark}"

    def result(self) -> dict[str, Any] | None:
        if self.cached is not None:
            for path, message in self.cached["warnings"]:
                self.snap.warn(path, message)
            return self.cached["review"]
        warnings: list[tuple[str, str]] = []
        failures = transient_count()
        with self.snap.recording_warnings(warnings):
            review = review_facts(self.snap, started=self.pending)
        if self.cache is not None and self.key and transient_count() == failures:  # a timed-out log is not kept
            self.cache.put("history", self.key, {"review": review, "warnings": warnings})
            if review is not None:  # commits whose history size is known: their ancestors are counted fast
                counts = [[self.snap.commit, review["total_commits"]], *(c for c in self.counts if c[0] != self.snap.commit)]
                self.cache.put_memo(self._counts_key(), counts[: self.COUNTS_KEPT])
        return review
