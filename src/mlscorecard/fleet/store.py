"""The fleet's history: runs, one audit row per repository per run (at the commit audited),
its item levels and scores, section scores, warnings, and the full JSON report (zlib).

Rows are keyed (run_id, repo): recording a repository twice in one run is a no-op, which is what
makes a resumed run lose and duplicate nothing. Each repository is one transaction: a run killed
at any moment leaves whole repositories or nothing of them.
"""

from __future__ import annotations

import json
import secrets
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone

from .database import DatabaseError, connect
from .migrations import LATEST, MIGRATIONS


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def report_rows(report: dict) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """(items, sections, warnings) rows of a JSON v1 report: the one place the store reads it."""
    items, sections = [], []
    for rubric_id, rubric in report.get("rubrics", {}).items():
        for item_id, item in rubric.get("items", {}).items():
            score = item.get("points", item.get("score", 0))
            items.append((rubric_id, item_id, item.get("level"), int(score or 0), len(item.get("evidence") or [])))
        for section, value in (rubric.get("sections") or rubric.get("categories") or {}).items():
            sections.append((rubric_id, section, int(value)))
    warnings = [(str(w.get("path", "")), str(w.get("message", ""))) for w in report.get("warnings", [])]
    return items, sections, warnings


@dataclass
class AuditRow:
    """What the client records for one repository in one run."""

    repo: str
    source: str
    status: str  # ok | unchanged | failed
    tool_version: str
    heuristics_digest: str
    code_digest: str
    audit_key: str
    commit: str | None = None
    reason: str | None = None
    report: dict | None = None
    timings: dict = field(default_factory=dict)


class Store:
    """The history database (SQLite file or PostgreSQL URL), migrated to the latest schema."""

    def __init__(self, target: str, *, schema: int = LATEST) -> None:
        self.db = connect(target)
        self.migrate(schema)

    # ----------------------------------------------------------------------------- schema
    def schema_version(self) -> int:
        if "schema_version" not in self.db.tables():
            return 0
        rows = self.db.query("SELECT version FROM schema_version")
        return rows[0][0] if rows else 0

    def migrate(self, target: int = LATEST) -> None:
        """Apply every missing step, one transaction each; safe when two clients start together."""
        with self.db.transaction() as tx:
            self.db.lock_schema(tx)
            tx.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            if not tx.query("SELECT version FROM schema_version"):
                tx.execute("INSERT INTO schema_version (version) VALUES (0)")
        while True:
            with self.db.transaction() as tx:
                self.db.lock_schema(tx)
                version = tx.query("SELECT version FROM schema_version")[0][0]
                if version > LATEST:
                    raise DatabaseError(f"the database has schema version {version}, newer than this "
                                        f"mlscorecard knows ({LATEST}); upgrade mlscorecard")
                if version >= target:
                    return
                for step in MIGRATIONS[version]:
                    if callable(step):
                        step(tx)
                    else:
                        tx.execute(step)
                tx.execute("UPDATE schema_version SET version = ?", (version + 1,))

    # ----------------------------------------------------------------------------- runs
    def start_run(self, fleet_digest: str, repo_count: int) -> str:
        run_id = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)
        with self.db.transaction() as tx:
            tx.execute("INSERT INTO runs (run_id, fleet_digest, started_at, repo_count) VALUES (?, ?, ?, ?)",
                       (run_id, fleet_digest, now(), repo_count))
        return run_id

    def unfinished_run(self, fleet_digest: str) -> str | None:
        rows = self.db.query("SELECT run_id FROM runs WHERE fleet_digest = ? AND finished_at IS NULL "
                             "ORDER BY started_at DESC, run_id DESC LIMIT 1", (fleet_digest,))
        return rows[0][0] if rows else None

    def finish_run(self, run_id: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("UPDATE runs SET finished_at = ? WHERE run_id = ? AND finished_at IS NULL", (now(), run_id))

    def runs(self) -> list[tuple]:
        """(run_id, started_at, finished_at, repo_count), oldest first."""
        return self.db.query("SELECT run_id, started_at, finished_at, repo_count FROM runs ORDER BY started_at, run_id")

    def recorded_repos(self, run_id: str) -> set[str]:
        return {r[0] for r in self.db.query("SELECT repo FROM audits WHERE run_id = ?", (run_id,))}

    # ----------------------------------------------------------------------------- audits
    def last_success(self, repo: str, audit_key: str) -> tuple[str, str] | None:
        """(run_id, commit) of the repository's latest good audit made with the same tool,
        heuristics and confirmations: the commit to compare HEAD with before auditing again."""
        rows = self.db.query(
            "SELECT run_id, commit_sha FROM audits WHERE repo = ? AND audit_key = ? AND status IN ('ok', 'unchanged') "
            "AND commit_sha IS NOT NULL AND report IS NOT NULL ORDER BY recorded_at DESC LIMIT 1", (repo, audit_key))
        return (rows[0][0], rows[0][1]) if rows else None

    def load_report(self, run_id: str, repo: str) -> dict | None:
        rows = self.db.query("SELECT report FROM audits WHERE run_id = ? AND repo = ?", (run_id, repo))
        return json.loads(zlib.decompress(bytes(rows[0][0]))) if rows and rows[0][0] is not None else None

    def record(self, run_id: str, row: AuditRow) -> bool:
        """Store one repository's outcome and everything derived from it in one transaction.
        False when the run already has this repository (a resumed run met a finished one)."""
        report = row.report
        ml = (report or {}).get("rubrics", {}).get("ml-test-score", {})
        rob = (report or {}).get("rubrics", {}).get("robustness", {})
        blob = zlib.compress(json.dumps(report, sort_keys=True).encode(), 6) if report is not None else None
        items, sections, warnings = report_rows(report) if report is not None else ([], [], [])
        with self.db.transaction() as tx:
            added = tx.execute(
                "INSERT INTO audits (run_id, repo, source, commit_sha, status, reason, ml_score, ml_band, "
                "robustness_total, robustness_band, tool_version, heuristics_digest, audit_key, recorded_at, "
                "report, warning_count, code_digest, clone_seconds, analysis_seconds) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (run_id, row.repo, row.source, row.commit, row.status, row.reason, ml.get("score"), ml.get("band"),
                 rob.get("total"), rob.get("band"), row.tool_version, row.heuristics_digest, row.audit_key, now(),
                 blob, len(warnings) if report is not None else None, row.code_digest,
                 row.timings.get("clone_seconds"), row.timings.get("analysis_seconds")))
            if added != 1:
                return False
            for rubric, item, level, score, count in items:
                tx.execute("INSERT INTO items (run_id, repo, rubric, item, level, score, evidence_count) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?)", (run_id, row.repo, rubric, item, level, score, count))
            for rubric, section, value in sections:
                tx.execute("INSERT INTO sections (run_id, repo, rubric, section, value) VALUES (?, ?, ?, ?, ?)",
                           (run_id, row.repo, rubric, section, value))
            for seq, (path, message) in enumerate(warnings):
                tx.execute("INSERT INTO warnings (run_id, repo, seq, path, message) VALUES (?, ?, ?, ?, ?)",
                           (run_id, row.repo, seq, path, message))
        return True

    def audits(self, run_ids: list[str]) -> list[tuple]:
        """(run_id, repo, commit, status, reason, ml_score, ml_band, robustness_total, robustness_band,
        warning_count, source) of the given runs."""
        if not run_ids:
            return []
        marks = ", ".join("?" for _ in run_ids)
        return self.db.query(
            "SELECT run_id, repo, commit_sha, status, reason, ml_score, ml_band, robustness_total, robustness_band, "
            f"warning_count, source FROM audits WHERE run_id IN ({marks}) ORDER BY repo", tuple(run_ids))

    def items(self, run_id: str) -> list[tuple]:
        """(repo, rubric, item, level, score, evidence_count) of one run."""
        return self.db.query("SELECT repo, rubric, item, level, score, evidence_count FROM items WHERE run_id = ?",
                             (run_id,))

    def sections(self, run_id: str) -> list[tuple]:
        return self.db.query("SELECT repo, rubric, section, value FROM sections WHERE run_id = ?", (run_id,))

    def close(self) -> None:
        self.db.close()


__all__ = ["Store", "AuditRow", "report_rows", "DatabaseError"]
