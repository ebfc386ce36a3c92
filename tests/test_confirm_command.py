"""`mlscorecard confirm`: interactive and scripted answers, comments kept, malformed files untouched."""

from __future__ import annotations

import textwrap

import yaml
from click.testing import CliRunner

from mlscorecard.audit import run_audit
from mlscorecard.cli import main


def cli(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def test_scripted_answers_keep_existing_entries_and_comments(fixture_repos, tmp_path):
    conf = tmp_path / "confirm.yml"
    conf.write_text(textwrap.dedent("""\
        # Answers agreed in the readiness review, 2026-11-01.
        version: 1
        confirmations:
          model-2:  # the Q3 A/B test
            level: manual
            by: Grace
    """))
    repo = str(fixture_repos["production-service"])
    res = cli("confirm", repo, "--file", str(conf), "--set", "infra-6=automated", "--set", "operations.roi=2",
              "--by", "Ada", "--note", "Argo promotes after 30 min", "--link", "https://wiki.example.com/canary")
    assert res.exit_code == 0, res.output
    text = conf.read_text()
    assert "# Answers agreed in the readiness review, 2026-11-01." in text and "# the Q3 A/B test" in text
    data = yaml.safe_load(text)["confirmations"]
    assert data["model-2"] == {"level": "manual", "by": "Grace"}
    infra6 = data["infra-6"]
    assert infra6["level"] == "automated" and infra6["by"] == "Ada" and infra6["note"] == "Argo promotes after 30 min"
    assert infra6["links"] == ["https://wiki.example.com/canary"] and len(infra6["commit"]) == 40
    assert infra6["evidence"] == ["deploy/kserve/inference-service.yaml"]
    assert data["operations.roi"]["score"] == 2


def test_not_applicable_needs_a_reason(tmp_path):
    (tmp_path / "train.py").write_text("x = 1\n")
    res = CliRunner().invoke(main, ["confirm", str(tmp_path), "--set", "infra-7=na"])
    assert res.exit_code == 2 and "needs --reason" in res.output
    res = cli("confirm", str(tmp_path), "--set", "infra-7=na", "--reason", "batch only")
    assert res.exit_code == 0
    entry = yaml.safe_load((tmp_path / ".mlscorecard.yml").read_text())["confirmations"]["infra-7"]
    assert entry["not_applicable"] is True and entry["reason"] == "batch only"


def test_bad_values_are_usage_errors(tmp_path):
    (tmp_path / "train.py").write_text("x = 1\n")
    for spec in ("infra-6=sometimes", "operations.roi=7", "infra-9=manual", "infra-6"):
        res = CliRunner().invoke(main, ["confirm", str(tmp_path), "--set", spec])
        assert res.exit_code == 2, spec
    assert not (tmp_path / ".mlscorecard.yml").exists()


def test_a_malformed_file_is_reported_with_its_line_and_never_overwritten(tmp_path):
    (tmp_path / "train.py").write_text("x = 1\n")
    broken = "confirmations:\n  infra-6: [oops\n"
    (tmp_path / ".mlscorecard.yml").write_text(broken)
    res = CliRunner().invoke(main, ["confirm", str(tmp_path), "--set", "infra-6=manual"])
    assert res.exit_code == 2 and "line" in res.stderr and "not changed" in res.stderr
    assert (tmp_path / ".mlscorecard.yml").read_text() == broken


def test_interactive_walk_records_answers_as_given(fixture_repos, tmp_path):
    import shutil

    repo = tmp_path / "repo"
    shutil.copytree(fixture_repos["research-script"], repo)
    audit = run_audit(str(repo), cache_dir=False)
    todo = [i.id for r in audit.rubrics.values() for i in r.items.values() if i.needs_confirmation]
    assert todo[:2] == ["data-2", "data-3"]
    # data-2: manual with a note; data-3: skip; data-4: invalid then skipped; data-5: na with reason; then quit
    answers = "manual\nchecked in the notebook\n\nsometimes\nna\nno personal data\n\nquit\n"
    res = cli("confirm", str(repo), "--by", "Ada", "--no-proposals", input=answers)  # the plain walk
    assert res.exit_code == 0, res.output
    assert "question: Is the relationship of each feature to the target measured" in res.output
    data = yaml.safe_load((repo / ".mlscorecard.yml").read_text())["confirmations"]
    assert set(data) == {"data-2", "data-5"}
    assert data["data-2"]["level"] == "manual" and data["data-2"]["note"] == "checked in the notebook"
    assert data["data-5"] == {**data["data-5"], "not_applicable": True, "reason": "no personal data"}
    # the next audit shows them confirmed and no longer asks
    again = run_audit(str(repo), cache_dir=False)
    assert again.rubrics["ml-test-score"].items["data-2"].confirmed["level"] == "manual"
    assert again.rubrics["ml-test-score"].groups["data"] == 1


def test_the_loop_end_to_end(repo_factory):
    """audit -> confirm -> audit shows confirmed, stale and disagreeing entries."""
    from gitrepo import git

    repo = repo_factory([
        {"subject": "Initial commit", "files": {"README.md": "x\n"}},
        {"kind": "merge", "subject": "Canary", "files": {
            "deploy/isvc.yaml": "kind: InferenceService\nspec:\n  predictor:\n    canaryTrafficPercent: 10\n",
            "train.py": "import random\nrandom.seed(0)\n"}},
    ])
    first = cli("audit", str(repo), "--format", "markdown", "--no-cache").stdout
    assert "- [ ] **model-2**" in first
    assert cli("confirm", str(repo), "--set", "infra-6=manual", "--set", "monitor-6=automated",
               "--set", "model-2=manual", "--by", "Ada").exit_code == 0
    # the canary goes away after the confirmation was made
    (repo / "deploy" / "isvc.yaml").unlink()
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "drop the canary")
    md = cli("audit", str(repo), "--format", "markdown", "--no-cache").stdout
    assert "## Confirmations to look at again" in md
    assert "**infra-6** (Canary before production serving): stale — confirmed at" in md
    assert "evidence it relied on is gone: deploy/isvc.yaml" in md
    assert "**monitor-6** (Regressions in speed, latency, throughput, RAM): disagreement — confirmed as automated" in md
    assert "| model-2 | Offline metrics vs business impact | none | 0 | 0.00 | manual (Ada) |" in md
    assert "- [ ] **model-2**" not in md  # answered: no longer asked
    term = cli("audit", str(repo), "--no-cache").stdout
    assert "3 item(s) confirmed by a person; look again at: infra-6, monitor-6 (stale or disputed)." in term
