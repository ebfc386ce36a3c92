"""The human loop: confirmations merged into audits, N/A rules, stale and disagreeing entries."""

from __future__ import annotations

import json
import textwrap

import jsonschema
from click.testing import CliRunner

from mlscorecard.audit import run_audit
from mlscorecard.cli import main
from test_reports import SCHEMA


def write(path, text):
    path.write_text(textwrap.dedent(text))
    return path


def test_confirmed_values_replace_the_proposal_and_show_beside_it(fixture_repos, tmp_path):
    repo = fixture_repos["tested-training"]
    conf = write(tmp_path / "c.yml", """
        version: 1
        confirmations:
          model-2:                # invisible to static analysis
            level: manual
            by: Ada
            date: 2026-11-20
            note: degraded-model A/B test in Q3, see wiki
            links: [https://wiki.example.com/ab]
          monitor-6:
            level: automated       # nothing in the repository runs it
            by: Ada
          operations.roi:
            score: 2
            by: Grace
    """)
    result = run_audit(str(repo), cache_dir=False, confirmations=str(conf))
    mts = result.rubrics["ml-test-score"]
    assert mts.items["model-2"].level == "none"  # the proposal is kept ...
    assert mts.items["model-2"].confirmed == {  # ... and the confirmation shown beside it
        "path": str(conf), "line": 4, "level": "manual", "points": 1, "by": "Ada", "date": "2026-11-20",
        "note": "degraded-model A/B test in Q3, see wiki", "links": ["https://wiki.example.com/ab"]}
    assert mts.proposed_groups["model"] == 1 and mts.groups["model"] == 2
    assert mts.proposed_groups["monitor"] == 0 and mts.groups["monitor"] == 2
    assert "no CI job, schedule" in mts.items["monitor-6"].confirmed["disagreement"]
    rob = result.rubrics["robustness"]
    assert rob.score == rob.proposed_score + 2


def test_not_applicable_items_leave_their_section_scaled(tmp_path):
    (tmp_path / "train.py").write_text("import random\nrandom.seed(0)\n")
    write(tmp_path / ".mlscorecard.yml", """
        confirmations:
          infra-6: {not_applicable: true, reason: batch scoring only}
          infra-7: {not_applicable: true, reason: batch scoring only}
          data-1: {level: automated, by: Ada}
          deployment.experimentation: {not_applicable: true, reason: batch scoring only}
    """)
    result = run_audit(str(tmp_path), cache_dir=False)
    mts = result.rubrics["ml-test-score"]
    # infra: infra-1 manual (1 point) over 5 applicable items, scaled to 7: round(1 * 7 / 5) = 1
    assert mts.groups["infra"] == 1 and mts.items["infra-6"].confirmed["not_applicable"] is True
    assert mts.groups["data"] == round(2 * 7 / 7)
    rob = result.rubrics["robustness"]
    assert rob.score == round(rob.proposed_score * 22 / 21)


def test_a_section_with_every_item_not_applicable_leaves_the_minimum(tmp_path):
    (tmp_path / "train.py").write_text("import random\nrandom.seed(0)\n")
    lines = ["confirmations:"] + [f"  monitor-{i}: {{not_applicable: true, reason: no serving}}" for i in range(1, 8)]
    lines += [f"  {s}-{i}: {{level: manual}}" for s in ("data", "model", "infra") for i in range(1, 8)]
    (tmp_path / ".mlscorecard.yml").write_text("\n".join(lines) + "\n")
    mts = run_audit(str(tmp_path), cache_dir=False).rubrics["ml-test-score"]
    assert mts.not_applicable_groups == ["monitor"] and mts.score == 7


def test_stale_confirmation_when_its_evidence_is_gone(repo_factory):
    from gitrepo import git

    repo = repo_factory([{"subject": "canary", "files": {
        "deploy/isvc.yaml": "kind: InferenceService\nspec:\n  predictor:\n    canaryTrafficPercent: 10\n"}}])
    old = git(repo, "rev-parse", "HEAD")
    (repo / "deploy" / "isvc.yaml").unlink()
    (repo / "README.md").write_text("no more canary\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "drop canary")
    write(repo / ".mlscorecard.yml", f"""
        confirmations:
          infra-6:
            level: manual
            by: Ada
            commit: {old}
            evidence: [deploy/isvc.yaml]
    """)
    confirmed = run_audit(str(repo), cache_dir=False).rubrics["ml-test-score"].items["infra-6"].confirmed
    assert confirmed["stale"] == f"confirmed at {old[:12]}; evidence it relied on is gone: deploy/isvc.yaml"


def test_bad_entries_are_warnings_with_their_line(tmp_path):
    (tmp_path / "train.py").write_text("x = 1\n")
    write(tmp_path / ".mlscorecard.yml", """
        confirmations:
          infra-9: {level: manual}
          infra-6: {level: sometimes}
          operations.roi: {score: 7}
          infra-7: {not_applicable: true}
          infra-5: {level: manual, by: Ada}
    """)
    result = run_audit(str(tmp_path), cache_dir=False)
    messages = [w.message for w in result.warnings if w.path == ".mlscorecard.yml"]
    assert messages == [
        "line 3: infra-9: unknown item id; ignored",
        "line 4: infra-6: level must be one of none, manual, automated; ignored",
        "line 5: operations.roi: score must be 0-4; ignored",
        "line 6: infra-7: not_applicable needs a reason; ignored",
    ]
    assert result.rubrics["ml-test-score"].items["infra-5"].confirmed["level"] == "manual"


def test_a_malformed_file_is_a_warning_and_the_audit_goes_on(tmp_path):
    (tmp_path / "train.py").write_text("import random\nrandom.seed(0)\n")
    (tmp_path / ".mlscorecard.yml").write_text("confirmations:\n  infra-6: [unclosed\n")
    result = run_audit(str(tmp_path), cache_dir=False)
    (w,) = [w for w in result.warnings if w.path == ".mlscorecard.yml"]
    assert "line" in w.message and w.message.endswith("confirmations ignored")
    assert result.rubrics["ml-test-score"].items["infra-1"].level == "manual"
    assert not w.message.startswith(".mlscorecard.yml") and "settings" in w.message  # it names the file once, and what was lost


def test_missing_explicit_file_is_a_usage_error(tmp_path):
    res = CliRunner().invoke(main, ["audit", str(tmp_path), "--confirmations", str(tmp_path / "nope.yml")])
    assert res.exit_code == 2 and "confirmations file not found" in res.stderr


def test_json_with_confirmations_validates(fixture_repos, tmp_path):
    conf = write(tmp_path / "c.yml", """
        confirmations:
          model-2: {level: manual, by: Ada}
          infra-7: {not_applicable: true, reason: no serving}
          operations.roi: {score: 1}
    """)
    out = CliRunner().invoke(main, ["audit", str(fixture_repos["research-script"]), "--format", "json",
                                    "--no-cache", "--confirmations", str(conf)]).stdout
    report = json.loads(out)
    jsonschema.validate(report, SCHEMA)
    assert report["rubrics"]["ml-test-score"]["items"]["infra-7"]["confirmed"]["not_applicable"] is True


def test_a_confirmations_link_out_of_the_repository_never_changes_a_score(repo_factory, tmp_path):
    """Answers planted outside the repository (a committed symlink, or one only in the work tree)
    are not applied: the score is the unconfirmed one, and a warning says why."""
    from gitrepo import git

    outside = tmp_path / "outside.yml"
    write(outside, """
        confirmations:
          infra-6: {level: automated, by: Mallory}
          data-1: {level: automated, by: Mallory}
    """)
    repo = repo_factory([{"subject": "init", "files": {"train.py": "import random\nrandom.seed(0)\n"}}])
    plain = run_audit(str(repo), cache_dir=False).rubrics["ml-test-score"]
    (repo / ".mlscorecard.yml").symlink_to(outside)
    for committed in (False, True):
        if committed:
            git(repo, "add", "-A")
            git(repo, "commit", "-q", "-m", "link answers")
        result = run_audit(str(repo), cache_dir=False)
        mts = result.rubrics["ml-test-score"]
        assert mts.items["infra-6"].confirmed is None and mts.items["data-1"].confirmed is None
        assert mts.score == plain.score and mts.groups == plain.groups
        assert any(w.path == ".mlscorecard.yml" and "not followed" in w.message for w in result.warnings)
    inside = repo / "answers.yml"
    write(inside, "confirmations:\n  infra-6: {level: manual, by: Ada}\n")
    (repo / ".mlscorecard.yml").unlink()
    (repo / ".mlscorecard.yml").symlink_to("answers.yml")
    assert run_audit(str(repo), cache_dir=False).rubrics["ml-test-score"].items["infra-6"].confirmed["level"] == "manual"


def test_a_huge_confirmations_file_is_a_warning_not_a_memory_bill(tmp_path):
    (tmp_path / "train.py").write_text("import random\nrandom.seed(0)\n")
    (tmp_path / ".mlscorecard.yml").write_text("confirmations:\n" + "  # padding\n" * 200_000)
    result = run_audit(str(tmp_path), cache_dir=False)
    assert any(w.path == ".mlscorecard.yml" and "larger than 1048576 bytes" in w.message for w in result.warnings)
    assert result.rubrics["ml-test-score"].items["infra-1"].level == "manual"
