"""Snapshot: what is listed, what is skipped, and git and plain directories agreeing."""

from __future__ import annotations

from mlscorecard.snapshot import Snapshot, git_blob_sha

NOISE = {
    ".venv/lib/python3.11/site-packages/torch/__init__.py": "x = 1\n",
    "env/pyvenv.cfg": "home = /usr/bin\n",
    "env/lib/thing.py": "x = 1\n",
    "node_modules/pkg/index.py": "x = 1\n",
    "build/lib/pkg/model.py": "x = 1\n",
    "dist/pkg.py": "x = 1\n",
    "pkg.egg-info/PKG-INFO": "Name: pkg\n",
    "pkg/__pycache__/model.cpython-311.pyc": b"\x00\x01",
    "notebooks/.ipynb_checkpoints/a-checkpoint.ipynb": "{}",
}
KEEP = {"pkg/model.py": "import torch\n", "tests/test_model.py": "def test():\n    assert 1\n", "environment.yml": "name: x\n"}


def _write(root, files):
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content if isinstance(content, bytes) else content.encode())


def test_plain_directory_skips_virtualenvs_builds_and_caches(tmp_path):
    _write(tmp_path, {**NOISE, **KEEP})
    snap = Snapshot.open(str(tmp_path))
    assert snap.paths() == sorted(KEEP) and snap.commit is None


def test_git_snapshot_skips_the_same(repo_factory):
    repo = repo_factory([{"subject": "all", "files": {**NOISE, **KEEP}}])
    snap = Snapshot.open(str(repo))
    assert snap.paths() == sorted(KEEP) and len(snap.commit) == 40 and snap.ref == "main"


def test_git_snapshot_reads_blobs_not_the_work_tree(repo_factory):
    repo = repo_factory([{"subject": "v1", "files": {"train.py": "lr = 1\n"}}])
    (repo / "train.py").write_text("lr = 2  # uncommitted\n")
    (repo / "untracked.py").write_text("x = 1\n")
    snap = Snapshot.open(str(repo))
    assert snap.read_text("train.py") == "lr = 1\n" and not snap.exists("untracked.py")
    assert snap.sha("train.py") == git_blob_sha(b"lr = 1\n")


def test_rev_selects_another_commit(repo_factory):
    repo = repo_factory([
        {"subject": "v1", "files": {"train.py": "lr = 1\n"}},
        {"subject": "v2", "files": {"train.py": "lr = 2\n", "serve.py": "x = 1\n"}},
    ])
    old = Snapshot.open(str(repo), "HEAD~1")
    assert old.paths() == ["train.py"] and old.read_text("train.py") == "lr = 1\n" and old.ref == "HEAD~1"


def test_plain_and_git_blob_shas_agree(repo_factory, tmp_path):
    repo = repo_factory([{"subject": "v1", "files": KEEP}])
    plain = tmp_path / "plain"
    _write(plain, KEEP)
    git_snap, dir_snap = Snapshot.open(str(repo)), Snapshot.open(str(plain))
    for path in KEEP:
        assert git_snap.sha(path) == dir_snap.sha(path)


def test_utf8_bom_and_coding_cookie(tmp_path):
    _write(tmp_path, {"bom.py": b"\xef\xbb\xbfx = 1\n", "latin.py": "# -*- coding: latin-1 -*-\nname = 'caf\xe9'\n".encode("latin-1")})
    snap = Snapshot.open(str(tmp_path))
    assert snap.read_text("bom.py") == "x = 1\n"
    assert "café" in snap.read_text("latin.py") and snap.warnings == []
