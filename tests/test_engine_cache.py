"""The engine and its caches: what a warm audit skips, and that nothing it skips changes a report.

Per-file results are keyed by blob and path; repository-level results (CI, dependencies,
CODEOWNERS) are reused only while every file and listing they read is unchanged; the history
is cached per commit, and an ancestor's commit count is derived from a descendant's.
"""

from __future__ import annotations

import re
import subprocess

import pytest

from gitrepo import fixture_files, git
from mlscorecard import snapshot as snapshot_module
from mlscorecard.audit import run_audit
from mlscorecard.cache import BlobCache
from mlscorecard.collect import collect
from mlscorecard.engine import files as files_module
from mlscorecard.engine.python import Interest, analyse_python
from mlscorecard.engine.python_libcst import analyse_with_libcst
from mlscorecard.globs import GlobSet, glob_to_regex
from mlscorecard.heuristics import load_heuristics
from mlscorecard.reports import render
from mlscorecard.snapshot import Snapshot

HEUR = load_heuristics()
WORKFLOW = """\
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: pytest tests
"""


def report(path, cache, rev=None) -> str:
    """The JSON report, through the per-file caches (not a whole result remembered: that is
    test_audit_memo.py's)."""
    return render("json", run_audit(str(path), rev, cache_dir=cache, remember=False), HEUR)


@pytest.fixture
def counters(monkeypatch):
    """How many blobs are read and files analysed, across the audits of one test."""
    seen = {"blobs": 0, "analysed": []}
    read, analyse = snapshot_module.BlobReader.read, files_module.analyse_file

    def counting_read(self, sha):
        seen["blobs"] += 1
        return read(self, sha)

    def counting_analyse(plan, path, data):
        seen["analysed"].append(path)
        return analyse(plan, path, data)

    monkeypatch.setattr(snapshot_module.BlobReader, "read", counting_read)
    monkeypatch.setattr(files_module, "analyse_file", counting_analyse)
    import mlscorecard.collect as collect_module

    monkeypatch.setattr(collect_module, "analyse_file", counting_analyse)
    return seen


def test_a_warm_audit_reads_no_blob_and_analyses_nothing(fixture_repos, tmp_path, counters):
    repo, cache = fixture_repos["production-service"], tmp_path / "cache"
    cold = report(repo, cache)
    assert counters["blobs"] > 0 and counters["analysed"]
    counters["blobs"], counters["analysed"] = 0, []
    warm = report(repo, cache)
    assert warm == cold
    assert counters["blobs"] == 0 and counters["analysed"] == []


def test_another_commit_reanalyses_only_the_files_that_differ(repo_factory, tmp_path, counters):
    repo = repo_factory([
        {"subject": "v1", "files": {"src/train.py": "import random\nrandom.seed(1)\n", "src/other.py": "x = 1\n",
                                    ".github/workflows/ci.yml": WORKFLOW,
                                    "tests/test_train.py": "from src.train import x\n\ndef test_x():\n    assert x\n"}},
        {"subject": "v2", "files": {"src/train.py": "import random\nrandom.seed(2)\n"}},
    ])
    cache = tmp_path / "cache"
    head = report(repo, cache)
    counters["analysed"], counters["blobs"] = [], 0
    base = report(repo, cache, "HEAD~1")
    assert counters["analysed"] == ["src/train.py"]
    assert base == report(repo, tmp_path / "cold", "HEAD~1")  # the same as without any cache
    assert base != head


def test_same_bytes_at_two_paths_are_two_results(repo_factory, tmp_path):
    """Relative imports, contexts and path globs depend on where a file is: the cache keys on both."""
    code = "import random\nfrom .model import fit\nrandom.seed(0)\n"
    repo = repo_factory([{"subject": "v1", "files": {"serving/api/step.py": code, "training/jobs/step.py": code}}])
    cache = BlobCache(tmp_path / "cache", "test")
    for _ in range(2):  # cold, then warm
        facts = collect(Snapshot.open(str(repo)), HEUR, cache)
        cache.flush()
        imports = {p: [name for name, _ in facts.python[p]["imports"]] for p in facts.python}
        assert "serving.api.model.fit" in imports["serving/api/step.py"]
        assert "training.jobs.model.fit" in imports["training/jobs/step.py"]
        assert "serving" in facts.contexts["serving/api/step.py"]
        assert "serving" not in facts.contexts["training/jobs/step.py"]
    assert cache.hits == 2


def test_ci_is_read_again_when_a_file_it_runs_changes(repo_factory, tmp_path, counters):
    workflow = WORKFLOW.replace("pytest tests", "bash scripts/check.sh")
    repo = repo_factory([
        {"subject": "v1", "files": {".github/workflows/ci.yml": workflow, "scripts/check.sh": "echo nothing\n",
                                    "tests/test_model.py": "from src.model import make\n\ndef test_make():\n    assert make()\n",
                                    "src/model.py": "from sklearn.linear_model import LogisticRegression\n\n"
                                                    "def make():\n    return LogisticRegression()\n"}},
        {"subject": "v2", "files": {"scripts/check.sh": "pytest tests\n"}},
    ])
    cache = tmp_path / "cache"
    old = run_audit(str(repo), "HEAD~1", cache_dir=cache, remember=False)
    new = run_audit(str(repo), cache_dir=cache, remember=False)
    level = {r: run.rubrics["ml-test-score"].items["infra-2"].level for r, run in (("old", old), ("new", new))}
    assert level == {"old": "manual", "new": "automated"}  # the script now runs the model's tests
    assert render("json", new, HEUR) == report(repo, tmp_path / "cold")


def test_ci_warnings_come_back_from_the_cache(repo_factory, tmp_path):
    repo = repo_factory([{"subject": "v1", "files": {".github/workflows/ci.yml": "on: [push\njobs: {\n"}}])
    cache = tmp_path / "cache"
    cold = run_audit(str(repo), cache_dir=cache, remember=False)
    warm = run_audit(str(repo), cache_dir=cache, remember=False)
    assert [w for w in cold.warnings if "ci.yml" in w.path]
    assert warm.warnings == cold.warnings


def test_commit_counts_from_a_descendant_are_exact(repo_factory, tmp_path):
    steps = [{"subject": f"c{i}", "kind": "merge" if i % 3 == 0 else "direct", "files": {f"f{i}.py": "x = 1\n"}}
             for i in range(1, 9)]
    repo = repo_factory(steps)
    cache = tmp_path / "cache"
    run_audit(str(repo), cache_dir=cache, remember=False)  # HEAD's count is now known
    for rev in ("HEAD~1", "HEAD~3", "HEAD^2", "HEAD~2^2"):
        try:
            expected = int(git(repo, "rev-list", "--count", rev))
        except subprocess.CalledProcessError:
            continue
        got = run_audit(str(repo), rev, cache_dir=cache, remember=False).facts["review"]["total_commits"]
        assert got == expected, rev


def test_the_heuristics_parse_is_kept_under_their_digest(tmp_path, monkeypatch):
    import mlscorecard.heuristics as heuristics_module

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    heuristics_module.load_heuristics.cache_clear()
    try:
        first = heuristics_module.load_heuristics()
        stored = list((tmp_path / "xdg" / "mlscorecard").glob(f"heuristics-{first.digest}-*.marshal"))
        assert len(stored) == 1
        heuristics_module.load_heuristics.cache_clear()
        monkeypatch.setattr(heuristics_module, "_yaml", lambda *a: pytest.fail("parsed YAML again"))
        again = heuristics_module.load_heuristics()
        assert [r.id for r in again.rules] == [r.id for r in first.rules] and again.digest == first.digest
    finally:
        heuristics_module.load_heuristics.cache_clear()


@pytest.mark.parametrize("name", ["research-script", "tested-training", "production-service"])
def test_ast_and_libcst_give_the_same_facts(name):
    """libcst stays as the parser of last resort: both engines must agree on real code."""
    everything = Interest(["*"], {"random_state", "seed"})
    for path, data in fixture_files(name).items():
        if path.endswith(".py"):
            source = data.decode()
            assert analyse_python(path, source, everything) == analyse_with_libcst(path, source, everything), path


def test_rule_examples_agree_across_engines():
    everything = Interest(["*"], {"random_state", "seed", "threshold"})
    for rule in HEUR.rules:
        for example in rule.examples.get("positive", []) + rule.examples.get("negative", []):
            files = example.get("files") or {example.get("path", "train.py"): example.get("code", "")}
            for path, source in files.items():
                if path.endswith(".py") and isinstance(source, str):
                    ours = analyse_python(path, source, everything)
                    if "error" not in ours:
                        assert ours == analyse_with_libcst(path, source, everything), (rule.id, path)


def test_glob_sets_match_like_each_glob_alone():
    globs = ["**/*.py", "**/Dockerfile", "**/Dockerfile.*", ".github/workflows/*.yml", "**/*.cfn.yaml",
             "azure-pipelines*.yml", "**/.env"]
    paths = ["a.py", "x/y/z.py", ".python-version", "a.pyi", "Dockerfile", "d/Dockerfile.gpu", "d/Dockerfile-x",
             ".github/workflows/ci.yml", ".github/workflows/sub/ci.yml", "stack.cfn.yaml", "cfn.yaml",
             "azure-pipelines-prod.yml", "ci/azure-pipelines.yml", ".env", "app/.env", ".envrc"]
    expected = {p for p in paths if any(re.compile(glob_to_regex(g) + r"\Z").match(p) for g in globs)}
    assert {p for p in paths if GlobSet(globs).match(p)} == expected
    assert ".python-version" not in expected and "a.pyi" not in expected
