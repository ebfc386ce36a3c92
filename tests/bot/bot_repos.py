"""Shared by the bot tests (a module of its own, so imports never depend on which conftest.py
pytest loaded last): the diff schema, the planted secret, and building commits."""

from __future__ import annotations

import json
from pathlib import Path

from gitrepo import build_fixture, git

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "src/mlscorecard/schema/diff.schema.json").read_text())
# a GitHub token shape the secrets rule finds; the value must never appear in any output
SECRET_VALUE = "ghp_" + "Zq8RkT2mVx5Lw9Np3Hc7Jd4Fs6Gb1Ya0Ue8Io"

CANARY = """apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: digits
spec:
  predictor:
    canaryTrafficPercent: 10
    containers:
      - name: kserve-container
        image: registry.example.com/digits:candidate
"""

MODEL_TEST = '''from train import SmallCNN
import torch


def test_output_shape():
    model = SmallCNN()
    assert model(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
'''


def commit(repo: Path, subject: str, files: dict[str, str] | None = None, remove: tuple[str, ...] = ()) -> str:
    """One more commit on top of HEAD: write files, remove paths; returns the new sha."""
    date = "2026-02-01T12:00:00+00:00"
    env = {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    for rel, text in (files or {}).items():
        p = repo / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    for rel in remove:
        git(repo, "rm", "-q", "-r", rel)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", subject, env=env)
    return git(repo, "rev-parse", "HEAD")


def _research(tmp: Path, name: str) -> Path:
    repo = build_fixture("research-script", tmp / name)
    return repo
