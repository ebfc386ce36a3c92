"""Issue 11: the habits of ruff/pytest users — the work tree by default, project settings in
pyproject.toml or .mlscorecard.yml, several outputs in one run, colour switches, gates."""

from __future__ import annotations

import json
import textwrap

import pytest
from click.testing import CliRunner

from mlscorecard.cli import main

SEED = "import random\nrandom.seed(0)\n"


def cli(*args, env=None):
    return CliRunner().invoke(main, list(args), env=env)


def report(*args, env=None) -> dict:
    res = cli("audit", *args, "--format", "json", "--no-cache", env=env)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def evidence_paths(rep: dict, item: str) -> list[str]:
    return [e["path"] for e in rep["rubrics"]["ml-test-score"]["items"][item]["evidence"]]


# ------------------------------------------------------------------ work tree
def test_a_checkout_is_read_as_the_user_sees_it(repo_factory):
    from gitrepo import git

    repo = repo_factory([{"subject": "init", "files": {"train.py": "import torch\n", "old.py": SEED}}])
    (repo / "train.py").write_text("import torch\ntorch.manual_seed(1)\n")  # modified, not staged
    (repo / "new.py").write_text(SEED)  # untracked
    (repo / "old.py").unlink()  # deleted
    (repo / ".gitignore").write_text("ignored.py\n")
    (repo / "ignored.py").write_text(SEED)  # ignored: not the project's
    git(repo, "add", ".gitignore")  # staged
    rep = report(str(repo))
    assert rep["repo"]["source"] == "worktree" and rep["repo"]["uncommitted"] == 4
    assert sorted(evidence_paths(rep, "infra-1")) == ["new.py", "train.py"]
    head = report(str(repo), "--committed")
    assert head["repo"]["source"] == "commit" and "uncommitted" not in head["repo"]
    assert evidence_paths(head, "infra-1") == ["old.py"]
    assert head["repo"]["commit"] == rep["repo"]["commit"]
    assert report(str(repo), "--rev", "HEAD")["rubrics"] == head["rubrics"]


def test_the_work_tree_note_is_on_stderr(repo_factory):
    repo = repo_factory([{"subject": "init", "files": {"train.py": "import torch\n"}}])
    (repo / "train.py").write_text(SEED)
    res = cli("audit", str(repo), "--no-cache")
    assert "read the work tree: 1 file(s) differ from" in res.stderr
    assert "read the work tree" not in cli("audit", str(repo), "--no-cache", "-q").stderr


def test_an_unchanged_checkout_reads_its_blobs_not_its_files(repo_factory, monkeypatch):
    """Files whose size and time match the index are read from git objects (and so the cache of a
    committed audit serves them); only changed files are read from disk."""
    from mlscorecard.snapshot import Snapshot

    repo = repo_factory([{"subject": "init", "files": {"a.py": SEED, "b.py": "import os\n"}}])
    import os
    import time

    from gitrepo import git

    past = time.time() - 10  # older than the index by more than git's racy second
    for name in ("a.py", "b.py"):
        os.utime(repo / name, (past, past))
    git(repo, "update-index", "--refresh")  # the index records those times
    (repo / "b.py").write_text("import sys\n")
    snap = Snapshot.open(str(repo), worktree=True)
    assert snap.worktree and snap.from_disk == {"b.py"} and snap.changed == ["b.py"]
    assert snap.read_text("b.py") == "import sys\n" and snap.read_text("a.py") == SEED
    snap.close()


def test_a_bare_repository_is_read_from_objects(repo_factory, tmp_path):
    import subprocess

    repo = repo_factory([{"subject": "init", "files": {"train.py": SEED}}])
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo), str(bare)], check=True)
    assert report(str(bare))["repo"]["source"] == "commit"


# ------------------------------------------------------------------ settings
def write(path, text):
    path.write_text(textwrap.dedent(text))


def test_settings_in_pyproject_exclude_disable_and_gate(repo_factory):
    repo = repo_factory([{"subject": "init", "files": {
        "train.py": SEED, "legacy/lib.py": "import numpy as np\nnp.random.seed(3)\n",
        "pyproject.toml": textwrap.dedent("""
            [project]
            name = "x"
            [tool.mlscorecard]
            exclude = ["legacy/**"]
            disable = ["review/model-code-in-version-control"]
            fail-under = 14
            gate = ["infra-1"]
        """)}}])
    res = cli("audit", str(repo), "--format", "json", "--no-cache")
    assert res.exit_code == 1 and "ML Test Score 0 is below --fail-under 14" in res.stderr
    rep = json.loads(res.stdout)
    assert evidence_paths(rep, "infra-1") == ["train.py"]
    assert not any(e["rule"] == "review/model-code-in-version-control"
                   for r in rep["rubrics"].values() for i in r["items"].values() for e in i["evidence"])
    assert rep["facts"]["settings"] == {"source": "pyproject.toml", "exclude": ["legacy/**"],
                                        "disabled_rules": ["review/model-code-in-version-control"],
                                        "excluded_files": 1}
    # the command line overrides the file; --isolated ignores it
    assert cli("audit", str(repo), "--no-cache", "--fail-under", "0").exit_code == 0
    assert evidence_paths(report(str(repo), "--isolated"), "infra-1") == ["legacy/lib.py", "train.py"]
    assert cli("audit", str(repo), "--no-cache", "--isolated", "--gate", "infra-1").exit_code == 0


def test_settings_in_the_answers_file_and_from_config(repo_factory, tmp_path):
    repo = repo_factory([{"subject": "init", "files": {"train.py": SEED, "serve/app.py": "x = 1\n"}}])
    write(repo / ".mlscorecard.yml", """
        version: 1
        extend-exclude: [train.py]
        confirmations: {}
    """)
    assert evidence_paths(report(str(repo)), "infra-1") == []
    other = tmp_path / "ci.toml"
    write(other, """
        [tool.mlscorecard]
        format = ["json"]
    """)
    res = cli("audit", str(repo), "--no-cache", "--config", str(other))
    assert res.exit_code == 0 and json.loads(res.stdout)["facts"]["settings"]["source"] == str(other)


@pytest.mark.parametrize("body,fragment", [
    ("[tool.mlscorecard]\nexlude = ['x']\n", "pyproject.toml:2: unknown key 'exlude' (did you mean 'exclude'?)"),
    ("[tool.mlscorecard]\n\nfail-under = 'high'\n", "pyproject.toml:3: fail-under must be a whole number from 0 to 14"),
    ("[tool.mlscorecard]\ndisable = ['seeds/no-such-rule']\n", "pyproject.toml:2: disable: no rule 'seeds/no-such-rule'"),
    ("[tool.mlscorecard]\nformat = 'pdf'\n", "pyproject.toml:2: format: unknown format 'pdf'"),
    ("[tool.mlscorecard.contexts]\n'svc/**' = ['servng']\n", "unknown context 'servng'"),
])
def test_bad_settings_name_the_file_line_and_key(repo_factory, body, fragment):
    repo = repo_factory([{"subject": "init", "files": {"train.py": SEED, "pyproject.toml": body}}])
    res = cli("audit", str(repo), "--no-cache")
    assert res.exit_code == 2 and res.stderr.count("\n") == 1, res.output
    assert fragment in res.stderr


def test_per_folder_contexts_change_what_evidence_means(repo_factory):
    """`services/**` declared serving: a drift test there is live monitoring, not a data test."""
    code = "from scipy.stats import ks_2samp\ndef check(a, b):\n    return ks_2samp(a, b).pvalue < 0.05\n"
    files = {"services/drift.py": code}
    plain = report(str(repo_factory([{"subject": "init", "files": files}])), "--isolated")
    repo = repo_factory([{"subject": "init", "files": {**files, "pyproject.toml":
                          "[tool.mlscorecard.contexts]\n'services/**' = ['serving']\n"}}])
    served = report(str(repo))
    levels = lambda rep: {k: v["level"] for k, v in rep["rubrics"]["ml-test-score"]["items"].items()}  # noqa: E731
    assert levels(served) != levels(plain)
    assert served["facts"]["settings"]["contexts"] == {"services/**": ["serving"]}


def test_a_projects_own_rules_count_after_their_examples_pass(repo_factory):
    rule = textwrap.dedent("""
        rules:
          - id: house/feature-store-check
            title: Our feature-store validator runs
            summary: feature store validation
            match:
              kind: text
              paths: ["**/*.py"]
              pattern: "fs_validate\\\\("
            automation: never
            supports:
              ml-test-score:
                - {item: data-1, level: manual, confidence: 0.6}
            examples:
              positive:
                - path: jobs/check.py
                  code: |
                    fs_validate(table)
                  line: 1
              negative:
                - path: jobs/check.py
                  code: |
                    validate(table)
    """)
    files = {"jobs/check.py": "fs_validate(orders)\n", "pyproject.toml": "[tool.mlscorecard]\nrules-dir = 'ci/rules'\n"}
    repo = repo_factory([{"subject": "init", "files": {**files, "ci/rules/house.yaml": rule}}])
    rep = report(str(repo))
    assert [e["rule"] for e in rep["rubrics"]["ml-test-score"]["items"]["data-1"]["evidence"]] == [
        "house/feature-store-check"]
    broken = repo_factory([{"subject": "init", "files": {
        **files, "ci/rules/house.yaml": rule.replace("validate(table)", "fs_validate(table)")}}])
    res = cli("audit", str(broken), "--no-cache")
    assert res.exit_code == 2 and "house/feature-store-check negative example 1 fires" in res.stderr


# ------------------------------------------------------------------ outputs, colour, gates
def test_several_formats_in_one_run(fixture_repos, tmp_path):
    path = str(fixture_repos["tested-training"])
    res = cli("audit", path, "--no-cache", "--format", "json", "-o", str(tmp_path / "r.json"),
              "--format", "sarif", "-o", str(tmp_path / "r.sarif"))
    assert res.exit_code == 0 and res.stdout == ""
    assert json.loads((tmp_path / "r.json").read_text())["schema_version"] == 1
    assert json.loads((tmp_path / "r.sarif").read_text())["version"] == "2.1.0"
    res = cli("audit", path, "--no-cache", "--format", "markdown", "--format", "html", "--output-dir", str(tmp_path / "o"))
    assert res.exit_code == 0 and sorted(p.name for p in (tmp_path / "o").iterdir()) == ["mlscorecard.html",
                                                                                          "mlscorecard.md"]
    assert cli("audit", path, "--format", "json", "--format", "sarif").exit_code == 2  # two formats, one stdout


def test_colour_follows_no_color_force_color_and_the_option(fixture_repos):
    path = str(fixture_repos["tested-training"])
    assert "\x1b[" not in cli("audit", path, "--no-cache").stdout  # not a terminal
    assert "\x1b[" in cli("audit", path, "--no-cache", env={"FORCE_COLOR": "1"}).stdout
    assert "\x1b[" not in cli("audit", path, "--no-cache", env={"FORCE_COLOR": "1", "NO_COLOR": "1"}).stdout
    assert "\x1b[" in cli("audit", path, "--no-cache", "--color", "always", env={"NO_COLOR": "1"}).stdout
    assert "\x1b[" not in cli("audit", path, "--no-cache", "--color", "never", env={"FORCE_COLOR": "1"}).stdout


def test_gates_beyond_the_ml_test_score(repo_factory):
    key = "AK" + "IAQ7ZK3M9T2XW4PL8R"
    repo = repo_factory([{"subject": "init", "files": {"train.py": SEED, "conf.py": f"K = '{key}'\n"}}])
    res = cli("audit", str(repo), "--no-cache", "--fail-on-problems")
    assert res.exit_code == 1 and "committed secrets (--fail-on-problems): conf.py:1" in res.stderr
    assert key[:6] not in res.output
    res = cli("audit", str(repo), "--no-cache", "--fail-under-robustness", "88")
    assert res.exit_code == 1 and "is below --fail-under-robustness 88" in res.stderr
    assert cli("audit", str(repo), "--no-cache", "--gate", "infra-1").exit_code == 0
    res = cli("audit", str(repo), "--no-cache", "--gate", "monitor-1")
    assert res.exit_code == 1 and "gate monitor-1: level none" in res.stderr
    assert cli("audit", str(repo), "--no-cache", "--gate", "no-such-item").exit_code == 2


def test_version_rules_json_and_path_defaults(tmp_path, monkeypatch):
    assert cli("-V").output.startswith("mlscorecard, version")
    rules = json.loads(cli("rules", "--format", "json", "--family", "seeds").stdout)
    assert rules and all(r["id"].startswith("seeds/") for r in rules)
    assert all(any(s["item"] == "infra-1" for s in r["supports"])
               for r in json.loads(cli("rules", "--format", "json", "--item", "infra-1").stdout))
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "train.py").write_text(SEED)
    monkeypatch.chdir(tmp_path / "proj")
    assert cli("audit", "--no-cache").exit_code == 0


# ------------------------------------------------------------------ pre-commit
def test_the_pre_commit_hooks_audit_the_staged_tree(repo_factory, monkeypatch):
    """Each hook's entry, run as pre-commit runs it (in the repository, no file names): only what
    is staged counts, so an unstaged fix cannot make a commit pass."""
    import shlex
    from pathlib import Path

    import yaml
    from gitrepo import git

    hooks = yaml.safe_load((Path(__file__).resolve().parent.parent / ".pre-commit-hooks.yaml").read_text())
    assert {h["id"] for h in hooks} == {"mlscorecard", "mlscorecard-secrets"}
    assert all(h["pass_filenames"] is False and h["language"] == "python" for h in hooks)
    key = "AK" + "IAQ7ZK3M9T2XW4PL8R"
    repo = repo_factory([{"subject": "init", "files": {"train.py": "import torch\n",
                                                       "pyproject.toml": "[tool.mlscorecard]\ngate = ['infra-1']\n"}}])
    monkeypatch.chdir(repo)
    entry = {h["id"]: shlex.split(h["entry"])[1:] for h in hooks}
    assert cli(*entry["mlscorecard"], "--no-cache").exit_code == 1  # no seed anywhere
    (repo / "train.py").write_text(SEED)  # a seed, not staged
    assert cli(*entry["mlscorecard"], "--no-cache").exit_code == 1
    git(repo, "add", "train.py")
    res = cli(*entry["mlscorecard"], "--no-cache")
    assert res.exit_code == 0 and res.stderr == ""  # --quiet
    (repo / "conf.py").write_text(f"K = '{key}'\n")
    assert cli(*entry["mlscorecard-secrets"], "--no-cache").exit_code == 0  # untracked: not staged
    git(repo, "add", "conf.py")
    res = cli(*entry["mlscorecard-secrets"], "--no-cache")
    assert res.exit_code == 1 and "conf.py:1" in res.stderr and key[:6] not in res.output
    staged = report(str(repo), "--staged")
    assert staged["repo"]["source"] == "staged" and staged["repo"]["uncommitted"] == 2


# ------------------------------------------------------------------ what counts as the project
def test_examples_docs_and_vendored_code_are_kept_apart(repo_factory):
    key = "AK" + "IAQ7ZK3M9T2XW4PL8R"
    repo = repo_factory([{"subject": "init", "files": {
        "src/model.py": "import torch\n",
        "examples/quickstart/train.py": SEED,
        "docs/guide/fit.py": "import numpy as np\nnp.random.seed(1)\n",
        "third_party/lib/x.py": "import random\nrandom.seed(2)\n",
        "examples/demo/conf.py": f"K = '{key}'\n",
        "server/main.go": "package main\n", "server/util.go": "package main\n"}}])
    rep = report(str(repo))
    assert evidence_paths(rep, "infra-1") == []  # only examples fix a seed: nothing of the project's own
    apart = rep["facts"]["outside_the_project"]
    assert apart["counted"] is False and set(apart["by_scope"]) == {"docs", "examples", "vendored"}
    assert {r["path"] for r in apart["evidence"] if r["item"] == "infra-1"} == {
        "examples/quickstart/train.py", "docs/guide/fit.py", "third_party/lib/x.py"}
    # a committed secret is a problem wherever it is
    assert any(e["path"] == "examples/demo/conf.py" for i in rep["rubrics"]["robustness"]["items"].values()
               for e in i["evidence"])
    assert key[:6] not in json.dumps(rep)
    assert rep["facts"]["coverage"]["languages_not_analysed"] == {"Go": 2}
    counted = report(str(repo), "--count-examples")
    assert sorted(evidence_paths(counted, "infra-1")) == ["docs/guide/fit.py", "examples/quickstart/train.py",
                                                           "third_party/lib/x.py"]
    terminal = cli("audit", str(repo), "--no-cache").stdout.splitlines()
    assert terminal[1].startswith("Read the work tree: 7 files (")
    assert any(line.startswith("Not analysed: Go (2 files)") for line in terminal[:5])
    assert any(line.startswith("Kept apart, not scored:") for line in terminal[:5])


def test_coding_assistants_instructions_are_kept_apart(repo_factory):
    advice = "## Practices\n\n- **Start simple:** compare against a simple baseline model first.\n"
    repo = repo_factory([{"subject": "init", "files": {
        "src/model.py": "import torch\n",
        ".claude/agents/ml-engineer.md": advice,
        ".github/copilot-instructions.md": advice,
        "docs/modelling.md": "We compare the model against a simple baseline.\n"}}])
    rep = report(str(repo))
    assert evidence_paths(rep, "model-5") == ["docs/modelling.md"]  # the project's own docs count
    apart = rep["facts"]["outside_the_project"]
    assert {(r["scope"], r["path"]) for r in apart["evidence"] if r["item"] == "model-5"} == {
        ("assistant", ".claude/agents/ml-engineer.md"), ("assistant", ".github/copilot-instructions.md")}


def test_scripts_ci_runs_that_are_missing_are_listed(repo_factory):
    wf = "on: push\njobs:\n  t:\n    runs-on: x\n    steps:\n      - run: python scripts/train.py\n      - run: bash ci/e2e.sh\n"
    repo = repo_factory([{"subject": "init", "files": {".github/workflows/ci.yml": wf}}])
    assert report(str(repo))["facts"]["coverage"]["ci_commands_not_followed"] == ["ci/e2e.sh", "scripts/train.py"]


# ------------------------------------------------------------------ project profile
def test_a_library_is_recognised_and_its_not_applicable_items_proposed(repo_factory):
    files = {"pyproject.toml": "[project]\nname = 'tinylib'\n", "tinylib/__init__.py": "",
             "tinylib/models.py": "import torch\nclass Net(torch.nn.Module):\n    pass\n",
             "tinylib/metrics.py": "def f1(a, b):\n    return 0\n",
             "tests/test_models.py": "from tinylib.models import Net\ndef test_net():\n    assert Net()\n"}
    repo = repo_factory([{"subject": "init", "files": files}])
    rep = report(str(repo))
    prof = rep["facts"]["profile"]
    assert prof["kind"] == "library" and "tinylib/" in prof["reasons"][0]
    proposed = {p["item"] for p in prof["proposed_not_applicable"]}
    assert {"data-1", "data-7", "infra-6", "monitor-7", "deployment.monitoring"} <= proposed
    assert "infra-2" not in proposed and "model-1" not in proposed  # a library's own concerns stay
    strict = rep["rubrics"]["ml-test-score"]
    assert not any((i.get("confirmed") or {}).get("not_applicable") for i in strict["items"].values())  # only proposed
    assert prof["if_accepted"]["ml-test-score"] >= strict["score"]
    out = cli("audit", str(repo), "--no-cache").stdout
    assert "Profile: a model library or framework" in out and "with them accepted: ML Test Score" in out
    # confirm asks about the proposals first, with "not applicable" as the default answer
    res = CliRunner().invoke(main, ["confirm", str(repo), "--by", "Ada"], input="\n\n\nquit\n")
    assert "usually do not apply" in res.output and "suggested: not applicable" in res.output
    answers = (repo / ".mlscorecard.yml").read_text()
    assert "not_applicable: true" in answers and "a library" in answers


@pytest.mark.parametrize("files,kind", [
    ({"train.py": SEED, "notebooks/explore.ipynb": "{}"}, "research"),
    ({"cookiecutter.json": "{}", "{{cookiecutter.name}}/train.py": SEED}, "template"),
    ({"serve/app.py": "from fastapi import FastAPI\napp = FastAPI()\n", "train.py": SEED}, "service"),
    ({"dags/a.py": "from airflow import DAG\n", "dags/b.py": "from airflow import DAG\n"}, "pipeline"),
])
def test_project_kinds(repo_factory, files, kind):
    assert report(str(repo_factory([{"subject": "init", "files": files}])))["facts"]["profile"]["kind"] == kind


# ------------------------------------------------------------------ the work tree's edge cases
def _same_view(repo):
    work, head = report(str(repo)), report(str(repo), "--committed")
    return work, head


def test_a_clean_checkout_reads_as_its_commit(repo_factory):
    """Tracked virtualenvs and symlinks stay out, as in a commit; nothing 'differs'."""
    from gitrepo import git

    repo = repo_factory([{"subject": "init", "files": {"train.py": SEED, "env/pyvenv.cfg": "home = /usr\n",
                                                       "env/lib/x.py": SEED}}])
    (repo / "link.py").symlink_to("train.py")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "link")
    work, head = _same_view(repo)
    assert work["repo"]["uncommitted"] == 0
    assert work["rubrics"] == head["rubrics"] and evidence_paths(work, "infra-1") == ["train.py"]


def test_a_folder_linked_out_of_the_repository_is_not_read(repo_factory, tmp_path):
    import shutil

    repo = repo_factory([{"subject": "init", "files": {"pkg/train.py": "import torch\n", "README.md": "x\n"}}])
    outside = tmp_path / "outside" / "pkg"
    outside.mkdir(parents=True)
    (outside / "train.py").write_text(SEED)
    shutil.rmtree(repo / "pkg")
    (repo / "pkg").symlink_to(outside)
    rep = report(str(repo))
    assert evidence_paths(rep, "infra-1") == [] and rep["facts"]["seeds"] == []
    assert any(w["path"] == "pkg" and "not followed" in w["message"] for w in rep["warnings"])


def test_sparse_checkouts_line_endings_and_restored_times(repo_factory):
    import os
    import time

    from gitrepo import git

    repo = repo_factory([{"subject": "init", "files": {"a/x.py": "import os\n", "b/train.py": SEED,
                                                       "c/eol.py": "import torch\ntorch.manual_seed(1)\n",
                                                       "d/t.py": "import torch\ntorch.manual_seed(2)\n"}}])
    git(repo, "sparse-checkout", "set", "a", "c", "d")  # b/ is not on disk, and that is no change
    past = time.time() - 3600
    os.utime(repo / "d" / "t.py", (past, past))
    git(repo, "update-index", "--refresh")
    (repo / "c" / "eol.py").write_bytes(b"import torch\r\ntorch.manual_seed(1)\r\n")  # what eol=crlf checks out
    (repo / "d" / "t.py").write_text("torch.manual_seed(2)\nimport torch\n")  # same size, time put back
    os.utime(repo / "d" / "t.py", (past, past))
    rep = report(str(repo))
    assert rep["repo"]["uncommitted"] == 1  # d/t.py only: its change time gives it away
    seeds = {(s["path"], s["line"]) for s in rep["facts"]["seeds"]}
    assert ("b/train.py", 2) in seeds and ("c/eol.py", 2) in seeds
    assert ("d/t.py", 1) in seeds and ("d/t.py", 2) not in seeds  # the file as it is now


def test_staged_for_the_first_commit_and_where_there_is_no_index(tmp_path, repo_factory):
    import subprocess

    from gitrepo import git

    first = tmp_path / "first"
    first.mkdir()
    git(first, "init", "-q")
    (first / ".gitignore").write_text(".env\n")
    (first / ".env").write_text("AWS=" + "AK" + "IAQ7ZK3M9T2XW4PL8R\n")
    (first / "train.py").write_text(SEED)
    git(first, "add", ".gitignore")
    res = cli("audit", str(first), "--staged", "--no-cache", "--fail-on-problems", "--format", "json")
    assert res.exit_code == 0, res.output  # the ignored .env is not staged: no committed secret
    rep = json.loads(res.stdout)
    assert rep["repo"]["source"] == "staged" and evidence_paths(rep, "infra-1") == []  # train.py is not staged
    assert "committed secrets" not in res.stderr
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "train.py").write_text(SEED)
    res = cli("audit", str(plain), "--staged", "--no-cache")
    assert res.exit_code == 2 and "--staged needs a git checkout" in res.stderr
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo_factory([{"subject": "i", "files": {"a.py": SEED}}])),
                    str(bare)], check=True)
    res = cli("audit", str(bare), "--staged", "--no-cache")
    assert res.exit_code == 2 and "a bare repository has no index" in res.stderr


def test_html_links_of_changed_files_do_not_point_at_the_commit(repo_factory):
    from gitrepo import git

    repo = repo_factory([{"subject": "init", "files": {"train.py": SEED}}])
    git(repo, "remote", "add", "origin", "https://github.com/acme/proj")
    (repo / "new_train.py").write_text(SEED)
    page = cli("audit", str(repo), "--format", "html", "--no-cache").stdout
    commit = git(repo, "rev-parse", "HEAD")
    assert f"https://github.com/acme/proj/blob/{commit}/train.py#L2" in page
    assert f"/blob/{commit}/new_train.py" not in page and "new_train.py" in page


# ------------------------------------------------------------------ settings: the review's cases
def test_settings_errors_and_sources(repo_factory, tmp_path):
    repo = repo_factory([{"subject": "init", "files": {"train.py": SEED, "pyproject.toml": "tool = 1\n"}}])
    assert cli("audit", str(repo), "--no-cache").exit_code == 0  # a `tool` that is not a table says nothing to us
    res = cli("audit", str(repo), "--no-cache", "--disable", "nosuch")
    assert res.exit_code == 2 and "--disable: disable: no rule 'nosuch'" in res.stderr
    broken = tmp_path / ".mlscorecard.yml"
    broken.write_text("fail-under: [1\n")
    res = cli("audit", str(repo), "--no-cache", "--config", str(broken))
    assert res.exit_code == 2 and "not valid YAML" in res.stderr  # a file given by name must parse
    for bad in (".", "./", "../up"):
        r = repo_factory([{"subject": "init", "files": {"train.py": SEED,
                                                        "pyproject.toml": f"[tool.mlscorecard]\nrules-dir = '{bad}'\n"}}])
        res = cli("audit", str(r), "--no-cache")
        assert res.exit_code == 2 and "rules-dir must be a folder inside the repository" in res.stderr, bad
    for files, said in (({}, "ci/rules: no such folder in what is audited"),
                        ({"ci/rules/README.md": "mine\n"}, "ci/rules: holds no .yaml rules file")):
        r = repo_factory([{"subject": "init", "files": {"train.py": SEED, **files,
                                                        "pyproject.toml": "[tool.mlscorecard]\nrules-dir = 'ci/rules'\n"}}])
        res = cli("audit", str(r), "--no-cache")
        assert res.exit_code == 2 and res.stderr.strip() == f"mlscorecard: error: pyproject.toml: rules-dir: {said}"


def test_a_projects_rule_that_can_backtrack_is_refused(repo_factory):
    rule = textwrap.dedent("""
        rules:
          - id: house/odd
            title: odd
            summary: odd
            match: {kind: text, paths: ["**/*.py"], pattern: "(a+)+$"}
            automation: never
            supports:
              ml-test-score:
                - {item: data-1, level: manual, confidence: 0.6}
            examples:
              positive: [{path: x.py, code: "aaa\\n", line: 1}]
              negative: [{path: x.py, code: "b\\n"}]
    """)
    repo = repo_factory([{"subject": "init", "files": {"x.py": "a" * 40 + "!\n", "ci/rules/house.yaml": rule,
                                                       "pyproject.toml": "[tool.mlscorecard]\nrules-dir = './ci/rules/'\n"}}])
    res = cli("audit", str(repo), "--no-cache")
    assert res.exit_code == 2 and "repeats a group that itself repeats" in res.stderr


def test_the_command_line_turns_off_what_the_settings_turn_on(repo_factory):
    key = "AK" + "IAQ7ZK3M9T2XW4PL8R"
    repo = repo_factory([{"subject": "init", "files": {"conf.py": f"K = '{key}'\n", "train.py": SEED,
                                                       "pyproject.toml": "[tool.mlscorecard]\nfail-on-problems = true\n"}}])
    assert cli("audit", str(repo), "--no-cache").exit_code == 1
    assert cli("audit", str(repo), "--no-cache", "--no-fail-on-problems").exit_code == 0


def test_the_progress_line_is_for_terminals_only():
    import io

    from mlscorecard.progress import Progress

    class Tty(io.StringIO):
        def isatty(self):
            return True

    shown = Tty()
    p = Progress(shown, True)
    p.stage("analysing")
    p.files(10, 20)
    p.close()
    assert "mlscorecard: analysing" in shown.getvalue() and shown.getvalue().endswith("\r\x1b[2K")
    quiet = io.StringIO()
    p = Progress(quiet, quiet.isatty())
    p.stage("analysing")
    p.files(1, 2)
    p.close()
    assert quiet.getvalue() == ""


def test_a_reader_cannot_swallow_its_time_limit():
    from mlscorecard.errors import TimeLimit, time_limit

    with pytest.raises(TimeLimit):
        with time_limit(0.2):
            try:
                while True:
                    pass
            except Exception:  # what a careless reader does
                pass


def test_scripts_the_settings_exclude_are_not_reported_missing(repo_factory):
    wf = "on: push\njobs:\n  t:\n    runs-on: x\n    steps:\n      - run: python utils/check.py\n      - run: bash ci/gone.sh\n"
    repo = repo_factory([{"subject": "init", "files": {".github/workflows/ci.yml": wf, "utils/check.py": "x = 1\n",
                                                       "pyproject.toml": "[tool.mlscorecard]\nexclude = ['utils/**']\n"}}])
    assert report(str(repo))["facts"]["coverage"]["ci_commands_not_followed"] == ["ci/gone.sh"]


def test_excluding_everything_yaml_keeps_the_answers(repo_factory):
    repo = repo_factory([{"subject": "init", "files": {"train.py": SEED, ".mlscorecard.yml": (
        "exclude: ['*.yml']\nconfirmations:\n  infra-6: {level: manual, by: me}\n")}}])
    for args in ((), ("--rev", "HEAD"), ("--staged",)):
        rep = report(str(repo), *args)
        assert rep["rubrics"]["ml-test-score"]["items"]["infra-6"]["confirmed"]["level"] == "manual", args


def test_own_rules_with_atomic_groups_are_accepted():
    from mlscorecard.heuristics import _nested_repeat

    assert not _nested_repeat(r"(?>ab)") and _nested_repeat(r"(?>a+)+") and _nested_repeat(r"(a)(?(1)(a+)+|b)")


def test_a_comment_in_the_readme_does_not_make_a_template(repo_factory):
    readme = "# Fraud model\n\n```sh\n# download the starter data\nmake data\n```\n"
    files = {"README.md": readme, "serve/app.py": "from fastapi import FastAPI\napp = FastAPI()\n", "train.py": SEED}
    assert report(str(repo_factory([{"subject": "init", "files": files}])))["facts"]["profile"]["kind"] == "service"
    titled = {**files, "README.md": "# A starter template for ML services\n"}
    assert report(str(repo_factory([{"subject": "init", "files": titled}])))["facts"]["profile"]["kind"] == "template"


def test_config_naming_a_pyproject_without_our_table(repo_factory, tmp_path):
    other = tmp_path / "pyproject.toml"
    other.write_text("[project]\nname = 'x'\n")
    res = cli("audit", str(repo_factory([{"subject": "init", "files": {"train.py": SEED}}])), "--no-cache",
              "--config", str(other))
    assert res.exit_code == 2 and "no [tool.mlscorecard] table" in res.stderr


@pytest.mark.parametrize("args", [["audit", "--format", "pdf", "."], ["audit", "--fail-under", "abc", "."],
                                  ["audit", "--format", "json", "--format", "html", "."], ["no-such-command"],
                                  ["confirm", ".", "--set", "infra-7=na"], ["audit", "--no-such-option"]])
def test_usage_errors_are_one_line_and_exit_2(args):
    res = cli(*args)
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mlscorecard: error: ") and "--help" in lines[0], res.stderr


def test_committed_on_a_plain_directory_is_refused_like_rev(tmp_path):
    (tmp_path / "train.py").write_text(SEED)
    for flag in (["--committed"], ["--rev", "HEAD"]):
        res = cli("audit", str(tmp_path), "--no-cache", *flag)
        assert res.exit_code == 2 and "needs a git repository, and this is a plain directory" in res.stderr, flag
        assert len(res.stderr.strip().splitlines()) == 1
    assert cli("audit", str(tmp_path), "--no-cache").exit_code == 0


def test_rules_filters_that_name_nothing_are_typos():
    for args, said in ((["--item", "infra-99"], "no such item 'infra-99'"), (["--family", "seed"], "did you mean 'seeds'"),
                       (["--kind", "txt"], "did you mean 'text'")):
        res = cli("rules", *args)
        assert res.exit_code == 2 and said in res.stderr and len(res.stderr.strip().splitlines()) == 1, args
    assert cli("rules", "--item", "infra-1").exit_code == 0 and cli("rules", "--family", "seeds/").exit_code == 0


def test_a_group_without_a_command_shows_its_help_not_an_error_line():
    for args in ([], ["fleet"]):
        res = cli(*args)
        assert res.exit_code == 2 and "Commands:" in res.stderr.splitlines() and "error" not in res.stderr, args


def test_a_projects_call_rule_without_a_word_to_screen_for_still_sees_test_files(repo_factory):
    rule = textwrap.dedent("""
        rules:
          - id: custom/seeded-helper
            title: a seeding helper
            summary: seeded
            match: {kind: python-call, calls: ["*_seed"]}
            automation: never
            supports:
              ml-test-score:
                - {item: infra-1, level: manual, confidence: 0.6}
            examples:
              positive: [{path: tests/test_x.py, code: "from helpers import set_seed\\ndef test_x():\\n    set_seed(1)\\n    assert run()\\n"}]
              negative: [{path: tests/test_x.py, code: "def test_x():\\n    assert run()\\n"}]
    """)
    repo = repo_factory([{"subject": "init", "files": {
        "tests/test_a.py": "from helpers import set_seed\ndef test_a():\n    set_seed(1)\n    assert run()\n", "ci/rules/house.yaml": rule,
        "pyproject.toml": "[tool.mlscorecard]\nrules-dir = 'ci/rules'\n"}}])
    res = cli("audit", str(repo), "--no-cache", "--format", "json")
    assert res.exit_code == 0, res.stderr
    assert "custom/seeded-helper" in res.stdout
