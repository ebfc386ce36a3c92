"""`fleet run` end to end on real repositories: local paths, bare mirrors and file:// URLs, with
one that cannot be cloned, one that hangs and one that crashes; then unchanged detection, new
commits fetched, and what the database holds."""

from __future__ import annotations

import json
import os
import zlib

from fleet_helpers import audits_of, commit_file, fleet_cli, rows
from gitrepo import git, make_repo
from mlscorecard.audit import run_audit
from mlscorecard.fleet.child import CRASH_ON, HANG_ON


def _manifest(tmp_path, fleet_repos):
    bare = make_repo(tmp_path / "src" / "service", [{"subject": "init", "files": {"train.py": "import torch\n"}}],
                     bare_copy=True)
    text = (
        "defaults: {timeout: 60}\n"
        "repositories:\n"
        f"  - path: {fleet_repos['tested-training']}\n"
        f"  - path: {bare}\n    name: service-mirror\n"
        f"  - url: file://{fleet_repos['production-service']}\n    name: production\n"
        f"  - url: file://{tmp_path}/no-such-repo.git\n    name: gone\n"
        f"  - path: {fleet_repos['research-script']}\n    name: hangs\n    timeout: 2\n"
        f"  - path: {fleet_repos['research-script']}\n    name: crashes\n"
        f"  - path: {tmp_path}/missing\n")
    (tmp_path / "FLEET.yaml").write_text(text)
    return tmp_path / "FLEET.yaml"


def test_run_records_each_repository_and_never_stops_for_one(tmp_path, fleet_repos, monkeypatch):
    monkeypatch.setenv(HANG_ON, "hangs")
    monkeypatch.setenv(CRASH_ON, "crashes")
    manifest = _manifest(tmp_path, fleet_repos)
    db, cache = tmp_path / "history.sqlite", tmp_path / "cache"
    res = fleet_cli("run", manifest, "--db", db, "--workers", "3", "--cache-dir", cache)
    run_id = res.stdout.strip()
    assert audits_of(os.getpid()) == []  # the hung audit was killed, with any git process it started
    assert "[7/7]" in res.stderr and "done: 3 audited, 0 unchanged, 4 failed" in res.stderr  # plain lines: no TTY
    got = {r[0]: r[1:] for r in rows(db, "SELECT repo, status, reason, commit_sha, ml_score FROM audits WHERE run_id = ?",
                                      (run_id,))}
    assert set(got) == {"tested-training", "service-mirror", "production", "gone", "hangs", "crashes", "missing"}
    assert got["hangs"][:2] == ("failed", "timed out after 2 s; the audit was stopped")
    assert got["crashes"][0] == "failed" and got["crashes"][1].startswith("the audit process died (killed by signal SIGABRT)")
    assert got["gone"][0] == "failed" and "cannot clone file://" in got["gone"][1] and "does not appear to be a git repository" in got["gone"][1]
    assert got["missing"][:2] == ("failed", f"{tmp_path}/missing: no such file or directory")
    # the scores are those of a direct audit of the same commit
    direct = run_audit(str(fleet_repos["production-service"]), cache_dir=False)
    assert got["production"][2:] == (direct.commit, direct.rubrics["ml-test-score"].score)
    assert got["tested-training"][2] == git(fleet_repos["tested-training"], "rev-parse", "HEAD")
    # full report, items, sections and warnings are stored for every audited repository
    (blob,) = rows(db, "SELECT report FROM audits WHERE run_id = ? AND repo = 'production'", (run_id,))[0]
    report = json.loads(zlib.decompress(blob))
    assert report["rubrics"]["robustness"]["total"] == direct.rubrics["robustness"].score
    assert rows(db, "SELECT COUNT(*) FROM items WHERE run_id = ? AND repo = 'production'", (run_id,))[0][0] == 28 + 22
    assert rows(db, "SELECT COUNT(*) FROM sections WHERE run_id = ? AND repo = 'production'", (run_id,))[0][0] == 4 + 6
    levels = dict(rows(db, "SELECT item, level FROM items WHERE run_id = ? AND repo = 'production'", (run_id,)))
    assert levels["data-1"] == report["rubrics"]["ml-test-score"]["items"]["data-1"]["level"]
    assert rows(db, "SELECT finished_at IS NOT NULL FROM runs WHERE run_id = ?", (run_id,)) == [(1,)]
    # the URL was cloned bare, without hooks and without a work tree
    (clone,) = [p for p in (cache / "clones").iterdir() if p.is_dir()]
    assert (clone / "HEAD").is_file() and not (clone / ".git").exists()
    assert git(clone, "config", "core.hooksPath") == "/dev/null" and git(clone, "config", "core.bare") == "true"


def test_second_run_skips_unchanged_and_fetches_new_commits(tmp_path, fleet_repos):
    prod, tt = fleet_repos["production-service"], fleet_repos["tested-training"]
    db, cache = tmp_path / "history.sqlite", tmp_path / "cache"
    args = ["run", tt, f"file://{prod}", "--db", db, "--cache-dir", cache, "--quiet"]
    first = fleet_cli(*args).stdout.strip()
    second = fleet_cli(*args).stdout.strip()
    assert first != second
    now = dict(rows(db, "SELECT repo, status FROM audits WHERE run_id = ?", (second,)))
    assert now == {"tested-training": "unchanged", "production-service": "unchanged"}
    before = rows(db, "SELECT repo, commit_sha, ml_score, robustness_total FROM audits WHERE run_id = ? ORDER BY repo", (first,))
    assert rows(db, "SELECT repo, commit_sha, ml_score, robustness_total FROM audits WHERE run_id = ? ORDER BY repo", (second,)) == before
    assert rows(db, "SELECT COUNT(*) FROM items WHERE run_id = ?", (second,)) == [(2 * 50,)]  # reused, not left empty
    new_sha = commit_file(prod, "notes.md", "more\n", "a new commit upstream")
    third = fleet_cli(*args).stdout.strip()
    now = {r[0]: r[1:] for r in rows(db, "SELECT repo, status, commit_sha FROM audits WHERE run_id = ?", (third,))}
    assert now == {"tested-training": ("unchanged", git(tt, "rev-parse", "HEAD")), "production-service": ("ok", new_sha)}


def test_fresh_run_is_new_and_resume_of_a_finished_fleet_starts_a_new_run(tmp_path, fleet_repos):
    db = tmp_path / "h.sqlite"
    a = fleet_cli("run", fleet_repos["research-script"], "--db", db, "--quiet").stdout.strip()
    b = fleet_cli("run", fleet_repos["research-script"], "--db", db, "--quiet", "--resume").stdout.strip()
    assert a != b and rows(db, "SELECT COUNT(*) FROM runs") == [(2,)]


def test_progress_is_a_bar_on_a_terminal_and_lines_otherwise():
    import io

    from mlscorecard.fleet.progress import Progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty, log = Terminal(), io.StringIO()
    for stream in (tty, log):
        p = Progress(2, stream=stream)
        p.start("run-1", 0)
        p.update("a\x1b[31m", "ok", "ML Test Score 3")
        p.update("b", "failed", "timed out")
        p.finish()
    assert "\r[###############---------------] 1/2 ok 1 unchanged 0 failed 0  a\\x1b[31m" in tty.getvalue()
    assert tty.getvalue().endswith("b\x1b[K\n")
    assert log.getvalue().splitlines()[1:] == ["mlscorecard fleet: [1/2] a\\x1b[31m: ok — ML Test Score 3",
                                               "mlscorecard fleet: [2/2] b: failed — timed out"]


def test_nothing_in_the_current_directory_can_shadow_the_audit_code(tmp_path, fleet_repos, monkeypatch):
    """A checkout holding a package named `mlscorecard` is audited, never imported."""
    evil = fleet_repos["research-script"]
    (evil / "mlscorecard" / "fleet").mkdir(parents=True)
    marker = tmp_path / "executed"
    for init in ("mlscorecard/__init__.py", "mlscorecard/fleet/__init__.py", "mlscorecard/fleet/child.py"):
        (evil / init).write_text(f"open({str(marker)!r}, 'w').write('pwned')\n")
    git(evil, "add", "-A")
    git(evil, "commit", "-q", "-m", "a package named like ours")
    monkeypatch.chdir(evil)
    res = fleet_cli("run", ".", "--db", tmp_path / "h.sqlite", "--cache-dir", "cache", "--quiet")
    assert rows(tmp_path / "h.sqlite", "SELECT status FROM audits WHERE run_id = ?", (res.stdout.strip(),)) == [("ok",)]
    assert not marker.exists()
