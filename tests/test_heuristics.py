"""The rubric definitions and the rule loader: ids, structure, scoring data, validation errors."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from mlscorecard.errors import HeuristicsError
from mlscorecard.heuristics import heuristics_dir, load_heuristics

ML_IDS = [f"{s}-{n}" for s in ("data", "model", "infra", "monitor") for n in range(1, 8)]
ROBUSTNESS_IDS = [
    "data.quality", "data.privacy", "data.bias",
    "training.metrics", "training.tuning", "training.reproducibility",
    "evaluation.interpretability", "evaluation.feature-importance", "evaluation.environment", "evaluation.counterfactual",
    "deployment.infrastructure", "deployment.experimentation", "deployment.monitoring", "deployment.updates",
    "operations.resources", "operations.containers", "operations.ci-cd", "operations.roi",
    "security.access-control", "security.compliance", "security.recovery", "security.encryption",
]
SHARED_RUBRICS = Path(__file__).resolve().parents[2] / "shared" / "RUBRICS.md"


def test_ml_test_score_has_the_28_items_in_4_sections_of_7():
    rubric = load_heuristics().rubrics["ml-test-score"]
    assert list(rubric.items) == ML_IDS
    for section in ("data", "model", "infra", "monitor"):
        assert sum(1 for i in rubric.items.values() if i["group"] == section) == 7


def test_robustness_has_the_22_items():
    rubric = load_heuristics().rubrics["robustness"]
    assert list(rubric.items) == ROBUSTNESS_IDS
    for item_id, item in rubric.items.items():
        assert item_id.split(".")[0] == item["group"]


@pytest.mark.skipif(not SHARED_RUBRICS.exists(), reason="shared/RUBRICS.md is not beside this checkout")
def test_ids_match_the_shared_contract():
    text = SHARED_RUBRICS.read_text()
    ml = re.findall(r"^\| ((?:data|model|infra|monitor)-\d) \|", text, re.M)
    rob = re.findall(r"^\| ([a-z]+\.[a-z-]+) \|", text, re.M)
    assert ml == ML_IDS
    assert rob == ROBUSTNESS_IDS


def test_every_item_says_what_good_looks_like_how_to_fix_it_and_what_to_ask():
    for rubric in load_heuristics().rubrics.values():
        for item in rubric.items.values():
            for key in ("good", "remediation", "question", "example_evidence"):
                assert len(item[key]) > 20, (item["id"], key)
            assert item["visibility"] in ("high", "partial", "none")


def test_bands_cover_every_possible_score_exactly_once():
    heur = load_heuristics()
    for rid, top in (("ml-test-score", 14), ("robustness", 88)):
        bands = heur.rubrics[rid].data["scoring"]["bands"]
        for score in range(top + 1):
            assert sum(1 for b in bands if b["min"] <= score <= b["max"]) == 1, (rid, score)


def test_items_static_analysis_cannot_see_are_marked():
    rubric = load_heuristics().rubrics["ml-test-score"]
    assert rubric.items["data-6"]["visibility"] == "none"
    assert rubric.items["model-2"]["visibility"] == "none"


def _copy_heuristics(tmp_path: Path, extra_rules: str) -> str:
    src = heuristics_dir()
    (tmp_path / "rubrics").mkdir()
    (tmp_path / "rules").mkdir()
    for p in (src / "rubrics").glob("*.yaml"):
        (tmp_path / "rubrics" / p.name).write_text(p.read_text())
    (tmp_path / "contexts.yaml").write_text((src / "contexts.yaml").read_text())
    for p in (src / "rules").glob("*.yaml"):
        (tmp_path / "rules" / p.name).write_text(p.read_text())
    (tmp_path / "rules" / "extra.yaml").write_text(textwrap.dedent(extra_rules))
    return str(tmp_path)


BASE_RULE = {
    "id": "seeds/example",
    "match": {"kind": "python-call", "calls": ["random.seed"]},
    "supports": {"ml-test-score": [{"item": "infra-1", "level": "manual", "confidence": 0.5}]},
    "examples": {"positive": [{"code": "x"}], "negative": [{"code": "y"}]},
}
BROKEN_RULES = {
    "no negative examples": ({"examples": {"positive": [{"code": "x"}]}}, "positive and negative examples"),
    "unknown item": ({"supports": {"ml-test-score": [{"item": "infra-9", "level": "manual", "confidence": 0.5}]}},
                     "unknown item"),
    "robustness 4": ({"supports": {"robustness": [{"item": "training.reproducibility", "score": 4, "confidence": 0.5}]}},
                     "score"),
    "misspelt key": ({"not_context": ["test"]}, "unknown key"),
    "unknown context": ({"match": {"kind": "python-call", "calls": ["random.seed"], "context": ["production"]}},
                        "unknown context"),
    "unknown matcher": ({"match": {"kind": "python-magic"}}, "match.kind"),
    "per_line without literals": ({"match": {"kind": "text", "paths": ["**/*.py"], "pattern": "seed", "per_line": True}},
                                  "per_line needs literals"),
    "lines_before without per_line": ({"match": {"kind": "text", "paths": ["**/*.py"], "pattern": "seed",
                                                 "literals": ["seed"], "lines_before": 1}}, "lines_before"),
    "lines_before not a number": ({"match": {"kind": "text", "paths": ["**/*.py"], "pattern": "seed",
                                             "literals": ["seed"], "per_line": True, "lines_before": "1"}},
                                  "lines_before"),
    "lines_before a bool": ({"match": {"kind": "text", "paths": ["**/*.py"], "pattern": "seed", "literals": ["seed"],
                                       "per_line": True, "lines_before": True}}, "lines_before"),
}


@pytest.mark.parametrize("name", list(BROKEN_RULES))
def test_a_broken_rule_is_refused(tmp_path, name):
    import yaml

    change, message = BROKEN_RULES[name]
    directory = _copy_heuristics(tmp_path, yaml.safe_dump({"rules": [{**BASE_RULE, **change}]}))
    with pytest.raises(HeuristicsError, match=message):
        load_heuristics(directory)


def test_the_digest_changes_with_the_rules(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = load_heuristics(_copy_heuristics(tmp_path / "a", "rules: []\n"))
    b = load_heuristics(_copy_heuristics(tmp_path / "b", "rules: []\n# changed\n"))
    assert a.digest != b.digest
