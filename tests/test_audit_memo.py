"""Whole audits remembered (audit_memo.py): handed back only for the same inputs, rendered
exactly as a fresh audit is, never stored after a failure that may not happen again, and
bounded per repository."""

from __future__ import annotations

import pytest

from gitrepo import git
from mlscorecard import snapshot as snapshot_module
from mlscorecard.audit import run_audit
from mlscorecard.audit_memo import KEPT
from mlscorecard.engine import files as files_module
from mlscorecard.heuristics import load_heuristics
from mlscorecard.reports import render

HEUR = load_heuristics()
FORMATS = ("json", "markdown", "terminal", "html", "sarif")
TRAIN = "import random\nrandom.seed(1)\n"
TEST = "from src.train import x\n\ndef test_x():\n    assert x\n"


def remembered(result) -> bool:
    return bool(result.stats.get("remembered"))


@pytest.fixture
def blob_reads(monkeypatch):
    seen = {"blobs": 0}
    read = snapshot_module.BlobReader.read

    def counting(self, sha):
        seen["blobs"] += 1
        return read(self, sha)

    monkeypatch.setattr(snapshot_module.BlobReader, "read", counting)
    return seen


def test_a_remembered_audit_reads_nothing_and_renders_every_format_as_a_fresh_one(fixture_repos, tmp_path, blob_reads):
    repo, cache = str(fixture_repos["production-service"]), tmp_path / "cache"
    first = run_audit(repo, cache_dir=cache)
    assert not remembered(first)
    blob_reads["blobs"] = 0
    again = run_audit(repo, cache_dir=cache)
    assert remembered(again) and blob_reads["blobs"] == 0
    fresh = run_audit(repo, cache_dir=False)
    for fmt in FORMATS:
        assert render(fmt, again, HEUR) == render(fmt, fresh, HEUR) == render(fmt, first, HEUR), fmt
    assert again.remote == fresh.remote and again.settings == fresh.settings


def test_another_commit_other_settings_or_other_answers_are_audited_afresh(repo_factory, tmp_path):
    repo = repo_factory([
        {"subject": "v1", "files": {"src/train.py": TRAIN, "tests/test_train.py": TEST}},
        {"subject": "v2", "files": {"src/train.py": "import random\nrandom.seed(2)\n"}},
    ])
    cache = tmp_path / "cache"
    answers = tmp_path / "answers.yml"
    answers.write_text("confirmations:\n  infra-6: {level: manual, by: Ada}\n")
    runs = [
        dict(rev="HEAD"), dict(rev="HEAD~1"), dict(rev="HEAD", overrides={"disable": ("seeds/global-seed",)}),
        dict(rev="HEAD", confirmations=str(answers)), dict(rev="HEAD", max_file_size=10_000),
    ]
    for kw in runs:  # each is its own key: audited afresh once, then remembered, as a fresh audit gives it
        assert not remembered(run_audit(str(repo), cache_dir=cache, **kw)), kw
        again = run_audit(str(repo), cache_dir=cache, **kw)
        assert remembered(again), kw
        assert render("json", again, HEUR) == render("json", run_audit(str(repo), cache_dir=False, **kw), HEUR), kw
    answers.write_text("confirmations:\n  infra-6: {level: automated, by: Ada}\n")
    changed = run_audit(str(repo), cache_dir=cache, confirmations=str(answers))
    assert not remembered(changed)
    assert changed.rubrics["ml-test-score"].items["infra-6"].confirmed["level"] == "automated"


def test_a_work_tree_edit_or_a_new_file_is_a_new_key(repo_factory, tmp_path):
    repo = repo_factory([{"subject": "v1", "files": {"src/train.py": TRAIN, "tests/test_train.py": TEST}}])
    cache = tmp_path / "cache"
    assert not remembered(run_audit(str(repo), cache_dir=cache, worktree=True))
    assert remembered(run_audit(str(repo), cache_dir=cache, worktree=True))
    (repo / "src" / "train.py").write_text("import numpy as np\nnp.random.seed(3)\n")
    edited = run_audit(str(repo), cache_dir=cache, worktree=True)
    assert not remembered(edited)
    assert render("json", edited, HEUR) == render("json", run_audit(str(repo), cache_dir=False, worktree=True), HEUR)
    (repo / "src" / "extra.py").write_text("import torch\ntorch.manual_seed(0)\n")  # untracked: read in a work tree
    added = run_audit(str(repo), cache_dir=cache, worktree=True)
    assert not remembered(added)
    assert any(r["path"] == "src/extra.py" for r in added.facts["seeds"])
    assert remembered(run_audit(str(repo), cache_dir=cache, worktree=True))
    git(repo, "add", "-A")  # the index is read by a staged audit: staged content is its key
    assert not remembered(run_audit(str(repo), cache_dir=cache, worktree="staged"))


def test_an_audit_in_which_a_reader_failed_is_not_remembered(repo_factory, tmp_path, monkeypatch):
    repo = repo_factory([{"subject": "v1", "files": {"src/train.py": TRAIN, "tests/test_train.py": TEST}}])
    cache = tmp_path / "cache"
    analyse = files_module.analyse_file

    def failing(plan, path, data):
        if path == "src/train.py":
            raise RuntimeError("a reader bug")
        return analyse(plan, path, data)

    import mlscorecard.collect as collect_module

    monkeypatch.setattr(collect_module, "analyse_file", failing)
    broken = run_audit(str(repo), cache_dir=cache, jobs=1)
    assert any(w.path == "src/train.py" for w in broken.warnings)
    monkeypatch.setattr(collect_module, "analyse_file", analyse)
    mended = run_audit(str(repo), cache_dir=cache, jobs=1)
    assert not remembered(mended)  # the failure's result was not kept
    assert not any(w.path == "src/train.py" for w in mended.warnings)
    assert any(r["path"] == "src/train.py" for r in mended.facts["seeds"])


def test_each_repository_keeps_its_last_few_results(repo_factory, tmp_path):
    steps = [{"subject": f"c{i}", "files": {"src/train.py": f"import random\nrandom.seed({i})\n"}} for i in range(KEPT + 2)]
    repo = repo_factory(steps)
    cache = tmp_path / "cache"
    revs = [f"HEAD~{i}" for i in range(KEPT + 1, -1, -1)]  # oldest first
    for rev in revs:
        run_audit(str(repo), rev, cache_dir=cache)
    kept = [rev for rev in revs if remembered(run_audit(str(repo), rev, cache_dir=cache, jobs=1))]
    # each recall above also audited the forgotten ones again, pushing older ones out in turn
    assert len(kept) <= KEPT
    import sqlite3

    with sqlite3.connect(cache / "cache.sqlite") as db:
        stored = db.execute("SELECT count(*) FROM blobs WHERE key LIKE '%:result:%'").fetchone()[0]
    assert stored == KEPT


def test_remember_false_and_the_environment_switch_go_through_the_per_file_cache(repo_factory, tmp_path, monkeypatch):
    repo = repo_factory([{"subject": "v1", "files": {"src/train.py": TRAIN}}])
    cache = tmp_path / "cache"
    run_audit(str(repo), cache_dir=cache)
    assert not remembered(run_audit(str(repo), cache_dir=cache, remember=False))
    monkeypatch.setenv("MLSCORECARD_REMEMBER", "0")
    assert not remembered(run_audit(str(repo), cache_dir=cache))
    monkeypatch.delenv("MLSCORECARD_REMEMBER")
    assert remembered(run_audit(str(repo), cache_dir=cache))
