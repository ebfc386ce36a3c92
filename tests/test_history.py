"""Review evidence from history alone: PR merges, squash references, GitLab, Gerrit, trailers,
bots, model-spec commits, shallow clones."""

from __future__ import annotations

import subprocess

from mlscorecard.audit import run_audit
from mlscorecard.detectors.history import review_facts
from mlscorecard.snapshot import Snapshot

BOT = ("renovate[bot]", "29139614+renovate[bot]@users.noreply.github.com")


def test_every_review_convention_and_bots(repo_factory):
    repo = repo_factory([
        {"subject": "Initial commit", "files": {"README.md": "x\n"}},
        {"kind": "merge", "subject": "Add model", "files": {"src/model.py": "import torch\n"}},
        {"kind": "squash", "subject": "Tune the optimiser", "files": {"configs/train.yaml": "lr: 0.1\n"}},
        {"subject": "Fix loss\n\nSee merge request group/project!12", "files": {"src/model.py": "import torch\n# 2\n"}},
        {"subject": "Refactor trainer\n\nReviewed-on: https://gerrit.example.com/c/123", "files": {"src/train.py": "x = 1\n"}},
        {"subject": "Hot fix\n\nReviewed-by: Ada <ada@example.com>", "files": {"README.md": "y\n"}},
        {"subject": "direct push to the model", "files": {"src/model.py": "import torch\n# 3\n"}},
        {"subject": "Update dependency torch", "files": {"requirements.txt": "torch==2\n"}, "author": BOT},
    ])
    facts = review_facts(Snapshot.open(str(repo)))
    assert (facts["commits_considered"], facts["reviewed_commits"], facts["bot_commits"]) == (7, 5, 1)
    assert facts["pr_fraction"] == round(5 / 7, 3)
    # model code and configs: Add model (merge), optimiser config (squash), MR, Gerrit, direct push
    assert (facts["model_spec_commits"], facts["model_spec_reviewed"]) == (5, 4)
    assert [c["subject"] for c in facts["unreviewed_model_spec_commits"]] == ["direct push to the model"]


def test_model_changes_that_bypass_review_lower_the_confidence(repo_factory):
    steps = [{"subject": "Initial commit", "files": {"README.md": "x\n"}}]
    steps += [{"kind": "merge", "subject": f"docs {i}", "files": {f"docs/{i}.md": "x\n"}} for i in range(5)]
    steps += [{"subject": f"model tweak {i}", "files": {"src/model.py": f"# {i}\n"}} for i in range(2)]
    result = run_audit(str(repo_factory(steps)), cache_dir=False)
    (ev,) = result.rubrics["ml-test-score"].items["model-1"].evidence
    assert "0 of 2 commits touching model code" in ev.summary
    assert ev.confidence < 0.5 and result.rubrics["ml-test-score"].items["model-1"].needs_confirmation


def test_shallow_clone_is_detected_and_warned(repo_factory, tmp_path):
    source = repo_factory([{"subject": "Initial commit", "files": {"README.md": "x\n"}}]
                          + [{"kind": "merge", "subject": f"change {i}", "files": {f"f{i}.py": "x = 1\n"}}
                             for i in range(5)])
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "2", f"file://{source}", str(shallow)], check=True)
    result = run_audit(str(shallow), cache_dir=False)
    assert result.facts["review"]["shallow"] is True
    assert any("shallow clone" in w.message for w in result.warnings)
    (ev,) = result.rubrics["ml-test-score"].items["model-1"].evidence
    full = run_audit(str(source), cache_dir=False).rubrics["ml-test-score"].items["model-1"].evidence[0]
    assert ev.confidence < full.confidence
