"""A run killed with SIGKILL in the middle and started again with --resume: every repository is
recorded exactly once in the same run, the ones finished before the kill are kept as they were,
and no audit process outlives the killed client."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from fleet_helpers import audits_of, fleet_cli, rows
from gitrepo import make_repo
from mlscorecard.fleet.child import HANG_ON

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _wait_for(predicate, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.1)


def test_sigkill_mid_run_then_resume_loses_and_duplicates_nothing(tmp_path):
    names = [f"r{n}" for n in range(6)]
    lines = ["repositories:"]
    for n, name in enumerate(names):
        repo = make_repo(tmp_path / name, [{"subject": "init", "files": {"train.py": f"import torch\nEPOCHS = {n}\n"}}])
        lines.append(f"  - path: {repo}")
    manifest = tmp_path / "FLEET.yaml"
    manifest.write_text("\n".join(lines) + "\n")
    db = tmp_path / "history.sqlite"
    env = {**os.environ, "PYTHONPATH": SRC, HANG_ON: "r3"}  # r3 hangs, so the run is surely mid-way
    cmd = [sys.executable, "-c", "from mlscorecard.fleet.cli import fleet; fleet()", "run", str(manifest),
           "--db", str(db), "--workers", "1", "--timeout", "300"]
    client = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_for(lambda: db.exists() and "audits" in {r[0] for r in rows(db, "SELECT name FROM sqlite_master")}
                  and rows(db, "SELECT COUNT(*) FROM audits")[0][0] == 3)
        _wait_for(lambda: len(audits_of(client.pid)) >= 1)  # the hanging audit of r3 is running
        hung = audits_of(client.pid)
        client.send_signal(signal.SIGKILL)
        client.wait(timeout=30)
    finally:
        if client.poll() is None:
            client.kill()
    _wait_for(lambda: not [p for p in hung if Path(f"/proc/{p}").exists() and
                           "Z" not in (Path(f"/proc/{p}/stat").read_text().split()[2:3] or ["Z"])], 30)
    before = rows(db, "SELECT run_id, repo, status, commit_sha, recorded_at FROM audits ORDER BY repo")
    (run_id,) = {r[0] for r in before}
    assert [r[1] for r in before] == ["r0", "r1", "r2"]
    assert rows(db, "SELECT finished_at FROM runs") == [(None,)]

    res = fleet_cli("run", manifest, "--db", db, "--resume")
    assert res.stdout.strip() == run_id and "3 already recorded" in res.stderr
    after = rows(db, "SELECT run_id, repo, status, commit_sha, recorded_at FROM audits ORDER BY repo")
    assert [r[1] for r in after] == names and {r[0] for r in after} == {run_id}
    assert after[:3] == before and all(r[2] == "ok" for r in after)
    assert rows(db, "SELECT COUNT(*), COUNT(finished_at) FROM runs") == [(1, 1)]
    assert rows(db, "SELECT COUNT(*) FROM items") == [(6 * 50,)]
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]
