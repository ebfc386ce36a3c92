"""The history database's schema, as an ordered list of migration steps.

Each step moves the schema from version N-1 to N inside one transaction, so a database is always
at a version it can name (`schema_version`). A step is SQL (the same text for SQLite and
PostgreSQL; `{blob}` and `{real}` are the two type names that differ) or a Python function for
data that SQL cannot reshape (v2 reads the stored reports back to fill its new tables).
Never edit a released step: add a new one.
"""

from __future__ import annotations

import json
import zlib
from typing import Callable

V1 = [
    """CREATE TABLE runs (
        run_id TEXT PRIMARY KEY,
        fleet_digest TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        repo_count INTEGER NOT NULL)""",
    """CREATE TABLE audits (
        run_id TEXT NOT NULL REFERENCES runs(run_id),
        repo TEXT NOT NULL,
        source TEXT NOT NULL,
        commit_sha TEXT,
        status TEXT NOT NULL,
        reason TEXT,
        ml_score INTEGER,
        ml_band TEXT,
        robustness_total INTEGER,
        robustness_band TEXT,
        tool_version TEXT NOT NULL,
        heuristics_digest TEXT NOT NULL,
        audit_key TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        report {blob},
        PRIMARY KEY (run_id, repo))""",
    "CREATE INDEX audits_by_repo ON audits (repo, audit_key, status)",
    """CREATE TABLE items (
        run_id TEXT NOT NULL,
        repo TEXT NOT NULL,
        rubric TEXT NOT NULL,
        item TEXT NOT NULL,
        level TEXT,
        score INTEGER NOT NULL,
        evidence_count INTEGER NOT NULL,
        PRIMARY KEY (run_id, repo, item),
        FOREIGN KEY (run_id, repo) REFERENCES audits (run_id, repo))""",
]


def _backfill_v2(tx) -> None:
    """Sections, warnings and the warning count of every audit stored before v2, from its report."""
    from .store import report_rows

    rows = tx.query("SELECT run_id, repo, report FROM audits WHERE report IS NOT NULL")
    for run_id, repo, blob in rows:
        report = json.loads(zlib.decompress(bytes(blob)))
        _items, sections, warnings = report_rows(report)
        for rubric, section, value in sections:
            tx.execute("INSERT INTO sections (run_id, repo, rubric, section, value) VALUES (?, ?, ?, ?, ?)",
                       (run_id, repo, rubric, section, value))
        for seq, (path, message) in enumerate(warnings):
            tx.execute("INSERT INTO warnings (run_id, repo, seq, path, message) VALUES (?, ?, ?, ?, ?)",
                       (run_id, repo, seq, path, message))
        tx.execute("UPDATE audits SET warning_count = ? WHERE run_id = ? AND repo = ?", (len(warnings), run_id, repo))


V2: list[str | Callable] = [
    "ALTER TABLE audits ADD COLUMN warning_count INTEGER",
    "ALTER TABLE audits ADD COLUMN code_digest TEXT",
    "ALTER TABLE audits ADD COLUMN clone_seconds {real}",
    "ALTER TABLE audits ADD COLUMN analysis_seconds {real}",
    """CREATE TABLE sections (
        run_id TEXT NOT NULL,
        repo TEXT NOT NULL,
        rubric TEXT NOT NULL,
        section TEXT NOT NULL,
        value INTEGER NOT NULL,
        PRIMARY KEY (run_id, repo, rubric, section))""",
    """CREATE TABLE warnings (
        run_id TEXT NOT NULL,
        repo TEXT NOT NULL,
        seq INTEGER NOT NULL,
        path TEXT NOT NULL,
        message TEXT NOT NULL,
        PRIMARY KEY (run_id, repo, seq))""",
    "CREATE INDEX runs_by_fleet ON runs (fleet_digest, finished_at)",
    _backfill_v2,
]

MIGRATIONS: list[list[str | Callable]] = [V1, V2]
LATEST = len(MIGRATIONS)
