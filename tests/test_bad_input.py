"""Bad input: one clear line and exit 2 when nothing can be audited; a warning otherwise."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from mlscorecard.cli import main
from mlscorecard.snapshot import Snapshot


def run_cli(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def audit_json(path: Path, *extra: str) -> dict:
    res = run_cli("audit", str(path), "--format", "json", "--no-cache", *extra)
    assert res.exit_code == 0, res.stderr
    return json.loads(res.stdout)


def warnings_for(report: dict, path: str) -> list[str]:
    return [w["message"] for w in report["warnings"] if w["path"] == path]


def assert_one_line_error(res, fragment: str) -> None:
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("mlscorecard: error:") and fragment in lines[0]
    assert res.stdout == ""


def test_missing_path(tmp_path):
    assert_one_line_error(run_cli("audit", str(tmp_path / "nope")), "no such file or directory")


def test_path_is_a_file(tmp_path):
    f = tmp_path / "train.py"
    f.write_text("print(1)\n")
    assert_one_line_error(run_cli("audit", str(f)), "is a file")


def test_bare_repository_without_commits(tmp_path):
    from gitrepo import git

    repo = tmp_path / "empty.git"
    repo.mkdir()
    git(repo, "init", "-q", "--bare")
    assert_one_line_error(run_cli("audit", str(repo)), "has no commits")


def test_bare_mirror_without_a_config_file(repo_factory, tmp_path):
    import subprocess

    repo = repo_factory([{"subject": "init", "files": {"train.py": "import random\nrandom.seed(5)\n"}}])
    mirror = tmp_path / "mirror"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo), str(mirror)], check=True)
    (mirror / "config").unlink()  # as some mirroring tools store them
    report = audit_json(mirror)
    assert report["repo"]["commit"] and report["warnings"] == []
    assert report["facts"]["seeds"] == [{"path": "train.py", "line": 2, "call": "random.seed"}]


def test_work_tree_without_commits_and_without_files(tmp_path):
    from gitrepo import git

    repo = tmp_path / "empty"
    repo.mkdir()
    git(repo, "init", "-q")
    assert_one_line_error(run_cli("audit", str(repo)), "has no commits")


def test_work_tree_without_commits_audits_its_files_with_a_warning(tmp_path):
    from gitrepo import git

    repo = tmp_path / "fresh"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "train.py").write_text("import torch\ntorch.manual_seed(0)\n")
    report = audit_json(repo)
    assert report["repo"]["commit"] is None
    assert any("no commits" in m for m in warnings_for(report, "."))
    assert report["facts"]["seeds"] == [{"path": "train.py", "line": 2, "call": "torch.manual_seed"}]


def test_unknown_revision(repo_factory):
    repo = repo_factory([{"subject": "init", "files": {"a.py": "x = 1\n"}}])
    assert_one_line_error(run_cli("audit", str(repo), "--rev", "no-such-branch"), "unknown revision")


def test_rev_on_a_plain_directory(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    assert_one_line_error(run_cli("audit", str(tmp_path), "--rev", "HEAD"), "needs a git repository")


def test_unwritable_output(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    res = run_cli("audit", str(tmp_path), "--no-cache", "--output", str(tmp_path / "missing-dir" / "r.json"))
    assert_one_line_error(res, "cannot write")


# Files the pre-filter selects (they mention a rule's name, e.g. "seed"), so they are parsed.
BAD_FILES = {
    "syntax.py": ("import random\ndef broken(:\n    random.seed(1)\n", "syntax error at line 2"),
    "py2.py": ('print "hello"\nimport random\nrandom.seed(1)\n', "Python 2"),
    "latin1.py": ("# no coding cookie\nname = 'caf\xe9'\n".encode("latin-1"), "not valid UTF-8"),
    "binary.py": (b"\x7fELF\x00\x00\x01\x02random.seed", "binary content"),
    "huge.py": ("x = 1\n" * 400_000, "larger than"),
    "deep.py": ("import random\nrandom.seed(1)\nx = " + "(" * 3000 + "1" + ")" * 3000 + "\n", "nested too deeply"),
    "deep_unary.py": ("import random\nrandom.seed(1)\nx = " + "-" * 100_000 + "1\n", "nested too deeply"),
    "deep_attr.py": ("import random\nrandom.seed(1)\nx = " + "a." * 1500 + "b\n", "nested too deeply"),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_a_bad_file_is_a_warning_and_the_audit_goes_on(tmp_path, name):
    content, message = BAD_FILES[name]
    (tmp_path / name).write_bytes(content if isinstance(content, bytes) else content.encode())
    (tmp_path / "train.py").write_text("import numpy as np\nnp.random.seed(0)\n")
    report = audit_json(tmp_path)
    assert any(message in m for m in warnings_for(report, name)), report["warnings"]
    assert report["rubrics"]["ml-test-score"]["items"]["infra-1"]["level"] == "manual"


def test_bad_files_in_a_git_repository(repo_factory):
    files = {name: content for name, (content, _m) in BAD_FILES.items() if not name.startswith("deep")}
    repo = repo_factory([{"subject": "bad files", "files": {**files, "train.py": "import random\nrandom.seed(3)\n"}}])
    report = audit_json(repo)
    for name in files:
        assert warnings_for(report, name), name
    assert report["facts"]["seeds"] == [{"path": "train.py", "line": 2, "call": "random.seed"}]


def test_symlinks_outside_the_repository_and_loops(tmp_path):
    outside = tmp_path / "outside.py"
    outside.write_text("import random\nrandom.seed(1)\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "inside.py").write_text("x = 1\n")
    os.symlink(outside, repo / "escape.py")
    os.symlink(repo / "loop_b.py", repo / "loop_a.py")
    os.symlink(repo / "loop_a.py", repo / "loop_b.py")
    os.symlink(tmp_path, repo / "parent_dir")
    os.symlink(repo / "inside.py", repo / "alias.py")
    report = audit_json(repo)
    assert warnings_for(report, "escape.py") == ["symlink points outside the repository; not followed"]
    assert warnings_for(report, "loop_a.py") == ["a symlink loop; skipped"]
    assert warnings_for(report, "parent_dir") == ["symlink points outside the repository; not followed"]
    assert report["facts"]["seeds"] == []  # the outside file was never read


def test_symlink_outside_in_git_objects(repo_factory, tmp_path):
    from gitrepo import git

    repo = repo_factory([{"subject": "init", "files": {"a.py": "x = 1\n"}}])
    os.symlink("../../etc/passwd", repo / "escape.py")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "add link")
    report = audit_json(repo)
    assert any("outside the repository" in m for m in warnings_for(report, "escape.py"))


def test_unreadable_file(tmp_path, monkeypatch):
    (tmp_path / "secret.py").write_text("import random\nrandom.seed(1)\n")
    (tmp_path / "train.py").write_text("import random\nrandom.seed(2)\n")
    if os.geteuid() != 0:
        os.chmod(tmp_path / "secret.py", 0)
    else:  # root reads everything: make the read itself fail as it would for another user
        real = Snapshot._read_raw

        def deny(self, path):
            if path == "secret.py":
                raise PermissionError(13, "Permission denied")
            return real(self, path)

        monkeypatch.setattr(Snapshot, "_read_raw", deny)
    report = audit_json(tmp_path)
    assert warnings_for(report, "secret.py") == ["cannot read: Permission denied; skipped"]
    assert report["facts"]["seeds"] == [{"path": "train.py", "line": 2, "call": "random.seed"}]


def test_malformed_workflow_yaml_is_a_warning_with_its_line(tmp_path):
    wf = tmp_path / ".github" / "workflows"
    wf.mkdir(parents=True)
    (wf / "ci.yml").write_text("on: push\njobs:\n  test:\n    steps: [\n")
    report = audit_json(tmp_path)
    (msg,) = warnings_for(report, ".github/workflows/ci.yml")
    assert msg.startswith("invalid YAML at line")


def test_size_limit_is_configurable(tmp_path):
    (tmp_path / "train.py").write_text("import random\nrandom.seed(1)\n" + "# pad\n" * 100)
    report = audit_json(tmp_path, "--max-file-size", "100")
    assert warnings_for(report, "train.py") and report["facts"]["seeds"] == []


def test_an_internal_error_is_one_line_too(tmp_path, monkeypatch):
    import mlscorecard.cli.audit_command as cli_module

    def boom(*args, **kwargs):
        raise KeyError("surprise")

    monkeypatch.setattr(cli_module, "run_audit", boom)
    monkeypatch.delenv("MLSCORECARD_DEBUG", raising=False)
    res = run_cli("audit", str(tmp_path))
    assert_one_line_error(res, "internal error: KeyError")


def test_the_installed_command_runs_as_a_separate_process(fixture_repos):
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "mlscorecard", "audit", str(fixture_repos["research-script"]),
                          "--no-cache", "--format", "json"], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout)["rubrics"]["ml-test-score"]["items"]["infra-1"]["level"] == "manual"
    missing = subprocess.run([sys.executable, "-m", "mlscorecard", "audit", "/nonexistent/repo"],
                             capture_output=True, text=True)
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1


def test_yaml_alias_bomb_is_bounded(tmp_path):
    wf = tmp_path / ".github" / "workflows"
    wf.mkdir(parents=True)
    bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    prev = "a"
    for name in "bcdefghi":
        bomb += f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]\n"
        prev = name
    (wf / "bomb.yml").write_text("on: push\n" + bomb)
    report = audit_json(tmp_path)
    (msg,) = warnings_for(report, ".github/workflows/bomb.yml")
    assert "nodes" in msg and "alias" in msg


def test_anchors_and_merge_keys_are_understood(tmp_path):
    wf = tmp_path / ".gitlab-ci.yml"
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text("from model import f\ndef test_f():\n    assert f() == 1\n")
    (tmp_path / "model.py").write_text("import torch\ndef f():\n    return 1\n")
    wf.write_text(".base: &base\n  image: python:3.11\n  before_script:\n    - pip install .\n"
                  "test:\n  <<: *base\n  script:\n    - pytest tests\n")
    report = audit_json(tmp_path)
    assert report["rubrics"]["ml-test-score"]["items"]["infra-2"]["level"] == "automated"


def test_very_large_yaml_is_skipped_with_a_warning(tmp_path):
    wf = tmp_path / ".github" / "workflows"
    wf.mkdir(parents=True)
    (wf / "huge.yml").write_text("on: push\njobs:\n" + "".join(f"  j{i}:\n    runs-on: x\n" for i in range(150_000)))
    report = audit_json(tmp_path)
    assert any("larger than" in m for m in warnings_for(report, ".github/workflows/huge.yml"))


def test_a_config_include_that_never_ends_costs_a_warning_not_a_hang(repo_factory, tmp_path, monkeypatch):
    """`include.path` naming a FIFO makes git block reading its config: every git command has a
    time limit, and the checkout is then read as a plain directory, with a warning."""
    import mlscorecard.gitcmd

    repo = repo_factory([{"subject": "init", "files": {"train.py": "import random\nrandom.seed(0)\n"}}])
    fifo = tmp_path / "never-written"
    os.mkfifo(fifo)
    with open(repo / ".git" / "config", "a") as f:
        f.write(f"[include]\n\tpath = {fifo}\n")
    monkeypatch.setattr(mlscorecard.gitcmd, "GIT_TIMEOUT", 2)
    result = CliRunner().invoke(main, ["audit", str(repo), "--format", "json", "--no-cache"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert any(w["path"] == ".git" and "did not finish in 2 s" in w["message"] for w in report["warnings"])
    assert report["repo"]["commit"] is None
    assert any(e["path"] == "train.py" for i in report["rubrics"]["ml-test-score"]["items"].values()
               for e in i["evidence"])


def test_a_broken_git_config_is_a_warning(repo_factory):
    repo = repo_factory([{"subject": "init", "files": {"train.py": "import random\nrandom.seed(0)\n"}}])
    with open(repo / ".git" / "config", "a") as f:
        f.write("[core\n\tbroken\n")
    result = CliRunner().invoke(main, ["audit", str(repo), "--format", "json", "--no-cache"])
    assert result.exit_code == 0, result.output
    warnings = json.loads(result.output)["warnings"]
    assert any(w["path"] == ".git" and "git cannot read this repository" in w["message"] for w in warnings)
