"""A fleet run: every repository audited once, in a killable child process, on a local pool
(`workers` slots) or a Dask cluster (`scheduler`); the client alone writes the database, one
repository per transaction, as each finishes.

Resuming: `resume=True` continues the latest unfinished run of the same fleet (same entries),
skipping the repositories it already recorded. A repository whose commit is the one of its last
good audit with the same tool, heuristics and confirmations is not audited again: it is recorded
as "unchanged" with the stored report.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .. import __version__
from .isolation import kill_all, run_isolated
from .manifest import FleetEntry, fleet_digest
from .progress import Progress
from .sources import redact_url, resolve_commit
from .store import AuditRow, Store

DEFAULT_TIMEOUT_SECONDS = 600.0


@dataclass(frozen=True)
class ToolIdentity:
    """What a stored result depends on besides the commit."""

    version: str
    heuristics: str
    code: str

    @staticmethod
    def current() -> "ToolIdentity":
        from ..audit import code_digest
        from ..heuristics import load_heuristics

        return ToolIdentity(__version__, load_heuristics().digest, code_digest())

    def audit_key(self, entry: FleetEntry) -> str:
        conf = b""
        if entry.confirmations and Path(entry.confirmations).is_file():
            conf = Path(entry.confirmations).read_bytes()
        parts = [self.version, self.heuristics, self.code, entry.source, entry.rev or "", hashlib.sha256(conf).hexdigest()]
        return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:20]


@dataclass
class RunSummary:
    run_id: str
    total: int
    resumed: int = 0
    counts: dict = field(default_factory=lambda: {"ok": 0, "unchanged": 0, "failed": 0})
    clone_seconds: float = 0.0
    analysis_seconds: float = 0.0
    database_seconds: float = 0.0
    wall_seconds: float = 0.0


def _task(entry: FleetEntry, known_commit: str | None, cache_dir: Path | None, jobs: int) -> dict:
    return {**asdict(entry), "known_commit": known_commit, "cache_dir": str(cache_dir.resolve()) if cache_dir else None,
            "jobs": jobs}


class _LocalEngine:
    """A thread per slot; each thread only waits on its audit's child process."""

    def __init__(self, workers: int) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fleet")

    def submit(self, task: dict, timeout: float):
        return self.pool.submit(run_isolated, task, timeout)

    def as_completed(self, futures):
        from concurrent.futures import as_completed

        return as_completed(futures)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class _DaskEngine:
    """The same work on a Dask distributed cluster; dask is imported only here."""

    def __init__(self, scheduler: str) -> None:
        from distributed import Client

        self.client = Client(scheduler, timeout="30s", set_as_default=False)

    def submit(self, task: dict, timeout: float):
        return self.client.submit(run_isolated, task, timeout, pure=False, retries=0)

    def as_completed(self, futures):
        from distributed import as_completed

        return as_completed(futures, loop=self.client.loop)

    def close(self) -> None:
        self.client.close()


def _outcome(future) -> dict:
    try:
        return future.result()
    except Exception as exc:  # noqa: BLE001 - a worker lost by the cluster fails one repository
        return {"status": "failed", "reason": f"worker failed: {type(exc).__name__}: {redact_url(str(exc))[:160]}",
                "timings": {}}


def _detail(outcome: dict) -> str:
    if outcome["status"] == "failed":
        return outcome.get("reason", "")
    report = outcome.get("report") or {}
    rubrics = report.get("rubrics", {})
    if not rubrics:
        return f"commit {str(outcome.get('commit'))[:12]}"
    return f"ML Test Score {rubrics['ml-test-score']['score']}, robustness {rubrics['robustness']['total']}"


def _unchanged_here(entry: FleetEntry, known_commit: str | None) -> dict | None:
    """A local repository still at its last audited commit is seen without starting an audit
    process (a git rev-parse, with the audit's safe git environment); URLs need a fetch first."""
    if entry.is_url or not known_commit:
        return None
    t0 = time.perf_counter()
    if resolve_commit(entry.source, entry.rev) != known_commit:
        return None
    return {"status": "unchanged", "commit": known_commit, "timings": {"clone_seconds": time.perf_counter() - t0}}


def run_fleet(entries: list[FleetEntry], store: Store, *, workers: int = 2, scheduler: str | None = None,
              timeout: float = DEFAULT_TIMEOUT_SECONDS, cache_dir: Path | None = None, resume: bool = False,
              jobs: int = 1, progress: Progress | None = None) -> RunSummary:
    """Audit every entry and record it; returns the run's tally and where the time went."""
    started = time.perf_counter()
    tool = ToolIdentity.current()
    digest = fleet_digest(entries)
    engine = _DaskEngine(scheduler) if scheduler else _LocalEngine(workers)  # an unreachable cluster starts no run
    run_id = store.unfinished_run(digest) if resume else None
    run_id = run_id or store.start_run(digest, len(entries))
    done = store.recorded_repos(run_id)
    todo = [e for e in entries if e.name not in done]
    summary = RunSummary(run_id=run_id, total=len(entries), resumed=len(entries) - len(todo))
    progress = progress or Progress(len(entries), enabled=False)
    progress.done = summary.resumed
    progress.start(run_id, summary.resumed)
    keys = {e.name: tool.audit_key(e) for e in todo}
    known = {e.name: store.last_success(e.name, keys[e.name]) for e in todo}

    def record(entry: FleetEntry, outcome: dict) -> None:
        t0 = time.perf_counter()
        report = outcome.get("report")
        if outcome["status"] == "unchanged":
            report = store.load_report(known[entry.name][0], entry.name)
        row = AuditRow(repo=entry.name, source=redact_url(entry.source), status=outcome["status"],
                       tool_version=tool.version, heuristics_digest=tool.heuristics, code_digest=tool.code,
                       audit_key=keys[entry.name], commit=outcome.get("commit"), reason=outcome.get("reason"),
                       report=report, timings=outcome.get("timings") or {})
        store.record(run_id, row)
        summary.database_seconds += time.perf_counter() - t0
        summary.counts[row.status] = summary.counts.get(row.status, 0) + 1
        summary.clone_seconds += row.timings.get("clone_seconds", 0.0)
        summary.analysis_seconds += row.timings.get("analysis_seconds", 0.0)
        progress.update(entry.name, row.status, _detail(outcome))

    try:
        futures = {}
        for e in todo:
            commit = (known[e.name] or (None, None))[1]
            here = None if scheduler else _unchanged_here(e, commit)
            if here:
                record(e, here)
            else:
                futures[engine.submit(_task(e, commit, cache_dir, jobs), e.timeout or timeout)] = e
        for future in engine.as_completed(list(futures)):
            record(futures[future], _outcome(future))
    except BaseException:
        kill_all()
        raise
    finally:
        engine.close()
        progress.finish()
    store.finish_run(run_id)
    summary.wall_seconds = time.perf_counter() - started
    return summary
