"""The history database: schema migrations (v1 to the latest), unique keys, concurrent writers,
and the same store on a real PostgreSQL server when one can be started."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
import zlib
from pathlib import Path

import pytest

import pgserver
from fleet_helpers import fleet_cli, rows
from mlscorecard.fleet.database import DatabaseError
from mlscorecard.fleet.migrations import LATEST
from mlscorecard.fleet.store import AuditRow, Store

SRC = str(Path(__file__).resolve().parents[2] / "src")
REPORT = {"rubrics": {
    "ml-test-score": {"score": 1, "band": "serious holes in reliability", "sections": {"data": 1, "model": 2},
                      "items": {"data-1": {"level": "manual", "points": 1, "evidence": [{"path": "a.py"}]},
                                "model-1": {"level": "none", "points": 0, "evidence": []}}},
    "robustness": {"total": 5, "band": "not ready", "categories": {"data": 5},
                   "items": {"data.quality": {"score": 3, "evidence": []}}}},
    "warnings": [{"path": "x.ipynb", "message": "not valid JSON; skipped"}]}


def _row(repo: str, status: str = "ok", report: dict | None = REPORT, commit: str = "a" * 40) -> AuditRow:
    return AuditRow(repo=repo, source=f"/srv/{repo}", status=status, tool_version="0.1.0", heuristics_digest="h",
                    code_digest="c", audit_key="k", commit=commit, report=report, timings={"clone_seconds": 0.5})


def _exercise(store: Store) -> None:
    """What every backend must do the same way."""
    assert store.schema_version() == LATEST
    run = store.start_run("fleet", 2)
    assert store.unfinished_run("fleet") == run and store.unfinished_run("other") is None
    assert store.record(run, _row("a")) is True
    assert store.record(run, _row("a", status="failed", report=None)) is False  # unique (run, repo)
    assert store.record(run, _row("b", status="failed", report=None, commit=None)) is True
    assert store.recorded_repos(run) == {"a", "b"}
    assert store.last_success("a", "k") == (run, "a" * 40) and store.last_success("b", "k") is None
    assert store.load_report(run, "a") == REPORT
    assert sorted(store.items(run)) == [("a", "ml-test-score", "data-1", "manual", 1, 1),
                                        ("a", "ml-test-score", "model-1", "none", 0, 0),
                                        ("a", "robustness", "data.quality", None, 3, 0)]
    assert ("a", "ml-test-score", "model", 2) in store.sections(run)
    store.finish_run(run)
    assert store.unfinished_run("fleet") is None
    (audit,) = [a for a in store.audits([run]) if a[1] == "a"]
    assert audit[3:10] == ("ok", None, 1, "serious holes in reliability", 5, "not ready", 1)


def test_sqlite_store(tmp_path):
    store = Store(str(tmp_path / "h.sqlite"))
    _exercise(store)
    assert store.db.query("PRAGMA journal_mode") == [("wal",)]
    store.close()
    assert Store(str(tmp_path / "h.sqlite")).schema_version() == LATEST  # reopening migrates nothing


def test_migrating_a_v1_database_to_the_latest_keeps_and_backfills(tmp_path):
    db = tmp_path / "old.sqlite"
    old = Store(str(db), schema=1)
    assert old.schema_version() == 1 and "sections" not in old.db.tables()
    with old.db.transaction() as tx:
        tx.execute("INSERT INTO runs VALUES ('r1', 'f', '2026-01-01T00:00:00Z', '2026-01-01T00:10:00Z', 1)")
        tx.execute("INSERT INTO audits (run_id, repo, source, commit_sha, status, ml_score, ml_band, robustness_total, "
                   "robustness_band, tool_version, heuristics_digest, audit_key, recorded_at, report) "
                   "VALUES ('r1', 'a', '/srv/a', ?, 'ok', 1, 'b', 5, 'n', '0.0.9', 'h', 'k', 'now', ?)",
                   ("a" * 40, zlib.compress(json.dumps(REPORT).encode())))
        tx.execute("INSERT INTO items VALUES ('r1', 'a', 'ml-test-score', 'data-1', 'manual', 1, 1)")
    old.close()
    new = Store(str(db))
    assert new.schema_version() == LATEST == 2
    assert sorted(new.sections("r1")) == [("a", "ml-test-score", "data", 1), ("a", "ml-test-score", "model", 2),
                                          ("a", "robustness", "data", 5)]
    assert rows(db, "SELECT repo, seq, path FROM warnings") == [("a", 0, "x.ipynb")]
    assert rows(db, "SELECT warning_count, clone_seconds FROM audits") == [(1, None)]
    assert new.items("r1") == [("a", "ml-test-score", "data-1", "manual", 1, 1)]
    assert new.last_success("a", "k") == ("r1", "a" * 40)


def test_a_database_from_a_newer_mlscorecard_is_refused(tmp_path):
    db = tmp_path / "new.sqlite"
    Store(str(db)).close()
    with Store(str(db)).db.transaction() as tx:
        tx.execute("UPDATE schema_version SET version = 99")
    with pytest.raises(DatabaseError, match="schema version 99, newer"):
        Store(str(db))
    assert "newer than this" in fleet_cli("report", "--db", db, code=2).stderr


WRITER = """
import sys
from mlscorecard.fleet.store import AuditRow, Store
db, who, shared = sys.argv[1], sys.argv[2], sys.argv[3]
store = Store(db)
with store.db.transaction() as tx:
    tx.execute("INSERT INTO runs (run_id, fleet_digest, started_at, repo_count) VALUES (?, 'shared', 'now', 40) "
               "ON CONFLICT DO NOTHING", (shared,))
for n in range(40):
    run = store.start_run(who, 1)
    row = dict(source="s", status="ok", tool_version="v", heuristics_digest="h", code_digest="c", audit_key="k",
               commit="c" * 40, report={"rubrics": {"ml-test-score": {"score": n, "items": {
                   f"i{m}": {"level": "none", "points": 0, "evidence": []} for m in range(20)}}}})
    store.record(run, AuditRow(repo=f"{who}-{n}", **row))
    store.record(shared, AuditRow(repo=f"repo-{n}", **row))  # both writers race for the same keys
    store.finish_run(run)
"""


def test_two_processes_writing_at_once_never_corrupt_it(tmp_path):
    db = tmp_path / "shared.sqlite"
    # a new file: both writers create and migrate it at once, then race for the same keys
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(db), who, "shared-run"], env={"PYTHONPATH": SRC},
                              stderr=subprocess.PIPE) for who in ("w1", "w2")]
    for p in procs:
        assert p.wait(timeout=120) == 0, p.stderr.read().decode()
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]
    assert rows(db, "SELECT COUNT(*) FROM audits WHERE repo LIKE 'w_-%'") == [(80,)]
    assert rows(db, "SELECT COUNT(*), COUNT(DISTINCT repo) FROM audits WHERE repo LIKE 'repo-%'") == [(40, 40)]
    assert rows(db, "SELECT COUNT(*) FROM items") == [(120 * 20,)]
    assert rows(db, "SELECT version FROM schema_version") == [(LATEST,)]


@pytest.fixture(scope="module")
def postgres():
    reason = pgserver.why_not()
    if reason:
        pytest.skip(reason)
    server = pgserver.start()
    yield server
    server.stop()


@pytest.fixture
def pg_url(postgres):
    import psycopg

    name = "t_" + uuid.uuid4().hex[:10]
    with psycopg.connect(postgres.url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return postgres.url.rsplit("/", 1)[0] + "/" + name


def test_postgresql_store(pg_url):
    store = Store(pg_url)
    _exercise(store)
    store.close()
    assert Store(pg_url).schema_version() == LATEST  # reopening migrates nothing


def test_postgresql_migration_from_v1(postgres):
    import psycopg

    with psycopg.connect(postgres.url, autocommit=True) as conn:
        conn.execute("CREATE DATABASE t_migrate")
    url = postgres.url.rsplit("/", 1)[0] + "/t_migrate"
    old = Store(url, schema=1)
    run = old.start_run("f", 1)
    with old.db.transaction() as tx:
        tx.execute("INSERT INTO audits (run_id, repo, source, status, tool_version, heuristics_digest, audit_key, "
                   "recorded_at, report) VALUES (?, 'a', 's', 'ok', 'v', 'h', 'k', 'now', ?)",
                   (run, zlib.compress(json.dumps(REPORT).encode())))
    old.close()
    new = Store(url)
    assert new.schema_version() == LATEST and len(new.sections(run)) == 3


def test_fleet_run_and_report_on_postgresql(pg_url, fleet_repos, tmp_path):
    run_id = fleet_cli("run", fleet_repos["tested-training"], "/nonexistent", "--db", pg_url, "--quiet").stdout.strip()
    again = fleet_cli("run", fleet_repos["tested-training"], "/nonexistent", "--db", pg_url, "--quiet").stdout.strip()
    store = Store(pg_url)
    statuses = {(a[0], a[1]): a[3] for a in store.audits([run_id, again])}
    assert statuses == {(run_id, "tested-training"): "ok", (run_id, "nonexistent"): "failed",
                        (again, "tested-training"): "unchanged", (again, "nonexistent"): "failed"}
    report = fleet_cli("report", "--db", pg_url).stdout
    assert "tested-training" in report and "/nonexistent: no such file or directory" in report


def test_unreachable_postgresql_is_one_line_without_the_password(tmp_path):
    res = fleet_cli("report", "--db", "postgresql://ada:hunter2@127.0.0.1:9/fleet", code=2)
    assert "hunter2" not in res.stderr and "cannot connect" in res.stderr and res.stderr.count("\n") == 1
