"""Nothing from an audited repository is ever executed: not its code, not programs its git config names."""

from __future__ import annotations

import os
import stat
import subprocess

from mlscorecard.audit import run_audit
from gitrepo import git


def _trap(tmp_path, name):
    marker = tmp_path / f"{name}-ran"
    script = tmp_path / f"{name}.sh"
    script.write_text(f"#!/bin/sh\ntouch {marker}\nexit 0\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script, marker


def test_repository_config_cannot_make_git_run_programs(repo_factory, tmp_path):
    repo = repo_factory([{"subject": "init", "files": {"train.py": "import random\nrandom.seed(1)\n"}}])
    gpg, gpg_marker = _trap(tmp_path, "gpg")
    fsmonitor, fs_marker = _trap(tmp_path, "fsmonitor")
    pager, pager_marker = _trap(tmp_path, "pager")
    for key, value in (("log.showSignature", "true"), ("gpg.program", str(gpg)),
                       ("core.fsmonitor", str(fsmonitor)), ("core.pager", str(pager))):
        git(repo, "config", key, value)
    # a commit that carries a signature, so that a signature check would call gpg.program
    tree = git(repo, "rev-parse", "HEAD^{tree}")
    parent = git(repo, "rev-parse", "HEAD")
    body = (f"tree {tree}\nparent {parent}\nauthor A <a@x> 1700000000 +0000\ncommitter A <a@x> 1700000000 +0000\n"
            "gpgsig -----BEGIN PGP SIGNATURE-----\n \n iQEzBAABCAAdFiEE\n -----END PGP SIGNATURE-----\n\nsigned (#7)\n")
    sha = subprocess.run(["git", "hash-object", "-t", "commit", "-w", "--stdin"], input=body, text=True,
                         cwd=repo, capture_output=True, check=True).stdout.strip()
    git(repo, "update-ref", "refs/heads/main", sha)
    # sanity: plain git does run the trap here
    subprocess.run(["git", "log", "-1"], cwd=repo, capture_output=True)
    assert gpg_marker.exists()
    gpg_marker.unlink()

    result = run_audit(str(repo), cache_dir=False)
    assert result.facts["review"]["commits_considered"] == 2
    assert not gpg_marker.exists() and not fs_marker.exists() and not pager_marker.exists()


def test_python_code_is_read_not_run(tmp_path):
    marker = tmp_path / "imported"
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "train.py").write_text(
        f"import pathlib\npathlib.Path({str(marker)!r}).touch()\nimport random\nrandom.seed(0)\n")
    (tmp_path / "repo" / "conftest.py").write_text(f"import os\nos.system('touch {marker}')\n")
    (tmp_path / "repo" / "setup.py").write_text(f"open({str(marker)!r}, 'w')\n")
    result = run_audit(str(tmp_path / "repo"), cache_dir=False)
    assert result.facts["seeds"] and not marker.exists()
    assert not os.path.exists(tmp_path / "repo" / "__pycache__")
