"""The three fixture repositories, built as real git histories, scored item by item."""

from __future__ import annotations

import pytest

from mlscorecard.audit import run_audit
from test_heuristics import ML_IDS

EXPECTED_LEVELS = {
    # A research script: a seed, nothing else.
    "research-script": {"infra-1": "manual",
                        "model-1": "manual"},  # the model is in git, but no change was reviewed
    # Tested training code with CI on pull requests, most changes through pull requests.
    "tested-training": {
        "data-2": "manual",      # notebooks/eda.ipynb cell 3: df.corr() against the target
        "data-7": "automated",   # tests/test_features.py imports churn.features; CI runs make test -> pytest
        "model-1": "manual",     # 3 of 4 human commits through PRs: reviewed, not enforced (automated from 80%)
        "infra-1": "automated",  # seeds, and test_same_seed_same_predictions run by CI
        "infra-2": "automated",  # tests/test_model.py imports churn.model (sklearn)
    },
    # A production-style service: monitoring, canary, rollback, scheduled retraining with a gate.
    "production-service": {
        "data-1": "manual",        # the drift job compares served feature distributions with a reference
        "data-7": "automated",
        "model-1": "manual",       # 4 of 6 human commits through PRs
        "model-5": "automated",    # DummyClassifier baseline in validate.py, run by the scheduled retrain
        "model-6": "automated",    # tests/test_slices.py per-country slice test, run by CI
        "infra-1": "manual",       # seeds only; no reproducibility test
        "infra-2": "automated",
        "infra-4": "automated",    # validate.py exits when the candidate loses; retrain.yml runs it weekly
        "infra-6": "manual",       # KServe canaryTrafficPercent, applied by deploy.yml (promotion is manual)
        "infra-7": "manual",       # deploy/rollback.sh, reachable only from a workflow_dispatch workflow
        "monitor-1": "automated",  # the scheduled drift job fails (an alert) when served data drifts
        "monitor-2": "automated",  # evidently drift job on a schedule; pydantic Field limits on requests
        "monitor-3": "automated",  # shared feature module; test_no_training_serving_skew run by CI
        "monitor-4": "automated",  # model age gauge in the serving path
        "monitor-5": "automated",  # non-finite scores rejected in the serving path
        "monitor-6": "automated",  # prometheus Histogram in serve.py + PrometheusRule alert
    },
}

EXPECTED_ROBUSTNESS = {
    "research-script": {"training.reproducibility": 2},
    "tested-training": {"training.reproducibility": 4, "operations.ci-cd": 2, "data.quality": 1,
                        "evaluation.environment": 1, "training.metrics": 1},  # roc_auc_score in train.py
    "production-service": {
        "data.quality": 2, "training.metrics": 2, "training.tuning": 1, "training.reproducibility": 3,
        "evaluation.environment": 2, "deployment.infrastructure": 3, "deployment.experimentation": 3,
        "deployment.monitoring": 4, "deployment.updates": 4, "operations.resources": 2, "operations.containers": 3,
        "operations.ci-cd": 4, "security.access-control": 2, "security.recovery": 2,
    },
}

EXPECTED_REVIEW = {
    "research-script": (3, 0.0),
    "tested-training": (4, 0.75),
    "production-service": (6, 0.667),
}


@pytest.fixture(scope="module")
def results(fixture_repos):
    return {name: run_audit(str(path), cache_dir=False) for name, path in fixture_repos.items()}


@pytest.mark.parametrize("name", list(EXPECTED_LEVELS))
def test_ml_test_score_levels_item_by_item(results, name):
    items = results[name].rubrics["ml-test-score"].items
    got = {i: items[i].level for i in ML_IDS}
    want = {i: EXPECTED_LEVELS[name].get(i, "none") for i in ML_IDS}
    assert got == want


@pytest.mark.parametrize("name", list(EXPECTED_ROBUSTNESS))
def test_robustness_scores(results, name):
    items = results[name].rubrics["robustness"].items
    for item_id, item in items.items():
        assert item.score == EXPECTED_ROBUSTNESS[name].get(item_id, 0), item_id


@pytest.mark.parametrize("name", list(EXPECTED_REVIEW))
def test_review_fraction_from_history(results, name):
    review = results[name].facts["review"]
    assert (review["commits_considered"], review["pr_fraction"]) == EXPECTED_REVIEW[name]
    assert review["bot_commits"] == (0 if name == "research-script" else 1)


def test_maturity_orders_the_fixtures(results):
    totals = [results[n].rubrics["robustness"].score for n in ("research-script", "tested-training", "production-service")]
    assert totals == sorted(totals) and len(set(totals)) == 3
    infra = [results[n].rubrics["ml-test-score"].groups["infra"] for n in ("research-script", "tested-training", "production-service")]
    assert infra == sorted(infra) and len(set(infra)) == 3


def test_every_point_traces_to_evidence(results):
    for result in results.values():
        for rubric in result.rubrics.values():
            for item in rubric.items.values():
                if (item.points or 0) > 0 or (item.score or 0) > 0:
                    assert item.evidence, item.id
                    for e in item.evidence:
                        assert e.path and e.line >= 1 and 0 < e.confidence <= 1 and e.rule


def test_automated_evidence_names_what_runs_it(results):
    items = results["tested-training"].rubrics["ml-test-score"].items
    for ev in items["infra-2"].evidence:
        assert ev.path == "tests/test_model.py" and ev.automated_by == ".github/workflows/ci.yml"


def test_notebook_evidence_points_at_its_cell(results):
    (ev,) = results["tested-training"].rubrics["ml-test-score"].items["data-2"].evidence
    assert (ev.path, ev.cell, ev.line, ev.level) == ("notebooks/eda.ipynb", 3, 2, "manual")


def test_hints_name_declared_but_unused_libraries(results):
    assert [(h["package"], h["rule"]) for h in results["production-service"].hints] == [("shap", "explainability/explainer")]


def test_facts_blocks(results):
    facts = results["production-service"].facts
    assert {"path": "src/fraud/train.py", "line": 19, "call": "random.seed"} in facts["seeds"]
    assert facts["model_tests"] == [{"path": "tests/test_model.py"}, {"path": "tests/test_slices.py"}]
    assert [m["call"] for m in facts["monitoring"]] == [
        "prometheus_client.Histogram", "prometheus_client.Counter", "prometheus_client.Gauge"]
    assert [(r["path"], r["line"]) for r in facts["rollback"]] == [
        (".github/workflows/rollback.yml", 1), ("Makefile", 9), ("deploy/rollback.sh", 4)]
    ci = {c["path"]: c for c in facts["ci"]}
    assert ci[".github/workflows/retrain.yml"]["triggers"] == ["schedule", "workflow_dispatch"]
    assert "make test" in ci[".github/workflows/ci.yml"]["runs"]


def test_plain_directory_of_a_fixture_has_no_history(tmp_path):
    import shutil
    from gitrepo import FIXTURES

    shutil.copytree(FIXTURES / "tested-training", tmp_path / "plain")
    result = run_audit(str(tmp_path / "plain"), cache_dir=False)
    assert result.commit is None
    assert result.facts["review"]["available"] is False
    # without history there is no review evidence: model-1 is none, unknown, and asked of a human
    model_1 = result.rubrics["ml-test-score"].items["model-1"]
    assert (model_1.level, model_1.confidence, model_1.needs_confirmation) == ("none", 0.0, True)
    assert "without history" in model_1.reason
    assert result.rubrics["ml-test-score"].items["infra-2"].level == "automated"


def test_security_facts(results, tmp_path):
    sec = results["production-service"].facts["security"]
    assert sec["security_policy"] is None and sec["codeowners"] is None
    assert "confirm required reviews" in sec["branch_protection"]
