"""The same fleet run on a Dask distributed cluster (a LocalCluster started here): the workers
audit, the client writes the database, and a hung repository is still stopped at its timeout."""

from __future__ import annotations

import pytest

from fleet_helpers import fleet_cli, rows
from mlscorecard.fleet.child import HANG_ON


@pytest.mark.parametrize("processes", [False, True])
def test_fleet_run_on_a_local_dask_cluster(tmp_path, fleet_repos, monkeypatch, processes):
    from distributed import LocalCluster

    monkeypatch.setenv(HANG_ON, "stuck")
    (tmp_path / "FLEET.yaml").write_text(
        "repositories:\n"
        f"  - path: {fleet_repos['tested-training']}\n"
        f"  - url: file://{fleet_repos['production-service']}\n"
        f"  - path: {fleet_repos['research-script']}\n    name: stuck\n    timeout: 2\n"
        f"  - path: {tmp_path}/missing\n")
    db = tmp_path / "h.sqlite"
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=processes, dashboard_address=None,
                      worker_dashboard_address=None) as cluster:
        run_id = fleet_cli("run", tmp_path / "FLEET.yaml", "--db", db, "--scheduler", cluster.scheduler_address,
                           "--cache-dir", tmp_path / "cache", "--quiet").stdout.strip()
    got = dict(rows(db, "SELECT repo, status || ':' || COALESCE(reason, commit_sha) FROM audits WHERE run_id = ?", (run_id,)))
    assert got["tested-training"].startswith("ok:") and got["production-service"].startswith("ok:")
    assert got["stuck"] == "failed:timed out after 2 s; the audit was stopped"
    assert got["missing"] == f"failed:{tmp_path}/missing: no such file or directory"
    assert rows(db, "SELECT COUNT(*) FROM items WHERE run_id = ?", (run_id,)) == [(2 * 50,)]
