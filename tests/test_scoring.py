"""Rubric evaluators on hand-made evidence: levels, sums, minimum, bands, the 0-4 mapping."""

from __future__ import annotations

from mlscorecard.heuristics import load_heuristics
from mlscorecard.model import Evidence
from mlscorecard.scoring import band_for, score_all

HEUR = load_heuristics()


def ml(item, level, conf=0.7, rule="r/a", path="a.py"):
    return Evidence(rule, path, 1, conf, "s", item, level=level, automated_by="ci.yml" if level == "automated" else None)


def rob(item, score, rule="r/a", automated=False, conf=0.6):
    return Evidence(rule, "a.py", 1, conf, "s", item, score=score, automated_by="ci.yml" if automated else None)


def test_level_is_the_best_evidence_and_the_final_score_the_minimum_section():
    evidence = [ml(f"{s}-1", "automated") for s in ("data", "model", "infra", "monitor")]
    evidence += [ml("infra-2", "manual"), ml("infra-2", "automated", rule="r/b"), ml("data-2", "manual")]
    res = score_all(HEUR, evidence, {"history"})["ml-test-score"]
    assert res.items["infra-2"].level == "automated" and res.items["infra-2"].points == 2
    assert res.groups == {"data": 3, "model": 2, "infra": 4, "monitor": 2}
    assert res.score == 2 and res.band == "serious holes in reliability"


def test_confidence_combines_the_evidence_at_the_chosen_level():
    res = score_all(HEUR, [ml("infra-1", "manual", 0.6), ml("infra-1", "manual", 0.5, path="b.py")], set())
    item = res["ml-test-score"].items["infra-1"]
    assert item.confidence == 0.8 and not item.needs_confirmation
    weak = score_all(HEUR, [ml("infra-1", "manual", 0.45)], set())["ml-test-score"].items["infra-1"]
    assert weak.needs_confirmation


def test_items_static_analysis_cannot_see_always_need_a_human():
    res = score_all(HEUR, [], {"history"})
    for item_id in ("data-6", "model-2"):
        item = res["ml-test-score"].items[item_id]
        assert item.level == "none" and item.confidence == 0.0 and item.needs_confirmation
    assert res["robustness"].items["operations.roi"].needs_confirmation
    assert not res["ml-test-score"].items["infra-2"].needs_confirmation  # absence of tests is meaningful


def test_ml_test_score_bands():
    bands = HEUR.rubrics["ml-test-score"].data["scoring"]["bands"]
    assert [band_for(bands, s) for s in (0, 1, 2, 3, 4, 5, 6, 7, 10, 11, 12, 14)] == [
        "research project", "serious holes in reliability", "serious holes in reliability",
        "first pass at productionization", "first pass at productionization", "reasonably tested",
        "reasonably tested", "strong automated testing and monitoring", "strong automated testing and monitoring",
        "strong automated testing and monitoring", "exceptional", "exceptional",
    ]


def test_robustness_mapping():
    item = "training.reproducibility"
    score = lambda ev: score_all(HEUR, ev, set())["robustness"].items[item].score  # noqa: E731
    assert score([]) == 0
    assert score([rob(item, 1)]) == 1
    assert score([rob(item, 2), rob(item, 1, "r/b")]) == 2
    # breadth: three distinct rules at the highest score lift it by one
    assert score([rob(item, 2), rob(item, 2, "r/b"), rob(item, 2, "r/c")]) == 3
    assert score([rob(item, 1), rob(item, 1, "r/b"), rob(item, 1, "r/c")]) == 2
    # weaker pieces beside one partial one do not make it solid
    assert score([rob(item, 2), rob(item, 1, "r/b"), rob(item, 1, "r/c")]) == 2
    # breadth reaches 3 but never 4, however automated
    assert score([rob(item, 2, automated=True), rob(item, 2, "r/b", True), rob(item, 2, "r/c", True)]) == 3
    # 4: a rule that alone shows 3, and automated evidence from two rules
    assert score([rob(item, 3, automated=True)]) == 3
    assert score([rob(item, 3, automated=True), rob(item, 1, "r/b", automated=True)]) == 4


def test_rules_that_find_one_fact_count_once_for_breadth():
    item = "evaluation.environment"
    score = lambda ev: score_all(HEUR, ev, set())["robustness"].items[item].score  # noqa: E731
    split, fraction = "evaluation/held-out-split", "evaluation/held-out-fraction"
    assert score([rob(item, 1, split), rob(item, 1, fraction), rob(item, 1, "r/c")]) == 1
    assert score([rob(item, 1, split), rob(item, 1, "r/b"), rob(item, 1, "r/c")]) == 2


def test_robustness_total_and_bands():
    evidence = [rob(i, 3) for i in list(HEUR.rubrics["robustness"].items)[:9]]
    res = score_all(HEUR, evidence, set())["robustness"]
    assert res.score == 27 and res.band == "adequate but will fail at scale"
    bands = HEUR.rubrics["robustness"].data["scoring"]["bands"]
    assert [band_for(bands, s) for s in (0, 24, 25, 39, 40, 59, 60, 88)] == [
        "not ready", "not ready", "adequate but will fail at scale", "adequate but will fail at scale",
        "robust", "robust", "best in class", "best in class",
    ]


def test_a_quality_check_ci_runs_gates_serving_only_where_something_is_served_or_released():
    check = ml("infra-4", "automated", rule="quality-gates/behavioural-test")
    alone = score_all(HEUR, [check], {"history"})["ml-test-score"].items["infra-4"]
    assert alone.level == "manual" and "gates nothing" in alone.reason
    deploy = rob("operations.ci-cd", 3, rule="ci/deploys-from-ci", automated=True)
    served = score_all(HEUR, [check, deploy], {"history"})["ml-test-score"].items["infra-4"]
    assert served.level == "automated"
    # a gate in the pipeline path is automated whatever CI does
    step = Evidence("quality-gates/metric-gate", "pipelines/evaluate.py", 1, 0.5, "s", "infra-4", level="automated",
                    automated_by="pipeline path")
    assert score_all(HEUR, [step], {"history"})["ml-test-score"].items["infra-4"].level == "automated"
    # other items are untouched
    assert score_all(HEUR, [ml("infra-2", "automated")], {"history"})["ml-test-score"].items["infra-2"].level == "automated"
