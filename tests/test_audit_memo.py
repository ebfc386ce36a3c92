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
    moved = tmp_path / "moved.yml"  # the same answers elsewhere: the report names the file
    moved.write_bytes(answers.read_bytes())
    elsewhere = run_audit(str(repo), cache_dir=cache, confirmations=str(moved))
    assert not remembered(elsewhere)
    assert elsewhere.rubrics["ml-test-score"].items["infra-6"].confirmed["path"] == str(moved)


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


def test_the_index_is_the_key_of_a_staged_audit(repo_factory, tmp_path):
    repo = repo_factory([{"subject": "v1", "files": {"src/train.py": TRAIN}}])
    cache = tmp_path / "cache"
    assert not remembered(run_audit(str(repo), cache_dir=cache, worktree="staged"))
    assert remembered(run_audit(str(repo), cache_dir=cache, worktree="staged"))
    (repo / "src" / "train.py").write_text("import numpy as np\nnp.random.seed(3)\n")
    assert remembered(run_audit(str(repo), cache_dir=cache, worktree="staged"))  # unstaged: not what is audited
    git(repo, "add", "src/train.py")
    staged = run_audit(str(repo), cache_dir=cache, worktree="staged")
    assert not remembered(staged)
    assert [r.get("call") for r in staged.facts["seeds"]] == [
        r.get("call") for r in run_audit(str(repo), cache_dir=False, worktree="staged").facts["seeds"]]
    assert any("numpy" in (r.get("call") or "") for r in staged.facts["seeds"])


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
    assert stored_results(cache) == KEPT
    newest = revs[-KEPT:]
    assert all(remembered(run_audit(str(repo), rev, cache_dir=cache)) for rev in reversed(newest))
    assert not remembered(run_audit(str(repo), revs[0], cache_dir=cache))  # the oldest was let go
    assert stored_results(cache) == KEPT


def stored_results(cache) -> int:
    import sqlite3

    with sqlite3.connect(cache / "cache.sqlite") as db:
        return db.execute("SELECT count(*) FROM blobs WHERE key LIKE '%:result:%'").fetchone()[0]


def test_two_audits_storing_at_once_keep_the_bound(repo_factory, tmp_path):
    """A pull request's two sides finish together: each store reads and rewrites the slot in one
    transaction, so neither loses the other's key nor leaves an orphan."""
    from mlscorecard.cache import BlobCache

    cache = tmp_path / "cache"
    a, b = BlobCache(cache, "ns"), BlobCache(cache, "ns")
    for i in range(5):
        a.put_packed_kept("result", f"base{i}", {"i": i}, "result-slot", "repo", KEPT)
        b.put_packed_kept("result", f"head{i}", {"i": i}, "result-slot", "repo", KEPT)
    a.close()
    b.close()
    assert stored_results(cache) == KEPT
    check = BlobCache(cache, "ns")
    assert check.get("result-slot", "repo") == ["head4", "base4", "head3", "base3"]
    assert check.get_packed("result", "head4") == {"i": 4}


def test_remember_false_and_the_environment_switch_go_through_the_per_file_cache(repo_factory, tmp_path, monkeypatch):
    repo = repo_factory([{"subject": "v1", "files": {"src/train.py": TRAIN}}])
    cache = tmp_path / "cache"
    run_audit(str(repo), cache_dir=cache)
    assert not remembered(run_audit(str(repo), cache_dir=cache, remember=False))
    monkeypatch.setenv("MLSCORECARD_REMEMBER", "0")
    assert not remembered(run_audit(str(repo), cache_dir=cache))
    monkeypatch.delenv("MLSCORECARD_REMEMBER")
    assert remembered(run_audit(str(repo), cache_dir=cache))


def test_the_answers_on_disk_are_part_of_the_key(repo_factory, tmp_path):
    answers = "confirmations:\n  infra-6: {level: manual, by: Ada}\n"
    repo = repo_factory([{"subject": "v1", "files": {"src/train.py": TRAIN, ".mlscorecard.yml": answers}}])
    cache = tmp_path / "cache"
    level = lambda r: r.rubrics["ml-test-score"].items["infra-6"].confirmed["level"]  # noqa: E731
    assert level(run_audit(str(repo), cache_dir=cache)) == "manual"  # the last commit, the answers on disk
    (repo / ".mlscorecard.yml").write_text(answers.replace("manual", "automated"))  # not committed
    edited = run_audit(str(repo), cache_dir=cache)
    assert not remembered(edited) and level(edited) == "automated"
    named = run_audit(str(repo), "main", cache_dir=cache)  # a named revision: its committed answers
    assert not remembered(named) and level(named) == "manual"
    assert remembered(run_audit(str(repo), cache_dir=cache)) and remembered(run_audit(str(repo), "main", cache_dir=cache))


def test_a_remembered_remote_is_redacted_as_a_fresh_one(repo_factory, tmp_path):
    repo = repo_factory([{"subject": "v1", "files": {"src/train.py": TRAIN}}])
    token = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    git(repo, "remote", "add", "origin", f"https://github.com/{token}/repo.git")
    cache = tmp_path / "cache"
    run_audit(str(repo), cache_dir=cache)
    again = run_audit(str(repo), cache_dir=cache)
    assert remembered(again)
    for fmt in FORMATS:
        out = render(fmt, again, HEUR)
        assert token[4:10] not in out, fmt
        assert out == render(fmt, run_audit(str(repo), cache_dir=False), HEUR), fmt


def test_deepening_a_shallow_clone_is_another_history(repo_factory, tmp_path):
    steps = [{"subject": f"c{i}", "files": {f"f{i}.py": "x = 1\n"}} for i in range(6)]
    source = repo_factory(steps)
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "--depth", "2", f"file://{source}", str(shallow))
    cache = tmp_path / "cache"
    before = run_audit(str(shallow), cache_dir=cache)
    assert remembered(run_audit(str(shallow), cache_dir=cache))
    git(shallow, "fetch", "--deepen=3")
    deeper = run_audit(str(shallow), cache_dir=cache)
    assert not remembered(deeper)
    total = lambda r: r.facts["review"]["total_commits"]  # noqa: E731
    assert total(deeper) == total(run_audit(str(shallow), cache_dir=False)) > total(before)


def test_a_history_that_failed_is_neither_cached_nor_remembered(repo_factory, tmp_path, monkeypatch):
    import mlscorecard.collect as collect_module
    from mlscorecard.errors import note_transient

    repo = repo_factory([{"subject": "v1", "files": {"src/train.py": TRAIN}},
                         {"subject": "v2", "kind": "merge", "files": {"src/other.py": "x = 1\n"}}])
    cache = tmp_path / "cache"
    real = collect_module.review_facts

    def timed_out(snap, started=None):
        note_transient()  # as git timing out does
        snap.warn(".", "git log did not finish")
        return None

    monkeypatch.setattr(collect_module, "review_facts", timed_out)
    broken = run_audit(str(repo), cache_dir=cache)
    assert not broken.facts["review"]["available"]
    monkeypatch.setattr(collect_module, "review_facts", real)
    mended = run_audit(str(repo), cache_dir=cache)
    assert not remembered(mended) and mended.facts["review"]["available"]
    assert not any(w.message == "git log did not finish" for w in mended.warnings)
